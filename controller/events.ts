// What the controller tells the outside world. A typed hub: synchronous listeners for the
// server, and a bounded ring of recent events, so a PACKET_IN flood costs a fixed amount of memory.
import type { Reconciliation } from "./datapath";
import type { FlowChange } from "./flow-table";
import type { PortDesc } from "./openflow";

export type ControllerEvent =
  | {
      type: "switch_connected";
      at: number;
      dpid: string;
      version: number;
      remote: string;
      ports: PortDesc[];
      /** What happened to the switch's flows on connect (kept, stale removed, re-installed) and how long it took. */
      reconciliation?: Reconciliation;
    }
  | { type: "switch_disconnected"; at: number; dpid: string; reason: string }
  | { type: "port_status"; at: number; dpid: string; reason: "add" | "delete" | "modify"; port: PortDesc }
  | {
      type: "packet_in";
      at: number;
      dpid: string;
      in_port: number;
      reason: number;
      eth_src: string;
      eth_dst: string;
      eth_type: number;
      length: number;
    }
  | { type: "flow_mod"; at: number; dpid: string; command: string; priority: number; cookie: bigint; summary: string }
  | { type: "flow_removed"; at: number; dpid: string; reason: number; priority: number; cookie: bigint; packets: bigint; bytes: bigint; summary: string }
  | { type: "flow_table"; at: number; dpid: string; changes: FlowChange[] }
  | { type: "error"; at: number; dpid: string | null; message: string }
  /** A MAC moved on the controller's initiative (migration commitment); `switches` = how many applied it. */
  | { type: "relocation"; at: number; dpid: null; mac: string; switches: number; elapsedMs: number };

export type ControllerEventType = ControllerEvent["type"];
type Listener = (e: ControllerEvent) => void;

export class EventHub {
  private readonly ring: (ControllerEvent | undefined)[];
  private head = 0;
  private count = 0;
  private readonly listeners = new Set<Listener>();
  /** Events emitted since start, per type: exact even when the ring forgets old ones. */
  readonly totals: Record<ControllerEventType, number> = {
    switch_connected: 0,
    switch_disconnected: 0,
    port_status: 0,
    packet_in: 0,
    flow_mod: 0,
    flow_removed: 0,
    flow_table: 0,
    error: 0,
    relocation: 0,
  };

  constructor(readonly capacity = 10_000) {
    this.ring = new Array(capacity);
  }

  emit(e: ControllerEvent): void {
    this.totals[e.type]++;
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure must not stop the controller or the other listeners.
      }
    }
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The most recent events, oldest first (at most `limit`). */
  recent(limit = this.capacity): ControllerEvent[] {
    const n = Math.min(limit, this.count);
    const out: ControllerEvent[] = [];
    for (let i = n; i > 0; i--) out.push(this.ring[(this.head - i + this.capacity) % this.capacity]!);
    return out;
  }
}
