// Integration on a private two-site lab: one libvirtd per host, Ferry's controller forwarding,
// a real live migration host-a1 → host-b1 across the routed migration network through LibvirtDriver, a
// cancelled one back, and nothing left behind.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "../../../controller/controller";
import { ovsUnavailableReason } from "../../../controller/ovsdb/testing/ovs-instance";
import { Lab } from "../../lab/lab";
import { DEFAULT_TOPOLOGY, MIGRATION_IF } from "../../lab/topology";
import { listNamespaces, nsRun, rxBytes } from "../../lab/sh";
import { ensureGuestImage, guestCmdline, waitForGuestReady, type GuestStatus } from "../../lab/guest/image";
import { libvirtTcpUri, virsh } from "../../lab/libvirt-host";
import { HypervisorError, type MigrationProgress, type SwitchoverEvent, type VmDefinition } from "../driver";
import { LibvirtDriver } from "./driver";

const unavailable = ovsUnavailableReason();
const tag = `lv${process.pid % 1000}`;

describe.skipIf(unavailable)("libvirt driver on the two-site lab", () => {
  const prefix = `ferry-${tag}-`;
  const vmName = `${tag}-vm1`;
  let dir: string;
  let controller: OpenFlowController;
  let lab: Lab;
  let a: LibvirtDriver;
  let b: LibvirtDriver;
  let def: VmDefinition;
  let clientNs: string;
  const log = (line: string) => process.stdout.write(`[${tag}] ${line}\n`);

  const http = async (): Promise<GuestStatus> => JSON.parse(await nsRun(clientNs, "curl", ["-sS", "--max-time", "10", "http://10.99.0.21/"], { timeoutMs: 15_000 })) as GuestStatus;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-lv-test-"));
    const sock = path.join(dir, "of.sock");
    controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
    await controller.start();
    lab = new Lab({ dir: path.join(dir, "lab"), controllerSocket: sock, nsPrefix: prefix, topology: { ...DEFAULT_TOPOLOGY, vms: [] } });
    const status = await lab.up();
    expect(status.problems).toEqual([]);
    const [ha, hb] = lab.plan.hosts;
    const shared = lab.sharedDir();
    const image = await ensureGuestImage();
    const storage = [shared, path.dirname(image.kernel)];
    a = new LibvirtDriver({ name: "host-a1", uri: lab.libvirtUriOf("host-a1"), migrationUri: libvirtTcpUri(ha!.underlayIp), storagePaths: storage });
    b = new LibvirtDriver({ name: "host-b1", uri: lab.libvirtUriOf("host-b1"), migrationUri: libvirtTcpUri(hb!.underlayIp), storagePaths: storage });
    clientNs = lab.plan.clients[0]!.ns;
    fs.mkdirSync(path.join(shared, "vms", vmName), { recursive: true });
    def = {
      name: vmName,
      memoryMiB: 256,
      vcpus: 1,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: guestCmdline({ ip: "10.99.0.21/24", hostname: vmName }),
      mac: "52:54:00:99:01:21",
      consoleLog: path.join(shared, "vms", vmName, "console.log"),
    };
  }, 300_000);

  afterAll(async () => {
    await a?.close().catch(() => {});
    await b?.close().catch(() => {});
    await lab?.down();
    await controller?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it("reports facts of both hosts", async () => {
    const [fa, fb] = await Promise.all([a.facts(), b.facts()]);
    for (const [f, name] of [[fa, "host-a1"], [fb, "host-b1"]] as const) {
      // libvirt offers KVM guests wherever /dev/kvm exists (the lab's own guests run under TCG either way).
      expect(f).toMatchObject({ name, driver: "libvirt", hypervisor: fs.existsSync("/dev/kvm") ? "kvm" : "qemu" });
      expect(f.hypervisorVersion).toMatch(/^\d+\.\d+/);
      expect(f.cpus).toBeGreaterThan(0);
      expect(f.memoryTotalMiB).toBeGreaterThan(256);
      expect(f.memoryFreeMiB).toBe(f.memoryTotalMiB);
    }
    expect(b.migrationUri).toBe("qemu+tcp://10.250.2.11/system");
  });

  it("defines and starts a VM on host-a1 whose inventory is right and which answers HTTP", async () => {
    const defined = await a.define(def);
    expect(defined).toMatchObject({ name: vmName, state: "shutoff", memoryMiB: 256, vcpus: 1, macs: [def.mac], host: "host-a1" });
    await a.start(vmName);
    const vm = await a.getVm(vmName);
    expect(vm).toMatchObject({ name: vmName, uuid: defined.uuid, state: "running", memoryMiB: 256, vcpus: 1, macs: [def.mac], diskPaths: [def.kernel, def.initrd] });
    expect((await a.listVms()).map((v) => [v.name, v.state])).toEqual([[vmName, "running"]]);
    expect((await a.facts()).memoryFreeMiB).toBe((await a.facts()).memoryTotalMiB - 256);
    await waitForGuestReady(def.consoleLog, { timeoutMs: 120_000 });
    const s = await http();
    expect(s.hostname).toBe(vmName);
  }, 180_000);

  it("live-migrates host-a1 → host-b1 with progress, keeping the guest and its HTTP service", async () => {
    const before = await http();
    const vm = await a.getVm(vmName);
    const incoming = await b.prepareIncoming(vm, def);
    expect(incoming.uri).toBe("qemu+tcp://10.250.2.11/system");
    expect((await b.facts()).memoryFreeMiB).toBe((await b.facts()).memoryTotalMiB - 256);

    const bNs = lab.plan.hosts.find((h) => h.name === "host-b1")!.ns;
    const rxBefore = { mig: await rxBytes(bNs, MIGRATION_IF), underlay: await rxBytes(bNs, "eth0") };
    const samples: MigrationProgress[] = [];
    const t0 = Date.now();
    // A modest bandwidth limit keeps pre-copy long enough to be sampled on a busy machine.
    const handle = await a.migrate(vmName, { driver: b, incoming }, { maxBandwidthMiBps: 64, downtimeLimitMs: 300 });
    handle.onProgress((p) => samples.push(p));
    const switchovers: SwitchoverEvent[] = [];
    handle.onSwitchover((e) => switchovers.push(e));
    const result = await handle.done;
    const doneAt = Date.now();
    const wall = doneAt - t0;
    log(`migration a1→b1: ${JSON.stringify(result)}, wall ${wall} ms, ${samples.length} samples, switch-over ${JSON.stringify(switchovers)}`);

    // libvirt's lifecycle events: the source paused for stop-and-copy, then the destination ran
    // the VM, both reported before done() resolved; the pause between them is libvirt's downtime.
    expect(switchovers.map((e) => e.event)).toEqual(["source-paused", "destination-running"]);
    expect(switchovers[1]!.at).toBeGreaterThanOrEqual(switchovers[0]!.at);
    expect(switchovers[1]!.at).toBeLessThanOrEqual(doneAt);

    const active = samples.filter((p) => p.status === "active" && p.transferredBytes !== undefined);
    expect(active.length).toBeGreaterThan(0);
    expect(active.some((p) => (p.pass ?? 0) >= 1)).toBe(true);
    const transferred = active.map((p) => p.transferredBytes!);
    for (let i = 1; i < transferred.length; i++) expect(transferred[i]).toBeGreaterThanOrEqual(transferred[i - 1]!);
    if (transferred.length > 1) expect(transferred.at(-1)!).toBeGreaterThan(transferred[0]!);
    expect(active[0]!.totalBytes).toBeGreaterThan(200 * 1024 * 1024);
    expect(samples.at(-1)!.status).toBe("completed");
    expect(result.totalTimeMs).toBeGreaterThan(0);
    expect(result.totalTimeMs).toBeLessThanOrEqual(wall + 1_000);
    // virsh migrate ran from before the job began until after it ended, and within our own wait.
    expect(result.commandWallMs).toBeGreaterThanOrEqual(result.totalTimeMs);
    expect(result.commandWallMs).toBeLessThanOrEqual(wall);
    // QEMU's own transfer, from its MIGRATION events at the source: inside libvirt's job (which
    // also starts the destination QEMU) and at least as long as the pause it ends with.
    expect(result.transferMs).toBeGreaterThan(0);
    expect(result.transferMs).toBeLessThan(result.totalTimeMs);
    expect(result.transferMs).toBeGreaterThanOrEqual(result.downtimeMs ?? 0);
    expect(result.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(result.transferredBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(result.passes).toBeGreaterThanOrEqual(1);
    // libvirt's control connection used the underlay; the stream itself came over the migration
    // network (qemu.conf's migration_host), which carried at least every byte libvirt counted.
    expect((await rxBytes(bNs, MIGRATION_IF)) - rxBefore.mig).toBeGreaterThanOrEqual(result.transferredBytes!);
    expect((await rxBytes(bNs, "eth0")) - rxBefore.underlay).toBeLessThan(result.transferredBytes! / 10);

    expect((await b.getVm(vmName)).state).toBe("running");
    expect((await a.listVms()).map((v) => v.name)).not.toContain(vmName);
    expect(await a.getVm(vmName).catch((e: HypervisorError) => e.code)).toBe("UNKNOWN_VM");
    // The reservation ended with the migration: only the domain itself holds memory now.
    expect((await b.facts()).memoryFreeMiB).toBe((await b.facts()).memoryTotalMiB - 256);

    await b.announce(vmName);
    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
    expect(after.requests).toBeGreaterThan(before.requests);
  }, 180_000);

  it("cancels a migration during pre-copy: MIGRATION_CANCELLED and the VM still runs at the source", async () => {
    const vm = await b.getVm(vmName);
    const speedBefore = (await virsh(b.uri, ["migrate-getspeed", vmName])).trim();
    const incoming = await a.prepareIncoming(vm, def);
    const samples: MigrationProgress[] = [];
    // 1 MiB/s: pre-copy of 256 MiB would take minutes.
    const handle = await b.migrate(vmName, { driver: a, incoming }, { maxBandwidthMiBps: 1 });
    handle.onProgress((p) => samples.push(p));
    const deadline = Date.now() + 60_000;
    while (!samples.some((p) => p.status === "active" && (p.transferredBytes ?? 0) > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(samples.some((p) => p.status === "active")).toBe(true);
    await handle.cancel();
    const err = await handle.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HypervisorError);
    expect((err as HypervisorError).code).toBe("MIGRATION_CANCELLED");
    expect(samples.at(-1)!.status).toBe("cancelled");
    expect((await b.getVm(vmName)).state).toBe("running");
    expect((await a.listVms()).map((v) => v.name)).not.toContain(vmName);
    // The bandwidth limit set for this attempt is put back.
    expect((await virsh(b.uri, ["migrate-getspeed", vmName])).trim()).toBe(speedBefore);
    // And the reservation on host-a1 is gone.
    expect((await a.facts()).memoryFreeMiB).toBe((await a.facts()).memoryTotalMiB);
    const s = await http();
    expect(s.hostname).toBe(vmName);
  }, 120_000);

  it("forces a slow migration to finish by switching to post-copy", async () => {
    const before = await http();
    const vm = await b.getVm(vmName);
    const incoming = await a.prepareIncoming(vm, def);
    const samples: MigrationProgress[] = [];
    const handle = await b.migrate(vmName, { driver: a, incoming }, { maxBandwidthMiBps: 1, postCopy: true });
    handle.onProgress((p) => samples.push(p));
    const deadline = Date.now() + 60_000;
    while (!samples.some((p) => p.status === "active" && (p.transferredBytes ?? 0) > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await handle.forceComplete();
    const result = await handle.done;
    log(`post-copy b1→a1: ${JSON.stringify(result)}; statuses ${[...new Set(samples.map((p) => p.status))].join(",")}`);
    expect(result.totalTimeMs).toBeGreaterThan(0);
    expect((await a.getVm(vmName)).state).toBe("running");
    expect((await b.listVms()).map((v) => v.name)).not.toContain(vmName);
    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
  }, 120_000);

  it("refuses a reservation bigger than the destination's free memory, and same-host moves", async () => {
    const vm = await a.getVm(vmName);
    const free = (await b.facts()).memoryFreeMiB;
    const err = await b.prepareIncoming({ ...vm, memoryMiB: free + 1 }, { ...def, memoryMiB: free + 1 }).catch((e: unknown) => e);
    expect((err as HypervisorError).code).toBe("NOT_ENOUGH_MEMORY");
    expect((err as HypervisorError).message).toMatch(new RegExp(`${free} MiB free.*needs ${free + 1} MiB`));
    expect(await a.prepareIncoming(vm, def).catch((e: HypervisorError) => e.code)).toBe("SAME_HOST");
    expect(await a.migrate(vmName, { driver: a, incoming: { uri: a.migrationUri, release: async () => {} } }).catch((e: HypervisorError) => e.code)).toBe("SAME_HOST");
  });

  it("shuts down (or reports that the guest ignored it), destroys and undefines", async () => {
    const quick = new LibvirtDriver({ name: "host-a1-quick", uri: a.uri, shutdownTimeoutMs: 3_000 });
    try {
      const outcome = await quick.shutdown(vmName).then(
        () => "stopped",
        (e: Error) => e.message,
      );
      if (outcome !== "stopped") {
        expect(outcome).toMatch(/still .* after an ACPI shutdown/);
        await a.destroy(vmName);
      }
    } finally {
      await quick.close();
    }
    expect((await a.getVm(vmName)).state).toBe("shutoff");
    await a.undefine(vmName);
    expect(await a.getVm(vmName).catch((e: HypervisorError) => e.code)).toBe("UNKNOWN_VM");
    expect(await a.listVms()).toEqual([]);
  }, 60_000);

  it("leaves no namespace or process of its own after the lab goes down", async () => {
    await a.close();
    await b.close();
    await lab.down();
    expect((await listNamespaces()).filter((n) => n.startsWith(prefix))).toEqual([]);
    const ours = fs
      .readdirSync("/proc")
      .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
      .filter((e) => {
        try {
          const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8");
          return cmd.includes(dir) || cmd.includes(vmName);
        } catch {
          return false;
        }
      });
    expect(ours).toEqual([]);
  }, 60_000);
});
