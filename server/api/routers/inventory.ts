import "server-only";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";

const SEARCH_LIMIT = 8;

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

  /** Where things are, from the registry alone (no live calls, so it is always quick): host → site, status, bridges. */
  placement: protectedProcedure.query(async ({ ctx }) => {
    const hosts = await ctx.db.host.findMany({ orderBy: [{ site: { name: "asc" } }, { name: "asc" }], include: { site: true, switches: true } });
    return hosts.map((h) => ({ name: h.name, site: h.site.name, status: h.status, switches: h.switches.map((s) => ({ dpid: s.dpid, bridge: s.bridge })) }));
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

  /** The top bar's search: VMs by name, IP or MAC; switches by datapath id (colons optional); hosts by name. */
  search: protectedProcedure.input(z.object({ q: z.string().trim().min(1, "type something to search for").max(100) })).query(async ({ ctx, input }) => {
    const q = input.q.toLowerCase();
    const hex = q.replace(/[:\s]/g, "");
    const [vms, ports, switches, hosts] = await Promise.all([
      ctx.db.vm.findMany({ orderBy: { name: "asc" }, include: { host: { include: { site: true } } } }),
      ctx.db.port.findMany({ where: { deviceId: { not: null } } }),
      ctx.db.switch.findMany({ orderBy: { dpid: "asc" }, include: { host: { include: { site: true } } } }),
      ctx.db.host.findMany({ orderBy: { name: "asc" }, include: { site: true } }),
    ]);
    const vmHits = vms
      .map((v) => {
        const own = ports.filter((p) => p.deviceId === v.id);
        const by = v.name.toLowerCase().includes(q)
          ? "name"
          : own.some((p) => p.fixedIp?.includes(q))
            ? "ip"
            : own.some((p) => p.mac.toLowerCase().includes(q))
              ? "mac"
              : null;
        return by && { name: v.name, state: v.state, host: v.host?.name ?? null, site: v.host?.site.name ?? null, matched: by, ips: own.flatMap((p) => (p.fixedIp ? [p.fixedIp] : [])), macs: own.map((p) => p.mac) };
      })
      .filter((v) => v !== null)
      .slice(0, SEARCH_LIMIT);
    const known = new Set(switches.map((s) => s.dpid));
    const live = [...(ctx.controller?.switches.keys() ?? [])].filter((d) => !known.has(d));
    const switchHits = hex
      ? [
          ...switches.map((s) => ({ dpid: s.dpid, bridge: s.bridge as string | null, host: s.host?.name ?? null, site: s.host?.site.name ?? null })),
          ...live.map((dpid) => ({ dpid, bridge: null, host: null, site: null })),
        ]
          .filter((s) => s.dpid.includes(hex))
          .map((s) => ({ ...s, connected: ctx.controller?.switch(s.dpid)?.isReady ?? false }))
          .slice(0, SEARCH_LIMIT)
      : [];
    const hostHits = hosts.filter((h) => h.name.toLowerCase().includes(q)).slice(0, SEARCH_LIMIT).map((h) => ({ name: h.name, site: h.site.name, status: h.status }));
    return { vms: vmHits, switches: switchHits, hosts: hostHits };
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
