// HTTP prober for the migration-gap benchmark. Runs inside the site-A client's namespace
// (`ip netns exec <ns> node --import tsx bench/migration-gap/prober.ts …`): every --interval-ms
// it opens a fresh TCP connection to --host:80, sends `GET /ping`, and records when a `pong`
// answer arrives; a probe not answered within --timeout-ms is abandoned. The guest's statusd
// closes every connection (HTTP/1.0), and a fresh connection per probe is the worst case anyway.
//
// Prints "READY" once running (and with --progress a line per answer). Stops on a "stop" line or EOF on stdin, after --max-probes or
// after --max-ms, whichever comes first; then prints one JSON line (all times are epoch ms).
import net from "node:net";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const host = arg("--host", "");
const port = Number(arg("--port", "80"));
const intervalMs = Number(arg("--interval-ms", "10"));
const timeoutMs = Number(arg("--timeout-ms", "100"));
const maxProbes = Number(arg("--max-probes", "6000"));
const maxMs = Number(arg("--max-ms", "60000"));
// "o <epoch ms>" per answer on stdout, so the caller sees when answers flow again.
const progress = process.argv.includes("--progress");
if (!net.isIPv4(host) || !(intervalMs >= 1) || !(timeoutMs >= 1) || !(maxProbes >= 1 && maxProbes <= 100_000) || !(maxMs > 0 && maxMs <= 300_000)) {
  process.stderr.write("prober: bad arguments\n");
  process.exit(2);
}

// Sub-millisecond wall-clock time, comparable with the parent's Date.now().
const now = () => performance.timeOrigin + performance.now();
const REQUEST = "GET /ping HTTP/1.0\r\nHost: vm\r\n\r\n";

const okAt: number[] = [];
const rtts: number[] = [];
let sent = 0;
let failed = 0;
let inFlight = 0;
let maxLateMs = 0;
let stopping = false;
let timer: NodeJS.Timeout | undefined;
const startedAt = now();

function probe(): void {
  sent++;
  inFlight++;
  let settled = false;
  let buf = "";
  const sentAt = now();
  const sock = net.connect({ host, port });
  sock.setNoDelay(true);
  const done = (ok: boolean) => {
    if (settled) return;
    settled = true;
    inFlight--;
    clearTimeout(limit);
    if (ok) {
      const t = now();
      okAt.push(t);
      rtts.push(t - sentAt);
      if (progress && !stopping) process.stdout.write(`o ${t.toFixed(1)}\n`);
    }
    else failed++;
    sock.destroy();
  };
  const limit = setTimeout(() => done(false), timeoutMs);
  sock.on("connect", () => sock.write(REQUEST));
  sock.on("data", (d: Buffer) => {
    buf += d.toString("latin1");
    if (/^HTTP\/1\.[01] 200/.test(buf) && buf.includes("pong")) done(true);
  });
  sock.on("error", () => done(false));
  sock.on("close", () => done(false));
}

// Absolute schedule: a late tick does not shift the following ones.
function tick(k: number): void {
  if (stopping) return;
  const due = startedAt + k * intervalMs;
  maxLateMs = Math.max(maxLateMs, now() - due);
  probe();
  if (k + 1 >= maxProbes || now() - startedAt >= maxMs) return void finish("limit");
  timer = setTimeout(() => tick(k + 1), Math.max(0, startedAt + (k + 1) * intervalMs - now()));
}

function finish(reason: string): void {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  const stoppedAt = now();
  // In-flight probes settle within timeoutMs; wait for them (bounded), then report.
  const deadline = Date.now() + timeoutMs + 50;
  const wait = () => {
    if (inFlight > 0 && Date.now() < deadline) return void setTimeout(wait, 5);
    const round = (x: number) => Math.round(x * 10) / 10;
    rtts.sort((a, b) => a - b);
    const pct = (q: number) => (rtts.length ? round(rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))]!) : null);
    process.stdout.write(
      JSON.stringify({ reason, startedAt: round(startedAt), stoppedAt: round(stoppedAt), sent, ok: okAt.length, failed, maxLateMs: round(maxLateMs), rttP50Ms: pct(0.5), rttP99Ms: pct(0.99), rttMaxMs: pct(1), okAt: okAt.sort((a, b) => a - b).map(round) }) + "\n",
      () => process.exit(0),
    );
  };
  wait();
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (d: string) => {
  if (d.includes("stop")) finish("stopped");
});
process.stdin.on("end", () => finish("stdin closed"));
process.stdout.write("READY\n");
tick(0);
