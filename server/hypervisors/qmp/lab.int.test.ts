// Integration: QmpDriver on the lab's plain-QEMU hosts (host-a2 at site A, host-b2 at site B).
// A guest boots on host-a2, live-migrates to host-b2 over the routed migration network while a site A
// client keeps reaching it over GRE, a second migration is cancelled during pre-copy, and the
// admission checks refuse what does not fit. One lab for the whole file.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "../../../controller/controller";
import { ovsUnavailableReason } from "../../../controller/ovsdb/testing/ovs-instance";
import { Lab } from "../../lab/lab";
import { LAB_QEMU } from "../../lab/libvirt-host";
import { ovsPaths } from "../../lab/ovs-daemons";
import { listNamespaces, nsRun, rxBytes } from "../../lab/sh";
import { MIGRATION_IF, TWO_BY_TWO } from "../../lab/topology";
import { ensureGuestImage, guestCmdline, waitForGuestReady, type GuestStatus } from "../../lab/guest/image";
import { HypervisorError, type MigrationProgress, type SwitchoverEvent, type VmDefinition } from "../driver";
import { QmpDriver } from "./driver";

const unavailable = ovsUnavailableReason() ?? (fs.existsSync("/usr/bin/qemu-system-x86_64") ? undefined : "qemu-system-x86_64 is not installed");

function qemuPidsWith(marker: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(marker) && fs.readFileSync(`/proc/${e}/comm`, "utf8").length > 0;
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

async function errorOf(p: Promise<unknown>): Promise<HypervisorError> {
  try {
    await p;
  } catch (e) {
    return e as HypervisorError;
  }
  throw new Error("expected a rejection");
}

describe.skipIf(unavailable)("QmpDriver on the two-site lab", () => {
  const tag = `qm${process.pid % 1000}`;
  const prefix = `ferry-${tag}-`;
  const vmName = `${tag}-vm`;
  const ip = "10.99.0.31";
  let dir: string;
  let controller: OpenFlowController;
  let lab: Lab;
  let a2: QmpDriver;
  let b2: QmpDriver;
  let def: VmDefinition;
  let clientNs: string;
  let bootId: string;
  let lastRequests = 0;
  const figures: string[] = [];

  const http = async (maxTime = 10): Promise<GuestStatus> =>
    JSON.parse(await nsRun(clientNs, "curl", ["-sS", "--max-time", String(maxTime), `http://${ip}/`], { timeoutMs: (maxTime + 5) * 1000 })) as GuestStatus;

  /** Retries for a bounded window: after a move the switches need the VM's announcements first. */
  const httpWithin = async (windowMs: number): Promise<{ doc: GuestStatus; waitedMs: number }> => {
    const t0 = Date.now();
    let last: unknown;
    while (Date.now() - t0 < windowMs) {
      try {
        return { doc: await http(2), waitedMs: Date.now() - t0 };
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`no HTTP answer from ${ip} within ${windowMs} ms: ${(last as Error)?.message}`);
  };

  const cleanup = async () => {
    for (const d of [a2, b2]) {
      if (!d) continue;
      for (const vm of await d.listVms().catch(() => [])) {
        await d.destroy(vm.name).catch(() => {});
        await d.undefine(vm.name).catch(() => {});
        await d.discardIncoming(vm.name).catch(() => {});
      }
      await d.close();
    }
    for (const pid of qemuPidsWith(`ferry-qmp:${vmName}@`)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await lab?.down();
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-qm-"));
    const sock = path.join(dir, "of.sock");
    controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
    await controller.start();
    lab = new Lab({ dir: path.join(dir, "lab"), controllerSocket: sock, nsPrefix: prefix, topology: { ...TWO_BY_TWO, vms: [] } });
    try {
      const status = await lab.up();
      expect(status.problems).toEqual([]);
      const image = await ensureGuestImage();
      const host = (n: string) => lab.plan.hosts.find((h) => h.name === n)!;
      const storagePaths = [path.dirname(image.kernel), path.dirname(image.initrd), lab.sharedDir()];
      const mk = (n: string) =>
        new QmpDriver({
          name: n,
          ns: host(n).ns,
          // Under the lab's hosts directory: lab.down() also finds anything left there by its command line.
          runDir: path.join(lab.hostDir(n), "qmp"),
          ovsDbSock: ovsPaths(lab.hostDir(n)).dbSock,
          underlayIp: host(n).underlayIp,
          migrationIp: host(n).migrationIp,
          memoryTotalMiB: 1024,
          storagePaths,
          // The lab's QEMU, as labDrivers gives the lab's QMP hosts.
          qemuBinary: LAB_QEMU,
        });
      a2 = mk("host-a2");
      b2 = mk("host-b2");
      expect(a2.config.underlayIp).toBe("10.250.1.12");
      expect(b2.config.underlayIp).toBe("10.250.2.12");
      clientNs = lab.plan.clients.find((c) => c.site === "a")!.ns;
      const vmDir = path.join(lab.sharedDir(), "vms", vmName);
      fs.mkdirSync(vmDir, { recursive: true });
      def = {
        name: vmName,
        memoryMiB: 256,
        vcpus: 1,
        kernel: image.kernel,
        initrd: image.initrd,
        cmdline: guestCmdline({ ip: `${ip}/24`, hostname: vmName }),
        mac: "52:54:00:99:01:31",
        portId: randomUUID(),
        consoleLog: path.join(vmDir, "console.log"),
      };
    } catch (e) {
      await cleanup();
      throw e;
    }
  }, 420_000);

  afterAll(async () => {
    await cleanup().catch(() => {});
    await controller?.stop();
    if (figures.length) console.log(`QMP migration figures:\n${figures.join("\n")}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("boots a VM on host-a2 that a site A client reaches over HTTP", async () => {
    await a2.define(def);
    await a2.start(vmName);
    const ready = await waitForGuestReady(def.consoleLog, { timeoutMs: 120_000, alive: () => qemuPidsWith(a2.marker(vmName)).length > 0 });
    expect(ready.ip).toBe(ip);
    expect((await a2.getVm(vmName)).state).toBe("running");
    // 8 KiB over the whole MiB, against QEMU 7.2's TCG losing writes during a migration.
    const [pid] = qemuPidsWith(a2.marker(vmName));
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    expect(args[args.indexOf("-m") + 1]).toBe(`${256 * 1024 + 8}k`);
    // The lab's wrapper ran it without transparent huge pages.
    expect(fs.readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^THP_enabled:\s+0$/m);
    const facts = await a2.facts();
    expect(facts).toMatchObject({ driver: "qmp", hypervisor: "qemu", memoryTotalMiB: 1024, memoryFreeMiB: 1024 - 256 });
    expect(facts.hypervisorVersion).toMatch(/^\d+\.\d+/);
    const { doc } = await httpWithin(20_000);
    expect(doc.hostname).toBe(vmName);
    bootId = doc.boot_id;
    lastRequests = doc.requests;
    // The port is plugged with Neutron-style external_ids, active.
    const ifaces = await nsRun(lab.plan.hosts.find((h) => h.name === "host-a2")!.ns, "ovs-vsctl", [`--db=unix:${ovsPaths(lab.hostDir("host-a2")).dbSock}`, "--format=json", "--columns=name,external_ids", "list", "Interface"]);
    expect(ifaces).toContain(def.portId!);
    expect(ifaces).toContain('"iface-status","active"');
    expect(ifaces).toContain(def.mac);
  }, 180_000);

  it("live-migrates it to host-b2 with ordered progress, then it answers from site B with the same boot", async () => {
    const srcPids = qemuPidsWith(a2.marker(vmName));
    expect(srcPids).toHaveLength(1);
    const incoming = await b2.prepareIncoming(await a2.getVm(vmName), def);
    // The stream goes to host-b2's migration network, not its underlay (br-phy, inside OVS).
    expect(incoming.uri).toMatch(/^tcp:10\.251\.2\.12:\d+$/);
    expect((await b2.getVm(vmName)).state).toBe("incoming");
    const b2Ns = lab.plan.hosts.find((h) => h.name === "host-b2")!.ns;
    const rxBefore = { mig: await rxBytes(b2Ns, MIGRATION_IF), underlay: await rxBytes(b2Ns, "eth0") };
    expect((await b2.facts()).memoryFreeMiB).toBe(1024 - 256);

    const events: MigrationProgress[] = [];
    const t0 = Date.now();
    const handle = await a2.migrate(vmName, { driver: b2, incoming }, { downtimeLimitMs: 300 });
    handle.onProgress((p) => events.push(p));
    const switchovers: SwitchoverEvent[] = [];
    handle.onSwitchover((e) => switchovers.push(e));
    const result = await handle.done;
    const doneAt = Date.now();
    const wallMs = doneAt - t0;

    // QEMU's STOP at the source and RESUME at the destination, both seen before done() resolved.
    expect(switchovers.map((e) => e.event)).toEqual(["source-paused", "destination-running"]);
    expect(switchovers[0]!.at).toBeLessThanOrEqual(switchovers[1]!.at);
    expect(switchovers[1]!.at).toBeLessThanOrEqual(doneAt);
    // The final figures are QEMU's, read once it had filled them in (never a placeholder 0).
    expect(result.totalTimeMs).toBeGreaterThan(0);
    // The destination was started in the reservation: QEMU's total-time is the whole transfer.
    expect(result.transferMs).toBe(result.totalTimeMs);
    // Every byte of the stream arrived over the migration network; the underlay carried only
    // the probes' tunnelled traffic, a small fraction of it.
    const sent = result.transferredBytes ?? 0;
    expect(sent).toBeGreaterThan(1024 * 1024);
    expect((await rxBytes(b2Ns, MIGRATION_IF)) - rxBefore.mig).toBeGreaterThanOrEqual(sent);
    expect((await rxBytes(b2Ns, "eth0")) - rxBefore.underlay).toBeLessThan(sent / 10);

    expect(events.length).toBeGreaterThan(0);
    const order = ["setup", "active", "pre-switchover", "device", "completed"];
    const idx = events.map((e) => order.indexOf(e.status));
    expect(idx.every((i) => i >= 0)).toBe(true);
    for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThanOrEqual(idx[i - 1]!);
    const transferred = events.map((e) => e.transferredBytes).filter((x): x is number => x !== undefined);
    expect(transferred.length).toBeGreaterThan(0);
    for (let i = 1; i < transferred.length; i++) expect(transferred[i]!).toBeGreaterThanOrEqual(transferred[i - 1]!);
    expect(events.some((e) => (e.pass ?? 0) >= 1)).toBe(true);
    expect(events.at(-1)!.status).toBe("completed");
    expect(result.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(result.totalTimeMs).toBeGreaterThan(0);
    expect(result.passes).toBeGreaterThanOrEqual(1);

    // Hand-over: running at host-b2, gone from host-a2.
    expect((await b2.getVm(vmName)).state).toBe("running");
    expect((await a2.listVms()).map((v) => v.name)).not.toContain(vmName);
    expect(qemuPidsWith(a2.marker(vmName))).toEqual([]);
    await expect(a2.getVm(vmName)).rejects.toMatchObject({ code: "UNKNOWN_VM" });
    expect((await a2.facts()).memoryFreeMiB).toBe(1024);

    const { doc, waitedMs } = await httpWithin(15_000);
    expect(doc.boot_id).toBe(bootId);
    expect(doc.requests).toBeGreaterThan(lastRequests);
    lastRequests = doc.requests;
    figures.push(
      `A→B 256 MiB: total ${result.totalTimeMs} ms, downtime ${result.downtimeMs} ms, ${result.passes} passes, ` +
        `${Math.round((result.transferredBytes ?? 0) / 1024 / 1024)} MiB sent, wall ${wallMs} ms, ${events.length} progress samples, HTTP after ${waitedMs} ms`,
    );
  }, 180_000);

  it("cancels a slow migration back to host-a2 during pre-copy: source keeps serving, destination gone", async () => {
    const incoming = await a2.prepareIncoming(await b2.getVm(vmName), def);
    expect(incoming.uri).toMatch(/^tcp:10\.251\.1\.12:\d+$/);
    const destPids = qemuPidsWith(a2.marker(vmName));
    expect(destPids).toHaveLength(1);

    // 1 MiB/s keeps pre-copy busy for many seconds even for a mostly idle guest.
    const handle = await b2.migrate(vmName, { driver: a2, incoming }, { maxBandwidthMiBps: 1 });
    const activeSeen = new Promise<MigrationProgress>((resolve) =>
      handle.onProgress((p) => {
        if (p.status === "active" && (p.transferredBytes ?? 0) > 0) resolve(p);
      }),
    );
    const first = await Promise.race([activeSeen, handle.done.then(() => null), new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    expect(first).not.toBeNull();
    expect((await b2.getVm(vmName)).state).toBe("migrating");
    await handle.cancel();
    const err = await errorOf(handle.done);
    expect(err).toBeInstanceOf(HypervisorError);
    expect(err.code).toBe("MIGRATION_CANCELLED");

    expect((await b2.getVm(vmName)).state).toBe("running");
    expect(qemuPidsWith(a2.marker(vmName))).toEqual([]);
    expect((await a2.listVms()).map((v) => v.name)).not.toContain(vmName);
    const { doc } = await httpWithin(10_000);
    expect(doc.boot_id).toBe(bootId);
    expect(doc.requests).toBeGreaterThan(lastRequests);
    lastRequests = doc.requests;
  }, 120_000);

  it("refuses an incoming VM that does not fit, or one already running there", async () => {
    const big = { ...def, name: `${tag}-big`, memoryMiB: 2048 };
    const info = { ...(await b2.getVm(vmName)), name: big.name, memoryMiB: big.memoryMiB };
    const err = await errorOf(a2.prepareIncoming(info, big));
    expect(err.code).toBe("NOT_ENOUGH_MEMORY");
    expect(err.message).toMatch(/1024 MiB free .* needs 2048 MiB/);
    expect((await a2.listVms()).map((v) => v.name)).not.toContain(big.name);

    const same = await errorOf(b2.prepareIncoming(await b2.getVm(vmName), def));
    expect(same.code).toBe("SAME_HOST");
    expect((await b2.getVm(vmName)).state).toBe("running");
  });

  it("migrates it back to host-a2 and announces it there", async () => {
    const incoming = await a2.prepareIncoming(await b2.getVm(vmName), def);
    const t0 = Date.now();
    const handle = await b2.migrate(vmName, { driver: a2, incoming }, { autoConverge: true });
    let samples = 0;
    handle.onProgress(() => samples++);
    const result = await handle.done;
    const wallMs = Date.now() - t0;
    expect((await a2.getVm(vmName)).state).toBe("running");
    // The source's QEMU is retired after done() resolves; the driver's reads wait for that.
    expect((await b2.listVms()).map((v) => v.name)).not.toContain(vmName);
    expect(qemuPidsWith(b2.marker(vmName))).toEqual([]);
    await a2.announce(vmName);
    const { doc, waitedMs } = await httpWithin(15_000);
    expect(doc.boot_id).toBe(bootId);
    expect(doc.requests).toBeGreaterThan(lastRequests);
    figures.push(
      `B→A 256 MiB: total ${result.totalTimeMs} ms, downtime ${result.downtimeMs} ms, ${result.passes} passes, ` +
        `${Math.round((result.transferredBytes ?? 0) / 1024 / 1024)} MiB sent, wall ${wallMs} ms, ${samples} progress samples, HTTP after ${waitedMs} ms`,
    );
  }, 120_000);

  it("forces completion of a pre-copy that does not converge by pausing the source, and resumes at the destination", async () => {
    const incoming = await b2.prepareIncoming(await a2.getVm(vmName), def);
    // A 1 ms downtime limit is never met, so pre-copy would iterate until forced.
    const handle = await a2.migrate(vmName, { driver: b2, incoming }, { maxBandwidthMiBps: 64, downtimeLimitMs: 1 });
    const passes: number[] = [];
    const secondPass = new Promise<void>((resolve) =>
      handle.onProgress((p) => {
        if (p.pass !== undefined) passes.push(p.pass);
        if ((p.pass ?? 0) >= 2) resolve();
      }),
    );
    let finishedAlone = false;
    void handle.done.then(() => (finishedAlone = true), () => {});
    await Promise.race([secondPass, handle.done.then(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
    expect(finishedAlone).toBe(false);
    await handle.forceComplete();
    const result = await handle.done;
    expect(result.totalTimeMs).toBeGreaterThan(0);
    expect((await b2.getVm(vmName)).state).toBe("running");
    // The source's QEMU is retired after done() resolves; the driver's reads wait for that.
    expect((await a2.listVms()).map((v) => v.name)).not.toContain(vmName);
    expect(qemuPidsWith(a2.marker(vmName))).toEqual([]);
    const { doc, waitedMs } = await httpWithin(15_000);
    expect(doc.boot_id).toBe(bootId);
    figures.push(`A→B forced (64 MiB/s, downtime limit 1 ms): total ${result.totalTimeMs} ms, downtime ${result.downtimeMs} ms, ${result.passes} passes, HTTP after ${waitedMs} ms`);
  }, 120_000);

  it("leaves no QEMU and no namespace behind", async () => {
    await cleanup();
    expect(qemuPidsWith(`ferry-qmp:${vmName}@`)).toEqual([]);
    expect((await listNamespaces()).filter((n) => n.startsWith(prefix))).toEqual([]);
  }, 120_000);
});
