// What starting one command costs the server's event loop: Node's spawn() from this process,
// grown to about the server's size, against the same command through the process launcher
// (server/runtime/launcher.ts), alternated in one run. spawn() forks the calling process, so its
// cost grows with what the process holds; the launcher's forks happen in its small helper.
// Usage: npx tsx bench/spawn-cost.ts [--mb 300] [--n 100] [--quick]
// Last line: {"bench":"spawn-cost","rss_mb":…,"n":…,"spawn_block_ms_median":…,"launch_block_ms_median":…,
//             "block_ratio":…,"spawn_exit_ms_median":…,"launch_exit_ms_median":…}
import { spawn } from "node:child_process";
import { launch } from "../server/runtime/launcher";

function arg(name: string, dflt: number, lo: number, hi: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v)) throw new Error(`${name} needs a number`);
  return Math.min(hi, Math.max(lo, Math.round(v)));
}
const quick = process.argv.includes("--quick");
const MB = arg("--mb", 300, 0, 2000);
const N = arg("--n", quick ? 20 : 100, 5, 1000);

// Resident memory the fork must copy page tables for, touched so it is really mapped.
const held: Buffer[] = [];
for (let i = 0; i < MB; i++) held.push(Buffer.alloc(1 << 20, i & 0xff));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number) => Math.round(x * 100) / 100;

/** Time the call itself holds this thread, and the time until the command's exit is known here. */
async function direct(): Promise<[number, number]> {
  const t0 = performance.now();
  const c = spawn("/bin/true", [], { stdio: "ignore" });
  const block = performance.now() - t0;
  await new Promise((r) => c.on("exit", r));
  return [block, performance.now() - t0];
}

async function launched(): Promise<[number, number]> {
  const t0 = performance.now();
  const p = launch("/bin/true", []);
  const block = performance.now() - t0;
  await new Promise((r) => p.on("exit", r));
  return [block, performance.now() - t0];
}

// One of each first, unmeasured: the launcher's helper starts on first use.
await direct();
await launched();
const d: [number, number][] = [];
const l: [number, number][] = [];
for (let i = 0; i < N; i++) {
  if (i % 2) {
    d.push(await direct());
    l.push(await launched());
  } else {
    l.push(await launched());
    d.push(await direct());
  }
}
const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
const out = {
  bench: "spawn-cost",
  rss_mb: rss,
  n: N,
  spawn_block_ms_median: round(median(d.map((x) => x[0]))),
  launch_block_ms_median: round(median(l.map((x) => x[0]))),
  block_ratio: round(median(d.map((x) => x[0])) / median(l.map((x) => x[0]))),
  spawn_block_ms_max: round(Math.max(...d.map((x) => x[0]))),
  launch_block_ms_max: round(Math.max(...l.map((x) => x[0]))),
  spawn_exit_ms_median: round(median(d.map((x) => x[1]))),
  launch_exit_ms_median: round(median(l.map((x) => x[1]))),
};
// `held` stays referenced to here, so the memory is resident for every measured start.
if (held.length !== MB) throw new Error(`held ${held.length} MiB, not ${MB}`);
console.log(JSON.stringify(out));
