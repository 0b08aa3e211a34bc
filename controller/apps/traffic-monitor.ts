// The paper's traffic monitor: packets and bytes sent by each source MAC. A flow's counters
// count once: while it lives, from the latest flow-stats poll; when it is removed, from its
// FLOW_REMOVED, which then moves them into the MAC's settled total.
import type { FlowRemovedMsg, FlowStats, Match } from "../openflow";

export interface MacCounters {
  mac: string;
  packets: bigint;
  bytes: bigint;
  /** Flows for this source currently installed (as of the last poll). */
  liveFlows: number;
}

function flowKey(dpid: string, tableId: number, priority: number, match: Match): string {
  return `${dpid}|${tableId}|${priority}|${match.in_port ?? "*"}|${match.eth_src}|${match.eth_dst ?? "*"}`;
}

export class TrafficMonitor {
  /** Counters of flows that were removed, per source MAC. */
  private readonly settled = new Map<string, { packets: bigint; bytes: bigint }>();
  /** Latest counters of live flows, per switch, keyed by flow. */
  private readonly live = new Map<string, Map<string, { mac: string; packets: bigint; bytes: bigint }>>();

  constructor(private readonly cookie?: bigint) {}

  private ours(cookie: bigint): boolean {
    return this.cookie === undefined || cookie === this.cookie;
  }

  /** A complete flow-stats reply from one switch replaces what was known of its live flows. */
  onFlowStats(dpid: string, flows: readonly FlowStats[]): void {
    const table = new Map<string, { mac: string; packets: bigint; bytes: bigint }>();
    for (const f of flows) {
      if (!f.match.eth_src || !this.ours(f.cookie)) continue;
      table.set(flowKey(dpid, f.table_id, f.priority, f.match), { mac: f.match.eth_src, packets: f.packet_count, bytes: f.byte_count });
    }
    this.live.set(dpid, table);
  }

  onFlowRemoved(dpid: string, msg: FlowRemovedMsg): void {
    const mac = msg.match.eth_src;
    if (!mac || !this.ours(msg.cookie)) return;
    this.live.get(dpid)?.delete(flowKey(dpid, msg.table_id ?? 0, msg.priority, msg.match));
    const s = this.settled.get(mac) ?? { packets: 0n, bytes: 0n };
    this.settled.set(mac, { packets: s.packets + msg.packet_count, bytes: s.bytes + msg.byte_count });
  }

  dropSwitch(dpid: string): void {
    this.live.delete(dpid);
  }

  counters(): MacCounters[] {
    const out = new Map<string, MacCounters>();
    const get = (mac: string) => {
      let c = out.get(mac);
      if (!c) out.set(mac, (c = { mac, packets: 0n, bytes: 0n, liveFlows: 0 }));
      return c;
    };
    for (const [mac, s] of this.settled) {
      const c = get(mac);
      c.packets += s.packets;
      c.bytes += s.bytes;
    }
    for (const table of this.live.values()) {
      for (const f of table.values()) {
        const c = get(f.mac);
        c.packets += f.packets;
        c.bytes += f.bytes;
        c.liveFlows++;
      }
    }
    return [...out.values()].sort((a, b) => a.mac.localeCompare(b.mac));
  }

  countersFor(mac: string): MacCounters {
    return this.counters().find((c) => c.mac === mac) ?? { mac, packets: 0n, bytes: 0n, liveFlows: 0 };
  }
}
