// Prisma CLI configuration. Only `prisma generate` is used from the CLI (it needs no engine
// download); migrations are created and applied offline by server/db/migrate.ts.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
