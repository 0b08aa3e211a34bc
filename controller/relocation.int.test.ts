// MAC relocation (a migration's commitment) end to end: against scripted switches, the exact
// messages each switch receives and the report; against real Open vSwitch, a "moved" host is
// reachable on the very first packet, with no relearning.
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "./controller";
import type { ControllerEvent } from "./events";
import { decodeMessage, OfpFramer, OFPP_FLOOD, type Action, type DecodedMessage, type FlowModMsg, type Instruction, type PacketOutMsg } from "./openflow";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "./ovsdb/testing/ovs-instance";
import { gratuitousArp, rarpAnnounce } from "./packet";
import { createHost, sh, type NsHost, secureBridgeArgs } from "./testing/netns";
import { ethFrame } from "./testing/frames";
import { port, ScriptedSwitch } from "./testing/scripted-switch";

const COOKIE = 0xfe77_0000_0000_0001n;
const VM = "52:54:00:00:0d:01";
const CLIENT = "52:54:00:00:0d:99";
const VM_IP = "10.0.13.7";
const DP_A = "00000000000000d1"; // the VM's old host
const DP_B = "00000000000000d2"; // the VM's new host

function nextEvent(c: OpenFlowController, pred: (e: ControllerEvent) => boolean, timeoutMs = 5000, what = "event"): Promise<ControllerEvent> {
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

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Output ports of a decoded FLOW_MOD or PACKET_OUT, whichever version encoded it. */
function outputs(m: { actions?: Action[]; instructions?: Instruction[] }): number[] {
  const acts = [...(m.actions ?? []), ...(m.instructions ?? []).flatMap((i) => (i.type === "apply_actions" || i.type === "write_actions" ? i.actions : []))];
  return acts.flatMap((a) => (a.type === "output" ? [a.port] : []));
}

describe("relocation against scripted switches", () => {
  let controller: OpenFlowController | null = null;
  const switches: ScriptedSwitch[] = [];

  afterEach(async () => {
    for (const s of switches.splice(0)) s.close();
    await controller?.stop();
    controller = null;
  });

  async function setup() {
    const c = new OpenFlowController({ listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }], datapath: { flowStatsIntervalMs: 0, requestTimeoutMs: 2000 } });
    controller = c;
    await c.start();
    const p = Number(c.targets()[0]!.split(":")[2]);
    const connect = async (opts: Parameters<typeof ScriptedSwitch.connect>[1]) => {
      const up = nextEvent(c, (e) => e.type === "switch_connected" && e.dpid === opts.dpid);
      const sw = await ScriptedSwitch.connect({ port: p }, opts);
      switches.push(sw);
      await up;
      return sw;
    };
    // A speaks 1.3 and B 1.0, so both encodings of every message are exercised.
    const a = await connect({ dpid: DP_A, version: 4, bitmapVersions: [4], ports: [port(1, "vm"), port(2, "client"), port(3, "gre-b")] });
    const b = await connect({ dpid: DP_B, version: 1, ports: [port(1, "vm"), port(3, "gre-a")] });
    // The VM lives on A port 1 and talks with a client on A port 2: A learns both and installs a flow each way.
    const pin = (inPort: number, frame: Buffer) => a.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: frame.length, reason: 0, table_id: 0, cookie: 0n, match: { in_port: inPort }, data: frame });
    pin(1, ethFrame("ff:ff:ff:ff:ff:ff", VM, 0x0806));
    pin(2, ethFrame(VM, CLIENT, 0x0800));
    pin(1, ethFrame(CLIENT, VM, 0x0800));
    await until("both learned flows on A", () => c.switch(DP_A)!.flows.entries().filter((f) => f.priority === 100).length === 2);
    expect(c.learning.fdb(DP_A).lookup(VM, Date.now())).toBe(1);
    return { c, a, b };
  }

  it("deletes the stale paths, moves the FDB, installs eth_dst flows behind a barrier on each switch, then announces", async () => {
    const { c, a, b } = await setup();
    const markA = a.received.length;
    const markB = b.received.length;
    const event = nextEvent(c, (e) => e.type === "relocation");

    const report = await c.relocate({ mac: VM, ip: VM_IP, routes: [{ dpid: DP_A, port: 3 }, { dpid: DP_B, port: 1 }], announce: { dpid: DP_B, port: 1 } });

    expect(report.switches).toEqual([
      { dpid: DP_A, deletedFlows: 2, installed: true },
      { dpid: DP_B, deletedFlows: 0, installed: true },
    ]);
    expect(report.announced).toBe(true);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(await event).toMatchObject({ type: "relocation", dpid: null, mac: VM, switches: 2, elapsedMs: report.elapsedMs });

    const routeMessages = (got: DecodedMessage[], outPort: number) => {
      expect(got.map((m) => (m.type === "flow_mod" ? `${m.command}` : m.type)).slice(0, 4)).toEqual(["delete", "delete", "add", "barrier_request"]);
      const [delDst, delSrc, add] = got as (FlowModMsg & DecodedMessage)[];
      expect(delDst).toMatchObject({ match: { eth_dst: VM } });
      expect(delSrc).toMatchObject({ match: { eth_src: VM } });
      expect(add).toMatchObject({ match: { eth_dst: VM }, priority: 90, idle_timeout: 300, hard_timeout: 0, flags: 1, cookie: COOKIE });
      expect(outputs(add!)).toEqual([outPort]);
    };
    const gotA = a.received.slice(markA);
    routeMessages(gotA, 3);
    expect(gotA).toHaveLength(4);
    // 1.3 deletes only our cookie's flows (1.0 has no cookie filter on delete).
    for (const d of gotA.slice(0, 2)) expect(d).toMatchObject({ cookie: COOKIE, cookie_mask: 0xffff_ffff_ffff_ffffn });

    const gotB = b.received.slice(markB);
    routeMessages(gotB, 1);
    expect(gotB.slice(4).map((m) => m.type)).toEqual(["packet_out", "packet_out", "barrier_request"]);
    const [rarp, garp] = gotB.slice(4, 6) as (PacketOutMsg & DecodedMessage)[];
    for (const po of [rarp!, garp!]) {
      expect(po.in_port).toBe(1);
      expect(po.buffer_id).toBe(0xffffffff);
      expect(outputs(po)).toEqual([OFPP_FLOOD]);
    }
    expect(rarp!.data.equals(rarpAnnounce(VM))).toBe(true);
    expect(garp!.data.equals(gratuitousArp(VM, VM_IP))).toBe(true);

    // The FDB follows, and the flow mirror shows the new path only.
    expect(c.learning.fdb(DP_A).lookup(VM, Date.now())).toBe(3);
    expect(c.learning.fdb(DP_B).lookup(VM, Date.now())).toBe(1);
    const aFlows = c.switch(DP_A)!.flows.entries().filter((f) => f.match.eth_dst === VM || f.match.eth_src === VM);
    expect(aFlows.map((f) => [f.priority, f.match, outputs(f)])).toEqual([[90, { eth_dst: VM }, [3]]]);

    // A frame from the VM arriving at A over the tunnel is not a move: nothing is deleted.
    const mark2 = a.received.length;
    a.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: 60, reason: 0, table_id: 0, cookie: 0n, match: { in_port: 3 }, data: ethFrame(CLIENT, VM, 0x0800) });
    const fm = (await a.waitFor((m) => a.received.indexOf(m) >= mark2 && m.type === "flow_mod")) as FlowModMsg;
    expect(fm).toMatchObject({ command: "add", priority: 100, match: { in_port: 3, eth_src: VM, eth_dst: CLIENT } });
    expect(a.received.slice(mark2).some((m) => m.type === "flow_mod" && m.command === "delete")).toBe(false);
  });

  it("with the destination's tunnels given, also installs the VM's return path to the client it was talking with, on both switches, in the same batch", async () => {
    const { c, a, b } = await setup();
    const markA = a.received.length;
    const markB = b.received.length;
    // The VM moves to B port 1; B reaches A through its port 3, A reaches B through its port 3.
    await c.relocate({ mac: VM, routes: [{ dpid: DP_A, port: 3 }, { dpid: DP_B, port: 1 }], announce: { dpid: DP_B, port: 1 }, tunnelsFromDestination: [{ dpid: DP_A, port: 3 }] });
    const adds = (got: DecodedMessage[]) => got.filter((m): m is FlowModMsg & DecodedMessage => m.type === "flow_mod" && m.command === "add").map((m) => [m.priority, m.match, outputs(m)]);
    const gotB = b.received.slice(markB);
    expect(adds(gotB)).toEqual([
      [90, { eth_dst: VM }, [1]],
      [100, { in_port: 1, eth_src: VM, eth_dst: CLIENT }, [3]],
    ]);
    const gotA = a.received.slice(markA);
    expect(adds(gotA)).toEqual([
      [90, { eth_dst: VM }, [3]],
      [100, { in_port: 3, eth_src: VM, eth_dst: CLIENT }, [2]],
    ]);
    // After the deletes and before the barrier that confirms the relocation.
    for (const got of [gotA, gotB]) expect(got.findIndex((m) => m.type === "barrier_request")).toBeGreaterThan(got.findLastIndex((m) => m.type === "flow_mod"));
    expect(c.learning.fdb(DP_B).lookup(CLIENT, Date.now())).toBe(3);
  });

  it("a frame the VM sent from its old port just before the move reaches the client but does not move the VM back", async () => {
    const { c, a } = await setup();
    // The VM left A's port 1; A now reaches it through the tunnel (port 3).
    await c.relocate({ mac: VM, routes: [{ dpid: DP_A, port: 3 }] });
    const mark = a.received.length;
    // A reply the VM sent before it paused, read by the controller after the relocation.
    a.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: 60, reason: 0, table_id: 0, cookie: 0n, match: { in_port: 1 }, data: ethFrame(CLIENT, VM, 0x0800) });
    const po = (await a.waitFor((m) => a.received.indexOf(m) >= mark && m.type === "packet_out")) as PacketOutMsg;
    expect(outputs(po)).toEqual([2]);
    expect(a.received.slice(mark).filter((m) => m.type === "flow_mod")).toEqual([]);
    expect(c.learning.fdb(DP_A).lookup(VM, Date.now())).toBe(3);
    expect(c.switch(DP_A)!.flows.entries().filter((f) => f.match.eth_dst === VM).map((f) => [f.priority, outputs(f)])).toEqual([[90, [3]]]);
  });

  it("reports a switch that is not connected, or that refuses a flow, without failing the others", async () => {
    const { c, a, b } = await setup();
    // B refuses the relocation flow (as a switch would for a port it does not have), before its barrier reply.
    const framer = new OfpFramer();
    b.socket.prependListener("data", (chunk: Buffer) => {
      for (const f of framer.push(chunk).frames) {
        const m = decodeMessage(f);
        if (m.type === "flow_mod" && m.command === "add" && m.priority === 90) b.send({ type: "error", xid: m.xid, error_type: 2, code: 4, data: f.subarray(0, 64) });
      }
    });
    const errors: ControllerEvent[] = [];
    const off = c.events.on((e) => e.type === "error" && errors.push(e));
    const report = await c.relocate({ mac: VM, routes: [{ dpid: "00000000000000ff", port: 1 }, { dpid: DP_A, port: 3 }, { dpid: DP_B, port: 9 }], announce: { dpid: "00000000000000fe", port: 1 } });
    off();

    expect(report.switches[0]).toEqual({ dpid: "00000000000000ff", deletedFlows: 0, installed: false, error: "not connected" });
    expect(report.switches[1]).toEqual({ dpid: DP_A, deletedFlows: 2, installed: true });
    expect(report.switches[2]).toMatchObject({ dpid: DP_B, installed: false, error: expect.stringMatching(/refused flow_mod add: error type 2 code 4/) });
    expect(report.announced).toBe(false);
    expect(errors.map((e) => (e as { message: string }).message)).toContainEqual(expect.stringMatching(/could not announce 52:54:00:00:0d:01.*not connected/));
    expect(a.received.some((m) => m.type === "packet_out" && m.data.equals(rarpAnnounce(VM)))).toBe(false);
    expect(c.events.totals.relocation).toBe(1);
    expect(c.events.recent().at(-1)).toMatchObject({ type: "relocation", switches: 1 });
  });

  it("rejects a malformed request before touching any switch", async () => {
    const { c, a } = await setup();
    const mark = a.received.length;
    await expect(c.relocate({ mac: "not-a-mac", routes: [{ dpid: DP_A, port: 3 }] })).rejects.toThrow(/bad MAC/);
    await expect(c.relocate({ mac: VM, routes: [{ dpid: DP_A, port: 0 }] })).rejects.toThrow(/bad port/);
    expect(a.received.length).toBe(mark);
    expect(c.learning.fdb(DP_A).lookup(VM, Date.now())).toBe(1);
  });
});

const unavailable = ovsUnavailableReason();

describe.skipIf(unavailable).each([
  { protocol: "OpenFlow10", version: 1 },
  { protocol: "OpenFlow13", version: 4 },
])("relocation on real Open vSwitch, $protocol", ({ protocol, version }) => {
  let ovs: OvsInstance | undefined;
  let controller: OpenFlowController | undefined;
  const hosts: NsHost[] = [];
  let h1: NsHost; // the client
  let h2: NsHost; // the VM where it was
  let h3: NsHost; // the VM where it is now: same MAC and IP as h2
  const dpid = version === 1 ? "0000000000000d10" : "0000000000000d13";
  const ofctl = (args: string[]) => sh("ovs-ofctl", ["-O", protocol, ...args]);
  const mgmt = () => `unix:${path.join(ovs!.dir, "br0.mgmt")}`;
  const vmMac = "52:54:00:00:0d:02";
  const vmIp = "10.0.13.2";
  const linkDown = (portNo: number) => ((controller!.switch(dpid)?.ports.get(portNo)?.state ?? 1) & 1) === 1;

  beforeAll(async () => {
    ovs = await startOvs({ withVswitchd: true });
    const sock = path.join(ovs.dir, "of.sock");
    controller = new OpenFlowController({
      listen: [{ kind: "unix", path: sock }],
      datapath: { flowStatsIntervalMs: 0, echoIntervalMs: 1000, echoTimeoutMs: 5000, requestTimeoutMs: 5000 },
    });
    await controller.start();
    h1 = await createHost({ prefix: "fr-h1", switchNs: ovs.netns!, ip: "10.0.13.1", mac: "52:54:00:00:0d:aa" });
    hosts.push(h1);
    h2 = await createHost({ prefix: "fr-h2", switchNs: ovs.netns!, ip: vmIp, mac: vmMac });
    hosts.push(h2);
    h3 = await createHost({ prefix: "fr-h3", switchNs: ovs.netns!, ip: vmIp, mac: vmMac });
    hosts.push(h3);
    // Only one copy of the VM may run: h3 stays down until the move.
    await h3.exec("ip", ["link", "set", "eth0", "down"]);
    const up = nextEvent(controller, (e) => e.type === "switch_connected", 15_000, "switch to connect");
    await ovs.vsctl(secureBridgeArgs({ dpid: dpid, protocols: protocol, ports: [h1.switchPort, h2.switchPort, h3.switchPort], controller: `unix:${sock}` }));
    expect(await up).toMatchObject({ dpid, version });
  }, 60_000);

  afterAll(async () => {
    for (const h of hosts.splice(0)) await h.remove();
    await controller?.stop();
    await ovs?.stop();
  }, 60_000);

  it("makes the moved VM reachable on the first packet, through a priority-90 flow, with no relearning", async () => {
    const c = controller!;
    expect(await h1.exec("ping", ["-c", "3", "-i", "0.2", "-W", "2", vmIp])).toMatch(/3 packets transmitted, 3 received/);
    const dp = c.switch(dpid)!;
    expect(dp.flows.entries().filter((f) => f.priority === 100 && f.match.eth_dst === vmMac).map((f) => outputs(f))).toEqual([[2]]);

    // The move: the VM stops at h2 and resumes at h3. OVS must see it (link state of both veths).
    await h2.exec("ip", ["link", "set", "eth0", "down"]);
    await h3.exec("ip", ["link", "set", "eth0", "up"]);
    await until("OVS to see h2's port down and h3's up", () => linkDown(2) && !linkDown(3), 10_000);
    // Without relocation the learned flow still sends h1's traffic into h2's dead port.
    await expect(h1.exec("ping", ["-c", "1", "-W", "1", vmIp])).rejects.toThrow();

    const packetIns: ControllerEvent[] = [];
    const replyPacketIns: ControllerEvent[] = [];
    const errors: ControllerEvent[] = [];
    const off = c.events.on((e) => {
      if (e.type === "packet_in" && e.eth_dst === vmMac) packetIns.push(e);
      if (e.type === "packet_in" && e.eth_src === vmMac && e.eth_dst === "52:54:00:00:0d:aa") replyPacketIns.push(e);
      if (e.type === "error") errors.push(e);
    });
    try {
      const rx0 = Number(await h1.exec("cat", ["/sys/class/net/eth0/statistics/rx_packets"]));
      const report = await c.relocate({ mac: vmMac, ip: vmIp, routes: [{ dpid, port: 3 }], announce: { dpid, port: 3 } });
      expect(report.switches).toEqual([{ dpid, deletedFlows: 2, installed: true }]);
      expect(report.announced).toBe(true);
      // The RARP and the gratuitous ARP reached the client, as if the VM had sent them.
      await until("announcements at h1", async () => Number(await h1.exec("cat", ["/sys/class/net/eth0/statistics/rx_packets"])) - rx0 >= 2, 3000);

      const flows = (await ofctl(["dump-flows", mgmt()])).split("\n").filter((l) => l.includes(vmMac));
      expect(flows.some((l) => new RegExp(`priority=90,dl_dst=${vmMac} actions=output:3$`).test(l.trim()))).toBe(true);
      expect(flows.filter((l) => /output:2\b|in_port=2\b/.test(l))).toEqual([]);

      // The VM's return path to the client it was talking with is installed too, as learning would have.
      expect(flows.filter((l) => /priority=100,in_port=3,/.test(l) && l.includes(`dl_src=${vmMac},dl_dst=52:54:00:00:0d:aa`)).map((l) => l.trim().split(" ").pop())).toEqual(["actions=output:1"]);

      expect(await h1.exec("ping", ["-c", "1", "-W", "1", vmIp])).toMatch(/1 packets transmitted, 1 received/);
      // Nothing toward the VM needed the controller (the proactive flow carried it), and nothing
      // back from it either (the return path did).
      expect(packetIns).toEqual([]);
      expect(replyPacketIns).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      off();
    }
  });
});
