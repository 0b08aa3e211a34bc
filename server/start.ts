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

export interface RunningFerry {
  services: Services;
  url: string;
  port: number;
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  pages: PageHandler;
  subsystems?: Subsystem[];
  log?: (line: string) => void;
}

export async function startFerry(env: Env, opts: StartOptions): Promise<RunningFerry> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const applied = await deployMigrations(env.DATABASE_URL);
  if (applied.length) log(`database: applied ${applied.length} migration(s)`);
  const db = await openDb(env.DATABASE_URL);

  const admin = await ensureFirstAdmin(db, env.FERRY_ADMIN_PASSWORD);
  if (admin.created) {
    log(
      admin.generated
        ? `first start: created user "${admin.username}" with password: ${admin.password}\n  (shown once; "npm run admin -- reset-password admin" sets a new one)`
        : `first start: created user "${admin.username}" with the password from FERRY_ADMIN_PASSWORD`,
    );
  }
  await purgeExpiredSessions(db);

  const services = createServices(env, db);
  if (env.FERRY_OF_TCP !== "off" || env.FERRY_OF_UNIX !== "off") {
    const { controller, subsystem } = createControllerSubsystem(env, log);
    services.controller = controller;
    services.subsystems.add(subsystem);
  }
  if (env.FERRY_LAB) {
    if (env.FERRY_OF_UNIX === "off") throw new Error("FERRY_LAB needs the controller's UNIX socket (FERRY_OF_UNIX must not be off)");
    const { lab, subsystem } = createLabSubsystem(env, db, services.hypervisors, log);
    services.lab = lab;
    services.subsystems.add(subsystem);
  }
  for (const sub of opts.subsystems ?? []) services.subsystems.add(sub);
  try {
    await services.subsystems.startAll(log);
  } catch (err) {
    await db.$disconnect();
    throw err;
  }

  const { server, io } = createFerryHttp(services, opts.pages);
  const stopStreaming = services.controller ? streamControllerEvents(services.controller, io) : () => {};
  services.migrations = new Orchestrator({
    db,
    controller: services.controller,
    drivers: services.hypervisors,
    hostNetwork: services.lab ? labHostNetwork(services.lab) : () => null,
    publish: (e) => {
      io.to(`migration:${e.id}`).emit("migration", e);
      io.emit("migrationsChanged", { id: e.id, status: e.status, phase: e.phase });
    },
    log,
  });
  const reconciled = await services.migrations.reconcile();
  if (reconciled) log(`migrations: settled ${reconciled} migration(s) left unfinished by the last run`);
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

  let stopping: Promise<void> | null = null;
  const stop = (reason = "shutdown") =>
    (stopping ??= (async () => {
      stopStreaming();
      io.emit("shutdown", { reason });
      // Stop taking requests, drop Socket.IO clients, close idle keep-alive connections.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(forced);
      await services.subsystems.stopAll(log);
      await db.$disconnect();
    })());

  return { services, url, port, stop };
}
