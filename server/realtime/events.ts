// Every Socket.IO event, typed once; the browser imports these as types only.
// Rooms: "migration:<id>", "switch:<dpid>" and "events" (joined with `subscribe`).
import type { WireEvent, WireFlow } from "./wire";
import type { MigrationEvent } from "../migration/orchestrator";

export interface ServerHello {
  username: string;
  role: "admin" | "viewer";
  serverTime: string;
}

export interface ServerToClientEvents {
  hello: (info: ServerHello) => void;
  /** The server is shutting down; the client should expect a reconnect. */
  shutdown: (info: { reason: string }) => void;
  /** Room migration:<id>: phase changes and progress samples of that migration. */
  migration: (event: MigrationEvent) => void;
  /** A migration started, changed phase or ended (sent to everyone, for lists). */
  migrationsChanged: (info: { id: string; status: string; phase: string }) => void;
  /** A switch connected, disconnected or changed a port (sent to everyone). */
  switchChanged: (info: { dpid: string; at: number; change: "switch_connected" | "switch_disconnected" | "port_status" }) => void;
  /** Room switch:<dpid>: flows added, modified or removed in that switch's table. */
  flowTable: (info: { dpid: string; at: number; changes: { kind: "added" | "modified" | "removed"; flow: WireFlow }[] }) => void;
  /** Room events: every 250 ms, exact counts per type and a bounded sample of the events themselves. */
  eventBatch: (batch: { at: number; windowMs: number; counts: Partial<Record<WireEvent["type"], number>>; events: WireEvent[]; totals: Record<WireEvent["type"], number> }) => void;
}

export type RoomName = `migration:${string}` | `switch:${string}` | "events";

export interface ClientToServerEvents {
  subscribe: (room: RoomName, ack: (res: { ok: true } | { ok: false; error: string }) => void) => void;
  unsubscribe: (room: RoomName) => void;
}

export interface SocketData {
  userId: string;
  username: string;
  role: "admin" | "viewer";
  sessionId: string;
}
