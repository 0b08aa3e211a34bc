// The only place configuration is read. Every value is checked here, once, at start-up, so a
// typo in the environment stops the server with a message instead of misbehaving later.
import "server-only";
import path from "node:path";
import { z } from "zod";
import { defaultDatabaseUrl } from "./database/default-url";
import { ROOT } from "./database/providers";

const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Port of the one HTTP server (dashboard, tRPC, Socket.IO). */
  FERRY_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address the HTTP server binds to; loopback by default so nothing is exposed by accident. */
  FERRY_HOST: z.string().min(1).default("127.0.0.1"),
  /** Directory for the SQLite database and runtime files. */
  FERRY_DATA_DIR: z.string().min(1).default(path.join(ROOT, "data")),
  /** `file:<path>` (SQLite) or `postgres://…`; default: SQLite in FERRY_DATA_DIR. */
  DATABASE_URL: z.string().optional(),
  /** Password for the first `admin` user; random (and printed once) when unset. */
  FERRY_ADMIN_PASSWORD: z.string().min(8, "FERRY_ADMIN_PASSWORD must have at least 8 characters").optional(),
  /** Session lifetime in hours. */
  FERRY_SESSION_HOURS: z.coerce.number().positive().max(24 * 30).default(12),
  /** Set the Secure flag on the session cookie (turn on behind HTTPS). */
  FERRY_COOKIE_SECURE: bool.default(false),
  /** Failed logins allowed per user (and ×4 per IP) in FERRY_LOGIN_WINDOW_S before refusing. */
  FERRY_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  FERRY_LOGIN_WINDOW_S: z.coerce.number().int().min(1).default(900),
  /** OpenFlow listener on TCP, "host:port" (OVS `set-controller tcp:host:port`), or "off". */
  FERRY_OF_TCP: z
    .string()
    .regex(/^(off|[^\s:]+:\d{1,5}|\[[0-9a-f:]+\]:\d{1,5})$/i, 'FERRY_OF_TCP must be "host:port" or "off"')
    .default("127.0.0.1:6653"),
  /** OpenFlow listener on a UNIX socket (reaches OVS in other network namespaces); "off" to disable. */
  FERRY_OF_UNIX: z.string().optional(),
  /** TLS for OpenFlow: listen on "host:port" with this key and certificate (PEM files). */
  FERRY_OF_TLS: z.string().optional(),
  FERRY_OF_TLS_KEY: z.string().optional(),
  FERRY_OF_TLS_CERT: z.string().optional(),
  FERRY_OF_TLS_CA: z.string().optional(),
  /** Start the embedded two-site lab with the server. */
  FERRY_LAB: bool.default(false),
  /** Prefix of the lab's network namespaces (a second lab, e.g. for tests, needs its own). */
  FERRY_LAB_NS_PREFIX: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, "FERRY_LAB_NS_PREFIX: lowercase letters, digits, dashes").default("ferry-lab-"),
  /** MiB each hypervisor host keeps for itself when instances are placed (Nova's reserved_host_memory_mb). */
  FERRY_HOST_RESERVED_MIB: z.coerce.number().int().min(0).max(1_048_576).default(512),
  /** Serve the dashboard from a `next build` (production) or compile on demand (development). */
  FERRY_NEXT_DEV: bool.optional(),
  /** Several instances: Redis for Socket.IO's adapter, the active-instance lease and forwarding (`redis://…`, `rediss://…`). */
  FERRY_REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'FERRY_REDIS_URL must start with "redis://" or "rediss://"').optional(),
  /** Prefix of every Redis key and channel: instances with the same prefix form one deployment. */
  FERRY_CLUSTER: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "FERRY_CLUSTER: lowercase letters, digits, dashes").default("ferry"),
  /** Lifetime of the active-instance lease; a crashed active instance is replaced within it. */
  FERRY_LEASE_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** How long an instance waits for the active one to answer a forwarded request. */
  FERRY_FORWARD_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Real hypervisor hosts (JSON, see server/hypervisors/hosts-file.ts); not together with FERRY_LAB. */
  FERRY_HOSTS_FILE: z.string().optional(),
  /** Least severe level written to the JSON log on stdout. */
  FERRY_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Bearer token for GET /metrics; unset: /metrics answers only clients on loopback. */
  FERRY_METRICS_TOKEN: z.string().min(16, "FERRY_METRICS_TOKEN must have at least 16 characters").optional(),
});

export type Env = z.infer<typeof envSchema> & { DATABASE_URL: string; FERRY_OF_UNIX: string };

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  // An empty variable means "not set" (VAR= in a shell or a .env file).
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  if (env.FERRY_HOSTS_FILE && env.FERRY_LAB) {
    throw new Error("invalid configuration:\n  FERRY_HOSTS_FILE and FERRY_LAB exclude each other (the lab brings its own hosts)");
  }
  if (env.FERRY_OF_TLS && !(env.FERRY_OF_TLS_KEY && env.FERRY_OF_TLS_CERT)) {
    throw new Error("invalid configuration:\n  FERRY_OF_TLS needs FERRY_OF_TLS_KEY and FERRY_OF_TLS_CERT");
  }
  return {
    ...env,
    DATABASE_URL: env.DATABASE_URL || defaultDatabaseUrl(env.FERRY_DATA_DIR),
    FERRY_OF_UNIX: env.FERRY_OF_UNIX ?? path.join(env.FERRY_DATA_DIR, "openflow.sock"),
  };
}
