// One Ferry instance in a deployment of several (FERRY_REDIS_URL set). Every instance serves the
// dashboard, tRPC reads and Socket.IO; Socket.IO's Redis adapter carries every emit to the
// clients of every instance. One lease for the whole deployment picks the *active* instance:
// only it runs the OpenFlow controller, the hypervisor drivers (and the lab) and the migration
// orchestrator, because a migration touches two hosts and every switch at once. The others
// forward migration control to it over Redis. Losing the lease ends the process (see onLost).
import "server-only";
import os from "node:os";
import { randomBytes } from "node:crypto";
import { createAdapter } from "@socket.io/redis-adapter";
import { Lease, type LeaseHolder } from "./lease";
import { ActiveInstanceUnavailableError, Forwarder, type WireError } from "./forward";
import { closeRedis, connectRedis, type RedisClient } from "./redis";
import { MigrationConflictError, PrecheckFailedError, type Orchestrator } from "../migration/orchestrator";
import type { SubsystemStatus } from "../subsystems";

/** What the migrations API needs from whoever runs migrations: the orchestrator itself, or a forwarder to it. */
export type MigrationControl = Pick<Orchestrator, "precheck" | "start" | "cancel" | "forceComplete">;

export interface ClusterConfig {
  redisUrl: string;
  /** Prefix of every Redis key and channel (one deployment per prefix). */
  prefix: string;
  leaseTtlMs: number;
  forwardTimeoutMs: number;
  instance?: string;
}

/** The parts only the active instance runs, started when it takes the lease. */
export interface ActiveRole {
  subsystems(): SubsystemStatus[];
  stop(): Promise<void>;
}

export type Role = "standby" | "activating" | "active" | "stopping";

export interface ClusterStatus {
  instance: string;
  role: Role;
  /** The lease holder as last seen (null: nobody). */
  active: LeaseHolder | null;
  /** The active parts' subsystems on this instance (empty unless active). */
  subsystems: SubsystemStatus[];
}

export interface ClusterStartOptions {
  url: string;
  /** Starts the controller, drivers and orchestrator; rejects if they cannot start. */
  activate: () => Promise<ActiveRole>;
  /** The migrations of this instance once active. */
  migrations: () => MigrationControl | null;
  /**
   * The lease is gone while this instance was active. The default ends the process: its
   * orchestrator may be mid-migration and must not write anything once another instance can
   * have taken over (the new holder's reconcile settles that migration).
   */
  onLost?: (reason: string) => void;
}

export function newInstanceId(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export class ClusterNode {
  readonly instance: string;
  private lease: Lease | null = null;
  private forwarder: Forwarder | null = null;
  private role: Role = "standby";
  private active: ActiveRole | null = null;
  private activating: Promise<void> | null = null;
  private startOpts: ClusterStartOptions | null = null;
  private stopped = false;

  private constructor(
    private readonly config: ClusterConfig,
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly rpcSub: RedisClient,
    private readonly log: (line: string) => void,
  ) {
    this.instance = config.instance ?? newInstanceId();
  }

  static async connect(config: ClusterConfig, log: (line: string) => void): Promise<ClusterNode> {
    const pub = await connectRedis(config.redisUrl, "ferry-pub", log);
    const sub = await connectRedis(config.redisUrl, "ferry-sub", log).catch(async (e) => {
      await closeRedis(pub);
      throw e;
    });
    const rpcSub = await connectRedis(config.redisUrl, "ferry-rpc", log).catch(async (e) => {
      await Promise.all([closeRedis(pub), closeRedis(sub)]);
      throw e;
    });
    return new ClusterNode(config, pub, sub, rpcSub, log);
  }

  /** Socket.IO's Redis adapter: an emit on any instance reaches the clients of all of them. */
  adapter(): ReturnType<typeof createAdapter> {
    return createAdapter(this.pub, this.sub, { key: `${this.config.prefix}:socket.io` });
  }

  /** Serves forwarded requests and campaigns for the lease (call once the HTTP server listens). */
  async start(opts: ClusterStartOptions): Promise<void> {
    this.startOpts = opts;
    this.forwarder = new Forwarder({
      pub: this.pub,
      sub: this.rpcSub,
      prefix: this.config.prefix,
      instance: this.instance,
      timeoutMs: this.config.forwardTimeoutMs,
      serving: () => (this.role === "active" && opts.migrations() ? null : `instance ${this.instance} is not the active instance any more (${this.role})`),
      handlers: migrationHandlers(() => opts.migrations()!),
      toWire,
      fromWire,
      log: this.log,
    });
    await this.forwarder.start();
    this.lease = new Lease({
      redis: this.pub,
      key: `${this.config.prefix}:lease:active`,
      ttlMs: this.config.leaseTtlMs,
      self: { instance: this.instance, url: opts.url },
      onAcquired: () => void this.promote(),
      onLost: (reason) => this.lost(reason),
      log: this.log,
    });
    await this.lease.start();
  }

  status(): ClusterStatus {
    return { instance: this.instance, role: this.role, active: this.lease?.holder ?? null, subsystems: this.active?.subsystems() ?? [] };
  }

  /** Migration control for the API: local when this instance is active, forwarded otherwise. */
  migrations(): MigrationControl {
    const local = this.role === "active" ? this.startOpts?.migrations() : null;
    if (local) return local;
    const call = async (method: string, args: unknown[]) => {
      const holder = await this.lease?.current().catch((e: Error) => {
        throw new ActiveInstanceUnavailableError(`cannot find the active instance: ${e.message}`);
      });
      if (!holder) throw new ActiveInstanceUnavailableError(`no Ferry instance is active at the moment; one takes over within ${this.config.leaseTtlMs} ms of the last one's end`);
      if (holder.instance === this.instance) throw new ActiveInstanceUnavailableError("this instance is taking over as the active instance; try again in a moment");
      return this.forwarder!.call(holder, method, args);
    };
    return {
      precheck: (vmName, destHost) => call("migrations.precheck", [vmName, destHost]) as ReturnType<MigrationControl["precheck"]>,
      start: (input) => call("migrations.start", [input]) as ReturnType<MigrationControl["start"]>,
      cancel: async (id) => void (await call("migrations.cancel", [id])),
      forceComplete: async (id) => void (await call("migrations.forceComplete", [id])),
    };
  }

  /** Stops the active parts (if any), gives the lease back and closes the Redis connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.role = "stopping";
    await this.activating?.catch(() => {});
    // The parts stop before the lease goes, so the next holder never meets them still running.
    await this.active?.stop().catch((e: Error) => this.log(`cluster: stopping the active parts failed: ${e.message}`));
    this.active = null;
    await this.lease?.stop();
    await this.forwarder?.stop();
    await Promise.all([closeRedis(this.rpcSub), closeRedis(this.sub), closeRedis(this.pub)]);
  }

  private promote(): Promise<void> {
    if (this.stopped || !this.startOpts) return Promise.resolve();
    this.role = "activating";
    this.log(`cluster: instance ${this.instance} took the active lease; starting the controller, drivers and migrations`);
    const started = Date.now();
    this.activating = this.startOpts.activate().then(
      (role) => {
        this.active = role;
        if (this.stopped) return;
        this.role = "active";
        this.log(`cluster: instance ${this.instance} is active (${Date.now() - started} ms to start its parts)`);
      },
      async (err: unknown) => {
        this.log(`cluster: the active parts failed to start (${err instanceof Error ? err.message : String(err)}); giving the lease back`);
        this.role = "standby";
        await this.lease?.stop();
        // Another instance may do better; this one tries again after a full TTL.
        if (!this.stopped) setTimeout(() => void (this.stopped ? null : this.lease?.start()), this.config.leaseTtlMs).unref();
      },
    );
    return this.activating;
  }

  private lost(reason: string): void {
    this.log(`cluster: instance ${this.instance} lost the active lease: ${reason}`);
    if (this.stopped) return;
    (this.startOpts?.onLost ?? exitOnLoss)(reason);
  }
}

function exitOnLoss(reason: string): void {
  // Synchronous and immediate, as a crash: nothing this process would still write is safe.
  process.stderr.write(`ferry: lost the active lease (${reason}); exiting so a supervisor restarts this instance as a standby\n`);
  process.exit(75);
}

function migrationHandlers(m: () => MigrationControl) {
  return {
    "migrations.precheck": (vmName: string, destHost: string) => m().precheck(vmName, destHost),
    "migrations.start": (input: Parameters<MigrationControl["start"]>[0]) => m().start(input),
    "migrations.cancel": (id: string) => m().cancel(id),
    "migrations.forceComplete": (id: string) => m().forceComplete(id),
  };
}

function toWire(err: unknown): WireError {
  if (err instanceof PrecheckFailedError) return { name: "PrecheckFailedError", message: err.message, data: err.checks };
  if (err instanceof MigrationConflictError) return { name: "MigrationConflictError", message: err.message };
  return { name: "Error", message: err instanceof Error ? err.message : String(err) };
}

function fromWire(err: WireError): Error {
  if (err.name === "PrecheckFailedError" && Array.isArray(err.data)) return new PrecheckFailedError(err.data as PrecheckFailedError["checks"]);
  if (err.name === "MigrationConflictError") return new MigrationConflictError(err.message);
  return new Error(err.message);
}
