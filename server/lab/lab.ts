// The embedded two-site lab: a router namespace joining the sites' underlay subnets, one
// namespace per hypervisor host with its own Open vSwitch (br-phy carries the underlay address,
// br-int the VMs, secure mode, Ferry's controller over a UNIX socket), a full mesh of GRE tunnels
// between sites, and a client namespace per site on the overlay. Everything it creates is recorded
// in a state file so `down` can remove it, even after a crash.
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { eq, op, OvsdbClient, Vswitch } from "../../controller/ovsdb";
import { DEFAULT_TOPOLOGY, MIGRATION_IF, NS_PREFIX, planLab, type LabPlan, type LabTopology, type LabVm } from "./topology";
import type { VmDefinition } from "../hypervisors/driver";
import { listNamespaces, missingBinaries, nsRun, run } from "./sh";
import { LabStateFile, processAlive, stopProcess, type LabProcess } from "./state";
import { ovsPaths, startOvs } from "./ovs-daemons";
import { checkLibvirtPrerequisites, LAB_QEMU, labDomainXml, libvirtdDaemonPid, libvirtUri, prepareLibvirtHost, restartLibvirtd, startLibvirtd, virsh } from "./libvirt-host";
import { ensureGuestImage, guestCmdline, waitForGuestReady, type GuestImage } from "./guest/image";

export interface LabOptions {
  /** Root of the lab's runtime files (per-host OVS, state file); e.g. <data dir>/lab. */
  dir: string;
  /** Ferry's OpenFlow UNIX socket that every br-int connects to. */
  controllerSocket: string;
  topology?: LabTopology;
  /** Prefix of every namespace the lab creates (tests use their own so they never touch a running lab). */
  nsPrefix?: string;
  /** Where the guest image is (built there if missing or outdated); default data/lab/images/ferry-guest. */
  guestDir?: string;
  /** MTU of the underlay (router bridges, veths, br-phy); default UNDERLAY_MTU. */
  underlayMtu?: number;
  log?: (line: string) => void;
}

export interface LabStatus {
  up: boolean;
  hosts: {
    name: string;
    site: string;
    ns: string;
    hypervisor: "libvirt" | "qemu";
    underlayIp: string;
    migrationIp: string;
    dpid: string;
    ovsRunning: boolean;
    libvirtRunning: boolean | null;
    libvirtUri: string | null;
    tunnels: string[];
  }[];
  vms: { name: string; host: string; ip: string; mac: string; state: string }[];
  clients: { site: string; ns: string; ip: string }[];
  wanRateMbit: number | null;
  problems: string[];
}

/**
 * The underlay carries jumbo frames, as a real fabric's migration network does. GRE adds 38 bytes
 * (outer IPv4 + GRE + inner Ethernet), so VMs and clients keep the ordinary 1500-byte MTU on the
 * overlay (with less than 1538 full-size TCP segments between sites are silently dropped); and a
 * migration stream sends 8,948 bytes of payload per frame instead of 1,448, so headers cost under
 * 1 % of a limited link instead of 4–5 %, and Open vSwitch's userspace datapath handles a sixth
 * of the packets.
 */
export const UNDERLAY_MTU = 9000;

const REQUIRED_BINARIES = ["ip", "tc", "ethtool", "ovsdb-server", "ovs-vswitchd", "ovsdb-tool", "ovs-vsctl"];

/**
 * The token bucket of the emulated WAN: 4 ms of the rate, and room for at least two full frames
 * (tbf drops a frame larger than its bucket). A fixed 32 kbit bucket held a "1000 Mbit/s" link to
 * 349 Mbit/s (TCP between two namespaces here; 946 with 4 ms), as the bucket empties faster than
 * the qdisc's timer refills it.
 */
export function wanBurstKbit(mbit: number, mtu: number = UNDERLAY_MTU): number {
  return Math.max(32, Math.ceil(((mtu + 14) * 8 * 2) / 1000), Math.ceil(mbit * 4));
}

export class Lab {
  readonly plan: LabPlan;
  private readonly state: LabStateFile;
  private readonly log: (line: string) => void;

  readonly underlayMtu: number;

  constructor(private readonly opts: LabOptions) {
    const mtu = opts.underlayMtu ?? UNDERLAY_MTU;
    if (!Number.isInteger(mtu) || mtu < 1538 || mtu > 9000) throw new Error(`underlayMtu must be an integer 1538..9000 (the overlay's 1500 + 38 of GRE), got ${mtu}`);
    this.underlayMtu = mtu;
    this.plan = planLab(opts.topology ?? DEFAULT_TOPOLOGY, opts.nsPrefix ?? NS_PREFIX);
    this.state = new LabStateFile(path.join(opts.dir, "state.json"));
    this.log = opts.log ?? (() => {});
  }

  hostDir(host: string): string {
    return path.join(this.opts.dir, "hosts", host);
  }

  /** Brings the lab up from scratch (anything left from an earlier run is removed first). */
  async up(): Promise<LabStatus> {
    await checkPrerequisites();
    if (hasLibvirt(this.plan)) await checkLibvirtPrerequisites(this.log);
    await this.down();
    const p = this.plan;
    this.state.write({ startedAt: new Date().toISOString(), topology: JSON.stringify(this.opts.topology ?? DEFAULT_TOPOLOGY), namespaces: [], processes: [], wanRateMbit: null });
    try {
      await this.addNamespace(p.routerNs);
      await nsRun(p.routerNs, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
      await nsRun(p.routerNs, "ip", ["link", "set", "lo", "up"]);
      for (const site of p.sites) {
        const br = siteBridge(site.name);
        await nsRun(p.routerNs, "ip", ["link", "add", br, "mtu", String(this.underlayMtu), "type", "bridge"]);
        await nsRun(p.routerNs, "ip", ["addr", "add", `${site.routerIp}/24`, "dev", br]);
        await nsRun(p.routerNs, "ip", ["link", "set", br, "up"]);
        if (site.migration) {
          const mbr = migrationBridge(site.name);
          await nsRun(p.routerNs, "ip", ["link", "add", mbr, "mtu", String(this.underlayMtu), "type", "bridge"]);
          await nsRun(p.routerNs, "ip", ["addr", "add", `${site.migration.routerIp}/24`, "dev", mbr]);
          await nsRun(p.routerNs, "ip", ["link", "set", mbr, "up"]);
        }
      }
      for (const host of p.hosts) await this.bringUpHost(host);
      for (const client of p.clients) await this.bringUpClient(client);
      await this.warmTunnels();
      await this.bootVms();
      this.log(`lab is up: ${p.hosts.map((h) => `${h.name} (${h.underlayIp})`).join(", ")}`);
      return this.status();
    } catch (err) {
      this.log(`lab up failed, cleaning up: ${err instanceof Error ? err.message : String(err)}`);
      await this.down();
      throw err;
    }
  }

  private async addNamespace(ns: string): Promise<void> {
    this.state.update((s) => s.namespaces.push(ns));
    await run("ip", ["netns", "add", ns]);
  }

  private async bringUpHost(h: LabPlan["hosts"][number]): Promise<void> {
    const p = this.plan;
    await this.addNamespace(h.ns);
    await nsRun(h.ns, "sysctl", ["-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
    await nsRun(h.ns, "ip", ["link", "set", "lo", "up"]);
    // Underlay: veth from the site's bridge in the router namespace to eth0 in the host.
    await run("ip", ["link", "add", h.routerIf, "netns", p.routerNs, "type", "veth", "peer", "name", "eth0", "netns", h.ns]);
    await nsRun(p.routerNs, "ip", ["link", "set", h.routerIf, "mtu", String(this.underlayMtu), "master", siteBridge(h.site), "up"]);
    // The userspace datapath reads eth0 through a packet socket, so the host's kernel sees its
    // frames too and would answer ARP for br-phy's address with eth0's MAC. After a link flap the
    // router re-resolves the host and may keep that answer: GRE then goes to a MAC that OVS does
    // not decapsulate, for up to the neighbour's ~30 s lifetime. eth0 has no address: no answers.
    await nsRun(h.ns, "sysctl", ["-q", "-w", "net.ipv4.conf.eth0.arp_ignore=1"]);
    await nsRun(h.ns, "ip", ["link", "set", "eth0", "mtu", String(this.underlayMtu), "up"]);
    if (h.migrationNet) await this.bringUpMigrationNet(h);

    const dir = this.hostDir(h.name);
    const procs = await startOvs(h.ns, dir);
    this.state.update((s) => s.processes.push(...procs));

    // ovs-vswitchd only connects to UNIX-socket controllers inside its run directory (a guard
    // against remote exploits), so the controller's socket is linked in there.
    const controllerLink = path.join(ovsPaths(dir).dir, "controller.sock");
    fs.symlinkSync(this.opts.controllerSocket, controllerLink);

    const client = await OvsdbClient.connect({ path: ovsPaths(dir).dbSock });
    try {
      const vs = new Vswitch(client);
      // br-phy: a plain learning bridge holding the underlay NIC and the host's underlay address.
      await vs.ensureBridge("br-phy", { datapathType: "netdev", failMode: "standalone" });
      await vs.addPort("br-phy", "eth0");
      await vs.waitForOfport("eth0", 10_000);
      await vs.waitForOfport("br-phy", 10_000);
      await client.transact("Open_vSwitch", op.update("Interface", [eq("name", "br-phy")], { mtu_request: this.underlayMtu }));
      await nsRun(h.ns, "ip", ["addr", "add", `${h.underlayIp}/${h.underlayPrefix}`, "dev", "br-phy"]);
      await nsRun(h.ns, "ip", ["link", "set", "br-phy", "up"]);
      await nsRun(h.ns, "ethtool", ["-K", "br-phy", "tx", "off"]);
      await nsRun(h.ns, "ip", ["route", "add", "10.250.0.0/16", "via", h.gateway]);

      // br-int: VMs and tunnels, forwarding decided only by Ferry's controller.
      await vs.ensureBridge("br-int", {
        datapathType: "netdev",
        failMode: "secure",
        protocols: ["OpenFlow10", "OpenFlow13"],
        controllers: [`unix:${controllerLink}`],
        otherConfig: { "datapath-id": h.dpid },
        externalIds: { "ferry-host": h.name, "ferry-site": h.site },
      });
      // The lab's emulated guests share two cores with the server: a controller starved of CPU for
      // a few seconds must not be dropped (OVS's default probe gives up after ~10 s of silence).
      await client.transact("Open_vSwitch", op.update("Controller", [eq("target", `unix:${controllerLink}`)], { inactivity_probe: 30_000 }));
      for (const t of h.tunnels) {
        await vs.addGreTunnel("br-int", t.port, t.remoteIp, { externalIds: { "ferry-peer-host": t.remoteHost } });
      }
    } finally {
      client.close();
    }

    // A compute node's own libvirtd, bound to the underlay address (it needs br-phy and br-int).
    if (h.hypervisor === "libvirt") {
      const lv = { hostName: h.name, ns: h.ns, underlayIp: h.underlayIp, migrationIp: h.migrationIp, hostDir: dir, ovsRunDir: ovsPaths(dir).dir, log: this.log };
      await prepareLibvirtHost(lv);
      const proc = await startLibvirtd(lv);
      this.state.update((s) => s.processes.push({ name: proc.name, pid: proc.pid, marker: proc.marker }));
    }
  }

  /**
   * The host's migration network: a plain kernel interface routed through the router like the
   * underlay (and limited with it by setWanRate), but outside Open vSwitch. A migration stream
   * over br-phy costs each host's userspace datapath about half a core and held it to ~55 MiB/s
   * here; real clouds give live migration a network of its own for the same reason.
   */
  private async bringUpMigrationNet(h: LabPlan["hosts"][number]): Promise<void> {
    const p = this.plan;
    const net = h.migrationNet!;
    await run("ip", ["link", "add", net.routerIf, "netns", p.routerNs, "type", "veth", "peer", "name", MIGRATION_IF, "netns", h.ns]);
    await nsRun(p.routerNs, "ip", ["link", "set", net.routerIf, "mtu", String(this.underlayMtu), "master", migrationBridge(h.site), "up"]);
    await nsRun(h.ns, "ip", ["link", "set", MIGRATION_IF, "mtu", String(this.underlayMtu), "up"]);
    await nsRun(h.ns, "ip", ["addr", "add", `${h.migrationIp}/${net.prefix}`, "dev", MIGRATION_IF]);
    for (const other of p.sites) {
      if (other.name !== h.site && other.migration) await nsRun(h.ns, "ip", ["route", "add", other.migration.cidr, "via", net.gateway]);
    }
  }

  /** Directory every host sees under the same path: the paper's NFS role (VM consoles live here). */
  sharedDir(): string {
    return path.join(this.opts.dir, "shared");
  }

  /**
   * A guest for a driver to define itself (plain-QEMU hosts, where the lab boots none): the lab's
   * guest image, the VM's address on the overlay, its console under the shared directory.
   */
  guestDefinition(vm: Pick<LabVm, "name" | "uuid" | "portId" | "mac" | "ip" | "memoryMiB">, image: GuestImage): VmDefinition {
    const consoleDir = path.join(this.sharedDir(), "vms", vm.name);
    fs.mkdirSync(consoleDir, { recursive: true });
    return {
      name: vm.name,
      uuid: vm.uuid,
      memoryMiB: vm.memoryMiB,
      vcpus: 1,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: guestCmdline({ ip: `${vm.ip}/${this.plan.overlay.prefix}`, hostname: vm.name }),
      mac: vm.mac,
      portId: vm.portId,
      consoleLog: path.join(consoleDir, "console.log"),
    };
  }

  libvirtUriOf(host: string): string {
    return libvirtUri(this.hostDir(host));
  }

  /** PID of the host's libvirtd (as this machine numbers it), undefined when none runs. */
  libvirtdPid(host: string): number | undefined {
    return libvirtdDaemonPid(this.hostDir(host));
  }

  /**
   * Starts the host's libvirtd again after it died, as the lab started it and in the same
   * namespaces, so it takes back the guests that outlived it (a compute node's service restart).
   */
  async restartLibvirtd(host: string, timeoutMs = 30_000): Promise<void> {
    const ns = this.plan.hosts.find((h) => h.name === host && h.hypervisor === "libvirt")?.ns;
    const proc = ns && this.state.read()?.processes.find((p) => p.name === `${ns}/libvirtd`);
    if (!proc) throw new Error(`${host} is not a running libvirt host of this lab`);
    await restartLibvirtd(proc, this.hostDir(host), { timeoutMs });
    this.log(`${host}: libvirtd restarted`);
  }

  /** Defines and starts the topology's VMs (libvirt domains), in parallel, and waits until each serves. */
  private async bootVms(): Promise<void> {
    if (this.plan.vms.length === 0) return;
    const image: GuestImage = await ensureGuestImage(this.opts.guestDir ? { outDir: this.opts.guestDir } : {});
    await Promise.all(this.plan.vms.map((vm) => this.bootVm(vm, image)));
  }

  private async bootVm(vm: LabPlan["vms"][number], image: GuestImage): Promise<void> {
    const dir = path.join(this.sharedDir(), "vms", vm.name);
    fs.mkdirSync(dir, { recursive: true });
    const consoleLog = path.join(dir, "console.log");
    fs.rmSync(consoleLog, { force: true });
    const xml = labDomainXml({
      name: vm.name,
      uuid: vm.uuid,
      memoryMiB: vm.memoryMiB,
      vcpus: vm.vcpus,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: guestCmdline({ ip: `${vm.ip}/${this.plan.overlay.prefix}`, hostname: vm.name, fillMb: vm.fillMiB || undefined, dirtyMbps: vm.dirtyMiBps || undefined }),
      mac: vm.mac,
      consoleLog,
      interfaceId: vm.portId,
      emulator: LAB_QEMU,
    });
    const xmlFile = path.join(dir, "domain.xml");
    fs.writeFileSync(xmlFile, xml);
    const uri = this.libvirtUriOf(vm.host);
    await virsh(uri, ["define", xmlFile]);
    await virsh(uri, ["start", vm.name]);
    await waitForGuestReady(consoleLog, { timeoutMs: 120_000 });
    this.log(`${vm.name} is up on ${vm.host} at ${vm.ip}`);
  }

  private async bringUpClient(c: LabPlan["clients"][number]): Promise<void> {
    const host = this.plan.hosts.find((h) => h.name === c.host)!;
    await this.addNamespace(c.ns);
    await run("ip", ["link", "add", c.hostPort, "netns", host.ns, "type", "veth", "peer", "name", "eth0", "netns", c.ns]);
    await nsRun(c.ns, "sysctl", ["-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
    await nsRun(c.ns, "ip", ["link", "set", "lo", "up"]);
    await nsRun(c.ns, "ip", ["link", "set", "eth0", "address", c.mac]);
    await nsRun(c.ns, "ip", ["addr", "add", `${c.ip}/${this.plan.overlay.prefix}`, "dev", "eth0"]);
    await nsRun(c.ns, "ip", ["link", "set", "eth0", "up"]);
    // The userspace datapath forwards partial checksums as they are: compute them in the sender.
    await nsRun(c.ns, "ethtool", ["-K", "eth0", "tx", "off"]);
    await nsRun(host.ns, "ip", ["link", "set", c.hostPort, "up"]);
    const client = await OvsdbClient.connect({ path: ovsPaths(this.hostDir(host.name)).dbSock });
    try {
      await new Vswitch(client).addPort("br-int", c.hostPort, { externalIds: { "ferry-client": c.site, "attached-mac": c.mac } });
    } finally {
      client.close();
    }
  }

  /**
   * The userspace datapath resolves a tunnel's remote underlay address (ARP via br-phy) on first
   * use and drops what it was sending meanwhile; resolving every tunnel endpoint now keeps the
   * first overlay packets between sites from being lost or delayed by seconds.
   */
  private async warmTunnels(): Promise<void> {
    for (const h of this.plan.hosts) {
      for (const t of h.tunnels) {
        await nsRun(h.ns, "ping", ["-c", "1", "-W", "2", t.remoteIp]).catch(() => this.log(`${h.name}: ${t.remoteIp} did not answer a ping`));
      }
    }
  }

  /** The inter-site rate limit in force (Mbit/s), null when the link is unlimited. */
  wanRateMbit(): number | null {
    return this.state.read()?.wanRateMbit ?? null;
  }

  /** Limits the inter-site link (both directions) to `mbit`, or lifts the limit with null. */
  async setWanRate(mbit: number | null): Promise<void> {
    if (mbit !== null && !(mbit > 0 && mbit <= 100_000)) throw new Error("WAN rate must be between 0 and 100000 Mbit/s");
    // Each site's underlay and migration network reach the router over links of this rate.
    const devs = this.plan.sites.flatMap((site) => [siteBridge(site.name), ...(site.migration ? [migrationBridge(site.name)] : [])]);
    for (const dev of devs) {
      if (mbit === null) await nsRun(this.plan.routerNs, "tc", ["qdisc", "del", "dev", dev, "root"]).catch(() => {});
      else await nsRun(this.plan.routerNs, "tc", ["qdisc", "replace", "dev", dev, "root", "tbf", "rate", `${mbit}mbit`, "burst", `${wanBurstKbit(mbit, this.underlayMtu)}kbit`, "latency", "400ms"]);
    }
    this.state.update((s) => (s.wanRateMbit = mbit));
  }

  async status(): Promise<LabStatus> {
    const s = this.state.read();
    const namespaces = new Set(await listNamespaces());
    const problems: string[] = [];
    const running = (h: LabPlan["hosts"][number], daemon: string) =>
      (s?.processes ?? []).some((p) => p.name === `${h.ns}/${daemon}` && processAlive(p.pid, p.marker));
    const hosts = this.plan.hosts.map((h) => {
      const ovsRunning = running(h, "ovsdb-server") && running(h, "ovs-vswitchd");
      // PID 1 of the host's namespaces outlives a crashed daemon: ask for the daemon itself.
      const libvirtRunning = h.hypervisor === "libvirt" ? running(h, "libvirtd") && libvirtdDaemonPid(this.hostDir(h.name)) !== undefined : null;
      if (s && !namespaces.has(h.ns)) problems.push(`${h.name}: namespace ${h.ns} is missing`);
      if (s && !ovsRunning) problems.push(`${h.name}: Open vSwitch is not running`);
      if (s && libvirtRunning === false) problems.push(`${h.name}: libvirtd is not running`);
      return {
        name: h.name,
        site: h.site,
        ns: h.ns,
        hypervisor: h.hypervisor,
        underlayIp: h.underlayIp,
        migrationIp: h.migrationIp,
        dpid: h.dpid,
        ovsRunning,
        libvirtRunning,
        libvirtUri: h.hypervisor === "libvirt" ? this.libvirtUriOf(h.name) : null,
        tunnels: h.tunnels.map((t) => `${t.port} → ${t.remoteIp}`),
      };
    });
    const vms = await Promise.all(
      this.plan.vms.map(async (vm) => ({
        name: vm.name,
        host: vm.host,
        ip: vm.ip,
        mac: vm.mac,
        state: s ? await virsh(this.libvirtUriOf(vm.host), ["domstate", vm.name], 5_000).catch(() => "unknown") : "absent",
      })),
    );
    const clients = this.plan.clients.map((c) => ({ site: c.site, ns: c.ns, ip: c.ip }));
    return { up: s !== null && problems.length === 0, hosts, vms, clients, wanRateMbit: s?.wanRateMbit ?? null, problems };
  }

  /** Removes everything the lab created: processes, namespaces (and with them veths), files. */
  async down(): Promise<void> {
    const s = this.state.read();
    const procs: LabProcess[] = [...(s?.processes ?? [])].reverse();
    for (const p of procs) await stopProcess(p);
    // Processes started after the last state write (a crash mid-way) are found by their files.
    for (const p of strayProcesses(path.join(this.opts.dir, "hosts"))) await stopProcess(p);
    const ours = new Set([...(s?.namespaces ?? []), ...(await listNamespaces()).filter((n) => n.startsWith(this.plan.nsPrefix))]);
    for (const ns of ours) await run("ip", ["netns", "delete", ns]).catch(() => {});
    fs.rmSync(path.join(this.opts.dir, "hosts"), { recursive: true, force: true });
    fs.rmSync(this.sharedDir(), { recursive: true, force: true });
    this.state.remove();
  }
}

function hasLibvirt(plan: LabPlan): boolean {
  return plan.hosts.some((h) => h.hypervisor === "libvirt");
}

function siteBridge(site: string): string {
  return `s-${site}`;
}

function migrationBridge(site: string): string {
  return `mb-${site}`;
}

async function checkPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the lab needs root (network namespaces, Open vSwitch)");
  const missing = await missingBinaries(REQUIRED_BINARIES);
  if (missing.length) throw new Error(`the lab needs ${missing.join(", ")} (scripts/install.sh installs them)`);
}

function strayProcesses(marker: string): LabProcess[] {
  const out: LabProcess[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(marker)) out.push({ name: cmdline.split("\0")[0]!, pid: Number(entry), marker });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
