// HypervisorDriver over libvirt, through virsh (see README.md for why virsh and where each
// figure comes from). One driver = one libvirt connection URI = one hypervisor host.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch, type LaunchedProcess } from "../../runtime/launcher";
import {
  HypervisorError,
  type HostFacts,
  type HypervisorDriver,
  type HypervisorKind,
  type IncomingReservation,
  type MigrateOptions,
  type MigrationHandle,
  type MigrationProgress,
  type MigrationResult,
  type MigrationTarget,
  type SwitchoverEvent,
  type VmDefinition,
  type VmInfo,
  type VmState,
} from "../driver";
import { labDomainXml } from "../../lab/libvirt-host";
import { buildMigrationPlan, type MigrationPlan } from "./flags";
import {
  hypervisorFamily,
  hypervisorKindOf,
  parseCapabilities,
  parseDomainXml,
  parseDomIfList,
  parseDomInfo,
  parseDomJobInfo,
  parseListTable,
  parseNodeInfo,
  parseVersion,
  splitDomainXmls,
  vmStateFromText,
  type DomainXmlInfo,
  type JobInfo,
} from "./parse";
import { LifecycleWatcher, QemuMigrationWatcher, transferMsFrom, type LifecycleEvent, type QemuMigrationEvent } from "./events";
import { cleanStderr, DEFAULT_TIMEOUT_MS, isNotFound, runVirsh, toHypervisorError, virshArgs, virshEnv, VirshFailure } from "./virsh";

export interface LibvirtDriverOptions {
  /** Host name as Ferry knows it (VmInfo.host). */
  name: string;
  /** Connection URI: qemu:///system, qemu+unix:///system?socket=…, qemu+tcp://ip/system, qemu+ssh://…, xen+ssh://…, test:///… */
  uri: string;
  /** URI the SOURCE daemon uses to reach this host (peer-to-peer migration), e.g. qemu+tcp://10.250.2.11/system. */
  migrationUri?: string;
  /** Shared directories VM kernels/disks must live under for this host to take them in. */
  storagePaths?: string[];
  /** Per virsh command (default 20 s). */
  timeoutMs?: number;
  /** How long shutdown() waits for the guest to power off (default 60 s). */
  shutdownTimeoutMs?: number;
  /**
   * domjobinfo polling interval during a migration (default 1000 ms). Every poll is a virsh process
   * and a query to QEMU; at 200 ms they took enough CPU from the migrating guests on a 2-core host
   * to lengthen libvirt's own migration time by ~1 s.
   */
  pollIntervalMs?: number;
  /** A migration still running after this is aborted (default 30 min). */
  migrationTimeoutMs?: number;
  /**
   * How long a migration whose source daemon died waits for it to answer again (default 60 s):
   * only the restarted daemon can tell whether the VM still runs there.
   */
  daemonRecoveryTimeoutMs?: number;
  /** QEMU binary for guests this driver defines (Launch instance); default /usr/bin/qemu-system-x86_64. */
  emulator?: string;
}

interface Reservation {
  memoryMiB: number;
  uuid: string;
}

interface HostIdentity {
  kind: HypervisorKind;
  version: string;
  hostUuid?: string;
}

const SPLIT = "@@FERRY-SPLIT@@";
// Names safe to embed in a multi-command virsh string without quoting.
const BATCH_SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,200}$/;
const MAX_STDERR = 16 * 1024;
/** How old the node/domain snapshot a reservation trusts may be (the pre-checks' read). */
const RESERVATION_SNAPSHOT_MS = 3_000;

// Drivers of this process by host name: lets a destination compare itself with the source
// host named in VmInfo.host before anything is sent.
const drivers = new Map<string, LibvirtDriver>();

export class LibvirtDriver implements HypervisorDriver {
  readonly kind = "libvirt" as const;
  readonly name: string;
  readonly uri: string;
  readonly migrationUri: string;
  readonly storagePaths: string[];
  private readonly timeoutMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly migrationTimeoutMs: number;
  readonly daemonRecoveryTimeoutMs: number;
  readonly emulator: string | undefined;
  private identity?: HostIdentity;
  private recent?: { at: number; value: { nodeText: string; vms: VmInfo[] } };
  private readonly reservations = new Map<string, Reservation>();
  private readonly migrations = new Map<string, { cancel(): Promise<void> }>();
  /** Serialises reservation checks so two of them cannot both spend the same free memory. */
  private reserveChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(opts: LibvirtDriverOptions) {
    if (!opts.name) throw new Error("LibvirtDriver needs a host name");
    if (!/^[a-z][a-z0-9+]*:\/\//i.test(opts.uri)) throw new Error(`not a libvirt URI: "${opts.uri}"`);
    this.name = opts.name;
    this.uri = opts.uri;
    this.migrationUri = opts.migrationUri ?? opts.uri;
    this.storagePaths = (opts.storagePaths ?? []).map((p) => path.resolve(p));
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 60_000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1_000;
    this.migrationTimeoutMs = opts.migrationTimeoutMs ?? 30 * 60_000;
    this.daemonRecoveryTimeoutMs = opts.daemonRecoveryTimeoutMs ?? 60_000;
    this.emulator = opts.emulator;
    drivers.set(this.name, this);
  }

  // ---- plumbing -------------------------------------------------------------------------

  private async virsh(args: string[], what: string, opts: { readonly?: boolean; domain?: string; timeoutMs?: number; failOnStderr?: boolean } = {}): Promise<string> {
    if (this.closed) throw new Error(`${this.name}: driver is closed`);
    try {
      return await runVirsh(this.uri, args, { readonly: opts.readonly, timeoutMs: opts.timeoutMs ?? this.timeoutMs, failOnStderr: opts.failOnStderr });
    } catch (err) {
      throw this.error(err, what, opts.domain);
    }
  }

  private error(err: unknown, what: string, domain?: string): Error {
    const e = toHypervisorError(err, what, this, "MIGRATION_FAILED", domain);
    // Outside migrations a plain failure is not one of the typed conditions: keep it untyped.
    if (e.code === "MIGRATION_FAILED" && !what.startsWith("migrat")) return new Error(`${this.name}: ${e.message}`);
    return e;
  }

  private async hostIdentity(): Promise<HostIdentity> {
    if (this.identity) return this.identity;
    const [versionText, capsText] = await Promise.all([
      this.virsh(["version"], "virsh version", { readonly: true }),
      this.virsh(["capabilities"], "virsh capabilities", { readonly: true }),
    ]);
    const version = parseVersion(versionText);
    const caps = parseCapabilities(capsText);
    let kind: HypervisorKind;
    try {
      kind = hypervisorKindOf(this.uri, version, caps);
    } catch (err) {
      throw new HypervisorError("INCOMPATIBLE_HYPERVISOR", `${this.name}: ${(err as Error).message}`);
    }
    this.identity = { kind, version: version.hypervisorVersion ?? version.library ?? "unknown", hostUuid: caps.hostUuid };
    return this.identity;
  }

  private family(kind: HypervisorKind) {
    return hypervisorFamily(kind);
  }

  // ---- host and inventory -----------------------------------------------------------------

  async facts(): Promise<HostFacts> {
    const [{ nodeText, vms }, id] = await Promise.all([this.snapshot(0), this.hostIdentity()]);
    return this.factsFrom(nodeText, vms, id);
  }

  /**
   * The node and its domains as read at most `maxAgeMs` ago. The reservation reuses what the
   * pre-checks read a moment before instead of spending more virsh processes on the critical
   * path; anything this driver changes drops the snapshot.
   */
  private async snapshot(maxAgeMs: number): Promise<{ nodeText: string; vms: VmInfo[] }> {
    const s = this.recent;
    if (s && Date.now() - s.at <= maxAgeMs) return s.value;
    const at = Date.now();
    const value = await Promise.all([this.virsh(["nodeinfo"], "virsh nodeinfo", { readonly: true }), this.inventory()]).then(([nodeText, vms]) => ({ nodeText, vms }));
    this.recent = { at, value };
    return value;
  }

  private forgetSnapshot(): void {
    this.recent = undefined;
  }

  private factsFrom(nodeText: string, vms: VmInfo[], id: HostIdentity): HostFacts {
    const node = parseNodeInfo(nodeText);
    const totalMiB = Math.floor(node.memoryKiB / 1024);
    return {
      name: this.name,
      driver: "libvirt",
      hypervisor: id.kind,
      hypervisorVersion: id.version,
      cpus: node.cpus,
      memoryTotalMiB: totalMiB,
      memoryFreeMiB: Math.max(0, totalMiB - this.committedMiB(vms)),
      storagePaths: [...this.storagePaths],
    };
  }

  /**
   * Memory promised to running/paused domains (their current allocation) plus incoming
   * reservations not yet visible as domains. Node totals, not the kernel's free memory: lab
   * hosts share one machine, and a reservation must count before the guest touches its RAM.
   */
  private committedMiB(vms: VmInfo[]): number {
    let kib = 0;
    const present = new Set<string>();
    for (const vm of vms) {
      if (vm.state === "running" || vm.state === "paused" || vm.state === "migrating" || vm.state === "incoming") {
        kib += vm.memoryMiB * 1024;
        present.add(vm.name);
      }
    }
    for (const [name, r] of this.reservations) if (!present.has(name)) kib += r.memoryMiB * 1024;
    return Math.ceil(kib / 1024);
  }

  async listVms(): Promise<VmInfo[]> {
    return this.inventory();
  }

  private async inventory(): Promise<VmInfo[]> {
    const states = parseListTable(await this.virsh(["list", "--all"], "virsh list", { readonly: true }));
    const names = [...states.keys()];
    if (names.length === 0) return [];
    let xmls: DomainXmlInfo[];
    if (names.every((n) => BATCH_SAFE_NAME.test(n))) {
      // One virsh process for every dumpxml: a domain that vanished meanwhile just drops out.
      const out = await runVirsh(this.uri, [names.map((n) => `dumpxml ${n}`).join(" ; ")], { readonly: true, timeoutMs: this.timeoutMs }).catch(() => undefined);
      xmls = out === undefined ? await this.dumpEach(names) : splitDomainXmls(out).map(parseDomainXml);
    } else {
      xmls = await this.dumpEach(names);
    }
    return xmls.map((x) => this.vmFromXml(x, states.get(x.name) ?? "unknown")).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async dumpEach(names: string[]): Promise<DomainXmlInfo[]> {
    const out: DomainXmlInfo[] = [];
    for (const n of names) {
      try {
        out.push(parseDomainXml(await runVirsh(this.uri, ["dumpxml", n], { readonly: true, timeoutMs: this.timeoutMs })));
      } catch (err) {
        if (!isNotFound(err)) throw this.error(err, "virsh dumpxml", n);
      }
    }
    return out;
  }

  private vmFromXml(x: DomainXmlInfo, state: VmState, macs?: string[]): VmInfo {
    let s = state;
    if (this.migrations.has(x.name)) s = "migrating";
    else if (this.reservations.has(x.name) && state === "paused") s = "incoming";
    return {
      uuid: x.uuid ?? "",
      name: x.name,
      state: s,
      vcpus: x.vcpus ?? 0,
      memoryMiB: Math.round((x.memoryKiB ?? x.currentMemoryKiB ?? 0) / 1024),
      macs: macs ?? x.macs,
      diskPaths: [x.kernel, x.initrd, ...x.disks].filter((p): p is string => Boolean(p)),
      host: this.name,
    };
  }

  async definition(name: string): Promise<VmDefinition> {
    const xml = await this.virsh(["dumpxml", name], "virsh dumpxml", { readonly: true, domain: name });
    const x = parseDomainXml(xml);
    const consoleLog = /<serial type=['"]file['"]>\s*<source path=['"]([^'"]+)['"]/.exec(xml)?.[1] ?? "";
    return {
      name: x.name,
      uuid: x.uuid,
      memoryMiB: Math.round((x.memoryKiB ?? 0) / 1024),
      vcpus: x.vcpus ?? 1,
      kernel: x.kernel ?? "",
      initrd: x.initrd ?? "",
      cmdline: x.cmdline ?? "",
      mac: x.macs[0] ?? "",
      consoleLog,
    };
  }

  async getVm(name: string): Promise<VmInfo> {
    let info: string, ifaces: string, xml: string;
    if (BATCH_SAFE_NAME.test(name)) {
      // One virsh process for the three reads: each process costs a connection to the daemon.
      const out = await this.virsh([`dominfo ${name} ; echo ${SPLIT} ; domiflist ${name} ; echo ${SPLIT} ; dumpxml ${name}`], "virsh dominfo", { readonly: true, domain: name, failOnStderr: true });
      const parts = out.split(SPLIT);
      if (parts.length !== 3) throw new Error(`${this.name}: unexpected virsh output for ${name}: ${out.slice(0, 200)}`);
      [info, ifaces, xml] = parts as [string, string, string];
    } else {
      [info, ifaces, xml] = await Promise.all([
        this.virsh(["dominfo", name], "virsh dominfo", { readonly: true, domain: name }),
        this.virsh(["domiflist", name], "virsh domiflist", { readonly: true, domain: name }),
        this.virsh(["dumpxml", name], "virsh dumpxml", { readonly: true, domain: name }),
      ]);
    }
    const di = parseDomInfo(info);
    const x = parseDomainXml(xml);
    const macs = parseDomIfList(ifaces).map((i) => i.mac);
    const vm = this.vmFromXml(x, di.state, macs.length ? macs : x.macs);
    vm.vcpus = di.vcpus || vm.vcpus;
    return vm;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  async define(def: VmDefinition): Promise<VmInfo> {
    this.forgetSnapshot();
    const id = await this.hostIdentity();
    if (this.family(id.kind) === "xen") {
      throw new HypervisorError("UNSUPPORTED", `${this.name}: Ferry builds QEMU domain XML only; define Xen guests with their own XML`);
    }
    const xml = labDomainXml({
      name: def.name,
      uuid: def.uuid,
      memoryMiB: def.memoryMiB,
      vcpus: def.vcpus,
      kernel: def.kernel,
      initrd: def.initrd,
      cmdline: def.cmdline,
      mac: def.mac,
      consoleLog: def.consoleLog,
      interfaceId: def.portId,
      emulator: this.emulator,
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-define-"));
    try {
      const file = path.join(dir, "domain.xml");
      fs.writeFileSync(file, xml);
      // Define and read back in one connection: libvirt's test driver forgets everything when
      // the connection closes, and it saves a process elsewhere.
      if (/['\\]/.test(file)) throw new Error(`temporary directory path not usable with virsh: ${file}`);
      const out = await this.virsh([`define '${file}' ; echo ${SPLIT} ; domstate ${def.name} ; echo ${SPLIT} ; dumpxml ${def.name}`], "virsh define", { failOnStderr: true });
      const [, state, domXml] = out.split(SPLIT);
      if (!domXml || !/<domain\b/.test(domXml)) throw new Error(`${this.name}: virsh define gave no domain back: ${out.slice(0, 300)}`);
      return this.vmFromXml(parseDomainXml(domXml), vmStateFromText(state ?? ""));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async start(name: string): Promise<void> {
    this.forgetSnapshot();
    await this.virsh(["start", name], "virsh start", { domain: name });
  }

  /** ACPI power-off, then waits (bounded) for the guest to stop; throws if it did not. */
  async shutdown(name: string): Promise<void> {
    this.forgetSnapshot();
    await this.virsh(["shutdown", name], "virsh shutdown", { domain: name });
    const deadline = Date.now() + this.shutdownTimeoutMs;
    let state = "";
    while (Date.now() < deadline) {
      state = (await this.virsh(["domstate", name], "virsh domstate", { readonly: true, domain: name })).trim();
      if (vmStateFromText(state) === "shutoff") return;
      await sleep(250);
    }
    throw new Error(`${this.name}: ${name} is still "${state}" ${Math.round(this.shutdownTimeoutMs / 1000)} s after an ACPI shutdown (the guest may ignore it; destroy() forces it off)`);
  }

  async destroy(name: string): Promise<void> {
    this.forgetSnapshot();
    await this.virsh(["destroy", name], "virsh destroy", { domain: name });
  }

  async undefine(name: string): Promise<void> {
    this.forgetSnapshot();
    await this.virsh(["undefine", name], "virsh undefine", { domain: name });
  }

  // ---- migration ------------------------------------------------------------------------------

  /**
   * libvirt's peer-to-peer migration creates the destination domain itself, so the reservation
   * is a check plus memory held in this driver until release() or the migration's end.
   */
  prepareIncoming(vm: VmInfo, def: VmDefinition): Promise<IncomingReservation> {
    const next = this.reserveChain.then(() => this.reserve(vm, def));
    this.reserveChain = next.catch(() => undefined);
    return next;
  }

  private async reserve(vm: VmInfo, def: VmDefinition): Promise<IncomingReservation> {
    const source = drivers.get(vm.host);
    const [{ nodeText, vms }, id, sourceKind] = await Promise.all([
      this.snapshot(RESERVATION_SNAPSHOT_MS),
      this.hostIdentity(),
      source && source !== this ? source.hostIdentity().then((i) => i.kind) : undefined,
    ]);
    const facts = this.factsFrom(nodeText, vms, id);
    if (vm.host === this.name) throw new HypervisorError("SAME_HOST", `${vm.name} already lives on ${this.name}`);
    if (sourceKind !== undefined && this.family(sourceKind) !== this.family(facts.hypervisor)) {
      throw new HypervisorError("INCOMPATIBLE_HYPERVISOR", `${vm.name} runs on ${vm.host} (${sourceKind}); ${this.name} is ${facts.hypervisor}`);
    }
    if (this.reservations.has(vm.name)) throw new HypervisorError("MIGRATION_FAILED", `${this.name} already holds a reservation for ${vm.name}`);

    const existing = vms.find((v) => v.name === vm.name);
    if (existing && (existing.state === "running" || existing.state === "paused" || existing.state === "migrating")) {
      if (existing.uuid === vm.uuid) throw new HypervisorError("SAME_HOST", `${vm.name} already runs on ${this.name}`);
      throw new HypervisorError("MIGRATION_FAILED", `${this.name} already runs another domain named ${vm.name} (uuid ${existing.uuid})`);
    }
    if (existing && existing.uuid && vm.uuid && existing.uuid !== vm.uuid) {
      throw new HypervisorError("MIGRATION_FAILED", `${this.name} has another domain named ${vm.name} defined (uuid ${existing.uuid}); undefine it first`);
    }

    const need = Math.max(vm.memoryMiB, def.memoryMiB);
    if (facts.memoryFreeMiB < need) {
      throw new HypervisorError(
        "NOT_ENOUGH_MEMORY",
        `${this.name} has ${facts.memoryFreeMiB} MiB free of ${facts.memoryTotalMiB} MiB (running VMs and reservations hold the rest); ${vm.name} needs ${need} MiB`,
      );
    }
    if (this.storagePaths.length) {
      const paths = [...new Set([...vm.diskPaths, def.kernel, def.initrd].filter(Boolean))];
      const outside = paths.filter((p) => !this.storagePaths.some((root) => isUnder(p, root)));
      if (outside.length) {
        throw new HypervisorError("STORAGE_NOT_SHARED", `${this.name} cannot read ${outside.join(", ")}: not under its shared storage (${this.storagePaths.join(", ")})`);
      }
    }

    const reservation: Reservation = { memoryMiB: need, uuid: vm.uuid };
    this.reservations.set(vm.name, reservation);
    return {
      uri: this.migrationUri,
      release: async () => {
        if (this.reservations.get(vm.name) === reservation) this.reservations.delete(vm.name);
      },
    };
  }

  async migrate(name: string, target: MigrationTarget, options: MigrateOptions = {}): Promise<MigrationHandle> {
    const dest = target.driver;
    if (!(dest instanceof LibvirtDriver)) {
      throw new HypervisorError("INCOMPATIBLE_HYPERVISOR", `libvirt can only migrate ${name} to another libvirt host, not to a ${dest.kind} backend`);
    }
    if (dest === this || dest.uri === this.uri) throw new HypervisorError("SAME_HOST", `${name}: source and destination are both ${this.name}`);
    if (this.migrations.has(name)) throw new HypervisorError("MIGRATION_FAILED", `${name} is already migrating from ${this.name}`);
    // A VM the caller read a moment ago need not be read again (three virsh calls on the critical path).
    const [vm, src, dst] = await Promise.all([target.vm && target.vm.name === name ? target.vm : this.getVm(name), this.hostIdentity(), dest.hostIdentity()]);
    if (src.hostUuid && src.hostUuid === dst.hostUuid) {
      throw new HypervisorError("SAME_HOST", `${this.name} and ${dest.name} are the same libvirt host (host UUID ${src.hostUuid})`);
    }
    if (this.family(src.kind) !== this.family(dst.kind)) {
      throw new HypervisorError("INCOMPATIBLE_HYPERVISOR", `cannot migrate from ${src.kind} (${this.name}) to ${dst.kind} (${dest.name})`);
    }
    if (vm.state !== "running" && vm.state !== "paused") {
      throw new HypervisorError("MIGRATION_FAILED", `${name} is ${vm.state} on ${this.name}; live migration needs a running VM`);
    }
    const plan = buildMigrationPlan(this.family(src.kind), name, target.incoming.uri, options);
    const migration = new LibvirtMigration(this, dest, name, plan, target.incoming, this.pollIntervalMs, this.migrationTimeoutMs, this.timeoutMs);
    this.migrations.set(name, migration);
    const settle = () => {
      this.migrations.delete(name);
      // The domain moved (or its job ended): what both hosts hold changed.
      this.forgetSnapshot();
      dest.forgetSnapshot();
    };
    migration.handle.done.then(settle, settle);
    try {
      await migration.begin();
    } catch (err) {
      this.migrations.delete(name);
      await target.incoming.release();
      throw err;
    }
    return migration.handle;
  }

  /** @internal used by LibvirtMigration */
  runOn(args: string[], what: string, opts: { readonly?: boolean; timeoutMs?: number; domain?: string } = {}): Promise<string> {
    return this.virsh(args, what, opts);
  }

  /** QEMU's announce-self (RARP from the VM's MAC addresses) through libvirt's monitor passthrough. */
  async announce(name: string): Promise<void> {
    const id = await this.hostIdentity();
    if (this.family(id.kind) !== "qemu") throw new HypervisorError("UNSUPPORTED", `${this.name}: ${id.kind} has no announce-self; the guest must send its own gratuitous ARP`);
    // Timing as QEMU's defaults for a post-migration announcement: first after 50 ms, 5 rounds
    // 100 ms further apart each, never more than 550 ms apart.
    const cmd = JSON.stringify({ execute: "announce-self", arguments: { initial: 50, max: 550, rounds: 5, step: 100 } });
    const out = await this.virsh(["qemu-monitor-command", name, "--pretty", cmd], "announce-self", { domain: name });
    if (!/"return"/.test(out)) throw new Error(`${this.name}: announce-self on ${name} gave no return: ${out.slice(0, 300)}`);
  }

  /**
   * libvirt's peer-to-peer migration runs in the daemons, so it can outlive the server that
   * started it. domjobabort works from any connection; a job past the point of no return ends on
   * its own, hence the wait.
   */
  async abortStrayMigration(name: string, timeoutMs = 60_000): Promise<boolean> {
    if (this.migrations.has(name)) return false;
    return this.abortJob(name, timeoutMs);
  }

  /** Aborts the domain's migration job if one is active and waits (bounded) until it ends. */
  async abortJob(name: string, timeoutMs: number): Promise<boolean> {
    const job = () =>
      this.virsh(["domjobinfo", name, "--rawstats"], "domjobinfo", { readonly: true, domain: name, timeoutMs: 5_000 }).then(
        (t) => parseDomJobInfo(t).type,
        (err: unknown) => {
          // The domain left this host (the migration completed): nothing runs here any more.
          if (err instanceof HypervisorError && err.code === "UNKNOWN_VM") return "none" as const;
          throw err;
        },
      );
    const active = (t: string) => t === "bounded" || t === "unbounded";
    if (!active(await job())) return false;
    await this.virsh(["domjobabort", name], "domjobabort", { domain: name, timeoutMs: 10_000 }).catch(() => {});
    const deadline = Date.now() + timeoutMs;
    while (active(await job())) {
      if (Date.now() > deadline) throw new Error(`${this.name}: the migration job of ${name} did not end within ${Math.round(timeoutMs / 1000)} s of an abort`);
      await sleep(200);
    }
    return true;
  }

  /** Whether the daemon answers a trivial request now. */
  async answers(timeoutMs = 5_000): Promise<boolean> {
    return runVirsh(this.uri, ["version"], { readonly: true, timeoutMs }).then(
      () => true,
      () => false,
    );
  }

  /** Aborts migrations this driver started (bounded) and forgets the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.migrations.values()].map((m) => m.cancel().catch(() => {})));
    this.closed = true;
    this.reservations.clear();
    if (drivers.get(this.name) === this) drivers.delete(this.name);
  }
}

/** One running `virsh migrate` plus its domjobinfo poller. */
class LibvirtMigration {
  readonly handle: MigrationHandle;
  private readonly listeners: ((p: MigrationProgress) => void)[] = [];
  private readonly switchoverListeners: ((e: SwitchoverEvent) => void)[] = [];
  private readonly switchovers = new Map<SwitchoverEvent["event"], SwitchoverEvent>();
  private watchers: { stop(): void }[] = [];
  /** QEMU's MIGRATION events at the source, for its own transfer time. */
  private readonly qemuEvents: QemuMigrationEvent[] = [];
  /** The destination's completed-job statistics, asked for as soon as the VM runs there. */
  private earlyStats?: Promise<string>;
  private child?: LaunchedProcess;
  private stderr = "";
  private settled = false;
  private cancelled = false;
  private postcopyStarted = false;
  private suspendedSource = false;
  private last?: JobInfo;
  private startedAt = 0;
  private poller?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;
  private polling = false;
  private restore: string[][] = [];
  private resolve!: (r: MigrationResult) => void;
  private reject!: (e: Error) => void;
  private readonly done: Promise<MigrationResult>;

  constructor(
    private readonly source: LibvirtDriver,
    private readonly dest: LibvirtDriver,
    private readonly name: string,
    private readonly plan: MigrationPlan,
    private readonly incoming: IncomingReservation,
    private readonly pollIntervalMs: number,
    private readonly migrationTimeoutMs: number,
    private readonly commandTimeoutMs: number,
  ) {
    this.done = new Promise<MigrationResult>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // A caller that only cancels must not see an unhandled rejection.
    this.done.catch(() => {});
    this.handle = {
      onProgress: (l) => void this.listeners.push(l),
      onSwitchover: (l) => {
        this.switchoverListeners.push(l);
        // Late listeners still learn what already happened.
        for (const e of this.switchovers.values()) l(e);
      },
      done: this.done,
      cancel: () => this.cancel(),
      forceComplete: () => this.forceComplete(),
    };
  }

  private emit(p: Omit<MigrationProgress, "at">): void {
    const sample = { at: Date.now(), ...p };
    for (const l of this.listeners) {
      try {
        l(sample);
      } catch {
        // A listener's bug must not stop the migration's bookkeeping.
      }
    }
  }

  private switchover(event: SwitchoverEvent["event"], at: number): void {
    if (this.switchovers.has(event) || this.settled) return;
    const e = { event, at };
    this.switchovers.set(event, e);
    for (const l of this.switchoverListeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not stop the migration's bookkeeping.
      }
    }
  }

  private onLifecycle(side: "source" | "dest", e: LifecycleEvent): void {
    if (e.domain !== this.name) return;
    if (side === "source" && e.event === "Suspended" && e.detail === "Migrated") this.switchover("source-paused", e.at);
    if (side === "dest" && e.event === "Resumed") {
      this.switchover("destination-running", e.at);
      // The destination's job is complete once the VM runs there; read its figures while the
      // source still confirms, so done() does not wait for them afterwards.
      if (this.plan.detailedProgress && !this.earlyStats) {
        this.earlyStats = this.dest
          .runOn(["domjobinfo", this.name, "--completed", "--keep-completed", "--rawstats"], "domjobinfo --completed", { timeoutMs: this.commandTimeoutMs })
          .catch(() => "");
      }
    }
  }

  private stopWatchers(): void {
    for (const w of this.watchers) w.stop();
    this.watchers = [];
  }

  async begin(): Promise<void> {
    const watchFor = Math.ceil(this.migrationTimeoutMs / 1000) + 60;
    this.watchers = [
      new LifecycleWatcher(this.source.uri, (e) => this.onLifecycle("source", e), watchFor),
      new LifecycleWatcher(this.dest.uri, (e) => this.onLifecycle("dest", e), watchFor),
    ];
    // libvirt's job also covers starting the destination QEMU; QEMU's own events bound the transfer.
    if (this.plan.detailedProgress) this.watchers.push(new QemuMigrationWatcher(this.source.uri, this.name, (e) => void this.qemuEvents.push(e), watchFor));
    try {
      await this.prepare();
    } catch (err) {
      this.stopWatchers();
      throw err;
    }
  }

  private async prepare(): Promise<void> {
    if (this.plan.before.length) {
      // Remember what we change so a migration that leaves the VM here leaves it as it was.
      const speed = (await this.source.runOn(["migrate-getspeed", this.name], "migrate-getspeed", { domain: this.name })).trim();
      const downtime = await this.source.runOn(["migrate-getmaxdowntime", this.name], "migrate-getmaxdowntime", { domain: this.name }).then((s) => s.trim(), () => "");
      for (const step of this.plan.before) {
        if (step[0] === "migrate-setspeed" && /^\d+$/.test(speed)) this.restore.push(["migrate-setspeed", this.name, speed]);
        if (step[0] === "migrate-setmaxdowntime" && /^\d+$/.test(downtime)) this.restore.push(["migrate-setmaxdowntime", this.name, downtime]);
        await this.source.runOn(step, step[0]!, { domain: this.name });
      }
    }
    this.startedAt = Date.now();
    this.emit({ status: "setup" });
    // Launched, not exec'd: the command lives as long as the migration.
    const child = launch("virsh", virshArgs(this.source.uri, this.plan.migrate), { stderr: true, env: virshEnv() });
    this.child = child;
    let spawnError = "";
    child.on("stderr", (d: Buffer) => {
      this.stderr += d.toString();
      if (this.stderr.length > MAX_STDERR) this.stderr = this.stderr.slice(-MAX_STDERR / 2);
    });
    child.on("error", (err: Error) => (spawnError = err.message));
    child.on("exit", (code: number | null) => void this.finish(code, spawnError));
    this.poller = setTimeout(() => void this.poll(), this.pollIntervalMs);
    this.deadline = setTimeout(() => {
      this.stderr += `\nmigration did not finish within ${Math.round(this.migrationTimeoutMs / 1000)} s; aborted`;
      void this.source.runOn(["domjobabort", this.name], "domjobabort", { domain: this.name }).catch(() => {});
    }, this.migrationTimeoutMs);
  }

  private async poll(): Promise<void> {
    if (this.settled || this.polling) return;
    this.polling = true;
    try {
      if (!this.plan.detailedProgress) {
        // libxl reports no byte counts: the phase and our own clock are all there is.
        this.emit({ status: this.postcopyStarted ? "postcopy-active" : "active" });
        return;
      }
      const text = await this.source.runOn(["domjobinfo", this.name, "--rawstats"], "domjobinfo", { readonly: true, timeoutMs: 5_000 });
      if (this.settled) return;
      const job = parseDomJobInfo(text);
      if (job.type === "none" || job.type === "completed") return;
      this.last = job;
      const started = (job.memoryTotal ?? 0) > 0;
      // Before QEMU starts sending, libvirt reports zeros: nothing worth passing on.
      if (!started) {
        this.emit({ status: "setup" });
        return;
      }
      this.emit({
        status: this.postcopyStarted ? "postcopy-active" : "active",
        pass: job.iteration || undefined,
        transferredBytes: job.memoryProcessed ?? job.dataProcessed,
        remainingBytes: job.memoryRemaining ?? job.dataRemaining,
        totalBytes: job.memoryTotal ?? job.dataTotal,
        dirtyPagesRate: job.dirtyRate,
        throughputBps: job.memoryBps,
        expectedDowntimeMs: job.downtimeMs,
        setupTimeMs: job.setupTimeMs,
      });
    } catch {
      // The domain leaves the source at the very end; the exit status tells the outcome.
    } finally {
      this.polling = false;
      if (!this.settled) this.poller = setTimeout(() => void this.poll(), this.pollIntervalMs);
    }
  }

  private async finish(code: number | null, spawnError: string): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.poller);
    clearTimeout(this.deadline);
    this.stopWatchers();
    const wallMs = Date.now() - this.startedAt;
    try {
      if (code === 0) {
        const result = await this.completedStats(wallMs);
        if (this.suspendedSource) await this.resumeAtDestination();
        this.emit({ status: "completed", pass: result.passes, transferredBytes: result.transferredBytes, remainingBytes: 0 });
        await this.incoming.release();
        this.resolve(result);
        return;
      }
      let detail = cleanStderr(this.stderr) || spawnError || `virsh migrate exited with ${code}`;
      const cancelled = this.cancelled || /canceled by client|cancelled by client/i.test(detail);
      // virsh only saw its connection drop when the source's daemon died: the outcome is known
      // once a restarted daemon has taken the VM back.
      if (!cancelled && !(await this.source.answers())) detail = await this.awaitSource(detail);
      await this.restoreSource();
      await this.incoming.release();
      this.emit({ status: cancelled ? "cancelled" : "failed" });
      this.reject(
        cancelled
          ? new HypervisorError("MIGRATION_CANCELLED", `migration of ${this.name} from ${this.source.name} to ${this.dest.name} was cancelled; it stays on ${this.source.name}`, detail)
          : new HypervisorError("MIGRATION_FAILED", `migration of ${this.name} from ${this.source.name} to ${this.dest.name} failed: ${detail}`, detail),
      );
    } catch (err) {
      await this.incoming.release().catch(() => {});
      this.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * The source forgets the domain (--undefinesource), so its completed-job statistics are gone;
   * the destination keeps the incoming job's, which libvirt fills from the source's figures.
   */
  private async completedStats(wallMs: number): Promise<MigrationResult> {
    let job: JobInfo | undefined;
    if (this.plan.detailedProgress) {
      const read = () =>
        this.dest.runOn(["domjobinfo", this.name, "--completed", "--keep-completed", "--rawstats"], "domjobinfo --completed", { timeoutMs: this.commandTimeoutMs }).catch(() => "");
      let parsed = parseDomJobInfo(this.earlyStats ? await this.earlyStats : await read());
      // Asked for too early (the destination had not closed its job yet): ask again.
      if (parsed.type !== "completed" && this.earlyStats) parsed = parseDomJobInfo(await read());
      if (parsed.type === "completed") job = parsed;
    }
    const last = this.last;
    return {
      downtimeMs: job?.downtimeMs,
      totalTimeMs: job?.timeElapsedMs ?? wallMs,
      commandWallMs: wallMs,
      transferMs: transferMsFrom(this.qemuEvents),
      transferredBytes: job?.memoryProcessed ?? job?.dataProcessed ?? last?.memoryProcessed,
      passes: job?.iteration ?? last?.iteration,
    };
  }

  private async resumeAtDestination(): Promise<void> {
    const state = await this.dest.runOn(["domstate", this.name], "domstate", { readonly: true }).catch(() => "");
    if (vmStateFromText(state) === "paused") await this.dest.runOn(["resume", this.name], "resume").catch(() => {});
  }

  /**
   * The source's libvirtd died mid-migration: waits (bounded) until it answers again, then until
   * the job it recovered from its state files has ended (aborted if it still runs: nobody drives
   * it any more), so the VM's state there can be read. Returns the failure's plain reason.
   */
  private async awaitSource(detail: string): Promise<string> {
    const lostAt = Date.now();
    const limitMs = this.source.daemonRecoveryTimeoutMs;
    const stopped = `libvirt on ${this.source.name} stopped answering during the migration (${detail})`;
    while (!(await this.source.answers())) {
      if (Date.now() - lostAt > limitMs) return `${stopped} and had not answered again ${Math.round(limitMs / 1000)} s later`;
      await sleep(500);
    }
    const back = `${stopped}; it answered again ${Math.max(1, Math.round((Date.now() - lostAt) / 1000))} s later`;
    const jobEnded = await this.source.abortJob(this.name, 30_000).then(
      () => "",
      (e: Error) => `; ${e.message}`,
    );
    return back + jobEnded;
  }

  /** Puts back bandwidth/downtime settings and resumes a source we paused, if the VM is still here. */
  private async restoreSource(): Promise<void> {
    for (const step of this.restore) await this.source.runOn(step, step[0]!, { domain: this.name }).catch(() => {});
    if (this.suspendedSource) await this.source.runOn(["resume", this.name], "resume", { domain: this.name }).catch(() => {});
  }

  async cancel(): Promise<void> {
    if (this.settled) return;
    this.cancelled = true;
    // The job may not be visible for a moment right after virsh starts: retry briefly.
    const deadline = Date.now() + 10_000;
    let lastErr: unknown;
    while (!this.settled && Date.now() < deadline) {
      try {
        await this.source.runOn(["domjobabort", this.name], "domjobabort", { domain: this.name, timeoutMs: 10_000 });
        break;
      } catch (err) {
        lastErr = err;
        await sleep(200);
      }
    }
    const settled = await Promise.race([this.done.then(() => true, () => true), sleep(60_000).then(() => false)]);
    if (!settled) {
      throw new HypervisorError("MIGRATION_FAILED", `could not cancel the migration of ${this.name}`, lastErr instanceof VirshFailure ? lastErr.stderr : String(lastErr ?? ""));
    }
  }

  /**
   * Post-copy when it was requested (the destination runs the VM, pages follow on demand);
   * otherwise the source is paused, so nothing dirties memory and libvirt finishes the last
   * round; the destination then resumes the VM.
   */
  async forceComplete(): Promise<void> {
    if (this.settled) return;
    if (this.plan.postCopy) {
      await this.source.runOn(["migrate-postcopy", this.name], "migrate-postcopy", { domain: this.name });
      this.postcopyStarted = true;
    } else {
      await this.source.runOn(["suspend", this.name], "suspend", { domain: this.name });
      this.suspendedSource = true;
    }
  }
}

function isUnder(p: string, root: string): boolean {
  const rel = path.relative(root, path.resolve(p));
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
