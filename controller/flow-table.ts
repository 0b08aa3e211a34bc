// A mirror of one switch's flow table, kept from the FLOW_MODs this controller sends, the
// FLOW_REMOVEDs the switch reports, and periodic flow-stats replies (which are the truth and
// correct anything the first two missed). Pure bookkeeping; every update returns its changes.
import { OFP_NO_BUFFER, OFPP_ANY, type Action, type FlowModMsg, type FlowRemovedMsg, type FlowStats, type Instruction, type Match } from "./openflow";

export interface FlowEntry {
  table_id: number;
  priority: number;
  match: Match;
  cookie: bigint;
  idle_timeout: number;
  hard_timeout: number;
  flags: number;
  actions?: Action[];
  instructions?: Instruction[];
  packet_count: bigint;
  byte_count: bigint;
  /** When the entry was installed, ms since the epoch (derived from duration for polled flows). */
  installedAt: number;
}

export type FlowChange = { kind: "added" | "modified" | "removed"; entry: FlowEntry };

const ALL_COOKIES = 0n;

/** The FLOW_MOD that removes exactly this flow (same table, priority, match and cookie). */
export function deleteStrict(f: FlowStats): FlowModMsg {
  return {
    type: "flow_mod",
    xid: 0,
    command: "delete_strict",
    cookie: f.cookie,
    cookie_mask: 0xffff_ffff_ffff_ffffn,
    table_id: f.table_id,
    idle_timeout: 0,
    hard_timeout: 0,
    priority: f.priority,
    buffer_id: OFP_NO_BUFFER,
    out_port: OFPP_ANY,
    out_group: OFPP_ANY,
    flags: 0,
    match: f.match,
    actions: [],
  };
}

/** Canonical text of a match: field order and codec-only bookkeeping do not matter. */
export function matchKey(m: Match): string {
  const parts: string[] = [];
  for (const k of Object.keys(m).sort()) {
    if (k === "oxm_order") continue;
    const v = (m as Record<string, unknown>)[k];
    if (v === undefined) continue;
    parts.push(`${k}=${k === "oxm_raw" ? JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)) : String(v)}`);
  }
  return parts.join(",");
}

export function flowKey(e: { table_id?: number; priority: number; match: Match }): string {
  return `${e.table_id ?? 0}/${e.priority}/${matchKey(e.match)}`;
}

/** True if every field the filter names has the same value in the entry (non-strict semantics). */
export function matchCovers(filter: Match, entry: Match): boolean {
  for (const k of Object.keys(filter) as (keyof Match)[]) {
    if (k === "oxm_order" || k === "oxm_raw") continue;
    const fv = filter[k];
    if (fv === undefined) continue;
    if (String(entry[k]) !== String(fv)) return false;
  }
  return true;
}

export class FlowTable {
  private flows = new Map<string, FlowEntry>();

  get size(): number {
    return this.flows.size;
  }

  entries(): FlowEntry[] {
    return [...this.flows.values()];
  }

  /** Applies a FLOW_MOD we sent, as the switch will. */
  applyFlowMod(fm: FlowModMsg, now: number): FlowChange[] {
    switch (fm.command) {
      case "add": {
        // An add is keyed: it replaces at most the one entry with the same table, priority and match.
        const table = fm.table_id ?? 0;
        const key = flowKey({ table_id: table, priority: fm.priority, match: fm.match });
        const existed = this.flows.has(key);
        const entry: FlowEntry = {
          table_id: table,
          priority: fm.priority,
          match: fm.match,
          cookie: fm.cookie,
          idle_timeout: fm.idle_timeout,
          hard_timeout: fm.hard_timeout,
          flags: fm.flags,
          actions: fm.actions,
          instructions: fm.instructions,
          packet_count: 0n,
          byte_count: 0n,
          installedAt: now,
        };
        this.flows.set(key, entry);
        return [{ kind: existed ? "modified" : "added", entry }];
      }
      case "modify":
      case "modify_strict": {
        const changes: FlowChange[] = [];
        for (const [key, e] of this.selected(fm)) {
          const entry = { ...e, actions: fm.actions, instructions: fm.instructions };
          this.flows.set(key, entry);
          changes.push({ kind: "modified", entry });
        }
        return changes;
      }
      case "delete":
      case "delete_strict": {
        const changes: FlowChange[] = [];
        for (const [key, e] of this.selected(fm)) {
          if (fm.out_port !== undefined && fm.out_port !== 0xffffffff && !outputsTo(e, fm.out_port)) continue;
          this.flows.delete(key);
          changes.push({ kind: "removed", entry: e });
        }
        return changes;
      }
    }
  }

  /** The entries a modify/delete FLOW_MOD applies to (a snapshot, so the caller may change the map). */
  private selected(fm: FlowModMsg): [string, FlowEntry][] {
    const table = fm.table_id ?? 0;
    const strict = fm.command === "modify_strict" || fm.command === "delete_strict";
    if (strict && fm.table_id !== undefined && fm.table_id !== 0xff) {
      // Strict in one table names at most one entry, found by its key: a reconciliation deleting
      // thousands of flows would otherwise scan the whole table for each.
      const key = flowKey({ table_id: table, priority: fm.priority, match: fm.match });
      const e = this.flows.get(key);
      return e && cookieSelects(fm, e) ? [[key, e]] : [];
    }
    const strictKey = strict ? matchKey(fm.match) : "";
    const out: [string, FlowEntry][] = [];
    for (const [key, e] of this.flows) {
      if (fm.table_id !== undefined && fm.table_id !== 0xff && e.table_id !== table) continue;
      if (!cookieSelects(fm, e)) continue;
      if (strict ? e.priority === fm.priority && matchKey(e.match) === strictKey : matchCovers(fm.match, e.match)) out.push([key, e]);
    }
    return out;
  }

  applyFlowRemoved(msg: FlowRemovedMsg): FlowChange[] {
    const key = flowKey({ table_id: msg.table_id ?? 0, priority: msg.priority, match: msg.match });
    const e = this.flows.get(key);
    if (!e) return [];
    this.flows.delete(key);
    return [{ kind: "removed", entry: { ...e, packet_count: msg.packet_count, byte_count: msg.byte_count } }];
  }

  /** Replaces the mirror with a complete flow-stats reply and reports what differed. */
  replaceFromStats(stats: readonly FlowStats[], now: number): FlowChange[] {
    const next = new Map<string, FlowEntry>();
    const changes: FlowChange[] = [];
    for (const s of stats) {
      const entry: FlowEntry = {
        table_id: s.table_id,
        priority: s.priority,
        match: s.match,
        cookie: s.cookie,
        idle_timeout: s.idle_timeout,
        hard_timeout: s.hard_timeout,
        flags: s.flags ?? 0,
        actions: s.actions,
        instructions: s.instructions,
        packet_count: s.packet_count,
        byte_count: s.byte_count,
        installedAt: now - (s.duration_sec * 1000 + Math.floor(s.duration_nsec / 1e6)),
      };
      const key = flowKey(entry);
      const prev = this.flows.get(key);
      next.set(key, entry);
      if (!prev) changes.push({ kind: "added", entry });
      else if (prev.packet_count !== entry.packet_count || prev.cookie !== entry.cookie || !sameValue(allActions(prev), allActions(entry))) {
        changes.push({ kind: "modified", entry });
      }
    }
    for (const [key, e] of this.flows) if (!next.has(key)) changes.push({ kind: "removed", entry: e });
    this.flows = next;
    return changes;
  }

  clear(): FlowChange[] {
    const changes = this.entries().map((entry) => ({ kind: "removed" as const, entry }));
    this.flows.clear();
    return changes;
  }
}

function allActions(e: FlowEntry): Action[] {
  const out: Action[] = [...(e.actions ?? [])];
  for (const i of e.instructions ?? []) if (i.type === "apply_actions" || i.type === "write_actions") out.push(...i.actions);
  return out;
}

/** A FLOW_MOD's cookie and mask select the entry (no mask: every entry). */
function cookieSelects(fm: FlowModMsg, e: FlowEntry): boolean {
  return !fm.cookie_mask || fm.cookie_mask === ALL_COOKIES || (e.cookie & fm.cookie_mask) === (fm.cookie & fm.cookie_mask);
}

function outputsTo(e: FlowEntry, port: number): boolean {
  return allActions(e).some((a) => a.type === "output" && a.port === port);
}

/**
 * Structural equality of decoded values (arrays, plain objects, Buffers, bigints); a property
 * holding undefined counts as absent. Runs for every flow of every poll, so no serialising.
 */
function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
  if (Buffer.isBuffer(x) || Buffer.isBuffer(y)) return Buffer.isBuffer(x) && Buffer.isBuffer(y) && x.equals(y);
  if (Array.isArray(x) || Array.isArray(y)) {
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameValue(x[i], y[i])) return false;
    return true;
  }
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  for (const k in a) if (!sameValue(a[k], b[k])) return false;
  for (const k in b) if (!(k in a) && b[k] !== undefined) return false;
  return true;
}
