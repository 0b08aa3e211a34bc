import { describe, expect, it } from "vitest";
import { TrafficMonitor } from "./traffic-monitor";
import type { FlowRemovedMsg, FlowStats } from "../openflow";

const A = "52:54:00:00:00:0a";
const B = "52:54:00:00:00:0b";
const stats = (src: string, dst: string, packets: bigint, bytes: bigint, cookie = 7n): FlowStats => ({
  table_id: 0,
  duration_sec: 1,
  duration_nsec: 0,
  priority: 100,
  idle_timeout: 60,
  hard_timeout: 0,
  cookie,
  packet_count: packets,
  byte_count: bytes,
  match: { in_port: 1, eth_src: src, eth_dst: dst },
});
const removed = (src: string, dst: string, packets: bigint, bytes: bigint): FlowRemovedMsg => ({
  type: "flow_removed",
  xid: 0,
  cookie: 7n,
  priority: 100,
  reason: 0,
  table_id: 0,
  duration_sec: 5,
  duration_nsec: 0,
  idle_timeout: 60,
  packet_count: packets,
  byte_count: bytes,
  match: { in_port: 1, eth_src: src, eth_dst: dst },
});

describe("traffic monitor", () => {
  it("sums live flow counters per source MAC across switches", () => {
    const m = new TrafficMonitor(7n);
    m.onFlowStats("s1", [stats(A, B, 3n, 300n), stats(B, A, 2n, 200n)]);
    m.onFlowStats("s2", [stats(A, B, 4n, 400n)]);
    expect(m.countersFor(A)).toEqual({ mac: A, packets: 7n, bytes: 700n, liveFlows: 2 });
    expect(m.countersFor(B)).toEqual({ mac: B, packets: 2n, bytes: 200n, liveFlows: 1 });
  });

  it("counts a removed flow once: its final counters replace its last polled ones", () => {
    const m = new TrafficMonitor(7n);
    m.onFlowStats("s1", [stats(A, B, 3n, 300n)]);
    m.onFlowRemoved("s1", removed(A, B, 5n, 500n));
    expect(m.countersFor(A)).toEqual({ mac: A, packets: 5n, bytes: 500n, liveFlows: 0 });
    // A later poll no longer lists the flow: the settled total stays.
    m.onFlowStats("s1", []);
    expect(m.countersFor(A).bytes).toBe(500n);
  });

  it("ignores flows that are not the controller's", () => {
    const m = new TrafficMonitor(7n);
    m.onFlowStats("s1", [stats(A, B, 3n, 300n, 99n)]);
    expect(m.counters()).toEqual([]);
  });
});
