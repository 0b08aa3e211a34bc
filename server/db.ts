// The single access point to the database. SQLite through better-sqlite3 by default,
// PostgreSQL through pg when DATABASE_URL is a postgres URL. Both clients are generated from the
// same models (see server/database/providers.ts), so the SQLite client's type stands for both.
import "server-only";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client";
import { adapterFactory, parseDatabaseUrl } from "./database/providers";

export type Db = SqliteClient;

export async function openDb(databaseUrl: string): Promise<Db> {
  const target = parseDatabaseUrl(databaseUrl);
  const adapter = await adapterFactory(target);
  if (target.provider === "sqlite") {
    const db = new SqliteClient({ adapter });
    // Write-ahead logging: a commit is one append instead of a rewritten journal and page set,
    // which is most of what a migration's bookkeeping costs (it writes at every phase change).
    // NORMAL is durable in WAL mode against a process crash; only power loss can undo the last commits.
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
    return db;
  }
  const mod = (await import("./generated/postgres/client")) as unknown as { PrismaClient: typeof SqliteClient };
  return new mod.PrismaClient({ adapter });
}
