// The SQLite database Ferry opens: write-ahead logging, so that the bookkeeping of a migration
// (a commit per phase change, per sample) costs an append rather than a journal rewrite each time.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { deployMigrations } from "./database/migrate";
import { openDb } from "./db";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-db-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("openDb on SQLite", () => {
  it("opens the file in WAL mode with synchronous NORMAL, and what it commits is there for another connection", async () => {
    const file = path.join(dir, "ferry.db");
    const url = `file:${file}`;
    await deployMigrations(url);
    const db = await openDb(url);
    try {
      expect(await db.$queryRawUnsafe("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
      // 1 = NORMAL (2 = FULL, SQLite's default).
      expect(await db.$queryRawUnsafe("PRAGMA synchronous")).toEqual([{ synchronous: 1n }]);
      await db.user.create({ data: { username: "wal-check", passwordHash: "x" } });
      expect(fs.existsSync(`${file}-wal`)).toBe(true);
      const other = new Database(file, { readonly: true });
      try {
        expect(other.prepare("SELECT username FROM User WHERE username = ?").get("wal-check")).toEqual({ username: "wal-check" });
      } finally {
        other.close();
      }
    } finally {
      await db.$disconnect();
    }
  });
});
