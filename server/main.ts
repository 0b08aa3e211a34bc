// The Ferry server: dashboard (Next.js), tRPC, Socket.IO and the embedded subsystems in one
// process on one port. Start: `npm start` (after `npm run build`). Stop: SIGINT or SIGTERM.
process.env.NEXT_TELEMETRY_DISABLED = "1";

import next from "next";
import { loadEnv } from "./env";
import { ROOT } from "./database/providers";
import { startFerry } from "./start";
import { logger } from "./log";

async function main(): Promise<void> {
  const env = loadEnv();
  logger.level = env.FERRY_LOG_LEVEL;
  const dev = env.FERRY_NEXT_DEV ?? env.NODE_ENV !== "production";
  const app = next({ dev, dir: ROOT, hostname: env.FERRY_HOST, port: env.FERRY_PORT });
  await app.prepare();
  const handle = app.getRequestHandler();

  const ferry = await startFerry(env, { pages: (req, res) => handle(req, res) });
  // Scripts find the URL with /Ferry is listening on (http:\/\/\S+)/: keep a space after it.
  logger.info({ url: ferry.url, build: dev ? "development" : "production" }, `Ferry is listening on ${ferry.url} (${dev ? "development" : "production"} build)`);

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, `${signal} again: exiting now`);
      process.exit(1);
    }
    logger.info({ signal }, `${signal}: shutting down`);
    const watchdog = setTimeout(() => {
      logger.error("shutdown took longer than 20 s; exiting");
      process.exit(1);
    }, 20_000);
    watchdog.unref();
    ferry
      .stop(signal)
      .then(() => app.close?.())
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((err) => {
        logger.error({ err }, `shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      });
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err) => {
  logger.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
