import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { EventHub } from "../../controller/events";
import type { OpenFlowController } from "../../controller/controller";
import type { Db } from "../db";
import type { MigrationEvent } from "../migration/orchestrator";
import { createMetrics } from "./metrics";
import { isLoopback, metricsRefusal } from "./http";

/** Test double: the few Prisma calls the metrics make, answering from fixed rows. */
function dbDouble(finished: Record<string, { totalTimeMs: number; downtimeMs: number; switchoverMs: number }>) {
  const count = (n: number) => ({ count: async () => n });
  return {
    site: count(2),
    host: count(2),
    switch: count(4),
    network: count(1),
    subnet: count(1),
    port: count(4),
    portBinding: count(2),
    vm: count(2),
    migration: {
      count: async () => 0,
      findUnique: async ({ where }: { where: { id: string } }) => finished[where.id] ?? null,
    },
  } as unknown as Db;
}

/** Test double: a controller with a real event hub and two switches, one past its handshake. */
function controllerDouble(): OpenFlowController {
  return { events: new EventHub(16), switches: new Map([["a", { isReady: true }], ["b", { isReady: false }]]) } as unknown as OpenFlowController;
}

function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

const event = (id: string, status: MigrationEvent["status"], phase: MigrationEvent["phase"] = "pre-copy"): MigrationEvent => ({ id, status, phase, phases: [], progress: 0 });

describe("Ferry metrics", () => {
  it("counts the controller's events, switches and registry sizes, in its own registry", async () => {
    const controller = controllerDouble();
    const m = createMetrics({ db: dbDouble({}), controller: () => controller, processMetrics: false });
    const other = createMetrics({ db: dbDouble({}), controller: () => null, processMetrics: false });
    const stop = m.watchController(controller);
    const at = Date.now();
    for (let i = 0; i < 3; i++) controller.events.emit({ type: "packet_in", at, dpid: "a", in_port: 1, reason: 0, eth_src: "", eth_dst: "", eth_type: 0x800, length: 60 });
    controller.events.emit({ type: "flow_mod", at, dpid: "a", command: "add", priority: 100, cookie: 1n, summary: "" });
    controller.events.emit({ type: "flow_removed", at, dpid: "a", reason: 0, priority: 100, cookie: 1n, packets: 1n, bytes: 60n, summary: "" });
    stop();
    controller.events.emit({ type: "packet_in", at, dpid: "a", in_port: 1, reason: 0, eth_src: "", eth_dst: "", eth_type: 0x800, length: 60 });

    const text = await m.registry.metrics();
    expect(value(text, "ferry_openflow_packet_in_total")).toBe(3);
    expect(value(text, "ferry_openflow_flow_mod_total")).toBe(1);
    expect(value(text, "ferry_openflow_flow_removed_total")).toBe(1);
    expect(value(text, "ferry_openflow_switches_connected")).toBe(1);
    expect(value(text, 'ferry_registry_objects{kind="ports"}')).toBe(4);
    expect(value(text, 'ferry_registry_objects{kind="vms"}')).toBe(2);
    // A second registry counted nothing.
    const otherText = await other.registry.metrics();
    expect(value(otherText, "ferry_openflow_packet_in_total")).toBe(0);
    expect(value(otherText, "ferry_openflow_switches_connected")).toBe(0);
  });

  it("counts each migration once as started and once by outcome, and observes total time and downtime", async () => {
    const m = createMetrics({ db: dbDouble({ m1: { totalTimeMs: 4200, downtimeMs: 12, switchoverMs: 90 } }), controller: () => null, processMetrics: false });
    const seen: MigrationEvent[] = [];
    const publish = m.observeMigrations((e) => seen.push(e));
    for (const e of [event("m1", "running", "pre-migration"), event("m1", "running"), event("m1", "running"), event("m1", "completed", "activation"), event("m2", "running"), event("m2", "failed"), event("m3", "running"), event("m3", "cancelled")]) publish(e);
    expect(seen).toHaveLength(8);
    // The completed migration's figures are read from the database after its event.
    await new Promise((r) => setTimeout(r, 10));
    const text = await m.registry.metrics();
    expect(value(text, "ferry_migrations_started_total")).toBe(3);
    expect(value(text, "ferry_migrations_completed_total")).toBe(1);
    expect(value(text, "ferry_migrations_failed_total")).toBe(1);
    expect(value(text, "ferry_migrations_cancelled_total")).toBe(1);
    expect(value(text, "ferry_migration_total_seconds_count")).toBe(1);
    expect(value(text, "ferry_migration_total_seconds_sum")).toBeCloseTo(4.2);
    expect(value(text, 'ferry_migration_total_seconds_bucket{le="5"}')).toBe(1);
    expect(value(text, 'ferry_migration_total_seconds_bucket{le="3"}')).toBe(0);
    expect(value(text, "ferry_migration_downtime_seconds_sum")).toBeCloseTo(0.012);
    expect(value(text, 'ferry_migration_downtime_seconds_bucket{le="0.01"}')).toBe(0);
    expect(value(text, 'ferry_migration_downtime_seconds_bucket{le="0.025"}')).toBe(1);
  });
});

describe("/metrics protection", () => {
  const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

  it("without a token answers loopback peers only, and not through a proxy", () => {
    expect(["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"].every(isLoopback)).toBe(true);
    expect(["10.0.0.1", "::ffff:10.0.0.1", "", "1::1"].some(isLoopback)).toBe(false);
    expect(metricsRefusal(req("127.0.0.1"), undefined)).toBeNull();
    expect(metricsRefusal(req("10.1.2.3"), undefined)).toMatchObject({ status: 403 });
    expect(metricsRefusal(req("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }), undefined)).toMatchObject({ status: 403 });
  });

  it("with a token wants exactly that Bearer token, from anywhere", () => {
    const token = "0123456789abcdef-secret";
    expect(metricsRefusal(req("10.1.2.3", { authorization: `Bearer ${token}` }), token)).toBeNull();
    expect(metricsRefusal(req("127.0.0.1"), token)).toMatchObject({ status: 401 });
    expect(metricsRefusal(req("127.0.0.1", { authorization: `Bearer ${token}x` }), token)).toMatchObject({ status: 401 });
    expect(metricsRefusal(req("127.0.0.1", { authorization: `Basic ${token}` }), token)).toMatchObject({ status: 401 });
  });
});
