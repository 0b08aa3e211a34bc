// What one running Ferry server holds: configuration, the database, and the embedded
// subsystems. Built once by main.ts (or by a test) and shared by HTTP, tRPC and Socket.IO.
import "server-only";
import type { Env } from "./env";
import type { Db } from "./db";
import { LoginRateLimiter } from "./auth/rate-limit";
import { Subsystems } from "./subsystems";
import type { FerryIo } from "./realtime/io";
import type { OpenFlowController } from "../controller/controller";
import type { Lab } from "./lab/lab";
import type { HypervisorDriver } from "./hypervisors/driver";
import type { Orchestrator } from "./migration/orchestrator";
import type { ClusterNode } from "./cluster/node";

export interface Services {
  env: Env;
  db: Db;
  loginLimiter: LoginRateLimiter;
  subsystems: Subsystems;
  /** The embedded OpenFlow controller (null when both listeners are off). */
  controller: OpenFlowController | null;
  /** The embedded two-site lab, when FERRY_LAB is on. */
  lab: Lab | null;
  /** A driver per hypervisor host, by host name. */
  hypervisors: Map<string, HypervisorDriver>;
  /** Live migrations (null until the server has attached Socket.IO). */
  migrations: Orchestrator | null;
  /** Set once Socket.IO is attached to the HTTP server. */
  io: FerryIo | null;
  /** This instance's place among several (FERRY_REDIS_URL), else null. */
  cluster: ClusterNode | null;
}

export function createServices(env: Env, db: Db): Services {
  return {
    env,
    db,
    loginLimiter: new LoginRateLimiter({
      maxFailuresPerUser: env.FERRY_LOGIN_MAX_FAILURES,
      maxFailuresPerIp: env.FERRY_LOGIN_MAX_FAILURES * 4,
      windowMs: env.FERRY_LOGIN_WINDOW_S * 1000,
    }),
    subsystems: new Subsystems(),
    io: null,
    controller: null,
    lab: null,
    hypervisors: new Map(),
    migrations: null,
    cluster: null,
  };
}
