// Integration: a real Ferry server (SQLite file, HTTP, Socket.IO) checked from the outside.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connectSocket, type Socket } from "socket.io-client";
import { login, startTestFerry, TEST_DATABASES, trpcCall, type TestFerry } from "../testing/ferry-instance";

describe.each(TEST_DATABASES)("Ferry server on %s", (database) => {
let ferry: TestFerry;

beforeAll(async () => {
  ferry = await startTestFerry({ FERRY_LOGIN_MAX_FAILURES: "5", FERRY_LOGIN_WINDOW_S: "900" }, database);
});
afterAll(async () => {
  await ferry?.close();
});

async function createUser(adminCookie: string, username: string, role: "admin" | "viewer", password = "viewer-password-1") {
  const res = await trpcCall(ferry.url, "users.create", "mutation", { username, password, role }, adminCookie);
  expect(res.status).toBe(200);
  return password;
}

function socketOutcome(cookie?: string): Promise<{ connected: boolean; error?: string; hello?: any; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connectSocket(ferry.url, {
      path: "/socket.io",
      transports: ["websocket"],
      reconnection: false,
      extraHeaders: cookie ? { cookie } : {},
      timeout: 5000,
    });
    socket.on("hello", (hello) => resolve({ connected: true, hello, socket }));
    socket.on("connect_error", (err) => resolve({ connected: false, error: err.message, socket }));
  });
}

describe("authentication and authorisation over real HTTP", () => {
  it("answers an unauthenticated tRPC query with 401", async () => {
    const res = await trpcCall(ferry.url, "auth.me", "query");
    expect(res.status).toBe(401);
    expect(res.body.error.json.data.code).toBe("UNAUTHORIZED");
  });

  it("answers an unauthenticated tRPC mutation with 401 and changes nothing", async () => {
    const res = await trpcCall(ferry.url, "users.create", "mutation", { username: "intruder", password: "12345678", role: "admin" });
    expect(res.status).toBe(401);
    expect(await ferry.services.db.user.findUnique({ where: { username: "intruder" } })).toBeNull();
  });

  it("signs in the first admin with an httpOnly SameSite=Strict cookie and reports who is signed in", async () => {
    const res = await trpcCall(ferry.url, "auth.login", "mutation", { username: "admin", password: ferry.adminPassword });
    expect(res.status).toBe(200);
    const cookie = res.setCookie.find((c) => c.startsWith("ferry_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const me = await trpcCall(ferry.url, "auth.me", "query", undefined, cookie.split(";")[0]);
    expect(me.status).toBe(200);
    expect(me.body.result.data.json).toMatchObject({ username: "admin", role: "admin" });
  });

  it("refuses a viewer's mutation with 403 and records an AuditEvent with outcome denied", async () => {
    const admin = await login(ferry.url, "admin", ferry.adminPassword);
    const pw = await createUser(admin, "vera", "viewer");
    const viewer = await login(ferry.url, "vera", pw);

    const res = await trpcCall(ferry.url, "users.create", "mutation", { username: "mallory", password: "mallory-pass", role: "admin" }, viewer);
    expect(res.status).toBe(403);
    expect(await ferry.services.db.user.findUnique({ where: { username: "mallory" } })).toBeNull();

    const denied = await ferry.services.db.auditEvent.findMany({ where: { username: "vera", action: "users.create" } });
    expect(denied).toHaveLength(1);
    expect(denied[0]!.outcome).toBe("denied");
    expect(denied[0]!.target).toBe("mallory");

    // The viewer may still look.
    const list = await trpcCall(ferry.url, "audit.list", "query", { limit: 5 }, viewer);
    expect(list.status).toBe(200);
  });

  it("audits an admin's successful mutation with outcome ok and without the password", async () => {
    const admin = await login(ferry.url, "admin", ferry.adminPassword);
    await createUser(admin, "olga", "viewer", "olga-secret-pw");
    const rows = await ferry.services.db.auditEvent.findMany({ where: { action: "users.create", target: "olga" } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ username: "admin", outcome: "ok" });
    expect(rows[0]!.detail).not.toContain("olga-secret-pw");
  });

  it("answers a malformed request with 400 and a readable zod message", async () => {
    const admin = await login(ferry.url, "admin", ferry.adminPassword);
    const res = await trpcCall(ferry.url, "users.create", "mutation", { username: "x y", password: "short", role: "root" }, admin);
    expect(res.status).toBe(400);
    const msg: string = res.body.error.json.message;
    expect(msg).toContain("password: at least 8 characters");
    expect(msg).toContain("role:");
    expect(res.body.error.json.data.zodIssues.length).toBeGreaterThanOrEqual(3);
  });

  it("rate-limits the 6th rapid wrong password for one user, even if the 6th is right", async () => {
    const admin = await login(ferry.url, "admin", ferry.adminPassword);
    const pw = await createUser(admin, "rita", "viewer", "rita-right-pw");
    for (let i = 0; i < 5; i++) {
      const res = await trpcCall(ferry.url, "auth.login", "mutation", { username: "rita", password: `wrong-${i}` });
      expect(res.status).toBe(401);
    }
    const sixth = await trpcCall(ferry.url, "auth.login", "mutation", { username: "rita", password: pw });
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.json.message).toMatch(/too many failed sign-ins/);
    expect(sixth.setCookie.some((c) => c.startsWith("ferry_session="))).toBe(false);
    // Another user from the same address is not locked out by rita's failures.
    expect((await trpcCall(ferry.url, "auth.login", "mutation", { username: "admin", password: ferry.adminPassword })).status).toBe(200);
  });

  it("ends the session on logout: the cookie stops working and the row is gone", async () => {
    const cookie = await login(ferry.url, "admin", ferry.adminPassword);
    const before = await ferry.services.db.session.count();
    const out = await trpcCall(ferry.url, "auth.logout", "mutation", undefined, cookie);
    expect(out.status).toBe(200);
    expect(out.setCookie.some((c) => /ferry_session=;.*Max-Age=0/.test(c))).toBe(true);
    expect(await ferry.services.db.session.count()).toBe(before - 1);
    expect((await trpcCall(ferry.url, "auth.me", "query", undefined, cookie)).status).toBe(401);
  });

  it("treats an expired session as signed out", async () => {
    const cookie = await login(ferry.url, "admin", ferry.adminPassword);
    await ferry.services.db.session.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await trpcCall(ferry.url, "auth.me", "query", undefined, cookie)).status).toBe(401);
  });
});

describe("pages and Socket.IO behind the same gate", () => {
  it("redirects a page request without a session to /login and serves it with one", async () => {
    const anon = await fetch(`${ferry.url}/instances?x=1`, { redirect: "manual" });
    expect(anon.status).toBe(303);
    expect(anon.headers.get("location")).toBe("/login?next=%2Finstances%3Fx%3D1");
    const cookie = await login(ferry.url, "admin", ferry.adminPassword);
    const signedIn = await fetch(`${ferry.url}/instances`, { headers: { cookie }, redirect: "manual" });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.text()).toBe("page");
  });

  it("refuses a Socket.IO connection without a session", async () => {
    const out = await socketOutcome();
    out.socket.close();
    expect(out.connected).toBe(false);
    expect(out.error).toBe("unauthorized");
  });

  it("refuses a Socket.IO connection with a forged session cookie", async () => {
    const out = await socketOutcome("ferry_session=not-a-real-token");
    out.socket.close();
    expect(out.connected).toBe(false);
  });

  it("accepts a Socket.IO connection with a session and disconnects it on logout", async () => {
    const cookie = await login(ferry.url, "admin", ferry.adminPassword);
    const out = await socketOutcome(cookie);
    expect(out.connected).toBe(true);
    expect(out.hello).toMatchObject({ username: "admin", role: "admin" });
    const gone = new Promise<string>((resolve) => out.socket.on("disconnect", (reason) => resolve(reason)));
    await trpcCall(ferry.url, "auth.logout", "mutation", undefined, cookie);
    expect(await gone).toBe("io server disconnect");
    out.socket.close();
  });
});
});
