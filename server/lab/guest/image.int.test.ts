// Builds the guest image, boots it once under QEMU (TCG, user-mode networking bound to
// 127.0.0.1) and checks its HTTP service and memory load from the host.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureGuestImage, guestCmdline, waitForGuestReady, type GuestImage, type GuestReady, type GuestStatus } from "./image";

const QEMU = "qemu-system-x86_64";
const FILL_MB = 32;
const DIRTY_MBPS = 4;

const qemuVersion = spawnSync(QEMU, ["--version"], { encoding: "utf8", timeout: 10_000 });
const skipReason =
  qemuVersion.status === 0 ? null : `${QEMU} is not installed (Debian package qemu-system-x86; scripts/install.sh should install it)`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (exited(p)) return;
  const gone = new Promise<void>((r) => p.once("exit", () => r()));
  p.kill("SIGTERM");
  const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5_000));
  if ((await Promise.race([gone, timer])) === "timeout") {
    p.kill("SIGKILL");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
  }
}

/** Minimal QMP client: one command at a time, events skipped. */
async function qmp(socketPath: string, commands: { execute: string; arguments?: object }[]): Promise<unknown[]> {
  const sock = net.createConnection(socketPath);
  sock.setTimeout(10_000, () => sock.destroy(new Error("QMP timed out")));
  let buf = "";
  const waiters: ((msg: Record<string, unknown>) => void)[] = [];
  const queued: Record<string, unknown>[] = [];
  sock.on("data", (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ("event" in msg) continue;
      const w = waiters.shift();
      if (w) w(msg);
      else queued.push(msg);
    }
  });
  const failed = new Promise<never>((_, reject) => sock.once("error", reject));
  const next = () => Promise.race([failed, new Promise<Record<string, unknown>>((r) => (queued.length ? r(queued.shift()!) : waiters.push(r)))]);
  try {
    await next(); // greeting
    const results: unknown[] = [];
    for (const cmd of [{ execute: "qmp_capabilities" }, ...commands]) {
      sock.write(JSON.stringify(cmd) + "\n");
      const reply = await next();
      if ("error" in reply) throw new Error(`QMP ${cmd.execute}: ${JSON.stringify(reply.error)}`);
      results.push(reply.return);
    }
    return results.slice(1);
  } finally {
    sock.destroy();
  }
}

describe("lab guest image under QEMU", () => {
  let tmp = "";
  let qemu: ChildProcess | undefined;
  let qemuStderr = "";
  let image: GuestImage;
  let ready: GuestReady;
  let base = "";
  let qmpSocket = "";
  let bootMs = 0;

  beforeAll(async () => {
    if (skipReason) {
      console.warn(`skipping guest boot test: ${skipReason}`);
      return;
    }
    image = await ensureGuestImage({ timeoutMs: 540_000 });
    tmp = await mkdtemp(path.join(os.tmpdir(), "ferry-guest-test-"));
    const consoleLog = path.join(tmp, "console.log");
    qmpSocket = path.join(tmp, "qmp.sock");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const append = guestCmdline({ ip: "10.0.2.15/24", gw: "10.0.2.2", hostname: "vm1", fillMb: FILL_MB, dirtyMbps: DIRTY_MBPS });
    const args = [
      "-accel", "tcg",
      "-m", "256",
      "-nodefaults",
      "-display", "none",
      "-kernel", image.kernel,
      "-initrd", image.initrd,
      "-append", append,
      // Guest port 80 reachable only on the host's loopback.
      "-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:80`,
      // romfile= skips the iPXE option ROM: we boot with -kernel, not from the network.
      "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:fe:00:01,romfile=",
      "-serial", `file:${consoleLog}`,
      "-qmp", `unix:${qmpSocket},server=on,wait=off`,
      "-no-reboot",
    ];
    const started = Date.now();
    qemu = spawn(QEMU, args, { stdio: ["ignore", "ignore", "pipe"] });
    qemu.stderr!.on("data", (d) => (qemuStderr = (qemuStderr + d.toString()).slice(-4000)));
    try {
      ready = await waitForGuestReady(consoleLog, { timeoutMs: 60_000, alive: () => !exited(qemu!) });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nQEMU stderr: ${qemuStderr.trim() || "(none)"}`);
    }
    bootMs = Date.now() - started;
    console.log(`guest ready ${bootMs} ms after QEMU start (image ${image.built ? "built" : "cached"})`);
  }, 600_000);

  afterAll(async () => {
    if (qemu) await stopProcess(qemu);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 30_000);

  async function getStatus(): Promise<GuestStatus> {
    const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    return (await res.json()) as GuestStatus;
  }

  it("announces readiness on the serial console with its configuration", (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    expect(existsSync(image.kernel) && existsSync(image.initrd)).toBe(true);
    expect(ready.ip).toBe("10.0.2.15");
    expect(ready.hostname).toBe("vm1");
    expect(ready.bootId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(bootMs).toBeLessThan(60_000);
  });

  it("counts requests under one boot id", async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const seen: GuestStatus[] = [];
    for (let i = 0; i < 3; i++) seen.push(await getStatus());
    expect(seen.map((s) => s.requests)).toEqual([1, 2, 3]);
    for (const s of seen) {
      expect(s.hostname).toBe("vm1");
      expect(s.boot_id).toBe(ready.bootId);
      expect(s.ip).toBe("10.0.2.15");
      expect(s.fill_mb).toBe(FILL_MB);
      expect(s.dirty_mbps).toBe(DIRTY_MBPS);
      expect(s.uptime_s).toBeGreaterThan(0);
    }
    expect(seen[2]!.uptime_s).toBeGreaterThanOrEqual(seen[0]!.uptime_s);
  });

  it("answers /ping without touching the counter", async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const before = (await getStatus()).requests;
    const res = await fetch(`${base}/ping`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toBe("pong");
    expect((await getStatus()).requests).toBe(before + 1);
  });

  /** Sends raw bytes to the guest's port 80 and returns everything it answers before closing. */
  function rawRequest(bytes: string | Buffer): Promise<string> {
    const { port } = new URL(base);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: "127.0.0.1", port: Number(port) });
      let got = "";
      sock.setTimeout(10_000, () => sock.destroy(new Error("guest did not answer within 10 s")));
      sock.on("connect", () => sock.write(bytes));
      sock.on("data", (d) => (got += d.toString("latin1")));
      sock.on("error", reject);
      sock.on("close", () => resolve(got));
    });
  }

  it("answers malformed, unknown and oversized requests with an HTTP error, without counting them", async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const before = (await getStatus()).requests;
    expect(await rawRequest("garbage\r\n\r\n")).toMatch(/^HTTP\/1\.0 400 /);
    expect(await rawRequest("POST / HTTP/1.0\r\n\r\n")).toMatch(/^HTTP\/1\.0 405 /);
    expect(await rawRequest("GET /nope HTTP/1.0\r\n\r\n")).toMatch(/^HTTP\/1\.0 404 /);
    expect(await rawRequest(`GET / HTTP/1.0\r\nX-Long: ${"a".repeat(5000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.0 431 /);
    const head = await rawRequest("HEAD / HTTP/1.0\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.0 200 /);
    expect(head).not.toContain("boot_id");
    expect((await getStatus()).requests).toBe(before + 1);
  });

  it("serves other clients while one sends nothing, drops that one later, and serves many at once", async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const { port } = new URL(base);
    const idle = net.connect({ host: "127.0.0.1", port: Number(port) });
    const idleClosed = new Promise<void>((resolve) => idle.once("close", () => resolve()));
    await new Promise<void>((resolve, reject) => idle.once("connect", resolve).once("error", reject));
    idle.on("error", () => {});
    try {
      // Answered while the silent client still holds its connection (a one-at-a-time server would hang here).
      const res = await fetch(`${base}/ping`, { signal: AbortSignal.timeout(20_000) });
      expect(`${res.status} ${(await res.text()).trim()}`).toBe("200 pong");
      expect(idle.destroyed).toBe(false);
      // The silent client is dropped after statusd's per-connection limit (5 s), not kept for ever.
      const dropped = await Promise.race([idleClosed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
      expect(dropped).toBe(true);
    } finally {
      idle.destroy();
    }
    // QEMU's user-mode networking in front of the guest is slow with many connections: 20, and time.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${base}/ping`, { signal: AbortSignal.timeout(60_000) }).then(async (r) => `${r.status} ${(await r.text()).trim()}`)),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, () => "200 pong"));
  }, 120_000);

  it("keeps the requested memory filled", async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    // memload starts right after the ready line; filling 32 MiB takes a fraction of a second.
    let s = await getStatus();
    for (let i = 0; i < 50 && !(s.memload_running && s.memload_rss_kb >= FILL_MB * 1024); i++) {
      await new Promise((r) => setTimeout(r, 200));
      s = await getStatus();
    }
    expect(s.memload_running).toBe(true);
    expect(s.memload_rss_kb).toBeGreaterThanOrEqual(FILL_MB * 1024);
    expect(s.mem_used_kb).toBeGreaterThanOrEqual(s.memload_rss_kb);
    const consoleText = await readFile(path.join(tmp, "console.log"), "utf8");
    expect(consoleText).toContain(`memload: filled ${FILL_MB} MiB`);
  });

  it("dirties guest memory at roughly the requested rate (QEMU's own estimate)", async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    // page-sampling hashes sampled pages twice; QEMU 7.2's dirty-bitmap mode crashes under TCG.
    await qmp(qmpSocket, [{ execute: "calc-dirty-rate", arguments: { "calc-time": 2, "sample-pages": 10000, mode: "page-sampling" } }]);
    let result: { status?: string; "dirty-rate"?: number } = {};
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 250));
      [result] = (await qmp(qmpSocket, [{ execute: "query-dirty-rate" }])) as (typeof result)[];
      if (result.status === "measured") break;
    }
    expect(result.status).toBe("measured");
    console.log(`QEMU dirty-rate estimate: ${result["dirty-rate"]} MB/s (guest asked for ${DIRTY_MBPS} MiB/s)`);
    // 4 MiB/s of page rewrites; an idle busybox guest dirties well under 1 MB/s.
    expect(result["dirty-rate"]).toBeGreaterThanOrEqual(1);
    expect(result["dirty-rate"]).toBeLessThanOrEqual(DIRTY_MBPS * 5);
  });
});
