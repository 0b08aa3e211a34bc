import { describe, expect, it } from "vitest";
import { lineLogger, lineSink, migrationEventLogger } from "./log";
import type { MigrationEvent } from "./migration/orchestrator";

function capture(level: "info" | "debug" | "warn" = "info") {
  const lines: Record<string, unknown>[] = [];
  const logger = lineLogger((l) => lines.push(JSON.parse(l)), level);
  return { logger, lines };
}

describe("structured log", () => {
  it("writes one JSON object per line with level name, time and context", () => {
    const { logger, lines } = capture();
    logger.child({ component: "http" }).info({ dpid: "00000000000000a1" }, "hello");
    expect(lines).toEqual([expect.objectContaining({ level: "info", service: "ferry", component: "http", dpid: "00000000000000a1", msg: "hello", time: expect.any(String) })]);
  });

  it("drops messages under the configured level", () => {
    const { logger, lines } = capture("warn");
    logger.info("quiet");
    logger.warn("loud");
    expect(lines.map((l) => l.msg)).toEqual(["loud"]);
  });

  it("never writes passwords, tokens, cookies or authorization headers", () => {
    const { logger, lines } = capture();
    logger.info({ password: "hunter22", token: "t0k", input: { password: "p", username: "alice" }, req: { headers: { cookie: "ferry_session=abc", authorization: "Bearer xyz" } } }, "login");
    const text = JSON.stringify(lines);
    for (const secret of ["hunter22", "t0k", '"p"', "ferry_session=abc", "Bearer xyz"]) expect(text).not.toContain(secret);
    expect(text).toContain("alice");
  });

  it("puts the switch or migration a line names into its context", () => {
    const { logger, lines } = capture();
    const sink = lineSink(logger);
    sink("switch 00000000000000a1 connected (OpenFlow 1.3, unix)");
    sink("migration 6f1c2b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f of vm1 failed: gone");
    expect(lines[0]).toMatchObject({ level: "info", dpid: "00000000000000a1" });
    expect(lines[1]).toMatchObject({ level: "warn", migrationId: "6f1c2b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f" });
  });

  it("logs a migration's phase changes and outcome once each, with its id, and passes every event on", () => {
    const { logger, lines } = capture();
    const passed: MigrationEvent[] = [];
    const publish = migrationEventLogger(logger, (e) => passed.push(e));
    const e = (status: MigrationEvent["status"], phase: MigrationEvent["phase"]): MigrationEvent => ({ id: "m1", status, phase, phases: [], progress: 0 });
    for (const x of [e("running", "pre-migration"), e("running", "pre-copy"), e("running", "pre-copy"), e("running", "pre-copy"), e("completed", "activation")]) publish(x);
    expect(passed).toHaveLength(5);
    expect(lines.map((l) => [l.migrationId, l.phase, l.status])).toEqual([
      ["m1", "pre-migration", "running"],
      ["m1", "pre-copy", "running"],
      ["m1", "activation", "completed"],
    ]);
  });
});
