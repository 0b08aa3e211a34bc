// Database-backed sessions. The cookie holds a random 32-byte token; the Session row's id is
// the token's SHA-256, so reading the database does not let anyone sign in.
import "server-only";
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db";

export const SESSION_COOKIE = "ferry_session";
export type Role = "admin" | "viewer";

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
}

export interface ResolvedSession {
  sessionId: string;
  expiresAt: Date;
  user: SessionUser;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createSession(
  db: Db,
  userId: string,
  ttlMs: number,
  meta: { ip?: string; userAgent?: string } = {},
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlMs);
  await db.session.create({
    data: { id: hashToken(token), userId, expiresAt, ip: meta.ip, userAgent: meta.userAgent?.slice(0, 300) },
  });
  return { token, expiresAt };
}

/** The session for a cookie token, or null if unknown or expired (expired rows are removed). */
export async function resolveSession(db: Db, token: string | undefined): Promise<ResolvedSession | null> {
  if (!token || token.length > 200) return null;
  const id = hashToken(token);
  const row = await db.session.findUnique({ where: { id }, include: { user: true } });
  if (!row) return null;
  if (row.expiresAt.getTime() <= Date.now()) {
    await db.session.deleteMany({ where: { id } });
    return null;
  }
  return {
    sessionId: row.id,
    expiresAt: row.expiresAt,
    user: { id: row.user.id, username: row.user.username, role: row.user.role === "admin" ? "admin" : "viewer" },
  };
}

export async function deleteSession(db: Db, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

export async function purgeExpiredSessions(db: Db): Promise<number> {
  const res = await db.session.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  return res.count;
}

/** Reads one cookie from a Cookie header without a dependency. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  const attrs = [`${SESSION_COOKIE}=${token}`, "Path=/", "HttpOnly", "SameSite=Strict", `Expires=${expiresAt.toUTCString()}`];
  if (secure) attrs.push("Secure");
  return attrs.join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  const attrs = [`${SESSION_COOKIE}=`, "Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=0"];
  if (secure) attrs.push("Secure");
  return attrs.join("; ");
}
