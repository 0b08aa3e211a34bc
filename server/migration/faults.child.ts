// A stand-in Ferry server for the fault tests: it opens the same SQLite file and drives the same
// lab hosts (their sockets and paths only; the lab itself belongs to the test) through its own
// Orchestrator, starts one migration and reports on stdout, one JSON line per event, until the
// test kills it. A killed process runs no clean-up, so whatever it leaves is what a crashed
// server leaves.
// Run with: node --import tsx --import ./server/runtime/server-only-hook.mjs faults.child.ts '<json>'
import type { OpenFlowController } from "../../controller/controller";
import { openDb } from "../db";
import type { MigrateOptions } from "../hypervisors/driver";
import { labDrivers } from "../hypervisors/lab-drivers";
import { Lab } from "../lab/lab";
import type { LabTopology } from "../lab/topology";
import { labHostNetwork } from "./lab-network";
import { Orchestrator } from "./orchestrator";

export interface FaultChildInput {
  labDir: string;
  controllerSocket: string;
  nsPrefix: string;
  topology: LabTopology;
  guestDir: string;
  databaseUrl: string;
  vmName: string;
  destHost: string;
  options: MigrateOptions;
  user: { id: string; username: string };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? "") as FaultChildInput;
  const lab = new Lab({ dir: input.labDir, controllerSocket: input.controllerSocket, nsPrefix: input.nsPrefix, topology: input.topology });
  const db = await openDb(input.databaseUrl);
  // The lab's switches stay connected to the test's controller. This process only has to pass
  // the pre-check's "switches connected" question, and is killed long before commitment; with
  // relocate off it would never ask this stand-in to steer anything.
  const controller = { switch: () => ({ isReady: true }) } as unknown as OpenFlowController;
  const orch = new Orchestrator({
    db,
    controller,
    relocate: false,
    drivers: labDrivers(lab, input.guestDir),
    hostNetwork: labHostNetwork(lab),
    publish: (e) => process.stdout.write(JSON.stringify({ id: e.id, status: e.status, phase: e.phase, sample: e.sample?.status ?? null }) + "\n"),
  });
  const { id } = await orch.start({ vmName: input.vmName, destHost: input.destHost, options: input.options, user: input.user });
  process.stdout.write(JSON.stringify({ started: id }) + "\n");
  await orch.settled(id);
  process.stdout.write(JSON.stringify({ settled: id }) + "\n");
  await db.$disconnect();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
