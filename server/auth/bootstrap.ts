import "server-only";
import type { Db } from "../db";
import { hashPassword, randomPassword } from "./password";

/**
 * On first start (no users at all) creates `admin` with FERRY_ADMIN_PASSWORD or a random
 * password, which is returned so the caller prints it exactly once.
 */
export async function ensureFirstAdmin(
  db: Db,
  configuredPassword?: string,
): Promise<{ created: false } | { created: true; username: string; password: string; generated: boolean }> {
  if ((await db.user.count()) > 0) return { created: false };
  const password = configuredPassword ?? randomPassword();
  await db.user.create({ data: { username: "admin", role: "admin", passwordHash: await hashPassword(password) } });
  return { created: true, username: "admin", password, generated: configuredPassword === undefined };
}
