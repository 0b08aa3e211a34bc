import "server-only";
import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import type { Services } from "../services";
import { readCookie, resolveSession, SESSION_COOKIE, type Role } from "../auth/sessions";
import { isOwnOrigin } from "../auth/same-origin";
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from "./events";

export type FerryIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const ROOM = /^(migration:[\w-]{1,64}|switch:[0-9a-f]{16}|events)$/;

/**
 * Every event a client may send, with the lowest role allowed to send it. Anything else is refused
 * before a handler runs; an event that changes something must say "admin" here.
 */
export const CLIENT_EVENT_ROLES: Record<keyof ClientToServerEvents, Role> = {
  subscribe: "viewer",
  unsubscribe: "viewer",
};

/** Socket.IO on the same HTTP server; a connection without a valid session cookie is refused. */
export function attachRealtime(http: HttpServer, services: Services): FerryIo {
  const io: FerryIo = new Server(http, {
    path: "/socket.io",
    serveClient: false,
    // Same-origin only: the dashboard is served by this server.
    cors: { origin: false },
    // A page on another site must not open a stream with the user's cookie: when a browser names
    // its origin, it must be this server's (clients outside browsers send none).
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, origin === undefined || (req.headers.host !== undefined && isOwnOrigin(origin, req.headers.host)));
    },
  });

  io.use(async (socket, next) => {
    try {
      const session = await resolveSession(services.db, readCookie(socket.handshake.headers.cookie, SESSION_COOKIE));
      if (!session) return next(new Error("unauthorized"));
      socket.data = {
        userId: session.user.id,
        username: session.user.username,
        role: session.user.role,
        sessionId: session.sessionId,
      };
      next();
    } catch {
      next(new Error("unauthorized"));
    }
  });

  io.on("connection", (socket) => {
    socket.use(([event, ...args], next) => {
      const needed = Object.hasOwn(CLIENT_EVENT_ROLES, event) ? CLIENT_EVENT_ROLES[event as keyof ClientToServerEvents] : null;
      if (needed && (needed === "viewer" || socket.data.role === "admin")) return next();
      const ack = args[args.length - 1];
      if (typeof ack === "function") ack({ ok: false, error: needed ? `"${event}" needs the ${needed} role` : `unknown event "${event}"` });
    });
    socket.emit("hello", { username: socket.data.username, role: socket.data.role, serverTime: new Date().toISOString() });
    socket.on("subscribe", (room, ack) => {
      if (typeof room !== "string" || !ROOM.test(room)) {
        if (typeof ack === "function") ack({ ok: false, error: `unknown room "${String(room)}"` });
        return;
      }
      void socket.join(room);
      if (typeof ack === "function") ack({ ok: true });
    });
    socket.on("unsubscribe", (room) => {
      if (typeof room === "string") void socket.leave(room);
    });
  });

  return io;
}

/** Disconnects every socket whose session was ended (sign-out), so a stale tab stops streaming. */
export async function disconnectSession(io: FerryIo, sessionId: string): Promise<void> {
  for (const s of await io.fetchSockets()) {
    if (s.data.sessionId === sessionId) s.disconnect(true);
  }
}
