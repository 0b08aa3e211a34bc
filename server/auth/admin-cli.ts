// npm run admin -- reset-password <username>   new random password, printed once; signs the user out everywhere
// npm run admin -- users                       list users and roles
import { loadEnv } from "../env";
import { openDb } from "../db";
import { deployMigrations } from "../database/migrate";
import { hashPassword, randomPassword } from "./password";
import { forgetInitialPassword } from "./bootstrap";

async function main(): Promise<void> {
  const [verb, username] = process.argv.slice(2);
  const env = loadEnv();
  await deployMigrations(env.DATABASE_URL);
  const db = await openDb(env.DATABASE_URL);
  try {
    if (verb === "users") {
      for (const u of await db.user.findMany({ orderBy: { username: "asc" } })) console.log(`${u.username}\t${u.role}`);
      return;
    }
    if (verb === "reset-password" && username) {
      const user = await db.user.findUnique({ where: { username } });
      if (!user) throw new Error(`no user "${username}"`);
      const password = randomPassword();
      await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password) } });
      await db.session.deleteMany({ where: { userId: user.id } });
      await db.auditEvent.create({ data: { userId: user.id, username: "(console)", action: "admin.resetPassword", target: username, outcome: "ok" } });
      // The first-start password file would now be wrong; this terminal is where the new one goes.
      if (username === "admin") forgetInitialPassword(env.FERRY_DATA_DIR);
      console.log(`new password for ${username}: ${password}`);
      return;
    }
    console.error("usage: npm run admin -- reset-password <username> | users");
    process.exitCode = 2;
  } finally {
    await db.$disconnect();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
