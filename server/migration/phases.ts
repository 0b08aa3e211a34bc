// The six phases of pre-copy live migration (Clark et al., NSDI 2005), in order.
export const PHASES = ["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"] as const;
export type PhaseName = (typeof PHASES)[number];
export type PhaseStatus = "pending" | "active" | "done" | "failed" | "skipped";
export type MigrationStatus = "running" | "completed" | "failed" | "cancelled";

export interface PrecheckResult {
  name: string;
  status: "pass" | "warn" | "fail";
  reason: string;
}

/**
 * Progress from what remains to be sent, never running backwards: pre-copy re-sends dirtied
 * pages, so "remaining" can grow between rounds; the bar keeps its highest value until the
 * migration is done.
 */
export class RemainingProgress {
  private best = 0;

  update(remainingBytes: number | undefined, totalBytes: number | undefined): number {
    if (remainingBytes !== undefined && totalBytes !== undefined && totalBytes > 0) {
      const p = Math.min(0.99, Math.max(0, 1 - remainingBytes / totalBytes));
      if (p > this.best) this.best = p;
    }
    return this.best;
  }

  complete(): number {
    this.best = 1;
    return 1;
  }

  get value(): number {
    return this.best;
  }
}
