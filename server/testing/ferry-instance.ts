// Test helper: a real Ferry server (real SQLite file, real HTTP, real Socket.IO) on a free
// loopback port, without Next.js: pages answer with a plain marker so the sign-in gate is visible.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadEnv } from "../env";
import { startFerry, type RunningFerry } from "../start";
import { initialPasswordPath } from "../auth/bootstrap";

export interface TestFerry extends RunningFerry {
  dataDir: string;
  adminPassword: string;
  close(): Promise<void>;
}

/**
 * A fresh, empty PostgreSQL database on the server named by FERRY_TEST_POSTGRES_URL, dropped by
 * the returned function. Tests that accept a database URL run on it as well as on SQLite.
 */
export async function freshPostgresDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import("pg");
  const name = `ferry_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The databases integration tests run on: always SQLite, PostgreSQL too when configured. */
export const TEST_DATABASES: ("sqlite" | "postgresql")[] = process.env.FERRY_TEST_POSTGRES_URL ? ["sqlite", "postgresql"] : ["sqlite"];

export async function startTestFerry(extraEnv: Record<string, string> = {}, database: "sqlite" | "postgresql" = "sqlite"): Promise<TestFerry> {
  const pgDb = database === "postgresql" ? await freshPostgresDatabase(process.env.FERRY_TEST_POSTGRES_URL!) : null;
  if (pgDb) extraEnv = { ...extraEnv, DATABASE_URL: pgDb.url };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-test-"));
  const env = loadEnv({
    NODE_ENV: "test",
    FERRY_PORT: "0",
    FERRY_HOST: "127.0.0.1",
    FERRY_DATA_DIR: dataDir,
    FERRY_OF_TCP: "127.0.0.1:0",
    FERRY_OF_UNIX: path.join(dataDir, "openflow.sock"),
    ...extraEnv,
  });
  let ferry: RunningFerry;
  try {
    ferry = await startFerry(env, {
      pages: (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("page");
      },
      log: () => {},
    });
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await pgDb?.drop();
    throw err;
  }
  // As an operator would: the generated password is in the data directory, not in the log.
  let adminPassword = env.FERRY_ADMIN_PASSWORD;
  if (adminPassword === undefined) {
    try {
      adminPassword = fs.readFileSync(initialPasswordPath(dataDir), "utf8").trim();
    } catch (err) {
      await ferry.stop("test set-up failed");
      fs.rmSync(dataDir, { recursive: true, force: true });
      await pgDb?.drop();
      throw new Error(`no first admin password in ${dataDir} (a database with users already? pass FERRY_ADMIN_PASSWORD): ${String(err)}`);
    }
  }
  return {
    ...ferry,
    dataDir,
    adminPassword,
    close: async () => {
      await ferry.stop("test finished");
      fs.rmSync(dataDir, { recursive: true, force: true });
      await pgDb?.drop();
    },
  };
}

/** Calls a tRPC procedure over real HTTP, as the browser does (superjson-encoded input). */
export async function trpcCall(
  baseUrl: string,
  procedure: string,
  kind: "query" | "mutation",
  input?: unknown,
  cookie?: string,
): Promise<{ status: number; body: any; setCookie: string[] }> {
  const { default: superjson } = await import("superjson");
  // Not a browser: name the client, as the same-origin guard asks of every non-browser caller.
  const headers: Record<string, string> = { "content-type": "application/json", "x-ferry-client": "ferry-test" };
  if (cookie) headers.cookie = cookie;
  const encoded = input === undefined ? undefined : superjson.serialize(input);
  const res =
    kind === "query"
      ? await fetch(`${baseUrl}/api/trpc/${procedure}${encoded ? `?input=${encodeURIComponent(JSON.stringify(encoded))}` : ""}`, { headers })
      : await fetch(`${baseUrl}/api/trpc/${procedure}`, { method: "POST", headers, body: encoded ? JSON.stringify(encoded) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, setCookie: res.headers.getSetCookie() };
}

export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await trpcCall(baseUrl, "auth.login", "mutation", { username, password });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  const cookie = res.setCookie.find((c) => c.startsWith("ferry_session="));
  if (!cookie) throw new Error("login set no session cookie");
  return cookie.split(";")[0]!;
}
