// Proves the committed migrations build exactly the database schema.prisma describes, on a real
// SQLite file, using Prisma's own schema engine (WASM) to introspect and diff.
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
