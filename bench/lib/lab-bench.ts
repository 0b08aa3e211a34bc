// What a migration benchmark needs around a private lab: a stack of undo steps run on exit, error
// or signal; bounded waits; and the lab itself with an in-process OpenFlow controller, a SQLite
// registry in a temp dir, the lab's hypervisor drivers and an Orchestrator.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { OpenFlowController } from "../../controller/controller";
import { deployMigrations } from "../../server/database/migrate";
import { openDb, type Db } from "../../server/db";
import type { HypervisorDriver } from "../../server/hypervisors/driver";
import { labDrivers } from "../../server/hypervisors/lab-drivers";
import { registerLab } from "../../server/inventory/lab-sync";
import { defaultGuestDir } from "../../server/lab/guest/image";
import { Lab } from "../../server/lab/lab";
import type { LabTopology } from "../../server/lab/topology";
import { labHostNetwork } from "../../server/migration/lab-network";
import { Orchestrator } from "../../server/migration/orchestrator";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what} did not finish within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Undo steps, run last-in first-out, each bounded; failures are logged, never thrown. */
export class Cleanups {
  private readonly steps: (() => Promise<void>)[] = [];
  constructor(private readonly log: (line: string) => void) {}
  push(step: () => Promise<void>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length) {
      const fn = this.steps.pop()!;
      await withTimeout(fn(), 120_000, "cleanup step").catch((e: Error) => this.log(`cleanup: ${e.message}`));
    }
  }
}

/**
 * Runs the cleanups on SIGINT/SIGTERM/SIGHUP and then exits (130). Returns a function that removes
 * the handlers and tells whether a signal arrived (the caller then must not clean up twice).
 */
export function cleanupOnSignals(cleanups: Cleanups, log: (line: string) => void): { signalled(): boolean; dispose(): void } {
  let exiting = false;
  const handler = (sig: NodeJS.Signals) => {
    if (exiting) return;
    exiting = true;
    log(`${sig}: cleaning up`);
    void withTimeout(cleanups.run(), 180_000, "cleanup").finally(() => process.exit(130));
  };
  const sigs = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of sigs) process.on(s, handler);
  return {
    signalled: () => exiting,
    dispose: () => {
      for (const s of sigs) process.off(s, handler);
    },
  };
}

export const BENCH_USER = { id: "bench", username: "bench" };

export interface LabBench {
  dir: string;
  lab: Lab;
  db: Db;
  controller: OpenFlowController;
  drivers: Map<string, HypervisorDriver>;
  orchestrator: Orchestrator;
  guestDir: string;
}

/**
 * Brings up a private lab (namespaces `ferry-<tag>-*`, files in a temp dir) with the given
 * topology, registers it in a fresh SQLite registry and waits until every bridge is connected.
 * Everything it starts is pushed onto `cleanups`.
 */
export async function startLabBench(o: { tag: string; topology: LabTopology; cleanups: Cleanups; log: (line: string) => void }): Promise<LabBench> {
  const { cleanups, log } = o;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ferry-${o.tag}-`));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, "of.sock");
  const controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
  await controller.start();
  cleanups.push(() => controller.stop());

  const lab = new Lab({ dir: path.join(dir, "lab"), controllerSocket: sock, nsPrefix: `ferry-${o.tag}-`, topology: o.topology, log });
  cleanups.push(() => lab.down());
  log(`bringing up the lab (namespaces ferry-${o.tag}-*)`);
  await lab.up();

  const url = `file:${path.join(dir, "ferry.db")}`;
  await deployMigrations(url);
  const db = await openDb(url);
  cleanups.push(() => db.$disconnect());
  await registerLab(db, lab.plan, (h) => (lab.plan.hosts.find((x) => x.name === h)?.hypervisor === "libvirt" ? lab.libvirtUriOf(h) : null));
  const guestDir = defaultGuestDir();
  const drivers = labDrivers(lab, guestDir, log);
  cleanups.push(async () => {
    // Every driver, not only QMP's (which hold monitor connections): close() is how each ends cleanly.
    for (const d of drivers.values()) await d.close().catch(() => {});
  });
  // The orchestrator audits as this user; an unknown one would violate the audit's foreign key.
  await db.user.create({ data: { id: BENCH_USER.id, username: BENCH_USER.username, passwordHash: "!", role: "admin" } });
  await db.host.updateMany({ data: { status: "up" } });

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !lab.plan.hosts.every((h) => controller.switch(h.dpid)?.isReady)) await sleep(100);
  if (!lab.plan.hosts.every((h) => controller.switch(h.dpid)?.isReady)) throw new Error("not every lab bridge connected to the controller within 30 s");

  const orchestrator = new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: () => {}, log });
  return { dir, lab, db, controller, drivers, orchestrator, guestDir };
}
