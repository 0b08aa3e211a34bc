// The server's structured log: one JSON object per line on stdout (pino), level from
// FERRY_LOG_LEVEL. Context travels in child loggers ({ component }, { dpid }, { migrationId }) so
// a log shipper can filter one switch or one migration without parsing message text.
import "server-only";
import pino, { type DestinationStream, type Logger } from "pino";
import type { MigrationEvent } from "./migration/orchestrator";

export type { Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose values never reach the log, wherever they appear in the logged object. */
const REDACT = [
  "password",
  "token",
  "cookie",
  "authorization",
  "*.password",
  "*.token",
  "*.cookie",
  "*.authorization",
  "req.headers.cookie",
  "req.headers.authorization",
];

export function createLogger(level: LogLevel = "info", dest?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "ferry" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" instead of 30: readable without a pino-aware viewer.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: "[redacted]" },
    },
    // Synchronous: the last lines before process.exit() (shutdown, fatal errors) must not be lost.
    dest ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The process-wide logger; main.ts sets its level from the environment before anything logs. */
export const logger: Logger = createLogger();

/** A logger whose JSON lines go to `sink` (tests pass a function that keeps or drops them). */
export function lineLogger(sink: (line: string) => void, level: LogLevel = "info"): Logger {
  return createLogger(level, { write: (chunk: string) => sink(chunk.replace(/\n$/, "")) });
}

export function forDpid(log: Logger, dpid: string): Logger {
  return log.child({ dpid });
}

export function forMigration(log: Logger, migrationId: string): Logger {
  return log.child({ migrationId });
}

const DPID_IN_LINE = /\bswitch ([0-9a-f]{16})\b/;
const MIGRATION_IN_LINE = /\bmigration ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/;

/**
 * Adapts a logger to the `(line) => void` callbacks the controller, lab and orchestrator take.
 * A switch's dpid or a migration's id named in the line goes into the context as well.
 */
export function lineSink(log: Logger, level: "info" | "warn" = "info"): (line: string) => void {
  return (line) => {
    const dpid = DPID_IN_LINE.exec(line)?.[1];
    const migrationId = MIGRATION_IN_LINE.exec(line)?.[1];
    const ctx = { ...(dpid ? { dpid } : {}), ...(migrationId ? { migrationId } : {}) };
    const failed = /\b(failed|error|refused|timed out)\b/i.test(line);
    log[failed ? "warn" : level](ctx, line);
  };
}

/**
 * Wraps a migration event callback: each phase change and the outcome are logged once, with the
 * migration's id in the context (progress samples are not logged, they arrive many times a second).
 */
export function migrationEventLogger(log: Logger, publish: (e: MigrationEvent) => void): (e: MigrationEvent) => void {
  const last = new Map<string, string>();
  return (e) => {
    const state = `${e.status}/${e.phase}`;
    if (last.get(e.id) !== state) {
      const child = forMigration(log, e.id);
      if (e.status === "running") {
        last.set(e.id, state);
        child.info({ phase: e.phase, status: e.status }, `migration ${e.id}: ${e.phase}`);
      } else {
        last.delete(e.id);
        child[e.status === "completed" ? "info" : "warn"]({ phase: e.phase, status: e.status, error: e.error ?? undefined }, `migration ${e.id} ${e.status}${e.error ? `: ${e.error}` : ""}`);
      }
    }
    publish(e);
  };
}
