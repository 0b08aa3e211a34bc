// OpenFlow hostile-input benchmark: a fuzz run against Ferry's controller (in its own process)
// while a real Open vSwitch bridge, in namespaces of its own, keeps pinging through the same
// controller; then ovs-vswitchd is killed and restarted several times and the re-sync of the
// bridge's flows is timed.
//   npx tsx bench/offuzz.ts [--quick] [--messages N] [--concurrency C] [--seed S] [--max-s T] [--restarts R]
// Defaults: 1,000,000 messages (100,000 with --quick), 16 connections at a time, at most 900 s of
// fuzzing (300 s with --quick), 5 restarts (3). Everything it creates (namespaces ferry-hz-*, the
// OVS temp dir, the controller process) is removed at the end, on error and on SIGINT/SIGTERM.
// The last line on stdout is one JSON object with the figures.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "../controller/ovsdb/testing/ovs-instance";
import { createHost, sh, type NsHost, secureBridgeArgs } from "../controller/testing/netns";
import { runFuzz } from "../controller/testing/of-fuzz";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DPID = "00000000000000f9";
const COOKIE = "0xfe77000000000001";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const quick = process.argv.includes("--quick");
const MESSAGES = Number(arg("--messages", quick ? "100000" : "1000000"));
const CONCURRENCY = Number(arg("--concurrency", "16"));
const SEED = Number(arg("--seed", "1"));
const MAX_S = Number(arg("--max-s", quick ? "300" : "900"));
const RESTARTS = Number(arg("--restarts", quick ? "3" : "5"));
for (const [k, v] of Object.entries({ MESSAGES, CONCURRENCY, SEED, MAX_S, RESTARTS })) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`bad value for ${k.toLowerCase()}: ${v}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[offuzz] ${line}\n`);

// ── the controller process ─────────────────────────────────────────────────────────────────
interface PeerLine {
  kind: string;
  [k: string]: unknown;
}

class Peer {
  private waiters: { pred: (l: PeerLine) => boolean; resolve: (l: PeerLine) => void }[] = [];
  readonly problems: string[] = [];
  /** "disconnected" lines seen, per dpid. */
  readonly disconnects = new Map<string, number>();
  exited: number | null = null;

  constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on("line", (text) => {
      let l: PeerLine;
      try {
        l = JSON.parse(text) as PeerLine;
      } catch {
        return;
      }
      if (l.kind === "uncaught" || l.kind === "unhandled") this.problems.push(`${l.kind}: ${String(l.message)}`);
      if (l.kind === "disconnected") this.disconnects.set(String(l.dpid), (this.disconnects.get(String(l.dpid)) ?? 0) + 1);
      this.waiters = this.waiters.filter((w) => (w.pred(l) ? (w.resolve(l), false) : true));
    });
    child.on("exit", (code) => (this.exited = code ?? -1));
  }

  next(pred: (l: PeerLine) => boolean, timeoutMs: number, what: string): Promise<PeerLine> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`controller process: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }

  async stats(): Promise<PeerLine> {
    const p = this.next((l) => l.kind === "stats", 10_000, "stats");
    this.child.stdin!.write("stats\n");
    return p;
  }
}

// ── clean-up ───────────────────────────────────────────────────────────────────────────────
let ovs: OvsInstance | undefined;
let peer: Peer | undefined;
const hosts: NsHost[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (peer && peer.exited === null) {
      peer.child.stdin?.end();
      peer.child.kill("SIGTERM");
      setTimeout(() => peer?.exited === null && peer.child.kill("SIGKILL"), 3_000).unref();
    }
    for (const h of hosts) await h.remove().catch(() => {});
    await ovs?.stop().catch((e: Error) => log(`cleanup: ${e.message}`));
  })();
  return cleaning;
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
process.on("exit", () => {
  if (peer && peer.exited === null) peer.child.kill("SIGKILL");
});

// ── the run ───────────────────────────────────────────────────────────────────────────────
async function startVswitchd(o: OvsInstance): Promise<void> {
  await o.exec("ovs-vswitchd", [
    `unix:${o.dbSock}`,
    `--unixctl=${path.join(o.dir, "ovs-vswitchd.ctl")}`,
    `--pidfile=${path.join(o.dir, "ovs-vswitchd.pid")}`,
    `--log-file=${path.join(o.dir, "ovs-vswitchd.log")}`,
    "--detach",
    "--no-chdir",
  ]);
}

function alive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z");
  } catch {
    return false;
  }
}

async function main(): Promise<Record<string, unknown>> {
  const reason = ovsUnavailableReason();
  if (reason) throw new Error(`cannot run: ${reason}`);
  ovs = await startOvs({ netns: `ferry-hz-b${randomBytes(3).toString("hex")}`, withVswitchd: true });
  const sock = path.join(ovs.dir, "of.sock");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "offuzz", "controller-peer.ts"), "--unix", sock, "--max-run-s", String(MAX_S + 600)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  peer = new Peer(child);
  const tcpPort = Number((await peer.next((l) => l.kind === "listening", 30_000, "listening line")).port);
  log(`controller process ${child.pid} listening on tcp:127.0.0.1:${tcpPort} and unix:${sock}`);

  const h1 = await createHost({ prefix: "ferry-hz-b1", switchNs: ovs.netns!, ip: "10.79.0.1", mac: "52:54:00:79:00:01" });
  hosts.push(h1);
  const h2 = await createHost({ prefix: "ferry-hz-b2", switchNs: ovs.netns!, ip: "10.79.0.2", mac: "52:54:00:79:00:02" });
  hosts.push(h2);
  const up = peer.next((l) => l.kind === "connected" && l.dpid === DPID, 20_000, "bridge connection");
  await ovs.vsctl(secureBridgeArgs({ dpid: DPID, protocols: "OpenFlow13", ports: [h1.switchPort, h2.switchPort], controller: `unix:${sock}` }));
  await up;
  const first = await h1.exec("ping", ["-c", "2", "-i", "0.2", "-W", "3", h2.ip]).catch((e: Error) => e.message);
  if (!/2 received/.test(first)) throw new Error(`the bridge does not forward before the fuzz run: ${first}`);

  // Fuzz, with pings through the bridge meanwhile (each forgets h2's MAC first, so its ARP
  // broadcast needs the controller) and the controller's memory sampled every second.
  const rssStart = Number((await peer.stats()).rss);
  let rssMax = rssStart;
  let fuzzing = true;
  const dropsBefore = peer.disconnects.get(DPID) ?? 0;
  const sampler = (async () => {
    while (fuzzing) {
      rssMax = Math.max(rssMax, Number((await peer!.stats()).rss));
      await sleep(1_000);
    }
  })();
  const pings = { sent: 0, answered: 0 };
  const pinger = (async () => {
    while (fuzzing && pings.sent < 5_000) {
      await h1.exec("ip", ["neigh", "flush", "dev", "eth0"]);
      pings.sent++;
      const out = await h1.exec("ping", ["-c", "1", "-W", "3", h2.ip]).catch((e: Error) => e.message);
      if (/ 1 received/.test(out)) pings.answered++;
      await sleep(300);
    }
  })();
  log(`fuzzing: ${MESSAGES} messages, ${CONCURRENCY} connections at a time, at most ${MAX_S} s`);
  const totals = await runFuzz({
    target: { port: tcpPort },
    messages: MESSAGES,
    concurrency: CONCURRENCY,
    seed: SEED,
    perConnection: 3_000,
    maxMs: MAX_S * 1000,
    onProgress: (t) => t.connections % 2000 === 0 && log(`${t.messages} messages, ${t.connections} connections, ${Math.round(t.elapsedMs / 1000)} s`),
  });
  fuzzing = false;
  await Promise.all([pinger, sampler]);
  const bridgeDrops = (peer.disconnects.get(DPID) ?? 0) - dropsBefore;
  await sleep(2_000);
  const end = await peer.stats();
  log(`fuzz done: ${totals.messages} messages over ${totals.connections} connections in ${(totals.elapsedMs / 1000).toFixed(1)} s; ${totals.violations.length} violation(s)`);
  for (const v of totals.violations.slice(0, 10)) log(`violation: ${v}`);
  log(`why the controller closed connections: ${JSON.stringify(end.closeReasons)}`);

  // ovs-vswitchd killed and restarted: time from the bridge's new connection to its flows confirmed back.
  const resync: number[] = [];
  const reinstalled: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await h1.exec("ping", ["-c", "2", "-i", "0.2", "-W", "3", h2.ip]).catch(() => "");
    const down = peer.next((l) => l.kind === "disconnected" && l.dpid === DPID, 20_000, "bridge disconnect");
    const pid = Number(fs.readFileSync(path.join(ovs.dir, "ovs-vswitchd.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    await down;
    for (let t = 0; t < 200 && alive(pid); t++) await sleep(50);
    const back = peer.next((l) => l.kind === "connected" && l.dpid === DPID, 30_000, "bridge reconnect");
    await startVswitchd(ovs);
    const r = (await back).reconciliation as { elapsedMs: number; reinstalled: number } | null;
    if (!r) throw new Error("the bridge reconnected without a reconciliation record");
    const flows = await sh("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", `unix:${path.join(ovs.dir, "br0.mgmt")}`]);
    const ours = flows.split("\n").filter((l) => l.includes(`cookie=${COOKIE}`) && l.includes("priority=100")).length;
    log(`restart ${i + 1}: ${r.reinstalled} flow(s) re-installed in ${r.elapsedMs} ms; ${ours} learned flow(s) on the bridge`);
    if (ours < 2) throw new Error(`after restart ${i + 1} the bridge has ${ours} learned flows, expected the 2 re-installed`);
    resync.push(r.elapsedMs);
    reinstalled.push(r.reinstalled);
  }
  const after = await h1.exec("ping", ["-c", "3", "-i", "0.2", "-W", "3", h2.ip]).catch((e: Error) => e.message);
  const sorted = [...resync].sort((a, b) => a - b);
  for (const p of peer.problems.slice(0, 10)) log(p);
  return {
    bench: "offuzz",
    messages: totals.messages,
    connections: totals.connections,
    elapsed_s: Math.round(totals.elapsedMs / 100) / 10,
    crashes: peer.exited === null ? 0 : 1,
    uncaught_exceptions: Number(end.uncaught),
    unhandled_rejections: Number(end.unhandled),
    oracle_violations: totals.violations.length,
    bad_connections: totals.badConnections,
    bad_connections_closed: totals.badConnectionsClosedWithError,
    errors_sent: totals.errorsReceived,
    rss_start_mb: Math.round(rssStart / 1e5) / 10,
    rss_max_mb: Math.round(rssMax / 1e5) / 10,
    rss_end_mb: Math.round(Number(end.rss) / 1e5) / 10,
    good_switch_pings: pings.sent,
    good_switch_ping_loss: pings.sent ? Math.round(((pings.sent - pings.answered) / pings.sent) * 1e4) / 1e4 : null,
    good_switch_disconnects: bridgeDrops,
    resync_after_vswitchd_restart_ms: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null,
    resync_max_ms: sorted.length ? sorted[sorted.length - 1] : null,
    resync_samples_ms: resync,
    resync_flows_reinstalled: reinstalled,
    forwards_after_restarts: /3 received/.test(after),
  };
}

main()
  .then(async (result) => {
    await cleanup();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  })
  .catch(async (e: unknown) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    await cleanup();
    process.exit(1);
  });
