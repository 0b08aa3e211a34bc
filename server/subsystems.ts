// The embedded parts of the server (OpenFlow controller, lab, hypervisor drivers) start after
// the database and stop before it, in reverse order, each with a visible state.
export interface Subsystem {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type SubsystemState = "stopped" | "starting" | "running" | "stopping" | "failed";

export interface SubsystemStatus {
  name: string;
  state: SubsystemState;
  error: string | null;
  since: Date;
}

export class Subsystems {
  private readonly entries: { sub: Subsystem; status: SubsystemStatus }[] = [];

  add(sub: Subsystem): void {
    this.entries.push({ sub, status: { name: sub.name, state: "stopped", error: null, since: new Date() } });
  }

  list(): SubsystemStatus[] {
    return this.entries.map((e) => ({ ...e.status }));
  }

  /** Starts in order; stops at the first failure (what started is stopped again) and rethrows. */
  async startAll(log: (line: string) => void = () => {}): Promise<void> {
    for (const e of this.entries) {
      this.set(e, "starting");
      try {
        await e.sub.start();
        this.set(e, "running");
        log(`${e.sub.name}: running`);
      } catch (err) {
        this.set(e, "failed", err);
        await this.stopAll(log);
        throw new Error(`${e.sub.name} failed to start: ${message(err)}`);
      }
    }
  }

  /** Stops everything that runs, in reverse order; a failing stop does not prevent the others. */
  async stopAll(log: (line: string) => void = () => {}): Promise<void> {
    for (const e of [...this.entries].reverse()) {
      if (e.status.state !== "running") continue;
      this.set(e, "stopping");
      try {
        await e.sub.stop();
        this.set(e, "stopped");
        log(`${e.sub.name}: stopped`);
      } catch (err) {
        this.set(e, "failed", err);
        log(`${e.sub.name}: stop failed: ${message(err)}`);
      }
    }
  }

  private set(e: { status: SubsystemStatus }, state: SubsystemState, err?: unknown): void {
    e.status = { ...e.status, state, error: err === undefined ? null : message(err), since: new Date() };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
