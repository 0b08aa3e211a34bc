// The controller under fuzz, in its own process so that a crash is a crash.
// Usage: node --import tsx bench/offuzz/controller-peer.ts --unix PATH [--max-run-s 900]
// Listens on TCP 127.0.0.1 (free port, for the fuzz clients) and on the UNIX socket (for the real
// bridge). Writes JSON lines on stdout: {"kind":"listening","port":N} once ready, the bridge's
// connects and disconnects, and {"kind":"stats",…} for each "stats" line read on stdin. Uncaught
// exceptions and unhandled rejections are counted (and reported), not fatal, so the run can
// say how many there were. Stops on SIGTERM/SIGINT, stdin closing, or after --max-run-s.
import { OpenFlowController } from "../../controller/controller";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const unixPath = arg("--unix", "");
const maxRunS = Number(arg("--max-run-s", "900"));
if (!unixPath) {
  process.stderr.write("usage: controller-peer.ts --unix PATH [--max-run-s 900]\n");
  process.exit(2);
}

let uncaught = 0;
let unhandled = 0;
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
process.on("uncaughtException", (e) => {
  uncaught++;
  say({ kind: "uncaught", message: String(e?.stack ?? e).slice(0, 2000) });
});
process.on("unhandledRejection", (e) => {
  unhandled++;
  say({ kind: "unhandled", message: String((e as Error)?.stack ?? e).slice(0, 2000) });
});

const controller = new OpenFlowController({
  listen: [
    { kind: "tcp", host: "127.0.0.1", port: 0 },
    { kind: "unix", path: unixPath },
  ],
  datapath: { flowStatsIntervalMs: 5_000, echoIntervalMs: 5_000, echoTimeoutMs: 30_000, handshakeTimeoutMs: 30_000, frameTimeoutMs: 10_000 },
});

/** Why connections were closed, with numbers blanked out so that alike reasons add up. */
const closeReasons = new Map<string, number>();
const countReason = (r: string) => {
  const k = r.replace(/\d+/g, "N").slice(0, 120);
  if (closeReasons.size < 200 || closeReasons.has(k)) closeReasons.set(k, (closeReasons.get(k) ?? 0) + 1);
};
controller.events.on((e) => {
  if (e.type === "switch_disconnected") countReason(e.reason);
  if (e.type === "error" && e.message.includes("closed before it was ready")) countReason(e.message.replace(/^connection from \S+ /, ""));
  // Fuzz switches use dpids 0000fa…; only the bridge's comings and goings are worth a line.
  if (e.type === "switch_connected" && !e.dpid.startsWith("0000fa")) say({ kind: "connected", dpid: e.dpid, reconciliation: e.reconciliation ?? null });
  if (e.type === "switch_disconnected" && !e.dpid.startsWith("0000fa")) say({ kind: "disconnected", dpid: e.dpid, reason: e.reason });
});

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), 2_000).unref();
  try {
    await controller.stop();
  } finally {
    process.exit(code);
  }
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
let input = "";
process.stdin.on("data", (d) => {
  input += d.toString();
  let nl: number;
  while ((nl = input.indexOf("\n")) >= 0) {
    const line = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (line === "stats") {
      const m = process.memoryUsage();
      say({ kind: "stats", rss: m.rss, heapUsed: m.heapUsed, uncaught, unhandled, switches: controller.switches.size, events: controller.events.totals, closeReasons: Object.fromEntries(closeReasons) });
    }
  }
});
process.stdin.on("end", () => void stop(0));
process.stdin.on("error", () => void stop(0));
setTimeout(() => void stop(0), maxRunS * 1000).unref();

await controller.start();
say({ kind: "listening", port: Number(controller.targets()[0]!.split(":")[2]) });
