// Registers the lab's sites, hosts, switches, overlay network and client ports in the inventory,
// so the dashboard lists them like any other infrastructure. Idempotent (upserts by name/dpid/MAC).
import "server-only";
import type { Db } from "../db";
import type { LabPlan } from "../lab/topology";
import type { HypervisorDriver } from "../hypervisors/driver";
import { defaultGuestDir } from "../lab/guest/image";
import { registerLabImage } from "./images";

export const LAB_NETWORK = "lab-overlay";

export async function registerLab(db: Db, plan: LabPlan, hostUri: (host: string) => string | null = () => null, guestDir: string = defaultGuestDir()): Promise<void> {
  for (const s of plan.sites) {
    await db.site.upsert({
      where: { name: s.name },
      create: { name: s.name, underlayCidr: s.underlay, source: "lab" },
      update: { underlayCidr: s.underlay, source: "lab" },
    });
  }
  const sites = new Map((await db.site.findMany()).map((s) => [s.name, s.id]));
  for (const h of plan.hosts) {
    const data = { siteId: sites.get(h.site)!, hypervisor: h.hypervisor, underlayIp: h.underlayIp, uri: hostUri(h.name), status: "up", lastSeenAt: new Date(), source: "lab" };
    const host = await db.host.upsert({ where: { name: h.name }, create: { name: h.name, ...data }, update: data });
    await db.switch.upsert({ where: { dpid: h.dpid }, create: { dpid: h.dpid, bridge: "br-int", hostId: host.id }, update: { bridge: "br-int", hostId: host.id } });
  }
  const network = await db.network.upsert({ where: { name: LAB_NETWORK }, create: { name: LAB_NETWORK, overlay: "gre" }, update: {} });
  await db.subnet.upsert({ where: { cidr: plan.overlay.cidr }, create: { cidr: plan.overlay.cidr, networkId: network.id }, update: { networkId: network.id } });
  for (const c of plan.clients) {
    const host = await db.host.findUniqueOrThrow({ where: { name: c.host } });
    const port = await db.port.upsert({
      where: { mac: c.mac },
      create: { mac: c.mac, fixedIp: c.ip, networkId: network.id, deviceId: `client-${c.site}`, deviceOwner: "client" },
      update: { fixedIp: c.ip, networkId: network.id, deviceId: `client-${c.site}`, deviceOwner: "client" },
    });
    await db.portBinding.upsert({
      where: { portId_hostId: { portId: port.id, hostId: host.id } },
      create: { portId: port.id, hostId: host.id, status: "active" },
      update: { status: "active" },
    });
  }
  // The lab's guest image joins the catalogue (once built; a lab without VMs may not have built it).
  await registerLabImage(db, guestDir);
}

/** The lab's VMs with their ports, bound (active) on the host each runs on. */
export async function registerLabVms(db: Db, plan: LabPlan, states: Map<string, string> = new Map()): Promise<void> {
  const network = await db.network.findUniqueOrThrow({ where: { name: LAB_NETWORK } });
  for (const vm of plan.vms) {
    const host = await db.host.findUniqueOrThrow({ where: { name: vm.host } });
    const data = { name: vm.name, memoryMiB: vm.memoryMiB, vcpus: vm.vcpus, state: states.get(vm.name) ?? "running", hostId: host.id, image: "ferry-guest" };
    await db.vm.upsert({ where: { id: vm.uuid }, create: { id: vm.uuid, ...data }, update: data });
    const port = await db.port.upsert({
      where: { mac: vm.mac },
      create: { id: vm.portId, mac: vm.mac, fixedIp: vm.ip, networkId: network.id, deviceId: vm.uuid, deviceOwner: "compute" },
      update: { fixedIp: vm.ip, networkId: network.id, deviceId: vm.uuid, deviceOwner: "compute" },
    });
    // Exactly one binding, active, on the VM's host (a leftover from another host is dropped).
    await db.portBinding.deleteMany({ where: { portId: port.id, hostId: { not: host.id } } });
    await db.portBinding.upsert({
      where: { portId_hostId: { portId: port.id, hostId: host.id } },
      create: { portId: port.id, hostId: host.id, status: "active" },
      update: { status: "active" },
    });
  }
}

/** The lab went down: its hosts are unreachable until it comes back. */
export async function markLabDown(db: Db, plan: LabPlan): Promise<void> {
  await db.host.updateMany({ where: { name: { in: plan.hosts.map((h) => h.name) } }, data: { status: "down" } });
  // Launched instances went down with their hosts too.
  await db.vm.updateMany({ where: { OR: [{ id: { in: plan.vms.map((v) => v.uuid) } }, { host: { name: { in: plan.hosts.map((h) => h.name) } } }] }, data: { state: "shutoff" } });
}

/** Asks each host's driver for its CPUs and memory and stores them; a host that does not answer is marked down. */
export async function recordHostFacts(db: Db, drivers: Map<string, HypervisorDriver>, log: (line: string) => void = () => {}): Promise<void> {
  for (const [name, driver] of drivers) {
    try {
      const f = await driver.facts();
      await db.host.updateMany({ where: { name }, data: { cpus: f.cpus, memoryMiB: f.memoryTotalMiB, status: "up", lastSeenAt: new Date() } });
    } catch (err) {
      log(`${name}: no host facts (${err instanceof Error ? err.message : String(err)})`);
      await db.host.updateMany({ where: { name }, data: { status: "down" } });
    }
  }
}
