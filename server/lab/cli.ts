// npm run lab -- up [--two-by-two] | down | status [--json] | wan <mbit|off>
// Uses the same data directory and controller socket as the server (FERRY_DATA_DIR, FERRY_OF_UNIX);
// the bridges connect to Ferry's controller whenever the server is running.
import path from "node:path";
import { loadEnv } from "../env";
import { Lab } from "./lab";
import { labText } from "./status-text";
import { DEFAULT_TOPOLOGY, TWO_BY_TWO } from "./topology";

async function main(): Promise<void> {
  const [verb, arg] = process.argv.slice(2);
  const env = loadEnv();
  const lab = new Lab({
    dir: path.join(env.FERRY_DATA_DIR, "lab"),
    controllerSocket: env.FERRY_OF_UNIX,
    nsPrefix: env.FERRY_LAB_NS_PREFIX,
    topology: process.argv.includes("--two-by-two") ? TWO_BY_TWO : DEFAULT_TOPOLOGY,
    log: (l) => console.log(l),
  });
  switch (verb) {
    case "up": {
      const s = await lab.up();
      print(s);
      return;
    }
    case "down":
      await lab.down();
      console.log("lab is down");
      return;
    case "status": {
      const s = await lab.status();
      if (process.argv.includes("--json")) console.log(JSON.stringify(s, null, 2));
      else print(s);
      process.exitCode = s.up ? 0 : 3;
      return;
    }
    case "wan": {
      const rate = arg === "off" ? null : Number(arg);
      if (rate !== null && !Number.isFinite(rate)) throw new Error("usage: lab wan <mbit|off>");
      await lab.setWanRate(rate);
      console.log(rate === null ? "inter-site link unlimited" : `inter-site link limited to ${rate} Mbit/s`);
      return;
    }
    default:
      console.error("usage: npm run lab -- up [--two-by-two] | down | status [--json] | wan <mbit|off>");
      process.exitCode = 2;
  }
}

function print(s: Awaited<ReturnType<Lab["status"]>>): void {
  console.log(labText(s));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
