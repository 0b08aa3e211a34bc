// Brings one Ferry server up and down: database (migrated), first admin, subsystems, HTTP.
// main.ts calls it with Next.js as the page handler; tests call it without Next.
import "server-only";
import type { AddressInfo } from "node:net";
import type { Env } from "./env";
import { openDb } from "./db";
import { deployMigrations } from "./database/migrate";
import { ensureFirstAdmin } from "./auth/bootstrap";
import { purgeExpiredSessions } from "./auth/sessions";
import { createServices, type Services } from "./services";
import { createFerryHttp, type PageHandler } from "./http/server";
import type { Subsystem } from "./subsystems";
import { createControllerSubsystem } from "./openflow/subsystem";
import { createLabSubsystem } from "./lab/subsystem";
import { streamControllerEvents } from "./realtime/controller-stream";
import { Orchestrator } from "./migration/orchestrator";
import { labHostNetwork } from "./migration/lab-network";
import { lineLogger, lineSink, logger as rootLogger, migrationEventLogger, type Logger } from "./log";
import { createMetrics } from "./metrics/metrics";
import { ClusterNode } from "./cluster/node";
import { startActiveRole } from "./cluster/active-role";
import { adoptingLab } from "./cluster/lab-adoption";
import { createHostsFileSubsystem, hostsFileNetwork, readHostsFile, readTls } from "./hypervisors/hosts-file";

export interface RunningFerry {
  services: Services;
  url: string;
  port: number;
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  pages: PageHandler;
  subsystems?: Subsystem[];
  /** Where the JSON log lines go instead of stdout (tests keep or drop them). */
  log?: (line: string) => void;
  /** A logger of the caller's own; wins over `log`. */
  logger?: Logger;
  /** With FERRY_REDIS_URL: the active lease was lost (default: the process exits, see server/cluster/node.ts). */
  onLeaseLost?: (reason: string) => void;
}

export async function startFerry(env: Env, opts: StartOptions): Promise<RunningFerry> {
  if (!opts.logger && !opts.log) rootLogger.level = env.FERRY_LOG_LEVEL;
  const logger = opts.logger ?? (opts.log ? lineLogger(opts.log, env.FERRY_LOG_LEVEL) : rootLogger);
  const log = lineSink(logger.child({ component: "server" }));
  const applied = await deployMigrations(env.DATABASE_URL);
  if (applied.length) log(`database: applied ${applied.length} migration(s)`);
  const db = await openDb(env.DATABASE_URL);

  const admin = await ensureFirstAdmin(db, env.FERRY_ADMIN_PASSWORD, env.FERRY_DATA_DIR);
  if (admin.created) {
    // The password itself never goes to the log.
    log(
      admin.generated
        ? `first start: created user "${admin.username}"; its password is in ${admin.passwordFile} (readable by this user only; "npm run admin -- reset-password admin" sets a new one)`
        : `first start: created user "${admin.username}" with the password from FERRY_ADMIN_PASSWORD`,
    );
  }
  await purgeExpiredSessions(db);

  const services = createServices(env, db);
  if (env.FERRY_LAB && env.FERRY_OF_UNIX === "off") throw new Error("FERRY_LAB needs the controller's UNIX socket (FERRY_OF_UNIX must not be off)");
  // Real hosts: read and checked now, so a mistake in the file stops the start with its place.
  const hostsFile = env.FERRY_HOSTS_FILE ? readHostsFile(env.FERRY_HOSTS_FILE) : null;
  const hostsNetwork = hostsFile ? hostsFileNetwork(hostsFile, readTls(hostsFile)) : null;
  // The controller and the hosts' drivers (the lab's): with FERRY_REDIS_URL only the instance
  // holding the active lease runs them (server/cluster/node.ts); without it, this one always does.
  const activeParts = (clustered: boolean): Subsystem[] => {
    const parts: Subsystem[] = [];
    if (env.FERRY_OF_TCP !== "off" || env.FERRY_OF_UNIX !== "off" || env.FERRY_OF_TLS) {
      const { controller, subsystem } = createControllerSubsystem(env, logger);
      services.controller = controller;
      parts.push(subsystem);
    }
    if (env.FERRY_LAB) {
      const { lab, subsystem } = createLabSubsystem(env, db, services.hypervisors, logger);
      services.lab = lab;
      parts.push(clustered ? adoptingLab(lab, subsystem, db, services.hypervisors, lineSink(logger.child({ component: "lab" }))) : subsystem);
    }
    if (hostsFile) parts.push(createHostsFileSubsystem(hostsFile, db, services.hypervisors, lineSink(logger.child({ component: "hosts" }))));
    return parts;
  };
  const cluster = env.FERRY_REDIS_URL
    ? await ClusterNode.connect(
        { redisUrl: env.FERRY_REDIS_URL, prefix: env.FERRY_CLUSTER, leaseTtlMs: env.FERRY_LEASE_TTL_MS, forwardTimeoutMs: env.FERRY_FORWARD_TIMEOUT_MS },
        lineSink(logger.child({ component: "cluster" })),
      ).catch(async (err) => {
        await db.$disconnect();
        throw err;
      })
    : null;
  services.cluster = cluster;
  if (!cluster) for (const part of activeParts(false)) services.subsystems.add(part);
  for (const sub of opts.subsystems ?? []) services.subsystems.add(sub);
  const metrics = createMetrics({ db, controller: () => services.controller, log: logger });
  // Counting starts before the switches connect, so their first events are counted too.
  const stopCounting = services.controller ? metrics.watchController(services.controller) : () => {};
  try {
    await services.subsystems.startAll(log);
  } catch (err) {
    stopCounting();
    await cluster?.stop();
    await db.$disconnect();
    throw err;
  }

  const { server, io } = createFerryHttp(services, opts.pages, { logger, metrics: metrics.registry });
  if (cluster) io.adapter(cluster.adapter());
  // The event stream and the orchestrator need Socket.IO; the orchestrator settles what a previous
  // run (or a crashed active instance) left unfinished before it takes new migrations.
  const orchestrate = async (): Promise<() => void> => {
    const stopStreaming = services.controller ? streamControllerEvents(services.controller, io) : () => {};
    services.migrations = new Orchestrator({
      db,
      controller: services.controller,
      drivers: services.hypervisors,
      hostNetwork: services.lab ? labHostNetwork(services.lab) : (hostsNetwork ?? (() => null)),
      linkMbit: () => services.lab?.wanRateMbit() ?? null,
      publish: metrics.observeMigrations(
        migrationEventLogger(logger.child({ component: "migration" }), (e) => {
          io.to(`migration:${e.id}`).emit("migration", e);
          io.emit("migrationsChanged", { id: e.id, status: e.status, phase: e.phase });
        }),
      ),
      log: lineSink(logger.child({ component: "migration" })),
    });
    const reconciled = await services.migrations.reconcile();
    if (reconciled) log(`migrations: settled ${reconciled} migration(s) left unfinished by the last run`);
    return () => {
      stopStreaming();
      services.migrations = null;
    };
  };
  const stopOrchestration = cluster ? () => {} : await orchestrate();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.FERRY_PORT, env.FERRY_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = env.FERRY_HOST.includes(":") ? `[${env.FERRY_HOST}]` : env.FERRY_HOST;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  await cluster?.start({
    url,
    activate: async () => {
      const parts = activeParts(true);
      const stopWatching = services.controller ? metrics.watchController(services.controller) : () => {};
      const role = await startActiveRole(parts, orchestrate, log).catch((err: unknown) => {
        stopWatching();
        services.controller = null;
        services.lab = null;
        throw err;
      });
      return {
        subsystems: role.subsystems,
        stop: async () => {
          await role.stop();
          stopWatching();
          services.controller = null;
          services.lab = null;
        },
      };
    },
    migrations: () => services.migrations,
    onLost: opts.onLeaseLost,
  }).catch(async (err: unknown) => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await cluster.stop();
    await db.$disconnect();
    throw err;
  });

  let stopping: Promise<void> | null = null;
  const stop = (reason = "shutdown") =>
    (stopping ??= (async () => {
      stopOrchestration();
      stopCounting();
      // Local only: with the Redis adapter a plain emit would reach the other instances' clients.
      io.local.emit("shutdown", { reason });
      // Stop taking requests, drop Socket.IO clients, close idle keep-alive connections.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      io.local.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(forced);
      // The active parts, then the lease (so a standby takes over at once), then Redis.
      await cluster?.stop();
      await services.subsystems.stopAll(log);
      await db.$disconnect();
    })());

  return { services, url, port, stop };
}
