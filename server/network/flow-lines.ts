// Mirrored flows as `ovs-ofctl dump-flows` lines: the switch page, `ferry flows` and the
// migration's network snapshot all print them the same way.
import "server-only";
import { formatFlowStats } from "../../controller/openflow/ofctl";
import type { FlowEntry } from "../../controller/flow-table";

/** One `ovs-ofctl dump-flows` line for a mirrored flow. */
export function dumpFlowsLine(f: FlowEntry, version: number, now: number): string {
  const ms = Math.max(0, Math.round(now - f.installedAt));
  return formatFlowStats(
    { ...f, duration_sec: Math.floor(ms / 1000), duration_nsec: (ms % 1000) * 1_000_000, flags: version === 1 ? 0 : f.flags },
    { version },
  );
}

/** A snapshot keeps at most this many lines per switch (a VM has a handful; a flood of learned flows must not bloat the row). */
export const SNAPSHOT_LINES_PER_SWITCH = 50;

export interface SwitchFlowLines {
  dpid: string;
  /** The host the switch belongs to, as the registry has it (null: unknown switch). */
  host: string | null;
  flows: string[];
  /** Matching flows left out beyond the cap. */
  omitted: number;
}

export interface NetworkSnapshot {
  mac: string;
  before: SwitchFlowLines[];
  after: SwitchFlowLines[];
  /** ISO time the 'after' half was taken. */
  takenAt: string;
}

/**
 * The lines of the flows that match `mac` as source or destination, whatever their cookie,
 * ordered as a reader scans a table (table, then priority high to low), at most `cap`.
 */
export function macFlowLines(entries: readonly FlowEntry[], mac: string, version: number, now: number, cap = SNAPSHOT_LINES_PER_SWITCH): { flows: string[]; omitted: number } {
  const want = mac.toLowerCase();
  const hits = entries
    .filter((f) => f.match.eth_src?.toLowerCase() === want || f.match.eth_dst?.toLowerCase() === want)
    .sort((a, b) => a.table_id - b.table_id || b.priority - a.priority);
  return { flows: hits.slice(0, cap).map((f) => dumpFlowsLine(f, version, now)), omitted: Math.max(0, hits.length - cap) };
}

/** Reads a stored snapshot; anything malformed reads as none rather than failing the page. */
export function parseNetworkSnapshot(text: string | null | undefined): NetworkSnapshot | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<NetworkSnapshot>;
    const side = (x: unknown): SwitchFlowLines[] | null =>
      Array.isArray(x) && x.every((s) => s && typeof s.dpid === "string" && Array.isArray(s.flows) && s.flows.every((l: unknown) => typeof l === "string"))
        ? x.map((s) => ({ dpid: s.dpid, host: typeof s.host === "string" ? s.host : null, flows: s.flows, omitted: typeof s.omitted === "number" ? s.omitted : 0 }))
        : null;
    const before = side(v.before);
    const after = side(v.after);
    if (typeof v.mac !== "string" || !before || !after || typeof v.takenAt !== "string") return null;
    return { mac: v.mac, before, after, takenAt: v.takenAt };
  } catch {
    return null;
  }
}
