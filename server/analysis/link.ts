// How close a migration came to its link: the physical floor (bytes on the wire ÷ link rate) and
// the throughput it actually reached. Pure; used by bench/fig11 and its results page.

/** Seconds the link needs, at its nominal rate, to carry `bytes` (Mbit = 10⁶ bits). */
export function floorSeconds(bytes: number, linkMbit: number): number {
  if (!(linkMbit > 0)) throw new RangeError(`link rate must be positive, got ${linkMbit}`);
  if (!(bytes >= 0)) throw new RangeError(`byte count must be non-negative, got ${bytes}`);
  return (bytes * 8) / (linkMbit * 1e6);
}

/** Mbit/s reached when `bytes` took `seconds`; null when the time is not positive. */
export function effectiveMbit(bytes: number, seconds: number): number | null {
  if (!(seconds > 0) || !(bytes >= 0)) return null;
  return (bytes * 8) / seconds / 1e6;
}

export interface LinkUse {
  linkMbit: number;
  /** bytes ÷ link rate, s. */
  floorS: number;
  /** bytes ÷ the hypervisor's own transfer time, Mbit/s. */
  effectiveMbit: number | null;
  /** effectiveMbit ÷ linkMbit (1 = the link was full for the whole transfer). */
  utilisation: number | null;
  /**
   * Which time the throughput is over: "transfer" = QEMU's own (set-up to completion), "job" = the
   * hypervisor's whole job, for runs that recorded no transfer time.
   */
  basis: "transfer" | "job" | null;
  /** bytes ÷ the hypervisor's whole job ÷ link rate (libvirt's job also starts the destination QEMU). */
  jobUtilisation: number | null;
  /** Ferry's total time ÷ the floor (1 = nothing but the bytes on the link). */
  totalOverFloor: number | null;
}

/**
 * One migration (or one median point) against its link: `hypervisorTransferS` is the time the
 * emulator spent moving the bytes (0, NaN or absent: not recorded, and the hypervisor's job time
 * `hypervisorTotalS` stands in), `totalS` Ferry's whole migration (checks and set-up included).
 */
export function linkUse(p: { transferredBytes: number; hypervisorTotalS: number; hypervisorTransferS?: number; totalS: number }, linkMbit: number): LinkUse {
  const floorS = floorSeconds(p.transferredBytes, linkMbit);
  const transfer = (p.hypervisorTransferS ?? 0) > 0 ? p.hypervisorTransferS! : null;
  const job = effectiveMbit(p.transferredBytes, p.hypervisorTotalS);
  const eff = transfer !== null ? effectiveMbit(p.transferredBytes, transfer) : job;
  return {
    linkMbit,
    floorS,
    effectiveMbit: eff,
    utilisation: eff === null ? null : eff / linkMbit,
    basis: eff === null ? null : transfer !== null ? "transfer" : "job",
    jobUtilisation: job === null ? null : job / linkMbit,
    totalOverFloor: floorS > 0 && p.totalS > 0 ? p.totalS / floorS : null,
  };
}
