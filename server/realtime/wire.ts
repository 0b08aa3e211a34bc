// JSON-safe shapes of controller data for Socket.IO and tRPC: bigints become decimal strings,
// flows are rendered in ovs-ofctl syntax.
import type { ControllerEvent } from "../../controller/events";
import type { FlowEntry } from "../../controller/flow-table";
import { formatActions, formatInstructions, formatMatch } from "../../controller/openflow/ofctl";

export interface WireFlow {
  cookie: string;
  tableId: number;
  priority: number;
  durationS: number;
  packets: string;
  bytes: string;
  idleTimeout: number;
  hardTimeout: number;
  /** ovs-ofctl match text, e.g. "priority=100,in_port=1,dl_src=…". */
  match: string;
  /** ovs-ofctl actions text, e.g. "output:2". */
  actions: string;
  /** Stable identity of the flow within its switch (table/priority/match). */
  key: string;
}

/** One controller event as the Events page shows it: time, switch, type, one-line summary. */
export interface WireEvent {
  type: ControllerEvent["type"];
  at: number;
  dpid: string | null;
  summary: string;
  /** MACs the event concerns, for filtering. */
  macs: string[];
}

function flow(e: FlowEntry, version = 0x04, now = Date.now()): WireFlow {
  const actions = e.instructions ? formatInstructions(e.instructions) : formatActions(e.actions ?? []);
  const match = formatMatch(e.match, e.priority, version);
  return {
    cookie: "0x" + e.cookie.toString(16),
    tableId: e.table_id,
    priority: e.priority,
    durationS: Math.max(0, (now - e.installedAt) / 1000),
    packets: e.packet_count.toString(),
    bytes: e.byte_count.toString(),
    idleTimeout: e.idle_timeout,
    hardTimeout: e.hard_timeout,
    match,
    actions,
    key: `${e.table_id}/${match}`,
  };
}

const REASONS_IN = ["no_match", "action", "invalid_ttl"];
const REASONS_REMOVED = ["idle_timeout", "hard_timeout", "delete", "group_delete"];

function event(e: ControllerEvent): WireEvent {
  const base = { type: e.type, at: e.at, dpid: e.dpid };
  switch (e.type) {
    case "packet_in":
      return {
        ...base,
        summary: `${e.eth_src || "?"} → ${e.eth_dst || "?"} type=0x${e.eth_type.toString(16).padStart(4, "0")} in_port=${e.in_port} reason=${REASONS_IN[e.reason] ?? e.reason} len=${e.length}`,
        macs: [e.eth_src, e.eth_dst].filter(Boolean),
      };
    case "flow_mod":
      return { ...base, summary: `${e.command} cookie=0x${e.cookie.toString(16)} ${e.summary}`, macs: macsIn(e.summary) };
    case "flow_removed":
      return {
        ...base,
        summary: `${REASONS_REMOVED[e.reason] ?? e.reason} ${e.summary} n_packets=${e.packets} n_bytes=${e.bytes}`,
        macs: macsIn(e.summary),
      };
    case "switch_connected":
      return { ...base, summary: `connected from ${e.remote}, OpenFlow ${e.version === 1 ? "1.0" : "1.3"}, ${e.ports.length} ports`, macs: [] };
    case "switch_disconnected":
      return { ...base, summary: e.reason, macs: [] };
    case "port_status":
      return { ...base, summary: `port ${e.port.port_no} (${e.port.name}) ${e.reason}`, macs: [e.port.hw_addr] };
    case "flow_table":
      return { ...base, summary: `${e.changes.length} flow(s) changed`, macs: [] };
    case "error":
      return { ...base, summary: e.message, macs: [] };
    case "relocation":
      return { ...base, summary: `relocated ${e.mac} on ${e.switches} switch(es) in ${e.elapsedMs} ms`, macs: [e.mac] };
  }
}

function macsIn(text: string): string[] {
  return text.match(/[0-9a-f]{2}(:[0-9a-f]{2}){5}/g) ?? [];
}

export const toWire = { flow, event };
