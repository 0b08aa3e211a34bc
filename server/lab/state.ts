// What the lab started, written to disk as it goes, so `lab down` can undo everything even
// after a crash of the process that brought it up.
import "server-only";
import fs from "node:fs";
import path from "node:path";

export interface LabProcess {
  name: string;
  pid: number;
  /** A string the process's command line must contain before it is signalled (guards PID reuse). */
  marker: string;
}

export interface LabState {
  startedAt: string;
  topology: string;
  namespaces: string[];
  processes: LabProcess[];
  wanRateMbit: number | null;
}

export class LabStateFile {
  constructor(readonly file: string) {}

  read(): LabState | null {
    try {
      return JSON.parse(fs.readFileSync(this.file, "utf8")) as LabState;
    } catch {
      return null;
    }
  }

  write(state: LabState): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
    fs.renameSync(tmp, this.file);
  }

  update(fn: (s: LabState) => void): LabState {
    const s = this.read() ?? { startedAt: new Date().toISOString(), topology: "", namespaces: [], processes: [], wanRateMbit: null };
    fn(s);
    this.write(s);
    return s;
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}

export function processAlive(pid: number, marker?: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z") return false;
    return marker === undefined || fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after graceMs; only if the process is still ours. */
export async function stopProcess(p: LabProcess, graceMs = 5000): Promise<void> {
  if (!processAlive(p.pid, p.marker)) return;
  try {
    process.kill(p.pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && processAlive(p.pid)) await new Promise((r) => setTimeout(r, 50));
  if (processAlive(p.pid, p.marker)) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Gone in the meantime.
    }
    const killDeadline = Date.now() + 2000;
    while (Date.now() < killDeadline && processAlive(p.pid)) await new Promise((r) => setTimeout(r, 20));
  }
}
