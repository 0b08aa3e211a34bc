// Prometheus metrics of one Ferry server, in a Registry of its own (not prom-client's global one,
// so several servers in one test process keep separate counts). Controller counters come from
// its event hub, migration counters and histograms from the orchestrator's published events,
// registry sizes from the database when scraped.
import "server-only";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { OpenFlowController } from "../../controller/controller";
import type { ControllerEvent } from "../../controller/events";
import type { Db } from "../db";
import type { MigrationEvent } from "../migration/orchestrator";
import type { Logger } from "../log";

/** Seconds; migrations across the lab take 1–10 s, a slow WAN minutes. */
export const TOTAL_TIME_BUCKETS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120, 300];
/** Seconds; the stop-and-copy pause is milliseconds to a few seconds. */
export const DOWNTIME_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface MetricsDeps {
  db: Db;
  /** Read when scraped: the controller may be absent (both listeners off). */
  controller: () => OpenFlowController | null;
  log?: Logger;
  /** Node.js process metrics (CPU, memory, event-loop lag); on by default. */
  processMetrics?: boolean;
}

export interface FerryMetrics {
  registry: Registry;
  /** Counts the controller's events from now on; returns the function that stops counting. */
  watchController(controller: OpenFlowController): () => void;
  /** Wraps the orchestrator's publish callback: same events through, counted on the way. */
  observeMigrations(publish: (e: MigrationEvent) => void): (e: MigrationEvent) => void;
}

type CountedType = "packet_in" | "flow_mod" | "flow_removed" | "switch_connected" | "switch_disconnected" | "error";

export function createMetrics(deps: MetricsDeps): FerryMetrics {
  const registry = new Registry();
  if (deps.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "ferry_" });
  const registers = [registry];

  new Gauge({
    name: "ferry_openflow_switches_connected",
    help: "Switches connected to the embedded OpenFlow controller and past their handshake",
    registers,
    collect() {
      const c = deps.controller();
      this.set(c ? [...c.switches.values()].filter((dp) => dp.isReady).length : 0);
    },
  });

  const controllerCounters: Record<CountedType, Counter> = {
    packet_in: new Counter({ name: "ferry_openflow_packet_in_total", help: "PACKET_IN messages received from switches", registers }),
    flow_mod: new Counter({ name: "ferry_openflow_flow_mod_total", help: "FLOW_MOD messages sent to switches", registers }),
    flow_removed: new Counter({ name: "ferry_openflow_flow_removed_total", help: "FLOW_REMOVED messages received from switches", registers }),
    switch_connected: new Counter({ name: "ferry_openflow_switch_connects_total", help: "Switch connections completed (handshake done)", registers }),
    switch_disconnected: new Counter({ name: "ferry_openflow_switch_disconnects_total", help: "Switch connections lost or closed", registers }),
    error: new Counter({ name: "ferry_openflow_errors_total", help: "OpenFlow errors (received from switches or raised by the controller)", registers }),
  };

  const started = new Counter({ name: "ferry_migrations_started_total", help: "Live migrations started", registers });
  const completed = new Counter({ name: "ferry_migrations_completed_total", help: "Live migrations completed", registers });
  const failed = new Counter({ name: "ferry_migrations_failed_total", help: "Live migrations that failed (rolled back)", registers });
  const cancelled = new Counter({ name: "ferry_migrations_cancelled_total", help: "Live migrations cancelled by a user", registers });
  const totalTime = new Histogram({
    name: "ferry_migration_total_seconds",
    help: "Total time of completed migrations, from the request to activation",
    buckets: TOTAL_TIME_BUCKETS,
    registers,
  });
  const downtime = new Histogram({
    name: "ferry_migration_downtime_seconds",
    help: "Stop-and-copy pause of completed migrations, as the hypervisor measured it",
    buckets: DOWNTIME_BUCKETS,
    registers,
  });
  const switchover = new Histogram({
    name: "ferry_migration_switchover_seconds",
    help: "From the end of pre-copy to the network following the VM (Ferry's own measure)",
    buckets: DOWNTIME_BUCKETS,
    registers,
  });

  new Gauge({
    name: "ferry_migrations_running",
    help: "Migrations the database records as running",
    registers,
    async collect() {
      this.set(await deps.db.migration.count({ where: { status: "running" } }));
    },
  });

  new Gauge({
    name: "ferry_registry_objects",
    help: "Rows in the inventory (the port registry and what it binds), by kind",
    labelNames: ["kind"],
    registers,
    async collect() {
      const { db } = deps;
      const [sites, hosts, switches, networks, subnets, ports, bindings, vms] = await Promise.all([
        db.site.count(),
        db.host.count(),
        db.switch.count(),
        db.network.count(),
        db.subnet.count(),
        db.port.count(),
        db.portBinding.count(),
        db.vm.count(),
      ]);
      const sizes = { sites, hosts, switches, networks, subnets, ports, port_bindings: bindings, vms };
      for (const [kind, n] of Object.entries(sizes)) this.set({ kind }, n);
    },
  });

  // Ids seen running, so a migration is counted as started once however many events it sends.
  const running = new Set<string>();

  async function observeFinished(id: string): Promise<void> {
    const m = await deps.db.migration.findUnique({ where: { id }, select: { totalTimeMs: true, downtimeMs: true, switchoverMs: true } });
    if (m?.totalTimeMs != null) totalTime.observe(m.totalTimeMs / 1000);
    if (m?.downtimeMs != null) downtime.observe(m.downtimeMs / 1000);
    if (m?.switchoverMs != null) switchover.observe(m.switchoverMs / 1000);
  }

  function count(e: MigrationEvent): void {
    if (e.status === "running") {
      if (!running.has(e.id)) {
        running.add(e.id);
        started.inc();
      }
      return;
    }
    running.delete(e.id);
    if (e.status === "completed") {
      completed.inc();
      observeFinished(e.id).catch((err: unknown) => deps.log?.warn({ migrationId: e.id, err }, "metrics: could not read the finished migration"));
    } else if (e.status === "failed") failed.inc();
    else if (e.status === "cancelled") cancelled.inc();
  }

  return {
    registry,
    watchController(controller) {
      return controller.events.on((e: ControllerEvent) => {
        const counter = controllerCounters[e.type as CountedType];
        if (counter) counter.inc();
      });
    },
    observeMigrations(publish) {
      return (e) => {
        try {
          count(e);
        } catch {
          // Counting must never stop the event reaching the browser.
        }
        publish(e);
      };
    },
  };
}
