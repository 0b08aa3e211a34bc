"use client";
// One Socket.IO connection per tab, shared by every page through context.
import { createContext, useContext, useEffect, useState } from "react";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "@/server/realtime/events";

export type FerrySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type LinkState = "connecting" | "live" | "down";

const Ctx = createContext<{ socket: FerrySocket | null; state: LinkState }>({ socket: null, state: "connecting" });

export function RealtimeProvider({ children }: { children: React.ReactNode }) {
  const [socket, setSocket] = useState<FerrySocket | null>(null);
  const [state, setState] = useState<LinkState>("connecting");

  useEffect(() => {
    const s: FerrySocket = io({ path: "/socket.io", transports: ["websocket", "polling"] });
    s.on("connect", () => setState("live"));
    s.on("disconnect", () => setState("down"));
    s.on("connect_error", (err) => {
      setState("down");
      // The session ended: the sign-in page is the only useful place.
      if (err.message === "unauthorized") window.location.assign("/login");
    });
    setSocket(s);
    return () => {
      s.close();
    };
  }, []);

  return <Ctx.Provider value={{ socket, state }}>{children}</Ctx.Provider>;
}

export function useRealtime() {
  return useContext(Ctx);
}
