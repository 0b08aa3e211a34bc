// Migration faults on the lab: the destination's QEMU dies during pre-copy, and the server dies
// during pre-copy and starts again. After each, the VM runs in exactly one place and answers with
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
import { registerLab, registerLabVms } from "../inventory/lab-sync";
import { defaultGuestDir } from "../lab/guest/image";
import { Lab } from "../lab/lab";
import { ovsPaths } from "../lab/ovs-daemons";
import { nsRun, run } from "../lab/sh";
import { DEFAULT_TOPOLOGY, type LabTopology } from "../lab/topology";
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
  const nsPrefix = `ferry-${tag}-`;
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

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
