// Two real Ferry processes behind one database and one private redis-server, with the lab: only
// the lease holder runs the controller and the lab; a migration started through the *other*
// instance's API is forwarded to the holder, and Socket.IO clients of both instances see the same
// phase sequence; after a SIGKILL of the holder the other instance takes the lease, adopts the
// running lab, and the switches connect to its controller.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connectSocket, type Socket } from "socket.io-client";
import { ovsUnavailableReason } from "../../controller/ovsdb/testing/ovs-instance";
import { Lab } from "../lab/lab";
import { freshPostgresDatabase, login, trpcCall } from "../testing/ferry-instance";
import { redisUnavailableReason, startRedis, type PrivateRedis } from "./testing/redis-server";
import type { ClusterStatus } from "./node";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Long enough that renewals survive the event-loop stalls a loaded 2-core machine shows while the
// lab boots (10 s seen); the take-over bound below follows it.
const TTL_MS = 30_000;
const PASSWORD = "scale-out-admin-password";
const unavailable = ovsUnavailableReason() ?? redisUnavailableReason();

interface Instance {
  name: string;
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, limitMs: number, everyMs = 200, abort: () => string | null = () => null): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    const why = abort();
    if (why) throw new Error(`gave up waiting for: ${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function health(url: string): Promise<{ cluster: ClusterStatus }> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as { cluster: ClusterStatus };
}

describe.skipIf(unavailable)("two Ferry instances behind one database and Redis", () => {
  const tag = `so${process.pid % 1000}`;
  let dir: string;
  let redis: PrivateRedis;
  let pg: { url: string; drop(): Promise<void> } | null = null;
  let env: Record<string, string>;
  const instances: Instance[] = [];
  const sockets: Socket[] = [];
  let first: Instance;
  let second: Instance;
  let cookie: string;

  function exited(i: Instance): string | null {
    return i.child.exitCode !== null || i.child.signalCode !== null ? `${i.name} exited (${i.child.exitCode ?? i.child.signalCode})` : null;
  }

  function spawnInstance(name: string): Promise<Instance> {
    // Its own process group: a SIGKILL to it is a crash of the server (the lab's daemons are
    // detached and outlive it, like real hypervisor hosts).
    const child = spawn(process.execPath, ["--import", "tsx", "--import", "./server/runtime/server-only-hook.mjs", path.join(import.meta.dirname, "testing", "instance.child.ts")], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const output = () => out.split("\n").slice(-40).join("\n");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within 240 s:\n${output()}`)), 240_000);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${output()}`));
      });
      const onData = () => {
        const m = /\{"ferryListening":"([^"]+)"\}/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.removeAllListeners("exit");
        const inst = { name, child, url: m[1]!, output };
        instances.push(inst);
        resolve(inst);
      };
      child.stdout!.on("data", onData);
    });
  }

  /** The instance's switches.list when it shows `count` connected switches, else null. */
  async function switchesOf(url: string, count: number): Promise<{ controllerRunning: boolean; switches: unknown[] } | null> {
    const r = await trpcCall(url, "switches.list", "query", undefined, cookie);
    const list = r.status === 200 ? (r.body.result.data.json as { controllerRunning: boolean; switches: unknown[] }) : null;
    return list && list.switches.length === count ? list : null;
  }

  function subscriber(url: string, room: string | null): Promise<{ socket: Socket; changed: string[]; room: string[]; join(room: string): Promise<void> }> {
    return new Promise((resolve, reject) => {
      const socket = connectSocket(url, { path: "/socket.io", transports: ["websocket"], reconnection: false, extraHeaders: { cookie }, timeout: 5_000 });
      sockets.push(socket);
      const changed: string[] = [];
      const roomEvents: string[] = [];
      socket.on("migrationsChanged", (e) => changed.push(`${e.status}/${e.phase}`));
      socket.on("migration", (e) => roomEvents.push(`${e.status}/${e.phase}`));
      const join = (r: string) =>
        new Promise<void>((ok, fail) => socket.emit("subscribe", r, (res: { ok: boolean; error?: string }) => (res.ok ? ok() : fail(new Error(res.error)))));
      socket.on("connect_error", (err) => reject(err));
      socket.on("hello", () => {
        const done = () => resolve({ socket, changed, room: roomEvents, join });
        if (room) join(room).then(done, reject);
        else done();
      });
    });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join("/tmp", "ferry-so-"));
    redis = await startRedis();
    if (process.env.FERRY_TEST_POSTGRES_URL) pg = await freshPostgresDatabase(process.env.FERRY_TEST_POSTGRES_URL);
    env = {
      NODE_ENV: "test",
      FERRY_PORT: "0",
      FERRY_HOST: "127.0.0.1",
      // One data directory for both: it holds the lab (the "hypervisor hosts" every active
      // instance drives) and the controller's UNIX socket the lab's switches dial; only the
      // lease holder uses either.
      FERRY_DATA_DIR: dir,
      DATABASE_URL: pg?.url ?? `file:${path.join(dir, "ferry.db")}`,
      FERRY_ADMIN_PASSWORD: PASSWORD,
      FERRY_OF_TCP: "127.0.0.1:0",
      FERRY_OF_UNIX: path.join(dir, "of.sock"),
      FERRY_LAB: "1",
      FERRY_LAB_NS_PREFIX: `ferry-${tag}-`,
      FERRY_REDIS_URL: redis.url,
      FERRY_CLUSTER: `t${tag}`,
      FERRY_LEASE_TTL_MS: String(TTL_MS),
      FERRY_FORWARD_TIMEOUT_MS: "60000",
      FERRY_LOG_LEVEL: "info",
    };
    // One after the other on a fresh database: the first applies the migrations and creates the
    // admin, and takes the lease (it brings the lab up); the second finds all of that done.
    first = await spawnInstance("first");
    // Bringing the lab up (two hosts, two guests booting under TCG) dominates this wait.
    await until("the first instance is active", async () => (await health(first.url)).cluster.role === "active", 480_000, 500, () => exited(first)).catch((e: Error) => {
      throw new Error(`${e.message}\n${first.output()}`);
    });
    second = await spawnInstance("second");
    cookie = await login(second.url, "admin", PASSWORD);
  }, 720_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const i of instances) {
      if (i.child.exitCode !== null || i.child.signalCode !== null) continue;
      const exited = new Promise<void>((r) => i.child.once("exit", () => r()));
      i.child.kill("SIGTERM");
      const killer = setTimeout(() => i.child.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(killer);
    }
    // Whatever an instance left (a SIGKILLed holder, a failed stop): the lab's state file and its
    // namespace prefix find it.
    if (dir) await new Lab({ dir: path.join(dir, "lab"), controllerSocket: env.FERRY_OF_UNIX!, nsPrefix: env.FERRY_LAB_NS_PREFIX }).down().catch(() => {});
    await redis?.stop();
    await pg?.drop().catch(() => {});
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it("has exactly one active instance, which alone runs the controller and the lab", async () => {
    const [a, b] = [await health(first.url), await health(second.url)];
    expect(a.cluster.role).toBe("active");
    expect(b.cluster.role).toBe("standby");
    expect(a.cluster.instance).not.toBe(b.cluster.instance);
    expect(a.cluster.active?.instance).toBe(a.cluster.instance);
    expect(b.cluster.active?.instance).toBe(a.cluster.instance);
    expect(a.cluster.subsystems.map((s) => `${s.name}:${s.state}`)).toEqual(["openflow-controller:running", "lab:running"]);
    expect(b.cluster.subsystems).toEqual([]);
    // The lab's two switches are connected to the holder's controller; the other has none.
    const onFirst = await until("both lab switches connect to the active instance", async () => switchesOf(first.url, 2), 60_000);
    expect(onFirst.controllerRunning).toBe(true);
    const onSecond = await switchesOf(second.url, 0);
    expect(onSecond).toMatchObject({ controllerRunning: false, switches: [] });
  });

  it("forwards a migration started on the standby to the active instance, and both instances' clients see the same phases", async () => {
    const [onFirst, onSecond] = await Promise.all([subscriber(first.url, null), subscriber(second.url, null)]);

    const pre = await trpcCall(second.url, "migrations.precheck", "query", { vm: "vm1", destHost: "host-b1" }, cookie);
    expect(pre.status, JSON.stringify(pre.body)).toBe(200);
    const failing = (pre.body.result.data.json as { status: string; reason: string }[]).filter((c) => c.status === "fail");
    expect(failing).toEqual([]);

    const started = await trpcCall(second.url, "migrations.start", "mutation", { vm: "vm1", destHost: "host-b1" }, cookie);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const id = started.body.result.data.json.id as string;
    await Promise.all([onFirst.join(`migration:${id}`), onSecond.join(`migration:${id}`)]);

    const finished = (s: { changed: string[] }) => s.changed.some((c) => /^(completed|failed|cancelled)\//.test(c));
    await until("both clients see the migration end", async () => finished(onFirst) && finished(onSecond), 240_000, 250, () => exited(first) ?? exited(second));
    // The Redis adapter delivers in order; give the last events a moment to arrive everywhere.
    await new Promise((r) => setTimeout(r, 500));
    expect(onFirst.changed.at(-1)).toMatch(/^completed\//);
    expect(onSecond.changed).toEqual(onFirst.changed);
    const phases = [...new Set(onFirst.changed.map((c) => c.split("/")[1]))];
    expect(phases).toEqual(["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"]);
    // Room events: both clients joined right after the start; compare what both saw.
    const n = Math.min(onFirst.room.length, onSecond.room.length);
    expect(n).toBeGreaterThanOrEqual(3);
    expect(onSecond.room.slice(-n)).toEqual(onFirst.room.slice(-n));
    expect(onFirst.room.at(-1)).toMatch(/^completed\//);

    for (const url of [first.url, second.url]) {
      const got = await trpcCall(url, "migrations.get", "query", { id }, cookie);
      expect(got.status).toBe(200);
      expect(got.body.result.data.json).toMatchObject({ id, status: "completed", vmName: "vm1", sourceHost: "host-a1", destHost: "host-b1", startedBy: "admin" });
    }
  }, 300_000);

  it("hands the active role to the other instance after the holder is killed, and the switches follow", async () => {
    const before = (await health(second.url)).cluster;
    first.child.kill("SIGKILL");
    await new Promise<void>((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r() : first.child.once("exit", () => r())));

    // The key expires within the TTL; the standby tries every TTL/3; the lab is adopted, not rebuilt.
    const after = await until("the second instance reports itself active", async () => {
      const c = (await health(second.url)).cluster;
      return c.role === "active" ? c : null;
    }, TTL_MS * 3 + 60_000, 250, () => exited(second));
    expect(after.active?.instance).toBe(before.instance);
    expect(after.subsystems.map((s) => `${s.name}:${s.state}`)).toEqual(["openflow-controller:running", "lab:running"]);
    expect(second.output()).toMatch(/adopted the running lab/);

    // OVS reconnects to the controller socket the new holder now listens on.
    const switches = await until("both lab switches connect to the new active instance", async () => switchesOf(second.url, 2), 60_000, 500);
    expect(switches.controllerRunning).toBe(true);
    // The registry still has vm1 where the migration left it.
    const vms = await trpcCall(second.url, "migrations.list", "query", { limit: 5 }, cookie);
    expect(vms.body.result.data.json[0]).toMatchObject({ status: "completed", destHost: "host-b1" });
  }, 180_000);
});
