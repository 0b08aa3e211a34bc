// Test helper: a private redis-server on 127.0.0.1 and a free port, no persistence, its files in
// a temp dir; stop() kills it and removes them. Never touches the system's Redis service.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const REDIS_SERVER = "/usr/bin/redis-server";

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function redisUnavailableReason(): string | undefined {
  return fs.existsSync(REDIS_SERVER) ? undefined : `${REDIS_SERVER} is missing (apt install redis-server)`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.setTimeout(500, () => done(false));
    c.once("error", () => done(false));
    c.once("connect", () => c.write("PING\r\n"));
    c.once("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}

export async function startRedis(): Promise<PrivateRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-redis-"));
  const port = await freePort();
  const child: ChildProcess = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", path.join(dir, "redis.log")], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const logText = fs.existsSync(path.join(dir, "redis.log")) ? fs.readFileSync(path.join(dir, "redis.log"), "utf8").slice(-2000) : "";
      await stop();
      throw new Error(`redis-server on port ${port} did not start\n${logText}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}
