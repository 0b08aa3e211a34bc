// Parsers for virsh's text output (libvirt 9.0 wording). virsh is run with LC_ALL=C, so the
// labels are stable; anything unrecognised is ignored rather than guessed at.
import type { HypervisorKind, VmState } from "../driver";

/** "Key:   value" lines → map (first colon splits; keys keep their case). */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    if (!key || out.has(key)) continue;
    out.set(key, line.slice(i + 1).trim());
  }
  return out;
}

const UNIT_BYTES: Record<string, number> = {
  b: 1, bytes: 1, byte: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4,
};

/** "533.921 MiB" → bytes (virsh rounds to 3 decimals, so this is approximate). */
export function parseSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)/.exec(value.trim());
  if (!m) return undefined;
  const unit = (m[2] || "b").toLowerCase();
  const mult = UNIT_BYTES[unit];
  if (mult === undefined) return undefined;
  return Math.round(Number(m[1]) * mult);
}

/** Leading number of "29980        ms" / "4291 pages/s" / "28". */
export function parseLeadingNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^-?[0-9]+(?:\.[0-9]+)?/.exec(value.trim());
  return m ? Number(m[0]) : undefined;
}

export interface NodeInfo {
  cpuModel?: string;
  cpus: number;
  memoryKiB: number;
}

export function parseNodeInfo(text: string): NodeInfo {
  const kv = parseKeyValues(text);
  const cpus = parseLeadingNumber(kv.get("CPU(s)"));
  const mem = parseSize(kv.get("Memory size"));
  if (cpus === undefined || mem === undefined) throw new Error(`unexpected nodeinfo output: ${text.slice(0, 200)}`);
  return { cpuModel: kv.get("CPU model"), cpus, memoryKiB: Math.round(mem / 1024) };
}

export interface VersionInfo {
  library?: string;
  /** "QEMU", "Xen", "TEST", … */
  api?: string;
  hypervisorName?: string;
  hypervisorVersion?: string;
}

export function parseVersion(text: string): VersionInfo {
  const kv = parseKeyValues(text);
  const lib = /libvirt\s+(\S+)/.exec(kv.get("Using library") ?? "")?.[1];
  const api = (kv.get("Using API") ?? "").split(/\s+/)[0] || undefined;
  const hv = /^(\S+)\s+(\S+)/.exec(kv.get("Running hypervisor") ?? "");
  return { library: lib, api, hypervisorName: hv?.[1], hypervisorVersion: hv?.[2] };
}

export interface Capabilities {
  hostUuid?: string;
  /** Domain types offered for guests (qemu, kvm, xen, test…). */
  domainTypes: string[];
}

export function parseCapabilities(xml: string): Capabilities {
  const host = /<host>([\s\S]*?)<\/host>/.exec(xml)?.[1] ?? "";
  const hostUuid = /<uuid>([^<]+)<\/uuid>/.exec(host)?.[1]?.trim();
  const types = new Set<string>();
  for (const m of xml.matchAll(/<domain\s+type=['"]([^'"]+)['"]/g)) types.add(m[1]!);
  return { hostUuid, domainTypes: [...types] };
}

/**
 * Hypervisor kind of a connection. QEMU is "kvm" only when the host offers KVM guests; TCG-only
 * hosts (the lab) are "qemu". The URI scheme decides when virsh's version text is not conclusive.
 */
export function hypervisorKindOf(uri: string, version: VersionInfo, caps: Capabilities): HypervisorKind {
  const api = (version.api ?? version.hypervisorName ?? "").toLowerCase();
  const scheme = /^([a-z0-9]+)/i.exec(uri)?.[1]?.toLowerCase() ?? "";
  if (api === "test" || scheme === "test") return "test";
  if (api === "xen" || api.startsWith("libxl") || scheme === "xen" || scheme === "libxl") return "xen";
  if (api === "qemu" || scheme === "qemu") return caps.domainTypes.includes("kvm") ? "kvm" : "qemu";
  throw new Error(`unsupported libvirt hypervisor "${version.api ?? version.hypervisorName ?? scheme}"`);
}

/** Families that can migrate to each other through libvirt. */
export function hypervisorFamily(kind: HypervisorKind): "qemu" | "xen" | "test" {
  return kind === "kvm" ? "qemu" : kind;
}

/** virsh's state words (list/dominfo/domstate) → VmState. */
export function vmStateFromText(state: string): VmState {
  const s = state.trim().toLowerCase().replace(/\s*\(.*\)$/, "");
  switch (s) {
    case "running":
    case "idle":
    case "blocked":
    case "in shutdown":
      return "running";
    case "paused":
    case "pmsuspended":
      return "paused";
    case "shut off":
    case "shutoff":
      return "shutoff";
    case "crashed":
      return "crashed";
    default:
      return "unknown";
  }
}

export interface DomInfo {
  id?: number;
  name: string;
  uuid: string;
  state: VmState;
  vcpus: number;
  maxMemoryKiB: number;
  usedMemoryKiB: number;
  persistent: boolean;
}

export function parseDomInfo(text: string): DomInfo {
  const kv = parseKeyValues(text);
  const name = kv.get("Name");
  const uuid = kv.get("UUID");
  if (!name || !uuid) throw new Error(`unexpected dominfo output: ${text.slice(0, 200)}`);
  const id = kv.get("Id");
  const max = parseSize(kv.get("Max memory")) ?? 0;
  const used = parseSize(kv.get("Used memory")) ?? max;
  return {
    id: id && id !== "-" ? Number(id) : undefined,
    name,
    uuid,
    state: vmStateFromText(kv.get("State") ?? ""),
    vcpus: parseLeadingNumber(kv.get("CPU(s)")) ?? 0,
    maxMemoryKiB: Math.round(max / 1024),
    usedMemoryKiB: Math.round(used / 1024),
    persistent: kv.get("Persistent") === "yes",
  };
}

export interface DomIface {
  iface: string;
  type: string;
  source: string;
  model: string;
  mac: string;
}

export function parseDomIfList(text: string): DomIface[] {
  const out: DomIface[] = [];
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(cols[cols.length - 1]!)) continue;
    const [iface, type, source, model] = cols;
    out.push({ iface: iface!, type: type!, source: source!, model: model!, mac: cols[cols.length - 1]!.toLowerCase() });
  }
  return out;
}

/** `virsh list --all --uuid --name`: "uuid name" per line. */
export function parseUuidNameList(text: string): { uuid: string; name: string }[] {
  const out: { uuid: string; name: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s+(\S+)\s*$/i.exec(line);
    if (m) out.push({ uuid: m[1]!.toLowerCase(), name: m[2]! });
  }
  return out;
}

/** `virsh list --all` table: name → state. */
export function parseListTable(text: string): Map<string, VmState> {
  const out = new Map<string, VmState>();
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(\S.*?)\s*$/.exec(line);
    if (m) out.set(m[2]!, vmStateFromText(m[3]!));
  }
  return out;
}

export interface DomainXmlInfo {
  type?: string;
  name: string;
  uuid?: string;
  memoryKiB?: number;
  currentMemoryKiB?: number;
  vcpus?: number;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  disks: string[];
  macs: string[];
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
}

function memoryElement(xml: string, tag: string): number | undefined {
  const m = new RegExp(`<${tag}(?:\\s+unit=['"]([^'"]+)['"])?[^>]*>\\s*([0-9]+)\\s*</${tag}>`).exec(xml);
  if (!m) return undefined;
  const bytes = parseSize(`${m[2]} ${m[1] ?? "KiB"}`);
  return bytes === undefined ? undefined : Math.round(bytes / 1024);
}

/**
 * The few facts Ferry needs from a domain's XML. libvirt's own output is regular enough for
 * targeted patterns; no XML dependency for that.
 */
export function parseDomainXml(xml: string): DomainXmlInfo {
  const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
  if (!name) throw new Error("domain XML without <name>");
  const text = (tag: string) => {
    const v = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
    return v === undefined ? undefined : unescapeXml(v.trim());
  };
  const disks: string[] = [];
  for (const d of xml.matchAll(/<disk\b[\s\S]*?<\/disk>/g)) {
    const src = /<source\s+[^>]*\b(?:file|dev)=['"]([^'"]+)['"]/.exec(d[0])?.[1];
    if (src) disks.push(unescapeXml(src));
  }
  const macs: string[] = [];
  for (const i of xml.matchAll(/<interface\b[\s\S]*?<\/interface>/g)) {
    const mac = /<mac\s+address=['"]([^'"]+)['"]/.exec(i[0])?.[1];
    if (mac) macs.push(mac.toLowerCase());
  }
  const vcpu = /<vcpu\b[^>]*>\s*([0-9]+)\s*<\/vcpu>/.exec(xml)?.[1];
  return {
    type: /<domain\s+type=['"]([^'"]+)['"]/.exec(xml)?.[1],
    name: unescapeXml(name.trim()),
    uuid: text("uuid")?.toLowerCase(),
    memoryKiB: memoryElement(xml, "memory"),
    currentMemoryKiB: memoryElement(xml, "currentMemory"),
    vcpus: vcpu ? Number(vcpu) : undefined,
    kernel: text("kernel"),
    initrd: text("initrd"),
    cmdline: text("cmdline"),
    disks,
    macs,
  };
}

/** Splits the concatenated output of several `dumpxml` commands run in one virsh process. */
export function splitDomainXmls(text: string): string[] {
  return [...text.matchAll(/<domain\b[\s\S]*?<\/domain>/g)].map((m) => m[0]);
}

export type JobType = "none" | "bounded" | "unbounded" | "completed" | "failed" | "cancelled";

/** One `domjobinfo` reading, from either its human text or `--rawstats`. */
export interface JobInfo {
  type: JobType;
  operation?: string;
  timeElapsedMs?: number;
  dataProcessed?: number;
  dataRemaining?: number;
  dataTotal?: number;
  memoryProcessed?: number;
  memoryRemaining?: number;
  memoryTotal?: number;
  /** Bytes per second. */
  memoryBps?: number;
  /** Pages per second. */
  dirtyRate?: number;
  iteration?: number;
  /** Expected downtime while the job runs, measured downtime once completed. */
  downtimeMs?: number;
  setupTimeMs?: number;
  postcopyRequests?: number;
}

const RAW_JOB_TYPES: JobType[] = ["none", "bounded", "unbounded", "completed", "failed", "cancelled"];
const RAW_OPERATIONS = ["unknown", "start", "save", "restore", "incoming migration", "outgoing migration", "snapshot", "snapshot revert", "dump", "backup"];

export function parseDomJobInfo(text: string): JobInfo {
  const kv = parseKeyValues(text);
  const jobType = kv.get("Job type") ?? "";
  if (/^[0-9]+$/.test(jobType)) return parseRawJobInfo(jobType, kv);
  const type = jobType.toLowerCase() as JobType;
  const num = (k: string) => parseLeadingNumber(kv.get(k));
  const size = (k: string) => parseSize(kv.get(k));
  const bw = kv.get("Memory bandwidth");
  return {
    type: RAW_JOB_TYPES.includes(type) ? type : "none",
    operation: kv.get("Operation")?.toLowerCase(),
    timeElapsedMs: num("Time elapsed"),
    dataProcessed: size("Data processed"),
    dataRemaining: size("Data remaining"),
    dataTotal: size("Data total"),
    memoryProcessed: size("Memory processed"),
    memoryRemaining: size("Memory remaining"),
    memoryTotal: size("Memory total"),
    memoryBps: bw ? parseSize(bw.replace(/\/s$/, "")) : undefined,
    dirtyRate: num("Dirty rate"),
    iteration: num("Iteration"),
    downtimeMs: num("Total downtime") ?? num("Expected downtime"),
    setupTimeMs: num("Setup time"),
    postcopyRequests: num("Postcopy requests"),
  };
}

function parseRawJobInfo(jobType: string, kv: Map<string, string>): JobInfo {
  const num = (k: string) => {
    const v = kv.get(k);
    return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
  };
  const op = num("operation");
  return {
    type: RAW_JOB_TYPES[Number(jobType)] ?? "none",
    operation: op === undefined ? undefined : RAW_OPERATIONS[op],
    timeElapsedMs: num("time_elapsed"),
    dataProcessed: num("data_processed"),
    dataRemaining: num("data_remaining"),
    dataTotal: num("data_total"),
    memoryProcessed: num("memory_processed"),
    memoryRemaining: num("memory_remaining"),
    memoryTotal: num("memory_total"),
    memoryBps: num("memory_bps"),
    dirtyRate: num("memory_dirty_rate"),
    iteration: num("memory_iteration"),
    downtimeMs: num("downtime"),
    setupTimeMs: num("setup_time"),
    postcopyRequests: num("memory_postcopy_requests"),
  };
}
