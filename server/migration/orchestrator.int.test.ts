// The whole migration on the lab: a libvirt VM moves from site A to site B and back through the
// orchestrator; it keeps its IP and boot id, its counter keeps rising, the flows on both sites
// point at its new location, and the registry follows. Plus the per-VM lock and cancel.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "../../controller/controller";
import { ovsUnavailableReason } from "../../controller/ovsdb/testing/ovs-instance";
import { deployMigrations } from "../database/migrate";
import { openDb, type Db } from "../db";
import { labDrivers } from "../hypervisors/lab-drivers";
import type { HypervisorDriver } from "../hypervisors/driver";
import { registerLab, registerLabVms } from "../inventory/lab-sync";
import { defaultGuestDir } from "../lab/guest/image";
import { Lab } from "../lab/lab";
import { ovsPaths } from "../lab/ovs-daemons";
import { nsRun, run } from "../lab/sh";
import { DEFAULT_TOPOLOGY } from "../lab/topology";
import { labHostNetwork } from "./lab-network";
import { MigrationConflictError, Orchestrator, PrecheckFailedError, type MigrationEvent } from "./orchestrator";
import { parseNetworkSnapshot } from "../network/flow-lines";

const unavailable = ovsUnavailableReason();
// Filled in beforeAll with a real user row (audit events reference it).
const USER = { id: "", username: "tester" };

describe.skipIf(unavailable)("migration orchestrator on the lab", () => {
  const tag = `mo${process.pid % 1000}`;
  const vmName = `${tag}-vm`;
  let dir: string;
  let controller: OpenFlowController;
  let lab: Lab;
  let db: Db;
  let drivers: Map<string, HypervisorDriver>;
  let orch: Orchestrator;
  const events: MigrationEvent[] = [];

  const client = () => lab.plan.clients[0]!;
  const vm = () => lab.plan.vms[0]!;
  async function http(): Promise<{ boot_id: string; requests: number; hostname: string }> {
    return JSON.parse(await nsRun(client().ns, "curl", ["-sS", "--max-time", "5", `http://${vm().ip}/`]));
  }
  async function flowsOn(host: string): Promise<string> {
    const h = lab.plan.hosts.find((x) => x.name === host)!;
    return run("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", `unix:${path.join(ovsPaths(lab.hostDir(host)).dir, "br-int.mgmt")}`]).then((out) => (void h, out));
  }
  async function ofport(host: string, iface: (i: { name: string; type: string; externalIds: Record<string, string>; options: Record<string, string> }) => boolean): Promise<number> {
    const { OvsdbClient, Vswitch } = await import("../../controller/ovsdb");
    const c = await OvsdbClient.connect({ path: ovsPaths(lab.hostDir(host)).dbSock });
    try {
      const i = (await new Vswitch(c).getInterfaces()).find(iface);
      if (!i?.ofport) throw new Error(`no such interface on ${host}`);
      return i.ofport;
    } finally {
      c.close();
    }
  }
  async function migrate(dest: string, options = {}) {
    const { id } = await orch.start({ vmName, destHost: dest, options, user: USER });
    await orch.settled(id);
    return db.migration.findUniqueOrThrow({ where: { id }, include: { phases: true, samples: true } });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-mig-"));
    const sock = path.join(dir, "of.sock");
    controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
    await controller.start();
    lab = new Lab({ dir: path.join(dir, "lab"), controllerSocket: sock, nsPrefix: `ferry-${tag}-`, topology: { ...DEFAULT_TOPOLOGY, vms: [{ name: vmName, host: "host-a1", memoryMiB: 256 }] } });
    await lab.up();
    const url = `file:${path.join(dir, "ferry.db")}`;
    await deployMigrations(url);
    db = await openDb(url);
    USER.id = (await db.user.create({ data: { username: USER.username, passwordHash: "unused", role: "admin" } })).id;
    await registerLab(db, lab.plan, (h) => lab.libvirtUriOf(h));
    await registerLabVms(db, lab.plan);
    await db.host.updateMany({ data: { status: "up" } });
    drivers = labDrivers(lab, defaultGuestDir());
    orch = new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: (e) => events.push(e) });
    // Both switches connected (the network pre-check needs them), then cross-site traffic, so
    // both have learned the VM where it is now.
    const readyBy = Date.now() + 60_000;
    while (!lab.plan.hosts.every((h) => controller.switch(h.dpid)?.isReady) && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 3; i++) await http();
  }, 300_000);

  afterAll(async () => {
    await db?.$disconnect();
    await lab?.down();
    await controller?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("pre-checks a destination and refuses the source host itself", async () => {
    const ok = await orch.precheck(vmName, "host-b1");
    expect(ok.filter((c) => c.status === "fail")).toEqual([]);
    expect(ok.map((c) => c.name)).toEqual(expect.arrayContaining(["vm-running", "destination", "memory", "storage", "hypervisor", "network", "exclusive"]));
    const same = await orch.precheck(vmName, "host-a1");
    expect(same.find((c) => c.name === "destination")).toMatchObject({ status: "fail", reason: expect.stringMatching(/already runs on/) });
  });

  it("migrates A→B through all six phases; the VM keeps its identity and the network follows", async () => {
    const before = await http();
    const m = await migrate("host-b1", { maxBandwidthMiBps: 128 });
    expect(m.error).toBeNull();
    expect(m.status).toBe("completed");
    const order = ["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"];
    expect(order.map((n) => m.phases.find((p) => p.name === n)!.status)).toEqual(order.map(() => "done"));
    expect(m.samples.length).toBeGreaterThan(0);
    expect(m.hypervisorTotalMs).toBeGreaterThan(0);
    // virsh migrate's own wall time holds libvirt's job and its set-up and finish around it.
    expect(m.hypervisorWallMs).toBeGreaterThanOrEqual(m.hypervisorTotalMs!);
    expect(m.totalTimeMs).toBeGreaterThan(m.hypervisorWallMs!);
    // QEMU's own transfer lies inside libvirt's job, which also started the destination's QEMU.
    expect(m.hypervisorTransferMs).toBeGreaterThan(0);
    expect(m.hypervisorTransferMs).toBeLessThan(m.hypervisorTotalMs!);
    expect(m.switchoverMs).not.toBeNull();
    // Ferry's own downtime, from libvirt's events: the source paused, then the VM ran at B.
    expect(m.pauseMs).toBeGreaterThan(0);
    expect(m.phases.find((p) => p.name === "stop-and-copy")!.detail).toMatch(/paused \d+ ms/);
    // Remaining-based progress never ran backwards.
    const progress = events.filter((e) => e.id === m.id).map((e) => e.progress);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
    expect(events.filter((e) => e.id === m.id).at(-1)).toMatchObject({ status: "completed", progress: 1 });

    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
    expect(after.requests).toBeGreaterThan(before.requests);

    // Flows toward the new location: local VM port at B, GRE port toward B at A.
    const mac = vm().mac;
    const vmPortB = await ofport("host-b1", (i) => i.externalIds["attached-mac"] === mac);
    const greA = await ofport("host-a1", (i) => i.type === "gre" && i.options.remote_ip === "10.250.2.11");
    expect(await flowsOn("host-b1")).toMatch(new RegExp(`priority=90,dl_dst=${mac} actions=output:${vmPortB}`));
    expect(await flowsOn("host-a1")).toMatch(new RegExp(`priority=90,dl_dst=${mac} actions=output:${greA}`));
    // The snapshot stored with the migration shows the same move, switch by switch: read from the
    // controller's mirror just before the relocation and right after its barriers.
    const snap = parseNetworkSnapshot(m.networkSnapshot);
    expect(snap?.mac).toBe(mac);
    const side = (when: "before" | "after", host: string) => snap![when].find((s) => s.dpid === lab.plan.hosts.find((h) => h.name === host)!.dpid);
    const toward = (port: number) => new RegExp(`priority=90,dl_dst=${mac} actions=output:${port}$`);
    expect(side("after", "host-b1")).toMatchObject({ host: "host-b1" });
    expect(side("after", "host-a1")).toMatchObject({ host: "host-a1" });
    expect(side("after", "host-b1")!.flows.some((l) => toward(vmPortB).test(l))).toBe(true);
    expect(side("after", "host-a1")!.flows.some((l) => toward(greA).test(l))).toBe(true);
    // Before it, nothing sent the MAC to its new port at B, and the source's switch did not send it into the tunnel.
    expect(side("before", "host-b1")!.flows.some((l) => l.includes(`dl_dst=${mac}`) && l.endsWith(`actions=output:${vmPortB}`))).toBe(false);
    expect(side("before", "host-a1")!.flows.some((l) => toward(greA).test(l))).toBe(false);

    // Registry: the VM and its only (active) binding are on host-b1.
    const row = await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
    expect(row.host?.name).toBe("host-b1");
    const port = await db.port.findUniqueOrThrow({ where: { mac }, include: { bindings: { include: { host: true } } } });
    expect(port.bindings.map((b) => [b.host.name, b.status])).toEqual([["host-b1", "active"]]);
  }, 120_000);

  it("refuses a second migration of the same VM while one starts, with a conflict error", async () => {
    const first = orch.start({ vmName, destHost: "host-a1", user: USER });
    const second = orch.start({ vmName, destHost: "host-a1", user: USER }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(await second).toBeInstanceOf(MigrationConflictError);
    const { id } = await first;
    await orch.settled(id);
    const m = await db.migration.findUniqueOrThrow({ where: { id } });
    expect(m.status).toBe("completed");
    // Back at A: the VM still answers with the same identity.
    expect((await http()).hostname).toBe(vmName);
    expect((await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } })).host?.name).toBe("host-a1");
  }, 120_000);

  it("answers a start at once when asked, runs the checks as the first phase, and records a refusal by them", async () => {
    const before = await http();
    await db.host.update({ where: { name: "host-b1" }, data: { status: "down" } });
    try {
      // At once: the migration exists, its first state (checks under way) already told to watchers.
      const { id } = await orch.start({ vmName, destHost: "host-b1", user: USER, waitForChecks: false });
      const first = events.find((e) => e.id === id)!;
      expect(first).toMatchObject({ status: "running", phase: "pre-migration" });
      expect(first.phases.map((p) => p.status)).toEqual(["active", "pending", "pending", "pending", "pending", "pending"]);
      await orch.settled(id);
      const m = await db.migration.findUniqueOrThrow({ where: { id }, include: { phases: true } });
      expect(m.status).toBe("failed");
      expect(m.error).toMatch(/^pre-migration checks failed: host-b1 is down — .* is still running on host-a1$/);
      const pre = m.phases.find((p) => p.name === "pre-migration")!;
      expect(pre.status).toBe("failed");
      // The phase keeps every check, passed and failed.
      expect(pre.detail).toContain("fail: host-b1 is down");
      expect(pre.detail).toContain(`pass: ${vmName} is running on host-a1`);
      expect(m.phases.filter((p) => p.name !== "pre-migration").map((p) => p.status)).toEqual(["pending", "pending", "pending", "pending", "pending"]);

      // Waiting for the checks (the default), the same refusal is an error, recorded the same way.
      const refused = await orch.start({ vmName, destHost: "host-b1", user: USER }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(PrecheckFailedError);
      expect((refused as PrecheckFailedError).checks.find((c) => c.name === "destination")).toMatchObject({ status: "fail" });
      const last = await db.migration.findFirstOrThrow({ where: { vmName }, orderBy: { startedAt: "desc" } });
      expect(last).toMatchObject({ status: "failed", error: expect.stringMatching(/host-b1 is down/) });
    } finally {
      await db.host.update({ where: { name: "host-b1" }, data: { status: "up" } });
    }
    // Nothing moved: same VM, same host, no copy at B.
    expect((await http()).boot_id).toBe(before.boot_id);
    expect((await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } })).host?.name).toBe("host-a1");
    expect((await drivers.get("host-b1")!.listVms()).map((v) => v.name)).not.toContain(vmName);
  }, 120_000);

  it("cancels during pre-copy: the VM keeps running at the source, nothing is left at the destination", async () => {
    const before = await http();
    const { id } = await orch.start({ vmName, destHost: "host-b1", options: { maxBandwidthMiBps: 1 }, user: USER });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !events.some((e) => e.id === id && e.phase === "pre-copy" && e.sample)) await new Promise((r) => setTimeout(r, 100));
    await orch.cancel(id);
    await orch.settled(id);
    const m = await db.migration.findUniqueOrThrow({ where: { id } });
    expect(m.status).toBe("cancelled");
    expect(m.error).toMatch(/still running on host-a1/);
    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
    expect((await drivers.get("host-b1")!.listVms()).map((v) => v.name)).not.toContain(vmName);
    const port = await db.port.findUniqueOrThrow({ where: { mac: vm().mac }, include: { bindings: { include: { host: true } } } });
    expect(port.bindings.map((b) => b.host.name)).toEqual(["host-a1"]);
  }, 120_000);
});
