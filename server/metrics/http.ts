// GET /metrics in Prometheus' text format. Outside the sign-in gate (a scraper has no session),
// so it guards itself: with FERRY_METRICS_TOKEN set, a Bearer token; without, loopback peers only.
import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";

export const METRICS_PATH = "/metrics";

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4 === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function sameSecret(given: string, expected: string): boolean {
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Why this request may not read the metrics, or null when it may. */
export function metricsRefusal(req: Pick<IncomingMessage, "headers" | "socket">, token: string | undefined): { status: 401 | 403; message: string } | null {
  if (token) {
    const header = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m && sameSecret(m[1]!, token) ? null : { status: 401, message: "metrics need Authorization: Bearer <FERRY_METRICS_TOKEN>" };
  }
  // A proxy on this machine would make every client look local: forwarded requests need a token.
  const forwarded = req.headers["x-forwarded-for"] !== undefined || req.headers.forwarded !== undefined;
  if (forwarded || !isLoopback(req.socket.remoteAddress)) {
    return { status: 403, message: "metrics answer loopback clients only; set FERRY_METRICS_TOKEN to scrape from elsewhere" };
  }
  return null;
}

export async function serveMetrics(req: IncomingMessage, res: ServerResponse, registry: Registry, token: string | undefined): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
    res.end("method not allowed\n");
    return;
  }
  const refusal = metricsRefusal(req, token);
  if (refusal) {
    const headers: Record<string, string> = { "content-type": "text/plain", "cache-control": "no-store" };
    if (refusal.status === 401) headers["www-authenticate"] = 'Bearer realm="ferry-metrics"';
    res.writeHead(refusal.status, headers);
    res.end(`${refusal.message}\n`);
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
}
