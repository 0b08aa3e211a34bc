// The embedded OpenFlow controller as a server subsystem: listeners from configuration, and
// its events forwarded to the browser.
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { OpenFlowController, type ListenSpec } from "../../controller/controller";
import type { Env } from "../env";
import type { Subsystem } from "../subsystems";
import { lineSink, type Logger } from "../log";

export function listenSpecs(env: Env): ListenSpec[] {
  const specs: ListenSpec[] = [];
  if (env.FERRY_OF_TCP !== "off") {
    const { host, port } = hostPort(env.FERRY_OF_TCP);
    specs.push({ kind: "tcp", host, port });
  }
  if (env.FERRY_OF_UNIX !== "off") specs.push({ kind: "unix", path: env.FERRY_OF_UNIX });
  if (env.FERRY_OF_TLS) {
    const { host, port } = hostPort(env.FERRY_OF_TLS);
    specs.push({
      kind: "tls",
      host,
      port,
      key: fs.readFileSync(env.FERRY_OF_TLS_KEY!),
      cert: fs.readFileSync(env.FERRY_OF_TLS_CERT!),
      ca: env.FERRY_OF_TLS_CA ? fs.readFileSync(env.FERRY_OF_TLS_CA) : undefined,
      requestCert: Boolean(env.FERRY_OF_TLS_CA),
    });
  }
  return specs;
}

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(s.slice(i + 1)) };
}

export function createControllerSubsystem(env: Env, logger: Logger): { controller: OpenFlowController; subsystem: Subsystem } {
  // Lines naming a switch carry its dpid in the context (lineSink).
  const controller = new OpenFlowController({ listen: listenSpecs(env), log: lineSink(logger.child({ component: "openflow" })) });
  return {
    controller,
    subsystem: {
      name: "openflow-controller",
      start: async () => {
        if (env.FERRY_OF_UNIX !== "off") fs.mkdirSync(path.dirname(env.FERRY_OF_UNIX), { recursive: true });
        await controller.start();
      },
      stop: () => controller.stop(),
    },
  };
}
