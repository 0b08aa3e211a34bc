// Migration-faults benchmark: the destination's QEMU is killed during pre-copy, again and again;
// every time the migration must fail in plain words and the VM keep serving at the source.
// See bench/README.md ("Migration faults").
//
//   npx tsx bench/migration-faults.ts [--runs 10] [--quick]
//
// Needs root (it brings up a private lab). The last line of stdout is the summary JSON.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// Server modules import "server-only"; resolve it as the server process does, before they load.
const hook = pathToFileURL(path.resolve(here, "../server/runtime/server-only-hook.mjs")).href;
await import(hook);
const { main } = await import("./migration-faults/main");
process.exitCode = await main(process.argv.slice(2));
