// One interface for every hypervisor backend (libvirt for KVM/QEMU and Xen, QEMU's QMP directly).
// The migration orchestrator sees only this; each backend maps it to its own API and says in its
// capabilities what it can report.

export type HypervisorKind = "qemu" | "kvm" | "xen" | "test";

export interface HostFacts {
  name: string;
  /** Backend that answered: "libvirt" or "qmp". */
  driver: "libvirt" | "qmp";
  hypervisor: HypervisorKind;
  hypervisorVersion: string;
  cpus: number;
  memoryTotalMiB: number;
  /** Memory not reserved by running VMs (what a new or incoming VM may take). */
  memoryFreeMiB: number;
  /** Directories this host can read VM disks/kernels from (shared storage). */
  storagePaths: string[];
}

export type VmState = "running" | "paused" | "shutoff" | "crashed" | "incoming" | "migrating" | "unknown";

export interface VmInfo {
  uuid: string;
  name: string;
  state: VmState;
  vcpus: number;
  memoryMiB: number;
  macs: string[];
  /** Kernel/initrd/disk paths the VM needs on whichever host runs it. */
  diskPaths: string[];
  host: string;
}

/** What is needed to define a VM (direct kernel boot from shared storage, one NIC on br-int). */
export interface VmDefinition {
  name: string;
  uuid?: string;
  memoryMiB: number;
  vcpus: number;
  kernel: string;
  initrd: string;
  cmdline: string;
  mac: string;
  /** Neutron port id, set as the OVS interface's iface-id. */
  portId?: string;
  /** Serial console log (on shared storage so it follows the VM). */
  consoleLog: string;
}

export interface MigrateOptions {
  /** MiB/s; undefined = unlimited. */
  maxBandwidthMiBps?: number;
  /** Longest acceptable pause at stop-and-copy, ms. */
  downtimeLimitMs?: number;
  autoConverge?: boolean;
  /** Switch to post-copy if the backend supports it and pre-copy does not converge. */
  postCopy?: boolean;
}

/** One progress sample of a running migration (fields a backend cannot report are undefined). */
export interface MigrationProgress {
  at: number;
  status: "setup" | "active" | "pre-switchover" | "device" | "postcopy-active" | "completed" | "failed" | "cancelled";
  /** Pre-copy round (QMP dirty-sync-count / libvirt iteration). */
  pass?: number;
  transferredBytes?: number;
  remainingBytes?: number;
  totalBytes?: number;
  dirtyPagesRate?: number;
  /** Bytes per second over the last interval. */
  throughputBps?: number;
  expectedDowntimeMs?: number;
  setupTimeMs?: number;
}

export interface MigrationResult {
  /** Pause at stop-and-copy as the hypervisor measured it. */
  downtimeMs?: number;
  /** The hypervisor's own figure for its migration job. */
  totalTimeMs: number;
  /**
   * Wall time of the hypervisor's own migrate command from start to exit, where the driver runs
   * one (libvirt: `virsh migrate`, its set-up and finish included).
   */
  commandWallMs?: number;
  /**
   * The emulator's own transfer time: QEMU's migration from its set-up to completion (QMP: its
   * total-time; libvirt: its MIGRATION events at the source). Excludes what a driver does around
   * the transfer, such as libvirt starting the destination QEMU inside its job. Unknown for Xen.
   */
  transferMs?: number;
  transferredBytes?: number;
  passes?: number;
}

/**
 * The two moments of the switch-over, as the hypervisors report them: the source paused for
 * stop-and-copy, and the destination running the VM. Their difference is the pause the guest
 * really lived through (QEMU's own downtime figure stops at the source's last byte).
 */
export interface SwitchoverEvent {
  event: "source-paused" | "destination-running";
  /** Date.now() when the event reached Ferry. */
  at: number;
}

/** A running migration: progress events until it settles. */
export interface MigrationHandle {
  onProgress(listener: (p: MigrationProgress) => void): void;
  /**
   * Switch-over events, each at most once, as soon as the backend reports them — before `done`,
   * which waits for the hand-over's bookkeeping. "source-paused" only for the migration's own
   * pause (not a forceComplete() suspend). A backend without such events reports nothing.
   */
  onSwitchover(listener: (e: SwitchoverEvent) => void): void;
  /** Resolves when the VM runs at the destination; rejects (typed) if the migration failed or was cancelled. */
  done: Promise<MigrationResult>;
  cancel(): Promise<void>;
  /** Finish now: switch to post-copy if supported, else pause the source so the last round completes. */
  forceComplete(): Promise<void>;
}

export interface IncomingReservation {
  /** Where the source must send the stream (backend-specific URI). */
  uri: string;
  /** Releases the reservation if the migration never happened. */
  release(): Promise<void>;
}

export interface MigrationTarget {
  driver: HypervisorDriver;
  incoming: IncomingReservation;
  /** The VM as the caller read it a moment ago (spares the backend a re-read before it starts). */
  vm?: VmInfo;
}

export interface HypervisorDriver {
  readonly kind: "libvirt" | "qmp";
  facts(): Promise<HostFacts>;
  listVms(): Promise<VmInfo[]>;
  getVm(name: string): Promise<VmInfo>;
  /** What the VM was defined with (the reservation on another host needs it). */
  definition(name: string): Promise<VmDefinition>;
  define(def: VmDefinition): Promise<VmInfo>;
  start(name: string): Promise<void>;
  shutdown(name: string): Promise<void>;
  destroy(name: string): Promise<void>;
  undefine(name: string): Promise<void>;
  /** Reservation phase: a paused VM with the same definition waiting for the stream. */
  prepareIncoming(vm: VmInfo, def: VmDefinition): Promise<IncomingReservation>;
  /** Starts a live migration to the destination reserved by its prepareIncoming. */
  migrate(name: string, target: MigrationTarget, options?: MigrateOptions): Promise<MigrationHandle>;
  /** RARP / gratuitous ARP from the VM's current location so switches learn where it is. */
  announce(name: string): Promise<void>;
  /**
   * Ends a migration of `name` still running in the hypervisor that no handle of this process
   * owns (one an earlier, dead server started): aborts it and waits, bounded, until the hypervisor
   * has settled it either way. Resolves false when there was none. Optional: backends whose
   * migrations die with the process that drove them have nothing to end.
   */
  abortStrayMigration?(name: string): Promise<boolean>;
  close(): Promise<void>;
}

export type HypervisorErrorCode =
  | "UNKNOWN_VM"
  | "SAME_HOST"
  | "NOT_ENOUGH_MEMORY"
  | "STORAGE_NOT_SHARED"
  | "INCOMPATIBLE_HYPERVISOR"
  | "BACKEND_UNREACHABLE"
  | "MIGRATION_FAILED"
  | "MIGRATION_CANCELLED"
  | "UNSUPPORTED";

export class HypervisorError extends Error {
  constructor(
    readonly code: HypervisorErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = "HypervisorError";
  }
}
