// npm run db:generate: writes the PostgreSQL twin of schema.prisma and generates both clients.
// PRISMA_SCHEMA_ENGINE_BINARY points at any existing file so the CLI does not try to download
// an engine that `generate` never uses.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { POSTGRES_SCHEMA_PATH, ROOT, SQLITE_SCHEMA_PATH, schemaText } from "./providers";

fs.mkdirSync(path.dirname(POSTGRES_SCHEMA_PATH), { recursive: true });
fs.writeFileSync(POSTGRES_SCHEMA_PATH, schemaText("postgresql"));
const prisma = path.join(ROOT, "node_modules", ".bin", "prisma");
for (const schema of [SQLITE_SCHEMA_PATH, POSTGRES_SCHEMA_PATH]) {
  execFileSync(prisma, ["generate", "--schema", schema], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
  });
}
