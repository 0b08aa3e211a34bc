// Integration: two simulated compute hosts, each a network namespace with its own Open vSwitch
// and its own libvirtd, joined by a veth underlay (10.251.0.0/24, inside the test's namespaces
// only). A TCG guest boots on host 1, libvirt plugs it into host 1's br-int, then it is live-
// migrated to host 2 over qemu+tcp and must end up running (and answering) there. Afterwards
// no daemon, guest, namespace, mount or file of the test may remain.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "../../controller/ovsdb/testing/ovs-instance";
import { guestCmdline } from "./guest/image";
import {
  checkLibvirtPrerequisites,
  labDomainXml,
  libvirtPaths,
  prepareLibvirtHost,
  processesWithMarker,
  startLibvirtd,
  stopLibvirtd,
  virsh,
  type LibvirtdProcess,
  type LibvirtHostOptions,
} from "./libvirt-host";
import { listNamespaces, nsRun, run } from "./sh";

const GUEST_DIR = path.resolve(import.meta.dirname, "../../data/lab/images/ferry-guest");
const LIBVIRT_BINARIES = ["libvirtd", "virsh", "qemu-system-x86_64", "unshare"];
// Unique per run: QEMU's command line names the guest (guest=NAME,), which is how the test
// finds its QEMU processes.
const VM = `lvt${process.pid}-vm1`;
const VM2 = `lvt${process.pid}-vm2`;
const VM_MAC = "52:54:00:fe:10:01";
const VM_IP = "10.99.0.11";
const BRIDGE_IP = "10.99.0.1";

function onPath(bin: string): boolean {
  return ["/usr/sbin", "/usr/bin", "/sbin", "/bin", ...(process.env.PATH ?? "").split(":")].some((d) => d && fs.existsSync(path.join(d, bin)));
}

/** Kernel + initrd to boot: the lab's guest image, else the machine's kernel with a tiny busybox initramfs. */
function guestSource(): { kernel: string; initrd?: string; ferryGuest: boolean } | string {
  const kernel = path.join(GUEST_DIR, "vmlinuz");
  const initrd = path.join(GUEST_DIR, "initrd.img");
  if (fs.existsSync(kernel) && fs.existsSync(initrd)) return { kernel, initrd, ferryGuest: true };
  const boot = fs.existsSync("/boot") ? fs.readdirSync("/boot").filter((f) => f.startsWith("vmlinuz-")) : [];
  if (boot.length === 0) return `no guest kernel: neither ${kernel} (bash server/lab/guest/build-image.sh) nor /boot/vmlinuz-*`;
  if (!fs.existsSync("/bin/busybox")) return "no /bin/busybox for the fallback initramfs (apt-get install busybox-static)";
  return { kernel: path.join("/boot", boot.sort().at(-1)!), ferryGuest: false };
}

function skipReason(): string | undefined {
  const ovs = ovsUnavailableReason();
  if (ovs) return ovs;
  const missing = LIBVIRT_BINARIES.filter((b) => !onPath(b));
  if (missing.length) return `missing ${missing.join(", ")} (apt-get install --no-install-recommends libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86)`;
  const g = guestSource();
  return typeof g === "string" ? g : undefined;
}

const skip = skipReason();
if (skip) console.warn(`skipping libvirt lab host test: ${skip}`);

/** A trivial initramfs: busybox as /init that reports on the console and sleeps. */
async function buildTinyInitrd(dir: string): Promise<string> {
  const root = path.join(dir, "initramfs");
  fs.mkdirSync(path.join(root, "bin"), { recursive: true });
  fs.copyFileSync("/bin/busybox", path.join(root, "bin/busybox"));
  fs.symlinkSync("busybox", path.join(root, "bin/sh"));
  fs.writeFileSync(
    path.join(root, "init"),
    "#!/bin/sh\n/bin/busybox mkdir -p /dev /proc\n/bin/busybox mount -t devtmpfs dev /dev\nexec >/dev/console 2>&1\necho 'lab-guest: ready'\nwhile :; do /bin/busybox sleep 3600; done\n",
    { mode: 0o755 },
  );
  const out = path.join(dir, "initrd.img");
  await run("sh", ["-c", `cd "${root}" && find . | cpio -o -H newc --quiet | gzip -1 > "${out}"`]);
  return out;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ovsInterfaces(ovs: OvsInstance): Promise<string> {
  return ovs.vsctl(["--no-headings", "--columns=name,external_ids", "--format=csv", "--data=bare", "find", "Interface", `external_ids:attached-mac="${VM_MAC}"`]);
}

async function domainNames(uri: string): Promise<string[]> {
  return (await virsh(uri, ["list", "--all", "--name"])).split("\n").map((s) => s.trim()).filter(Boolean);
}

describe.skipIf(skip)("libvirt lab hosts", () => {
  let tmp = "";
  let mountsBefore = "";
  const ovs: OvsInstance[] = [];
  const hosts: LibvirtHostOptions[] = [];
  const daemons: LibvirtdProcess[] = [];
  let consoleLog = "";
  let ferryGuest = false;
  const timings: Record<string, number> = {};

  const cleanup = async () => {
    for (const d of daemons.splice(0)) await stopLibvirtd(d).catch((e: Error) => console.warn(e.message));
    for (const o of ovs.splice(0)) await o.stop().catch((e: Error) => console.warn(e.message));
    // Last resort for anything the daemons' namespaces did not take with them.
    for (const p of tmp ? [...processesWithMarker(tmp), ...processesWithMarker(`guest=lvt${process.pid}-`)] : []) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  };

  beforeAll(async () => {
    mountsBefore = fs.readFileSync("/proc/mounts", "utf8");
    // Short base path: the libvirt and OVS sockets must fit in sun_path.
    tmp = fs.mkdtempSync(path.join("/tmp", "ferry-lvt-"));
    try {
      await checkLibvirtPrerequisites((l) => console.log(l));
      for (let i = 0; i < 2; i++) ovs.push(await startOvs({ withVswitchd: true }));
      const [n1, n2] = ovs.map((o) => o.netns!) as [string, string];
      // Underlay: one veth between the two hosts, addressed only inside their namespaces.
      await run("ip", ["link", "add", "ul0", "netns", n1, "type", "veth", "peer", "name", "ul0", "netns", n2]);
      for (const [i, o] of ovs.entries()) {
        await o.exec("ip", ["link", "set", "lo", "up"]);
        await o.exec("ip", ["addr", "add", `10.251.0.${i + 1}/24`, "dev", "ul0"]);
        await o.exec("ip", ["link", "set", "ul0", "up"]);
        await o.vsctl(["add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=standalone"]);
        // The bridge's internal port lets the test reach the guest from the host it runs on.
        await o.exec("ip", ["addr", "add", `${BRIDGE_IP}/24`, "dev", "br-int"]);
        await o.exec("ip", ["link", "set", "br-int", "up"]);
        await o.exec("ethtool", ["-K", "br-int", "tx", "off"]);
        hosts.push({ hostName: `lvt-host${i + 1}`, ns: o.netns!, underlayIp: `10.251.0.${i + 1}`, hostDir: path.join(tmp, `h${i + 1}`), ovsRunDir: o.dir });
      }
      await nsRun(n1, "ping", ["-c", "1", "-W", "2", "10.251.0.2"]);
      for (const h of hosts) {
        await prepareLibvirtHost(h);
        const t0 = Date.now();
        daemons.push(await startLibvirtd(h, { timeoutMs: 30_000 }));
        timings[`libvirtd start ${h.hostName} ms`] = Date.now() - t0;
      }
    } catch (err) {
      await cleanup();
      throw err;
    }
  }, 120_000);

  afterAll(async () => {
    await cleanup();
    if (Object.keys(timings).length) console.log(`libvirt lab host timings: ${JSON.stringify(timings)}`);
  }, 60_000);

  it("runs one libvirtd per host, each answering on its own socket with its own identity", async () => {
    for (const [i, d] of daemons.entries()) {
      expect(await virsh(d.uri, ["version"])).toMatch(/Running hypervisor: QEMU/);
      expect(await virsh(d.uri, ["hostname"])).toBe(hosts[i]!.hostName);
      expect(d.socket.startsWith(libvirtPaths(hosts[i]!.hostDir).run)).toBe(true);
    }
    const hostUuid = async (d: LibvirtdProcess) => /<host>\s*<uuid>([^<]+)<\/uuid>/.exec(await virsh(d.uri, ["capabilities"]))?.[1];
    const [u1, u2] = await Promise.all(daemons.map(hostUuid));
    expect(u1).toMatch(/^[0-9a-f-]{36}$/);
    expect(u1).not.toBe(u2);
  });

  it("boots a TCG guest on host 1 and lets libvirt plug it into that host's br-int", async () => {
    const src = guestSource();
    if (typeof src === "string") throw new Error(src);
    ferryGuest = src.ferryGuest;
    const initrd = src.initrd ?? (await buildTinyInitrd(tmp));
    // Shared by both hosts (same path in both mount namespaces), so the console survives migration.
    consoleLog = path.join(tmp, `${VM}.console.log`);
    const xml = labDomainXml({
      name: VM,
      memoryMiB: 256,
      kernel: src.kernel,
      initrd,
      cmdline: ferryGuest ? guestCmdline({ ip: `${VM_IP}/24`, hostname: VM }) : "console=ttyS0 panic=-1 quiet",
      mac: VM_MAC,
      consoleLog,
    });
    const xmlFile = path.join(tmp, `${VM}.xml`);
    fs.writeFileSync(xmlFile, xml);
    const h1 = daemons[0]!;
    await virsh(h1.uri, ["define", xmlFile]);
    const t0 = Date.now();
    await virsh(h1.uri, ["start", VM]);
    timings["virsh start ms"] = Date.now() - t0;
    await waitFor("the guest's ready line on its console", 90_000, () => {
      const text = fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, "utf8") : "";
      return /^(ferry-guest|lab-guest): ready/m.test(text) ? true : undefined;
    });
    timings["boot to ready ms"] = Date.now() - t0;
    expect(await virsh(h1.uri, ["domstate", VM])).toBe("running");

    const ports = await ovsInterfaces(ovs[0]!);
    expect(ports).toMatch(/^vnet\d+,/);
    expect(ports).toContain(`attached-mac=${VM_MAC}`);
    expect(ports).toMatch(/iface-id=[0-9a-f-]{36}/);
    expect(await ovs[0]!.vsctl(["port-to-br", ports.split(",")[0]!])).toBe("br-int");
    if (ferryGuest) await ovs[0]!.exec("ping", ["-c", "2", "-i", "0.2", "-W", "3", VM_IP]);
  }, 120_000);

  it("live-migrates the guest to host 2 over qemu+tcp on the underlay", async () => {
    const [h1, h2] = daemons as [LibvirtdProcess, LibvirtdProcess];
    const jobs: string[] = [];
    let migrating = true;
    const poll = (async () => {
      while (migrating) {
        const info = await virsh(h1.uri, ["domjobinfo", VM], 3_000).catch(() => "");
        if (/Data processed/.test(info)) jobs.push(info);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const t0 = Date.now();
    try {
      await virsh(h1.uri, ["migrate", "--live", "--p2p", "--persistent", "--undefinesource", VM, h2.tcpUri], 120_000);
    } finally {
      migrating = false;
      await poll;
    }
    timings["virsh migrate ms"] = Date.now() - t0;
    if (jobs.length) console.log(`last domjobinfo during migration:\n${jobs.at(-1)}`);

    expect(await virsh(h2.uri, ["domstate", VM])).toBe("running");
    expect(await domainNames(h1.uri)).not.toContain(VM);
    expect(await virsh(h2.uri, ["list", "--persistent", "--name"])).toContain(VM);
    expect(await ovsInterfaces(ovs[0]!)).toBe("");
    const ports = await ovsInterfaces(ovs[1]!);
    expect(ports).toContain(`attached-mac=${VM_MAC}`);
    expect(await ovs[1]!.vsctl(["port-to-br", ports.split(",")[0]!])).toBe("br-int");
    // The same guest (no reboot) now answers through host 2's bridge.
    if (ferryGuest) await ovs[1]!.exec("ping", ["-c", "2", "-i", "0.2", "-W", "3", VM_IP]);
    expect(fs.readFileSync(consoleLog, "utf8").match(/^(ferry-guest|lab-guest): ready/gm)).toHaveLength(1);
  }, 150_000);

  it("restarts a host's libvirtd cleanly over one that is still running with a guest (crash recovery)", async () => {
    const h1 = hosts[0]!;
    const old = daemons[0]!;
    const xmlFile = path.join(tmp, `${VM2}.xml`);
    const src = guestSource();
    if (typeof src === "string") throw new Error(src);
    fs.writeFileSync(xmlFile, labDomainXml({ name: VM2, memoryMiB: 64, kernel: src.kernel, initrd: src.initrd ?? path.join(tmp, "initrd.img"), cmdline: "console=ttyS0", mac: "52:54:00:fe:10:02", consoleLog: path.join(tmp, `${VM2}.console.log`) }));
    await virsh(old.uri, ["define", xmlFile]);
    await virsh(old.uri, ["start", VM2]);
    expect(processesWithMarker(`guest=${VM2},`)).toHaveLength(1);

    // As after a crash of whatever started it: nothing was stopped, the same host is set up again.
    await prepareLibvirtHost(h1);
    daemons[0] = await startLibvirtd(h1);
    expect(processesWithMarker(`guest=${VM2},`)).toEqual([]);
    expect(fs.existsSync(`/proc/${old.pid}`)).toBe(false);
    expect(await domainNames(daemons[0].uri)).toEqual([]);
    expect(await ovsInterfaces(ovs[0]!)).toBe("");
  }, 60_000);

  it("removes the guest, and stopping the hosts leaves no process, namespace or mount behind", async () => {
    const h2 = daemons[1]!;
    await virsh(h2.uri, ["destroy", VM]);
    await virsh(h2.uri, ["undefine", VM]);
    expect(await domainNames(h2.uri)).toEqual([]);
    expect(await ovsInterfaces(ovs[1]!)).toBe("");

    const namespaces = ovs.map((o) => o.netns!);
    const dirs = hosts.map((h) => libvirtPaths(h.hostDir).dir);
    for (const d of daemons.splice(0)) await stopLibvirtd(d);
    for (const o of ovs.splice(0)) await o.stop();

    expect(processesWithMarker(tmp)).toEqual([]);
    expect(processesWithMarker(`guest=lvt${process.pid}-`)).toEqual([]);
    for (const d of dirs) expect(processesWithMarker(d)).toEqual([]);
    const left = new Set(await listNamespaces());
    expect(namespaces.filter((n) => left.has(n))).toEqual([]);
    const mountsAfter = fs.readFileSync("/proc/mounts", "utf8");
    expect(mountsAfter.split("\n").filter((l) => l.includes(tmp) || /\/(libvirt|openvswitch)\b/.test(l))).toEqual([]);
    const before = new Set(mountsBefore.split("\n"));
    // Other labs on the machine may add their own namespace mounts meanwhile; anything else is ours.
    const added = mountsAfter.split("\n").filter((l) => !before.has(l));
    expect(added.filter((l) => !l.startsWith("nsfs /run/netns/") || namespaces.some((n) => l.includes(n)))).toEqual([]);
  }, 60_000);
});
