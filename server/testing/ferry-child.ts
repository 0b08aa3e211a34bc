// A real Ferry server in its own process, configured only by its environment (as main.ts is) but
// without Next.js: pages answer with a plain marker. Tests that must see everything a server
// writes to stdout/stderr, or every socket one process listens on, spawn this.
// On start it prints one line: `ferry-child ready {"url":…,"openflow":[…]}`; SIGTERM stops it.
// Run with: node --import tsx --import ./server/runtime/server-only-hook.mjs server/testing/ferry-child.ts
import { loadEnv } from "../env";
import { startFerry } from "../start";

async function main(): Promise<void> {
  const ferry = await startFerry(loadEnv(), {
    pages: (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("page");
    },
  });
  console.log(`ferry-child ready ${JSON.stringify({ url: ferry.url, openflow: ferry.services.controller?.targets() ?? [] })}`);
  const stop = () => {
    ferry.stop("SIGTERM").then(
      () => {
        console.log("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
