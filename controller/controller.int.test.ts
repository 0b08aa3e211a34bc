// The controller over real loopback sockets against scripted switches: handshake in both
// versions, negotiation failure, protocol errors that close only the offending connection,
// echo keepalive, and the learning switch answering PACKET_INs.
import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import tls from "node:tls";
import { execFileSync } from "node:child_process";
import { OpenFlowController } from "./controller";
import { OpenFlowError } from "./datapath";
import { OFPP_CONTROLLER, OFPP_FLOOD, type DecodedMessage, type FlowModMsg } from "./openflow";
import { port, ScriptedSwitch } from "./testing/scripted-switch";
import { ethFrame } from "./testing/frames";
import type { ControllerEvent } from "./events";

const COOKIE = 0xfe77_0000_0000_0001n;
const A = "52:54:00:00:00:0a";
const B = "52:54:00:00:00:0b";

let controller: OpenFlowController | null = null;
const switches: ScriptedSwitch[] = [];

async function startController(datapath: ConstructorParameters<typeof OpenFlowController>[0]["datapath"] = {}) {
  controller = new OpenFlowController({ listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }], datapath: { flowStatsIntervalMs: 0, ...datapath } });
  await controller.start();
  const port = Number(controller.targets()[0]!.split(":")[2]);
  return { controller, port };
}

async function connect(port: number, opts: Parameters<typeof ScriptedSwitch.connect>[1]) {
  const sw = await ScriptedSwitch.connect({ port }, opts);
  switches.push(sw);
  return sw;
}

function nextEvent(c: OpenFlowController, pred: (e: ControllerEvent) => boolean, timeoutMs = 5000): Promise<ControllerEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error("event not seen"))), timeoutMs);
    const off = c.events.on((e) => {
      if (pred(e)) {
        clearTimeout(t);
        off();
        resolve(e);
      }
    });
  });
}

afterEach(async () => {
  for (const s of switches.splice(0)) s.close();
  await controller?.stop();
  controller = null;
});

describe("OpenFlow handshake", () => {
  it("negotiates 1.3, reads ports, sets miss_send_len, reads the flow table before changing it and installs the table-miss flow", async () => {
    const { controller: c, port: p } = await startController();
    const up = nextEvent(c, (e) => e.type === "switch_connected");
    const sw = await connect(p, { dpid: "00000000000000a1", version: 4, bitmapVersions: [1, 4], ports: [port(1, "vm1"), port(2, "gre0")] });
    const ev = await up;
    expect(ev).toMatchObject({ type: "switch_connected", dpid: "00000000000000a1", version: 4 });
    expect((ev as Extract<ControllerEvent, { type: "switch_connected" }>).ports.map((x) => x.name)).toEqual(["vm1", "gre0"]);

    const types = sw.received.map((m) => m.type);
    expect(types[0]).toBe("hello");
    expect(types.indexOf("features_request")).toBeLessThan(types.indexOf("set_config"));
    expect(sw.received.find((m) => m.type === "set_config")).toMatchObject({ miss_send_len: 0xffff });
    const mods = sw.received.filter((m): m is FlowModMsg & DecodedMessage => m.type === "flow_mod");
    const dump = sw.received.findIndex((m) => m.type === "multipart_request" && m.body.kind === "flow");
    expect(dump).toBeGreaterThan(-1);
    expect(dump).toBeLessThan(sw.received.indexOf(mods[0]!));
    // An empty table: nothing stale to delete, only the table-miss flow to add.
    expect(mods).toHaveLength(1);
    expect(mods[0]).toMatchObject({ command: "add", cookie: COOKIE, priority: 0, match: {} });
    expect(JSON.stringify(mods[0]!.instructions, (_k, v) => (typeof v === "bigint" ? String(v) : v))).toContain(String(OFPP_CONTROLLER));
    expect(types).toContain("barrier_request");
    expect(c.switch("00000000000000a1")?.isReady).toBe(true);
    // The table is read once; the mirror starts from that read and follows the handshake's own
    // FLOW_MODs, so it holds the table-miss flow until the first poll says otherwise.
    expect(sw.received.filter((m) => m.type === "multipart_request" && m.body.kind === "flow")).toHaveLength(1);
    expect(c.switch("00000000000000a1")!.flows.entries().map((f) => [f.priority, f.match])).toEqual([[0, {}]]);
  });

  it("speaks 1.0 to a 1.0-only switch and deletes its stale flows one by one", async () => {
    const { controller: c, port: p } = await startController();
    const up = nextEvent(c, (e) => e.type === "switch_connected");
    const stale = { table_id: 0, duration_sec: 9, duration_nsec: 0, priority: 100, idle_timeout: 60, hard_timeout: 0, cookie: COOKIE, packet_count: 1n, byte_count: 60n, match: { in_port: 1, eth_dst: B } };
    const foreign = { ...stale, cookie: 5n, match: { in_port: 3 } };
    const sw = await connect(p, { dpid: "00000000000000b1", version: 1, ports: [port(1, "vm1")], flows: [stale, foreign] });
    expect(await up).toMatchObject({ version: 1 });
    const mods = sw.received.filter((m): m is FlowModMsg & DecodedMessage => m.type === "flow_mod");
    expect(mods.map((m) => [m.command, m.match])).toEqual([["delete_strict", { in_port: 1, eth_dst: B }]]);
    expect(c.switch("00000000000000b1")!.ports.get(1)?.name).toBe("vm1");
  });

  it("answers a switch with no common version with HELLO_FAILED and closes it", async () => {
    const { controller: c, port: p } = await startController();
    const err = nextEvent(c, (e) => e.type === "error");
    const sw = await connect(p, { dpid: "00000000000000c1", version: 2, bitmapVersions: [2] });
    const reply = await sw.waitFor((m) => m.type === "error");
    expect(reply).toMatchObject({ type: "error", error_type: 0, code: 0 });
    await sw.waitClosed();
    expect((await err as { message: string }).message).toMatch(/no common OpenFlow version/);
  });
});

describe("bad input closes only the offending connection", () => {
  it("a header with length < 8 gets BAD_LEN and a close, while another switch keeps forwarding", async () => {
    const { controller: c, port: p } = await startController();
    const good = await connect(p, { dpid: "0000000000000001", version: 4, bitmapVersions: [4] });
    const bad = await connect(p, { dpid: "0000000000000002", version: 4, bitmapVersions: [4] });
    await good.waitFor((m) => m.type === "barrier_request");
    await bad.waitFor((m) => m.type === "barrier_request");

    bad.sendRaw(Buffer.from([4, 10, 0, 4, 0, 0, 0, 9]));
    const e = await bad.waitFor((m) => m.type === "error");
    expect(e).toMatchObject({ error_type: 1, code: 6, xid: 9 });
    await bad.waitClosed();

    good.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: 60, reason: 0, table_id: 0, cookie: 0n, match: { in_port: 1 }, data: ethFrame(B, A, 0x0800) });
    const out = await good.waitFor((m) => m.type === "packet_out");
    expect(out).toMatchObject({ type: "packet_out", actions: [{ type: "output", port: OFPP_FLOOD }] });
    expect(c.switches.has("0000000000000001")).toBe(true);
    expect(c.switches.has("0000000000000002")).toBe(false);
  });

  it("a known message with a truncated body gets BAD_LEN and a close", async () => {
    const { port: p } = await startController();
    const sw = await connect(p, { dpid: "0000000000000003", version: 4, bitmapVersions: [4] });
    await sw.waitFor((m) => m.type === "barrier_request");
    // PACKET_IN (type 10) with a 4-byte body: far too short.
    sw.sendRaw(Buffer.from([4, 10, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4]));
    expect(await sw.waitFor((m) => m.type === "error")).toMatchObject({ error_type: 1, code: 6 });
    await sw.waitClosed();
  });

  it("an unknown message type gets BAD_TYPE and the connection stays up", async () => {
    const { controller: c, port: p } = await startController();
    const sw = await connect(p, { dpid: "0000000000000004", version: 4, bitmapVersions: [4] });
    await nextEvent(c, (e) => e.type === "switch_connected");
    sw.sendRaw(Buffer.from([4, 99, 0, 8, 0, 0, 0, 42]));
    expect(await sw.waitFor((m) => m.type === "error")).toMatchObject({ error_type: 1, code: 1, xid: 42 });
    sw.send({ type: "echo_request", xid: 77, data: Buffer.from("ping") });
    const reply = await sw.waitFor((m) => m.type === "echo_reply");
    expect(reply).toMatchObject({ xid: 77 });
    expect((reply as { data: Buffer }).data.toString()).toBe("ping");
    expect(sw.closed).toBe(false);
  });

  it("random garbage from many connections never stops the controller", async () => {
    const { controller: c, port: p } = await startController({ handshakeTimeoutMs: 500 });
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 30; i++) {
      const s = net.connect(p, "127.0.0.1");
      s.on("error", () => {});
      await new Promise<void>((r) => s.once("connect", () => r()));
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      s.write(junk);
      s.destroy();
    }
    const sw = await connect(p, { dpid: "0000000000000005", version: 1 });
    await nextEvent(c, (e) => e.type === "switch_connected" && e.dpid === "0000000000000005");
    expect(c.switches.size).toBe(1);
    expect(sw.closed).toBe(false);
  });
});

describe("keepalive and requests", () => {
  it("sends ECHO_REQUEST to a quiet switch and closes one that stays silent", async () => {
    const { controller: c, port: p } = await startController({ echoIntervalMs: 100, echoTimeoutMs: 400 });
    const gone = nextEvent(c, (e) => e.type === "switch_disconnected");
    const sw = await connect(p, { dpid: "0000000000000006", version: 4, bitmapVersions: [4], answerEcho: false });
    await sw.waitFor((m) => m.type === "echo_request", 2000);
    expect(await gone).toMatchObject({ dpid: "0000000000000006", reason: expect.stringMatching(/no message from the switch/) });
    await sw.waitClosed();
  });

  it("keeps a switch that answers its echoes", async () => {
    const { controller: c, port: p } = await startController({ echoIntervalMs: 100, echoTimeoutMs: 400 });
    await connect(p, { dpid: "0000000000000007", version: 4, bitmapVersions: [4] });
    await nextEvent(c, (e) => e.type === "switch_connected");
    await new Promise((r) => setTimeout(r, 900));
    expect(c.switch("0000000000000007")?.isReady).toBe(true);
  });

  it("closes a switch whose flow-table reply outgrows maxReplyBytes", async () => {
    const { controller: c, port: p } = await startController({ maxReplyBytes: 4096 });
    const flows = Array.from({ length: 100 }, (_, i) => ({
      table_id: 0, duration_sec: 1, duration_nsec: 0, priority: 100, idle_timeout: 0, hard_timeout: 0, cookie: 5n, packet_count: 0n, byte_count: 0n,
      match: { in_port: 1, eth_dst: `02:00:00:00:00:${i.toString(16).padStart(2, "0")}` },
    }));
    const err = nextEvent(c, (e) => e.type === "error");
    const sw = await connect(p, { dpid: "000000000000000e", version: 4, bitmapVersions: [4], flows });
    expect(await err).toMatchObject({ message: expect.stringMatching(/flow stats request: reply larger than 4096 bytes/) });
    await sw.waitClosed();
    expect(c.switches.size).toBe(0);
  });

  it("rejects a request the switch answers with ERROR, and one it never answers", async () => {
    const { controller: c, port: p } = await startController({ requestTimeoutMs: 300 });
    const sw = await connect(p, { dpid: "0000000000000008", version: 4, bitmapVersions: [4] });
    await nextEvent(c, (e) => e.type === "switch_connected");
    const dp = c.switch("0000000000000008")!;
    // The scripted switch ignores GET_CONFIG: timeout.
    await expect(dp.request({ type: "get_config_request", xid: 0 }, "get config")).rejects.toThrow(/no reply within 300 ms/);
    // Answer the next ROLE_REQUEST with an error for its xid.
    const pending = dp.request({ type: "role_request", xid: 0, role: 2, generation_id: 1n }, "role request");
    const req = await sw.waitFor((m) => m.type === "role_request");
    sw.send({ type: "error", xid: req.xid, error_type: 11, code: 0, data: Buffer.alloc(0) });
    await expect(pending).rejects.toBeInstanceOf(OpenFlowError);
  });
});

describe("learning switch over a connection", () => {
  it("learns, installs a flow mirrored in the flow table, and counts its FLOW_REMOVED per source MAC", async () => {
    const { controller: c, port: p } = await startController();
    const sw = await connect(p, { dpid: "0000000000000009", version: 4, bitmapVersions: [4], ports: [port(1, "a"), port(2, "b")] });
    await nextEvent(c, (e) => e.type === "switch_connected");
    const pin = (inPort: number, frame: Buffer) => sw.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: frame.length, reason: 0, table_id: 0, cookie: 0n, match: { in_port: inPort }, data: frame });

    pin(2, ethFrame("ff:ff:ff:ff:ff:ff", B, 0x0806));
    pin(1, ethFrame(B, A, 0x0800));
    const fm = (await sw.waitFor((m) => m.type === "flow_mod" && m.command === "add" && m.priority === 100)) as FlowModMsg;
    expect(fm.match).toMatchObject({ in_port: 1, eth_src: A, eth_dst: B });
    const dp = c.switch("0000000000000009")!;
    expect(dp.flows.entries().map((e) => e.match)).toContainEqual(expect.objectContaining({ eth_src: A, eth_dst: B }));
    expect(c.events.totals.packet_in).toBe(2);

    const removed = nextEvent(c, (e) => e.type === "flow_removed");
    sw.send({ type: "flow_removed", xid: 0, cookie: COOKIE, priority: 100, reason: 0, table_id: 0, duration_sec: 61, duration_nsec: 0, idle_timeout: 60, hard_timeout: 0, packet_count: 4n, byte_count: 392n, match: { in_port: 1, eth_src: A, eth_dst: B } });
    await removed;
    expect(dp.flows.entries().some((e) => e.match.eth_src === A)).toBe(false);
    expect(c.monitor.countersFor(A)).toMatchObject({ packets: 4n, bytes: 392n });
  });

  it("floods frames from a tunnel port only to local ports, never into other tunnels", async () => {
    const { controller: c, port: p } = await startController();
    const sw = await connect(p, { dpid: "000000000000000d", version: 4, bitmapVersions: [4], ports: [port(1, "vm-a"), port(2, "cl-a"), port(3, "gre-host-b1"), port(4, "gre-host-b2")] });
    await nextEvent(c, (e) => e.type === "switch_connected");
    const send = (inPort: number) =>
      sw.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: 60, reason: 0, table_id: 0, cookie: 0n, match: { in_port: inPort }, data: ethFrame("ff:ff:ff:ff:ff:ff", `52:54:00:00:01:0${inPort}`, 0x0806) });
    send(3);
    const outputs = (m: DecodedMessage) => (m as { actions: { type: string; port: number }[] }).actions.map((a) => `${a.type}:${a.port}`);
    expect(outputs(await sw.waitFor((m) => m.type === "packet_out" && m.in_port === 3))).toEqual(["output:1", "output:2"]);
    send(1);
    expect(outputs(await sw.waitFor((m) => m.type === "packet_out" && m.in_port === 1))).toEqual([`output:${OFPP_FLOOD}`]);
  });

  it("replaces the old connection when the same switch connects again", async () => {
    const { controller: c, port: p } = await startController();
    const first = await connect(p, { dpid: "000000000000000a", version: 4, bitmapVersions: [4] });
    await nextEvent(c, (e) => e.type === "switch_connected");
    const again = nextEvent(c, (e) => e.type === "switch_connected");
    await connect(p, { dpid: "000000000000000a", version: 1 });
    expect(await again).toMatchObject({ version: 1 });
    await first.waitClosed();
    expect(c.switch("000000000000000a")?.version).toBe(1);
  });
});

describe("listeners", () => {
  it("accepts switches on a UNIX socket and removes the socket file on stop", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-of-"));
    const sock = path.join(dir, "of.sock");
    try {
      controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
      await controller.start();
      expect(controller.targets()).toEqual([`unix:${sock}`]);
      const up = nextEvent(controller, (e) => e.type === "switch_connected");
      switches.push(await ScriptedSwitch.connect({ path: sock }, { dpid: "000000000000000b", version: 4, bitmapVersions: [4] }));
      expect(await up).toMatchObject({ dpid: "000000000000000b" });
      await controller.stop();
      controller = null;
      expect(fs.existsSync(sock)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts switches over TLS with the configured key and certificate", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-of-tls-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=ferry-controller", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
      const cert = fs.readFileSync(path.join(dir, "cert.pem"));
      controller = new OpenFlowController({
        listen: [{ kind: "tls", host: "127.0.0.1", port: 0, key: fs.readFileSync(path.join(dir, "key.pem")), cert }],
        datapath: { flowStatsIntervalMs: 0 },
      });
      await controller.start();
      const target = controller.targets()[0]!;
      expect(target).toMatch(/^ssl:127\.0\.0\.1:\d+$/);
      const up = nextEvent(controller, (e) => e.type === "switch_connected");
      // A TLS client socket speaking OpenFlow: the scripted switch on top of it.
      const socket = tls.connect({ host: "127.0.0.1", port: Number(target.split(":")[2]), ca: cert, servername: "ferry-controller", checkServerIdentity: () => undefined });
      await new Promise<void>((resolve, reject) => socket.once("secureConnect", () => resolve()).once("error", reject));
      switches.push(ScriptedSwitch.over(socket, { dpid: "000000000000000c", version: 4, bitmapVersions: [4] }));
      expect(await up).toMatchObject({ dpid: "000000000000000c", version: 4 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
