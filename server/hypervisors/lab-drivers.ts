// The lab's hosts as hypervisor drivers: libvirt hosts through their own libvirtd (the server
// reaches it over the host's UNIX socket; the source daemon reaches a destination over TCP on the
// underlay, inside the namespaces), plain-QEMU hosts through the QMP driver.
import "server-only";
import os from "node:os";
import path from "node:path";
import type { Lab } from "../lab/lab";
import { ovsPaths } from "../lab/ovs-daemons";
import { LAB_QEMU, libvirtTcpUri } from "../lab/libvirt-host";
import type { HypervisorDriver } from "./driver";
import { LibvirtDriver } from "./libvirt/driver";
import { QmpDriver } from "./qmp/driver";

export function labDrivers(lab: Lab, guestDir: string, log: (line: string) => void = () => {}): Map<string, HypervisorDriver> {
  // Every lab host shares this machine's memory; each gets an equal share to plan against.
  const perHostMiB = Math.floor(os.totalmem() / 1024 / 1024 / Math.max(1, lab.plan.hosts.length));
  const storagePaths = [lab.sharedDir(), guestDir];
  const drivers = new Map<string, HypervisorDriver>();
  for (const h of lab.plan.hosts) {
    if (h.hypervisor === "libvirt") {
      drivers.set(h.name, new LibvirtDriver({ name: h.name, uri: lab.libvirtUriOf(h.name), migrationUri: libvirtTcpUri(h.underlayIp), storagePaths, emulator: LAB_QEMU }));
    } else {
      drivers.set(
        h.name,
        new QmpDriver({
          name: h.name,
          ns: h.ns,
          runDir: path.join(lab.hostDir(h.name), "qmp"),
          ovsDbSock: ovsPaths(lab.hostDir(h.name)).dbSock,
          underlayIp: h.underlayIp,
          migrationIp: h.migrationIp,
          memoryTotalMiB: perHostMiB,
          storagePaths,
          qemuBinary: LAB_QEMU,
          log,
        }),
      );
    }
  }
  return drivers;
}
