// The migration-faults benchmark proper (entry point: bench/migration-faults.ts).
// One private lab (namespaces ferry-mft<pid%1000>-*), one VM at site A; per run: a migration to
// site B at a low rate, the incoming QEMU SIGKILLed at the first pre-copy sample, then checks:
// migration "failed" with the reason, the VM answering HTTP from site A with the same boot id and
// a higher request counter, nothing left at the destination, the registry still at the source.
import fs from "node:fs";
import { nsRun } from "../../server/lab/sh";
import { DEFAULT_TOPOLOGY, type LabTopology } from "../../server/lab/topology";
import { registerLabVms } from "../../server/inventory/lab-sync";
import { labHostNetwork } from "../../server/migration/lab-network";
import { Orchestrator, type MigrationEvent } from "../../server/migration/orchestrator";
import { BENCH_USER, Cleanups, cleanupOnSignals, sleep, startLabBench, withTimeout } from "../lib/lab-bench";
import { qemuPidsIn } from "../../server/testing/qemu-pids";

const log = (line: string) => process.stderr.write(`migration-faults: ${line}\n`);

interface RunResult {
  run: number;
  killedPid: number | null;
  status: string;
  error: string | null;
  keptServing: boolean;
  sameBoot: boolean;
  leftAtDestination: number;
  registryAtSource: boolean;
  settleMs: number;
}


export async function main(argv: string[]): Promise<number> {
  let runs = 10;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--quick") runs = 2;
    else if (argv[i] === "--runs") runs = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error("--runs must be 1..100");
  if (process.getuid?.() !== 0) throw new Error("needs root (network namespaces, Open vSwitch, QEMU)");

  const tag = `mft${process.pid % 1000}`;
  const vmName = `${tag}-vm`;
  const topology: LabTopology = { ...DEFAULT_TOPOLOGY, vms: [{ name: vmName, host: "host-a1", memoryMiB: 256 }] };
  const cleanups = new Cleanups(log);
  const signals = cleanupOnSignals(cleanups, log);
  const started = Date.now();
  try {
    const b = await startLabBench({ tag, topology, cleanups, log });
    await registerLabVms(b.db, b.lab.plan);
    const vm = b.lab.plan.vms[0]!;
    const clientA = b.lab.plan.clients.find((c) => c.site === "a")!;
    const destNs = b.lab.plan.hosts.find((h) => h.name === "host-b1")!.ns;
    const http = async () => JSON.parse(await nsRun(clientA.ns, "curl", ["-sS", "--max-time", "5", `http://${vm.ip}/`], { timeoutMs: 10_000 })) as { boot_id: string; requests: number };
    const events: MigrationEvent[] = [];
    const orch = new Orchestrator({ db: b.db, controller: b.controller, drivers: b.drivers, hostNetwork: labHostNetwork(b.lab), publish: (e) => events.push(e), log });
    const first = await http();
    const results: RunResult[] = [];
    for (let k = 1; k <= runs; k++) {
      const before = await http();
      const t0 = Date.now();
      const { id } = await orch.start({ vmName, destHost: "host-b1", options: { maxBandwidthMiBps: 1 }, user: BENCH_USER });
      // Bounded: the first pre-copy sample comes within seconds.
      const deadline = Date.now() + 60_000;
      while (!events.some((e) => e.id === id && e.sample?.status === "active") && Date.now() < deadline) await sleep(100);
      const [pid] = qemuPidsIn(destNs, vmName);
      if (pid !== undefined) process.kill(pid, "SIGKILL");
      await withTimeout(orch.settled(id), 180_000, `run ${k}`);
      const settleMs = Date.now() - t0;
      const m = await b.db.migration.findUniqueOrThrow({ where: { id } });
      const after = await http().catch(() => null);
      const atDest = (await b.drivers.get("host-b1")!.listVms()).filter((v) => v.name === vmName).length;
      const row = await b.db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
      const r: RunResult = {
        run: k,
        killedPid: pid ?? null,
        status: m.status,
        error: m.error,
        keptServing: after !== null && after.requests > before.requests,
        sameBoot: after?.boot_id === first.boot_id,
        leftAtDestination: atDest,
        registryAtSource: row.host?.name === "host-a1" && row.state === "running",
        settleMs,
      };
      results.push(r);
      process.stdout.write(JSON.stringify(r) + "\n");
      log(`run ${k}/${runs}: ${r.status}, serving ${r.keptServing}, same boot ${r.sameBoot}, left at destination ${r.leftAtDestination}`);
    }
    const ok = (r: RunResult) => r.killedPid !== null && r.status === "failed" && r.keptServing && r.sameBoot && r.leftAtDestination === 0 && r.registryAtSource;
    process.stdout.write(
      JSON.stringify({
        bench: "migration-faults",
        fault: "destination QEMU SIGKILL during pre-copy",
        runs,
        failed_cleanly: results.filter((r) => r.status === "failed").length,
        kept_serving: results.filter((r) => r.keptServing && r.sameBoot).length,
        left_at_destination: results.reduce((n, r) => n + r.leftAtDestination, 0),
        all_ok: results.every(ok),
        settle_ms_runs: results.map((r) => r.settleMs),
        elapsed_s: Math.round((Date.now() - started) / 1000),
      }) + "\n",
    );
    return results.every(ok) ? 0 : 1;
  } catch (err) {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    if (!signals.signalled()) await cleanups.run();
    signals.dispose();
  }
}
