import { createHash } from "node:crypto";

// The lab's shape, declared once: sites (each a routed underlay subnet), hypervisor hosts in
// them, one client per site on the overlay, and the overlay network VMs live on. Everything
// else (names, addresses, datapath ids, GRE mesh) is derived from it.

export interface LabHostSpec {
  name: string;
  /** "libvirt": own libvirtd beside its OVS; "qemu": plain QEMU processes with QMP sockets. */
  hypervisor: "libvirt" | "qemu";
}

export interface LabSiteSpec {
  name: string;
  /** Underlay /24 of the site, e.g. 10.250.1.0/24; .1 is the router, hosts from .11. */
  underlay: string;
  /**
   * The site's migration network, a /24 routed between sites like the underlay but kept out of
   * Open vSwitch (each host's own kernel interface); absent: migration streams use the underlay.
   */
  migration?: string;
  hosts: LabHostSpec[];
}

export interface LabVmSpec {
  name: string;
  /** Host it boots on. */
  host: string;
  memoryMiB: number;
  vcpus?: number;
  /** Guest memory filled with random data (MiB) and rewritten per second (MiB/s): migration load. */
  fillMiB?: number;
  dirtyMiBps?: number;
}

export interface LabTopology {
  sites: LabSiteSpec[];
  /** Overlay /24 shared by every site: VMs from .11, clients from .201. */
  overlay: string;
  /** VMs the lab boots (libvirt hosts only). */
  vms?: LabVmSpec[];
}

export const DEFAULT_TOPOLOGY: LabTopology = {
  overlay: "10.99.0.0/24",
  sites: [
    { name: "a", underlay: "10.250.1.0/24", migration: "10.251.1.0/24", hosts: [{ name: "host-a1", hypervisor: "libvirt" }] },
    { name: "b", underlay: "10.250.2.0/24", migration: "10.251.2.0/24", hosts: [{ name: "host-b1", hypervisor: "libvirt" }] },
  ],
  vms: [
    { name: "vm1", host: "host-a1", memoryMiB: 256 },
    { name: "vm2", host: "host-b1", memoryMiB: 256 },
  ],
};

export const TWO_BY_TWO: LabTopology = {
  overlay: "10.99.0.0/24",
  sites: [
    { name: "a", underlay: "10.250.1.0/24", migration: "10.251.1.0/24", hosts: [{ name: "host-a1", hypervisor: "libvirt" }, { name: "host-a2", hypervisor: "qemu" }] },
    { name: "b", underlay: "10.250.2.0/24", migration: "10.251.2.0/24", hosts: [{ name: "host-b1", hypervisor: "libvirt" }, { name: "host-b2", hypervisor: "qemu" }] },
  ],
};

/** One plain-QEMU (QMP) host per site and no VMs: for what boots its guests through the QMP driver. */
export const QMP_PAIR: LabTopology = {
  overlay: "10.99.0.0/24",
  sites: [
    { name: "a", underlay: "10.250.1.0/24", migration: "10.251.1.0/24", hosts: [{ name: "host-a2", hypervisor: "qemu" }] },
    { name: "b", underlay: "10.250.2.0/24", migration: "10.251.2.0/24", hosts: [{ name: "host-b2", hypervisor: "qemu" }] },
  ],
  vms: [],
};

export const NS_PREFIX = "ferry-lab-";

export interface LabHost {
  name: string;
  site: string;
  hypervisor: "libvirt" | "qemu";
  ns: string;
  /** Underlay address on br-phy, e.g. 10.250.1.11. */
  underlayIp: string;
  underlayPrefix: number;
  gateway: string;
  /** veth end in the router namespace. */
  routerIf: string;
  /**
   * Where migration streams to this host go: its address on the site's migration network
   * (interface MIGRATION_IF, outside OVS), or the underlay address when the site has none.
   */
  migrationIp: string;
  /** The migration network's router side (veth end in the router namespace, gateway); null without one. */
  migrationNet: { routerIf: string; gateway: string; prefix: number } | null;
  /** OpenFlow datapath id of br-int. */
  dpid: string;
  /** GRE tunnels from this host's br-int to every other host. */
  tunnels: { port: string; remoteHost: string; remoteIp: string }[];
}

export interface LabClient {
  site: string;
  ns: string;
  ip: string;
  mac: string;
  /** Host whose br-int the client is plugged into, and the port name there. */
  host: string;
  hostPort: string;
}

export interface LabVm {
  name: string;
  host: string;
  /** Stable domain UUID (derived from the name). */
  uuid: string;
  /** Neutron-style port id, set as the OVS interface's iface-id. */
  portId: string;
  mac: string;
  ip: string;
  memoryMiB: number;
  vcpus: number;
  fillMiB: number;
  dirtyMiBps: number;
}

export interface LabSite {
  name: string;
  underlay: string;
  routerIp: string;
  /** The site's migration network and the router's address on it; null without one. */
  migration: { cidr: string; routerIp: string } | null;
}

/** The host-side name of the migration network's interface. */
export const MIGRATION_IF = "mig0";

export interface LabPlan {
  nsPrefix: string;
  routerNs: string;
  sites: LabSite[];
  hosts: LabHost[];
  clients: LabClient[];
  vms: LabVm[];
  overlay: { cidr: string; prefix: number; base: string };
}

/** A UUID derived from a name, so the same lab VM keeps its identity across restarts. */
export function stableUuid(name: string): string {
  const h = createHash("sha256").update(`ferry-lab:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function parseCidr24(cidr: string): { base: number[]; prefix: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.0\/24$/.exec(cidr);
  if (!m) throw new Error(`lab subnets must be /24 networks like 10.250.1.0/24, got "${cidr}"`);
  const base = m.slice(1, 4).map(Number);
  if (base.some((o) => o > 255)) throw new Error(`bad address in "${cidr}"`);
  return { base, prefix: 24 };
}

const addr = (base: number[], last: number) => `${base.join(".")}.${last}`;

/** Derives every name and address; throws on a topology that cannot work. */
export function planLab(t: LabTopology, nsPrefix = NS_PREFIX): LabPlan {
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(nsPrefix)) throw new Error(`bad namespace prefix "${nsPrefix}"`);
  if (t.sites.length < 1) throw new Error("the lab needs at least one site");
  const names = new Set<string>();
  for (const s of t.sites) {
    if (!/^[a-z][a-z0-9]{0,5}$/.test(s.name)) throw new Error(`site name "${s.name}" must be 1–6 lowercase letters/digits`);
    for (const h of s.hosts) {
      if (!/^[a-z][a-z0-9-]{0,9}$/.test(h.name)) throw new Error(`host name "${h.name}" must be 1–10 lowercase letters, digits or dashes`);
      if (names.has(h.name)) throw new Error(`host "${h.name}" appears twice`);
      names.add(h.name);
    }
    if (s.hosts.length < 1 || s.hosts.length > 8) throw new Error(`site ${s.name} needs 1–8 hosts`);
  }
  const overlay = parseCidr24(t.overlay);
  const hosts: LabHost[] = [];
  const sites: LabSite[] = [];
  t.sites.forEach((s, si) => {
    const u = parseCidr24(s.underlay);
    const m = s.migration === undefined ? null : parseCidr24(s.migration);
    if (s.migration !== undefined && s.migration === s.underlay) throw new Error(`site ${s.name}: the migration network must differ from the underlay`);
    sites.push({ name: s.name, underlay: s.underlay, routerIp: addr(u.base, 1), migration: m ? { cidr: s.migration!, routerIp: addr(m.base, 1) } : null });
    s.hosts.forEach((h, hi) => {
      hosts.push({
        name: h.name,
        site: s.name,
        hypervisor: h.hypervisor,
        ns: `${nsPrefix}${h.name}`,
        underlayIp: addr(u.base, 11 + hi),
        underlayPrefix: 24,
        gateway: addr(u.base, 1),
        routerIf: `r-${h.name}`.slice(0, 15),
        migrationIp: addr((m ?? u).base, 11 + hi),
        migrationNet: m ? { routerIf: `m-${h.name}`.slice(0, 15), gateway: addr(m.base, 1), prefix: 24 } : null,
        dpid: (0xfe000000 + (si + 1) * 0x100 + hi + 1).toString(16).padStart(16, "0"),
        tunnels: [],
      });
    });
  });
  // Full mesh of GRE tunnels between all hosts: every host is one hop from every other, so with
  // split-horizon flooding (never from a tunnel into a tunnel) the mesh has no loop.
  for (const h of hosts) {
    for (const peer of hosts) {
      if (peer === h) continue;
      h.tunnels.push({ port: `gre-${peer.name}`.slice(0, 15), remoteHost: peer.name, remoteIp: peer.underlayIp });
    }
  }
  const clients: LabClient[] = t.sites.map((s, si) => {
    const host = hosts.find((h) => h.site === s.name)!;
    return {
      site: s.name,
      ns: `${nsPrefix}client-${s.name}`,
      ip: addr(overlay.base, 201 + si),
      mac: `52:54:00:fe:00:${(0x10 + si).toString(16).padStart(2, "0")}`,
      host: host.name,
      hostPort: `cl-${s.name}`,
    };
  });
  const vms: LabVm[] = (t.vms ?? []).map((v, i) => {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(v.name)) throw new Error(`VM name "${v.name}" must be lowercase letters, digits or dashes`);
    const host = hosts.find((h) => h.name === v.host);
    if (!host) throw new Error(`VM ${v.name} is placed on unknown host "${v.host}"`);
    if (host.hypervisor !== "libvirt") throw new Error(`VM ${v.name}: the lab boots VMs on libvirt hosts only (${v.host} is ${host.hypervisor})`);
    if (i >= 150) throw new Error("the lab's overlay has room for 150 VMs");
    return {
      name: v.name,
      host: v.host,
      uuid: stableUuid(`vm:${v.name}`),
      portId: stableUuid(`port:${v.name}`),
      mac: `52:54:00:99:00:${(0x11 + i).toString(16).padStart(2, "0")}`,
      ip: addr(overlay.base, 11 + i),
      memoryMiB: v.memoryMiB,
      vcpus: v.vcpus ?? 1,
      fillMiB: v.fillMiB ?? 0,
      dirtyMiBps: v.dirtyMiBps ?? 0,
    };
  });
  if (new Set(vms.map((v) => v.name)).size !== vms.length) throw new Error("VM names must be unique");
  const subnets = t.sites.flatMap((s) => [s.underlay, ...(s.migration ? [s.migration] : [])]);
  if (new Set(subnets).size !== subnets.length) throw new Error("every site's underlay and migration network must be distinct /24s");
  return { nsPrefix, routerNs: `${nsPrefix}router`, sites, hosts, clients, vms, overlay: { cidr: t.overlay, prefix: 24, base: overlay.base.join(".") } };
}
