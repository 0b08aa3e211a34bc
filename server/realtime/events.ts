// Every Socket.IO event, typed once; the browser imports these as types only.
// Rooms: "migration:<id>" and "switch:<dpid>" (joined with `subscribe`).

export interface ServerHello {
  username: string;
  role: "admin" | "viewer";
  serverTime: string;
}

export interface ServerToClientEvents {
  hello: (info: ServerHello) => void;
  /** The server is shutting down; the client should expect a reconnect. */
  shutdown: (info: { reason: string }) => void;
}

export type RoomName = `migration:${string}` | `switch:${string}`;

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
