// The lab as a server subsystem (FERRY_LAB=1): brought up after the controller starts, so the
// bridges connect at once, and taken down when the server stops.
import "server-only";
import path from "node:path";
import type { Env } from "../env";
import type { Subsystem } from "../subsystems";
import { Lab } from "./lab";
import type { Db } from "../db";
import { markLabDown, recordHostFacts, registerLab, registerLabVms } from "../inventory/lab-sync";
import type { HypervisorDriver } from "../hypervisors/driver";
import { labDrivers } from "../hypervisors/lab-drivers";
import { defaultGuestDir } from "./guest/image";
import { lineSink, type Logger } from "../log";

/**
 * `drivers` is filled with one hypervisor driver per lab host once the lab is up, and emptied
 * when it goes down.
 */
export function createLabSubsystem(env: Env, db: Db, drivers: Map<string, HypervisorDriver>, logger: Logger): { lab: Lab; subsystem: Subsystem } {
  const log = lineSink(logger.child({ component: "lab" }));
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
        for (const [name, driver] of labDrivers(lab, defaultGuestDir(), log)) drivers.set(name, driver);
        await recordHostFacts(db, drivers, log);
      },
      stop: async () => {
        for (const d of drivers.values()) await d.close().catch(() => {});
        drivers.clear();
        await lab.down();
        await markLabDown(db, lab.plan);
      },
    },
  };
}
