// QmpClient against a fake QMP server on a UNIX socket: negotiation, id matching, errors,
// timeouts, events, and what pending calls see when the socket goes away.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { QmpClient, QmpConnectionError, QmpError } from "./client";

type Handler = (msg: { execute: string; arguments?: Record<string, unknown>; id?: unknown }, conn: net.Socket) => void;

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: "test" }, capabilities: ["oob"] } };

class FakeQmp {
  readonly server: net.Server;
  readonly received: { execute: string; arguments?: Record<string, unknown>; id?: unknown }[] = [];
  conns: net.Socket[] = [];
  handler: Handler = (msg, conn) => reply(conn, { return: {}, id: msg.id });

  constructor(readonly sock: string, opts: { greeting?: boolean } = {}) {
    this.server = net.createServer((conn) => {
      this.conns.push(conn);
      if (opts.greeting !== false) conn.write(JSON.stringify(GREETING) + "\r\n");
      let buf = "";
      conn.on("data", (d) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const msg = JSON.parse(line);
          this.received.push(msg);
          if (msg.execute === "qmp_capabilities") reply(conn, { return: {}, id: msg.id });
          else this.handler(msg, conn);
        }
      });
      conn.on("error", () => {});
    });
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.sock, () => r()));
  }
  close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function reply(conn: net.Socket, obj: unknown): void {
  conn.write(JSON.stringify(obj) + "\r\n");
}

describe("QmpClient", () => {
  let dir: string;
  let sock: string;
  let fake: FakeQmp | undefined;
  let client: QmpClient | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-qmp-unit-"));
    sock = path.join(dir, "vm.qmp");
  });
  afterEach(async () => {
    await client?.close();
    await fake?.close();
    client = undefined;
    fake = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the greeting and negotiates capabilities before anything else", async () => {
    fake = new FakeQmp(sock);
    await fake.listen();
    client = await QmpClient.connect(sock);
    expect(client.greeting?.version.qemu.major).toBe(7);
    expect(fake.received.map((m) => m.execute)).toEqual(["qmp_capabilities"]);
  });

  it("retries while the socket does not exist yet", async () => {
    fake = new FakeQmp(sock);
    setTimeout(() => void fake!.listen(), 300);
    const t0 = Date.now();
    client = await QmpClient.connect(sock, { connectTimeoutMs: 3_000, retryIntervalMs: 50 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it("gives up connecting after the connect timeout", async () => {
    await expect(QmpClient.connect(sock, { connectTimeoutMs: 300, retryIntervalMs: 50 })).rejects.toThrow(/cannot connect to QMP socket .* within 300 ms/);
  });

  it("matches replies to calls by id, even out of order", async () => {
    fake = new FakeQmp(sock);
    const held: { id: unknown; name: string }[] = [];
    fake.handler = (msg, conn) => {
      held.push({ id: msg.id, name: String(msg.arguments?.name) });
      if (held.length === 2) for (const h of [...held].reverse()) reply(conn, { return: { echo: h.name }, id: h.id });
    };
    await fake.listen();
    client = await QmpClient.connect(sock);
    const [a, b] = await Promise.all([client.execute("echo", { name: "first" }), client.execute("echo", { name: "second" })]);
    expect(a).toEqual({ echo: "first" });
    expect(b).toEqual({ echo: "second" });
    const ids = fake.received.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("turns QEMU's error reply into a QmpError with class and desc", async () => {
    fake = new FakeQmp(sock);
    fake.handler = (msg, conn) => reply(conn, { error: { class: "CommandNotFound", desc: "The command nope has not been found" }, id: msg.id });
    await fake.listen();
    client = await QmpClient.connect(sock);
    const err = await client.execute("nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect((err as QmpError).errorClass).toBe("CommandNotFound");
    expect((err as QmpError).desc).toBe("The command nope has not been found");
    expect((err as QmpError).command).toBe("nope");
  });

  it("times out a command that gets no reply, and keeps working afterwards", async () => {
    fake = new FakeQmp(sock);
    fake.handler = (msg, conn) => {
      if (msg.execute !== "silent") reply(conn, { return: { ok: true }, id: msg.id });
    };
    await fake.listen();
    client = await QmpClient.connect(sock);
    const t0 = Date.now();
    const err = await client.execute("silent", undefined, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpConnectionError);
    expect((err as QmpConnectionError).code).toBe("TIMEOUT");
    expect((err as Error).message).toMatch(/silent got no reply within 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(client.execute("query-status")).resolves.toEqual({ ok: true });
  });

  it("delivers events with name, data and timestamp", async () => {
    fake = new FakeQmp(sock);
    fake.handler = (msg, conn) => {
      reply(conn, { event: "MIGRATION", data: { status: "active" }, timestamp: { seconds: 1700000000, microseconds: 250000 } });
      reply(conn, { event: "MIGRATION_PASS", data: { pass: 2 }, timestamp: { seconds: 1700000001, microseconds: 0 } });
      reply(conn, { return: {}, id: msg.id });
    };
    await fake.listen();
    client = await QmpClient.connect(sock);
    const events: unknown[] = [];
    client.on("event", (e) => events.push(e));
    await client.execute("migrate", { uri: "tcp:127.0.0.1:1" });
    expect(events).toEqual([
      { name: "MIGRATION", data: { status: "active" }, timestamp: 1700000000250 },
      { name: "MIGRATION_PASS", data: { pass: 2 }, timestamp: 1700000001000 },
    ]);
  });

  it("handles messages split across and packed into chunks", async () => {
    fake = new FakeQmp(sock);
    fake.handler = (msg, conn) => {
      const text = JSON.stringify({ event: "STOP", data: {}, timestamp: { seconds: 1, microseconds: 0 } }) + JSON.stringify({ return: { running: false }, id: msg.id });
      conn.write(text.slice(0, 17));
      setTimeout(() => conn.write(text.slice(17)), 30);
    };
    await fake.listen();
    client = await QmpClient.connect(sock);
    const names: string[] = [];
    client.on("event", (e) => names.push(e.name));
    await expect(client.execute("query-status")).resolves.toEqual({ running: false });
    expect(names).toEqual(["STOP"]);
  });

  it("rejects every pending call with a clear error when the socket closes mid-command", async () => {
    fake = new FakeQmp(sock);
    fake.handler = (msg, conn) => {
      if (msg.execute === "quit") setTimeout(() => conn.destroy(), 50);
    };
    await fake.listen();
    client = await QmpClient.connect(sock);
    const closed = new Promise((r) => client!.once("close", r));
    const a = client.execute("query-migrate").catch((e: unknown) => e);
    const b = client.execute("quit").catch((e: unknown) => e);
    const [ea, eb] = await Promise.all([a, b]);
    expect((ea as Error).message).toMatch(/^QMP socket closed while waiting for the reply to query-migrate/);
    expect((eb as Error).message).toMatch(/^QMP socket closed while waiting for the reply to quit/);
    expect((ea as QmpConnectionError).code).toBe("CLOSED");
    await closed;
    expect(client.isClosed).toBe(true);
    await expect(client.execute("query-status")).rejects.toThrow(/QMP socket closed while waiting for the reply to query-status/);
  });

  it("fails the connect when the server closes before greeting", async () => {
    fake = new FakeQmp(sock, { greeting: false });
    fake.server.removeAllListeners("connection");
    fake.server.on("connection", (c) => c.destroy());
    await fake.listen();
    await expect(QmpClient.connect(sock, { connectTimeoutMs: 500 })).rejects.toThrow(/QMP socket closed while waiting for the greeting/);
  });
});
