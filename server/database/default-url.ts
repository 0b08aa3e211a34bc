import path from "node:path";
import { ROOT } from "./providers";

/** SQLite in the data directory unless DATABASE_URL says otherwise. */
export function defaultDatabaseUrl(dataDir = process.env.FERRY_DATA_DIR || path.join(ROOT, "data")): string {
  return `file:${path.join(dataDir, "ferry.db")}`;
}
