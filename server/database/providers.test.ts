import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, postgresSchemaFrom, ROOT } from "./providers";

describe("DATABASE_URL", () => {
  it("resolves relative SQLite paths against the project root", () => {
    expect(parseDatabaseUrl("file:./data/x.db")).toEqual({ provider: "sqlite", url: `file:${path.join(ROOT, "data/x.db")}`, file: path.join(ROOT, "data/x.db") });
    expect(parseDatabaseUrl("file:/var/lib/ferry/f.db").file).toBe("/var/lib/ferry/f.db");
  });

  it("recognises PostgreSQL URLs", () => {
    expect(parseDatabaseUrl("postgresql://u:p@localhost/ferry").provider).toBe("postgresql");
    expect(parseDatabaseUrl("postgres://localhost/ferry").provider).toBe("postgresql");
  });

  it("refuses anything else with a message saying what is accepted", () => {
    expect(() => parseDatabaseUrl("mysql://x")).toThrow(/file: \(SQLite\) or postgres:\/\//);
    expect(() => parseDatabaseUrl("file:")).toThrow(/names no file/);
  });

  it("derives the PostgreSQL schema by changing only provider and output", () => {
    const src = 'generator client {\n  provider = "prisma-client"\n  output       = "../server/generated/sqlite"\n}\ndatasource db {\n  provider = "sqlite"\n}\nmodel A { id Int @id }\n';
    const pg = postgresSchemaFrom(src);
    expect(pg).toContain('provider = "postgresql"');
    expect(pg).toContain("../../server/generated/postgres");
    expect(pg).toContain("model A { id Int @id }");
    expect(() => postgresSchemaFrom("datasource db { provider = \"mysql\" }")).toThrow();
  });
});
