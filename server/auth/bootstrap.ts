import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { Db } from "../db";
import { hashPassword, randomPassword } from "./password";

/** Where the generated password of the first admin is kept (mode 0600), never in the log. */
export const INITIAL_PASSWORD_FILE = "initial-admin-password";

export function initialPasswordPath(dataDir: string): string {
  return path.join(dataDir, INITIAL_PASSWORD_FILE);
}

export type FirstAdmin =
  | { created: false }
  | { created: true; username: string; generated: false }
  | { created: true; username: string; generated: true; passwordFile: string };

/**
 * On first start (no users at all) creates `admin` with FERRY_ADMIN_PASSWORD or a random password.
 * A random one is written to `<data dir>/initial-admin-password`, readable by this user only, so
 * the caller can say where it is without printing it.
 */
export async function ensureFirstAdmin(db: Db, configuredPassword: string | undefined, dataDir: string): Promise<FirstAdmin> {
  if ((await db.user.count()) > 0) return { created: false };
  const password = configuredPassword ?? randomPassword();
  let passwordFile: string | null = null;
  if (configuredPassword === undefined) {
    passwordFile = initialPasswordPath(dataDir);
    writePrivateFile(passwordFile, `${password}\n`);
  }
  await db.user.create({ data: { username: "admin", role: "admin", passwordHash: await hashPassword(password) } });
  return passwordFile ? { created: true, username: "admin", generated: true, passwordFile } : { created: true, username: "admin", generated: false };
}

/** Removes the file once its password no longer holds (the admin's password was reset). */
export function forgetInitialPassword(dataDir: string): void {
  fs.rmSync(initialPasswordPath(dataDir), { force: true });
}

function writePrivateFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Removed first: `mode` applies only when the file is created, and an old file may be wider.
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, content, { mode: 0o600, flag: "wx" });
}
