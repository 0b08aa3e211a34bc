import "server-only";
import type { Db } from "../db";

export type AuditOutcome = "ok" | "denied" | "error";

export interface AuditEntry {
  user: { id: string; username: string } | null;
  /** Attempted username when nobody is signed in (e.g. a failed login). */
  username?: string;
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  detail?: unknown;
  ip?: string;
}

/** Writes one AuditEvent. Never throws: an audit failure is logged, not turned into a user error. */
export async function writeAudit(db: Db, e: AuditEntry): Promise<void> {
  try {
    await db.auditEvent.create({
      data: {
        userId: e.user?.id ?? null,
        username: e.user?.username ?? e.username ?? "(anonymous)",
        action: e.action,
        target: e.target ?? null,
        outcome: e.outcome,
        detail: e.detail === undefined ? null : truncate(JSON.stringify(e.detail), 4000),
        ip: e.ip ?? null,
      },
    });
  } catch (err) {
    console.error(`audit write failed for ${e.action}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}
