// One Ferry server process configured from its environment, without Next.js (pages answer with
// a plain marker), for tests that need several real instances. Prints one JSON line
// {"ferryListening": url} once it serves HTTP; SIGTERM stops it cleanly, SIGKILL is a crash.
// Run with: node --import tsx --import ./server/runtime/server-only-hook.mjs instance.child.ts
import { loadEnv } from "../../env";
import { startFerry } from "../../start";

async function main(): Promise<void> {
  const env = loadEnv();
  const ferry = await startFerry(env, {
    pages: (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("page");
    },
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ ferryListening: ferry.url })}\n`);
  const shutdown = () => {
    ferry.stop("SIGTERM").then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
