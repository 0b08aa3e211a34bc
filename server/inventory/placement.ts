// Where a new instance may run: every known host with its free memory and whether the instance
// fits there, and the automatic pick (the up host with the most free memory that fits).
import "server-only";
import type { Db } from "../db";
import type { HypervisorDriver } from "../hypervisors/driver";
import { isUnder } from "./images";

export interface PlacementHost {
  name: string;
  site: string;
  status: string;
  /** Free memory minus the host reserve, or null when the host did not answer. */
  freeMiB: number | null;
  fits: boolean;
  /** Why it does not fit (or what it offers when it does). */
  reason: string;
}

export interface PlacementRequest {
  memoryMiB: number;
  /** Only hosts of this site (automatic placement "at site A"). */
  site?: string;
  /** Image files the host must see on its storage. */
  files?: string[];
}

export interface PlacementDeps {
  db: Db;
  drivers: Map<string, HypervisorDriver>;
  /** Memory each host keeps for itself (Nova's reserved_host_memory_mb). */
  reservedMiB: number;
}

// A busy lab host (guests booting under TCG) can take seconds to answer a handful of virsh calls.
const FACTS_BOUND_MS = 10_000;

export async function placementCandidates(deps: PlacementDeps, req: PlacementRequest): Promise<{ hosts: PlacementHost[]; best: string | null }> {
  const rows = await deps.db.host.findMany({ include: { site: true }, orderBy: [{ site: { name: "asc" } }, { name: "asc" }] });
  const hosts = await Promise.all(
    rows.map(async (h): Promise<PlacementHost> => {
      const base = { name: h.name, site: h.site.name, status: h.status };
      if (req.site && h.site.name !== req.site) return { ...base, freeMiB: null, fits: false, reason: `not at site ${req.site.toUpperCase()}` };
      const driver = deps.drivers.get(h.name);
      if (!driver) return { ...base, freeMiB: null, fits: false, reason: `no hypervisor driver for ${h.name} (is its host down?)` };
      if (h.status !== "up") return { ...base, freeMiB: null, fits: false, reason: `${h.name} is ${h.status}` };
      const facts = await Promise.race([driver.facts().catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), FACTS_BOUND_MS))]);
      if (!facts) return { ...base, freeMiB: null, fits: false, reason: `${h.name} did not report its free memory` };
      const freeMiB = Math.max(0, facts.memoryFreeMiB - deps.reservedMiB);
      const unseen = (req.files ?? []).filter((f) => facts.storagePaths.length > 0 && !facts.storagePaths.some((root) => isUnder(f, root)));
      if (unseen.length) return { ...base, freeMiB, fits: false, reason: `${h.name} does not see ${unseen.join(", ")} on its storage` };
      if (freeMiB < req.memoryMiB) return { ...base, freeMiB, fits: false, reason: `${h.name} has ${freeMiB} MiB free, the instance needs ${req.memoryMiB} MiB` };
      return { ...base, freeMiB, fits: true, reason: `${freeMiB} MiB free` };
    }),
  );
  const best = hosts.filter((h) => h.fits).sort((a, b) => (b.freeMiB ?? 0) - (a.freeMiB ?? 0))[0]?.name ?? null;
  return { hosts, best };
}
