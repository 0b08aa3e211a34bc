// `virsh` processes reading one daemon's events as they happen: domain lifecycle events (how the
// driver learns the instant a migrating VM pauses at the source and runs at the destination,
// without polling) and QEMU's own MIGRATION events (when the emulator's transfer began and ended).
import { launch, type LaunchedProcess } from "../../runtime/launcher";
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

export interface QemuMigrationEvent {
  domain: string;
  /** QEMU's MigrationStatus: "setup", "active", "device", "completed", "failed", … */
  status: string;
  /** QEMU's own timestamp of the event, ms since the epoch (microseconds kept as a fraction). */
  at: number;
}

// event MIGRATION at 1796616757.725409 for domain 'vm1': {"status":"setup"}
const QEMU_LINE = /^event MIGRATION at (\d+)\.(\d{1,6}) for domain '([^']+)': (\{.*\})$/;

/** One MIGRATION line of `virsh qemu-monitor-event` (without --timestamp: QEMU's own time). */
export function parseQemuMigrationLine(line: string): QemuMigrationEvent | null {
  const m = QEMU_LINE.exec(line.trim());
  if (!m) return null;
  let status: unknown;
  try {
    status = (JSON.parse(m[4]!) as { status?: unknown }).status;
  } catch {
    return null;
  }
  if (typeof status !== "string") return null;
  return { domain: m[3]!, status, at: Number(m[1]) * 1000 + Number(m[2]!.padEnd(6, "0")) / 1000 };
}

/**
 * QEMU's transfer time from its MIGRATION events at the source: first "setup" to "completed".
 * Undefined unless both were seen (a watcher that started late, or a migration that failed).
 */
export function transferMsFrom(events: readonly QemuMigrationEvent[]): number | undefined {
  const setup = events.find((e) => e.status === "setup");
  const completed = setup && events.find((e) => e.status === "completed" && e.at >= setup.at);
  // To the microsecond QEMU stamps (epoch milliseconds with a fraction carry float noise).
  return setup && completed ? Math.round((completed.at - setup.at) * 1000) / 1000 : undefined;
}

/** One `virsh` event process until stop(); one that dies simply reports nothing more. */
class VirshEventStream {
  private readonly child: LaunchedProcess;
  private buf = "";
  private stopped = false;

  constructor(uri: string, args: string[], readonly: boolean, onLine: (line: string, at: number) => void) {
    this.child = launch("virsh", virshArgs(uri, args, readonly), { stdout: true, env: virshEnv() });
    this.child.on("error", () => {});
    // `at`: when the helper read the line, before any wait in this process's event loop.
    this.child.on("stdout", (d: Buffer, at: number) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (!this.stopped) onLine(line, at);
      }
      if (this.buf.length > 4096) this.buf = "";
    });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.child.kill("SIGKILL");
  }
}

/** --timeout bounds a watcher whose owner forgot it. */
const timeoutArgs = (maxSeconds: number) => ["--timeout", String(Math.max(1, Math.ceil(maxSeconds)))];

/** Domain lifecycle events of one connection (read-only is enough to listen). */
export class LifecycleWatcher extends VirshEventStream {
  constructor(uri: string, onEvent: (e: LifecycleEvent) => void, maxSeconds: number) {
    super(uri, ["event", "--event", "lifecycle", "--loop", "--timestamp", ...timeoutArgs(maxSeconds)], true, (line, at) => {
      const e = parseLifecycleLine(line, at);
      if (e) onEvent(e);
    });
  }
}

/**
 * QEMU's MIGRATION events for one domain. libvirt refuses this registration on a read-only
 * connection; listening changes nothing in the domain.
 */
export class QemuMigrationWatcher extends VirshEventStream {
  constructor(uri: string, domain: string, onEvent: (e: QemuMigrationEvent) => void, maxSeconds: number) {
    super(uri, ["qemu-monitor-event", "--domain", domain, "--event", "MIGRATION", "--loop", ...timeoutArgs(maxSeconds)], false, (line) => {
      const e = parseQemuMigrationLine(line);
      if (e) onEvent(e);
    });
  }
}
