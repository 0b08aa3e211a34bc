// The fig11 benchmark proper (entry point: bench/fig11.ts): total migration time against memory
// size, as in the paper's one figure, on real lab guests, per hypervisor driver and link rate.
//
// One private lab (namespaces ferry-f11<pid%1000>-*) with a pair of hosts per driver (site A, site B).
// Per driver and memory size: boot one guest on site A that fills part of its memory with random
// data and keeps dirtying it, then per link setting (tc tbf on the router, Lab.setWanRate) migrate
// it through Ferry's Orchestrator `repeats` times, alternating A→B, B→A. After every migration the
// guest must still answer with the boot id it booted with and its console must show no kernel
// panic; a run that fails either is reported and never counted. Medians per point, a least-squares
// line per series, the floor (bytes ÷ link rate) on limited links.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PAPER_FIT } from "../../server/analysis/fit";
import { buildSeries, orderForSummary, summaryLine, toCsv, type Fig11Driver, type Fig11Results, type Fig11Run } from "../../server/analysis/fig11";
import type { HypervisorDriver, VmDefinition } from "../../server/hypervisors/driver";
import { registerLabVms } from "../../server/inventory/lab-sync";
import { ensureGuestImage, guestCmdline, waitForGuestReady, type GuestStatus } from "../../server/lab/guest/image";
import { nsRun } from "../../server/lab/sh";
import { stableUuid, type LabTopology, type LabVm } from "../../server/lab/topology";
import { BENCH_USER, Cleanups, cleanupOnSignals, sleep, startLabBench, withTimeout, type LabBench } from "../lib/lab-bench";
import { renderPage } from "./report";
import { renderSvg } from "./svg";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");

export interface Fig11Options {
  quick: boolean;
  /** Memory sizes for the LAN (MiB). */
  sizes: number[];
  /** Memory sizes for limited links (MiB); defaults to `sizes`. */
  wanSizes: number[];
  repeats: number;
  /** Repeats on limited links; defaults to `repeats`. */
  wanRepeats: number;
  /** null = LAN (no limit), else Mbit/s. */
  links: (number | null)[];
  drivers: Fig11Driver[];
  fillRatio: number;
  dirtyMbps: number;
  write: boolean;
  /** Where --write puts results (the repository by default). */
  outRoot: string;
  /** Rebuild the outputs from a previous run's stdout instead of measuring. */
  /** Recorded sweeps to rebuild the outputs from (several: parts of one sweep, e.g. one per driver). */
  fromRuns: string[] | null;
  /** "own": each host's migration network (outside OVS, the lab's default); "underlay": streams through br-phy. */
  migrationNet: "own" | "underlay";
}

const LINK_RATES = new Set([1000, 200, 100]);

function parseList(v: string, what: string): number[] {
  const xs = v.split(",").map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 128 || x > 8192)) throw new Error(`${what} must be MiB sizes 128..8192, e.g. 512,1024`);
  return [...new Set(xs)].sort((a, b) => a - b);
}

export function parseArgs(argv: string[]): Fig11Options {
  const o: Fig11Options = {
    quick: false,
    sizes: [512, 1024, 2048, 3072, 4096],
    wanSizes: [],
    repeats: 3,
    wanRepeats: 0,
    links: [null, 1000, 200, 100],
    drivers: ["libvirt", "qmp"],
    fillRatio: 0.5,
    // Modest: the guest keeps rewriting part of what it filled (safe since the lab's guests have
    // a RAM size QEMU 7.2's TCG migrates correctly, see server/lab/guest/README.md).
    dirtyMbps: 2,
    write: false,
    outRoot: ROOT,
    fromRuns: null,
    migrationNet: "own",
  };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    given.add(a);
    if (a === "--quick") o.quick = true;
    else if (a === "--sizes") o.sizes = parseList(v(), "--sizes");
    else if (a === "--wan-sizes") o.wanSizes = parseList(v(), "--wan-sizes");
    else if (a === "--repeats") o.repeats = Number(v());
    else if (a === "--wan-repeats") o.wanRepeats = Number(v());
    else if (a === "--links")
      o.links = v()
        .split(",")
        .map((s) => {
          const t = s.trim();
          if (t === "lan") return null;
          const n = Number(t);
          if (!LINK_RATES.has(n)) throw new Error("--links takes lan, 1000, 200, 100");
          return n;
        });
    else if (a === "--drivers")
      o.drivers = v()
        .split(",")
        .map((s) => {
          if (s !== "libvirt" && s !== "qmp") throw new Error("--drivers takes libvirt and/or qmp");
          return s;
        });
    else if (a === "--fill-ratio") o.fillRatio = Number(v());
    else if (a === "--dirty-mbps") o.dirtyMbps = Number(v());
    else if (a === "--write") o.write = true;
    else if (a === "--out-root") o.outRoot = path.resolve(v());
    else if (a === "--migration-net") {
      const n = v();
      if (n !== "own" && n !== "underlay") throw new Error("--migration-net takes own or underlay");
      o.migrationNet = n;
    } else if (a === "--from-runs") o.fromRuns = v().split(",").filter(Boolean).map((f) => path.resolve(f));
    else throw new Error(`unknown option ${a}`);
  }
  if (o.quick) {
    if (!given.has("--sizes")) o.sizes = [512, 1024];
    if (!given.has("--repeats")) o.repeats = 1;
    if (!given.has("--links")) o.links = [null];
  }
  if (!o.wanSizes.length) o.wanSizes = o.sizes;
  if (!given.has("--wan-repeats")) o.wanRepeats = o.repeats;
  if (!Number.isInteger(o.repeats) || o.repeats < 1 || o.repeats > 20) throw new Error("--repeats must be 1..20");
  if (!Number.isInteger(o.wanRepeats) || o.wanRepeats < 1 || o.wanRepeats > 20) throw new Error("--wan-repeats must be 1..20");
  if (!(o.fillRatio >= 0 && o.fillRatio <= 0.8)) throw new Error("--fill-ratio must be 0..0.8");
  if (!Number.isInteger(o.dirtyMbps) || o.dirtyMbps < 0 || o.dirtyMbps > 200) throw new Error("--dirty-mbps must be an integer 0..200");
  if (o.dirtyMbps > 0 && o.fillRatio === 0) throw new Error("--dirty-mbps needs --fill-ratio > 0");
  o.links = [...new Set(o.links)];
  o.drivers = [...new Set(o.drivers)];
  return o;
}

const log = (line: string) => process.stderr.write(`fig11: ${line}\n`);

/** A run that did not produce a good point, and why (a panic, a lost guest, a failed migration). */
export interface Fig11Failure {
  driver: Fig11Driver;
  linkMbit: number | null;
  memoryMiB: number;
  run: number;
  reason: string;
}

export interface Fig11Outcome {
  results: Fig11Results;
  failures: Fig11Failure[];
  /** Every good run, with its series, as measured. */
  runs: (Fig11Run & { driver: Fig11Driver; linkMbit: number | null; dir: string })[];
  elapsedS: number;
  /** 1-minute load average of the machine when the sweep started and when it ended. */
  load?: { start: number; end: number };
}

// ── the lab ─────────────────────────────────────────────────────────────────────────────────
const PAIRS: Record<Fig11Driver, { a: string; b: string; hypervisor: "libvirt" | "qemu" }> = {
  libvirt: { a: "host-a1", b: "host-b1", hypervisor: "libvirt" },
  qmp: { a: "host-a2", b: "host-b2", hypervisor: "qemu" },
};

function topologyFor(drivers: Fig11Driver[], migrationNet: Fig11Options["migrationNet"]): LabTopology {
  return {
    overlay: "10.99.0.0/24",
    sites: (["a", "b"] as const).map((site, i) => ({
      name: site,
      underlay: `10.250.${i + 1}.0/24`,
      ...(migrationNet === "own" ? { migration: `10.251.${i + 1}.0/24` } : {}),
      hosts: drivers.map((d) => ({ name: PAIRS[d][site], hypervisor: PAIRS[d].hypervisor })),
    })),
    vms: [],
  };
}

// ── one guest ───────────────────────────────────────────────────────────────────────────────
interface Guest {
  vm: LabVm;
  def: VmDefinition;
  bootId: string;
  /** Host it runs on now. */
  host: string;
}

let guestSeq = 0;

async function bootGuest(b: LabBench, o: Fig11Options, driver: Fig11Driver, memoryMiB: number): Promise<Guest> {
  const k = ++guestSeq;
  const name = `f11-${driver === "qmp" ? "q" : "l"}${memoryMiB}-${k}`;
  const host = PAIRS[driver].a;
  const fillMb = Math.round(memoryMiB * o.fillRatio);
  const dirtyMbps = fillMb > 0 ? o.dirtyMbps : 0;
  const vm: LabVm = {
    name,
    host,
    uuid: stableUuid(`vm:${name}:${process.pid}`),
    portId: stableUuid(`port:${name}:${process.pid}`),
    mac: `52:54:00:f1:${(k >> 8).toString(16).padStart(2, "0")}:${(k & 0xff).toString(16).padStart(2, "0")}`,
    ip: `10.99.0.${20 + (k % 180)}`,
    memoryMiB,
    vcpus: 1,
    fillMiB: fillMb,
    dirtyMiBps: dirtyMbps,
  };
  const image = await ensureGuestImage({ outDir: b.guestDir });
  const consoleDir = path.join(b.lab.sharedDir(), "vms", name);
  fs.mkdirSync(consoleDir, { recursive: true });
  const def: VmDefinition = {
    name,
    uuid: vm.uuid,
    memoryMiB,
    vcpus: 1,
    kernel: image.kernel,
    initrd: image.initrd,
    cmdline: guestCmdline({ ip: `${vm.ip}/${b.lab.plan.overlay.prefix}`, hostname: name, fillMb, dirtyMbps }),
    mac: vm.mac,
    portId: vm.portId,
    consoleLog: path.join(consoleDir, "console.log"),
  };
  const d = b.drivers.get(host)!;
  const t0 = Date.now();
  await d.define(def);
  try {
    return await startGuest(b, d, vm, def, t0);
  } catch (e) {
    // A guest that never became usable is removed here: nobody else knows about it.
    await d.destroy(name).catch(() => {});
    await d.undefine(name).catch(() => {});
    throw e;
  }
}

async function startGuest(b: LabBench, d: HypervisorDriver, vm: LabVm, def: VmDefinition, t0: number): Promise<Guest> {
  const { name, host, fillMiB: fillMb, dirtyMiBps: dirtyMbps } = vm;
  await d.start(name);
  const ready = await waitForGuestReady(def.consoleLog, { timeoutMs: 180_000 });
  log(`${name}: booted on ${host} in ${((Date.now() - t0) / 1000).toFixed(1)} s; filling ${fillMb} MiB, dirtying ${dirtyMbps} MiB/s`);
  // memload prints this line once every page of its area holds random data.
  const fillLimit = 60_000 + fillMb * 150;
  const until = Date.now() + fillLimit;
  let text = "";
  while (Date.now() < until) {
    text = fs.readFileSync(def.consoleLog, "utf8");
    if (/^memload: filled \d+ MiB/m.test(text) || fillMb === 0) break;
    if (PANIC_RE.test(text)) throw new Error(`${name} panicked while filling its memory:\n${consoleTail(text)}`);
    if (/Out of memory|oom-kill/.test(text)) throw new Error(`${name} ran out of memory filling ${fillMb} MiB (lower --fill-ratio or a larger size):\n${consoleTail(text)}`);
    await sleep(500);
  }
  const filled = /^memload: filled (\d+) MiB in (\d+) ms/m.exec(text);
  if (fillMb > 0 && !filled) throw new Error(`${name}: memload did not finish filling ${fillMb} MiB within ${fillLimit} ms`);
  if (filled) log(`${name}: memload filled ${filled[1]} MiB in ${(Number(filled[2]) / 1000).toFixed(1)} s`);
  await registerLabVms(b.db, { ...b.lab.plan, vms: [vm] });
  const g: Guest = { vm, def, bootId: ready.bootId, host };
  await reach(b, g, 60_000);
  return g;
}

async function removeGuest(b: LabBench, g: Guest): Promise<void> {
  for (const host of [PAIRS.qmp.a, PAIRS.qmp.b, PAIRS.libvirt.a, PAIRS.libvirt.b]) {
    const d = b.drivers.get(host);
    if (!d) continue;
    const vms = await d.listVms().catch(() => []);
    if (!vms.some((v) => v.name === g.vm.name)) continue;
    await d.destroy(g.vm.name).catch(() => {});
    await d.undefine(g.vm.name).catch(() => {});
  }
  await b.db.vm.deleteMany({ where: { name: g.vm.name } }).catch(() => {});
}

const PANIC_RE = /Kernel panic|BUG: |Oops: |general protection fault|soft lockup|RCU Stall|rcu_sched self-detected stall/;

function consoleTail(text: string, lines = 25): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").trim().split("\n").slice(-lines).join("\n");
}

/** GET / from the client on site A until the guest answers (bounded); its status. */
async function reach(b: LabBench, g: Guest, limitMs: number): Promise<GuestStatus> {
  const client = b.lab.plan.clients.find((c) => c.site === "a")!;
  const until = Date.now() + limitMs;
  let last = "";
  while (Date.now() < until) {
    try {
      const out = await nsRun(client.ns, "curl", ["-sS", "--max-time", "3", `http://${g.vm.ip}/`], { timeoutMs: 6_000 });
      return JSON.parse(out) as GuestStatus;
    } catch (e) {
      last = (e as Error).message.split("\n")[0]!;
      await sleep(500);
    }
  }
  throw new Error(`${g.vm.name} did not answer HTTP from site A within ${limitMs} ms: ${last}`);
}

/**
 * After a migration: the guest runs at the destination, answers with the boot id it booted with
 * (it did not reboot) and its console shows no panic or oops since `consoleFrom`.
 */
async function checkGuest(b: LabBench, g: Guest, consoleFrom: number): Promise<string | null> {
  const text = fs.readFileSync(g.def.consoleLog, "utf8").slice(consoleFrom);
  if (PANIC_RE.test(text)) return `guest console after the migration:\n${consoleTail(text)}`;
  const info = await b.drivers.get(g.host)!.getVm(g.vm.name).catch((e: Error) => e);
  if (info instanceof Error) return `${g.vm.name} is gone from ${g.host}: ${info.message}`;
  if (info.state !== "running") return `${g.vm.name} is ${info.state} on ${g.host}`;
  const st = await reach(b, g, 30_000).catch((e: Error) => e);
  if (st instanceof Error) {
    const again = fs.readFileSync(g.def.consoleLog, "utf8").slice(consoleFrom);
    return `${st.message}${again.trim() ? `\nconsole:\n${consoleTail(again)}` : ""}`;
  }
  if (st.boot_id !== g.bootId) return `${g.vm.name} rebooted (boot id ${st.boot_id}, was ${g.bootId})`;
  return null;
}

// ── one migration ───────────────────────────────────────────────────────────────────────────
function migrationLimitMs(memoryMiB: number, linkMbit: number | null): number {
  // Generous: 3× the whole memory at the link rate (LAN: assume 100 Mbit/s worth), plus set-up.
  const rate = linkMbit ?? 100;
  return 180_000 + Math.ceil(((memoryMiB * 2 ** 20 * 8) / (rate * 1e6)) * 3 * 1000);
}

async function migrateOnce(b: LabBench, g: Guest, driver: Fig11Driver, linkMbit: number | null): Promise<Fig11Run & { dir: string }> {
  const from = g.host;
  const to = from === PAIRS[driver].a ? PAIRS[driver].b : PAIRS[driver].a;
  const limit = migrationLimitMs(g.vm.memoryMiB, linkMbit);
  const consoleFrom = fs.statSync(g.def.consoleLog).size;
  const { id } = await b.orchestrator.start({ vmName: g.vm.name, destHost: to, user: BENCH_USER });
  const t0 = Date.now();
  // Progress while it runs (TCG on two shared cores: the big ones take minutes).
  const ticker = setInterval(() => {
    void b.db.migration
      .findUnique({ where: { id }, select: { phase: true } })
      .then((m) => b.db.migrationSample.findFirst({ where: { migrationId: id }, orderBy: { at: "desc" } }).then((s) => ({ m, s })))
      .then(({ m, s }) => {
        const sent = s?.transferredBytes != null ? ` ${(Number(s.transferredBytes) / 2 ** 20).toFixed(0)} MiB sent` : "";
        log(`  ${g.vm.name} ${from}→${to}: ${m?.phase ?? "?"} after ${((Date.now() - t0) / 1000).toFixed(0)} s${sent}`);
      })
      .catch(() => {});
  }, 15_000);
  try {
    await withTimeout(b.orchestrator.settled(id), limit, `migration of ${g.vm.name} ${from}→${to}`).catch(async (e: Error) => {
      await b.orchestrator.cancel(id).catch(() => {});
      await withTimeout(b.orchestrator.settled(id), 120_000, "cancel").catch(() => {});
      throw e;
    });
  } finally {
    clearInterval(ticker);
  }
  const m = await b.db.migration.findUniqueOrThrow({ where: { id } });
  if (m.status !== "completed") {
    const text = fs.readFileSync(g.def.consoleLog, "utf8").slice(consoleFrom);
    const panic = PANIC_RE.test(text) ? " — the guest's console shows a kernel panic" : "";
    throw new GuestLost(`migration ${from}→${to} ${m.status}: ${m.error ?? ""}${panic}${text.trim() ? `\nconsole after the migration started:\n${consoleTail(text)}` : ""}`);
  }
  g.host = to;
  // Until the orchestrator records the link rate itself: the dashboard groups points by it.
  if (m.linkMbit === null && linkMbit !== null) await b.db.migration.update({ where: { id }, data: { linkMbit } });
  const bad = await checkGuest(b, g, consoleFrom);
  if (bad) throw new GuestLost(bad);
  if (m.totalTimeMs === null || m.hypervisorTotalMs === null) throw new Error(`migration ${id} has no timings recorded`);
  return {
    memoryMiB: g.vm.memoryMiB,
    totalS: m.totalTimeMs / 1000,
    // 0 is a figure QEMU did not give (query-migrate answered without total-time): unknown, not instant.
    hypervisorTotalS: positive(m.hypervisorTotalMs) / 1000,
    hypervisorWallS: positive(m.hypervisorWallMs) / 1000,
    hypervisorTransferS: positive(m.hypervisorTransferMs) / 1000,
    downtimeMs: m.downtimeMs ?? NaN,
    transferredBytes: m.transferredBytes !== null ? Number(m.transferredBytes) : NaN,
    rounds: m.passes ?? NaN,
    dir: `${from}→${to}`,
  };
}

class GuestLost extends Error {}

/** Copies a lost guest's console out of the lab (which is removed on exit); where it went. */
function keepConsole(g: Guest): string {
  try {
    const dir = path.join(os.tmpdir(), `ferry-fig11-consoles-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    const to = path.join(dir, `${g.vm.name}.log`);
    fs.copyFileSync(g.def.consoleLog, to);
    return ` (console kept at ${to})`;
  } catch {
    return "";
  }
}

// ── the sweep ───────────────────────────────────────────────────────────────────────────────
/** The machine and where the lab sent migration streams (or, rebuilding, what the runs recorded). */
let machine: string | undefined;
function setupLine(o: Fig11Options): string {
  const net = o.migrationNet === "own" ? "each host's migration network (kernel routing, outside Open vSwitch)" : "the underlay (through Open vSwitch's userspace br-phy)";
  return (machine ??= `${describeMachine()}; migration streams over ${net}`);
}

function describeMachine(): string {
  const cpu = os.cpus()[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU";
  const ver = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8", timeout: 10_000 }).split("\n")[0]!.trim();
    } catch {
      return "?";
    }
  };
  const qemu = ver("qemu-system-x86_64", ["--version"]).replace(/^QEMU emulator version /, "");
  const libvirt = ver("libvirtd", ["--version"]).replace(/^libvirtd \(libvirt\) /, "");
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}, QEMU ${qemu} (TCG), libvirt ${libvirt}, Node ${process.versions.node}`;
}

function outcomeOf(o: Fig11Options, runs: Fig11Outcome["runs"], failures: Fig11Failure[], command: string, started: number): Fig11Outcome {
  const series = [];
  for (const driver of o.drivers) {
    for (const linkMbit of o.links) series.push(buildSeries(driver, linkMbit, runs.filter((r) => r.driver === driver && r.linkMbit === linkMbit)));
  }
  const results: Fig11Results = { machine: setupLine(o), date: new Date(started).toISOString(), command, series };
  return { results, failures, runs, elapsedS: Math.round((Date.now() - started) / 1000) };
}

/**
 * The sweep. `onPoint` sees the outcome so far after every migration (a long sweep stopped early
 * still leaves its completed points behind).
 */
export async function runFig11(o: Fig11Options, cleanups: Cleanups, command: string, onPoint?: (so_far: Fig11Outcome) => void): Promise<Fig11Outcome> {
  const started = Date.now();
  const tag = `f11${process.pid % 1000}`;
  const b = await startLabBench({ tag, topology: topologyFor(o.drivers, o.migrationNet), cleanups, log });
  cleanups.push(() => b.lab.setWanRate(null).catch(() => {}));
  const guests = new Set<Guest>();
  // Runs before lab.down(): wherever a guest is now, stop it.
  cleanups.push(async () => {
    for (const g of guests) await removeGuest(b, g);
  });

  const failures: Fig11Failure[] = [];
  const runs: Fig11Outcome["runs"] = [];
  const allSizes = [...new Set([...o.sizes, ...(o.links.some((l) => l !== null) ? o.wanSizes : [])])].sort((x, y) => x - y);
  for (const driver of o.drivers) {
    for (const memoryMiB of allSizes) {
      const links = o.links.filter((l) => (l === null ? o.sizes.includes(memoryMiB) : o.wanSizes.includes(memoryMiB)));
      if (!links.length) continue;
      let g: Guest | null = null;
      for (const linkMbit of links) {
        const repeats = linkMbit === null ? o.repeats : o.wanRepeats;
        await b.lab.setWanRate(linkMbit);
        for (let k = 1; k <= repeats; k++) {
          const fail = (reason: string) => {
            failures.push({ driver, linkMbit, memoryMiB, run: k, reason });
            log(`${driver} ${memoryMiB} MiB ${linkMbit ?? "lan"} run ${k}: NOT COUNTED: ${reason}`);
          };
          if (!g) {
            try {
              g = await bootGuest(b, o, driver, memoryMiB);
              guests.add(g);
            } catch (e) {
              fail(`boot: ${(e as Error).message}`);
              continue;
            }
          }
          try {
            const r = await migrateOnce(b, g, driver, linkMbit);
            runs.push({ ...r, driver, linkMbit });
            log(
              `${driver} ${memoryMiB} MiB ${linkMbit === null ? "LAN" : `${linkMbit} Mbit/s`} run ${k}/${repeats} ${r.dir}: total ${r.totalS.toFixed(2)} s, hypervisor ${r.hypervisorTotalS.toFixed(2)} s, downtime ${r.downtimeMs} ms, ${(r.transferredBytes / 2 ** 20).toFixed(0)} MiB in ${r.rounds} rounds`,
            );
          } catch (e) {
            fail(`${(e as Error).message}${keepConsole(g)}`);
            // A guest that panicked, rebooted or vanished is replaced; so is one whose migration failed.
            await removeGuest(b, g);
            guests.delete(g);
            g = null;
          }
          onPoint?.(outcomeOf(o, runs, failures, command, started));
        }
      }
      await b.lab.setWanRate(null);
      if (g) {
        await removeGuest(b, g);
        guests.delete(g);
      }
    }
  }
  return outcomeOf(o, runs, failures, command, started);
}

function writeOutputs(out: Fig11Outcome, o: Fig11Options, quiet = false): void {
  const docs = path.join(o.outRoot, "docs");
  fs.mkdirSync(path.join(docs, "results"), { recursive: true });
  fs.writeFileSync(path.join(docs, "results", "fig11.json"), JSON.stringify(out.results, null, 2) + "\n");
  fs.writeFileSync(path.join(docs, "results", "fig11.csv"), toCsv(out.results));
  fs.writeFileSync(path.join(docs, "fig11.svg"), renderSvg(out.results));
  // Every run as measured, in the form --from-runs reads back.
  const raw = [
    { bench: "fig11", start: true, machine: out.results.machine, date: out.results.date, command: out.results.command, load1: out.load?.start ?? null },
    ...out.runs.map((r) => ({ bench: "fig11", run: true, ...r })),
    ...out.failures.map((f) => ({ bench: "fig11", failure: true, ...f })),
    { bench: "fig11", elapsed_s: out.elapsedS, load1: out.load?.end ?? null },
  ];
  fs.writeFileSync(path.join(docs, "results", "fig11-runs.jsonl"), raw.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const pagePath = path.join(docs, "fig11.md");
  const previous = fs.existsSync(pagePath) ? fs.readFileSync(pagePath, "utf8") : "";
  fs.writeFileSync(pagePath, renderPage(out, previous));
  if (!quiet) log(`wrote docs/results/fig11.json, docs/results/fig11.csv, docs/fig11.svg, docs/fig11.md under ${o.outRoot}`);
}

/** The options a recorded command line ran with; several commands (`a; b`) are parts of one sweep. */
function optionsOfCommand(command: string): Fig11Options {
  const parts = command.split("; ").map((c) => parseArgs(c.split(" ").slice(3).filter(Boolean)));
  const o = parts[0]!;
  const union = <T>(xs: T[][]) => [...new Set(xs.flat())];
  o.drivers = union(parts.map((p) => p.drivers));
  o.links = union(parts.map((p) => p.links));
  return o;
}

/** One recorded sweep's stdout (or fig11-runs.jsonl): its start line, runs, failures and end line. */
function recordedLines(file: string) {
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  const start = lines.find((l) => l.start === true);
  if (!start) throw new Error(`${file} has no start line of a fig11 run`);
  return { start, lines, end: lines.find((l) => typeof l.elapsed_s === "number") };
}

/**
 * QEMU's transfer time of a recorded run. On QMP hosts QEMU's total-time is that transfer (the
 * destination was started in the reservation), so runs recorded before the field existed have it.
 */
function transferOfRecorded(r: { driver?: unknown; hypervisorTotalS?: unknown; hypervisorTransferS?: unknown }): number {
  const recorded = positive(r.hypervisorTransferS);
  return Number.isNaN(recorded) && r.driver === "qmp" ? positive(r.hypervisorTotalS) : recorded;
}

/** A recorded time, or NaN where none was: null, absent, or 0 (a figure the backend did not give). */
function positive(x: unknown): number {
  return typeof x === "number" && x > 0 ? x : NaN;
}

/**
 * The outcome recorded in previous runs' stdout: the start line (machine, date, command, the
 * options that shape the series), the run and failure lines. Several files are parts of one sweep
 * run one after the other on the same machine (e.g. one driver each): their runs are merged, the
 * commands kept in order.
 */
export function outcomeFromStdout(files: string[]): Fig11Outcome {
  const recorded = files.map(recordedLines);
  const first = recorded[0]!;
  const last = recorded.at(-1)!;
  const command = recorded.map((r) => String(r.start.command)).join("; ");
  const o = optionsOfCommand(command);
  const runs = (recorded.flatMap((r) => r.lines.filter((l) => l.run === true)) as unknown as Fig11Outcome["runs"]).map((r) => ({
    ...r,
    // Older outputs stored QEMU's missing total-time as 0 (and NaN prints as null).
    hypervisorTotalS: positive(r.hypervisorTotalS),
    hypervisorWallS: positive(r.hypervisorWallS),
    hypervisorTransferS: transferOfRecorded(r),
    downtimeMs: typeof r.downtimeMs === "number" && !(r.downtimeMs === 0 && !(r.hypervisorTotalS > 0)) ? r.downtimeMs : NaN,
    transferredBytes: typeof r.transferredBytes === "number" ? r.transferredBytes : NaN,
    rounds: typeof r.rounds === "number" ? r.rounds : NaN,
  }));
  const failures = recorded.flatMap((r) => r.lines.filter((l) => l.failure === true)) as unknown as Fig11Failure[];
  machine = String(first.start.machine);
  const out = outcomeOf(o, runs, failures, command, 0);
  out.results.date = String(first.start.date);
  if (typeof first.start.load1 === "number" && typeof last.end?.load1 === "number") out.load = { start: first.start.load1, end: last.end.load1 };
  out.elapsedS = recorded.reduce(
    (sum, r) => sum + (r.end ? Number(r.end.elapsed_s) : Math.round((Date.parse(String(r.lines.at(-1)?.at ?? r.start.date)) - Date.parse(String(r.start.date))) / 1000)),
    0,
  );
  return out;
}

function printSummary(out: Fig11Outcome): void {
  log(`paper: t = ${PAPER_FIT.slope} s/MB × memory + ${PAPER_FIT.intercept} s; elapsed ${out.elapsedS} s`);
  process.stdout.write(JSON.stringify({ bench: "fig11", elapsed_s: out.elapsedS, load1: out.load?.end ?? null, failures: out.failures.length, runs: out.runs.length }) + "\n");
  for (const s of orderForSummary(out.results.series)) {
    if (s.fit) log(`${s.driver} ${s.link}: t = ${s.fit.slope.toFixed(5)} s/MiB × memory + ${s.fit.intercept.toFixed(2)} s (R² ${s.fit.r2.toFixed(3)})`);
    process.stdout.write(JSON.stringify(summaryLine(s)) + "\n");
  }
}

export async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  if (o.fromRuns) {
    const out = outcomeFromStdout(o.fromRuns);
    if (o.write) writeOutputs(out, o);
    printSummary(out);
    return 0;
  }
  if (process.getuid?.() !== 0) throw new Error("needs root (network namespaces, Open vSwitch, QEMU)");
  const cleanups = new Cleanups(log);
  const signals = cleanupOnSignals(cleanups, log);
  const command = `npx tsx bench/fig11.ts ${argv.join(" ")}`.trim();
  const loadStart = Number(os.loadavg()[0]!.toFixed(1));
  process.stdout.write(JSON.stringify({ bench: "fig11", start: true, machine: setupLine(o), date: new Date().toISOString(), command, load1: loadStart }) + "\n");
  // Each run and failure is printed as it happens, so a sweep stopped early can be rebuilt (--from-runs).
  let printedRuns = 0;
  let printedFailures = 0;
  const onPoint = (soFar: Fig11Outcome) => {
    soFar.load ??= { start: loadStart, end: Number(os.loadavg()[0]!.toFixed(1)) };
    for (const f of soFar.failures.slice(printedFailures)) process.stdout.write(JSON.stringify({ bench: "fig11", failure: true, at: new Date().toISOString(), ...f }) + "\n");
    for (const r of soFar.runs.slice(printedRuns)) process.stdout.write(JSON.stringify({ bench: "fig11", run: true, at: new Date().toISOString(), ...r }) + "\n");
    printedFailures = soFar.failures.length;
    printedRuns = soFar.runs.length;
    if (o.write) writeOutputs(soFar, o, true);
  };
  try {
    const out = await runFig11(o, cleanups, command, onPoint);
    out.load = { start: loadStart, end: Number(os.loadavg()[0]!.toFixed(1)) };
    onPoint(out);
    if (o.write) writeOutputs(out, o);
    printSummary(out);
    return out.failures.length ? 2 : 0;
  } catch (err) {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    signals.dispose();
    if (!signals.signalled()) await cleanups.run();
  }
}
