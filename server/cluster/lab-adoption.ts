// The lab under several instances: it stands for the hypervisor hosts, which outlive any one
// Ferry process. An instance that becomes active adopts a lab that is already up (a crashed
// holder left it running: its switches reconnect to the new holder's controller on the same
// socket path) instead of rebuilding it; only a lab that is down or broken is brought up anew.
import "server-only";
import type { Db } from "../db";
import type { Lab } from "../lab/lab";
import type { Subsystem } from "../subsystems";
import type { HypervisorDriver } from "../hypervisors/driver";
import { labDrivers } from "../hypervisors/lab-drivers";
import { defaultGuestDir } from "../lab/guest/image";
import { recordHostFacts, registerLab } from "../inventory/lab-sync";

export function adoptingLab(lab: Lab, fresh: Subsystem, db: Db, drivers: Map<string, HypervisorDriver>, log: (line: string) => void): Subsystem {
  return {
    name: fresh.name,
    start: async () => {
      const status = await lab.status().catch(() => null);
      if (!status?.up) {
        await fresh.start();
        return;
      }
      // The VMs stay where the registry says they are (they may have migrated since the lab came
      // up), so only hosts and switches are re-registered; reconcile() settles what was in flight.
      await registerLab(db, lab.plan, (host) => lab.libvirtUriOf(host));
      for (const [name, driver] of labDrivers(lab, defaultGuestDir(), log)) drivers.set(name, driver);
      await recordHostFacts(db, drivers, log);
      log(`lab: adopted the running lab (${lab.plan.hosts.map((h) => h.name).join(", ")})`);
    },
    stop: fresh.stop,
  };
}
