import "server-only";
import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import type { Services } from "../services";
import { readCookie, resolveSession, SESSION_COOKIE } from "../auth/sessions";
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from "./events";

export type FerryIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const ROOM = /^(migration:[\w-]{1,64}|switch:[0-9a-f]{16}|events)$/;

/** Socket.IO on the same HTTP server; a connection without a valid session cookie is refused. */
export function attachRealtime(http: HttpServer, services: Services): FerryIo {
  const io: FerryIo = new Server(http, {
    path: "/socket.io",
    serveClient: false,
    // Same-origin only: the dashboard is served by this server.
    cors: { origin: false },
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
