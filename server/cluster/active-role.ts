// Starts the parts an active instance runs (controller, lab/drivers, then the orchestrator with
// its reconcile), and stops them in reverse order.
import "server-only";
import { Subsystems, type Subsystem } from "../subsystems";
import type { ActiveRole } from "./node";

export async function startActiveRole(parts: Subsystem[], orchestrate: () => Promise<() => void>, log: (line: string) => void): Promise<ActiveRole> {
  const subs = new Subsystems();
  for (const p of parts) subs.add(p);
  await subs.startAll(log);
  let stopOrchestration: () => void;
  try {
    stopOrchestration = await orchestrate();
  } catch (err) {
    await subs.stopAll(log);
    throw err;
  }
  return {
    subsystems: () => subs.list(),
    stop: async () => {
      stopOrchestration();
      await subs.stopAll(log);
    },
  };
}
