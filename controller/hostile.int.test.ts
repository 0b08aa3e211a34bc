// Hostile OpenFlow peers against the controller: a fuzz run over many TCP connections while a real
// Open vSwitch bridge keeps forwarding pings through the same controller; slow-loris peers (bytes
// trickled before and after the handshake); a peer that never answers echo while trickling bytes;
// a peer that stops reading; and the exact ERROR bytes a bad peer receives before the close.
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController, type OpenFlowControllerOptions } from "./controller";
import type { ControllerEvent } from "./events";
import { encodeMessage, OfpFramer } from "./openflow";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "./ovsdb/testing/ovs-instance";
import { ethFrame } from "./testing/frames";
import { createHost, type NsHost, secureBridgeArgs } from "./testing/netns";
import { runFuzz } from "./testing/of-fuzz";
import { port, ScriptedSwitch } from "./testing/scripted-switch";

const unavailable = ovsUnavailableReason();

function waitEvent(c: OpenFlowController, pred: (e: ControllerEvent) => boolean, timeoutMs: number, what: string): Promise<ControllerEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
    const off = c.events.on((e) => {
      if (pred(e)) {
        clearTimeout(t);
        off();
        resolve(e);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable)("fuzzed connections next to a real Open vSwitch bridge", () => {
  const dpid = "00000000000000f7";
  let ovs: OvsInstance;
  let controller: OpenFlowController;
  let h1: NsHost;
  let h2: NsHost;
  let unhandled = 0;
  const onUnhandled = () => void unhandled++;

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    ovs = await startOvs({ netns: `ferry-hz-${randomBytes(3).toString("hex")}`, withVswitchd: true });
    const sock = path.join(ovs.dir, "of.sock");
    controller = new OpenFlowController({
      listen: [
        { kind: "tcp", host: "127.0.0.1", port: 0 },
        { kind: "unix", path: sock },
      ],
      datapath: { flowStatsIntervalMs: 2_000, echoIntervalMs: 1_000, echoTimeoutMs: 10_000, handshakeTimeoutMs: 5_000 },
    });
    await controller.start();
    h1 = await createHost({ prefix: "ferry-hz-h1", switchNs: ovs.netns!, ip: "10.77.0.1", mac: "52:54:00:77:00:01" });
    h2 = await createHost({ prefix: "ferry-hz-h2", switchNs: ovs.netns!, ip: "10.77.0.2", mac: "52:54:00:77:00:02" });
    const up = waitEvent(controller, (e) => e.type === "switch_connected" && e.dpid === dpid, 15_000, "the OVS bridge to connect");
    await ovs.vsctl(secureBridgeArgs({ dpid: dpid, protocols: "OpenFlow13", ports: [h1.switchPort, h2.switchPort], controller: `unix:${sock}` }));
    await up;
  }, 60_000);

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await h1?.remove();
    await h2?.remove();
    await controller?.stop();
    await ovs?.stop();
  }, 60_000);

  it("20,000 fuzzed messages: every bad connection gets its ERRORs and is closed, nothing crashes, and the bridge forwards throughout", async () => {
    const tcpPort = Number(controller.targets()[0]!.split(":")[2]);
    let goodDropped = 0;
    const off = controller.events.on((e) => {
      if (e.type === "switch_disconnected" && e.dpid === dpid) goodDropped++;
    });
    let fuzzing = true;
    const pings = { sent: 0, answered: 0 };
    // Each round forgets h2's MAC first, so the ARP broadcast must go through the controller.
    const pinger = (async () => {
      while ((fuzzing || pings.sent < 3) && pings.sent < 200) {
        await h1.exec("ip", ["neigh", "flush", "dev", "eth0"]);
        pings.sent++;
        const out = await h1.exec("ping", ["-c", "1", "-W", "3", h2.ip]).catch((e: Error) => e.message);
        if (/ 1 received/.test(out)) pings.answered++;
        await sleep(200);
      }
    })();
    try {
      const totals = await runFuzz({ target: { port: tcpPort }, messages: 20_000, concurrency: 16, seed: 0x0f0f, perConnection: 300, maxMs: 150_000 });
      fuzzing = false;
      await pinger;
      expect(totals.violations).toEqual([]);
      expect(totals.messages).toBeGreaterThanOrEqual(20_000);
      expect(totals.badConnections).toBeGreaterThan(20);
      expect(totals.badConnectionsClosedWithError).toBe(totals.badConnections);
      expect(totals.errorsReceived).toBeGreaterThan(totals.badConnections);
    } finally {
      fuzzing = false;
      await pinger;
      off();
    }
    expect(unhandled).toBe(0);
    expect(goodDropped).toBe(0);
    expect(pings.sent).toBeGreaterThanOrEqual(3);
    expect(pings.answered).toBe(pings.sent);
    // Every fuzz connection's state is gone; only the bridge is left.
    await sleep(300);
    expect([...controller.switches.keys()]).toEqual([dpid]);
    expect(await h1.exec("ping", ["-c", "2", "-i", "0.2", "-W", "3", h2.ip])).toMatch(/2 received/);
  }, 240_000);
});

describe("slow, silent and deaf peers are dropped by their timeouts", () => {
  let controller: OpenFlowController | null = null;
  const sockets: net.Socket[] = [];
  const switches: ScriptedSwitch[] = [];

  async function start(datapath: OpenFlowControllerOptions["datapath"]) {
    controller = new OpenFlowController({ listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }], datapath: { flowStatsIntervalMs: 0, ...datapath } });
    await controller.start();
    return { c: controller, port: Number(controller.targets()[0]!.split(":")[2]) };
  }

  async function rawConnect(p: number): Promise<{ socket: net.Socket; received: () => Buffer; closed: Promise<void> }> {
    const socket = net.connect(p, "127.0.0.1");
    sockets.push(socket);
    const chunks: Buffer[] = [];
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", () => {});
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    await new Promise<void>((r) => socket.once("connect", () => r()));
    return { socket, received: () => Buffer.concat(chunks), closed };
  }

  /** Sends buf one byte every `everyMs` until done or the socket closes; returns how many bytes went out. */
  async function trickle(socket: net.Socket, buf: Buffer, everyMs: number): Promise<number> {
    let sent = 0;
    while (sent < buf.length && !socket.destroyed && !socket.readableEnded) {
      socket.write(buf.subarray(sent, sent + 1));
      sent++;
      await sleep(everyMs);
    }
    return sent;
  }

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of switches.splice(0)) s.close();
    await controller?.stop();
    controller = null;
  });

  it("a peer trickling its HELLO a byte at a time is closed by the handshake timeout", async () => {
    const { c, port: p } = await start({ handshakeTimeoutMs: 800 });
    const err = waitEvent(c, (e) => e.type === "error", 5_000, "the connection to be given up");
    const { socket, closed } = await rawConnect(p);
    const hello = encodeMessage(4, { type: "hello", xid: 1, elements: [{ type: "versionbitmap", bitmaps: [1 << 4] }] });
    const sent = trickle(socket, hello, 150);
    expect((await err as { message: string }).message).toMatch(/handshake did not finish within 800 ms/);
    await closed;
    expect(await sent).toBeLessThan(hello.length);
    expect(c.switches.size).toBe(0);
  });

  it("after the handshake, a message trickled a byte at a time is cut off by the frame timeout", async () => {
    const { c, port: p } = await start({ frameTimeoutMs: 600, echoIntervalMs: 10_000, echoTimeoutMs: 20_000 });
    const up = waitEvent(c, (e) => e.type === "switch_connected", 5_000, "the switch to connect");
    const sw = await ScriptedSwitch.connect({ port: p }, { dpid: "00000000000000e1", version: 4, bitmapVersions: [4] });
    switches.push(sw);
    await up;
    const gone = waitEvent(c, (e) => e.type === "switch_disconnected", 8_000, "the trickling switch to be dropped");
    const echo = encodeMessage(4, { type: "echo_request", xid: 9, data: Buffer.alloc(24) });
    const sent = trickle(sw.socket, echo, 150);
    expect(await gone).toMatchObject({ reason: expect.stringMatching(/stayed incomplete/) });
    await sw.waitClosed();
    expect(await sent).toBeLessThan(echo.length);
  });

  it("a switch that never answers echo is dropped after the echo timeout, even while it trickles bytes", async () => {
    const { c, port: p } = await start({ echoIntervalMs: 200, echoTimeoutMs: 900, frameTimeoutMs: 60_000 });
    const up = waitEvent(c, (e) => e.type === "switch_connected", 5_000, "the switch to connect");
    const sw = await ScriptedSwitch.connect({ port: p }, { dpid: "00000000000000e2", version: 4, bitmapVersions: [4], answerEcho: false });
    switches.push(sw);
    await up;
    const gone = waitEvent(c, (e) => e.type === "switch_disconnected", 8_000, "the silent switch to be dropped");
    // A header announcing 1,000 bytes, then one byte every 100 ms: bytes, but never a message.
    const partial = Buffer.concat([Buffer.from([4, 99, 0x03, 0xe8, 0, 0, 0, 1]), Buffer.alloc(200)]);
    void trickle(sw.socket, partial, 100);
    expect(await gone).toMatchObject({ dpid: "00000000000000e2", reason: expect.stringMatching(/no message from the switch/) });
    expect(sw.received.filter((m) => m.type === "echo_request").length).toBeGreaterThanOrEqual(1);
  });

  it("a switch that stops reading is closed instead of making the controller buffer without bound", async () => {
    const { c, port: p } = await start({ maxOutputBytes: 256 * 1024 });
    const up = waitEvent(c, (e) => e.type === "switch_connected", 5_000, "the switch to connect");
    const sw = await ScriptedSwitch.connect({ port: p }, { dpid: "00000000000000e3", version: 4, bitmapVersions: [4], ports: [port(1, "p1"), port(2, "p2")] });
    switches.push(sw);
    await up;
    const gone = waitEvent(c, (e) => e.type === "switch_disconnected", 20_000, "the deaf switch to be dropped");
    sw.socket.pause();
    // Broadcasts are flooded back with their whole frame: ~60 KB out for each ~60 KB in.
    const big = ethFrame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:e3", 0x0800, Buffer.alloc(60_000));
    for (let i = 0; i < 400 && !sw.socket.destroyed; i++) {
      sw.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: big.length, reason: 0, table_id: 0, cookie: 0n, match: { in_port: 1 }, data: big });
      if (i % 20 === 19) await sleep(10);
    }
    expect(await gone).toMatchObject({ reason: expect.stringMatching(/not reading: \d+ bytes queued/) });
  });

  describe("the ERROR bytes a bad peer receives", () => {
    /** The OFPT_ERROR frames in what the peer received: [xid, type, code] each. */
    function errorsIn(bytes: Buffer, version: number): [number, number, number][] {
      return new OfpFramer()
        .push(bytes)
        .frames.filter((f) => f[0] === version && f[1] === 1)
        .map((f) => [f.readUInt32BE(4), f.readUInt16BE(8), f.readUInt16BE(10)]);
    }

    it("anything but HELLO first: HELLO_FAILED/INCOMPATIBLE, then the close", async () => {
      const { port: p } = await start({});
      const { socket, received, closed } = await rawConnect(p);
      socket.write(Buffer.from([4, 2, 0, 8, 0, 0, 0, 7])); // ECHO_REQUEST before HELLO
      await closed;
      expect(errorsIn(received(), 4)).toEqual([[7, 0, 0]]);
    });

    it("after the handshake: BAD_TYPE keeps the connection, BAD_VERSION and BAD_LEN close it", async () => {
      const { c, port: p } = await start({});
      const open = async (dpid: string) => {
        const up = waitEvent(c, (e) => e.type === "switch_connected" && e.dpid === dpid, 5_000, `switch ${dpid}`);
        const sw = await ScriptedSwitch.connect({ port: p }, { dpid, version: 4, bitmapVersions: [4] });
        switches.push(sw);
        const chunks: Buffer[] = [];
        sw.socket.on("data", (d) => chunks.push(d));
        await up;
        return { sw, received: () => Buffer.concat(chunks) };
      };

      const a = await open("00000000000000d1");
      a.sw.sendRaw(Buffer.from([4, 99, 0, 8, 0, 0, 0, 0x21])); // unknown type 99
      a.sw.send({ type: "echo_request", xid: 0x22, data: Buffer.alloc(0) });
      await a.sw.waitFor((m) => m.type === "echo_reply" && m.xid === 0x22);
      expect(errorsIn(a.received(), 4)).toEqual([[0x21, 1, 1]]);
      expect(a.sw.closed).toBe(false);

      const b = await open("00000000000000d2");
      b.sw.sendRaw(Buffer.from([1, 2, 0, 8, 0, 0, 0, 0x31])); // a 1.0 ECHO_REQUEST on a 1.3 connection
      await b.sw.waitClosed();
      expect(errorsIn(b.received(), 4)).toEqual([[0x31, 1, 0]]);

      const d = await open("00000000000000d3");
      d.sw.sendRaw(Buffer.from([4, 2, 0, 5, 0, 0, 0, 0x41])); // length 5 < header
      await d.sw.waitClosed();
      expect(errorsIn(d.received(), 4)).toEqual([[0x41, 1, 6]]);
    });
  });
});
