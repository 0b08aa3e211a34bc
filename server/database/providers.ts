// Where each database provider's schema, migrations and driver adapter come from.
// schema.prisma is written for SQLite; the PostgreSQL schema is derived from it so the two
// can never drift apart (only the provider and the generated client's folder differ).
import fs from "node:fs";
import path from "node:path";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";

export type Provider = "sqlite" | "postgresql";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const SQLITE_SCHEMA_PATH = path.join(ROOT, "prisma", "schema.prisma");
export const POSTGRES_SCHEMA_PATH = path.join(ROOT, "prisma", "postgres", "schema.prisma");

export function migrationsDir(provider: Provider): string {
  return provider === "sqlite"
    ? path.join(ROOT, "prisma", "migrations")
    : path.join(ROOT, "prisma", "postgres", "migrations");
}

export function schemaPath(provider: Provider): string {
  return provider === "sqlite" ? SQLITE_SCHEMA_PATH : POSTGRES_SCHEMA_PATH;
}

/** The PostgreSQL twin of schema.prisma: same models, other provider and client output. */
export function postgresSchemaFrom(sqliteSchema: string): string {
  const out = sqliteSchema
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace(/output\s*=\s*"\.\.\/server\/generated\/sqlite"/, 'output       = "../../server/generated/postgres"');
  if (out === sqliteSchema || !out.includes('"postgresql"') || !out.includes("generated/postgres")) {
    throw new Error("schema.prisma no longer has the expected sqlite provider/output lines");
  }
  return "// GENERATED from prisma/schema.prisma by `npm run db:generate`; edit that file instead.\n" + out;
}

export function schemaText(provider: Provider): string {
  const sqlite = fs.readFileSync(SQLITE_SCHEMA_PATH, "utf8");
  return provider === "sqlite" ? sqlite : postgresSchemaFrom(sqlite);
}

export interface DatabaseTarget {
  provider: Provider;
  url: string;
  /** Absolute path of the SQLite file (sqlite only). */
  file?: string;
}

/** Parses DATABASE_URL: `file:<path>` (relative to the project root) or `postgres(ql)://…`. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: "postgresql", url };
  if (url.startsWith("file:")) {
    const rest = url.slice("file:".length).replace(/^\/\/(?=\/)/, "");
    if (!rest) throw new Error(`DATABASE_URL "${url}" names no file`);
    const file = path.isAbsolute(rest) ? rest : path.resolve(ROOT, rest);
    return { provider: "sqlite", url: `file:${file}`, file };
  }
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgres:// (PostgreSQL), got "${url}"`);
}

export async function adapterFactory(target: DatabaseTarget): Promise<SqlMigrationAwareDriverAdapterFactory> {
  if (target.provider === "sqlite") {
    fs.mkdirSync(path.dirname(target.file!), { recursive: true });
    const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");
    return new PrismaBetterSqlite3({ url: target.file! });
  }
  const { PrismaPg } = await import("@prisma/adapter-pg");
  return new PrismaPg({ connectionString: target.url });
}
