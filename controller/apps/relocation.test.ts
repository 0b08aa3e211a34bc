import { describe, expect, it } from "vitest";
import { OFPP_FLOOD, OFP_NO_BUFFER, type FlowModMsg } from "../openflow";
import { gratuitousArp, rarpAnnounce } from "../packet";
import { ethFrame } from "../testing/frames";
import { LearningSwitch, OFPFF_SEND_FLOW_REM } from "./learning-switch";
import { announcementPacketOuts, normaliseRelocation, relocationFlowMods, relocationPriority } from "./relocation";

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
    expect(r).toEqual({ mac: VM, ip: undefined, routes: [{ dpid: DP, port: 2 }], announce: undefined, idleTimeout: 300 });
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
