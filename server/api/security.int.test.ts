// Integration: the security rules of a real Ferry server, checked from the outside over HTTP and
// Socket.IO — every tRPC procedure behind the sign-in gate and the admin role (discovered from the
// router itself), the same-origin guard on mutations, session fixation, the login rate limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connectSocket, type Socket } from "socket.io-client";
import { appRouter } from "./root";
import { hashToken } from "../auth/sessions";
import { CLIENT_EVENT_ROLES } from "../realtime/io";
import { login, startTestFerry, TEST_DATABASES, trpcCall, type TestFerry } from "../testing/ferry-instance";

/** Procedures anyone may call without a session, on purpose. */
const PUBLIC_PROCEDURES = ["auth.login"];
/** Mutations any signed-in user may call (they act on the caller's own session only). */
const SIGNED_IN_MUTATIONS = ["auth.logout"];

type Kind = "query" | "mutation";

function allProcedures(): { path: string; type: string }[] {
  const procs = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  return Object.entries(procs).map(([path, p]) => ({ path, type: p._def.type }));
}

function errorCode(body: any): string | undefined {
  return body?.error?.json?.data?.code;
}

/** A raw POST to a tRPC procedure with exactly the given headers (no helper adds any). */
async function rawPost(url: string, procedure: string, input: unknown, headers: Record<string, string>): Promise<{ status: number; body: any; setCookie: string[] }> {
  const res = await fetch(`${url}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ json: input }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, setCookie: res.headers.getSetCookie() };
}

function tokenOf(cookie: string): string {
  return cookie.slice(cookie.indexOf("=") + 1);
}

function openSocket(url: string, headers: Record<string, string>): Promise<{ connected: boolean; error?: string; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connectSocket(url, { path: "/socket.io", transports: ["websocket"], reconnection: false, extraHeaders: headers, timeout: 5000 });
    socket.on("hello", () => resolve({ connected: true, socket }));
    socket.on("connect_error", (err) => resolve({ connected: false, error: err.message, socket }));
  });
}

function emitWithAck(socket: Socket, event: string, ...args: unknown[]): Promise<any> {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

describe("the router's procedures", () => {
  it("are all queries or mutations, none lazily loaded, and the allow-lists name only real ones of the right kind", () => {
    const procs = allProcedures();
    expect(procs.length).toBeGreaterThan(10);
    expect(Object.keys(appRouter._def.lazy)).toEqual([]);
    for (const p of procs) expect(["query", "mutation"]).toContain(p.type);
    const byPath = new Map(procs.map((p) => [p.path, p.type]));
    for (const path of PUBLIC_PROCEDURES) expect(byPath.has(path), path).toBe(true);
    for (const path of SIGNED_IN_MUTATIONS) expect(byPath.get(path), path).toBe("mutation");
  });
});

describe.each(TEST_DATABASES)("security on %s", (database) => {
  let ferry: TestFerry;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    ferry = await startTestFerry({}, database);
    admin = await login(ferry.url, "admin", ferry.adminPassword);
    const created = await trpcCall(ferry.url, "users.create", "mutation", { username: "vic", password: "vic-viewer-pw", role: "viewer" }, admin);
    expect(created.status).toBe(200);
    viewer = await login(ferry.url, "vic", "vic-viewer-pw");
  });
  afterAll(async () => {
    await ferry?.close();
  });

  describe("every tRPC procedure, discovered from the router", () => {
    it("answers a caller without a session with 401 UNAUTHORIZED, except the public allow-list exactly", async () => {
      const open: string[] = [];
      for (const p of allProcedures()) {
        const res = await trpcCall(ferry.url, p.path, p.type as Kind);
        if (res.status === 401) expect(errorCode(res.body), p.path).toBe("UNAUTHORIZED");
        else open.push(p.path);
      }
      // Exact: a new procedure that forgets the gate, or an allow-listed one that gained it, fails here.
      expect(open.sort()).toEqual([...PUBLIC_PROCEDURES].sort());
    });

    it("answers a viewer's mutation with 403 FORBIDDEN and an audited denial, except the signed-in allow-list exactly", async () => {
      const mutations = allProcedures().filter((p) => p.type === "mutation" && !PUBLIC_PROCEDURES.includes(p.path));
      const allowed: string[] = [];
      for (const p of mutations) {
        // auth.logout would end the viewer's session: tried last, on a session of its own.
        const cookie = SIGNED_IN_MUTATIONS.includes(p.path) ? await login(ferry.url, "vic", "vic-viewer-pw") : viewer;
        const before = await ferry.services.db.auditEvent.count({ where: { username: "vic", action: p.path, outcome: "denied" } });
        const res = await trpcCall(ferry.url, p.path, "mutation", {}, cookie);
        if (res.status === 403) {
          expect(errorCode(res.body), p.path).toBe("FORBIDDEN");
          const after = await ferry.services.db.auditEvent.count({ where: { username: "vic", action: p.path, outcome: "denied" } });
          expect(after, `denied audit for ${p.path}`).toBe(before + 1);
        } else {
          expect(res.status, p.path).not.toBe(401);
          allowed.push(p.path);
        }
      }
      expect(allowed.sort()).toEqual([...SIGNED_IN_MUTATIONS].sort());
    });

    it("lets a viewer run every query (reads are for every signed-in user)", async () => {
      for (const p of allProcedures().filter((q) => q.type === "query")) {
        const res = await trpcCall(ferry.url, p.path, "query", undefined, viewer);
        expect([401, 403], `${p.path} → ${res.status}`).not.toContain(res.status);
      }
    });
  });

  describe("the same-origin guard on tRPC mutations", () => {
    it("refuses a POST with a foreign Origin with 403 and a clear message, even one naming a client", async () => {
      for (const headers of [{ origin: "http://evil.example" }, { origin: "http://evil.example", "x-ferry-client": "ferry-cli" }, { origin: "null" }] as Record<string, string>[]) {
        const res = await rawPost(ferry.url, "auth.login", { username: "admin", password: ferry.adminPassword }, headers);
        expect(res.status).toBe(403);
        expect(errorCode(res.body)).toBe("FORBIDDEN");
        expect(res.body.error.json.message).toMatch(/cross-site request refused: Origin .* is not this server's origin/);
        expect(res.setCookie).toEqual([]);
      }
    });

    it("refuses a POST with neither an Origin nor an x-ferry-client header (or an empty one)", async () => {
      for (const headers of [{}, { "x-ferry-client": "" }, { "x-ferry-client": "  " }] as Record<string, string>[]) {
        const res = await rawPost(ferry.url, "auth.login", { username: "admin", password: ferry.adminPassword }, headers);
        expect(res.status).toBe(403);
        expect(res.body.error.json.message).toMatch(/send an Origin header from this server's pages or an x-ferry-client header/);
      }
    });

    it("does not let a forged cross-site mutation change anything, even with the admin's cookie", async () => {
      const res = await rawPost(ferry.url, "users.create", { username: "csrf-victim", password: "csrf-password", role: "admin" }, { origin: "http://evil.example", cookie: admin });
      expect(res.status).toBe(403);
      expect(await ferry.services.db.user.findUnique({ where: { username: "csrf-victim" } })).toBeNull();
    });

    it("answers a refused batch with one FORBIDDEN error per call, as the dashboard's client expects", async () => {
      const res = await fetch(`${ferry.url}/api/trpc/auth.logout,users.delete?batch=1`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://evil.example", cookie: admin },
        body: JSON.stringify({ 0: { json: null }, 1: { json: { username: "vic" } } }),
      });
      expect(res.status).toBe(403);
      const body = await res.json();
      expect(body).toHaveLength(2);
      for (const entry of body) expect(errorCode(entry)).toBe("FORBIDDEN");
      expect(await ferry.services.db.user.findUnique({ where: { username: "vic" } })).not.toBeNull();
    });

    it("accepts this server's own Origin (as the dashboard sends) and a named non-browser client", async () => {
      const own = new URL(ferry.url).origin;
      const fromPage = await rawPost(ferry.url, "auth.login", { username: "admin", password: ferry.adminPassword }, { origin: own });
      expect(fromPage.status).toBe(200);
      const dashboard = await rawPost(ferry.url, "auth.login", { username: "admin", password: ferry.adminPassword }, { origin: own, "x-ferry-client": "ferry-web" });
      expect(dashboard.status).toBe(200);
      const cli = await rawPost(ferry.url, "auth.login", { username: "admin", password: ferry.adminPassword }, { "x-ferry-client": "ferry-cli" });
      expect(cli.status).toBe(200);
    });
  });

  describe("sessions", () => {
    it("never adopts a cookie value presented before sign-in (session fixation)", async () => {
      const planted = "attacker-chosen-session-token-0123456789";
      const res = await rawPost(ferry.url, "auth.login", { username: "admin", password: ferry.adminPassword }, { "x-ferry-client": "ferry-test", cookie: `ferry_session=${planted}` });
      expect(res.status).toBe(200);
      const issued = res.setCookie.find((c) => c.startsWith("ferry_session="))!.split(";")[0]!;
      expect(tokenOf(issued)).not.toBe(planted);
      expect(await ferry.services.db.session.findUnique({ where: { id: hashToken(planted) } })).toBeNull();
      expect((await trpcCall(ferry.url, "auth.me", "query", undefined, `ferry_session=${planted}`)).status).toBe(401);
      expect((await trpcCall(ferry.url, "auth.me", "query", undefined, issued)).status).toBe(200);
    });

    it("issues a new session at every sign-in and ends the one the browser held before", async () => {
      const first = await login(ferry.url, "vic", "vic-viewer-pw");
      const res = await rawPost(ferry.url, "auth.login", { username: "vic", password: "vic-viewer-pw" }, { "x-ferry-client": "ferry-test", cookie: first });
      expect(res.status).toBe(200);
      const second = res.setCookie.find((c) => c.startsWith("ferry_session="))!.split(";")[0]!;
      expect(tokenOf(second)).not.toBe(tokenOf(first));
      expect(await ferry.services.db.session.findUnique({ where: { id: hashToken(tokenOf(first)) } })).toBeNull();
      expect((await trpcCall(ferry.url, "auth.me", "query", undefined, first)).status).toBe(401);
      expect((await trpcCall(ferry.url, "auth.me", "query", undefined, second)).status).toBe(200);
    });

    it("ends a session on the server at sign-out: a replayed cookie gets 401 and no Socket.IO stream", async () => {
      const cookie = await login(ferry.url, "vic", "vic-viewer-pw");
      expect((await trpcCall(ferry.url, "auth.logout", "mutation", undefined, cookie)).status).toBe(200);
      expect(await ferry.services.db.session.findUnique({ where: { id: hashToken(tokenOf(cookie)) } })).toBeNull();
      expect((await trpcCall(ferry.url, "auth.me", "query", undefined, cookie)).status).toBe(401);
      const out = await openSocket(ferry.url, { cookie });
      out.socket.close();
      expect(out).toMatchObject({ connected: false, error: "unauthorized" });
    });
  });

  describe("Socket.IO", () => {
    it("refuses a connection without a session, with a forged one, or from a foreign page", async () => {
      for (const headers of [{}, { cookie: "ferry_session=forged" }, { cookie: admin, origin: "http://evil.example" }] as Record<string, string>[]) {
        const out = await openSocket(ferry.url, headers);
        out.socket.close();
        expect(out.connected, JSON.stringify(headers)).toBe(false);
      }
      const own = await openSocket(ferry.url, { cookie: admin, origin: new URL(ferry.url).origin });
      own.socket.close();
      expect(own.connected).toBe(true);
    });

    it("lets a viewer subscribe to read-only rooms and refuses every other event", async () => {
      // The events a client may send are listed once; anything beyond these two must be reviewed here.
      expect(CLIENT_EVENT_ROLES).toEqual({ subscribe: "viewer", unsubscribe: "viewer" });
      const out = await openSocket(ferry.url, { cookie: viewer });
      try {
        expect(out.connected).toBe(true);
        expect(await emitWithAck(out.socket, "subscribe", "events")).toEqual({ ok: true });
        expect(await emitWithAck(out.socket, "subscribe", "anything-else")).toMatchObject({ ok: false });
        for (const event of ["cancel", "migrate", "forceComplete", "setWanRate", "__proto__", "constructor"]) {
          expect(await emitWithAck(out.socket, event, { id: "x" }), event).toEqual({ ok: false, error: `unknown event "${event}"` });
        }
        for (const [event, role] of Object.entries(CLIENT_EVENT_ROLES)) {
          if (role === "admin") expect(await emitWithAck(out.socket, event, "events"), event).toMatchObject({ ok: false });
        }
      } finally {
        out.socket.close();
      }
    });
  });
});

describe("the login rate limit per client address", () => {
  let ferry: TestFerry;
  beforeAll(async () => {
    // 2 per user, so 8 per address: spraying 8 usernames locks the address out.
    ferry = await startTestFerry({ FERRY_LOGIN_MAX_FAILURES: "2", FERRY_LOGIN_WINDOW_S: "900" });
  });
  afterAll(async () => {
    await ferry?.close();
  });

  it("refuses even the right password with 429 once one address has failed for many users", async () => {
    for (let i = 0; i < 8; i++) {
      const res = await trpcCall(ferry.url, "auth.login", "mutation", { username: `spray-${i}`, password: "guess-123" });
      expect(res.status).toBe(401);
    }
    const res = await trpcCall(ferry.url, "auth.login", "mutation", { username: "admin", password: ferry.adminPassword });
    expect(res.status).toBe(429);
    expect(errorCode(res.body)).toBe("TOO_MANY_REQUESTS");
    expect(res.setCookie).toEqual([]);
    expect(await ferry.services.db.auditEvent.count({ where: { action: "auth.login", outcome: "denied", detail: { contains: "rate-limited" } } })).toBe(1);
  });
});
