// npm run db:migrate                      apply pending migrations to DATABASE_URL
// npm run db:new-migration -- <name>      write a SQLite migration for schema.prisma's changes
//   (PostgreSQL too when FERRY_SCRATCH_POSTGRES_URL names an empty scratch database)
import { createMigration, deployMigrations } from "./migrate";
import { defaultDatabaseUrl } from "./default-url";

async function main(): Promise<void> {
  const [verb, name] = process.argv.slice(2);
  if (verb === "deploy") {
    const url = process.env.DATABASE_URL || defaultDatabaseUrl();
    const applied = await deployMigrations(url);
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "database is up to date");
    return;
  }
  if (verb === "new" && name) {
    const sqlite = await createMigration("sqlite", name);
    console.log(sqlite ? `wrote ${sqlite}` : "schema.prisma matches the SQLite migrations; nothing to write");
    const scratch = process.env.FERRY_SCRATCH_POSTGRES_URL;
    if (scratch) {
      const pg = await createMigration("postgresql", name, scratch);
      console.log(pg ? `wrote ${pg}` : "schema.prisma matches the PostgreSQL migrations; nothing to write");
    } else {
      console.log("FERRY_SCRATCH_POSTGRES_URL not set: PostgreSQL migration not written");
    }
    return;
  }
  console.error("usage: migrate-cli.ts deploy | new <name>");
  process.exit(2);
}

main().catch((err) => {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
