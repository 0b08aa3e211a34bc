// The migration-gap benchmark proper (entry point: bench/migration-gap.ts).
//
// One private lab (namespace prefix ferry-mg<pid%1000>-), an in-process OpenFlowController,
// a SQLite registry, the lab's drivers and two Orchestrators that differ only in `relocate`.
// Per run, with X→Y alternating A→B, B→A, …:
//   1. Ferry:     orchestrated X→Y, relocation on, probed from client A;
//   2. baseline:  orchestrated Y→X, relocation off (plain learning), probed from client A;
//   3. direct:    X→Y through the hypervisor drivers alone, timed and probed (the overhead
//                 reference: the same direction as Ferry's, since one direction of a pair can be
//                 steadily slower than the other).
// Between 1 and 2 the VM is also paused and resumed where it is (in place), for as long as
// Ferry's pause lasted, to show the gap a client sees when nothing moves.
// Every loop is bounded; everything started is stopped on exit, error or signal.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { OpenFlowController } from "../../controller/controller";
import type { ControllerEvent } from "../../controller/events";
import { deployMigrations } from "../../server/database/migrate";
import { openDb, type Db } from "../../server/db";
import { labDrivers } from "../../server/hypervisors/lab-drivers";
import type { HypervisorDriver } from "../../server/hypervisors/driver";
import { QemuMigrationWatcher, transferMsFrom, type QemuMigrationEvent } from "../../server/hypervisors/libvirt/events";
import { parseDomJobInfo } from "../../server/hypervisors/libvirt/parse";
import { QmpDriver } from "../../server/hypervisors/qmp/driver";
import { registerLab, registerLabVms } from "../../server/inventory/lab-sync";
import { defaultGuestDir, ensureGuestImage, waitForGuestReady } from "../../server/lab/guest/image";
import { Lab } from "../../server/lab/lab";
import { nsRun } from "../../server/lab/sh";
import { DEFAULT_TOPOLOGY, QMP_PAIR, stableUuid, type LabTopology, type LabVm } from "../../server/lab/topology";
import { labHostNetwork } from "../../server/migration/lab-network";
import { Orchestrator } from "../../server/migration/orchestrator";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const PROBER = path.join(HERE, "prober.ts");
const USER = { id: "bench", username: "bench" };
const MEMORY_MIB = 256;
/** Longest a single migration may take before the run is abandoned. */
const MIGRATION_LIMIT_MS = 180_000;
/** Probing goes on after the migration settles until answers flow again, at most this long. */
const RECOVERY_LIMIT_MS = 15_000;
const PROBER_MAX_MS = 60_000;

type Pair = "libvirt" | "qmp";
type Variant = "ferry" | "baseline";

interface Options {
  quick: boolean;
  runs: number;
  pair: Pair;
  intervalMs: number;
  timeoutMs: number;
  calibrate: boolean;
  /** Directory for packet captures (tcpdump in every host namespace) of each probed migration. */
  capture: string | null;
  /** Unmeasured direct round trips (A→B→A) before run 1: the guest's first migration after boot is slow. */
  warmup: number;
}

interface ProbeResult {
  reason: string;
  startedAt: number;
  stoppedAt: number;
  sent: number;
  ok: number;
  failed: number;
  maxLateMs: number;
  rttP50Ms: number | null;
  rttP99Ms: number | null;
  rttMaxMs: number | null;
  okAt: number[];
}

/** What a migration cost the machine and how much the hypervisor moved (probed and direct runs alike). */
interface RunCost extends CpuCost {
  /** The hypervisor's rounds and bytes sent. */
  passes: number | null;
  transferredBytes: number | null;
}

interface CpuCost {
  /** CPU time (user + system) of this process during the migration. */
  benchCpuMs: number;
  /** CPU (ms) of the machine's processes by command name during the migration, the 8 largest. */
  machineCpuMs: Record<string, number>;
}

interface ProbedRun extends RunCost {
  run: number;
  variant: Variant;
  dir: string;
  gapMs: number;
  downtimeMs: number | null;
  totalTimeMs: number | null;
  hypervisorTotalMs: number | null;
  /** QEMU's own transfer, set-up to completion (libvirt's job also starts the destination QEMU). */
  hypervisorTransferMs: number | null;
  /** The driver's own migrate command, start to exit (libvirt: the `virsh migrate` Ferry ran). */
  hypervisorWallMs: number | null;
  /** Longest this process's event loop (orchestrator, controller, drivers) was held up during the migration. */
  loopDelayMaxMs: number;
  switchoverMs: number | null;
  /** Ferry's own downtime: source paused → destination running, from the hypervisors' events. */
  pauseMs: number | null;
  wallMs: number;
  probes: { sent: number; ok: number; failed: number; maxLateMs: number; rttP50Ms: number | null; rttP99Ms: number | null; stop: string };
  /**
   * ms relative to the pause start as the orchestrator sees it: the moment it learned the
   * migration completed minus the hypervisor's downtime (so later than the real pause, by however
   * late the driver reports completion).
   */
  timeline: Record<string, number | null>;
  /** Epoch ms of the timeline's 0 (to line it up with packet captures). */
  timelineOrigin: number | null;
  commitment: string | null;
  realPauseMs: number | null;
  resumeToAnswerMs: number | null;
  /** Longest gap between ICMP echo replies from the same client during the same migration. */
  icmpGapMs: number;
  /** The VM running at the destination → the first echo reply after the ICMP gap (libvirt only). */
  resumeToIcmpMs: number | null;
  /** Where Ferry's total time goes, ms: its phases as the registry recorded them. */
  phasesMs: Record<string, number | null>;
}

interface DirectRun extends RunCost {
  run: number;
  dir: string;
  /** The reference the overhead is computed against (see referenceMs()). */
  referenceMs: number;
  wallMs: number;
  reserveMs: number;
  hypervisorTotalMs: number;
  hypervisorTransferMs: number | null;
  downtimeMs: number | null;
  /** Longest gap seen by the same prober during the direct migration (no relocation, no announce). */
  gapMs: number;
  icmpGapMs: number;
}

/** The VM paused and resumed on its host, probed the same way (see inPlacePause). */
interface InPlaceRun {
  run: number;
  host: string;
  /** Suspended → resumed: libvirt's lifecycle events, or around QMP's stop/cont on a QMP host. */
  pauseMs: number;
  gapMs: number;
  icmpGapMs: number;
  resumeToAnswerMs: number;
  resumeToEchoMs: number;
}

function parseArgs(argv: string[]): Options {
  // The 10 ms; --calibrate shows what the guest sustains (see "Probe rate" in bench/README.md).
  const o: Options = { quick: false, runs: 5, pair: "libvirt", intervalMs: 10, timeoutMs: 300, calibrate: false, capture: null, warmup: 1 };
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === "--quick") o.quick = true;
    else if (a === "--runs") {
      o.runs = Number(v());
      runsGiven = true;
    } else if (a === "--pair") {
      const p = v();
      if (p !== "libvirt" && p !== "qmp") throw new Error("--pair is libvirt or qmp");
      o.pair = p;
    } else if (a === "--interval-ms") o.intervalMs = Number(v());
    else if (a === "--timeout-ms") o.timeoutMs = Number(v());
    else if (a === "--calibrate") o.calibrate = true;
    else if (a === "--capture") o.capture = path.resolve(v());
    else if (a === "--warmup") o.warmup = Number(v());
    else throw new Error(`unknown option ${a}`);
  }
  if (o.quick && !runsGiven) o.runs = 2;
  if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 50) throw new Error("--runs must be 1..50");
  if (!Number.isInteger(o.warmup) || o.warmup < 0 || o.warmup > 5) throw new Error("--warmup must be 0..5");
  if (!(o.intervalMs >= 1 && o.intervalMs <= 1000)) throw new Error("--interval-ms must be 1..1000");
  if (!(o.timeoutMs >= 1 && o.timeoutMs <= 5000)) throw new Error("--timeout-ms must be 1..5000");
  return o;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`migration-gap: ${line}\n`);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what} did not finish within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

// ── everything to undo, whatever happens ─────────────────────────────────────────────────────
const probers = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

function killProbers(): void {
  for (const c of probers) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  probers.clear();
}

async function cleanupAll(): Promise<void> {
  killProbers();
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    await withTimeout(fn(), 120_000, "cleanup step").catch((e: Error) => log(`cleanup: ${e.message}`));
  }
}

/** Calls fn with each complete line the stream gives. */
function onLines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      fn(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

// ── the prober ───────────────────────────────────────────────────────────────────────────────
interface Prober {
  /** Time of the latest answer seen so far (epoch ms), from the prober's progress lines. */
  answers: number[];
  stop(): Promise<ProbeResult>;
}

async function startProber(ns: string, ip: string, o: Options): Promise<Prober> {
  const maxProbes = Math.ceil(PROBER_MAX_MS / o.intervalMs);
  // Higher priority than the lab's QEMUs, so a busy machine delays the probes less (see maxLateMs).
  const child = spawn(
    "ip",
    ["netns", "exec", ns, "nice", "-n", "-5", process.execPath, "--import", "tsx", PROBER, "--host", ip, "--interval-ms", String(o.intervalMs), "--timeout-ms", String(o.timeoutMs), "--max-probes", String(maxProbes), "--max-ms", String(PROBER_MAX_MS), "--progress"],
    { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], detached: true },
  );
  probers.add(child);
  child.on("exit", () => probers.delete(child));
  let out = "";
  let err = "";
  const answers: number[] = [];
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0 && !out.startsWith("{")) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line === "READY") readyResolve();
      else if (line.startsWith("o ")) answers.push(Number(line.slice(2)));
    }
  });
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()).length > 8192 && (err = err.slice(-4096)));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await withTimeout(Promise.race([ready, exited.then((c) => Promise.reject(new Error(`prober exited (${c}): ${err.trim()}`)))]), 30_000, "prober start");
  return {
    answers,
    async stop() {
      child.stdin!.end("stop\n");
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      const line = out.trim().split("\n").pop() ?? "";
      try {
        return JSON.parse(line) as ProbeResult;
      } catch {
        throw new Error(`prober gave no result: ${err.trim().slice(-500)}`);
      }
    },
  };
}

/**
 * An ICMP echo stream from the same client, every 10 ms (bounded by count and time): the gap the
 * network itself leaves, without the guest's HTTP server in it (the guest kernel answers echo
 * requests itself). `ping -D` stamps each reply with the epoch time it arrived.
 */
interface Pinger {
  stop(): Promise<{ startedAt: number; stoppedAt: number; okAt: number[] }>;
}

function startPinger(ns: string, ip: string): Pinger {
  const startedAt = Date.now();
  const child = spawn("ip", ["netns", "exec", ns, "nice", "-n", "-5", "ping", "-n", "-D", "-i", "0.01", "-W", "1", "-c", String(Math.ceil(PROBER_MAX_MS / 10)), "-w", String(PROBER_MAX_MS / 1000), ip], {
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
    env: { ...process.env, LC_ALL: "C" },
  });
  probers.add(child);
  const exited = new Promise<void>((r) => child.once("exit", () => (probers.delete(child), r())));
  const okAt: number[] = [];
  onLines(child.stdout!, (line) => {
    // [1764257000.123456] 64 bytes from 10.99.0.11: icmp_seq=12 ttl=64 time=0.512 ms
    const m = /^\[(\d+\.\d+)\] \d+ bytes from /.exec(line);
    if (m) okAt.push(Number(m[1]) * 1000);
  });
  return {
    async stop() {
      const stoppedAt = Date.now();
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await withTimeout(exited, 5_000, "ping exit").catch(() => {});
      return { startedAt, stoppedAt, okAt };
    },
  };
}

/**
 * tcpdump in every host namespace (ICMP, GRE and HTTP, bounded in packets and time) for one probed
 * migration: where a reply was held up — in the guest, in a switch, or on the way back.
 */
function startCapture(b: Bench, dir: string, name: string): { stop(): Promise<void> } {
  fs.mkdirSync(dir, { recursive: true });
  const kids = b.lab.plan.hosts.map((h) => {
    const child = spawn("ip", ["netns", "exec", h.ns, "timeout", "200", "tcpdump", "-i", "any", "-n", "-U", "-s", "128", "-c", "400000", "-w", path.join(dir, `${name}-${h.name}.pcap`), "icmp or proto 47 or tcp port 80"], {
      stdio: "ignore",
      detached: true,
    });
    probers.add(child);
    const exited = new Promise<void>((r) => child.once("exit", () => (probers.delete(child), r())));
    return { child, exited };
  });
  return {
    async stop() {
      for (const { child } of kids) {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
        } catch {
          // gone
        }
      }
      await withTimeout(Promise.all(kids.map((k) => k.exited)), 10_000, "tcpdump exit").catch(() => {});
    },
  };
}

/** The longest interval without an answer inside the probing window, and where it lies. */
function longestGap(p: Pick<ProbeResult, "startedAt" | "stoppedAt" | "okAt">): { gapMs: number; from: number; to: number } {
  const t = [p.startedAt, ...p.okAt.filter((x) => x >= p.startedAt && x <= p.stoppedAt), p.stoppedAt];
  let best = { gapMs: 0, from: p.startedAt, to: p.startedAt };
  for (let i = 1; i < t.length; i++) if (t[i]! - t[i - 1]! > best.gapMs) best = { gapMs: t[i]! - t[i - 1]!, from: t[i - 1]!, to: t[i]! };
  return { gapMs: Math.round(best.gapMs * 10) / 10, from: best.from, to: best.to };
}

/**
 * libvirt lifecycle events of both hosts (read-only, over their UNIX sockets), for the real pause:
 * "Suspended" at the source when stop-and-copy begins, "Resumed" at the destination when the VM
 * runs there. Timestamps are libvirt's own (ms). QMP hosts give none: their monitor has one client.
 */
function watchLifecycle(b: Bench, vmName: string): { stop(): { stoppedAt: number | null; resumedAt: number | null } } {
  const seen: { host: string; at: number; what: string }[] = [];
  const kids: ChildProcess[] = [];
  for (const h of b.lab.plan.hosts) {
    if (h.hypervisor !== "libvirt") continue;
    const child = spawn("virsh", ["-r", "-q", "-c", b.lab.libvirtUriOf(h.name), "event", "--all", "--loop", "--timestamp", "--timeout", "300"], {
      stdio: ["ignore", "pipe", "ignore"],
      detached: true,
      env: { ...process.env, LC_ALL: "C", LANG: "C" },
    });
    probers.add(child);
    child.on("exit", () => probers.delete(child));
    kids.push(child);
    onLines(child.stdout!, (line) => {
      // 2026-11-27 15:20:00.123+0000: event 'lifecycle' for domain 'x': Suspended Migrated
      const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+)\+0000: event 'lifecycle' for domain '([^']+)': (.*)$/.exec(line.trim());
      if (m && m[3] === vmName) seen.push({ host: h.name, at: Date.parse(`${m[1]}T${m[2]}Z`), what: m[4]! });
    });
  }
  return {
    stop() {
      for (const c of kids) {
        try {
          if (c.pid !== undefined) process.kill(-c.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      return {
        stoppedAt: seen.find((e) => /^Suspended/.test(e.what))?.at ?? null,
        resumedAt: seen.find((e) => /^Resumed/.test(e.what))?.at ?? null,
      };
    },
  };
}

// ── the lab ──────────────────────────────────────────────────────────────────────────────────
interface Bench {
  lab: Lab;
  db: Db;
  controller: OpenFlowController;
  drivers: Map<string, HypervisorDriver>;
  orch: Record<Variant, Orchestrator>;
  vm: LabVm;
  siteHost: { a: string; b: string };
}


async function setUp(o: Options, tag: string): Promise<Bench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-mg-"));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, "of.sock");
  const controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
  await controller.start();
  cleanups.push(() => controller.stop());

  const vmName = `${tag}-vm`;
  const topology: LabTopology = o.pair === "libvirt" ? { ...DEFAULT_TOPOLOGY, vms: [{ name: vmName, host: "host-a1", memoryMiB: MEMORY_MIB }] } : QMP_PAIR;
  const lab = new Lab({ dir: path.join(dir, "lab"), controllerSocket: sock, nsPrefix: `ferry-${tag}-`, topology, log });
  cleanups.push(() => lab.down());
  log(`bringing up the ${o.pair} lab (namespaces ferry-${tag}-*)`);
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

  let vm: LabVm;
  if (o.pair === "libvirt") vm = lab.plan.vms[0]!;
  else {
    // Plain-QEMU hosts: the lab boots no VM there, so define and start it through the driver.
    vm = {
      name: vmName,
      host: "host-a2",
      uuid: stableUuid(`vm:${vmName}`),
      portId: stableUuid(`port:${vmName}`),
      mac: "52:54:00:99:00:11",
      ip: "10.99.0.11",
      memoryMiB: MEMORY_MIB,
      vcpus: 1,
      fillMiB: 0,
      dirtyMiBps: 0,
    };
    const image = await ensureGuestImage({ outDir: guestDir });
    const def = lab.guestDefinition(vm, image);
    // Runs before lab.down(): wherever the VM is now, stop its QEMU.
    cleanups.push(async () => {
      for (const d of drivers.values()) {
        if (!(d instanceof QmpDriver)) continue;
        for (const v of await d.listVms().catch(() => [])) {
          await d.destroy(v.name).catch(() => {});
          await d.undefine(v.name).catch(() => {});
          await d.discardIncoming(v.name).catch(() => {});
        }
      }
    });
    const a2 = drivers.get("host-a2")!;
    await a2.define(def);
    await a2.start(vmName);
    await waitForGuestReady(def.consoleLog, { timeoutMs: 180_000 });
    log(`${vmName} is up on host-a2 at ${vm.ip}`);
  }
  // The orchestrator audits as this user; an unknown one would violate the audit's foreign key.
  await db.user.create({ data: { id: USER.id, username: USER.username, passwordHash: "!", role: "admin" } });
  await registerLabVms(db, { ...lab.plan, vms: [vm] });
  await db.host.updateMany({ data: { status: "up" } });

  // Both bridges must be connected before the pre-checks run.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !lab.plan.hosts.every((h) => controller.switch(h.dpid)?.isReady)) await sleep(100);

  const mk = (relocate: boolean) => new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: () => {}, log, relocate });
  const siteHost = o.pair === "libvirt" ? { a: "host-a1", b: "host-b1" } : { a: "host-a2", b: "host-b2" };
  return { lab, db, controller, drivers, orch: { ferry: mk(true), baseline: mk(false) }, vm, siteHost };
}

/** Both clients reach the VM: each site's switch has learned its MAC where it is now. */
async function warm(b: Bench): Promise<void> {
  for (const c of b.lab.plan.clients) {
    let ok = 0;
    let last = "";
    for (let i = 0; i < 40 && ok < 3; i++) {
      try {
        const out = await nsRun(c.ns, "curl", ["-sS", "--max-time", "2", `http://${b.vm.ip}/ping`], { timeoutMs: 5_000 });
        if (out.includes("pong")) ok++;
      } catch (e) {
        last = (e as Error).message;
        await sleep(250);
      }
    }
    if (ok < 3) throw new Error(`client ${c.site} cannot reach ${b.vm.ip}: ${last}`);
  }
}

/** Waits (bounded) until answers flow again after `since`: 20 within the last 300 ms (a 10 ms interval gives ~30). */
async function answersFlowAgain(prober: Prober, o: Options, since: number): Promise<void> {
  while (Date.now() < since + RECOVERY_LIMIT_MS) {
    const recent = prober.answers.filter((t) => t > Date.now() - 300 && t > since).length;
    if (Date.now() - since >= 500 && recent >= Math.min(20, Math.floor(200 / o.intervalMs))) return;
    await sleep(50);
  }
}

const clientA = (b: Bench) => b.lab.plan.clients.find((c) => c.site === "a")!;

async function probedMigration(b: Bench, o: Options, run: number, variant: Variant, from: string, to: string): Promise<ProbedRun> {
  await warm(b);
  const relocations: { at: number; elapsedMs: number }[] = [];
  const off = b.controller.events.on((e: ControllerEvent) => {
    if (e.type === "relocation" && e.mac === b.vm.mac) relocations.push({ at: e.at, elapsedMs: e.elapsedMs });
  });
  const lifecycle = watchLifecycle(b, b.vm.name);
  const prober = await startProber(clientA(b).ns, b.vm.ip, o);
  const capture = o.capture ? startCapture(b, o.capture, `run${run}-${variant}`) : null;
  await sleep(o.capture ? 1000 : 0);
  const pinger = startPinger(clientA(b).ns, b.vm.ip);
  let probe: ProbeResult;
  let pings: Awaited<ReturnType<Pinger["stop"]>>;
  let id: string;
  const t0 = Date.now();
  let settledAt = 0;
  let cost: CpuCost = { benchCpuMs: 0, machineCpuMs: {} };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  try {
    // A steady stream of answers before the migration starts.
    await sleep(300);
    const meter = startCpuMeter();
    loop.enable();
    ({ id } = await b.orch[variant].start({ vmName: b.vm.name, destHost: to, user: USER }));
    await withTimeout(b.orch[variant].settled(id), MIGRATION_LIMIT_MS, `migration ${from}→${to}`);
    settledAt = Date.now();
    loop.disable();
    cost = meter.stop();
    await answersFlowAgain(prober, o, settledAt);
  } finally {
    off();
    [probe, pings] = await Promise.all([prober.stop(), pinger.stop()]);
    await capture?.stop();
  }
  const icmp = longestGap(pings);
  const real = lifecycle.stop();
  const m = await b.db.migration.findUniqueOrThrow({ where: { id }, include: { phases: true } });
  if (m.status !== "completed") throw new Error(`${variant} migration ${from}→${to} ${m.status}: ${m.error ?? ""}`);
  const gap = longestGap(probe);
  const phase = (n: string) => m.phases.find((p) => p.name === n);
  const hvDone = phase("stop-and-copy")?.endedAt?.getTime() ?? null;
  const pause = hvDone !== null ? hvDone - (m.downtimeMs ?? 0) : null;
  const rel = (t: number | null | undefined) => (t === null || t === undefined || pause === null ? null : Math.round((t - pause) * 10) / 10);
  const reloc = relocations.at(-1);
  return {
    run,
    variant,
    dir: `${from}→${to}`,
    gapMs: gap.gapMs,
    downtimeMs: m.downtimeMs,
    totalTimeMs: m.totalTimeMs,
    hypervisorTotalMs: m.hypervisorTotalMs,
    hypervisorTransferMs: m.hypervisorTransferMs,
    hypervisorWallMs: m.hypervisorWallMs,
    loopDelayMaxMs: Math.round(loop.max / 1e5) / 10,
    passes: m.passes,
    transferredBytes: m.transferredBytes === null ? null : Number(m.transferredBytes),
    switchoverMs: m.switchoverMs,
    pauseMs: m.pauseMs,
    wallMs: settledAt - t0,
    // CPU this process (orchestrator, controller, drivers) and the machine spent from the start to settling.
    ...cost,
    probes: { sent: probe.sent, ok: probe.ok, failed: probe.failed, maxLateMs: probe.maxLateMs, rttP50Ms: probe.rttP50Ms, rttP99Ms: probe.rttP99Ms, stop: probe.reason },
    timelineOrigin: pause,
    timeline: {
      migration_started: rel(t0),
      precopy_started: rel(phase("pre-copy")?.startedAt?.getTime()),
      last_answer_before_gap: rel(gap.from),
      pause_started: 0,
      vm_suspended_at_source: rel(real.stoppedAt),
      vm_resumed_at_destination: rel(real.resumedAt),
      hypervisor_completed: rel(hvDone),
      commitment_started: rel(phase("commitment")?.startedAt?.getTime()),
      relocation_started: reloc ? rel(reloc.at - reloc.elapsedMs) : null,
      relocation_finished: reloc ? rel(reloc.at) : null,
      commitment_finished: rel(phase("commitment")?.endedAt?.getTime()),
      first_answer_after_gap: rel(gap.to),
      last_echo_before_gap: rel(icmp.from),
      first_echo_after_gap: rel(icmp.to),
      settled: rel(settledAt),
    },
    commitment: phase("commitment")?.detail ?? null,
    // Hypervisor events (libvirt only): the pause as the guest lived it, and the answer after it.
    realPauseMs: real.stoppedAt !== null && real.resumedAt !== null ? real.resumedAt - real.stoppedAt : null,
    resumeToAnswerMs: real.resumedAt !== null ? Math.round((gap.to - real.resumedAt) * 10) / 10 : null,
    icmpGapMs: icmp.gapMs,
    resumeToIcmpMs: real.resumedAt !== null ? Math.round((icmp.to - real.resumedAt) * 10) / 10 : null,
    phasesMs: {
      precheck: m.totalTimeMs !== null ? Math.round(settledAt - m.totalTimeMs - t0) : null,
      ...Object.fromEntries(["reservation", "pre-copy", "stop-and-copy", "commitment", "activation"].map((n) => {
        const p = phase(n);
        return [n, p?.startedAt && p.endedAt ? p.endedAt.getTime() - p.startedAt.getTime() : null];
      })),
    },
  };
}

/** A warm-up leg: its total (Ferry's, or the direct reference's) and the hypervisor's own. */
interface Warmup {
  via: "direct" | "ferry";
  dir: string;
  totalMs: number | null;
  hypervisorTotalMs: number | null;
}

/** Ferry's migration without probes around it (a warm-up leg). */
async function unprobedMigration(b: Bench, from: string, to: string): Promise<Warmup> {
  await warm(b);
  const { id } = await b.orch.ferry.start({ vmName: b.vm.name, destHost: to, user: USER });
  await withTimeout(b.orch.ferry.settled(id), MIGRATION_LIMIT_MS, `migration ${from}→${to}`);
  const m = await b.db.migration.findUniqueOrThrow({ where: { id } });
  if (m.status !== "completed") throw new Error(`warm-up migration ${from}→${to} ${m.status}: ${m.error ?? ""}`);
  return { via: "ferry", dir: `${from}→${to}`, totalMs: m.totalTimeMs, hypervisorTotalMs: m.hypervisorTotalMs };
}

/** The same move through the drivers alone; afterwards the registry is told where the VM is. */
async function directMigration(b: Bench, o: Options, run: number, from: string, to: string): Promise<DirectRun> {
  const src = b.drivers.get(from)!;
  const dst = b.drivers.get(to)!;
  await warm(b);
  // Probed as well, so the guest carries the same load as in the orchestrated runs.
  const prober = await startProber(clientA(b).ns, b.vm.ip, o);
  const pinger = startPinger(clientA(b).ns, b.vm.ip);
  let pings: Awaited<ReturnType<Pinger["stop"]>>;
  let t0 = 0;
  let reserveMs = 0;
  let wallMs = 0;
  let result: { totalTimeMs: number; downtimeMs?: number; passes?: number; transferredBytes?: number; transferMs?: number };
  let probe: ProbeResult;
  let cost: CpuCost;
  // QEMU's own events, as the driver listens to them: the transfer inside libvirt's job. Started
  // before the timed command; the driver starts its listeners with the migration (plain
  // `virsh migrate` runs with three such listeners spawned at their start were no slower here).
  const events: QemuMigrationEvent[] = [];
  const watcher = o.pair === "libvirt" ? new QemuMigrationWatcher(b.lab.libvirtUriOf(from), b.vm.name, (e) => void events.push(e), MIGRATION_LIMIT_MS / 1000) : null;
  try {
    await sleep(300);
    const meter = startCpuMeter();
    if (o.pair === "libvirt") {
      // The reference: libvirt's own peer-to-peer migration, nothing of Ferry around it.
      const destIp = b.lab.plan.hosts.find((h) => h.name === to)!.underlayIp;
      t0 = Date.now();
      await virshMigrate(b.lab.libvirtUriOf(from), b.vm.name, `qemu+tcp://${destIp}/system`);
      wallMs = Date.now() - t0;
      result = { ...(await libvirtCompletedJob(b.lab.libvirtUriOf(to), b.vm.name)), transferMs: transferMsFrom(events) };
    } else {
      t0 = Date.now();
      const info = await src.getVm(b.vm.name);
      const def = await src.definition(b.vm.name);
      const incoming = await dst.prepareIncoming(info, def);
      reserveMs = Date.now() - t0;
      const handle = await src.migrate(b.vm.name, { driver: dst, incoming }, {});
      result = await withTimeout(handle.done, MIGRATION_LIMIT_MS, `direct migration ${from}→${to}`);
      wallMs = Date.now() - t0;
    }
    cost = meter.stop();
    await answersFlowAgain(prober, o, Date.now());
  } finally {
    watcher?.stop();
    [probe, pings] = await Promise.all([prober.stop(), pinger.stop()]);
  }
  await registerLabVms(b.db, { ...b.lab.plan, vms: [{ ...b.vm, host: to }] });
  return {
    run,
    dir: `${from}→${to}`,
    // libvirt: `virsh migrate --live --p2p` alone, timed here; QMP: reservation + QEMU's own total-time.
    referenceMs: o.pair === "libvirt" ? wallMs : reserveMs + result.totalTimeMs,
    wallMs,
    ...cost,
    reserveMs,
    hypervisorTotalMs: result.totalTimeMs,
    hypervisorTransferMs: result.transferMs ?? null,
    passes: result.passes ?? null,
    transferredBytes: result.transferredBytes ?? null,
    downtimeMs: result.downtimeMs ?? null,
    gapMs: longestGap(probe).gapMs,
    icmpGapMs: longestGap(pings).gapMs,
  };
}

/**
 * The VM paused where it is for `pauseMs` and resumed, probed as during a migration. Nothing
 * moves and the emulator's code cache stays warm, so the gap's excess over the pause is the
 * guest's own wake-up on this host: the floor under a migration's gap.
 */
async function inPlacePause(b: Bench, o: Options, run: number, host: string, pauseMs: number): Promise<InPlaceRun> {
  await warm(b);
  const lifecycle = watchLifecycle(b, b.vm.name);
  const prober = await startProber(clientA(b).ns, b.vm.ip, o);
  const pinger = startPinger(clientA(b).ns, b.vm.ip);
  let probe: ProbeResult;
  let pings: Awaited<ReturnType<Pinger["stop"]>>;
  let stoppedAt = 0;
  let resumedAt = 0;
  try {
    await sleep(300);
    if (o.pair === "libvirt") {
      await virsh(b.lab.libvirtUriOf(host), ["suspend", b.vm.name]);
      await sleep(pauseMs);
      await virsh(b.lab.libvirtUriOf(host), ["resume", b.vm.name]);
    } else {
      // The VM's own monitor (the driver's connection to it); stop/cont answer once done.
      const monitor = await (b.drivers.get(host) as QmpDriver).incomingClient(b.vm.name);
      stoppedAt = Date.now();
      await monitor.execute("stop");
      await sleep(pauseMs);
      await monitor.execute("cont");
      resumedAt = Date.now();
    }
    await answersFlowAgain(prober, o, Date.now());
  } finally {
    [probe, pings] = await Promise.all([prober.stop(), pinger.stop()]);
  }
  const real = lifecycle.stop();
  if (o.pair === "libvirt") {
    if (real.stoppedAt === null || real.resumedAt === null) throw new Error(`no suspend/resume events for ${b.vm.name} on ${host}`);
    stoppedAt = real.stoppedAt;
    resumedAt = real.resumedAt;
  }
  const gap = longestGap(probe);
  const icmp = longestGap(pings);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { run, host, pauseMs: resumedAt - stoppedAt, gapMs: gap.gapMs, icmpGapMs: icmp.gapMs, resumeToAnswerMs: r1(gap.to - resumedAt), resumeToEchoMs: r1(icmp.to - resumedAt) };
}

function virsh(uri: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("virsh", ["-q", "-c", uri, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`virsh ${args.join(" ")} exited ${code}: ${err.trim()}`));
    });
  });
}

/** Measures CPU from now until stop(): this process's own, and every process's on the machine. */
function startCpuMeter(): { stop(): CpuCost } {
  const own = process.cpuUsage();
  const machine = cpuByPid();
  return {
    stop() {
      const d = process.cpuUsage(own);
      return { benchCpuMs: Math.round((d.user + d.system) / 1000), machineCpuMs: cpuDiff(machine, cpuByPid()) };
    },
  };
}

/** CPU time (ms) of every process on the machine by pid, with its command name: a snapshot to diff. */
function cpuByPid(): Map<number, { comm: string; ms: number }> {
  const tick = 10; // USER_HZ is 100 on Linux: 10 ms per tick
  const out = new Map<number, { comm: string; ms: number }>();
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      // Kernel workers rename themselves after their current work item: one name for all.
      const comm = stat.slice(stat.indexOf("(") + 1, close).replace(/^kworker\/.*/, "kworker");
      const f = stat.slice(close + 2).split(" ");
      out.set(Number(e), { comm, ms: (Number(f[11]) + Number(f[12])) * tick });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** CPU spent between two snapshots, summed by command name, the 8 largest (what ended meanwhile is not counted). */
function cpuDiff(before: Map<number, { comm: string; ms: number }>, after: Map<number, { comm: string; ms: number }>): Record<string, number> {
  const by = new Map<string, number>();
  for (const [pid, a] of after) {
    const d = a.ms - (before.get(pid)?.ms ?? 0);
    if (d > 0) by.set(a.comm, (by.get(a.comm) ?? 0) + d);
  }
  return Object.fromEntries([...by].sort((x, y) => y[1] - x[1]).slice(0, 8));
}

/** `virsh migrate --live --p2p --persistent --undefinesource`, as an administrator would type it. */
function virshMigrate(srcUri: string, vm: string, destUri: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("virsh", ["-q", "-c", srcUri, "migrate", "--live", "--p2p", "--persistent", "--undefinesource", vm, destUri], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), MIGRATION_LIMIT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`virsh migrate ${vm} → ${destUri} exited ${code}: ${err.trim()}`));
    });
  });
}

/** libvirt's figures for the migration that just ended (the destination keeps them). */
async function libvirtCompletedJob(uri: string, vm: string): Promise<{ totalTimeMs: number; downtimeMs?: number; passes?: number; transferredBytes?: number }> {
  const out = await new Promise<string>((resolve) => {
    const child = spawn("virsh", ["-q", "-c", uri, "domjobinfo", vm, "--completed", "--rawstats"], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, LC_ALL: "C" } });
    let text = "";
    child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
    child.on("close", () => resolve(text));
    child.on("error", () => resolve(""));
  });
  const job = parseDomJobInfo(out);
  return { totalTimeMs: job.timeElapsedMs ?? 0, downtimeMs: job.downtimeMs, passes: job.iteration, transferredBytes: job.memoryProcessed ?? job.dataProcessed };
}

/** The VM at rest, probed for 3 s per setting: how fast and how reliably it answers. */
async function calibrate(b: Bench, o: Options): Promise<void> {
  await warm(b);
  for (const [intervalMs, timeoutMs] of [[10, 100], [10, 300], [10, 1000], [20, 300], [50, 300]] as const) {
    const p = await startProber(clientA(b).ns, b.vm.ip, { ...o, intervalMs, timeoutMs });
    await sleep(3000);
    const r = await p.stop();
    const g = longestGap(r);
    process.stdout.write(JSON.stringify({ calibrate: true, intervalMs, timeoutMs, sent: r.sent, ok: r.ok, failed: r.failed, rttP50Ms: r.rttP50Ms, rttP99Ms: r.rttP99Ms, rttMaxMs: r.rttMaxMs, maxLateMs: r.maxLateMs, gapMs: g.gapMs }) + "\n");
  }
}

export async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  if (process.getuid?.() !== 0) throw new Error("needs root (network namespaces, Open vSwitch, QEMU)");
  const tag = `mg${process.pid % 1000}`;
  let exiting = false;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (exiting) return;
      exiting = true;
      log(`${sig}: cleaning up`);
      void withTimeout(cleanupAll(), 180_000, "cleanup").finally(() => process.exit(130));
    });
  }
  process.on("exit", killProbers);

  const started = Date.now();
  try {
    const b = await setUp(o, tag);
    if (o.calibrate) {
      await calibrate(b, o);
      return 0;
    }
    const ferry: ProbedRun[] = [];
    const baseline: ProbedRun[] = [];
    const direct: DirectRun[] = [];
    const inPlace: InPlaceRun[] = [];
    // The first migration of a freshly booted guest is slower (libvirt's job 1.4 s against
    // 0.4–0.8 s later, 2026-12-07), and so is the orchestrator's first: its code is not yet
    // compiled (run 1's Ferry migration used 245–360 ms of this process's CPU, later ones 45–124 ms).
    // Each warm-up round trip goes A→B through the drivers alone and back B→A through Ferry's
    // orchestrator, so that run 1 meets neither. Printed, never counted.
    const warmups: Warmup[] = [];
    for (let k = 0; k < o.warmup; k++) {
      for (const via of ["direct", "ferry"] as const) {
        const [x, y] = via === "direct" ? [b.siteHost.a, b.siteHost.b] : [b.siteHost.b, b.siteHost.a];
        const w = via === "direct" ? await directMigration(b, o, 0, x, y).then((d) => ({ via, dir: d.dir, totalMs: d.referenceMs, hypervisorTotalMs: d.hypervisorTotalMs })) : await unprobedMigration(b, x, y);
        warmups.push(w);
        process.stdout.write(JSON.stringify({ variant: "warmup", ...w }) + "\n");
        log(`warm-up ${w.dir} (${via}): ${w.totalMs} ms (hypervisor ${w.hypervisorTotalMs} ms)`);
      }
    }
    for (let k = 0; k < o.runs; k++) {
      const [x, y] = k % 2 === 0 ? [b.siteHost.a, b.siteHost.b] : [b.siteHost.b, b.siteHost.a];
      const f = await probedMigration(b, o, k + 1, "ferry", x, y);
      ferry.push(f);
      process.stdout.write(JSON.stringify(f) + "\n");
      const p = await inPlacePause(b, o, k + 1, y, Math.round(f.pauseMs ?? 300));
      inPlace.push(p);
      process.stdout.write(JSON.stringify({ variant: "in-place", ...p }) + "\n");
      const base = await probedMigration(b, o, k + 1, "baseline", y, x);
      baseline.push(base);
      process.stdout.write(JSON.stringify(base) + "\n");
      const d = await directMigration(b, o, k + 1, x, y);
      direct.push(d);
      process.stdout.write(JSON.stringify({ variant: "direct", ...d }) + "\n");
      log(`run ${k + 1}/${o.runs} ${x}→${y}: ferry gap ${f.gapMs} ms, echo gap ${f.icmpGapMs} ms (pause ${f.pauseMs} ms, downtime ${f.downtimeMs} ms, total ${f.totalTimeMs} ms), in place gap ${p.gapMs} ms, echo gap ${p.icmpGapMs} ms (pause ${p.pauseMs} ms), direct ${d.referenceMs} ms, baseline gap ${base.gapMs} ms, echo gap ${base.icmpGapMs} ms (downtime ${base.downtimeMs} ms)`);
    }
    const overhead = ferry.map((f, i) => (f.totalTimeMs ?? NaN) - direct[i]!.referenceMs);
    const worst = ferry.reduce((w, f) => (f.gapMs > w.gapMs ? f : w));
    const wi = ferry.indexOf(worst);
    const worstBase = baseline.reduce((w, f) => (f.gapMs > w.gapMs ? f : w));
    const summary = {
      bench: "migration-gap",
      memory_mb: MEMORY_MIB,
      runs: o.runs,
      downtime_ms: worst.downtimeMs,
      gap_ms: worst.gapMs,
      baseline_gap_ms: worstBase.gapMs,
      overhead_ms: overhead[wi],
      pair: o.pair,
      worst_run: worst.run,
      worst_dir: worst.dir,
      baseline_downtime_ms: worstBase.downtimeMs,
      gap_runs: ferry.map((f) => f.gapMs),
      downtime_runs: ferry.map((f) => f.downtimeMs),
      total_ms_runs: ferry.map((f) => f.totalTimeMs),
      direct_ms_runs: direct.map((d) => d.referenceMs),
      overhead_runs: overhead,
      // Same, with each side's own hypervisor time taken out: what Ferry adds around the hypervisor.
      // A hypervisor total of 0 is a missing figure (QEMU once answered query-migrate without one): null.
      overhead_outside_hv_runs: ferry.map((f, i) => (f.totalTimeMs ?? NaN) - (f.hypervisorTotalMs || NaN) - (direct[i]!.referenceMs - (direct[i]!.hypervisorTotalMs || NaN))),
      hv_total_ms_runs: ferry.map((f) => f.hypervisorTotalMs),
      direct_hv_total_ms_runs: direct.map((d) => d.hypervisorTotalMs),
      baseline_hv_total_ms_runs: baseline.map((f) => f.hypervisorTotalMs),
      // libvirt: Ferry's total − the wall time of the very `virsh migrate` it ran, i.e. what Ferry
      // adds around the command in the same migration, free of the hypervisor's run-to-run spread.
      outside_command_ms_runs: ferry.map((f) => (f.hypervisorWallMs !== null && f.totalTimeMs !== null ? f.totalTimeMs - f.hypervisorWallMs : null)),
      loop_delay_max_ms_runs: ferry.map((f) => f.loopDelayMaxMs),
      // QEMU's own transfer inside each job (on QMP hosts the same as the job).
      hv_transfer_ms_runs: ferry.map((f) => f.hypervisorTransferMs),
      baseline_hv_transfer_ms_runs: baseline.map((f) => f.hypervisorTransferMs),
      direct_hv_transfer_ms_runs: direct.map((d) => d.hypervisorTransferMs),
      direct_gap_runs: direct.map((d) => d.gapMs),
      baseline_gap_runs: baseline.map((f) => f.gapMs),
      real_pause_runs: ferry.map((f) => f.realPauseMs),
      resume_to_answer_runs: ferry.map((f) => f.resumeToAnswerMs),
      baseline_real_pause_runs: baseline.map((f) => f.realPauseMs),
      baseline_resume_to_answer_runs: baseline.map((f) => f.resumeToAnswerMs),
      baseline_downtime_runs: baseline.map((f) => f.downtimeMs),
      probe_max_late_ms: Math.max(...[...ferry, ...baseline].map((r) => r.probes.maxLateMs)),
      pause_runs: ferry.map((f) => f.pauseMs),
      // The same migrations seen by ICMP echo (network only, no HTTP server in the guest's path).
      icmp_gap_ms: Math.max(...ferry.map((f) => f.icmpGapMs)),
      icmp_gap_runs: ferry.map((f) => f.icmpGapMs),
      resume_to_echo_runs: ferry.map((f) => f.resumeToIcmpMs),
      baseline_icmp_gap_runs: baseline.map((f) => f.icmpGapMs),
      direct_icmp_gap_runs: direct.map((d) => d.icmpGapMs),
      // Paused and resumed without moving: the part of a gap that is the guest's own wake-up.
      in_place_pause_runs: inPlace.map((p) => p.pauseMs),
      in_place_gap_runs: inPlace.map((p) => p.gapMs),
      in_place_icmp_gap_runs: inPlace.map((p) => p.icmpGapMs),
      in_place_resume_to_answer_runs: inPlace.map((p) => p.resumeToAnswerMs),
      in_place_resume_to_echo_runs: inPlace.map((p) => p.resumeToEchoMs),
      goal_icmp_gap_met_vs_pause: ferry.every((f) => f.pauseMs !== null && f.icmpGapMs <= f.pauseMs + 50),
      goal_gap_met: ferry.every((f) => f.downtimeMs !== null && f.gapMs <= f.downtimeMs + 50),
      // Against the pause the guest lived (QEMU's downtime ends at the source's last byte).
      goal_gap_met_vs_pause: ferry.every((f) => f.pauseMs !== null && f.gapMs <= f.pauseMs + 50),
      goal_overhead_met: overhead.every((x) => x <= 300),
      warmup_round_trips: o.warmup,
      warmup_via: warmups.map((w) => w.via),
      warmup_hv_total_ms_runs: warmups.map((w) => w.hypervisorTotalMs),
      warmup_total_ms_runs: warmups.map((w) => w.totalMs),
      interval_ms: o.intervalMs,
      timeout_ms: o.timeoutMs,
      elapsed_s: Math.round((Date.now() - started) / 1000),
    };
    process.stdout.write(JSON.stringify(summary) + "\n");
    return 0;
  } catch (err) {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    if (!exiting) await cleanupAll();
  }
}
