// What `migrate --watch` prints, from successive snapshots of one migration (Socket.IO events
// and, as a safety net, polls of migrations.get). Snapshots may arrive late, twice or skip a
// step; each phase's start and end is still printed exactly once, in phase order.
import { phaseLine, progressLine, type PhaseView, type SampleView } from "./render";

export const PHASE_ORDER = ["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"];
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export interface Snapshot {
  status: string;
  phase: string;
  phases: PhaseView[];
  /** 0…1; absent in polled snapshots (the database keeps no progress figure). */
  progress?: number;
  sample?: SampleView;
  error?: string | null;
}

export interface WatchOutput {
  /** Lines to print as they are (phase changes). */
  lines: string[];
  /** The live progress line, when it changed (a terminal redraws it in place). */
  progress?: string;
  done: boolean;
}

export class MigrationWatch {
  private readonly printed = new Map<string, string>();
  private progress = 0;
  private lastProgress = "";
  private finished = false;

  get done(): boolean {
    return this.finished;
  }

  update(s: Snapshot): WatchOutput {
    if (this.finished) return { lines: [], done: true };
    const lines: string[] = [];
    const byName = new Map(s.phases.map((p) => [p.name, p]));
    for (const name of PHASE_ORDER) {
      const p = byName.get(name);
      if (!p || p.status === "pending") continue;
      const before = this.printed.get(name);
      if (before === p.status) continue;
      // "active" once, then the final status once; a late "active" after the end is ignored.
      if (p.status === "active" && before !== undefined) continue;
      this.printed.set(name, p.status);
      lines.push(phaseLine(p));
    }
    if (s.progress !== undefined && s.progress > this.progress) this.progress = s.progress;
    let progress: string | undefined;
    if (!TERMINAL.has(s.status)) {
      const line = progressLine(s.phase, this.progress, s.sample);
      if (line !== this.lastProgress) progress = this.lastProgress = line;
    } else {
      this.finished = true;
    }
    return { lines, progress, done: this.finished };
  }
}

/** A snapshot from migrations.get (dates as Date objects, phases unordered). */
export function snapshotFromRecord(m: {
  status: string;
  phase: string;
  error: string | null;
  phases: { name: string; status: string; startedAt: Date | null; endedAt: Date | null; detail: string | null }[];
}): Snapshot {
  return {
    status: m.status,
    phase: m.phase,
    error: m.error,
    progress: m.status === "completed" ? 1 : undefined,
    phases: m.phases.map((p) => ({ name: p.name, status: p.status, startedAt: p.startedAt?.getTime() ?? null, endedAt: p.endedAt?.getTime() ?? null, detail: p.detail })),
  };
}
