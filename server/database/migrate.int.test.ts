// Proves the committed migrations build exactly the database schema.prisma describes, on a real
// SQLite file, using Prisma's own schema engine (WASM) to introspect and diff.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { deployMigrations, diffDatabaseToSchema, lastMigratedSchemaPath, pendingPostgresChange, readMigrations } from "./migrate";
import { freshPostgresDatabase } from "../testing/ferry-instance";
import { POSTGRES_SCHEMA_PATH, postgresSchemaFrom, SQLITE_SCHEMA_PATH } from "./providers";

const dirs: string[] = [];
function scratchDb(): { url: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-migrate-test-"));
  dirs.push(dir);
  const file = path.join(dir, "test.db");
  return { url: `file:${file}`, file };
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("database migrations", () => {
  it("applies every committed migration to an empty database and leaves nothing to diff against schema.prisma", async () => {
    const { url, file } = scratchDb();
    const applied = await deployMigrations(url);
    expect(applied.length).toBe(readMigrations("sqlite").migrationDirectories.length);
    expect(applied.length).toBeGreaterThan(0);
    expect(await diffDatabaseToSchema(url)).toBe("");

    const db = new Database(file, { readonly: true });
    const recorded = db.prepare(`SELECT migration_name, finished_at FROM _prisma_migrations`).all() as { finished_at: unknown }[];
    db.close();
    expect(recorded).toHaveLength(applied.length);
    expect(recorded.every((r) => r.finished_at !== null)).toBe(true);
  });

  it("is idempotent: a second deploy applies nothing", async () => {
    const { url } = scratchDb();
    await deployMigrations(url);
    expect(await deployMigrations(url)).toEqual([]);
  });

  it("waits for another process's write lock on the SQLite file instead of failing the start", async () => {
    const { url, file } = scratchDb();
    // Another process (a running instance) holds the write lock for holdMs, then lets go.
    const holdLock = (holdMs: number) =>
      new Promise<ChildProcess>((resolve, reject) => {
        const script = `const D=require("better-sqlite3");const d=new D(process.argv[1]);d.exec("BEGIN IMMEDIATE");process.stdout.write("locked\\n");setTimeout(()=>{d.exec("COMMIT");d.close()},Number(process.argv[2]))`;
        const child = spawn(process.execPath, ["-e", script, file, String(holdMs)], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
        child.stdout!.once("data", () => resolve(child));
        child.once("error", reject);
      });
    const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)));

    // Without waiting, the lock is an error (better-sqlite3 gives up after its own 5 s).
    let holder = await holdLock(6_000);
    await expect(deployMigrations(url, { lockedRetryMs: 0 })).rejects.toThrow(/another process keeps it locked .*\d+ migration\(s\) pending/);
    await exited(holder);

    holder = await holdLock(6_000);
    const applied = await deployMigrations(url);
    await exited(holder);
    expect(applied.length).toBe(readMigrations("sqlite").migrationDirectories.length);
    expect(await diffDatabaseToSchema(url)).toBe("");
  }, 60_000);

  it("starts beside a running server that holds the database open in WAL mode: nothing pending, nothing to lock", async () => {
    const { url, file } = scratchDb();
    await deployMigrations(url);
    // A running server's connection (server/db.ts opens SQLite in WAL mode), idle but open.
    const script = `const D=require("better-sqlite3");const d=new D(process.argv[1]);d.pragma("journal_mode = WAL");d.prepare("SELECT count(*) FROM _prisma_migrations").get();process.stdout.write("open\\n");setTimeout(()=>d.close(),30000)`;
    const server = spawn(process.execPath, ["-e", script, file], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise((resolve, reject) => (server.stdout!.once("data", resolve), server.once("error", reject)));
      // The schema engine itself cannot open it now (it asks for exclusive locking), so a deploy
      // that went to it would fail after better-sqlite3's 5 s wait.
      expect(await deployMigrations(url, { lockedRetryMs: 0 })).toEqual([]);
    } finally {
      server.kill();
    }
  });

  it("detects a database that drifted from schema.prisma (the check can fail)", async () => {
    const { url, file } = scratchDb();
    await deployMigrations(url);
    const db = new Database(file);
    db.exec(`ALTER TABLE "User" ADD COLUMN "nickname" TEXT`);
    db.exec(`DROP INDEX "AuditEvent_action_idx"`);
    db.close();
    const diff = await diffDatabaseToSchema(url);
    // SQLite drops a column by rebuilding the table.
    expect(diff).toMatch(/CREATE TABLE "new_User"/);
    expect(diff).toMatch(/AuditEvent_action_idx/);
  });

  it("keeps the committed PostgreSQL schema identical to the one derived from schema.prisma", () => {
    const derived = postgresSchemaFrom(fs.readFileSync(SQLITE_SCHEMA_PATH, "utf8"));
    expect(fs.readFileSync(POSTGRES_SCHEMA_PATH, "utf8")).toBe(derived);
    expect(derived).toContain('provider = "postgresql"');
  });
});

const pgUrl = process.env.FERRY_TEST_POSTGRES_URL;
describe.skipIf(!pgUrl)("PostgreSQL migrations", () => {
  it("cover schema.prisma: the PostgreSQL schema as of the last migration equals the current one", async () => {
    process.env.FERRY_SCRATCH_POSTGRES_URL = pgUrl;
    expect(fs.readFileSync(lastMigratedSchemaPath(), "utf8")).toBe(fs.readFileSync(POSTGRES_SCHEMA_PATH, "utf8"));
    expect(await pendingPostgresChange()).toBe("");
  });

  it("apply to an empty PostgreSQL database, once, creating every model's table", async () => {
    const db = await freshPostgresDatabase(pgUrl!);
    try {
      const applied = await deployMigrations(db.url);
      expect(applied).toEqual(readMigrations("postgresql").migrationDirectories.map((d) => path.basename(d.path)));
      expect(await deployMigrations(db.url)).toEqual([]);
      const { default: pg } = await import("pg");
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const tables = (await c.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).rows.map((r) => r.table_name);
      await c.end();
      const models = [...fs.readFileSync(SQLITE_SCHEMA_PATH, "utf8").matchAll(/^model (\w+) /gm)].map((m) => m[1]);
      expect(tables).toEqual([...models, "_prisma_migrations"].sort());
    } finally {
      await db.drop();
    }
  });
});
