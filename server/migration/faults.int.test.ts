// Migration faults on the lab: the destination's QEMU dies during pre-copy and at stop-and-copy,
// the source's libvirtd dies during pre-copy and is restarted, the server dies during pre-copy and
// starts again, the inter-site link is cut. After each, the VM runs in exactly one place and answers with
// the same boot id, nothing is left behind on either host, and the registry says where it runs.
// (Cancel and concurrent starts are covered by orchestrator.int.test.ts.)
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "../../controller/controller";
import { OvsdbClient, Vswitch } from "../../controller/ovsdb";
import { ovsUnavailableReason } from "../../controller/ovsdb/testing/ovs-instance";
import { deployMigrations } from "../database/migrate";
import { openDb, type Db } from "../db";
import { labDrivers } from "../hypervisors/lab-drivers";
import { LifecycleWatcher } from "../hypervisors/libvirt/events";
import type { HypervisorDriver } from "../hypervisors/driver";
import { QmpDriver } from "../hypervisors/qmp/driver";
import { registerLab, registerLabVms } from "../inventory/lab-sync";
import { defaultGuestDir, ensureGuestImage, waitForGuestReady } from "../lab/guest/image";
import { Lab } from "../lab/lab";
import { ovsPaths } from "../lab/ovs-daemons";
import { nsRun, run } from "../lab/sh";
import { DEFAULT_TOPOLOGY, QMP_PAIR, stableUuid, type LabTopology } from "../lab/topology";
import type { FaultChildInput } from "./faults.child";
import { labHostNetwork } from "./lab-network";
import { Orchestrator, type MigrationEvent } from "./orchestrator";
import { qemuPidsIn } from "../testing/qemu-pids";

const unavailable = ovsUnavailableReason();
const ROOT = path.resolve(import.meta.dirname, "../..");

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it gives a value, or throws after timeoutMs. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}


describe.skipIf(unavailable)("migration faults on the lab", () => {
  const tag = `mf${process.pid % 1000}`;
  const vmName = `${tag}-vm`;
  // FERRY_TEST_NS_PREFIX lets whoever runs the file pick the namespaces' prefix on a shared machine.
  const nsPrefix = process.env.FERRY_TEST_NS_PREFIX || `ferry-${tag}-`;
  const topology: LabTopology = { ...DEFAULT_TOPOLOGY, vms: [{ name: vmName, host: "host-a1", memoryMiB: 256 }] };
  const user = { id: "", username: "fault-tester" };
  let dir: string;
  let sock: string;
  let dbUrl: string;
  let controller: OpenFlowController;
  let lab: Lab;
  let db: Db;
  let drivers: Map<string, HypervisorDriver>;
  const children: ChildProcess[] = [];

  const client = () => lab.plan.clients[0]!;
  const vm = () => lab.plan.vms[0]!;
  async function http(): Promise<{ boot_id: string; requests: number; hostname: string }> {
    return JSON.parse(await nsRun(client().ns, "curl", ["-sS", "--max-time", "5", `http://${vm().ip}/`], { timeoutMs: 10_000 }));
  }
  /** br-int interfaces on `host` carrying the VM's MAC (read over the host's OVSDB UNIX socket). */
  async function vmInterfacesOn(host: string): Promise<string[]> {
    const c = await OvsdbClient.connect({ path: ovsPaths(lab.hostDir(host)).dbSock }, { timeoutMs: 5_000 });
    try {
      return (await new Vswitch(c).getInterfaces()).filter((i) => i.externalIds["attached-mac"]?.toLowerCase() === vm().mac).map((i) => i.name);
    } finally {
      c.close();
    }
  }
  async function domainsNamed(host: string, d = drivers) {
    return (await d.get(host)!.listVms()).filter((v) => v.name === vmName);
  }
  /** libvirt's job type for the VM on `host` ("None", "Unbounded", …), over the host's UNIX socket. */
  async function jobType(host: string): Promise<string> {
    const out = await run("virsh", ["-q", "-c", lab.libvirtUriOf(host), "domjobinfo", vmName], { timeoutMs: 10_000 });
    return /Job type:\s*(\w+)/.exec(out)?.[1] ?? out;
  }
  async function bindings() {
    const port = await db.port.findUniqueOrThrow({ where: { mac: vm().mac }, include: { bindings: { include: { host: true } } } });
    return port.bindings.map((b) => [b.host.name, b.status]);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-mf-"));
    sock = path.join(dir, "of.sock");
    controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
    await controller.start();
    lab = new Lab({ dir: path.join(dir, "lab"), controllerSocket: sock, nsPrefix, topology });
    await lab.up();
    dbUrl = `file:${path.join(dir, "ferry.db")}`;
    await deployMigrations(dbUrl);
    db = await openDb(dbUrl);
    await registerLab(db, lab.plan, (h) => lab.libvirtUriOf(h));
    await registerLabVms(db, lab.plan);
    await db.host.updateMany({ data: { status: "up" } });
    // A real user, so the audit trail's foreign key holds.
    user.id = (await db.user.create({ data: { username: user.username, passwordHash: "x" } })).id;
    drivers = labDrivers(lab, defaultGuestDir());
    // Cross-site traffic first, so both switches have learned the VM where it is now.
    for (let i = 0; i < 3; i++) await http();
  }, 300_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) killGroup(c.pid);
    await db?.$disconnect();
    await lab?.down();
    await controller?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("destination QEMU killed during pre-copy: fails in plain words, the VM stays at the source, nothing is left at the destination", async () => {
    const events: MigrationEvent[] = [];
    const orch = new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: (e) => events.push(e) });
    const before = await http();
    const freeAtDest = (await drivers.get("host-b1")!.facts()).memoryFreeMiB;
    const { id } = await orch.start({ vmName, destHost: "host-b1", options: { maxBandwidthMiBps: 1 }, user });
    await waitFor("a pre-copy sample", 120_000, () => (events.some((e) => e.id === id && e.phase === "pre-copy" && e.sample?.status === "active") ? true : undefined));
    const [pid, ...more] = qemuPidsIn(lab.plan.hosts.find((h) => h.name === "host-b1")!.ns, vmName);
    expect(pid, "the incoming QEMU on host-b1").toBeDefined();
    expect(more).toEqual([]);
    process.kill(pid!, "SIGKILL");
    await orch.settled(id);

    const m = await db.migration.findUniqueOrThrow({ where: { id }, include: { phases: true } });
    expect(m.status).toBe("failed");
    expect(m.error).toMatch(/host-b1/);
    expect(m.error).toMatch(new RegExp(`${vmName} is still running on host-a1`));
    expect(m.phases.find((p) => p.name === "pre-copy")?.status).toBe("failed");

    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
    expect(after.requests).toBeGreaterThan(before.requests);
    expect((await domainsNamed("host-a1")).map((v) => v.state)).toEqual(["running"]);
    expect(await domainsNamed("host-b1")).toEqual([]);
    expect(await vmInterfacesOn("host-b1")).toEqual([]);
    // The reservation's memory is free again at the destination.
    expect((await drivers.get("host-b1")!.facts()).memoryFreeMiB).toBe(freeAtDest);
    expect(await bindings()).toEqual([["host-a1", "active"]]);
    const row = await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
    expect([row.host?.name, row.state]).toEqual(["host-a1", "running"]);
  }, 300_000);

  it("destination QEMU killed at stop-and-copy, after the network moved: fails, the VM resumes at the source and the network is steered back", async () => {
    const orch = new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: () => {} });
    const before = await http();
    // A low rate and a generous downtime limit make QEMU stop the VM with megabytes still to send:
    // a pause of seconds, long enough to kill the destination inside it.
    let killed: number | undefined;
    const watcher = new LifecycleWatcher(lab.libvirtUriOf("host-a1"), (e) => {
      if (e.domain !== vmName || e.event !== "Suspended" || e.detail !== "Migrated" || killed !== undefined) return;
      const [pid] = qemuPidsIn(lab.plan.hosts.find((h) => h.name === "host-b1")!.ns, vmName);
      if (pid === undefined) return;
      killed = pid;
      process.kill(pid, "SIGKILL");
    }, 300);
    let id: string;
    try {
      ({ id } = await orch.start({ vmName, destHost: "host-b1", options: { maxBandwidthMiBps: 8, downtimeLimitMs: 5_000 }, user }));
      await orch.settled(id);
    } finally {
      watcher.stop();
    }
    expect(killed, "the incoming QEMU killed during the pause").toBeDefined();

    const m = await db.migration.findUniqueOrThrow({ where: { id }, include: { phases: true } });
    expect(m.status).toBe("failed");
    expect(m.error).toMatch(new RegExp(`${vmName} is still running on host-a1`));
    // The switches had been told the VM was at host-b1 (at the pause); they were told back.
    const c = await OvsdbClient.connect({ path: ovsPaths(lab.hostDir("host-a1")).dbSock }, { timeoutMs: 5_000 });
    const vmPortA = await new Vswitch(c)
      .getInterfaces()
      .then((ifs) => ifs.find((i) => i.externalIds["attached-mac"]?.toLowerCase() === vm().mac)?.ofport)
      .finally(() => c.close());
    expect(vmPortA).toBeGreaterThan(0);
    const flowsA = await run("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", `unix:${path.join(ovsPaths(lab.hostDir("host-a1")).dir, "br-int.mgmt")}`], { timeoutMs: 10_000 });
    expect(flowsA).toMatch(new RegExp(`priority=90,dl_dst=${vm().mac} actions=output:${vmPortA}\\b`));
    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
    expect(after.requests).toBeGreaterThan(before.requests);
    expect((await domainsNamed("host-a1")).map((v) => v.state)).toEqual(["running"]);
    expect(await domainsNamed("host-b1")).toEqual([]);
    expect(await bindings()).toEqual([["host-a1", "active"]]);
  }, 300_000);

  it("source libvirtd killed during pre-copy, then restarted: one clear outcome naming the dead source, the VM runs in exactly one place, the registry agrees, nothing is left to reconcile", async () => {
    const events: MigrationEvent[] = [];
    const orch = new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: (e) => events.push(e) });
    const from = (await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } })).host!.name;
    const to = from === "host-a1" ? "host-b1" : "host-a1";
    const nsOf = (h: string) => lab.plan.hosts.find((x) => x.name === h)!.ns;
    const before = await http();
    const [guestPid] = qemuPidsIn(nsOf(from), vmName);
    expect(guestPid, `the VM's QEMU on ${from}`).toBeDefined();
    const freeAtDest = (await drivers.get(to)!.facts()).memoryFreeMiB;
    const { id } = await orch.start({ vmName, destHost: to, options: { maxBandwidthMiBps: 1 }, user });
    await waitFor("a pre-copy sample", 120_000, () => (events.some((e) => e.id === id && e.phase === "pre-copy" && e.sample?.status === "active") ? true : undefined));
    const daemon = lab.libvirtdPid(from);
    expect(daemon, `libvirtd of ${from}`).toBeDefined();
    process.kill(daemon!, "SIGKILL");
    await waitFor(`${from}'s libvirtd to be gone`, 10_000, () => (lab.libvirtdPid(from) === undefined ? true : undefined));
    // The guest outlives its daemon, as on a real host.
    expect(qemuPidsIn(nsOf(from), vmName)).toEqual([guestPid]);
    // A service manager's restart delay, then the restart.
    await sleep(3_000);
    await lab.restartLibvirtd(from);
    const settled = await Promise.race([orch.settled(id).then(() => true), sleep(180_000).then(() => false)]);
    expect(settled, "the migration settled within 3 minutes of the restart").toBe(true);

    const m = await db.migration.findUniqueOrThrow({ where: { id }, include: { phases: true } });
    process.stderr.write(`[${tag}] source libvirtd killed: migration ${m.status}${m.error ? `: ${m.error}` : ""}\n`);
    expect(["completed", "failed"]).toContain(m.status);
    if (m.status === "failed") {
      expect(m.error).toMatch(new RegExp(`libvirt on ${from} stopped answering`));
      expect(m.error).toMatch(new RegExp(`${vmName} is still running on ${from}`));
    }
    expect(m.phases.filter((p) => p.status === "active")).toEqual([]);
    const where = m.status === "completed" ? to : from;
    const running = [...(await domainsNamed("host-a1")).map((v) => ["host-a1", v.state]), ...(await domainsNamed("host-b1")).map((v) => ["host-b1", v.state])];
    expect(running).toEqual([[where, "running"]]);
    expect(await jobType(where)).toBe("None");
    expect(await vmInterfacesOn(where === from ? to : from)).toEqual([]);
    if (where === from) {
      // The same QEMU process: the restarted daemon took the guest back, nothing restarted it.
      expect(qemuPidsIn(nsOf(from), vmName)).toEqual([guestPid]);
      expect((await drivers.get(to)!.facts()).memoryFreeMiB).toBe(freeAtDest);
    }
    const row = await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
    expect([row.host?.name, row.state]).toEqual([where, "running"]);
    expect(await bindings()).toEqual([[where, "active"]]);
    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
    expect(after.requests).toBeGreaterThan(before.requests);
    expect(await orch.reconcile()).toBe(0);
  }, 420_000);

  it("server killed during pre-copy, then restarted: reconcile settles the migration, no orphan is left", async () => {
    const before = await http();
    const input: FaultChildInput = {
      labDir: path.join(dir, "lab"),
      controllerSocket: sock,
      nsPrefix,
      topology,
      guestDir: defaultGuestDir(),
      databaseUrl: dbUrl,
      vmName,
      destHost: "host-b1",
      options: { maxBandwidthMiBps: 1 },
      user,
    };
    // Its own process group, so the kill takes its virsh children too, as a crashed service's
    // cgroup would.
    const child = spawn(process.execPath, ["--import", "tsx", "--import", "./server/runtime/server-only-hook.mjs", path.join(import.meta.dirname, "faults.child.ts"), JSON.stringify(input)], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    // Complete lines only: the last one may still be arriving.
    const lines = () => out.split("\n").slice(0, -1).filter(Boolean).map((l) => JSON.parse(l) as { started?: string; phase?: string; sample?: string | null });
    await waitFor("a pre-copy sample from the child", 120_000, () => {
      if (child.exitCode !== null) throw new Error(`the child exited early (${child.exitCode}): ${err.slice(-2000)}`);
      return lines().some((l) => l.phase === "pre-copy" && l.sample === "active") ? true : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}\nchild stderr: ${err.slice(-2000)}`);
    });
    const id = lines().find((l) => l.started)?.started;
    killGroup(child.pid!);
    await Promise.race([exited, sleep(10_000)]);
    expect(child.signalCode).toBe("SIGKILL");
    expect(id).toBeDefined();
    expect((await db.migration.findUniqueOrThrow({ where: { id: id! } })).status).toBe("running");

    // libvirt's peer-to-peer job outlives the process that asked for it: it is still copying.
    expect(await jobType("host-a1")).toBe("Unbounded");
    expect((await domainsNamed("host-b1")).map((v) => v.state)).toEqual(["paused"]);

    // The restart: a fresh orchestrator and fresh drivers on the same database.
    const fresh = labDrivers(lab, defaultGuestDir());
    const orch = new Orchestrator({ db, controller, drivers: fresh, hostNetwork: labHostNetwork(lab), publish: () => {} });
    expect(await orch.reconcile()).toBe(1);

    const m = await db.migration.findUniqueOrThrow({ where: { id: id! }, include: { phases: true } });
    expect(["completed", "failed"]).toContain(m.status);
    if (m.status === "failed") expect(m.error).toMatch(/server restart during pre-copy.* — .* is still running on host-a1/);
    expect(m.phases.filter((p) => p.status === "active")).toEqual([]);
    expect(await jobType("host-a1").catch(() => "None")).toBe("None");

    const a = await domainsNamed("host-a1", fresh);
    const b = await domainsNamed("host-b1", fresh);
    const runningOn = [...a.map((v) => ["host-a1", v.state]), ...b.map((v) => ["host-b1", v.state])];
    const where = m.status === "completed" ? "host-b1" : "host-a1";
    expect(runningOn).toEqual([[where, "running"]]);
    expect(await vmInterfacesOn(where === "host-a1" ? "host-b1" : "host-a1")).toEqual([]);
    const row = await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
    expect([row.host?.name, row.state]).toEqual([where, "running"]);
    expect(await bindings()).toEqual([[where, "active"]]);
    const after = await http();
    expect(after.boot_id).toBe(before.boot_id);
    expect(await orch.reconcile()).toBe(0);
  }, 300_000);

  it("inter-site link cut for 5 s during pre-copy: the migration still ends in one clear state, the VM running in exactly one place and reachable", async () => {
    const events: MigrationEvent[] = [];
    const orch = new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: (e) => events.push(e) });
    const row = await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
    const from = row.host!.name;
    const to = from === "host-a1" ? "host-b1" : "host-a1";
    const before = await http();
    // Site B's host loses its underlay link at the router: nothing crosses between the sites.
    const hostB = lab.plan.hosts.find((h) => h.name === "host-b1")!;
    const link = (state: "up" | "down") => nsRun(lab.plan.routerNs, "ip", ["link", "set", hostB.routerIf, state]);
    const { id } = await orch.start({ vmName, destHost: to, options: { maxBandwidthMiBps: 8 }, user });
    try {
      await waitFor("a pre-copy sample", 120_000, () => (events.some((e) => e.id === id && e.sample?.status === "active") ? true : undefined));
      await link("down");
      await sleep(5_000);
    } finally {
      await link("up");
    }
    await orch.settled(id);

    const m = await db.migration.findUniqueOrThrow({ where: { id } });
    expect(["completed", "failed"]).toContain(m.status);
    if (m.status === "failed") expect(m.error).toMatch(new RegExp(`${vmName} is still running on ${from}`));
    const where = m.status === "completed" ? to : from;
    const running = [...(await domainsNamed("host-a1")).map((v) => ["host-a1", v.state]), ...(await domainsNamed("host-b1")).map((v) => ["host-b1", v.state])];
    expect(running).toEqual([[where, "running"]]);
    const settledAt = Date.now();
    const after = await waitFor("an answer from the VM", 240_000, () => http().catch(() => undefined)).catch(async (e: Error) => {
      const flows = await Promise.all(["host-a1", "host-b1"].map((h) => run("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", `unix:${path.join(ovsPaths(lab.hostDir(h)).dir, "br-int.mgmt")}`]).catch((x: Error) => x.message)));
      throw new Error(`${e.message}; migration ${m.status} (${m.error ?? ""}), VM at ${where}; phases ${JSON.stringify(await db.migrationPhase.findMany({ where: { migrationId: id } }))}\nflows a1:\n${flows[0]}\nflows b1:\n${flows[1]}`);
    });
    process.stderr.write(`[${tag}] link cut: migration ${m.status}, VM at ${where}, first answer from client A ${Date.now() - settledAt} ms after the migration settled\n`);
    expect(after.boot_id).toBe(before.boot_id);
    expect(await bindings()).toEqual([[where, "active"]]);
    const now = await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
    expect([now.host?.name, now.state]).toEqual([where, "running"]);
  }, 600_000);
});

// Plain-QEMU hosts have no management daemon of their own: Ferry drives each QEMU over QMP. So
// "the source killed" means the source QEMU, which during pre-copy is the VM's only copy: the VM
// is lost (a host crash without HA), and what Ferry owes is a plain failure naming the source and
// nothing half-made left behind.
describe.skipIf(unavailable)("migration faults on plain-QEMU (QMP) hosts", () => {
  const tag = `mq${process.pid % 1000}`;
  const vmName = `${tag}-vm`;
  const nsPrefix = process.env.FERRY_TEST_NS_PREFIX ? `${process.env.FERRY_TEST_NS_PREFIX}q-` : `ferry-${tag}-`;
  const topology = QMP_PAIR;

  const vm = { name: vmName, host: "host-a2", uuid: stableUuid(`vm:${vmName}`), portId: stableUuid(`port:${vmName}`), mac: "52:54:00:99:00:11", ip: "10.99.0.11", memoryMiB: 256, vcpus: 1, fillMiB: 0, dirtyMiBps: 0 };
  const user = { id: "", username: "fault-tester" };
  let dir: string;
  let controller: OpenFlowController;
  let lab: Lab;
  let db: Db;
  let drivers: Map<string, HypervisorDriver>;
  const qmp = (h: string) => drivers.get(h) as QmpDriver;
  const http = async (): Promise<{ boot_id: string }> =>
    JSON.parse(await nsRun(lab.plan.clients[0]!.ns, "curl", ["-sS", "--max-time", "5", `http://${vm.ip}/`], { timeoutMs: 10_000 }));
  /** QEMU processes of the VM started by a host's QMP driver (its marker is on their command line). */
  const qemuPidsOf = (h: string) =>
    fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(qmp(h).marker(vmName)) && !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
      } catch {
        return false;
      }
    });
  async function vmInterfacesOn(host: string): Promise<string[]> {
    const c = await OvsdbClient.connect({ path: ovsPaths(lab.hostDir(host)).dbSock }, { timeoutMs: 5_000 });
    try {
      return (await new Vswitch(c).getInterfaces()).filter((i) => i.externalIds["attached-mac"]?.toLowerCase() === vm.mac).map((i) => i.name);
    } finally {
      c.close();
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-mq-"));
    const sock = path.join(dir, "of.sock");
    controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
    await controller.start();
    lab = new Lab({ dir: path.join(dir, "lab"), controllerSocket: sock, nsPrefix, topology });
    await lab.up();
    const url = `file:${path.join(dir, "ferry.db")}`;
    await deployMigrations(url);
    db = await openDb(url);
    await registerLab(db, lab.plan);
    user.id = (await db.user.create({ data: { username: user.username, passwordHash: "x" } })).id;
    const guestDir = defaultGuestDir();
    drivers = labDrivers(lab, guestDir);
    // The lab boots VMs on libvirt hosts only: this one is defined and started through the driver.
    const image = await ensureGuestImage({ outDir: guestDir });
    const def = lab.guestDefinition(vm, image);
    await qmp("host-a2").define(def);
    await qmp("host-a2").start(vmName);
    await waitForGuestReady(def.consoleLog, { timeoutMs: 180_000 });
    await registerLabVms(db, { ...lab.plan, vms: [vm] });
    await db.host.updateMany({ data: { status: "up" } });
    await waitFor("both bridges connected", 30_000, () => (lab.plan.hosts.every((h) => controller.switch(h.dpid)?.isReady) ? true : undefined));
    await waitFor("a first answer from the VM", 60_000, () => http().catch(() => undefined));
  }, 400_000);

  afterAll(async () => {
    for (const d of drivers?.values() ?? []) {
      if (!(d instanceof QmpDriver)) continue;
      for (const v of await d.listVms().catch(() => [])) {
        await d.destroy(v.name).catch(() => {});
        await d.undefine(v.name).catch(() => {});
        await d.discardIncoming(v.name).catch(() => {});
      }
      await d.close();
    }
    await db?.$disconnect();
    await lab?.down();
    await controller?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("source QEMU killed during pre-copy (the VM's only copy): fails naming the dead source, no half VM at the destination, the registry does not claim the VM runs", async () => {
    const events: MigrationEvent[] = [];
    const orch = new Orchestrator({ db, controller, drivers, hostNetwork: labHostNetwork(lab), publish: (e) => events.push(e) });
    await http();
    const freeAtDest = (await qmp("host-b2").facts()).memoryFreeMiB;
    const { id } = await orch.start({ vmName, destHost: "host-b2", options: { maxBandwidthMiBps: 1 }, user });
    await waitFor("a pre-copy sample", 120_000, () => (events.some((e) => e.id === id && e.phase === "pre-copy" && e.sample?.status === "active") ? true : undefined));
    const [source, ...more] = qemuPidsOf("host-a2");
    expect(source, "the source QEMU on host-a2").toBeDefined();
    expect(more).toEqual([]);
    expect(qemuPidsOf("host-b2"), "the incoming QEMU on host-b2").toHaveLength(1);
    process.kill(source!, "SIGKILL");
    const settled = await Promise.race([orch.settled(id).then(() => true), sleep(120_000).then(() => false)]);
    expect(settled, "the migration settled within 2 minutes").toBe(true);

    const m = await db.migration.findUniqueOrThrow({ where: { id }, include: { phases: true } });
    process.stderr.write(`[${tag}] source QEMU killed: migration ${m.status}: ${m.error ?? ""}\n`);
    expect(m.status).toBe("failed");
    expect(m.error).toMatch(/source QEMU/);
    expect(m.error).toMatch(new RegExp(`${vmName} is shutoff on host-a2`));
    expect(m.phases.find((p) => p.name === "pre-copy")?.status).toBe("failed");
    expect(m.phases.filter((p) => p.status === "active")).toEqual([]);

    // No half VM at the destination: no QEMU, no domain, no port for its MAC, its memory free again.
    await waitFor("the incoming QEMU on host-b2 to be gone", 10_000, () => (qemuPidsOf("host-b2").length === 0 ? true : undefined));
    expect((await qmp("host-b2").listVms()).map((v) => v.name)).not.toContain(vmName);
    expect(await vmInterfacesOn("host-b2")).toEqual([]);
    expect((await qmp("host-b2").facts()).memoryFreeMiB).toBe(freeAtDest);
    // Nowhere running, and the registry says so: still defined at its host, shut off, bound there only.
    expect(qemuPidsOf("host-a2")).toEqual([]);
    expect((await qmp("host-a2").getVm(vmName)).state).toBe("shutoff");
    const row = await db.vm.findUniqueOrThrow({ where: { name: vmName }, include: { host: true } });
    expect([row.host?.name, row.state]).toEqual(["host-a2", "shutoff"]);
    const port = await db.port.findUniqueOrThrow({ where: { mac: vm.mac }, include: { bindings: { include: { host: true } } } });
    expect(port.bindings.map((b) => [b.host.name, b.status])).toEqual([["host-a2", "active"]]);
    await expect(http()).rejects.toThrow();
    expect(await orch.reconcile()).toBe(0);
  }, 300_000);
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
