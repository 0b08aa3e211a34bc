import type { IncomingMessage } from "node:http";

/**
 * The peer's address. X-Forwarded-For is ignored on purpose: trusting it would let a client pick
 * the IP the login rate limiter counts against. Behind a proxy, limit at the proxy too.
 */
export function clientIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}
