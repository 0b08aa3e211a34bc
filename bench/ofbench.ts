// Controller benchmark: a cbench-style load generator (bench/ofload.c) against four peers —
// a null controller (the generator's ceiling), Ferry's controller, ovs-testcontroller and os-ken.
//
//   npx tsx bench/ofbench.ts [--quick] [--mode throughput|latency] [--of 1.0|1.3] [--switches 16]
//                            [--seconds N] [--warmup N] [--window W] [--peers null,ferry,ovs,osken]
//                            [--profile DIR]
//
// Each peer runs in its own process pinned to core 1, the generator on core 0. Per-peer results
// are printed as JSON lines; the last line of stdout is the summary. See bench/README.md.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const BUILD_DIR = path.join(HERE, ".build");
const OFLOAD_SRC = path.join(HERE, "ofload.c");
const OFLOAD_BIN = path.join(BUILD_DIR, "ofload");
const HOST = "127.0.0.1";

type Mode = "throughput" | "latency";
type PeerName = "null" | "ferry" | "ovs" | "osken";

interface Options {
  quick: boolean;
  mode: Mode;
  of: "1.0" | "1.3";
  switches: number;
  seconds: number;
  warmup: number;
  window: number | null;
  peers: PeerName[];
  profileDir: string | null;
}

interface GenResult {
  ok: boolean;
  error?: string;
  ready: number;
  closed: number;
  seconds: number;
  packet_ins: number;
  answers: number;
  flow_mods: number;
  packet_outs: number;
  floods: number;
  lost: number;
  errors: number;
  answers_per_s: number;
  round_trips_per_s: number;
  p50_us: number;
  p99_us: number;
}

interface PeerResult {
  peer: PeerName;
  available: boolean;
  note?: string;
  gen?: GenResult;
  /** The figure compared: answers/s (throughput) or p50 µs (latency); null if not measured. */
  value: number | null;
  p99: number | null;
  valid: boolean;
  invalidReason?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    quick: false,
    mode: "throughput",
    of: "1.0",
    switches: 16,
    seconds: 5,
    warmup: 2,
    window: null,
    peers: ["null", "ferry", "ovs", "osken"],
    profileDir: null,
  };
  let secondsGiven = false;
  let warmupGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === "--quick") o.quick = true;
    else if (a === "--mode") {
      const m = v();
      if (m !== "throughput" && m !== "latency") throw new Error("--mode is throughput or latency");
      o.mode = m;
    } else if (a === "--of") {
      const x = v();
      if (x !== "1.0" && x !== "1.3") throw new Error("--of is 1.0 or 1.3");
      o.of = x;
    } else if (a === "--switches") o.switches = Number(v());
    else if (a === "--seconds") {
      o.seconds = Number(v());
      secondsGiven = true;
    } else if (a === "--warmup") {
      o.warmup = Number(v());
      warmupGiven = true;
    } else if (a === "--window") o.window = Number(v());
    else if (a === "--peers") o.peers = v().split(",").map((p) => p.trim()) as PeerName[];
    else if (a === "--profile") o.profileDir = path.resolve(v());
    else if (a === "--help" || a === "-h") {
      process.stderr.write(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(0, 8).join("\n") + "\n");
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.quick) {
    if (!secondsGiven) o.seconds = 1.5;
    if (!warmupGiven) o.warmup = 0.5;
  }
  if (!Number.isInteger(o.switches) || o.switches < 1 || o.switches > 16) throw new Error("--switches must be 1..16 (ovs-testcontroller accepts at most 16)");
  if (!(o.seconds > 0 && o.seconds <= 120)) throw new Error("--seconds must be in (0, 120]");
  if (!(o.warmup >= 0 && o.warmup <= 60)) throw new Error("--warmup must be in [0, 60]");
  for (const p of o.peers) if (!["null", "ferry", "ovs", "osken"].includes(p)) throw new Error(`unknown peer ${p}`);
  if (!o.peers.includes("null")) o.peers.unshift("null");
  return o;
}

// ── process bookkeeping: everything started here is killed on exit, whatever happens ─────────
const children = new Set<ChildProcess>();
let tmpDir: string | null = null;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the child leads its own process group (detached)
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function cleanupSync(): void {
  for (const c of children) killGroup(c, "SIGKILL");
  children.clear();
  if (tmpDir) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    tmpDir = null;
  }
}

async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child, "SIGTERM");
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

function cores(): { gen: string[]; peer: string[] } {
  const haveTaskset = spawnSync("sh", ["-c", "command -v taskset"], { stdio: "ignore" }).status === 0;
  if (!haveTaskset || os.cpus().length < 2) return { gen: [], peer: [] };
  return { gen: ["taskset", "-c", "0"], peer: ["taskset", "-c", "1"] };
}

function start(cmd: string[], opts: { cwd?: string; logFile: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  const log = fs.openSync(opts.logFile, "a");
  const child = spawn(cmd[0]!, cmd.slice(1), {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    stdio: ["pipe", "pipe", log],
    detached: true,
  });
  fs.closeSync(log);
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once no TCP connection to port remains (ovs-testcontroller counts every one). */
async function waitPortIdle(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (let i = 0; i < 500 && Date.now() < deadline; i++) {
    let busy = false;
    try {
      const lines = fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1);
      // local or remote address ending in :PORT, in any state but LISTEN (0A)
      busy = lines.some((l) => {
        const f = l.trim().split(/\s+/);
        return f.length > 3 && f[3] !== "0A" && (f[1]!.endsWith(`:${hex}`) || f[2]!.endsWith(`:${hex}`));
      });
    } catch {
      return;
    }
    if (!busy) return;
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ── build and setup ─────────────────────────────────────────────────────────────────────────
function buildGenerator(): void {
  const stale = !fs.existsSync(OFLOAD_BIN) || fs.statSync(OFLOAD_BIN).mtimeMs < fs.statSync(OFLOAD_SRC).mtimeMs;
  if (!stale) return;
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${OFLOAD_BIN}.${process.pid}.tmp`;
  const r = spawnSync("gcc", ["-Wall", "-Wextra", "-O2", "-o", tmp, OFLOAD_SRC], { encoding: "utf8" });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`gcc failed:\n${r.stderr}`);
  }
  if (r.stderr.trim()) process.stderr.write(r.stderr);
  fs.renameSync(tmp, OFLOAD_BIN);
}

function runSetup(): void {
  const r = spawnSync("bash", [path.join(HERE, "setup.sh")], { stdio: ["ignore", "inherit", "inherit"], timeout: 540_000 });
  if (r.status !== 0) process.stderr.write("ofbench: setup.sh failed; peers that are missing will be skipped\n");
}

function have(bin: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

// ── peers ───────────────────────────────────────────────────────────────────────────────────
interface RunningPeer {
  child: ChildProcess;
  port: number;
}

async function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => done(new Error(`no "${re.source}" within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) done(null, m);
    };
    const onExit = (code: number | null) => done(new Error(`peer exited (code ${code}) before it was ready`));
    function done(err: Error | null, m?: RegExpMatchArray) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

async function startPeer(name: PeerName, o: Options, pin: string[], dir: string): Promise<RunningPeer> {
  const logFile = path.join(dir, `${name}.log`);
  const of = o.of;
  if (name === "null") {
    const port = await freePort();
    const child = start([...pin, OFLOAD_BIN, "null", "--port", String(port), "--of", of, "--max-run", "300"], { logFile });
    return { child, port };
  }
  if (name === "ferry") {
    const node = [process.execPath];
    if (o.profileDir) {
      fs.mkdirSync(o.profileDir, { recursive: true });
      node.push("--cpu-prof", "--cpu-prof-dir", o.profileDir);
    }
    const child = start([...pin, ...node, "--import", "tsx", path.join(HERE, "peers", "ferry-controller.ts"), "--port", "0", "--max-run-s", "300"], { logFile });
    const m = await waitForLine(child, /LISTENING tcp:[\d.]+:(\d+)/, 30_000);
    return { child, port: Number(m[1]) };
  }
  if (name === "ovs") {
    const port = await freePort();
    // Foreground process; its control socket goes to our temp dir instead of /var/run.
    const child = start(
      [...pin, "ovs-testcontroller", `--unixctl=${path.join(dir, "ovs-testcontroller.ctl")}`, "-vconsole:warn", "-vsyslog:off", `ptcp:${port}:${HOST}`],
      { logFile },
    );
    return { child, port };
  }
  const port = await freePort();
  const child = start(
    [...pin, "osken-manager", "--ofp-listen-host", HOST, "--ofp-tcp-listen-port", String(port), path.join(HERE, "peers", "os_ken_switch.py")],
    { logFile },
  );
  return { child, port };
}

async function runGenerator(port: number, o: Options, pin: string[], dir: string): Promise<GenResult> {
  const args = [
    ...pin,
    OFLOAD_BIN,
    "gen",
    "--host",
    HOST,
    "--port",
    String(port),
    "--of",
    o.of,
    "--switches",
    String(o.switches),
    "--mode",
    o.mode,
    "--warmup",
    String(o.warmup),
    "--seconds",
    String(o.seconds),
    "--connect-timeout",
    "20",
  ];
  if (o.window !== null) args.push("--window", String(o.window));
  const child = start(args, { logFile: path.join(dir, "ofload-gen.log") });
  child.stdin?.end();
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  const limitMs = (o.warmup + o.seconds + 25) * 1000;
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), limitMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  children.delete(child);
  const line = out.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as GenResult;
  } catch {
    return { ok: false, error: `generator exited with ${code} and no result` } as GenResult;
  }
}

async function measure(name: PeerName, o: Options, dir: string): Promise<PeerResult> {
  const pins = cores();
  const need: Record<PeerName, string | null> = { null: null, ferry: null, ovs: "ovs-testcontroller", osken: "osken-manager" };
  const bin = need[name];
  if (bin && !have(bin)) return { peer: name, available: false, note: `${bin} not installed`, value: null, p99: null, valid: false, invalidReason: "not installed" };
  let peer: RunningPeer | null = null;
  try {
    peer = await startPeer(name, o, pins.peer, dir);
    const gen = await runGenerator(peer.port, o, pins.gen, dir);
    const value = !gen.ok ? null : o.mode === "throughput" ? Math.round(gen.answers_per_s) : round1(gen.p50_us);
    return { peer: name, available: true, gen, value, p99: gen.ok ? round1(gen.p99_us) : null, valid: gen.ok, invalidReason: gen.ok ? undefined : gen.error ?? "generator run failed" };
  } catch (err) {
    return { peer: name, available: true, note: String(err instanceof Error ? err.message : err), value: null, p99: null, valid: false, invalidReason: "peer failed" };
  } finally {
    if (peer) {
      await stopChild(peer.child);
      await waitPortIdle(peer.port);
    }
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** A controller figure must stay well clear of the generator's own limit to mean anything. */
function checkAgainstCeiling(r: PeerResult, ceiling: PeerResult, mode: Mode): void {
  if (!r.valid || r.value === null) return;
  if (ceiling.value === null) {
    r.valid = false;
    r.invalidReason = "no ceiling";
    return;
  }
  const g = r.gen!;
  if (g.ready < 1 || g.closed > 0) {
    r.valid = false;
    r.invalidReason = `${g.closed} connections closed during the run`;
  } else if (g.packet_ins > 0 && g.lost > 0.01 * g.packet_ins) {
    r.valid = false;
    r.invalidReason = `${g.lost} of ${g.packet_ins} PACKET_INs were never answered`;
  } else if (mode === "throughput" && r.value > 0.5 * ceiling.value) {
    r.valid = false;
    r.invalidReason = `above 50% of the generator ceiling (${ceiling.value} answers/s)`;
  } else if (mode === "latency" && r.value < 2 * ceiling.value) {
    r.valid = false;
    r.invalidReason = `p50 below twice the generator's own p50 (${ceiling.value} µs)`;
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  runSetup();
  buildGenerator();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "ofbench-"));
  const label: Record<PeerName, string> = { null: "null peer (ceiling)", ferry: "ferry", ovs: "ovs-testcontroller", osken: "os-ken" };
  process.stderr.write(`ofbench: mode=${o.mode} of=${o.of} switches=${o.switches} warmup=${o.warmup}s seconds=${o.seconds}s\n`);

  const results = new Map<PeerName, PeerResult>();
  for (const name of o.peers) {
    const r = await measure(name, o, tmpDir);
    results.set(name, r);
    if (!r.gen?.ok) {
      const log = path.join(tmpDir, `${name}.log`);
      const tail = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-8).join("\n") : "";
      process.stderr.write(`ofbench: ${label[name]}: ${r.note ?? r.gen?.error ?? "failed"}\n${tail}\n`);
    }
  }
  const ceiling = results.get("null")!;
  for (const [name, r] of results) if (name !== "null") checkAgainstCeiling(r, ceiling, o.mode);

  const unit = o.mode === "throughput" ? "answers/s" : "µs p50";
  for (const [name, r] of results) {
    const g = r.gen;
    const extra = g?.ok
      ? `answers/s=${Math.round(g.answers_per_s)} round_trips/s=${Math.round(g.round_trips_per_s)} p50=${round1(g.p50_us)}µs p99=${round1(g.p99_us)}µs lost=${g.lost} errors=${g.errors}`
      : r.note ?? r.invalidReason ?? "";
    process.stderr.write(`  ${label[name].padEnd(20)} ${String(r.value ?? "-").padStart(10)} ${unit}  ${r.valid || name === "null" ? "" : `INVALID (${r.invalidReason}) `}${extra}\n`);
    process.stdout.write(JSON.stringify({ peer: name, mode: o.mode, of: o.of, valid: r.valid, invalid_reason: r.invalidReason ?? null, value: r.value, ...(g ?? {}) }) + "\n");
  }

  const v = (n: PeerName) => results.get(n)?.value ?? null;
  const ratio = (other: PeerName): number | null => {
    const f = v("ferry");
    const x = v(other);
    if (f === null || x === null || f === 0 || x === 0) return null;
    // Always "how many times better Ferry is": throughput ratio, or inverse latency ratio.
    return round2(o.mode === "throughput" ? f / x : x / f);
  };
  const summary: Record<string, unknown> = {
    bench: "ofbench",
    mode: o.mode,
    of: o.of,
    switches: o.switches,
    ceiling: v("null"),
    ferry: v("ferry"),
    ovs_testcontroller: v("ovs"),
    os_ken: v("osken"),
    ratio_vs_ovs_testcontroller: ratio("ovs"),
    ratio_vs_os_ken: ratio("osken"),
  };
  if (o.mode === "latency") {
    summary.ceiling_p99 = results.get("null")?.p99 ?? null;
    summary.ferry_p99 = results.get("ferry")?.p99 ?? null;
    summary.ovs_testcontroller_p99 = results.get("ovs")?.p99 ?? null;
    summary.os_ken_p99 = results.get("osken")?.p99 ?? null;
  }
  summary.unit = o.mode === "throughput" ? "answers_per_s" : "p50_us";
  summary.invalid = [...results].filter(([n, r]) => n !== "null" && !r.valid).map(([n]) => (n === "ovs" ? "ovs_testcontroller" : n === "osken" ? "os_ken" : n));
  process.stdout.write(JSON.stringify(summary) + "\n");
  return ceiling.valid ? 0 : 1;
}

let exiting = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`ofbench: ${sig}, stopping peers\n`);
    cleanupSync();
    process.exit(130);
  });
}
process.on("exit", cleanupSync);

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`ofbench: ${err instanceof Error ? err.message : String(err)}\n`);
  code = 1;
} finally {
  for (const c of [...children]) await stopChild(c, 1000);
  cleanupSync();
}
process.exit(code);
