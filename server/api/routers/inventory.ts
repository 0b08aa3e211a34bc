import "server-only";
import { protectedProcedure, router } from "../trpc";

export const inventoryRouter = router({
  /** Hypervisor hosts with their site, bridges (and whether each is connected now) and VM count. */
  hosts: protectedProcedure.query(async ({ ctx }) => {
    const hosts = await ctx.db.host.findMany({
      orderBy: [{ site: { name: "asc" } }, { name: "asc" }],
      include: { site: true, switches: true, _count: { select: { vms: true } } },
    });
    // Free memory is live: ask each host's driver, briefly (a slow host shows as unknown).
    const free = new Map<string, number | null>();
    await Promise.all(
      hosts.map(async (h) => {
        const d = ctx.hypervisors.get(h.name);
        const f = d ? await Promise.race([d.facts().catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), 3000))]) : null;
        free.set(h.name, f ? f.memoryFreeMiB : null);
      }),
    );
    return hosts.map((h) => ({
      memoryFreeMiB: free.get(h.name) ?? null,
      name: h.name,
      site: h.site.name,
      siteCidr: h.site.underlayCidr,
      hypervisor: h.hypervisor,
      uri: h.uri,
      underlayIp: h.underlayIp,
      status: h.status,
      cpus: h.cpus,
      memoryMiB: h.memoryMiB,
      lastSeenAt: h.lastSeenAt,
      source: h.source,
      vms: h._count.vms,
      switches: h.switches.map((s) => ({ dpid: s.dpid, bridge: s.bridge, connected: ctx.controller?.switch(s.dpid)?.isReady ?? false })),
    }));
  }),

  /** VMs with their host, site and ports (IP and MAC). */
  vms: protectedProcedure.query(async ({ ctx }) => {
    const vms = await ctx.db.vm.findMany({ orderBy: { name: "asc" }, include: { host: { include: { site: true } } } });
    const ports = await ctx.db.port.findMany({ where: { deviceId: { in: vms.map((v) => v.id) } } });
    return vms.map((v) => ({
      id: v.id,
      name: v.name,
      state: v.state,
      memoryMiB: v.memoryMiB,
      vcpus: v.vcpus,
      host: v.host?.name ?? null,
      site: v.host?.site.name ?? null,
      image: v.image,
      ports: ports.filter((p) => p.deviceId === v.id).map((p) => ({ mac: p.mac, ip: p.fixedIp })),
    }));
  }),

  /** Networks with their subnets and ports (MAC, fixed IP, owner, where each is bound). */
  networks: protectedProcedure.query(async ({ ctx }) => {
    const nets = await ctx.db.network.findMany({
      orderBy: { name: "asc" },
      include: { subnets: true, ports: { orderBy: { fixedIp: "asc" }, include: { bindings: { include: { host: true } } } } },
    });
    const vmNames = new Map((await ctx.db.vm.findMany({ select: { id: true, name: true } })).map((v) => [v.id, v.name]));
    return nets.map((n) => ({
      name: n.name,
      overlay: n.overlay,
      subnets: n.subnets.map((s) => s.cidr),
      ports: n.ports.map((p) => ({
        mac: p.mac,
        fixedIp: p.fixedIp,
        deviceId: p.deviceId,
        /** The VM's name for compute ports, else the device id. */
        device: (p.deviceId && vmNames.get(p.deviceId)) ?? p.deviceId,
        deviceOwner: p.deviceOwner,
        bindings: p.bindings.map((b) => ({ host: b.host.name, status: b.status })),
      })),
    }));
  }),
});
