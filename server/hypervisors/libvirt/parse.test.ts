import { describe, expect, it } from "vitest";
import { HypervisorError } from "../driver";
import { buildMigrationPlan } from "./flags";
import * as F from "./fixtures";
import {
  hypervisorKindOf,
  parseCapabilities,
  parseDomainXml,
  parseDomIfList,
  parseDomInfo,
  parseDomJobInfo,
  parseListTable,
  parseNodeInfo,
  parseSize,
  parseUuidNameList,
  parseVersion,
  splitDomainXmls,
} from "./parse";
import { cleanStderr } from "./virsh";

describe("virsh output parsers (real libvirt 9.0 samples)", () => {
  it("reads nodeinfo", () => {
    expect(parseNodeInfo(F.NODEINFO_LAB)).toEqual({ cpuModel: "x86_64", cpus: 2, memoryKiB: 7431968 });
  });

  it("reads version and capabilities into a hypervisor kind", () => {
    const v = parseVersion(F.VERSION_LAB);
    expect(v).toEqual({ library: "9.0.0", api: "QEMU", hypervisorName: "QEMU", hypervisorVersion: "7.2.22" });
    const caps = parseCapabilities(F.CAPABILITIES_LAB_EXCERPT);
    expect(caps).toEqual({ hostUuid: "35333f69-be33-42ea-bb5f-c7eca0e44ad6", domainTypes: ["qemu"] });
    const uri = "qemu+unix:///system?socket=/x/libvirt-sock";
    expect(hypervisorKindOf(uri, v, caps)).toBe("qemu");
    expect(hypervisorKindOf(uri, v, { domainTypes: ["qemu", "kvm"] })).toBe("kvm");
    expect(hypervisorKindOf("xen+ssh://h", { api: "Xen" }, { domainTypes: ["xen"] })).toBe("xen");
    expect(hypervisorKindOf("test:///default", { api: "TEST" }, { domainTypes: ["test"] })).toBe("test");
    expect(() => hypervisorKindOf("vbox:///session", { api: "VBOX" }, { domainTypes: [] })).toThrow(/unsupported/);
  });

  it("reads dominfo of running and shut-off domains", () => {
    expect(parseDomInfo(F.DOMINFO_RUNNING)).toEqual({
      id: 1,
      name: "capvm",
      uuid: "0d0a9916-dba9-4977-81cb-a1aae504cfd2",
      state: "running",
      vcpus: 1,
      maxMemoryKiB: 262144,
      usedMemoryKiB: 262144,
      persistent: true,
    });
    const off = parseDomInfo(F.DOMINFO_SHUTOFF);
    expect(off.id).toBeUndefined();
    expect(off.state).toBe("shutoff");
  });

  it("reads domiflist, list output and domain XML", () => {
    expect(parseDomIfList(F.DOMIFLIST_LAB)).toEqual([{ iface: "vnet0", type: "bridge", source: "br-int", model: "virtio", mac: "52:54:00:99:00:11" }]);
    expect(parseUuidNameList(F.LIST_UUID_NAME)).toEqual([{ uuid: "0d0a9916-dba9-4977-81cb-a1aae504cfd2", name: "capvm" }]);
    expect([...parseListTable(" 1    p1     paused\n -    s1     shut off\n 3    r1     running\n").entries()]).toEqual([
      ["p1", "paused"],
      ["s1", "shutoff"],
      ["r1", "running"],
    ]);
    const x = parseDomainXml(F.DUMPXML_LAB);
    expect(x).toMatchObject({
      type: "qemu",
      name: "capvm",
      uuid: "0d0a9916-dba9-4977-81cb-a1aae504cfd2",
      memoryKiB: 262144,
      currentMemoryKiB: 262144,
      vcpus: 1,
      kernel: "/work/main/data/lab/images/ferry-guest/vmlinuz",
      initrd: "/work/main/data/lab/images/ferry-guest/initrd.img",
      disks: [],
      macs: ["52:54:00:99:00:11"],
    });
    expect(x.cmdline).toContain("ferry.ip=10.99.0.11/24");
    expect(splitDomainXmls(`${F.DUMPXML_LAB}\n${F.DUMPXML_LAB.replace("<name>capvm", "<name>other")}`).map((d) => parseDomainXml(d).name)).toEqual(["capvm", "other"]);
  });

  it("reads disks, units and escaped paths in domain XML", () => {
    const x = parseDomainXml(`<domain type='kvm'><name>a&amp;b</name><memory unit='GiB'>2</memory><vcpu placement='static'>4</vcpu>
      <devices><disk type='file' device='disk'><source file='/srv/nfs/a&amp;b.qcow2'/></disk><disk type='block'><source dev='/dev/sdb'/></disk></devices></domain>`);
    expect(x).toMatchObject({ type: "kvm", name: "a&b", memoryKiB: 2 * 1024 * 1024, vcpus: 4, disks: ["/srv/nfs/a&b.qcow2", "/dev/sdb"], macs: [] });
    expect(parseSize("256.508 MiB")).toBe(Math.round(256.508 * 1024 * 1024));
    expect(parseSize("0.000 B")).toBe(0);
    expect(parseSize("7431968 KiB")).toBe(7431968 * 1024);
  });

  it("reads domjobinfo: no job, an active migration (text and raw), completed (text and raw)", () => {
    expect(parseDomJobInfo(F.DOMJOBINFO_NONE).type).toBe("none");

    const a = parseDomJobInfo(F.DOMJOBINFO_ACTIVE);
    expect(a).toMatchObject({ type: "unbounded", operation: "outgoing migration", timeElapsedMs: 3169, iteration: 1, dirtyRate: 0, downtimeMs: 300, setupTimeMs: 4 });
    expect(a.memoryProcessed).toBe(Math.round(10.018 * 1024 * 1024));
    expect(a.memoryTotal).toBe(Math.round(256.508 * 1024 * 1024));
    expect(a.memoryBps).toBe(Math.round(20.039 * 1024 * 1024));

    expect(parseDomJobInfo(F.DOMJOBINFO_RAW_ACTIVE)).toMatchObject({
      type: "unbounded",
      operation: "outgoing migration",
      timeElapsedMs: 29390,
      memoryProcessed: 547425234,
      memoryRemaining: 4988928,
      memoryTotal: 268967936,
      memoryBps: 21012660,
      dirtyRate: 4250,
      iteration: 23,
      downtimeMs: 352,
      setupTimeMs: 4,
    });

    expect(parseDomJobInfo(F.DOMJOBINFO_COMPLETED)).toMatchObject({ type: "completed", operation: "incoming migration", timeElapsedMs: 29980, iteration: 28, downtimeMs: 187, dataRemaining: 0 });
    expect(parseDomJobInfo(F.DOMJOBINFO_RAW_COMPLETED)).toMatchObject({ type: "completed", operation: "incoming migration", timeElapsedMs: 6793, downtimeMs: 2806, memoryProcessed: 96795999, iteration: 3 });
  });

  it("keeps virsh's error text and drops its progress noise", () => {
    expect(cleanStderr("Migration: [ 3 %]Migration: [ 8 %]\rerror: operation aborted: job 'migration out' canceled by client\n")).toBe(
      "operation aborted: job 'migration out' canceled by client",
    );
    expect(cleanStderr("error: failed to connect to the hypervisor\nerror: unable to connect to server at '127.0.0.1:1': Connection refused\n")).toBe(
      "failed to connect to the hypervisor; unable to connect to server at '127.0.0.1:1': Connection refused",
    );
  });
});

describe("migration command builder", () => {
  const dest = "qemu+tcp://10.250.2.11/system";

  it("QEMU: live peer-to-peer move, speed and downtime set before, optional flags", () => {
    expect(buildMigrationPlan("qemu", "vm1", dest)).toEqual({
      before: [],
      migrate: ["migrate", "--live", "--p2p", "--persistent", "--undefinesource", "vm1", dest],
      detailedProgress: true,
      postCopy: false,
    });
    const p = buildMigrationPlan("qemu", "vm1", dest, { maxBandwidthMiBps: 40, downtimeLimitMs: 150, autoConverge: true, postCopy: true });
    expect(p.before).toEqual([
      ["migrate-setspeed", "vm1", "40"],
      ["migrate-setmaxdowntime", "vm1", "150"],
    ]);
    expect(p.migrate).toEqual(["migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--auto-converge", "--postcopy", "vm1", dest]);
    expect(p.postCopy).toBe(true);
  });

  it("rejects nonsense limits", () => {
    expect(() => buildMigrationPlan("qemu", "vm1", dest, { maxBandwidthMiBps: 0 })).toThrow(HypervisorError);
    expect(() => buildMigrationPlan("qemu", "vm1", dest, { downtimeLimitMs: 1.5 })).toThrow(/downtimeLimitMs/);
  });

  it("Xen (libxl): only the flags libxl accepts, no speed/downtime steps, status-only progress", () => {
    const p = buildMigrationPlan("xen", "guest", "xen+ssh://b/system");
    expect(p).toEqual({
      before: [],
      migrate: ["migrate", "--live", "--p2p", "--persistent", "--undefinesource", "guest", "xen+ssh://b/system"],
      detailedProgress: false,
      postCopy: false,
    });
    const allowed = new Set(["--live", "--p2p", "--tunnelled", "--persistent", "--undefinesource", "--suspend"]);
    expect(p.migrate.filter((a) => a.startsWith("--")).every((a) => allowed.has(a))).toBe(true);
  });

  it("Xen (libxl): refuses every option it cannot honour, naming them", () => {
    for (const opt of [{ maxBandwidthMiBps: 10 }, { downtimeLimitMs: 100 }, { autoConverge: true }, { postCopy: true }]) {
      let err: unknown;
      try {
        buildMigrationPlan("xen", "guest", "xen+ssh://b/system", opt);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HypervisorError);
      expect((err as HypervisorError).code).toBe("UNSUPPORTED");
      expect((err as HypervisorError).message).toMatch(/Xen \(libxl\)/);
    }
    expect(() => buildMigrationPlan("xen", "g", "xen+ssh://b", { maxBandwidthMiBps: 10, postCopy: true })).toThrow(/a bandwidth limit, post-copy/);
    // Options left at their defaults are fine.
    expect(() => buildMigrationPlan("xen", "g", "xen+ssh://b", { autoConverge: false, postCopy: false })).not.toThrow();
  });

  it("test driver: no migration at all", () => {
    expect(() => buildMigrationPlan("test", "vm", "test:///default")).toThrow(/test driver/);
  });
});
