import { describe, expect, it } from "vitest";
import { FlowTable, matchCovers, matchKey } from "./flow-table";
import type { FlowModMsg, FlowStats } from "./openflow";

const A = "52:54:00:00:00:0a";
const B = "52:54:00:00:00:0b";

function add(match: FlowModMsg["match"], port: number, priority = 100, cookie = 7n): FlowModMsg {
  return { type: "flow_mod", xid: 0, command: "add", cookie, table_id: 0, idle_timeout: 60, hard_timeout: 0, priority, buffer_id: 0xffffffff, out_port: 0xffffffff, flags: 1, match, actions: [{ type: "output", port }] };
}
function del(match: FlowModMsg["match"], extra: Partial<FlowModMsg> = {}): FlowModMsg {
  return { ...add(match, 0), command: "delete", actions: [], ...extra };
}

describe("flow-table mirror", () => {
  it("keys matches canonically, whatever the field order", () => {
    expect(matchKey({ eth_src: A, in_port: 1 })).toBe(matchKey({ in_port: 1, eth_src: A, oxm_order: ["eth_src", "in_port"] }));
    expect(matchKey({ in_port: 1 })).not.toBe(matchKey({ in_port: 2 }));
  });

  it("adds, replaces an identical flow, and deletes non-strictly by covering match", () => {
    const t = new FlowTable();
    expect(t.applyFlowMod(add({ in_port: 1, eth_src: A, eth_dst: B }, 2), 0)[0]!.kind).toBe("added");
    expect(t.applyFlowMod(add({ in_port: 1, eth_src: A, eth_dst: B }, 3), 0)[0]!.kind).toBe("modified");
    t.applyFlowMod(add({ in_port: 2, eth_src: B, eth_dst: A }, 1), 0);
    expect(t.size).toBe(2);
    const removed = t.applyFlowMod(del({ eth_dst: B }), 0);
    expect(removed.map((c) => c.entry.match.eth_dst)).toEqual([B]);
    expect(t.size).toBe(1);
  });

  it("honours cookie masks and strict deletes", () => {
    const t = new FlowTable();
    t.applyFlowMod(add({ eth_dst: B }, 2, 100, 7n), 0);
    t.applyFlowMod(add({ eth_dst: B }, 2, 200, 8n), 0);
    expect(t.applyFlowMod(del({}, { cookie: 8n, cookie_mask: 0xffffffffffffffffn }), 0)).toHaveLength(1);
    expect(t.entries().map((e) => e.cookie)).toEqual([7n]);
    expect(t.applyFlowMod(del({ eth_dst: B }, { command: "delete_strict", priority: 999 }), 0)).toHaveLength(0);
    expect(t.applyFlowMod(del({ eth_dst: B }, { command: "delete_strict", priority: 100 }), 0)).toHaveLength(1);
  });

  it("removes a flow on FLOW_REMOVED with its final counters", () => {
    const t = new FlowTable();
    t.applyFlowMod(add({ in_port: 1, eth_dst: B }, 2), 0);
    const ch = t.applyFlowRemoved({ type: "flow_removed", xid: 0, cookie: 7n, priority: 100, reason: 0, table_id: 0, duration_sec: 3, duration_nsec: 0, idle_timeout: 60, packet_count: 9n, byte_count: 900n, match: { eth_dst: B, in_port: 1 } });
    expect(ch).toEqual([expect.objectContaining({ kind: "removed", entry: expect.objectContaining({ packet_count: 9n }) })]);
    expect(t.size).toBe(0);
  });

  it("takes flow stats as the truth and reports added, modified and removed flows", () => {
    const t = new FlowTable();
    t.applyFlowMod(add({ eth_dst: A }, 1), 0);
    t.applyFlowMod(add({ eth_dst: B }, 2), 0);
    const s = (match: FlowStats["match"], port: number, packets: bigint): FlowStats => ({
      table_id: 0, duration_sec: 2, duration_nsec: 500_000_000, priority: 100, idle_timeout: 60, hard_timeout: 0, cookie: 7n, packet_count: packets, byte_count: packets * 100n, match,
      instructions: [{ type: "apply_actions", actions: [{ type: "output", port }] }],
    });
    const changes = t.replaceFromStats([s({ eth_dst: B }, 2, 5n), s({ in_port: 9 }, 3, 0n)], 10_000);
    expect(changes.map((c) => [c.kind, matchKey(c.entry.match)]).sort()).toEqual([
      ["added", "in_port=9"],
      ["modified", `eth_dst=${B}`],
      ["removed", `eth_dst=${A}`],
    ]);
    expect(t.entries().find((e) => e.match.in_port === 9)!.installedAt).toBe(7_500);
    // Same stats again: nothing changed.
    expect(t.replaceFromStats([s({ eth_dst: B }, 2, 5n), s({ in_port: 9 }, 3, 0n)], 11_000)).toEqual([]);
  });

  it("finds a strict delete's flow by its key, without reading the other flows' matches", () => {
    const t = new FlowTable();
    let reads = 0;
    // Each entry's match counts how often its fields are listed (what keying a match does).
    const counted = (m: FlowModMsg["match"]) => new Proxy(m, { ownKeys: (o) => (reads++, Reflect.ownKeys(o)) });
    const mac = (i: number) => `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
    for (let i = 0; i < 10_000; i++) t.applyFlowMod(add(counted({ eth_dst: mac(i) }), 1), 0);
    reads = 0;
    const removed = t.applyFlowMod(del({ eth_dst: mac(4321) }, { command: "delete_strict" }), 0);
    expect(removed.map((c) => c.entry.match.eth_dst)).toEqual([mac(4321)]);
    expect(t.size).toBe(9_999);
    expect(reads).toBe(0);
    // A strict delete with another cookie under a full mask names no flow.
    expect(t.applyFlowMod(del({ eth_dst: mac(1) }, { command: "delete_strict", cookie: 8n, cookie_mask: 0xffffffffffffffffn }), 0)).toEqual([]);
    expect(t.size).toBe(9_999);
  });

  it("re-reading the same stats reports nothing; a changed action is reported as modified", () => {
    const t = new FlowTable();
    const s = (port: number): FlowStats => ({
      table_id: 0, duration_sec: 1, duration_nsec: 0, priority: 5, idle_timeout: 0, hard_timeout: 0, cookie: 7n, packet_count: 3n, byte_count: 300n, match: { eth_dst: A },
      instructions: [{ type: "apply_actions", actions: [{ type: "set_field", field: "eth_src", value: B }, { type: "output", port, max_len: undefined }] }],
    } as FlowStats);
    t.replaceFromStats([s(1)], 0);
    expect(t.replaceFromStats([s(1)], 1_000)).toEqual([]);
    expect(t.replaceFromStats([s(2)], 2_000).map((c) => c.kind)).toEqual(["modified"]);
  });

  it("covers: every field named by the filter must agree", () => {
    expect(matchCovers({}, { in_port: 1 })).toBe(true);
    expect(matchCovers({ eth_src: A }, { in_port: 1, eth_src: A })).toBe(true);
    expect(matchCovers({ eth_src: A, in_port: 2 }, { in_port: 1, eth_src: A })).toBe(false);
  });
});
