import { describe, expect, it } from "vitest";
import type { FlowEntry } from "../flow-table";
import { OFPP_CONTROLLER, type FlowStats } from "../openflow";
import { isFerryCookie, reconcile } from "./reconcile";

const COOKIE = 0xfe77_0000_0000_0001n;
const A = "52:54:00:00:00:0a";
const B = "52:54:00:00:00:0b";
const C = "52:54:00:00:00:0c";

function stats(priority: number, match: FlowStats["match"], out: number, cookie = COOKIE, v13 = true): FlowStats {
  const actions = [{ type: "output" as const, port: out, max_len: 0xffff }];
  return {
    table_id: 0,
    duration_sec: 5,
    duration_nsec: 0,
    priority,
    idle_timeout: 60,
    hard_timeout: 0,
    flags: 1,
    cookie,
    packet_count: 3n,
    byte_count: 300n,
    match,
    ...(v13 ? { instructions: [{ type: "apply_actions" as const, actions }] } : { actions }),
  };
}

function entry(priority: number, match: FlowStats["match"], out: number): FlowEntry {
  return { table_id: 0, priority, match, cookie: COOKIE, idle_timeout: 60, hard_timeout: 0, flags: 1, actions: [{ type: "output", port: out }], packet_count: 0n, byte_count: 0n, installedAt: 0 };
}

const base = { cookie: COOKIE, learnedPriority: 100, version: 4, ports: new Set([1, 2, 3]) };
const tableMiss = stats(0, {}, OFPP_CONTROLLER);

describe("reconcile on connect", () => {
  it("a fresh controller adopts consistent learned and relocation flows and re-learns their MACs, deleting nothing", () => {
    const plan = reconcile({
      ...base,
      switchFlows: [tableMiss, stats(100, { in_port: 1, eth_src: A, eth_dst: B }, 2), stats(100, { in_port: 2, eth_src: B, eth_dst: A }, 1), stats(90, { eth_dst: C }, 3)],
    });
    expect(plan).toMatchObject({ mods: [], adopted: 3, removed: 0, reinstalled: 0, hasTableMiss: true });
    expect(plan.locations.sort((x, y) => x.mac.localeCompare(y.mac))).toEqual([
      { mac: A, port: 1 },
      { mac: B, port: 2 },
      { mac: C, port: 3 },
    ]);
  });

  it("deletes our flows of unknown shape, on missing ports, with another Ferry cookie, and leaves foreign cookies alone", () => {
    const odd = stats(50, { in_port: 2 }, 1);
    const missingPort = stats(100, { in_port: 1, eth_src: A, eth_dst: B }, 9);
    const otherFerry = stats(100, { in_port: 1, eth_src: A, eth_dst: C }, 3, 0xfe77_0000_0000_00ffn);
    const foreign = stats(40, { in_port: 2 }, 1, 5n);
    const plan = reconcile({ ...base, switchFlows: [odd, missingPort, otherFerry, foreign] });
    expect(plan.removed).toBe(3);
    expect(plan.mods.map((m) => [m.command, m.priority, m.cookie, m.cookie_mask])).toEqual([
      ["delete_strict", 50, COOKIE, 0xffffffffffffffffn],
      ["delete_strict", 100, COOKIE, 0xffffffffffffffffn],
      ["delete_strict", 100, 0xfe77_0000_0000_00ffn, 0xffffffffffffffffn],
    ]);
    expect(plan.hasTableMiss).toBe(false);
  });

  it("a MAC the switch's own flows place on two ports is in doubt: those flows go, the others stay", () => {
    const plan = reconcile({
      ...base,
      switchFlows: [stats(100, { in_port: 1, eth_src: A, eth_dst: B }, 2), stats(90, { eth_dst: B }, 3), stats(100, { in_port: 3, eth_src: C, eth_dst: A }, 1)],
    });
    expect(plan.removed).toBe(2);
    expect(plan.adopted).toBe(1);
    expect(plan.locations).toEqual([
      { mac: C, port: 3 },
      { mac: A, port: 1 },
    ]);
  });

  it("what the controller remembers wins: contradicting flows go, lost flows are installed again", () => {
    const plan = reconcile({
      ...base,
      remembered: [entry(100, { in_port: 1, eth_src: A, eth_dst: B }, 2), entry(90, { eth_dst: C }, 3), entry(0, {}, OFPP_CONTROLLER)],
      // B moved to port 3 as far as this stale flow says; the controller knows it is on 2.
      switchFlows: [stats(100, { in_port: 1, eth_src: A, eth_dst: B }, 3)],
    });
    expect(plan.removed).toBe(1);
    expect(plan.reinstalled).toBe(2);
    expect(plan.mods.map((m) => `${m.command}/${m.priority}/${JSON.stringify(m.match)}/${JSON.stringify(m.actions)}`)).toEqual([
      `delete_strict/100/${JSON.stringify({ in_port: 1, eth_src: A, eth_dst: B })}/[]`,
      `add/100/${JSON.stringify({ in_port: 1, eth_src: A, eth_dst: B })}/[{"type":"output","port":2}]`,
      `add/90/${JSON.stringify({ eth_dst: C })}/[{"type":"output","port":3}]`,
    ]);
    expect(plan.mods[1]).toMatchObject({ cookie: COOKIE, idle_timeout: 60, flags: 1 });
  });

  it("does not re-install what the switch still has, nor flows whose port is gone", () => {
    const plan = reconcile({
      ...base,
      ports: new Set([1, 2]),
      remembered: [entry(100, { in_port: 1, eth_src: A, eth_dst: B }, 2), entry(90, { eth_dst: C }, 3)],
      switchFlows: [stats(100, { in_port: 1, eth_src: A, eth_dst: B }, 2, COOKIE, false)],
    });
    expect(plan).toMatchObject({ mods: [], adopted: 1, reinstalled: 0, removed: 0 });
  });

  it("knows Ferry's cookie range", () => {
    expect(isFerryCookie(COOKIE)).toBe(true);
    expect(isFerryCookie(5n)).toBe(false);
  });
});
