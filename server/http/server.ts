// ONE HTTP server: tRPC at /api/trpc, Socket.IO at /socket.io, a health probe at /healthz,
// and the dashboard pages (Next.js) for everything else — behind a sign-in gate.
import "server-only";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "../api/root";
import { createContext } from "../api/trpc";
import type { Services } from "../services";
import { attachRealtime, type FerryIo } from "../realtime/io";
import { readCookie, resolveSession, SESSION_COOKIE } from "../auth/sessions";
import { crossSiteRefusal, trpcRefusalBody } from "../auth/same-origin";
import type { Registry } from "prom-client";
import { logger as rootLogger, type Logger } from "../log";
import { METRICS_PATH, serveMetrics } from "../metrics/http";

export type PageHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Paths served without a session: the sign-in page and the assets every page needs. */
export function isPublicPath(pathname: string): boolean {
  return (
    pathname === "/login" ||
    pathname.startsWith("/_next/") ||
    pathname.startsWith("/fonts/") ||
    pathname === "/favicon.ico" ||
    pathname === "/icon.svg" ||
    pathname === "/healthz"
  );
}

export interface FerryHttp {
  server: http.Server;
  io: FerryIo;
}

export interface FerryHttpOptions {
  logger?: Logger;
  /** Served at /metrics (guarded by FERRY_METRICS_TOKEN or loopback); absent: 404. */
  metrics?: Registry;
}

export function createFerryHttp(services: Services, pages: PageHandler, opts: FerryHttpOptions = {}): FerryHttp {
  const log = (opts.logger ?? rootLogger).child({ component: "http" });
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: ({ req, res }) => createContext(services, req, res),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") log.error({ procedure: path ?? "?", err: error.cause ?? error }, `tRPC ${path ?? "?"}: ${error.message}`);
    },
  });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error({ method: req.method, path: req.url?.split("?")[0], err }, `request ${req.method} ${req.url?.split("?")[0]} failed`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error");
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/api/trpc" || url.pathname.startsWith("/api/trpc/")) {
      // Every state-changing call must prove it is not a cross-site request (server/auth/same-origin.ts).
      const refusal = req.method === "GET" || req.method === "HEAD" ? null : crossSiteRefusal(req.headers);
      if (refusal) {
        res.writeHead(403, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(trpcRefusalBody(url, refusal));
        return;
      }
      trpc(req, res);
      return;
    }
    if (url.pathname === "/healthz") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ ok: true, subsystems: services.subsystems.list(), ...(services.cluster ? { cluster: services.cluster.status() } : {}) }));
      return;
    }
    if (url.pathname === METRICS_PATH && opts.metrics) {
      await serveMetrics(req, res, opts.metrics, services.env.FERRY_METRICS_TOKEN);
      return;
    }
    if (!isPublicPath(url.pathname)) {
      const session = await resolveSession(services.db, readCookie(req.headers.cookie, SESSION_COOKIE));
      if (!session) {
        const next = url.pathname + url.search;
        res.writeHead(303, { location: `/login${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`, "cache-control": "no-store" });
        res.end();
        return;
      }
    } else if (url.pathname === "/login") {
      const session = await resolveSession(services.db, readCookie(req.headers.cookie, SESSION_COOKIE));
      if (session) {
        res.writeHead(303, { location: "/", "cache-control": "no-store" });
        res.end();
        return;
      }
    }
    await pages(req, res);
  }

  const io = attachRealtime(server, services);
  services.io = io;
  return { server, io };
}
