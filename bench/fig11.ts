// fig11: the paper's figure (total migration time against memory) on real lab migrations through
// Ferry, on the LAN and on limited inter-site links. See bench/README.md ("fig11").
//
//   npx tsx bench/fig11.ts [--quick] [--sizes 512,1024,…] [--repeats N] [--links lan,1000,200,100]
//                          [--wan-sizes 512,1024] [--wan-repeats N] [--drivers qmp,libvirt]
//                          [--fill-ratio 0.5] [--dirty-mbps N] [--write]
//
// Needs root (it brings up a private lab). The last line of stdout is the LAN/QMP summary JSON.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// Server modules import "server-only"; resolve it as the server process does, before they load.
const hook = pathToFileURL(path.resolve(here, "../server/runtime/server-only-hook.mjs")).href;
await import(hook);
const { main } = await import("./fig11/main");
process.exitCode = await main(process.argv.slice(2));
