// The lab as a server subsystem (FERRY_LAB=1): brought up after the controller starts, so the
// bridges connect at once, and taken down when the server stops.
import "server-only";
import path from "node:path";
import type { Env } from "../env";
import type { Subsystem } from "../subsystems";
import { Lab } from "./lab";
import type { Db } from "../db";
import { markLabDown, registerLab, registerLabVms } from "../inventory/lab-sync";

export function createLabSubsystem(env: Env, db: Db, log: (line: string) => void): { lab: Lab; subsystem: Subsystem } {
  const lab = new Lab({
    dir: path.join(env.FERRY_DATA_DIR, "lab"),
    controllerSocket: env.FERRY_OF_UNIX,
    nsPrefix: env.FERRY_LAB_NS_PREFIX,
    log,
  });
  return {
    lab,
    subsystem: {
      name: "lab",
      start: async () => {
        await lab.up();
        await registerLab(db, lab.plan, (host) => lab.libvirtUriOf(host));
        await registerLabVms(db, lab.plan);
      },
      stop: async () => {
        await lab.down();
        await markLabDown(db, lab.plan);
      },
    },
  };
}
