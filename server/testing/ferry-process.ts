// Test helper: a real Ferry server in a child process (server/testing/ferry-child.ts), for tests
// that must see all of its stdout/stderr or every socket that one process listens on.
import { spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface FerryProcess {
  pid: number;
  /** Resolves once the server listens; rejects (and kills it) if it exits or is not up in 60 s. */
  ready: Promise<{ url: string; openflow: string[] }>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s). Safe to call at any time, more than once. */
  stop(): Promise<void>;
}

/** Spawns the server at once, so a caller can register stop() for clean-up before waiting. */
export function spawnFerry(env: Record<string, string>): FerryProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", "./server/runtime/server-only-hook.mjs", "server/testing/ferry-child.ts"], {
    cwd: ROOT,
    // Only what the test names (plus PATH for the tools the server runs): no stray FERRY_* setting.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const ready = new Promise<{ url: string; openflow: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Ferry did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /ferry-child ready (\{.*\})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]!));
      }
    };
    child.stdout.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Ferry exited with ${code} during start-up:\n${out}`));
    });
  });
  ready.catch(() => {
    if (alive()) child.kill("SIGKILL");
  });

  return {
    pid: child.pid!,
    ready,
    output: () => out,
    stop: async () => {
      if (alive()) {
        child.kill("SIGTERM");
        const forced = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(forced);
      }
    },
  };
}
