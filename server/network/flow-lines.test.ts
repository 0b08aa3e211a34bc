import { describe, expect, it } from "vitest";
import type { FlowEntry } from "../../controller/flow-table";
import { macFlowLines, parseNetworkSnapshot, type NetworkSnapshot } from "./flow-lines";

const MAC = "52:54:00:aa:bb:cc";
const NOW = 1_000_000;

function flow(over: Partial<FlowEntry>): FlowEntry {
  return {
    table_id: 0,
    priority: 100,
    match: {},
    cookie: 0n,
    idle_timeout: 0,
    hard_timeout: 0,
    flags: 0,
    actions: [{ type: "output", port: 1, max_len: 0 }],
    packet_count: 0n,
    byte_count: 0n,
    installedAt: NOW - 2500,
    ...over,
  } as FlowEntry;
}

describe("flows for one MAC as ovs-ofctl lines", () => {
  it("keeps flows that match the MAC as source or destination, whatever their cookie, and nothing else", () => {
    const entries = [
      flow({ match: { eth_dst: MAC }, priority: 90, cookie: 0xfe01n, actions: [{ type: "output", port: 7, max_len: 0 }] }),
      flow({ match: { in_port: 3, eth_src: MAC.toUpperCase(), eth_dst: "52:54:00:00:00:01" }, cookie: 0x1n }),
      flow({ match: { eth_dst: "52:54:00:00:00:02" } }),
      flow({ match: {}, priority: 0 }),
    ];
    const { flows, omitted } = macFlowLines(entries, MAC, 4, NOW);
    expect(omitted).toBe(0);
    expect(flows).toHaveLength(2);
    // Higher priority first, as a reader scans a table.
    expect(flows[0]).toMatch(/cookie=0x1, duration=2\.5\d*s, table=0, .*priority=100,in_port=3,dl_src=52:54:00:aa:bb:cc,dl_dst=52:54:00:00:00:01 actions=output:1$/i);
    expect(flows[1]).toMatch(/cookie=0xfe01, .*priority=90,dl_dst=52:54:00:aa:bb:cc actions=output:7$/);
    expect(flows.join("\n")).not.toContain("52:54:00:00:00:02");
  });

  it("caps the lines per switch and says how many were left out", () => {
    const entries = Array.from({ length: 8 }, (_, i) => flow({ match: { in_port: i + 1, eth_dst: MAC } }));
    const { flows, omitted } = macFlowLines(entries, MAC, 4, NOW, 5);
    expect(flows).toHaveLength(5);
    expect(omitted).toBe(3);
  });

  it("reads a stored snapshot back, and reads a malformed one as none", () => {
    const snap: NetworkSnapshot = {
      mac: MAC,
      before: [{ dpid: "00000000fe000101", host: "host-a1", flows: [" cookie=0x0, … actions=output:2"], omitted: 0 }],
      after: [{ dpid: "00000000fe000101", host: null, flows: [], omitted: 0 }],
      takenAt: new Date(NOW).toISOString(),
    };
    expect(parseNetworkSnapshot(JSON.stringify(snap))).toEqual(snap);
    expect(parseNetworkSnapshot(null)).toBeNull();
    expect(parseNetworkSnapshot("{not json")).toBeNull();
    expect(parseNetworkSnapshot(JSON.stringify({ ...snap, after: [{ dpid: 1, flows: [] }] }))).toBeNull();
    expect(parseNetworkSnapshot(JSON.stringify({ ...snap, mac: undefined }))).toBeNull();
  });
});
