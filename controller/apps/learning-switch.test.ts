import { describe, expect, it } from "vitest";
import { OFPP_FLOOD, OFP_NO_BUFFER, type FlowModMsg, type PacketOutMsg } from "../openflow";
import { Fdb, LearningSwitch, OFPFF_SEND_FLOW_REM } from "./learning-switch";
import { arpRequest, ethFrame } from "../testing/frames";

const A = "52:54:00:00:00:0a";
const B = "52:54:00:00:00:0b";
const DP = "0000000000000001";

function ls() {
  return new LearningSwitch({ agingMs: 300_000, flowIdleTimeout: 60, flowPriority: 100, cookie: 0x77n });
}
const pin = (in_port: number, data: Buffer, now = 1000) => ({ dpid: DP, in_port, buffer_id: OFP_NO_BUFFER, data, now });

describe("learning switch", () => {
  it("floods a broadcast, carrying the frame itself, and learns the sender", () => {
    const sw = ls();
    const frame = arpRequest(A, "10.0.0.1", "10.0.0.2");
    const out = sw.onPacketIn(pin(1, frame));
    expect(out).toHaveLength(1);
    const po = out[0] as PacketOutMsg;
    expect(po).toMatchObject({ type: "packet_out", in_port: 1, buffer_id: OFP_NO_BUFFER, actions: [{ type: "output", port: OFPP_FLOOD }] });
    expect(po.data.equals(frame)).toBe(true);
    expect(sw.fdb(DP).lookup(A, 1000)).toBe(1);
  });

  it("floods a unicast to an unknown MAC", () => {
    const out = ls().onPacketIn(pin(1, ethFrame(B, A, 0x0800)));
    expect(out.map((m) => m.type)).toEqual(["packet_out"]);
    expect((out[0] as PacketOutMsg).actions).toEqual([{ type: "output", port: OFPP_FLOOD }]);
  });

  it("installs an (in_port, eth_src, eth_dst) flow with idle timeout and SEND_FLOW_REM once the destination is known", () => {
    const sw = ls();
    sw.onPacketIn(pin(2, ethFrame("ff:ff:ff:ff:ff:ff", B, 0x0806)));
    const out = sw.onPacketIn(pin(1, ethFrame(B, A, 0x0800)));
    expect(out.map((m) => m.type)).toEqual(["flow_mod", "packet_out"]);
    const fm = out[0] as FlowModMsg;
    expect(fm).toMatchObject({
      command: "add",
      cookie: 0x77n,
      priority: 100,
      idle_timeout: 60,
      hard_timeout: 0,
      flags: OFPFF_SEND_FLOW_REM,
      match: { in_port: 1, eth_src: A, eth_dst: B },
      actions: [{ type: "output", port: 2 }],
    });
    expect((out[1] as PacketOutMsg).actions).toEqual([{ type: "output", port: 2 }]);
  });

  it("floods a frame from a tunnel only to the given local ports (split horizon)", () => {
    const out = ls().onPacketIn({ ...pin(7, arpRequest(A, "10.0.0.1", "10.0.0.2")), floodPorts: [1, 2] });
    expect((out[0] as PacketOutMsg).actions).toEqual([
      { type: "output", port: 1 },
      { type: "output", port: 2 },
    ]);
    // No local port: nothing to send at all.
    expect(ls().onPacketIn({ ...pin(7, arpRequest(A, "10.0.0.1", "10.0.0.2")), floodPorts: [] })).toEqual([]);
  });

  it("keeps one FDB per switch", () => {
    const sw = ls();
    sw.onPacketIn(pin(2, ethFrame("ff:ff:ff:ff:ff:ff", B, 0x0806)));
    const other = sw.onPacketIn({ ...pin(1, ethFrame(B, A, 0x0800)), dpid: "0000000000000002" });
    expect(other.map((m) => m.type)).toEqual(["packet_out"]);
  });

  it("removes stale flows for a MAC that shows up on a new port, then forwards to the new port", () => {
    const sw = ls();
    sw.onPacketIn(pin(2, ethFrame("ff:ff:ff:ff:ff:ff", B, 0x0806)));
    const moved = sw.onPacketIn(pin(3, ethFrame("ff:ff:ff:ff:ff:ff", B, 0x0806)));
    const deletes = moved.filter((m): m is FlowModMsg => m.type === "flow_mod");
    expect(deletes.map((d) => [d.command, d.match, d.cookie])).toEqual([
      ["delete", { eth_dst: B }, 0x77n],
      ["delete", { eth_src: B }, 0x77n],
    ]);
    const out = sw.onPacketIn(pin(1, ethFrame(B, A, 0x0800)));
    expect((out[0] as FlowModMsg).actions).toEqual([{ type: "output", port: 3 }]);
  });

  it("drops reserved 802.1D group frames (LLDP/STP) and frames from group source addresses", () => {
    const sw = ls();
    expect(sw.onPacketIn(pin(1, ethFrame("01:80:c2:00:00:0e", A, 0x88cc)))).toEqual([]);
    expect(sw.onPacketIn(pin(1, ethFrame(B, "01:00:5e:00:00:01", 0x0800)))).toEqual([]);
    expect(sw.fdb(DP).size).toBe(0);
  });

  it("ignores a frame too short to be Ethernet", () => {
    expect(ls().onPacketIn(pin(1, Buffer.alloc(10)))).toEqual([]);
  });

  it("does nothing when the destination sits behind the ingress port", () => {
    const sw = ls();
    sw.onPacketIn(pin(1, ethFrame("ff:ff:ff:ff:ff:ff", B, 0x0806)));
    expect(sw.onPacketIn(pin(1, ethFrame(B, A, 0x0800)))).toEqual([]);
  });
});

describe("FDB aging", () => {
  it("forgets entries older than the aging time, lazily and on sweep", () => {
    const f = new Fdb(300_000);
    f.learn(A, 1, 0);
    f.learn(B, 2, 200_000);
    expect(f.lookup(A, 300_000)).toBe(1);
    expect(f.lookup(A, 300_001)).toBeUndefined();
    expect(f.expire(500_001)).toBe(1);
    expect(f.size).toBe(0);
  });

  it("reports a move only when the port changes", () => {
    const f = new Fdb(1000);
    expect(f.learn(A, 1, 0)).toBeUndefined();
    expect(f.learn(A, 1, 10)).toBeUndefined();
    expect(f.learn(A, 4, 20)).toBe(1);
  });
});

describe("a relocated MAC held against frames from its old place", () => {
  // The VM (A) lived behind the tunnel (port 9) and was relocated to local port 3; the client B is on port 2.
  function relocated() {
    const sw = new LearningSwitch({ agingMs: 300_000, flowIdleTimeout: 60, flowPriority: 100, cookie: 0x77n, relocationHoldMs: 2000 });
    sw.onPacketIn(pin(9, ethFrame(B, A, 0x0800), 0));
    sw.onPacketIn(pin(2, ethFrame(A, B, 0x0800), 0));
    sw.relocateAndHold(DP, A, 3, 1000);
    return sw;
  }
  const deletes = (out: ReturnType<LearningSwitch["onPacketIn"]>) => out.filter((m) => m.type === "flow_mod" && m.command === "delete");

  it("a frame the VM sent from its old port before the relocation was confirmed is delivered but neither moves it back nor deletes the relocation's flow", () => {
    const sw = relocated();
    const out = sw.onPacketIn(pin(9, ethFrame(B, A, 0x0800), 5_000));
    expect(deletes(out)).toEqual([]);
    expect(out.map((m) => m.type)).toEqual(["packet_out"]);
    expect((out[0] as PacketOutMsg).actions).toEqual([{ type: "output", port: 2 }]);
    expect(sw.fdb(DP).lookup(A, 5_000)).toBe(3);
    // Traffic toward the VM goes to its new port.
    const toVm = sw.onPacketIn(pin(2, ethFrame(A, B, 0x0800), 5_001));
    expect((toVm[0] as FlowModMsg).actions).toEqual([{ type: "output", port: 3 }]);
  });

  it("once confirmed, the hold lasts relocationHoldMs; after it a frame from another port is a move again", () => {
    const sw = relocated();
    sw.confirmHold(DP, A, 3, 10_000);
    expect(deletes(sw.onPacketIn(pin(9, ethFrame(B, A, 0x0800), 11_999)))).toEqual([]);
    expect(sw.fdb(DP).lookup(A, 11_999)).toBe(3);
    const out = sw.onPacketIn(pin(9, ethFrame(B, A, 0x0800), 12_001));
    expect(deletes(out).map((m) => (m as FlowModMsg).match)).toEqual([{ eth_dst: A }, { eth_src: A }]);
    expect(sw.fdb(DP).lookup(A, 12_001)).toBe(9);
  });

  it("frames from the VM on its new port are learned and get flows as usual", () => {
    const sw = relocated();
    const out = sw.onPacketIn(pin(3, ethFrame(B, A, 0x0800), 1_500));
    expect(out.map((m) => m.type)).toEqual(["flow_mod", "packet_out"]);
    expect((out[0] as FlowModMsg).match).toEqual({ in_port: 3, eth_src: A, eth_dst: B });
  });

  it("a plain relocate (a reconnect's reconciliation) holds nothing: a frame elsewhere is a move", () => {
    const sw = ls();
    sw.relocate(DP, A, 3, 1000);
    expect(deletes(sw.onPacketIn(pin(9, ethFrame(B, A, 0x0800), 1001)))).toHaveLength(2);
    expect(sw.fdb(DP).lookup(A, 1001)).toBe(9);
  });

  it("a later relocation replaces the hold, and a dropped switch forgets it", () => {
    const sw = relocated();
    sw.relocateAndHold(DP, A, 9, 2000);
    expect(deletes(sw.onPacketIn(pin(3, ethFrame(B, A, 0x0800), 2001)))).toEqual([]);
    expect(sw.fdb(DP).lookup(A, 2001)).toBe(9);
    sw.dropSwitch(DP);
    sw.onPacketIn(pin(3, ethFrame(B, A, 0x0800), 2002));
    expect(sw.fdb(DP).lookup(A, 2002)).toBe(3);
  });
});
