// Integration: a real Ferry server process is signed in to, wrongly and rightly, made to create a
// user, refuse bad input and sign out, while everything it writes to stdout and stderr is kept.
// No password, session token or cookie value may appear there (nor in the audit log), and a
// generated first admin password is only in a private file the log points to.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { io as connectSocket } from "socket.io-client";
import { openDb } from "../db";
import { defaultDatabaseUrl } from "../database/default-url";
import { freshPostgresDatabase, login, TEST_DATABASES, trpcCall } from "../testing/ferry-instance";
import { spawnFerry, type FerryProcess } from "../testing/ferry-process";

const secret = (what: string) => `${what}-${randomBytes(9).toString("base64url")}`;

describe.each(TEST_DATABASES)("secrets stay out of the server's output on %s", (database) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function serve(extra: Record<string, string> = {}): Promise<{ ferry: FerryProcess; url: string; dataDir: string; databaseUrl: string }> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-secrets-"));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    let databaseUrl = defaultDatabaseUrl(dataDir);
    if (database === "postgresql") {
      const pg = await freshPostgresDatabase(process.env.FERRY_TEST_POSTGRES_URL!);
      cleanups.push(() => pg.drop());
      databaseUrl = pg.url;
    }
    const ferry = spawnFerry({ FERRY_PORT: "0", FERRY_HOST: "127.0.0.1", FERRY_DATA_DIR: dataDir, FERRY_OF_TCP: "127.0.0.1:0", DATABASE_URL: databaseUrl, ...extra });
    cleanups.push(() => ferry.stop());
    const { url } = await ferry.ready;
    return { ferry, url, dataDir, databaseUrl };
  }

  /** Signs in wrongly and rightly, creates and uses a user, sends bad input, signs out. Returns every secret used. */
  async function exercise(url: string, adminPassword: string): Promise<string[]> {
    const wrong = secret("wrong-password");
    expect((await trpcCall(url, "auth.login", "mutation", { username: "admin", password: wrong })).status).toBe(401);
    expect((await trpcCall(url, "auth.login", "mutation", { username: "nobody", password: wrong })).status).toBe(401);
    const admin = await login(url, "admin", adminPassword);
    const userPassword = secret("user-password");
    expect((await trpcCall(url, "users.create", "mutation", { username: "lena", password: userPassword, role: "viewer" }, admin)).status).toBe(200);
    // Refused with the password in the input: a conflict, then a zod error.
    expect((await trpcCall(url, "users.create", "mutation", { username: "lena", password: userPassword, role: "viewer" }, admin)).status).toBe(409);
    const badRolePassword = secret("bad-role-password");
    expect((await trpcCall(url, "users.create", "mutation", { username: "lara", password: badRolePassword, role: "root" }, admin)).status).toBe(400);
    const planted = secret("planted-cookie");
    const viewerLogin = await fetch(`${url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ferry-client": "ferry-test", cookie: `ferry_session=${planted}` },
      body: JSON.stringify({ json: { username: "lena", password: userPassword } }),
    });
    expect(viewerLogin.status).toBe(200);
    const viewer = viewerLogin.headers.getSetCookie().find((c) => c.startsWith("ferry_session="))!.split(";")[0]!;
    // A viewer's refused mutation carrying a password.
    const deniedPassword = secret("denied-password");
    expect((await trpcCall(url, "users.create", "mutation", { username: "mia", password: deniedPassword, role: "admin" }, viewer)).status).toBe(403);
    const forged = secret("forged-token");
    expect((await trpcCall(url, "auth.me", "query", undefined, `ferry_session=${forged}`)).status).toBe(401);
    const socket = connectSocket(url, { path: "/socket.io", transports: ["websocket"], reconnection: false, extraHeaders: { cookie: admin } });
    await new Promise<void>((resolve, reject) => {
      socket.on("hello", () => resolve());
      socket.on("connect_error", reject);
    });
    socket.close();
    expect((await trpcCall(url, "auth.logout", "mutation", undefined, viewer)).status).toBe(200);
    expect((await trpcCall(url, "auth.logout", "mutation", undefined, admin)).status).toBe(200);
    const token = (cookie: string) => cookie.slice(cookie.indexOf("=") + 1);
    return [adminPassword, wrong, userPassword, badRolePassword, deniedPassword, planted, forged, token(admin), token(viewer)];
  }

  async function expectNowhere(secrets: string[], output: string, databaseUrl: string): Promise<void> {
    for (const s of secrets) expect(output, `output contains ${s}`).not.toContain(s);
    const db = await openDb(databaseUrl);
    try {
      const audit = JSON.stringify(await db.auditEvent.findMany());
      expect(audit.length).toBeGreaterThan(100);
      for (const s of secrets) expect(audit, `audit log contains ${s}`).not.toContain(s);
    } finally {
      await db.$disconnect();
    }
  }

  it("keeps a generated admin password in a 0600 file the log points to, and no secret in stdout/stderr", async () => {
    // The most verbose log level: whatever any part of the server writes is checked.
    const { ferry, url, dataDir, databaseUrl } = await serve({ FERRY_LOG_LEVEL: "trace" });
    const file = path.join(dataDir, "initial-admin-password");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const adminPassword = fs.readFileSync(file, "utf8").trim();
    expect(adminPassword.length).toBeGreaterThanOrEqual(12);
    // Log lines may be JSON, with the quotes escaped.
    expect(ferry.output()).toMatch(new RegExp(`created user \\\\?"admin\\\\?"; its password is in ${file} `));

    const secrets = await exercise(url, adminPassword);
    await ferry.stop();
    const output = ferry.output();
    // The capture ran to the end of the process.
    expect(output).toMatch(/\bstopped\b/);
    await expectNowhere(secrets, output, databaseUrl);
  }, 180_000);

  it("uses FERRY_ADMIN_PASSWORD (and FERRY_METRICS_TOKEN) without logging them or writing a password file", async () => {
    const configured = secret("configured-admin");
    const metricsToken = secret("metrics-token");
    const { ferry, url, dataDir, databaseUrl } = await serve({ FERRY_ADMIN_PASSWORD: configured, FERRY_METRICS_TOKEN: metricsToken, FERRY_LOG_LEVEL: "trace" });
    expect(ferry.output()).toMatch(/created user \\?"admin\\?" with the password from FERRY_ADMIN_PASSWORD/);
    expect(fs.existsSync(path.join(dataDir, "initial-admin-password"))).toBe(false);
    const secrets = [...(await exercise(url, configured)), metricsToken];
    await ferry.stop();
    await expectNowhere(secrets, ferry.output(), databaseUrl);
  }, 180_000);
});
