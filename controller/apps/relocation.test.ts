import { describe, expect, it } from "vitest";
import { OFPP_FLOOD, OFP_NO_BUFFER, type FlowModMsg } from "../openflow";
import { gratuitousArp, rarpAnnounce } from "../packet";
import { ethFrame } from "../testing/frames";
import { LearningSwitch, OFPFF_SEND_FLOW_REM } from "./learning-switch";
import { announcementPacketOuts, normaliseRelocation, relocationFlowMods, relocationPriority, returnPathFlowMods } from "./relocation";

const VM = "52:54:00:00:0c:01";
const C = "52:54:00:00:0c:99";
const DP = "0000000000000001";

function ls(flowPriority = 100) {
  return new LearningSwitch({ agingMs: 300_000, flowIdleTimeout: 60, flowPriority, cookie: 0x77n });
}
const pin = (in_port: number, data: Buffer, now = 1000) => ({ dpid: DP, in_port, buffer_id: OFP_NO_BUFFER, data, now });

describe("relocation flows", () => {
  it("deletes our flows to and from the MAC, then adds eth_dst → port at 90 with SEND_FLOW_REM", () => {
    const mods = relocationFlowMods(ls(), VM, 3, 300);
    expect(mods.map((m) => [m.command, m.match, m.cookie])).toEqual([
      ["delete", { eth_dst: VM }, 0x77n],
      ["delete", { eth_src: VM }, 0x77n],
      ["add", { eth_dst: VM }, 0x77n],
    ]);
    expect(mods[0]!.cookie_mask).toBe(0xffff_ffff_ffff_ffffn);
    expect(mods[2]).toMatchObject({ priority: 90, idle_timeout: 300, hard_timeout: 0, flags: OFPFF_SEND_FLOW_REM, table_id: 0, actions: [{ type: "output", port: 3 }] });
  });

  it("stays below the learned flows whatever their configured priority", () => {
    expect(relocationPriority(100)).toBe(90);
    expect(relocationPriority(50)).toBe(49);
    expect(relocationPriority(1)).toBe(1);
    expect(relocationFlowMods(ls(60), VM, 1, 10)[2]!.priority).toBe(59);
  });

  it("announces with a RARP and, given an IP, a gratuitous ARP, flooded from the VM's port", () => {
    const outs = announcementPacketOuts(VM, "10.0.0.7", 5);
    expect(outs).toHaveLength(2);
    for (const po of outs) expect(po).toMatchObject({ type: "packet_out", buffer_id: OFP_NO_BUFFER, in_port: 5, actions: [{ type: "output", port: OFPP_FLOOD }] });
    expect(outs[0]!.data.equals(rarpAnnounce(VM))).toBe(true);
    expect(outs[1]!.data.equals(gratuitousArp(VM, "10.0.0.7"))).toBe(true);
    expect(announcementPacketOuts(VM, undefined, 5).map((p) => p.data.readUInt16BE(12))).toEqual([0x8035]);
  });
});

describe("relocation requests", () => {
  it("canonicalises the MAC and defaults the idle timeout", () => {
    const r = normaliseRelocation({ mac: VM.toUpperCase(), routes: [{ dpid: DP, port: 2 }] });
    expect(r).toEqual({ mac: VM, ip: undefined, routes: [{ dpid: DP, port: 2 }], announce: undefined, tunnelsFromDestination: [], idleTimeout: 300 });
  });

  it("rejects what cannot be a location", () => {
    const ok = { mac: VM, routes: [{ dpid: DP, port: 2 }] };
    expect(() => normaliseRelocation({ ...ok, mac: "52:54:00" })).toThrow(/bad MAC/);
    expect(() => normaliseRelocation({ ...ok, mac: "ff:ff:ff:ff:ff:ff" })).toThrow(/group address/);
    expect(() => normaliseRelocation({ ...ok, ip: "10.0.0" })).toThrow(/bad IPv4/);
    expect(() => normaliseRelocation({ ...ok, routes: [{ dpid: DP, port: 0 }] })).toThrow(/bad port/);
    expect(() => normaliseRelocation({ ...ok, routes: [{ dpid: DP, port: OFPP_FLOOD }] })).toThrow(/bad port/);
    expect(() => normaliseRelocation({ ...ok, routes: [{ dpid: DP, port: 1 }, { dpid: DP, port: 2 }] })).toThrow(/twice/);
    expect(() => normaliseRelocation({ ...ok, announce: { dpid: DP, port: 1.5 } })).toThrow(/bad port/);
    expect(() => normaliseRelocation({ ...ok, idleTimeout: 70_000 })).toThrow(/idle timeout/);
  });
});

describe("FDB relocation", () => {
  it("moves the entry without reporting a move, so the next frames forward there without deletes or flooding", () => {
    const sw = ls();
    sw.onPacketIn(pin(1, ethFrame("ff:ff:ff:ff:ff:ff", VM, 0x0806)));
    sw.onPacketIn(pin(2, ethFrame("ff:ff:ff:ff:ff:ff", C, 0x0806)));
    sw.relocate(DP, VM, 3, 2000);
    expect(sw.fdb(DP).lookup(VM, 2000)).toBe(3);

    // Toward the VM: a flow to the new port.
    const toVm = sw.onPacketIn(pin(2, ethFrame(VM, C, 0x0800), 2001));
    expect(toVm.map((m) => m.type)).toEqual(["flow_mod", "packet_out"]);
    expect((toVm[0] as FlowModMsg).actions).toEqual([{ type: "output", port: 3 }]);
    // From the VM on its new port: not a move, so no deletes.
    const fromVm = sw.onPacketIn(pin(3, ethFrame(C, VM, 0x0800), 2002));
    expect(fromVm.filter((m) => m.type === "flow_mod" && m.command === "delete")).toEqual([]);
  });
});

describe("return paths of a moved VM", () => {
  const D = "00000000000000bb"; // the destination switch: VM on port 1, tunnel to A on 7, a local peer on 4
  const A = "00000000000000aa"; // the old switch: the client C on port 2, tunnel to D on 9
  const X = "00000000000000cc"; // a switch with no tunnel from D
  const L = "52:54:00:00:0c:44";
  const routes = [{ dpid: D, port: 1 }, { dpid: A, port: 9 }, { dpid: X, port: 5 }];
  const tunnels = [{ dpid: A, port: 7 }];
  const shape = (m: Map<string, FlowModMsg[]>) => Object.fromEntries([...m].map(([dpid, fms]) => [dpid, fms.map((f) => [f.priority, f.idle_timeout, f.match, f.actions])]));

  it("a peer on another switch: the destination sends to its tunnel, that switch from its tunnel to the peer's port, with the learned flows' shape", () => {
    const { flows, destinationFdb } = returnPathFlowMods(ls(), VM, { dpid: D, port: 1 }, routes, tunnels, [{ mac: C, dpid: A, port: 2 }]);
    expect(shape(flows)).toEqual({
      [D]: [[100, 60, { in_port: 1, eth_src: VM, eth_dst: C }, [{ type: "output", port: 7 }]]],
      [A]: [[100, 60, { in_port: 9, eth_src: VM, eth_dst: C }, [{ type: "output", port: 2 }]]],
    });
    expect(flows.get(D)![0]).toMatchObject({ cookie: 0x77n, flags: OFPFF_SEND_FLOW_REM, command: "add" });
    expect(destinationFdb).toEqual([{ mac: C, port: 7 }]);
  });

  it("a peer on the destination itself gets one flow there and no FDB change", () => {
    const { flows, destinationFdb } = returnPathFlowMods(ls(), VM, { dpid: D, port: 1 }, routes, tunnels, [{ mac: L, dpid: D, port: 4 }]);
    expect(shape(flows)).toEqual({ [D]: [[100, 60, { in_port: 1, eth_src: VM, eth_dst: L }, [{ type: "output", port: 4 }]]] });
    expect(destinationFdb).toEqual([]);
  });

  it("leaves to learning a peer behind a switch with no tunnel from the destination, the VM itself and group addresses", () => {
    const { flows, destinationFdb } = returnPathFlowMods(ls(), VM, { dpid: D, port: 1 }, routes, tunnels, [
      { mac: C, dpid: X, port: 2 },
      { mac: VM, dpid: A, port: 2 },
      { mac: "01:00:5e:00:00:01", dpid: A, port: 2 },
    ]);
    expect(flows.size).toBe(0);
    expect(destinationFdb).toEqual([]);
  });

  it("rejects a malformed tunnel list before anything is sent", () => {
    expect(() => normaliseRelocation({ mac: VM, routes: [], tunnelsFromDestination: [{ dpid: A, port: 0 }] })).toThrow(/bad port/);
  });
});
