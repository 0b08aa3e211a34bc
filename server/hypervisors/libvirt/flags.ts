// What `virsh migrate` is asked to do, per hypervisor family. Pure, so the Xen rules (no Xen
// here) are covered by unit tests.
import { HypervisorError, type MigrateOptions } from "../driver";

export type MigrationFamily = "qemu" | "xen" | "test";

export interface MigrationPlan {
  /** virsh commands (without -c URI) to run on the source before migrating. */
  before: string[][];
  /** `virsh migrate …` arguments (without -c URI). */
  migrate: string[];
  /** Whether domjobinfo gives byte counts (QEMU) or only a status (libxl). */
  detailedProgress: boolean;
  postCopy: boolean;
}

/** Bounds that keep a typo from turning into an absurd libvirt call. */
const MAX_BANDWIDTH_MIBPS = 1_000_000;
const MAX_DOWNTIME_MS = 600_000;

export function buildMigrationPlan(family: MigrationFamily, name: string, destUri: string, options: MigrateOptions = {}): MigrationPlan {
  if (family === "test") throw new HypervisorError("UNSUPPORTED", "libvirt's test driver cannot migrate domains");
  if (!destUri) throw new HypervisorError("MIGRATION_FAILED", "the destination reservation has no migration URI");
  const { maxBandwidthMiBps: bw, downtimeLimitMs: dt } = options;
  if (bw !== undefined && !(Number.isInteger(bw) && bw > 0 && bw <= MAX_BANDWIDTH_MIBPS)) {
    throw new HypervisorError("UNSUPPORTED", `maxBandwidthMiBps must be an integer in 1..${MAX_BANDWIDTH_MIBPS}, got ${String(bw)}`);
  }
  if (dt !== undefined && !(Number.isInteger(dt) && dt > 0 && dt <= MAX_DOWNTIME_MS)) {
    throw new HypervisorError("UNSUPPORTED", `downtimeLimitMs must be an integer in 1..${MAX_DOWNTIME_MS}, got ${String(dt)}`);
  }
  // Live, peer-to-peer (the source daemon drives the destination itself), persistent at the
  // destination and undefined at the source: the VM moves, it is not copied.
  const base = ["migrate", "--live", "--p2p", "--persistent", "--undefinesource"];

  if (family === "xen") {
    // libxl accepts only LIVE, PEER2PEER, TUNNELLED, PERSIST_DEST, UNDEFINE_SOURCE and PAUSED.
    const refused: string[] = [];
    if (bw !== undefined) refused.push("a bandwidth limit");
    if (dt !== undefined) refused.push("a downtime limit");
    if (options.autoConverge) refused.push("auto-converge");
    if (options.postCopy) refused.push("post-copy");
    if (refused.length) {
      throw new HypervisorError("UNSUPPORTED", `libvirt's Xen (libxl) driver cannot honour ${refused.join(", ")}; migrate without ${refused.length > 1 ? "them" : "it"}`);
    }
    return { before: [], migrate: [...base, name, destUri], detailedProgress: false, postCopy: false };
  }

  const before: string[][] = [];
  if (bw !== undefined) before.push(["migrate-setspeed", name, String(bw)]);
  if (dt !== undefined) before.push(["migrate-setmaxdowntime", name, String(dt)]);
  const flags = [...base];
  if (options.autoConverge) flags.push("--auto-converge");
  // --postcopy only enables it; the switch happens on forceComplete (virsh migrate-postcopy).
  if (options.postCopy) flags.push("--postcopy");
  return { before, migrate: [...flags, name, destUri], detailedProgress: true, postCopy: Boolean(options.postCopy) };
}
