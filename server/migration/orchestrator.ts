// One persisted state machine per live migration, through the six phases:
// pre-migration (checks) → reservation (paused VM at the destination, inactive port binding) →
// pre-copy (samples stored and streamed) → stop-and-copy (the pause) → commitment (the binding is
// activated) → activation (registry updated). The controller moves the VM's MAC on every switch
// the moment the source pauses (the switch-over), so the network is ready when the VM resumes.
// Any failure before commitment rolls back: the VM keeps running at the source, the reservation
// and the destination binding are removed, and flows moved at the pause are steered back.
import "server-only";
import type { Db } from "../db";
import type { OpenFlowController } from "../../controller/controller";
import {
  HypervisorError,
  type HypervisorDriver,
  type IncomingReservation,
  type MigrateOptions,
  type MigrationHandle,
  type MigrationProgress,
  type SwitchoverEvent,
  type VmDefinition,
  type VmInfo,
} from "../hypervisors/driver";
import { PHASES, RemainingProgress, type MigrationStatus, type PhaseName, type PrecheckResult } from "./phases";
import { routesToward, tunnelsFrom, vmPort, type HostNetworkInfo } from "./network";
import type { RelocationRoute } from "../../controller/apps/relocation";
import { writeAudit } from "../auth/audit";
import { macFlowLines, type NetworkSnapshot, type SwitchFlowLines } from "../network/flow-lines";

export interface MigrationEvent {
  id: string;
  status: MigrationStatus;
  phase: PhaseName;
  phases: { name: PhaseName; status: string; startedAt: number | null; endedAt: number | null; detail: string | null }[];
  progress: number;
  sample?: MigrationProgress;
  error?: string | null;
}

export interface OrchestratorDeps {
  db: Db;
  controller: OpenFlowController | null;
  drivers: Map<string, HypervisorDriver>;
  /** The host's switch, OVSDB and underlay address (null: Ferry cannot steer its network). */
  hostNetwork: (host: string) => HostNetworkInfo | null;
  publish: (event: MigrationEvent) => void;
  log?: (line: string) => void;
  /**
   * Move the VM's MAC on every switch at commitment (default). Off, the network is left to plain
   * MAC learning and the hypervisor's own announcements: the baseline the gap benchmark compares with.
   */
  relocate?: boolean;
  /** The inter-site rate limit in force (Mbit/s; null = unlimited), stored with each migration. */
  linkMbit?: () => number | null;
}

export class MigrationConflictError extends Error {}

/** How long a start that answers at once lets its answer go out before the checks begin. */
const START_DEFER_MS = 20;

interface RoutePlan {
  routes: RelocationRoute[];
  missing: string[];
  announce: RelocationRoute;
  /** The destination's tunnel ports toward the other switches (the VM's return paths). */
  tunnels: RelocationRoute[];
}
export class PrecheckFailedError extends Error {
  constructor(readonly checks: PrecheckResult[]) {
    super(`pre-migration checks failed: ${checks.filter((c) => c.status === "fail").map((c) => c.reason).join("; ")}`);
  }
}

interface Running {
  id: string;
  vmId: string;
  handle: MigrationHandle | null;
  cancelRequested: boolean;
  committed: boolean;
  /** The VM's port, once the reservation has bound it (inactive) at the destination. */
  portId?: string;
  /** The network was steered toward the destination (to be steered back if the migration fails). */
  relocated?: { mac: string; ip: string | undefined };
  /** The relocation under way, which a rollback waits for before steering back. */
  relocation?: Promise<string>;
  /** The flows for the VM's MAC just before and just after the relocation (host names resolved when stored). */
  flowsAround?: { mac: string; before: SwitchFlowLines[]; after: SwitchFlowLines[]; takenAt: number };
  phase: PhaseName;
  phaseState: Map<PhaseName, { status: string; startedAt: number | null; endedAt: number | null; detail: string | null }>;
  progress: RemainingProgress;
  /** Settles when the pre-migration checks passed, or when the migration settles. */
  checked: Promise<void>;
  checksPassed: () => void;
  /** Why the checks run at the start refused the migration. */
  precheckFailure?: PrecheckFailedError;
  done: Promise<void>;
}

export interface StartInput {
  vmName: string;
  destHost: string;
  options?: MigrateOptions;
  user: { id: string; username: string };
  /** Return only once the pre-migration checks passed, else throw PrecheckFailedError (default); false: at once. */
  waitForChecks?: boolean;
}

export class Orchestrator {
  private readonly running = new Map<string, Running>();
  /** VMs with a migration starting or running: the per-VM lock. */
  private readonly busyVms = new Set<string>();
  private readonly log: (line: string) => void;

  constructor(private readonly deps: OrchestratorDeps) {
    this.log = deps.log ?? (() => {});
  }

  /** Checks shown to the user before they confirm, and re-run when the migration starts. */
  async precheck(vmName: string, destHost: string): Promise<PrecheckResult[]> {
    return (await this.inspect(vmName, destHost)).checks;
  }

  /**
   * The checks, with what they read from the hypervisors (the VM and its definition), which the
   * reservation reuses rather than asking again a moment later. Independent queries run at once.
   */
  private async inspect(vmName: string, destHost: string): Promise<{ checks: PrecheckResult[]; info?: VmInfo; def?: VmDefinition }> {
    const { db, drivers, controller } = this.deps;
    const out: PrecheckResult[] = [];
    const [vm, dest] = await Promise.all([db.vm.findUnique({ where: { name: vmName }, include: { host: true } }), db.host.findUnique({ where: { name: destHost } })]);
    if (!vm || !vm.host) return { checks: [{ name: "vm", status: "fail", reason: `no VM "${vmName}" with a known host` }] };
    const src = drivers.get(vm.host.name);
    const dst = drivers.get(destHost);
    const elsewhere = src && dst && dest && dest.id !== vm.host.id;
    const [info, def, facts] = await Promise.all([
      src ? src.getVm(vmName).catch((e: Error) => e) : undefined,
      elsewhere ? src.definition(vmName).catch(() => null) : undefined,
      elsewhere ? dst.facts().catch((e: Error) => e) : undefined,
    ]);

    if (!src) out.push({ name: "source", status: "fail", reason: `no driver for the source host ${vm.host.name}` });
    else if (info instanceof Error) out.push({ name: "vm-running", status: "fail", reason: `cannot read ${vmName} on ${vm.host.name}: ${info.message}` });
    else if (info) out.push(info.state === "running" ? { name: "vm-running", status: "pass", reason: `${vmName} is running on ${vm.host.name}` } : { name: "vm-running", status: "fail", reason: `${vmName} is ${info.state}, not running` });
    if (!dest || !dst) out.push({ name: "destination", status: "fail", reason: `unknown destination host "${destHost}"` });
    else if (dest.id === vm.host.id) out.push({ name: "destination", status: "fail", reason: `${destHost} is the host ${vmName} already runs on` });
    else if (dest.status !== "up") out.push({ name: "destination", status: "fail", reason: `${destHost} is ${dest.status}` });
    else out.push({ name: "destination", status: "pass", reason: `${destHost} is up` });

    if (elsewhere) {
      if (facts instanceof Error || !facts) out.push({ name: "memory", status: "fail", reason: `${destHost} did not answer: ${facts instanceof Error ? facts.message : "no facts"}` });
      else {
        const need = `${destHost} has ${facts.memoryFreeMiB} MiB free, ${vmName} needs ${vm.memoryMiB} MiB`;
        out.push(facts.memoryFreeMiB >= vm.memoryMiB ? { name: "memory", status: "pass", reason: need } : { name: "memory", status: "fail", reason: need });
        const paths = def ? [def.kernel, def.initrd].filter(Boolean) : [];
        const unshared = facts.storagePaths.length ? paths.filter((p) => !facts.storagePaths.some((s) => p.startsWith(s.endsWith("/") ? s : s + "/"))) : [];
        out.push(unshared.length ? { name: "storage", status: "fail", reason: `${destHost} does not see ${unshared.join(", ")}` } : { name: "storage", status: "pass", reason: "the VM's files are on storage both hosts share" });
      }
      out.push(src.kind === dst.kind ? { name: "hypervisor", status: "pass", reason: `both hosts use ${src.kind}` } : { name: "hypervisor", status: "fail", reason: `${vm.host.name} uses ${src.kind}, ${destHost} uses ${dst.kind}` });
      const dnet = this.deps.hostNetwork(destHost);
      const snet = this.deps.hostNetwork(vm.host.name);
      const reachable = dnet && snet && controller?.switch(dnet.dpid)?.isReady && controller?.switch(snet.dpid)?.isReady;
      out.push(reachable ? { name: "network", status: "pass", reason: `both hosts' switches are connected to the controller` } : { name: "network", status: "fail", reason: `the switch of ${reachable === undefined ? "a host" : destHost} is not connected to the controller` });
    }
    const busy = this.busyVms.has(vm.id);
    out.push(busy ? { name: "exclusive", status: "fail", reason: `${vmName} is already migrating` } : { name: "exclusive", status: "pass", reason: "no other migration of this VM" });
    return { checks: out, info: info instanceof Error ? undefined : info, def: def ?? undefined };
  }

  /**
   * Starts a migration and returns its id at once; it runs in the background, beginning with the
   * pre-migration checks run again (the user saw them a moment ago, but hosts change). A check
   * that fails then fails the migration, recorded with its reasons. With `waitForChecks` the call
   * returns only once the checks passed, and throws PrecheckFailedError (the migration already
   * settled as failed) if they did not: for callers that show no migration view.
   */
  async start(input: StartInput): Promise<{ id: string }> {
    const vm = await this.deps.db.vm.findUnique({ where: { name: input.vmName }, include: { host: true } });
    if (!vm || !vm.host) throw new PrecheckFailedError([{ name: "vm", status: "fail", reason: vm ? `${input.vmName} has no known host` : `no VM "${input.vmName}"` }]);
    // The lock is taken before any further await, so a second request for this VM cannot slip in.
    if (this.busyVms.has(vm.id)) throw new MigrationConflictError(`${input.vmName} is already migrating`);
    this.busyVms.add(vm.id);
    let started = false;
    try {
      const now = Date.now();
      // The row is born in its first phase, so whoever opens it sees the checks under way.
      const row = await this.deps.db.migration.create({
        data: {
          vmId: vm.id,
          vmName: vm.name,
          sourceHost: vm.host.name,
          destHost: input.destHost,
          memoryMiB: vm.memoryMiB,
          status: "running",
          phase: "pre-migration",
          options: JSON.stringify(input.options ?? {}),
          startedBy: input.user.username,
          linkMbit: this.deps.linkMbit?.() ?? null,
          phases: { create: PHASES.map((name) => (name === "pre-migration" ? { name, status: "active", startedAt: new Date(now) } : { name, status: "pending" })) },
        },
      });
      let checksPassed!: () => void;
      const checked = new Promise<void>((resolve) => (checksPassed = resolve));
      const r: Running = {
        id: row.id,
        vmId: vm.id,
        handle: null,
        cancelRequested: false,
        committed: false,
        phase: "pre-migration",
        phaseState: new Map(PHASES.map((p) => [p, p === "pre-migration" ? { status: "active", startedAt: now, endedAt: null, detail: null } : { status: "pending", startedAt: null, endedAt: null, detail: null }])),
        progress: new RemainingProgress(),
        checked,
        checksPassed,
        done: Promise.resolve(),
      };
      this.running.set(row.id, r);
      void this.publish(r, "running");
      const sourceHost = vm.host.name;
      // The checks fork virsh processes, which stall this process for a moment: a caller that does
      // not wait for them gets its answer out first.
      const begin = input.waitForChecks === false ? new Promise<void>((resolve) => setTimeout(resolve, START_DEFER_MS)) : Promise.resolve();
      r.done = begin
        .then(() => this.run(r, vm.name, sourceHost, input))
        .finally(() => {
          this.running.delete(r.id);
          this.busyVms.delete(vm.id);
        })
        .finally(checksPassed);
      started = true;
      if (input.waitForChecks !== false) {
        await Promise.race([r.checked, r.done]);
        if (r.precheckFailure) {
          await r.done;
          throw r.precheckFailure;
        }
      }
      return { id: row.id };
    } finally {
      if (!started) this.busyVms.delete(vm.id);
    }
  }

  /** Waits until a migration settles (tests and shutdown). */
  async settled(id: string): Promise<void> {
    await this.running.get(id)?.done;
  }

  async cancel(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) throw new Error(`migration ${id} is not running`);
    if (r.committed) throw new Error("too late to cancel: the migration is committing");
    r.cancelRequested = true;
    await r.handle?.cancel();
  }

  async forceComplete(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r?.handle) throw new Error(`migration ${id} is not in pre-copy`);
    await r.handle.forceComplete();
  }

  private async run(r: Running, vmName: string, sourceHost: string, input: StartInput): Promise<void> {
    const { db, drivers } = this.deps;
    let incoming: IncomingReservation | null = null;
    let known: { info?: VmInfo; def?: VmDefinition };
    try {
      // 1. Pre-migration: the checks again (this migration's own lock aside).
      const inspected = await this.inspect(vmName, input.destHost);
      known = inspected;
      const checks = inspected.checks.filter((c) => c.name !== "exclusive");
      r.phaseState.get("pre-migration")!.detail = checks.map((c) => `${c.status}: ${c.reason}`).join("\n");
      if (checks.some((c) => c.status === "fail")) throw (r.precheckFailure = new PrecheckFailedError(checks));
      if (r.cancelRequested) throw new HypervisorError("MIGRATION_CANCELLED", "cancelled before the reservation");
      await this.leave(r, "pre-migration");
      r.checksPassed();
    } catch (err) {
      await this.fail(r, err, vmName, sourceHost, input, null);
      return;
    }
    const src = drivers.get(sourceHost)!;
    const dst = drivers.get(input.destHost)!;
    // Ferry's total time runs from the reservation, as the hypervisor's own does.
    const startedAt = Date.now();
    try {
      // 2. Reservation (with the VM and its definition as the pre-checks read them a moment ago)
      await this.enter(r, "reservation");
      const [info, def] = await Promise.all([known.info ?? src.getVm(vmName), known.def ?? src.definition(vmName)]);
      const [reservation, port, destRow] = await Promise.all([
        dst.prepareIncoming(info, def),
        db.port.findFirst({ where: { mac: def.mac } }),
        db.host.findUniqueOrThrow({ where: { name: input.destHost } }),
      ]);
      incoming = reservation;
      if (port) {
        r.portId = port.id;
        await db.portBinding.upsert({ where: { portId_hostId: { portId: port.id, hostId: destRow.id } }, create: { portId: port.id, hostId: destRow.id, status: "inactive" }, update: { status: "inactive" } });
      }
      await this.leave(r, "reservation", `incoming at ${incoming.uri}`);
      if (r.cancelRequested) throw new HypervisorError("MIGRATION_CANCELLED", "cancelled before pre-copy");

      // 3. Pre-copy
      await this.enter(r, "pre-copy");
      await db.vm.update({ where: { id: r.vmId }, data: { state: "migrating" } });
      const handle = await src.migrate(vmName, { driver: dst, incoming, vm: info }, input.options);
      // Where the VM will be reachable from each switch is known as soon as its destination port
      // exists (the paused incoming VM is plugged in already): work it out while pre-copy runs.
      const routePlan = this.planRoutes(input.destHost, def.mac);
      r.handle = handle;
      handle.onProgress((p) => void this.sample(r, p));

      // The network moves the moment the source pauses for stop-and-copy: from then on the VM
      // answers from nowhere until it runs at the destination, and frames sent to it meanwhile wait
      // in the destination's tap queue instead of being lost at the source. Without switch-over
      // events it moves when the hypervisor reports completion.
      const switchover = new Map<SwitchoverEvent["event"], number>();
      let relocation: Promise<string> | null = null;
      let relocatedAt = 0;
      const relocate = () =>
        (r.relocation = relocation ??= routePlan.then(async (plan) => {
          const ip = port?.fixedIp ?? undefined;
          if (typeof plan !== "string") r.relocated = { mac: def.mac, ip };
          // Reads of the controller's mirror, no I/O: the relocation is sent right after.
          const before = this.macFlows(plan, def.mac);
          const text = await this.applyRoutes(plan, def.mac, ip);
          relocatedAt = Date.now();
          if (before) r.flowsAround = { mac: def.mac, before, after: this.macFlows(plan, def.mac) ?? [], takenAt: relocatedAt };
          return text;
        }));
      handle.onSwitchover((e) => {
        switchover.set(e.event, e.at);
        if (!r.cancelRequested) void relocate();
      });
      if (r.cancelRequested) await handle.cancel();
      const result = await handle.done;
      const doneAt = Date.now();
      r.committed = true;
      const relocationText = await relocate();
      void dst.announce(vmName).catch((e: Error) => this.log(`announce ${vmName}: ${e.message}`));

      // 4./5. The pause and the commitment, timed from the hypervisors' events where there are
      // some (Ferry's own downtime), else from the reported downtime before completion.
      const pausedAt = switchover.get("source-paused") ?? doneAt - (result.downtimeMs ?? 0);
      const runningAt = switchover.get("destination-running");
      const resumedAt = Math.min(runningAt ?? doneAt, doneAt);
      // Two hosts' events, stamped as they arrived: an order they cannot have means no figure.
      const pauseMs = switchover.has("source-paused") && runningAt !== undefined && runningAt >= pausedAt ? runningAt - pausedAt : null;
      const switchoverMs = Math.max(0, relocatedAt - pausedAt);
      // From here on the phases move in memory and on the wire at once, and reach the database in
      // one transaction at the end: a dozen separate commits here cost more than the pause itself.
      this.leaveLocal(r, "pre-copy", result.passes !== undefined ? `${result.passes} passes` : null, pausedAt);
      this.enterLocal(r, "stop-and-copy", null, pausedAt);
      const pauseText = [result.downtimeMs !== undefined ? `downtime ${result.downtimeMs} ms (hypervisor)` : "the hypervisor reported no downtime figure", pauseMs !== null ? `paused ${pauseMs} ms (source pause → destination running)` : null]
        .filter(Boolean)
        .join("; ");
      this.leaveLocal(r, "stop-and-copy", pauseText, resumedAt);
      this.enterLocal(r, "commitment", null, resumedAt);
      this.leaveLocal(r, "commitment", relocationText);

      // 6. Activation: the hypervisor saw the VM run at the destination; ask only if it did not say.
      this.enterLocal(r, "activation");
      if (runningAt === undefined) {
        const now = await dst.getVm(vmName);
        if (now.state !== "running") throw new Error(`${vmName} is ${now.state} on ${input.destHost} after the migration`);
      }
      this.leaveLocal(r, "activation", `${vmName} runs on ${input.destHost}`);
      r.progress.complete();
      const networkSnapshot = await this.networkSnapshotJson(r);
      await db.$transaction([
        ...(["pre-copy", "stop-and-copy", "commitment", "activation"] as const).map((name) => this.phaseWrite(r, name)),
        // The binding is activated at commitment and the source's removed after activation: in one
        // commit, so no reader ever sees the port bound nowhere.
        ...(port
          ? [
              db.portBinding.update({ where: { portId_hostId: { portId: port.id, hostId: destRow.id } }, data: { status: "active" } }),
              db.portBinding.deleteMany({ where: { portId: port.id, hostId: { not: destRow.id } } }),
            ]
          : []),
        db.vm.update({ where: { id: r.vmId }, data: { hostId: destRow.id, state: "running" } }),
        db.migration.update({
          where: { id: r.id },
          data: {
            status: "completed",
            phase: "activation",
            finishedAt: new Date(),
            downtimeMs: result.downtimeMs ?? null,
            pauseMs,
            switchoverMs,
            totalTimeMs: Date.now() - startedAt,
            hypervisorTotalMs: result.totalTimeMs,
            hypervisorWallMs: result.commandWallMs ?? null,
            hypervisorTransferMs: result.transferMs ?? null,
            transferredBytes: result.transferredBytes !== undefined ? BigInt(Math.round(result.transferredBytes)) : null,
            passes: result.passes ?? null,
            networkSnapshot,
          },
        }),
      ]);
      await this.publish(r, "completed");
      await writeAudit(db, { user: input.user, action: "migration.finish", target: vmName, outcome: "ok", detail: { id: r.id, to: input.destHost } });
    } catch (err) {
      await this.fail(r, err, vmName, sourceHost, input, incoming);
    }
  }

  /** Commitment's network step: every switch sends the VM's MAC toward its port on `destHost`. */
  /** The routes the commitment will install, or why it will not (a string). Never rejects. */
  private async planRoutes(destHost: string, mac: string): Promise<RoutePlan | string> {
    const { db, controller } = this.deps;
    const destNet = this.deps.hostNetwork(destHost);
    if (this.deps.relocate === false) return "relocation off: the network relearns on its own";
    if (!controller || !destNet) return "no controller: the network relearns on its own";
    try {
      let vmOfport: number | undefined;
      const deadline = Date.now() + 30_000;
      while (vmOfport === undefined && Date.now() < deadline) {
        vmOfport = await vmPort(destNet, mac).catch(() => undefined);
        if (vmOfport === undefined) await new Promise((res) => setTimeout(res, 100));
      }
      if (vmOfport === undefined) return `the VM's port did not appear on ${destHost}'s bridge: the network relearns on its own`;
      const hosts = (await db.host.findMany()).map((h) => this.deps.hostNetwork(h.name)).filter((h): h is HostNetworkInfo => h !== null);
      const [{ routes, missing }, tunnels] = await Promise.all([routesToward(hosts, destNet, vmOfport), tunnelsFrom(hosts, destNet).catch(() => [])]);
      return { routes, missing, announce: { dpid: destNet.dpid, port: vmOfport }, tunnels };
    } catch (err) {
      return `routes could not be worked out (${err instanceof Error ? err.message : String(err)}): the network relearns on its own`;
    }
  }

  /**
   * The flows for `mac` on the plan's switches (every connected switch without a plan), read
   * from the controller's mirror. Synchronous and never throws: it sits next to the relocation.
   */
  private macFlows(plan: RoutePlan | string, mac: string): SwitchFlowLines[] | null {
    const controller = this.deps.controller;
    if (!controller) return null;
    try {
      const now = Date.now();
      const dpids = typeof plan === "string" ? [...controller.switches.keys()] : [...new Set(plan.routes.map((x) => x.dpid))];
      return dpids.flatMap((dpid) => {
        const dp = controller.switch(dpid);
        return dp ? [{ dpid, host: null, ...macFlowLines(dp.flows.entries(), mac, dp.version, now) }] : [];
      });
    } catch (err) {
      this.log(`flows of ${mac} not captured: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  /** The stored form of the flows around the relocation, with each switch's host; null if none (or on any error). */
  private async networkSnapshotJson(r: Running): Promise<string | null> {
    const f = r.flowsAround;
    if (!f) return null;
    try {
      const dpids = [...new Set([...f.before, ...f.after].map((s) => s.dpid))];
      const rows = await this.deps.db.switch.findMany({ where: { dpid: { in: dpids } }, include: { host: true } });
      const hostOf = new Map(rows.map((s) => [s.dpid, s.host?.name ?? null]));
      const named = (side: SwitchFlowLines[]) => side.map((s) => ({ ...s, host: hostOf.get(s.dpid) ?? null }));
      const snapshot: NetworkSnapshot = { mac: f.mac, before: named(f.before), after: named(f.after), takenAt: new Date(f.takenAt).toISOString() };
      return JSON.stringify(snapshot);
    } catch (err) {
      this.log(`migration ${r.id}: flow snapshot not stored: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  private async applyRoutes(plan: RoutePlan | string, mac: string, ip: string | undefined): Promise<string> {
    if (typeof plan === "string" || !this.deps.controller) return typeof plan === "string" ? plan : "no controller";
    const report = await this.deps.controller.relocate({ mac, ip, routes: plan.routes, announce: plan.announce, tunnelsFromDestination: plan.tunnels });
    const failed = report.switches.filter((s) => s.error);
    return (
      `relocated on ${report.switches.length - failed.length} switch(es) in ${report.elapsedMs} ms` +
      (failed.length || plan.missing.length ? `; not on ${[...failed.map((f) => `${f.dpid} (${f.error})`), ...plan.missing].join(", ")}` : "")
    );
  }

  /** Steers the network to the VM's current host (used when settling after a restart). */
  private async steer(destHost: string, mac: string, ip: string | undefined): Promise<string> {
    return this.applyRoutes(await this.planRoutes(destHost, mac), mac, ip);
  }

  private async fail(r: Running, err: unknown, vmName: string, sourceHost: string, input: StartInput, incoming: IncomingReservation | null): Promise<void> {
    const { db, drivers } = this.deps;
    const cancelled = err instanceof HypervisorError && err.code === "MIGRATION_CANCELLED";
    let reason = err instanceof Error ? err.message : String(err);
    if (!r.committed) {
      await incoming?.release().catch((e: Error) => this.log(`release of ${vmName}'s reservation: ${e.message}`));
      const destRow = await db.host.findUnique({ where: { name: input.destHost } });
      // The port the reservation bound (found by MAC there), not one guessed from the device id.
      const portId = r.portId ?? (await db.port.findFirst({ where: { deviceId: r.vmId } }))?.id;
      if (portId && destRow) await db.portBinding.deleteMany({ where: { portId, hostId: destRow.id, status: "inactive" } });
      const where = await drivers.get(sourceHost)?.getVm(vmName).catch(() => null);
      // The network went toward the destination at the pause: bring it back to where the VM stays.
      await r.relocation?.catch(() => {});
      if (r.relocated && where?.state === "running") {
        const back = await this.steer(sourceHost, r.relocated.mac, r.relocated.ip).catch((e: Error) => `not steered back: ${e.message}`);
        this.log(`migration ${r.id}: network steered back to ${sourceHost}: ${back}`);
      }
      await db.vm.update({ where: { id: r.vmId }, data: { state: where?.state ?? "unknown" } });
      reason += where?.state === "running" ? ` — ${vmName} is still running on ${sourceHost}` : ` — ${vmName} is ${where?.state ?? "unreachable"} on ${sourceHost}`;
    }
    const phase = r.phase;
    const st = r.phaseState.get(phase)!;
    st.status = "failed";
    st.endedAt = Date.now();
    // A refusal by the checks keeps their list (each pass and fail) as the phase's detail.
    if (!(err instanceof PrecheckFailedError)) st.detail = reason;
    // Every phase as memory has it: after the hypervisor's completion the phases were not written one by one.
    await db.$transaction(PHASES.filter((p) => r.phaseState.get(p)!.status !== "pending").map((p) => this.phaseWrite(r, p)));
    await db.migration.update({ where: { id: r.id }, data: { status: cancelled ? "cancelled" : "failed", finishedAt: new Date(), error: reason, networkSnapshot: await this.networkSnapshotJson(r) } });
    await this.publish(r, cancelled ? "cancelled" : "failed", reason);
    await writeAudit(db, { user: input.user, action: "migration.finish", target: vmName, outcome: "error", detail: { id: r.id, reason } });
    this.log(`migration ${r.id} of ${vmName} ${cancelled ? "cancelled" : "failed"}: ${reason}`);
  }

  /** A phase starts, in memory. */
  private markActive(r: Running, phase: PhaseName, detail: string | null, at: number): void {
    r.phase = phase;
    r.phaseState.set(phase, { status: "active", startedAt: at, endedAt: null, detail });
  }

  /** A phase ends, in memory (a null detail keeps the one it had). */
  private markDone(r: Running, phase: PhaseName, detail: string | null, at: number): void {
    const st = r.phaseState.get(phase)!;
    st.status = "done";
    st.endedAt = at;
    if (detail !== null) st.detail = detail;
  }

  /** The phase's row as the in-memory state has it. */
  private phaseWrite(r: Running, phase: PhaseName) {
    const st = r.phaseState.get(phase)!;
    return this.deps.db.migrationPhase.update({
      where: { migrationId_name: { migrationId: r.id, name: phase } },
      data: { status: st.status, startedAt: st.startedAt === null ? null : new Date(st.startedAt), endedAt: st.endedAt === null ? null : new Date(st.endedAt), detail: st.detail },
    });
  }

  /** A phase starts: written, then told to watchers. */
  private async enter(r: Running, phase: PhaseName, detail: string | null = null, at = Date.now()): Promise<void> {
    this.markActive(r, phase, detail, at);
    await this.phaseWrite(r, phase);
    await this.deps.db.migration.update({ where: { id: r.id }, data: { phase } });
    await this.publish(r, "running");
  }

  private async leave(r: Running, phase: PhaseName, detail: string | null = null, at = Date.now()): Promise<void> {
    this.markDone(r, phase, detail, at);
    await this.phaseWrite(r, phase);
    await this.publish(r, "running");
  }

  /** Like enter/leave, told to watchers at once; the caller writes the phases later with phaseWrite. */
  private enterLocal(r: Running, phase: PhaseName, detail: string | null = null, at = Date.now()): void {
    this.markActive(r, phase, detail, at);
    void this.publish(r, "running");
  }

  private leaveLocal(r: Running, phase: PhaseName, detail: string | null = null, at = Date.now()): void {
    this.markDone(r, phase, detail, at);
    void this.publish(r, "running");
  }

  private async sample(r: Running, p: MigrationProgress): Promise<void> {
    r.progress.update(p.remainingBytes, p.totalBytes);
    const big = (n: number | undefined) => (n === undefined ? null : BigInt(Math.round(n)));
    await this.deps.db.migrationSample
      .create({
        data: {
          migrationId: r.id,
          at: new Date(p.at),
          status: p.status,
          pass: p.pass ?? null,
          transferredBytes: big(p.transferredBytes),
          remainingBytes: big(p.remainingBytes),
          totalBytes: big(p.totalBytes),
          dirtyPagesRate: p.dirtyPagesRate ?? null,
          throughputBps: p.throughputBps ?? null,
          expectedDowntimeMs: p.expectedDowntimeMs ?? null,
        },
      })
      .catch((e: Error) => this.log(`sample of ${r.id}: ${e.message}`));
    this.deps.publish({ ...this.snapshot(r, "running"), sample: p });
  }

  private snapshot(r: Running, status: MigrationStatus, error?: string): MigrationEvent {
    return {
      id: r.id,
      status,
      phase: r.phase,
      phases: PHASES.map((name) => ({ name, ...r.phaseState.get(name)! })),
      progress: r.progress.value,
      error: error ?? null,
    };
  }

  private async publish(r: Running, status: MigrationStatus, error?: string): Promise<void> {
    this.deps.publish(this.snapshot(r, status, error));
  }

  /**
   * After a restart: a migration the database still calls running is settled from what the
   * hypervisors show. A job still running in them is aborted first (nobody watches it any more,
   * and only a settled job tells where the VM stays). Running at the destination only →
   * completed, the network and the registry follow it; otherwise failed, with any paused copy at
   * the destination and the inactive binding removed so no orphan is left.
   */
  async reconcile(): Promise<number> {
    const { db, drivers } = this.deps;
    const stale = await db.migration.findMany({ where: { status: "running" } });
    for (const m of stale) {
      const dst = drivers.get(m.destHost);
      const src = drivers.get(m.sourceHost);
      const aborted = await src?.abortStrayMigration?.(m.vmName).catch((e: Error) => {
        this.log(`migration ${m.id}: ${e.message}`);
        return false;
      });
      const atDest = await dst?.getVm(m.vmName).catch(() => null);
      const atSource = await src?.getVm(m.vmName).catch(() => null);
      const destRow = await db.host.findUnique({ where: { name: m.destHost } });
      const mac = atDest?.macs[0] ?? atSource?.macs[0];
      const port = (mac ? await db.port.findFirst({ where: { mac } }) : null) ?? (await db.port.findFirst({ where: { deviceId: m.vmId } }));
      if (atDest?.state === "running" && atSource?.state !== "running" && destRow) {
        await db.vm.update({ where: { id: m.vmId }, data: { hostId: destRow.id, state: "running" } });
        if (port) {
          await db.portBinding.upsert({ where: { portId_hostId: { portId: port.id, hostId: destRow.id } }, create: { portId: port.id, hostId: destRow.id, status: "active" }, update: { status: "active" } });
          await db.portBinding.deleteMany({ where: { portId: port.id, hostId: { not: destRow.id } } });
        }
        if (mac) {
          const relocation = await this.steer(m.destHost, mac, port?.fixedIp ?? undefined).catch((e: Error) => `network not steered: ${e.message}`);
          this.log(`migration ${m.id} of ${m.vmName}: ${relocation}`);
        }
        await dst!.announce(m.vmName).catch((e: Error) => this.log(`announce ${m.vmName}: ${e.message}`));
        await db.migration.update({ where: { id: m.id }, data: { status: "completed", finishedAt: new Date(), error: "settled after a server restart: the VM runs at the destination" } });
      } else {
        if (atDest && atDest.state !== "running") await dst!.destroy(m.vmName).catch((e: Error) => this.log(`removal of ${m.vmName}'s copy on ${m.destHost}: ${e.message}`));
        if (port && destRow) await db.portBinding.deleteMany({ where: { portId: port.id, hostId: destRow.id, status: "inactive" } });
        const where = atSource?.state === "running" ? `${m.vmName} is still running on ${m.sourceHost}` : `${m.vmName} is ${atSource?.state ?? "unreachable"} on ${m.sourceHost}`;
        const what = `interrupted by a server restart during ${m.phase}${aborted ? "; the hypervisor's migration job was aborted" : ""}`;
        await db.migration.update({ where: { id: m.id }, data: { status: "failed", finishedAt: new Date(), error: `${what} — ${where}` } });
        await db.vm.update({ where: { id: m.vmId }, data: { state: atSource?.state ?? "unknown" } });
      }
      await db.migrationPhase.updateMany({ where: { migrationId: m.id, status: "active" }, data: { status: "failed", endedAt: new Date(), detail: "interrupted by a server restart" } });
    }
    return stale.length;
  }
}
