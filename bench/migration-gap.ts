// Migration-gap benchmark: how long a site-A client loses a VM during a live migration, with
// Ferry's relocation at commitment and with plain MAC learning, plus Ferry's overhead over the
// hypervisor layer. See bench/README.md ("Migration gap").
//
//   npx tsx bench/migration-gap.ts [--quick] [--runs N] [--pair libvirt|qmp]
//                                  [--interval-ms 10] [--timeout-ms 300]
//
// Needs root (it brings up a private lab). The last line of stdout is the summary JSON.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// Server modules import "server-only"; resolve it as the server process does, before they load.
const hook = pathToFileURL(path.resolve(here, "../server/runtime/server-only-hook.mjs")).href;
await import(hook);
const { main } = await import("./migration-gap/main");
process.exitCode = await main(process.argv.slice(2));
