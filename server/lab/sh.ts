// Runs OS commands for the lab with a time limit and an error that shows what failed.
import "server-only";
import { execFile } from "node:child_process";

export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** Runs a command inside a network namespace. */
export function nsRun(ns: string, cmd: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return run("ip", ["netns", "exec", ns, cmd, ...args], opts);
}

/** Bytes an interface of a namespace has received, as its kernel counts them. */
export async function rxBytes(ns: string, dev: string): Promise<number> {
  const [link] = JSON.parse(await nsRun(ns, "ip", ["-j", "-s", "link", "show", "dev", dev])) as { stats64: { rx: { bytes: number } } }[];
  return link!.stats64.rx.bytes;
}

export async function listNamespaces(): Promise<string[]> {
  const out = await run("ip", ["netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.split(" ")[0]!.trim())
    .filter(Boolean);
}

/** The names in `binaries` that are not on PATH. */
export async function missingBinaries(binaries: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const b of binaries) {
    try {
      await run("sh", ["-c", `command -v ${b}`]);
    } catch {
      missing.push(b);
    }
  }
  return missing;
}
