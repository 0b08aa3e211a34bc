// A `virsh event --loop` process reading one daemon's domain lifecycle events as they happen:
// how the driver learns the instant a migrating VM pauses at the source and runs at the
// destination, without polling.
import { spawn, type ChildProcess } from "node:child_process";
import { virshArgs, virshEnv } from "./virsh";

export interface LifecycleEvent {
  domain: string;
  /** e.g. "Suspended", "Resumed", "Started", "Stopped". */
  event: string;
  /** e.g. "Migrated", "Paused", "Booted". */
  detail: string;
  at: number;
}

// [2026-11-27 16:17:57.526+0000: ]event 'lifecycle' for domain 'vm1': Resumed Migrated
const LINE = /^(?:(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(\d\d): )?event 'lifecycle' for domain '([^']+)': (\S+)(?: (.*))?$/;

/**
 * One line of `virsh event`. With `--timestamp` the time is virsh's own receipt of the event, which
 * a busy server process reading two watchers' output cannot reorder; without it, `at`.
 */
export function parseLifecycleLine(line: string, at: number): LifecycleEvent | null {
  const m = LINE.exec(line.trim());
  if (!m) return null;
  const stamped = m[1] ? Date.parse(`${m[1]}T${m[2]}${m[3]}:${m[4]}`) : Number.NaN;
  return { domain: m[5]!, event: m[6]!, detail: (m[7] ?? "").trim(), at: Number.isFinite(stamped) ? stamped : at };
}

/** Watches one connection until stop(); a watcher that dies simply reports nothing more. */
export class LifecycleWatcher {
  private readonly child: ChildProcess;
  private buf = "";
  private stopped = false;

  constructor(uri: string, onEvent: (e: LifecycleEvent) => void, maxSeconds: number) {
    // Read-only is enough to listen; --timeout bounds a watcher whose owner forgot it.
    this.child = spawn("virsh", virshArgs(uri, ["event", "--event", "lifecycle", "--loop", "--timestamp", "--timeout", String(Math.max(1, Math.ceil(maxSeconds)))], true), {
      stdio: ["ignore", "pipe", "ignore"],
      env: virshEnv(),
    });
    this.child.on("error", () => {});
    this.child.stdout!.on("data", (d: Buffer) => {
      const at = Date.now();
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const e = parseLifecycleLine(line, at);
        if (e && !this.stopped) onEvent(e);
      }
      if (this.buf.length > 4096) this.buf = "";
    });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}
