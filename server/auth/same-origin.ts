// Cross-site request forgery guard for state-changing requests. A browser always sends Origin on
// a cross-site POST, and cannot add a custom header cross-site without a CORS preflight, which
// this server never grants. So a request is accepted when its Origin is this server's own, or
// when it carries no Origin but names its client in x-ferry-client (the CLI, scripts, tests).
import type { IncomingHttpHeaders } from "node:http";

export const CLIENT_HEADER = "x-ferry-client";

/** Why the request must be refused, or null when it may proceed. */
export function crossSiteRefusal(headers: IncomingHttpHeaders): string | null {
  const origin = single(headers.origin);
  const host = single(headers.host);
  if (origin !== undefined) {
    if (host && isOwnOrigin(origin, host)) return null;
    return `cross-site request refused: Origin ${origin} is not this server's origin`;
  }
  if (single(headers[CLIENT_HEADER])?.trim()) return null;
  return `request refused: send an Origin header from this server's pages or an ${CLIENT_HEADER} header`;
}

/**
 * Origin is scheme://host[:port]; it must name the host the request was sent to. Both schemes are
 * accepted because behind a TLS-terminating proxy the browser's origin is https while this server
 * speaks plain HTTP; a page on the exact same host and port is this server either way.
 */
export function isOwnOrigin(origin: string, host: string): boolean {
  const m = /^(https?):\/\/([^/?#]+)$/i.exec(origin.trim());
  if (!m) return false;
  return sameHost(m[2]!, host, m[1]!.toLowerCase());
}

function sameHost(originHost: string, host: string, scheme: string): boolean {
  const defaultPort = scheme === "https" ? ":443" : ":80";
  const norm = (h: string) => {
    const lower = h.trim().toLowerCase();
    return lower.endsWith(defaultPort) ? lower.slice(0, -defaultPort.length) : lower;
  };
  return norm(originHost) === norm(host);
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The refusal as a tRPC error body (superjson envelope, one entry per call of a batch), so the
 * dashboard's client shows the message like any other FORBIDDEN error.
 */
export function trpcRefusalBody(url: URL, message: string): string {
  const error = { error: { json: { message, code: -32003, data: { code: "FORBIDDEN", httpStatus: 403 } } } };
  if (url.searchParams.get("batch") !== "1") return JSON.stringify(error);
  const calls = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\/?/, "")).split(",").filter(Boolean);
  return JSON.stringify(calls.map(() => error));
}
