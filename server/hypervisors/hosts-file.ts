// Real hypervisor hosts, declared in one JSON file (FERRY_HOSTS_FILE): their site, libvirt URI,
// OVSDB remote, integration bridge and underlay address. The active instance builds a libvirt
// driver per host from it and registers the sites, hosts and switches in the inventory, as the
// lab does for its own hosts. An example with every field: README, "Remote hosts".
import "server-only";
import fs from "node:fs";
import net from "node:net";
import { z } from "zod";
import type { Db } from "../db";
import type { Subsystem } from "../subsystems";
import type { HypervisorDriver } from "./driver";
import { LibvirtDriver } from "./libvirt/driver";
import { parseOvsdbRemote, type OvsdbTlsOptions } from "../../controller/ovsdb";
import type { HostNetworkInfo } from "../migration/network";
import { recordHostFacts } from "../inventory/lab-sync";

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "letters, digits, '.', '_', '-' (at most 63)");
const ip = z.string().refine((v) => net.isIP(v) !== 0, "an IPv4 or IPv6 address");
const absolute = z.string().regex(/^\//, "an absolute path");

const hostSchema = z.strictObject({
  name,
  site: name,
  /** libvirt covers KVM/QEMU (qemu+ssh://, qemu+tls://) and Xen through libxl (xen+ssh://). */
  hypervisor: z.enum(["libvirt", "xen"]).default("libvirt"),
  /** How Ferry reaches the host's libvirtd. */
  libvirtUri: z.string().regex(/^[a-z0-9]+(\+[a-z0-9]+)?:\/\/\S*$/, "a libvirt URI such as qemu+ssh://root@hv1/system or qemu+tls://hv1/system"),
  /** How the SOURCE host's libvirtd reaches this one (peer-to-peer migration); default: libvirtUri. */
  migrationUri: z.string().regex(/^[a-z0-9]+(\+[a-z0-9]+)?:\/\/\S*$/, "a libvirt URI").optional(),
  /** The host's ovsdb-server: tcp:HOST:PORT or ssl:HOST:PORT (ssl needs the file's "tls"). */
  ovsdb: z.string().regex(/^(tcp|ssl):\S+$/, "tcp:HOST:PORT or ssl:HOST:PORT"),
  bridge: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, "an OVS bridge name").default("br-int"),
  /** br-int's datapath id, pinned on the host with other-config:datapath-id. */
  dpid: z.string().regex(/^[0-9a-f]{16}$/, "16 lowercase hex digits (ovs-vsctl set bridge br-int other-config:datapath-id=…)"),
  underlayIp: ip,
  /** Shared storage (NFS) where VM disks and kernels live, as mounted on this host. */
  storagePaths: z.array(absolute).min(1, "at least one shared storage path").default(["/var/lib/ferry/shared"]),
});

export const hostsFileSchema = z.strictObject({
  sites: z.array(z.strictObject({ name, underlayCidr: z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, "a CIDR such as 192.0.2.0/24") })).min(1, "at least one site"),
  /** PEM files for ssl: OVSDB remotes (Ferry's own key and certificate, and the CA that signed the hosts'). */
  tls: z.strictObject({ key: absolute, cert: absolute, ca: absolute }).optional(),
  hosts: z.array(hostSchema).min(1, "at least one host"),
});

export type HostsFile = z.infer<typeof hostsFileSchema>;
export type HostEntry = HostsFile["hosts"][number];

/** Parses and checks the file's text; every problem is reported with its place in the file. */
export function parseHostsFile(text: string, source = "FERRY_HOSTS_FILE"): HostsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = hostsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${source}:\n${parsed.error.issues.map((i) => `  ${i.path.join(".") || "(file)"}: ${i.message}`).join("\n")}`);
  }
  const file = parsed.data;
  const problems: string[] = [];
  const sites = new Set<string>();
  for (const [i, s] of file.sites.entries()) {
    if (sites.has(s.name)) problems.push(`sites.${i}.name: site "${s.name}" is declared twice`);
    sites.add(s.name);
  }
  const seen = { name: new Map<string, number>(), dpid: new Map<string, number>(), underlayIp: new Map<string, number>() };
  for (const [i, h] of file.hosts.entries()) {
    if (!sites.has(h.site)) problems.push(`hosts.${i}.site: no site "${h.site}" in "sites"`);
    for (const key of ["name", "dpid", "underlayIp"] as const) {
      const before = seen[key].get(h[key]);
      if (before !== undefined) problems.push(`hosts.${i}.${key}: "${h[key]}" is already used by hosts.${before}`);
      else seen[key].set(h[key], i);
    }
    try {
      parseOvsdbRemote(h.ovsdb, file.tls ? { key: "", cert: "", ca: "" } : undefined);
    } catch (err) {
      problems.push(`hosts.${i}.ovsdb: ${err instanceof Error ? err.message : String(err)}${h.ovsdb.startsWith("ssl:") ? ' (add "tls" to the file)' : ""}`);
    }
    const cidr = file.sites.find((s) => s.name === h.site)?.underlayCidr;
    if (cidr && !inCidr(h.underlayIp, cidr)) problems.push(`hosts.${i}.underlayIp: ${h.underlayIp} is not in site ${h.site}'s ${cidr}`);
  }
  if (problems.length) throw new Error(`${source}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return file;
}

export function readHostsFile(file: string): HostsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`FERRY_HOSTS_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseHostsFile(text, `FERRY_HOSTS_FILE ${file}`);
}

/** The TLS material for ssl: remotes, read once. */
export function readTls(file: HostsFile): OvsdbTlsOptions | undefined {
  if (!file.tls) return undefined;
  const read = (what: string, p: string) => {
    try {
      return fs.readFileSync(p);
    } catch (err) {
      throw new Error(`FERRY_HOSTS_FILE tls.${what} ${p}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return { key: read("key", file.tls.key), cert: read("cert", file.tls.cert), ca: read("ca", file.tls.ca) };
}

export function hostsFileDrivers(file: HostsFile): Map<string, HypervisorDriver> {
  return new Map(
    file.hosts.map((h) => [h.name, new LibvirtDriver({ name: h.name, uri: h.libvirtUri, migrationUri: h.migrationUri ?? h.libvirtUri, storagePaths: h.storagePaths })]),
  );
}

/** Each host's switch, OVSDB and underlay address, for the orchestrator. */
export function hostsFileNetwork(file: HostsFile, tls: OvsdbTlsOptions | undefined): (host: string) => HostNetworkInfo | null {
  return (hostName) => {
    const h = file.hosts.find((x) => x.name === hostName);
    return h ? { name: h.name, underlayIp: h.underlayIp, dpid: h.dpid, ovsdb: parseOvsdbRemote(h.ovsdb, tls) } : null;
  };
}

/** Upserts the file's sites, hosts and switches (source "file"). */
export async function registerHostsFile(db: Db, file: HostsFile): Promise<void> {
  for (const s of file.sites) {
    await db.site.upsert({ where: { name: s.name }, create: { name: s.name, underlayCidr: s.underlayCidr, source: "file" }, update: { underlayCidr: s.underlayCidr, source: "file" } });
  }
  const sites = new Map((await db.site.findMany()).map((s) => [s.name, s.id]));
  for (const h of file.hosts) {
    const data = { siteId: sites.get(h.site)!, hypervisor: h.hypervisor, underlayIp: h.underlayIp, uri: h.libvirtUri, source: "file" };
    const host = await db.host.upsert({ where: { name: h.name }, create: { name: h.name, ...data }, update: data });
    await db.switch.upsert({ where: { dpid: h.dpid }, create: { dpid: h.dpid, bridge: h.bridge, hostId: host.id }, update: { bridge: h.bridge, hostId: host.id } });
  }
}

/** The file's hosts as a subsystem of the active instance: drivers in, facts recorded; drivers closed on stop. */
export function createHostsFileSubsystem(file: HostsFile, db: Db, drivers: Map<string, HypervisorDriver>, log: (line: string) => void): Subsystem {
  return {
    name: "hosts",
    start: async () => {
      await registerHostsFile(db, file);
      for (const [n, d] of hostsFileDrivers(file)) drivers.set(n, d);
      // A host that does not answer is marked down, not fatal: the others stay usable.
      await recordHostFacts(db, drivers, log);
    },
    stop: async () => {
      for (const d of drivers.values()) await d.close().catch(() => {});
      drivers.clear();
    },
  };
}

function inCidr(address: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/") as [string, string];
  const bits = Number(bitsText);
  if (net.isIPv4(address) && net.isIPv4(base) && bits <= 32) {
    const n = (a: string) => a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - bits);
    return Math.floor(n(address) / size) === Math.floor(n(base) / size);
  }
  // IPv6 (or a mixed pair): not checked here.
  return net.isIPv6(address) === net.isIPv6(base);
}
