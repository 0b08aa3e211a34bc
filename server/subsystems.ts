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

  /** Starts one subsystem by name unless it runs already (e.g. the lab after `lab down`). */
  async startOne(name: string, log: (line: string) => void = () => {}): Promise<SubsystemStatus> {
    const e = this.entry(name);
    if (e.status.state === "running" || e.status.state === "starting") return { ...e.status };
    if (e.status.state === "stopping") throw new Error(`${name} is stopping; try again when it has stopped`);
    this.set(e, "starting");
    try {
      await e.sub.start();
      this.set(e, "running");
      log(`${name}: running`);
    } catch (err) {
      this.set(e, "failed", err);
      // Whatever it had brought up is taken down again.
      await e.sub.stop().catch(() => {});
      throw new Error(`${name} failed to start: ${message(err)}`);
    }
    return { ...e.status };
  }

  /** Stops one running subsystem by name; the others keep running. */
  async stopOne(name: string, log: (line: string) => void = () => {}): Promise<SubsystemStatus> {
    const e = this.entry(name);
    if (e.status.state !== "running" && e.status.state !== "failed") return { ...e.status };
    this.set(e, "stopping");
    try {
      await e.sub.stop();
      this.set(e, "stopped");
      log(`${name}: stopped`);
    } catch (err) {
      this.set(e, "failed", err);
      throw new Error(`${name} failed to stop: ${message(err)}`);
    }
    return { ...e.status };
  }

  private entry(name: string): { sub: Subsystem; status: SubsystemStatus } {
    const e = this.entries.find((x) => x.sub.name === name);
    if (!e) throw new Error(`no subsystem "${name}" on this server`);
    return e;
  }

  private set(e: { status: SubsystemStatus }, state: SubsystemState, err?: unknown): void {
    e.status = { ...e.status, state, error: err === undefined ? null : message(err), since: new Date() };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
