// Starts the built Ferry server exactly as `npm start` does, with its embedded two-site lab, on a
// fresh data directory and a free port; reads the URL it prints and the admin password it keeps in
// <data dir>/initial-admin-password, and stops
// it (and with it the lab) when the run ends.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
// Overridable so that two e2e runs on one machine keep their labs apart.
export const E2E_NS_PREFIX = process.env.FERRY_E2E_NS_PREFIX || "ferry-e2e-";
const START_LIMIT_S = Number(process.env.FERRY_E2E_START_LIMIT_S) || 300;

function readInitialPassword(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dataDir, "initial-admin-password"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-e2e-"));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", "./server/runtime/server-only-hook.mjs", "server/main.ts"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        FERRY_PORT: "0",
        FERRY_HOST: "127.0.0.1",
        FERRY_DATA_DIR: dataDir,
        FERRY_ADMIN_PASSWORD: "",
        // A private OpenFlow port and lab, so a Ferry already running on this machine is untouched.
        FERRY_OF_TCP: "127.0.0.1:0",
        FERRY_LAB: "1",
        FERRY_LAB_NS_PREFIX: E2E_NS_PREFIX,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));

  const started = await new Promise<{ url: string; password: string }>((resolve, reject) => {
    // The lab boots in 30–60 s on an idle machine; a loaded one needs more (a safety bound, not a goal).
    const timer = setTimeout(() => reject(new Error(`server did not start in ${START_LIMIT_S} s:\n${log}`)), START_LIMIT_S * 1000);
    const check = () => {
      const url = /Ferry is listening on (http:\/\/\S+)/.exec(log)?.[1];
      // Written before the server listens, so it is there once the URL is.
      const password = url ? readInitialPassword(dataDir) : undefined;
      if (url && password) {
        clearTimeout(timer);
        resolve({ url, password });
      }
    };
    child.stdout.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log}`));
    });
  }).catch(async (err: unknown) => {
    // SIGTERM first: the server takes its half-built lab down (namespaces, daemons, VMs) on the way out.
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), 40_000);
      await exited;
      clearTimeout(kill);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  process.env.FERRY_E2E_URL = started.url;
  process.env.FERRY_E2E_ADMIN_PASSWORD = started.password;

  return async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timeout = setTimeout(() => child.kill("SIGKILL"), 40_000);
    await exited;
    clearTimeout(timeout);
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (!/\bstopped\b/.test(log)) throw new Error(`server did not shut down cleanly:\n${log}`);
  };
}
