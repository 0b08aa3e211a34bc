// HypervisorDriver for a plain-QEMU host: Ferry owns the QEMU processes, talks to each over its
// QMP socket and plugs each VM's tap into the host's br-int through OVSDB. See README.md.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execLaunched } from "../../runtime/launcher";
import { OvsdbClient, Vswitch } from "../../../controller/ovsdb";
import {
  HypervisorError,
  type HostFacts,
  type HypervisorDriver,
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
import { QmpClient, QmpError } from "./client";

export interface QmpDriverConfig {
  /** Host name as the rest of Ferry knows it. */
  name: string;
  /** Network namespace the host's VMs and OVS live in. */
  ns: string;
  /** QMP sockets, pid files and per-VM directories. */
  runDir: string;
  /** The host's OVSDB socket. */
  ovsDbSock: string;
  /** The host's underlay address (its tunnels' end). */
  underlayIp: string;
  /** Address incoming migration streams are received on (a migration network); default underlayIp. */
  migrationIp?: string;
  memoryTotalMiB: number;
  /** Directories VM kernels/initrds/console logs must live under (shared storage); empty = not checked. */
  storagePaths?: string[];
  qemuBinary?: string;
  bridge?: string;
  /** First TCP port tried for incoming migrations (default 49152). */
  incomingPortBase?: number;
  /** How long shutdown() waits for the guest to power off before forcing it (default 30 s). */
  shutdownTimeoutMs?: number;
  /** Longest a migration may run before it is cancelled (default 30 min). */
  migrationTimeoutMs?: number;
  log?: (line: string) => void;
}

/** What is kept on disk per VM (so a restarted server finds its VMs again). */
interface VmRecord {
  def: VmDefinition & { uuid: string };
  tap: string;
  /** "incoming": a paused QEMU waiting for a migration stream, not yet this host's VM. */
  role: "defined" | "incoming";
}

interface QmpStatus {
  running: boolean;
  status: string;
}

/** The subset of query-migrate's reply that is used (qapi/migration.json MigrationInfo). */
interface QmpMigrationInfo {
  status?: string;
  "total-time"?: number;
  "expected-downtime"?: number;
  downtime?: number;
  "setup-time"?: number;
  "error-desc"?: string;
  ram?: {
    transferred: number;
    remaining: number;
    total: number;
    "dirty-pages-rate"?: number;
    mbps?: number;
    "dirty-sync-count"?: number;
  };
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
// Longest path a UNIX socket address can hold on Linux (sun_path is 108 bytes with the NUL).
const MAX_SOCKET_PATH = 107;
const POLL_MS = 200;
const MIB = 1024 * 1024;
// "Unlimited" bandwidth for QEMU: its default cap (128 MiB/s) would otherwise apply.
const UNLIMITED_BPS = 100 * 1024 * MIB;
const DEFAULT_DOWNTIME_MS = 300;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a command through the launcher's helper (not forked from the server: launcher.ts). */
function exec(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execLaunched(cmd, args, { timeoutMs, maxBuffer: 4 * MIB }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

function processAlive(pid: number, marker: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z") return false;
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
  } catch {
    return false;
  }
}

function mapRunState(status: string): VmState {
  switch (status) {
    case "running":
      return "running";
    case "paused":
    case "prelaunch":
    case "suspended":
    case "io-error":
    case "watchdog":
    case "debug":
    case "save-vm":
    case "restore-vm":
      return "paused";
    case "inmigrate":
      return "incoming";
    case "finish-migrate":
    case "postmigrate":
    case "colo":
      return "migrating";
    case "shutdown":
      return "shutoff";
    case "internal-error":
    case "guest-panicked":
      return "crashed";
    default:
      return "unknown";
  }
}

/** The stages of a migration in the order QEMU goes through them (the terminal failures aside). */
const PROGRESS_ORDER: readonly MigrationProgress["status"][] = ["setup", "active", "pre-switchover", "device", "postcopy-active", "completed"];

function mapMigrationStatus(s: string | undefined): MigrationProgress["status"] | undefined {
  switch (s) {
    case "setup":
    case "wait-unplug":
      return "setup";
    case "active":
      return "active";
    case "pre-switchover":
      return "pre-switchover";
    case "device":
      return "device";
    case "postcopy-active":
    case "postcopy-paused":
    case "postcopy-recover":
      return "postcopy-active";
    case "completed":
      return "completed";
    case "failed":
      return "failed";
    case "cancelled":
      return "cancelled";
    default:
      return undefined; // none, cancelling, colo: nothing the orchestrator can use
  }
}

/** Serialises the memory check and the launch, so two reservations cannot both take the last MiB. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** What prepareIncoming returns; the source's migrate() hands the VM over through it. */
export class QmpIncomingReservation implements IncomingReservation {
  released = false;
  adopted = false;
  constructor(
    readonly driver: QmpDriver,
    readonly vmName: string,
    readonly uri: string,
    readonly port: number,
  ) {}

  async release(): Promise<void> {
    if (this.released || this.adopted) return;
    this.released = true;
    await this.driver.discardIncoming(this.vmName);
  }
}

export class QmpDriver implements HypervisorDriver {
  readonly kind = "qmp" as const;
  private readonly records = new Map<string, VmRecord>();
  private readonly clients = new Map<string, Promise<QmpClient>>();
  private readonly retiring = new Map<string, Promise<void>>();
  private readonly migrating = new Set<string>();
  private readonly lock = new Mutex();
  private readonly bridge: string;
  private readonly log: (line: string) => void;
  private version: string | undefined;

  constructor(readonly config: QmpDriverConfig) {
    if (config.runDir.includes(",")) throw new Error("runDir must not contain commas (QEMU option syntax)");
    this.bridge = config.bridge ?? "br-int";
    this.log = config.log ?? (() => {});
    fs.mkdirSync(config.runDir, { recursive: true });
    this.loadRecords();
  }

  get name(): string {
    return this.config.name;
  }

  // ---- files and processes ----

  private vmDir(name: string): string {
    return path.join(this.config.runDir, name);
  }
  private qmpPath(name: string): string {
    return path.join(this.config.runDir, `${name}.qmp`);
  }
  private pidPath(name: string): string {
    return path.join(this.vmDir(name), "qemu.pid");
  }
  /** On the QEMU command line (in -name), so a pid is only signalled if it is still this VM's QEMU. */
  marker(name: string): string {
    return `ferry-qmp:${name}@${this.config.runDir}`;
  }

  private loadRecords(): void {
    for (const entry of fs.readdirSync(this.config.runDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = path.join(this.config.runDir, entry.name, "vm.json");
      try {
        const rec = JSON.parse(fs.readFileSync(file, "utf8")) as VmRecord;
        if (rec.def?.name !== entry.name) continue;
        // An incoming QEMU whose reservation died with the previous server is useless.
        if (rec.role === "incoming" && !this.pidOf(rec.def.name)) {
          fs.rmSync(path.join(this.config.runDir, entry.name), { recursive: true, force: true });
          continue;
        }
        this.records.set(rec.def.name, rec);
      } catch {
        // Not a VM directory (or a half-written one from a crash).
      }
    }
  }

  private persist(rec: VmRecord): void {
    const dir = this.vmDir(rec.def.name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "vm.json");
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(rec, null, 2));
    fs.renameSync(`${file}.tmp`, file);
    this.records.set(rec.def.name, rec);
  }

  private forget(name: string): void {
    this.records.delete(name);
    fs.rmSync(this.vmDir(name), { recursive: true, force: true });
    fs.rmSync(this.qmpPath(name), { force: true });
  }

  /** The live QEMU's pid, or undefined. */
  private pidOf(name: string): number | undefined {
    try {
      const pid = Number.parseInt(fs.readFileSync(this.pidPath(name), "utf8").trim(), 10);
      return Number.isInteger(pid) && pid > 1 && processAlive(pid, this.marker(name)) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private record(name: string): VmRecord {
    const rec = this.records.get(name);
    if (!rec) throw new HypervisorError("UNKNOWN_VM", `no VM named ${name} on ${this.config.name}`);
    return rec;
  }

  private async killQemu(name: string, graceMs = 5_000): Promise<void> {
    const pid = this.pidOf(name);
    await this.dropClient(name);
    if (!pid) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      return;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && processAlive(pid, this.marker(name))) await sleep(50);
    if (processAlive(pid, this.marker(name))) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      const hard = Date.now() + 3_000;
      while (Date.now() < hard && processAlive(pid, this.marker(name))) await sleep(20);
    }
    fs.rmSync(this.pidPath(name), { force: true });
  }

  private async waitExit(name: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.pidOf(name)) return true;
      await sleep(100);
    }
    return !this.pidOf(name);
  }

  // ---- QMP connections (QEMU serves one monitor client at a time, so one per VM is kept) ----

  private client(name: string): Promise<QmpClient> {
    let p = this.clients.get(name);
    if (!p) {
      p = QmpClient.connect(this.qmpPath(name), { connectTimeoutMs: 10_000 }).then((c) => {
        c.once("close", () => {
          if (this.clients.get(name) === p) this.clients.delete(name);
        });
        return c;
      });
      p.catch(() => {
        if (this.clients.get(name) === p) this.clients.delete(name);
      });
      this.clients.set(name, p);
    }
    return p;
  }

  private async dropClient(name: string): Promise<void> {
    const p = this.clients.get(name);
    this.clients.delete(name);
    if (p) await p.then((c) => c.close()).catch(() => {});
  }

  private async qmp<T>(name: string, command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    const c = await this.client(name);
    return c.execute<T>(command, args, { timeoutMs });
  }

  // ---- network plumbing ----

  private tapName(name: string): string {
    // IFNAMSIZ allows 15 characters; a hash keeps any VM name within it.
    return `fq${createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
  }

  private async withVswitch<T>(fn: (vs: Vswitch) => Promise<T>): Promise<T> {
    const c = await OvsdbClient.connect({ path: this.config.ovsDbSock });
    try {
      return await fn(new Vswitch(c));
    } finally {
      c.close();
    }
  }

  private async plug(rec: VmRecord, status: "active" | "inactive"): Promise<void> {
    const { ns } = this.config;
    await exec("ip", ["netns", "exec", ns, "ip", "link", "del", rec.tap]).catch(() => {});
    await exec("ip", ["netns", "exec", ns, "ip", "tuntap", "add", "dev", rec.tap, "mode", "tap"]);
    await exec("ip", ["netns", "exec", ns, "ip", "link", "set", rec.tap, "up"]);
    await this.withVswitch(async (vs) => {
      await vs.addPort(this.bridge, rec.tap, {
        externalIds: {
          "iface-id": rec.def.portId ?? rec.def.uuid,
          "attached-mac": rec.def.mac.toLowerCase(),
          "vm-uuid": rec.def.uuid,
          "iface-status": status,
        },
      });
      await vs.waitForOfport(rec.tap, 10_000);
    });
  }

  private async unplug(rec: VmRecord): Promise<void> {
    await this.withVswitch((vs) => vs.deletePort(this.bridge, rec.tap)).catch((e: unknown) => this.log(`${this.config.name}: deleting port ${rec.tap}: ${(e as Error).message}`));
    await exec("ip", ["netns", "exec", this.config.ns, "ip", "link", "del", rec.tap]).catch(() => {});
  }

  // ---- QEMU ----

  private qemuArgs(rec: VmRecord, incoming: boolean): string[] {
    const d = rec.def;
    const args = [
      "-accel", "tcg",
      // 8 KiB over the whole MiB: QEMU 7.2's TCG loses guest writes during a migration when the
      // RAM block is a multiple of 256 KiB (server/lab/guest/README.md). Both ends use the same size.
      "-m", `${d.memoryMiB * 1024 + 8}k`,
      "-smp", String(d.vcpus),
      "-uuid", d.uuid,
      "-kernel", d.kernel,
      "-initrd", d.initrd,
      "-append", d.cmdline,
      // vnet_hdr=off: with it, the guest sends partial checksums the userspace datapath passes on.
      "-netdev", `tap,id=n0,ifname=${rec.tap},script=no,downscript=no,vnet_hdr=off`,
      "-device", `virtio-net-pci,netdev=n0,mac=${d.mac.toLowerCase()}`,
      "-qmp", `unix:${this.qmpPath(d.name)},server=on,wait=off`,
      // append=on: the destination of a migration must not truncate the shared console log.
      "-chardev", `file,id=serial0,path=${d.consoleLog},append=on`,
      "-serial", "chardev:serial0",
      "-display", "none",
      "-no-reboot",
      "-name", `${d.name},process=${this.marker(d.name)}`,
      "-pidfile", this.pidPath(d.name),
      "-daemonize",
    ];
    if (incoming) args.push("-incoming", "defer");
    return args;
  }

  /** Starts QEMU detached (-daemonize: it outlives this process); returns once its QMP answers. */
  private async launch(rec: VmRecord, incoming: boolean): Promise<void> {
    const name = rec.def.name;
    fs.mkdirSync(this.vmDir(name), { recursive: true });
    fs.rmSync(this.qmpPath(name), { force: true });
    fs.rmSync(this.pidPath(name), { force: true });
    await this.dropClient(name);
    try {
      // QEMU's parent exits once the child is set up, so errors (bad tap, bad kernel) show here.
      await exec("ip", ["netns", "exec", this.config.ns, this.config.qemuBinary ?? "qemu-system-x86_64", ...this.qemuArgs(rec, incoming)], 60_000);
      if (!this.pidOf(name)) throw new Error(`QEMU for ${name} exited right after starting`);
      await this.client(name);
    } catch (e) {
      await this.killQemu(name);
      throw e;
    }
  }

  private usedMemoryMiB(exclude?: string): number {
    let used = 0;
    for (const rec of this.records.values()) {
      if (rec.def.name !== exclude && this.pidOf(rec.def.name)) used += rec.def.memoryMiB;
    }
    return used;
  }

  private checkMemory(def: VmDefinition): void {
    const used = this.usedMemoryMiB(def.name);
    const free = this.config.memoryTotalMiB - used;
    if (def.memoryMiB > free) {
      throw new HypervisorError(
        "NOT_ENOUGH_MEMORY",
        `${this.config.name} has ${free} MiB free (${this.config.memoryTotalMiB} MiB total, ${used} MiB in use); ${def.name} needs ${def.memoryMiB} MiB`,
        JSON.stringify({ needMiB: def.memoryMiB, freeMiB: free, totalMiB: this.config.memoryTotalMiB, usedMiB: used }),
      );
    }
  }

  private checkStorage(def: VmDefinition): void {
    const roots = (this.config.storagePaths ?? []).map((p) => path.resolve(p));
    const needed = [def.kernel, def.initrd, path.dirname(def.consoleLog)];
    for (const p of needed) {
      const abs = path.resolve(p);
      if (roots.length > 0 && !roots.some((r) => abs === r || abs.startsWith(r + path.sep))) {
        throw new HypervisorError("STORAGE_NOT_SHARED", `${p} is outside ${this.config.name}'s storage paths (${roots.join(", ")})`);
      }
      if (!fs.existsSync(abs)) throw new HypervisorError("STORAGE_NOT_SHARED", `${p} does not exist on ${this.config.name}`);
    }
  }

  private validate(def: VmDefinition): void {
    if (!NAME_RE.test(def.name)) throw new Error(`VM name "${def.name}" must be letters, digits, '.', '_' or '-' (at most 63)`);
    if (!Number.isInteger(def.memoryMiB) || def.memoryMiB < 16) throw new Error(`VM memory must be an integer of at least 16 MiB`);
    if (!Number.isInteger(def.vcpus) || def.vcpus < 1 || def.vcpus > 64) throw new Error(`VM vcpus must be 1..64`);
    if (!MAC_RE.test(def.mac)) throw new Error(`bad MAC address "${def.mac}"`);
    for (const p of [def.kernel, def.initrd, def.consoleLog]) {
      if (!path.isAbsolute(p) || p.includes(",")) throw new Error(`VM paths must be absolute and free of commas: ${p}`);
    }
    if (this.qmpPath(def.name).length > MAX_SOCKET_PATH) throw new Error(`QMP socket path ${this.qmpPath(def.name)} is too long for a UNIX socket`);
  }

  private async info(rec: VmRecord): Promise<VmInfo> {
    const name = rec.def.name;
    let state: VmState = "shutoff";
    if (this.pidOf(name)) {
      try {
        const s = await this.qmp<QmpStatus>(name, "query-status", undefined, 5_000);
        state = mapRunState(s.status);
      } catch {
        state = "unknown";
      }
      if (this.migrating.has(name) && (state === "running" || state === "paused")) state = "migrating";
      if (rec.role === "incoming") state = "incoming";
    }
    return {
      uuid: rec.def.uuid,
      name,
      state,
      vcpus: rec.def.vcpus,
      memoryMiB: rec.def.memoryMiB,
      macs: [rec.def.mac.toLowerCase()],
      diskPaths: [rec.def.kernel, rec.def.initrd],
      host: this.config.name,
    };
  }

  // ---- HypervisorDriver ----

  /** Source QEMUs still being retired after a hand-over: reads wait so they never see a half-gone VM. */
  private async retired(name?: string): Promise<void> {
    if (name !== undefined) await this.retiring.get(name);
    else await Promise.all(this.retiring.values());
  }

  async facts(): Promise<HostFacts> {
    await this.retired();
    if (!this.version) {
      const out = await exec(this.config.qemuBinary ?? "qemu-system-x86_64", ["--version"], 10_000);
      this.version = /version\s+(\S+)/.exec(out)?.[1] ?? out.split("\n")[0] ?? "unknown";
    }
    return {
      name: this.config.name,
      driver: "qmp",
      hypervisor: "qemu",
      hypervisorVersion: this.version,
      cpus: os.cpus().length,
      memoryTotalMiB: this.config.memoryTotalMiB,
      memoryFreeMiB: this.config.memoryTotalMiB - this.usedMemoryMiB(),
      storagePaths: this.config.storagePaths ?? [],
    };
  }

  async listVms(): Promise<VmInfo[]> {
    await this.retired();
    const out: VmInfo[] = [];
    for (const rec of [...this.records.values()].sort((a, b) => a.def.name.localeCompare(b.def.name))) out.push(await this.info(rec));
    return out;
  }

  async getVm(name: string): Promise<VmInfo> {
    await this.retired(name);
    return this.info(this.record(name));
  }

  async definition(name: string): Promise<VmDefinition> {
    const rec = this.records.get(name);
    if (!rec) throw new HypervisorError("UNKNOWN_VM", `no VM "${name}" on ${this.config.name}`);
    return { ...rec.def };
  }

  async define(def: VmDefinition): Promise<VmInfo> {
    this.validate(def);
    const existing = this.records.get(def.name);
    if (existing && this.pidOf(def.name)) throw new Error(`${def.name} is running on ${this.config.name}; destroy it before redefining`);
    const rec: VmRecord = { def: { ...def, uuid: def.uuid ?? existing?.def.uuid ?? randomUUID() }, tap: this.tapName(def.name), role: "defined" };
    this.persist(rec);
    return this.info(rec);
  }

  async start(name: string): Promise<void> {
    const rec = this.record(name);
    if (rec.role === "incoming") throw new Error(`${name} is an incoming migration on ${this.config.name}, not startable`);
    await this.lock.run(async () => {
      if (this.pidOf(name)) return;
      this.checkMemory(rec.def);
      this.checkStorage(rec.def);
      // A fresh boot: the ready line of an earlier boot must not be mistaken for this one.
      fs.writeFileSync(rec.def.consoleLog, "");
      await this.plug(rec, "active");
      try {
        await this.launch(rec, false);
      } catch (e) {
        await this.unplug(rec);
        throw e;
      }
      this.log(`${this.config.name}: started ${name}`);
    });
  }

  async shutdown(name: string): Promise<void> {
    const rec = this.record(name);
    if (!this.pidOf(name)) return;
    await this.qmp(name, "system_powerdown").catch(() => {});
    // Guests without ACPI handling ignore the power button: after the wait, stop it hard.
    if (!(await this.waitExit(name, this.config.shutdownTimeoutMs ?? 30_000))) {
      this.log(`${this.config.name}: ${name} ignored the power button; stopping it`);
      await this.killQemu(name);
    }
    await this.dropClient(name);
    await this.unplug(rec);
  }

  async destroy(name: string): Promise<void> {
    const rec = this.record(name);
    if (this.pidOf(name)) {
      await this.qmp(name, "quit", undefined, 3_000).catch(() => {});
      if (!(await this.waitExit(name, 3_000))) await this.killQemu(name);
    }
    await this.dropClient(name);
    await this.unplug(rec);
  }

  async undefine(name: string): Promise<void> {
    const rec = this.record(name);
    if (this.pidOf(name)) throw new Error(`${name} is running on ${this.config.name}; destroy it first`);
    await this.unplug(rec);
    this.forget(name);
  }

  async prepareIncoming(vm: VmInfo, def: VmDefinition): Promise<IncomingReservation> {
    if (vm.name !== def.name) throw new Error(`VM info (${vm.name}) and definition (${def.name}) disagree`);
    this.validate(def);
    return this.lock.run(async () => {
      await this.retiring.get(def.name);
      const existing = this.records.get(def.name);
      if (existing) {
        const live = this.pidOf(def.name) !== undefined;
        throw new HypervisorError("SAME_HOST", `a VM named ${def.name} is already ${live ? "running" : "defined"} on ${this.config.name}`);
      }
      this.checkStorage(def);
      this.checkMemory(def);
      const rec: VmRecord = { def: { ...def, uuid: def.uuid ?? vm.uuid }, tap: this.tapName(def.name), role: "incoming" };
      this.persist(rec);
      try {
        // Same MAC and port id as at the source; inactive until the hand-over.
        await this.plug(rec, "inactive");
        await this.launch(rec, true);
        const port = await this.listenIncoming(def.name);
        this.log(`${this.config.name}: waiting for ${def.name} on ${this.incomingIp}:${port}`);
        return new QmpIncomingReservation(this, def.name, `tcp:${this.incomingIp}:${port}`, port);
      } catch (e) {
        await this.discardIncoming(def.name);
        throw e;
      }
    });
  }

  /** Ports with a listener inside the host's namespace. */
  private async listeningPorts(): Promise<Set<number>> {
    const out = await exec("ip", ["netns", "exec", this.config.ns, "ss", "-Hltn"], 10_000);
    const ports = new Set<number>();
    for (const line of out.split("\n")) {
      const local = line.trim().split(/\s+/)[3];
      const m = local ? /:(\d+)$/.exec(local) : null;
      if (m) ports.add(Number(m[1]));
    }
    return ports;
  }

  private get incomingIp(): string {
    return this.config.migrationIp ?? this.config.underlayIp;
  }

  private async listenIncoming(name: string): Promise<number> {
    const base = this.config.incomingPortBase ?? 49152;
    const busy = await this.listeningPorts();
    let lastErr: unknown;
    let tried = 0;
    for (let port = base; port < base + 1000 && tried < 20; port++) {
      if (busy.has(port)) continue;
      tried++;
      try {
        await this.qmp(name, "migrate-incoming", { uri: `tcp:${this.incomingIp}:${port}` });
        return port;
      } catch (e) {
        // Someone took the port between the listing and the bind: try the next one.
        lastErr = e;
        if (!(e instanceof QmpError)) throw e;
      }
    }
    throw new Error(`no free port for the incoming migration of ${name} on ${this.config.name}: ${(lastErr as Error | undefined)?.message ?? "all ports busy"}`);
  }

  /** Kills an incoming QEMU and removes its tap and files (the reservation's release). */
  async discardIncoming(name: string): Promise<void> {
    const rec = this.records.get(name);
    if (!rec || rec.role !== "incoming") return;
    await this.killQemu(name);
    await this.unplug(rec);
    this.forget(name);
  }

  /** Destination side of the hand-over: once the stream is in, the incoming QEMU becomes this host's VM. */
  async adoptIncoming(name: string, opts: { resume: boolean; timeoutMs?: number }): Promise<void> {
    const rec = this.record(name);
    if (rec.role !== "incoming") throw new Error(`${name} is not an incoming migration on ${this.config.name}`);
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    let status = "";
    while (Date.now() < deadline) {
      status = (await this.qmp<QmpStatus>(name, "query-status", undefined, 5_000)).status;
      if (status === "running") break;
      // A source paused to force completion hands over a paused state: resume it here.
      if (status === "paused" && opts.resume) {
        await this.qmp(name, "cont");
        continue;
      }
      if (status !== "inmigrate" && status !== "paused") throw new Error(`incoming ${name} on ${this.config.name} is in state ${status}`);
      // Still loading the last of the stream: the guest runs within milliseconds, and every one
      // waited here is added to the migration (a 50 ms step cost ~50 ms in 4 of 17 hand-overs).
      await sleep(status === "inmigrate" ? 5 : 50);
    }
    if (status !== "running") throw new Error(`incoming ${name} on ${this.config.name} did not start running (state ${status})`);
    await this.withVswitch((vs) => vs.setInterfaceExternalIds(rec.tap, { "iface-status": "active" }));
    this.persist({ ...rec, role: "defined" });
    this.log(`${this.config.name}: adopted ${name}`);
  }

  /** @internal the incoming VM's monitor, whose RESUME event marks the end of the switch-over */
  incomingClient(name: string): Promise<QmpClient> {
    return this.client(name);
  }

  /** @internal a source QEMU being retired after a hand-over; a new reservation of that VM here waits for it */
  trackRetire(name: string, p: Promise<void>): void {
    const tracked = p.finally(() => {
      if (this.retiring.get(name) === tracked) this.retiring.delete(name);
    });
    this.retiring.set(name, tracked);
  }

  async setIncomingCapabilities(name: string, caps: { capability: string; state: boolean }[]): Promise<void> {
    await this.qmp(name, "migrate-set-capabilities", { capabilities: caps });
  }

  /** Source side of the hand-over: the VM now lives elsewhere; stop its QEMU and forget it here. */
  private async retire(name: string): Promise<void> {
    const rec = this.record(name);
    await this.qmp(name, "quit", undefined, 3_000).catch(() => {});
    if (!(await this.waitExit(name, 5_000))) await this.killQemu(name);
    await this.dropClient(name);
    await this.unplug(rec);
    this.records.delete(name);
    fs.rmSync(this.vmDir(name), { recursive: true, force: true });
    fs.rmSync(this.qmpPath(name), { force: true });
  }

  async migrate(name: string, target: MigrationTarget, options: MigrateOptions = {}): Promise<MigrationHandle> {
    this.record(name);
    if (target.driver === this) throw new HypervisorError("SAME_HOST", `${name} is already on ${this.config.name}`);
    const dest = target.driver;
    const incoming = target.incoming;
    if (!(dest instanceof QmpDriver) || !(incoming instanceof QmpIncomingReservation) || incoming.driver !== dest) {
      throw new HypervisorError("UNSUPPORTED", "a QMP migration needs a QMP destination reserved by its prepareIncoming");
    }
    if (incoming.vmName !== name) throw new Error(`the reservation is for ${incoming.vmName}, not ${name}`);
    if (incoming.released) throw new Error(`the reservation for ${name} was released`);
    if (!this.pidOf(name)) throw new HypervisorError("MIGRATION_FAILED", `${name} is not running on ${this.config.name}`);
    if (this.migrating.has(name)) throw new HypervisorError("MIGRATION_FAILED", `${name} is already migrating`);
    if (options.maxBandwidthMiBps !== undefined && !(options.maxBandwidthMiBps > 0)) throw new Error("maxBandwidthMiBps must be positive");

    const client = await this.client(name);
    const caps = [
      { capability: "events", state: true },
      { capability: "auto-converge", state: options.autoConverge === true },
      { capability: "postcopy-ram", state: options.postCopy === true },
    ];
    await client.execute("migrate-set-capabilities", { capabilities: caps });
    // Post-copy must be enabled on both ends before the stream starts.
    if (options.postCopy) await dest.setIncomingCapabilities(name, [{ capability: "postcopy-ram", state: true }]);
    await client.execute("migrate-set-parameters", {
      "max-bandwidth": options.maxBandwidthMiBps !== undefined ? Math.round(options.maxBandwidthMiBps * MIB) : UNLIMITED_BPS,
      "downtime-limit": options.downtimeLimitMs !== undefined ? Math.max(1, Math.round(options.downtimeLimitMs)) : DEFAULT_DOWNTIME_MS,
    });

    return new QmpMigration(this, dest, name, client, incoming, options, (n) => this.retire(n), this.migrating, this.config.migrationTimeoutMs ?? 30 * 60_000).start();
  }

  async announce(name: string): Promise<void> {
    const rec = this.record(name);
    if (rec.role === "incoming" || !this.pidOf(name)) throw new HypervisorError("UNKNOWN_VM", `${name} is not running on ${this.config.name}`);
    // AnnounceParameters (qapi/net.json): first after `initial` ms, then +`step` per round up to `max`.
    await this.qmp(name, "announce-self", { initial: 50, max: 550, rounds: 5, step: 100 });
  }

  /** Closes the QMP connections; the QEMU processes keep running (they are not children of this process). */
  async close(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((n) => this.dropClient(n)));
  }
}

/** One outgoing migration: drives QEMU, turns its events and query-migrate into progress, hands the VM over. */
class QmpMigration implements MigrationHandle {
  private readonly listeners: ((p: MigrationProgress) => void)[] = [];
  private readonly switchoverListeners: ((e: SwitchoverEvent) => void)[] = [];
  private readonly switchovers = new Map<SwitchoverEvent["event"], SwitchoverEvent>();
  private destClient?: QmpClient;
  /** Ends the poll loop's wait early: QEMU announced a terminal state. */
  private wake?: () => void;
  private forcedStop = false;
  /** Index in PROGRESS_ORDER of the furthest stage reported so far. */
  private stageRank = -1;
  private cancelling = false;
  private settled = false;
  private last: { transferredBytes?: number; remainingBytes?: number; totalBytes?: number; pass?: number } = {};
  private resolveDone!: (r: MigrationResult) => void;
  private rejectDone!: (e: Error) => void;
  readonly done: Promise<MigrationResult>;

  constructor(
    private readonly source: QmpDriver,
    private readonly dest: QmpDriver,
    private readonly name: string,
    private readonly client: QmpClient,
    private readonly incoming: QmpIncomingReservation,
    private readonly options: MigrateOptions,
    private readonly retire: (name: string) => Promise<void>,
    private readonly migrating: Set<string>,
    private readonly timeoutMs: number,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // The orchestrator may attach its handler late; an unobserved failure must not crash the process.
    this.done.catch(() => {});
  }

  onProgress(listener: (p: MigrationProgress) => void): void {
    this.listeners.push(listener);
  }

  onSwitchover(listener: (e: SwitchoverEvent) => void): void {
    this.switchoverListeners.push(listener);
    for (const e of this.switchovers.values()) listener(e);
  }

  private switchover(event: SwitchoverEvent["event"]): void {
    if (this.switchovers.has(event) || this.settled) return;
    const e = { event, at: Date.now() };
    this.switchovers.set(event, e);
    for (const l of this.switchoverListeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not break the migration.
      }
    }
  }

  private onDestEvent = (e: { name: string }): void => {
    if (e.name === "RESUME") this.switchover("destination-running");
  };

  private emit(p: MigrationProgress): void {
    // An event (MIGRATION_PASS: "active") can overtake the reply to a query-migrate sent before it
    // ("setup"): the stage a watcher sees never goes back.
    const rank = PROGRESS_ORDER.indexOf(p.status);
    if (rank >= 0 && rank < this.stageRank) p = { ...p, status: PROGRESS_ORDER[this.stageRank]! };
    else if (rank >= 0) this.stageRank = rank;
    for (const l of this.listeners) {
      try {
        l(p);
      } catch {
        // A listener's bug must not break the migration.
      }
    }
  }

  private onEvent = (e: { name: string; data: Record<string, unknown> }): void => {
    // QEMU stops the guest for stop-and-copy; a stop of our own (forceComplete) is not that.
    if (e.name === "STOP" && !this.forcedStop) this.switchover("source-paused");
    if (e.name === "MIGRATION_PASS" && typeof e.data.pass === "number") {
      this.last.pass = Math.max(this.last.pass ?? 0, e.data.pass);
      this.emit({ at: Date.now(), status: "active", ...this.last });
    } else if (e.name === "MIGRATION") {
      const status = mapMigrationStatus(typeof e.data.status === "string" ? e.data.status : undefined);
      // Terminal states are reported by the poll loop, with query-migrate's final figures: wake it.
      if (status && status !== "completed" && status !== "failed" && status !== "cancelled") this.emit({ at: Date.now(), status, ...this.last });
      else if (status) this.wake?.();
    }
  };

  async start(): Promise<MigrationHandle> {
    this.migrating.add(this.name);
    this.client.on("event", this.onEvent);
    // Without the destination's monitor the hand-over is still seen (adoptIncoming), only later.
    this.destClient = await this.dest.incomingClient(this.name).catch(() => undefined);
    this.destClient?.on("event", this.onDestEvent);
    try {
      await this.client.execute("migrate", { uri: this.incoming.uri });
    } catch (e) {
      await this.finishFailed("MIGRATION_FAILED", `QEMU refused to start the migration: ${(e as Error).message}`);
      throw e instanceof QmpError ? new HypervisorError("MIGRATION_FAILED", e.desc) : e;
    }
    void this.pollLoop();
    return this;
  }

  private progressFrom(info: QmpMigrationInfo, status: MigrationProgress["status"]): MigrationProgress {
    const ram = info.ram;
    if (ram) {
      this.last.transferredBytes = Math.max(this.last.transferredBytes ?? 0, ram.transferred);
      this.last.remainingBytes = ram.remaining;
      this.last.totalBytes = ram.total;
      if (typeof ram["dirty-sync-count"] === "number") this.last.pass = Math.max(this.last.pass ?? 0, ram["dirty-sync-count"]);
    }
    return {
      at: Date.now(),
      status,
      ...this.last,
      dirtyPagesRate: ram?.["dirty-pages-rate"],
      // QEMU's mbps is 10^6 bits per second.
      throughputBps: ram?.mbps !== undefined ? Math.round((ram.mbps * 1e6) / 8) : undefined,
      expectedDowntimeMs: info["expected-downtime"],
      setupTimeMs: info["setup-time"],
    };
  }

  private async pollLoop(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let timedOut = false;
    for (;;) {
      if (Date.now() > deadline && !timedOut) {
        timedOut = true;
        await this.client.execute("migrate_cancel").catch(() => {});
      }
      let info: QmpMigrationInfo;
      try {
        info = await this.client.execute<QmpMigrationInfo>("query-migrate", undefined, { timeoutMs: 10_000 });
      } catch (e) {
        await this.finishFailed("MIGRATION_FAILED", `lost the source QEMU's monitor during the migration: ${(e as Error).message}`);
        return;
      }
      const status = mapMigrationStatus(info.status);
      if (info.status === "completed") {
        // QEMU fills in total-time and downtime just after the state change: ask again (bounded,
        // 2 s: on a loaded machine the migration thread may take that long to get there).
        for (let i = 0; i < 100 && !(info["total-time"]! > 0 && info.downtime !== undefined); i++) {
          await new Promise((r) => setTimeout(r, 20));
          info = await this.client.execute<QmpMigrationInfo>("query-migrate", undefined, { timeoutMs: 5_000 }).catch(() => info);
        }
        const p = this.progressFrom(info, "completed");
        await this.finishCompleted(info, p);
        return;
      }
      if (info.status === "failed") {
        this.emit(this.progressFrom(info, "failed"));
        await this.finishFailed("MIGRATION_FAILED", info["error-desc"] ?? "QEMU reported the migration as failed");
        return;
      }
      if (info.status === "cancelled") {
        this.emit(this.progressFrom(info, "cancelled"));
        if (timedOut) await this.finishFailed("MIGRATION_FAILED", `migration did not finish within ${this.timeoutMs} ms and was cancelled`);
        else await this.finishFailed("MIGRATION_CANCELLED", this.cancelling ? "migration cancelled" : "QEMU cancelled the migration");
        return;
      }
      if (info.status === "none") {
        await this.finishFailed("MIGRATION_FAILED", "QEMU reports no migration");
        return;
      }
      if (status) this.emit(this.progressFrom(info, status));
      await new Promise<void>((r) => {
        const t = setTimeout(r, POLL_MS);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
    }
  }

  private async finishCompleted(info: QmpMigrationInfo, final: MigrationProgress): Promise<void> {
    try {
      // Hand-over: the destination must run the VM before the source's copy is thrown away.
      await this.dest.adoptIncoming(this.name, { resume: this.forcedStop });
      this.incoming.adopted = true;
    } catch (e) {
      // The source still holds a complete VM: kill the destination's copy and resume here.
      await this.incoming.release().catch(() => {});
      await this.client.execute("cont").catch(() => {});
      await this.finishFailed("MIGRATION_FAILED", `the destination did not take over: ${(e as Error).message}`, true);
      return;
    }
    this.client.off("event", this.onEvent);
    this.destClient?.off("event", this.onDestEvent);
    this.migrating.delete(this.name);
    // The VM runs at the destination: report that now and retire the source's QEMU after
    // (a new reservation of this VM on the source host waits for the retirement).
    this.source.trackRetire(this.name, this.retire(this.name).catch(() => {}));
    this.emit(final);
    this.settled = true;
    this.resolveDone({
      downtimeMs: info.downtime,
      totalTimeMs: info["total-time"] ?? 0,
      // QEMU's total-time is its transfer: the destination was started in the reservation.
      transferMs: info["total-time"],
      transferredBytes: info.ram?.transferred,
      passes: info.ram?.["dirty-sync-count"],
    });
  }

  private async finishFailed(code: "MIGRATION_FAILED" | "MIGRATION_CANCELLED", message: string, alreadyReleased = false): Promise<void> {
    this.client.off("event", this.onEvent);
    this.destClient?.off("event", this.onDestEvent);
    this.migrating.delete(this.name);
    if (!alreadyReleased) await this.incoming.release().catch(() => {});
    // A source paused by forceComplete() must keep running when the migration does not finish.
    if (this.forcedStop) await this.client.execute("cont").catch(() => {});
    if (this.settled) return;
    this.settled = true;
    this.rejectDone(new HypervisorError(code, `${this.name}: ${message}`, message));
  }

  async cancel(): Promise<void> {
    if (this.settled) return;
    this.cancelling = true;
    await this.client.execute("migrate_cancel");
  }

  async forceComplete(): Promise<void> {
    if (this.settled) return;
    if (this.options.postCopy) {
      await this.client.execute("migrate-start-postcopy");
      return;
    }
    // Without post-copy: pause the guest so nothing is dirtied and the next round is the last.
    this.forcedStop = true;
    await this.client.execute("stop");
  }
}
