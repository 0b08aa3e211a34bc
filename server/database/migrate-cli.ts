// npm run db:migrate                      apply pending migrations to DATABASE_URL
// npm run db:new-migration -- <name>      write SQLite and PostgreSQL migrations for schema.prisma's changes
//   (the PostgreSQL diff needs a reachable server, FERRY_SCRATCH_POSTGRES_URL; nothing is written to it)
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
    for (const provider of ["sqlite", "postgresql"] as const) {
      const folder = await createMigration(provider, name);
      console.log(folder ? `wrote ${folder}` : `schema.prisma matches the ${provider} migrations; nothing to write`);
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
