// Ferry's embedded OpenFlow controller as a standalone process for the benchmark.
// Usage: node --import tsx bench/peers/ferry-controller.ts [--port 0] [--max-run-s 600]
// Prints "LISTENING tcp:127.0.0.1:PORT" on stdout once it accepts connections; stops on
// SIGTERM/SIGINT, on stdin closing (the benchmark went away) or after --max-run-s.
import { OpenFlowController } from "../../controller/controller";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const port = Number(arg("--port", "0"));
const maxRunS = Number(arg("--max-run-s", "600"));

const controller = new OpenFlowController({
  listen: [{ kind: "tcp", host: "127.0.0.1", port }],
  datapath: { flowStatsIntervalMs: 0, echoIntervalMs: 60_000, echoTimeoutMs: 120_000 },
});

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const hard = setTimeout(() => process.exit(code), 2_000);
  hard.unref();
  try {
    await controller.stop();
  } finally {
    process.exit(code);
  }
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
process.stdin.on("end", () => void stop(0));
process.stdin.on("error", () => void stop(0));
process.stdin.resume();
setTimeout(() => void stop(0), maxRunS * 1000).unref();

await controller.start();
process.stdout.write(`LISTENING ${controller.targets()[0]}\n`);
