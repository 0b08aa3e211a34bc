// Live updates for `migrate --watch` and `events`: the dashboard's Socket.IO stream, authenticated
// by the same session cookie, with bounded waits for the connection and each subscription.
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, RoomName, ServerToClientEvents } from "../realtime/events";
import { CLIENT_HEADER, CLIENT_NAME } from "./api";

export type FerrySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export const CONNECT_TIMEOUT_MS = 10_000;

export async function connectRealtime(server: string, cookie: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<FerrySocket> {
  const socket: FerrySocket = io(server, {
    path: "/socket.io",
    transports: ["websocket", "polling"],
    extraHeaders: { cookie, [CLIENT_HEADER]: CLIENT_NAME },
    timeout: timeoutMs,
    reconnectionDelayMax: 2_000,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no live connection to ${server} within ${timeoutMs / 1000} s`)), timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("connect_error", (err) => {
        clearTimeout(timer);
        reject(new Error(err.message === "unauthorized" ? `not signed in to ${server} (or the session ended): run "ferry login"` : `live connection to ${server} failed: ${err.message}`));
      });
    });
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}

export async function subscribe(socket: FerrySocket, room: RoomName, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const res = await socket.timeout(timeoutMs).emitWithAck("subscribe", room);
  if (!res.ok) throw new Error(`could not follow ${room}: ${res.error}`);
}
