// The packet-in storm (a test double) in a process of its own, as a real switch would be: it
// connects to the controller's UNIX socket, says {"connected":true} on stdout, waits for a line on
// stdin, runs the storm and prints its result as one JSON line, then exits.
// Run with: node --import tsx packet-in-storm.child.ts '{"path":…,"dpid":…,"ratePerSecond":…,"count":…}'
import readline from "node:readline";
import { PacketInStorm, type StormOptions } from "./packet-in-storm";

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? "") as StormOptions & { path: string };
  const storm = await PacketInStorm.connect({ path: input.path }, input);
  process.stdout.write(`${JSON.stringify({ connected: true })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once("line", () => resolve()));
  lines.close();
  const result = await storm.run();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  storm.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
