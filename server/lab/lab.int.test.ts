// Integration: the two-site lab on real namespaces and real Open vSwitch, with Ferry's controller
// as the only thing forwarding: clients at both sites reach each other across the GRE tunnel;
// the WAN limit really slows the inter-site link; `down` leaves nothing behind.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "../../controller/controller";
import { ovsUnavailableReason } from "../../controller/ovsdb/testing/ovs-instance";
import { Lab } from "./lab";
import { DEFAULT_TOPOLOGY, MIGRATION_IF } from "./topology";
import { ovsPaths } from "./ovs-daemons";
import { listNamespaces, nsRun } from "./sh";
import { qemuPidsIn } from "../testing/qemu-pids";

const unavailable = ovsUnavailableReason();

describe.skipIf(unavailable)("two-site lab", () => {
  let dir: string;
  let controller: OpenFlowController;
  let lab: Lab;
  const prefix = `ferry-lt${process.pid % 1000}-`;
  // Names of our own, so the final check cannot mistake another lab's guests for leftovers.
  const vmA = `lt${process.pid % 1000}-vm1`;
  const vmB = `lt${process.pid % 1000}-vm2`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-lab-test-"));
    const sock = path.join(dir, "of.sock");
    controller = new OpenFlowController({ listen: [{ kind: "unix", path: sock }], datapath: { flowStatsIntervalMs: 0 } });
    await controller.start();
    lab = new Lab({
      dir: path.join(dir, "lab"),
      controllerSocket: sock,
      nsPrefix: prefix,
      topology: { ...DEFAULT_TOPOLOGY, vms: [{ name: vmA, host: "host-a1", memoryMiB: 192 }, { name: vmB, host: "host-b1", memoryMiB: 192 }] },
    });
    const status = await lab.up();
    expect(status.problems).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    await lab?.down();
    await controller?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("connects every host's br-int to Ferry's controller with the planned datapath id", async () => {
    const want = lab.plan.hosts.map((h) => h.dpid).sort();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && [...controller.switches.keys()].sort().join() !== want.join()) await new Promise((r) => setTimeout(r, 100));
    expect([...controller.switches.keys()].sort()).toEqual(want);
  });

  it("routes the underlay between sites through the router", async () => {
    const [a, b] = lab.plan.hosts;
    const out = await nsRun(a!.ns, "ping", ["-c", "2", "-i", "0.2", "-W", "2", b!.underlayIp]);
    expect(out).toMatch(/2 received/);
  });

  it("carries full-size jumbo frames across the underlay, unfragmented", async () => {
    const [a, b] = lab.plan.hosts;
    expect(lab.underlayMtu).toBe(9000);
    for (const dev of ["eth0", "br-phy"]) expect(await nsRun(a!.ns, "ip", ["-o", "link", "show", dev])).toContain(`mtu ${lab.underlayMtu} `);
    // 20 bytes of IPv4 and 8 of ICMP: a frame of exactly the MTU, with fragmentation forbidden.
    const out = await nsRun(a!.ns, "ping", ["-c", "2", "-i", "0.2", "-W", "2", "-M", "do", "-s", String(lab.underlayMtu - 28), b!.underlayIp]);
    expect(out).toMatch(/2 received/);
  });

  it("routes each host's migration network between sites in the kernel, outside Open vSwitch, with jumbo frames", async () => {
    const [a, b] = lab.plan.hosts;
    expect([a!.migrationIp, b!.migrationIp]).toEqual(["10.251.1.11", "10.251.2.11"]);
    expect(await nsRun(a!.ns, "ip", ["-o", "link", "show", MIGRATION_IF])).toContain(`mtu ${lab.underlayMtu} `);
    expect(await nsRun(a!.ns, "ip", ["route", "get", b!.migrationIp])).toMatch(new RegExp(`via 10\\.251\\.1\\.1 dev ${MIGRATION_IF} `));
    const ports = await nsRun(a!.ns, "ovs-vsctl", [`--db=unix:${ovsPaths(lab.hostDir(a!.name)).dbSock}`, "list-ports", "br-phy"]);
    expect(ports.split("\n")).toContain("eth0");
    expect(ports).not.toContain(MIGRATION_IF);
    const out = await nsRun(a!.ns, "ping", ["-c", "2", "-i", "0.2", "-W", "2", "-M", "do", "-s", String(lab.underlayMtu - 28), b!.migrationIp]);
    expect(out).toMatch(/2 received/);
  });

  it("lets the site A client reach the site B client over the GRE tunnel, forwarded only by the controller", async () => {
    const [ca, cb] = lab.plan.clients;
    const out = await nsRun(ca!.ns, "ping", ["-c", "3", "-i", "0.2", "-W", "3", cb!.ip]);
    expect(out).toMatch(/3 received/);
    // Secure mode: the flows that carried it are the controller's.
    const hostA = controller.switch(lab.plan.hosts[0]!.dpid)!;
    expect(hostA.flows.entries().some((f) => f.match.eth_src === ca!.mac && f.match.eth_dst === cb!.mac)).toBe(true);
  });

  it("boots one libvirt VM per site, each answering HTTP to the site A client (site B's across GRE)", async () => {
    const status = await lab.status();
    expect(status.hosts.every((h) => h.libvirtRunning === true)).toBe(true);
    expect(status.vms.map((v) => [v.name, v.host, v.state])).toEqual([
      [vmA, "host-a1", "running"],
      [vmB, "host-b1", "running"],
    ]);
    const [ca] = lab.plan.clients;
    for (const vm of lab.plan.vms) {
      const body = await nsRun(ca!.ns, "curl", ["-sS", "--max-time", "10", `http://${vm.ip}/`]);
      const doc = JSON.parse(body) as { hostname: string; requests: number; boot_id: string };
      expect(doc.hostname).toBe(vm.name);
      const again = JSON.parse(await nsRun(ca!.ns, "curl", ["-sS", "--max-time", "10", `http://${vm.ip}/`])) as typeof doc;
      expect(again.boot_id).toBe(doc.boot_id);
      expect(again.requests).toBe(doc.requests + 1);
    }
    // Each guest runs under the lab's QEMU wrapper: 8 KiB more RAM than libvirt's whole MiB, so
    // QEMU 7.2's TCG keeps the guest's writes during a migration (server/lab/lab-qemu.sh).
    for (const vm of lab.plan.vms) {
      const ns = lab.plan.hosts.find((h) => h.name === vm.host)!.ns;
      const pids = qemuPidsIn(ns, vm.name);
      expect(pids).toHaveLength(1);
      const args = fs.readFileSync(`/proc/${pids[0]}/cmdline`, "utf8").split("\0");
      expect(args[args.indexOf("-m") + 1]).toBe(`${vm.memoryMiB * 1024 + 8}k`);
      expect(args.find((a) => a.includes('"id":"pc.ram"'))).toContain(`"size":${vm.memoryMiB * 1024 * 1024 + 8192}`);
      // …and without transparent huge pages, whose first touch costs vary widely here (lab-qemu.sh).
      expect(fs.readFileSync(`/proc/${pids[0]}/status`, "utf8")).toMatch(/^THP_enabled:\s+0$/m);
    }
    // libvirt plugged each VM into its host's br-int with Neutron-style external_ids; the controller sees the port.
    const a1 = controller.switch(lab.plan.hosts[0]!.dpid)!;
    expect([...a1.ports.values()].some((p) => p.name.startsWith("vnet"))).toBe(true);
  }, 60_000);

  it("slows the inter-site link when a WAN limit is set, and restores it", async () => {
    const [ca, cb] = lab.plan.clients;
    const [ha, hb] = lab.plan.hosts;
    const bytes = 2_000_000;
    // 2 MB over TCP from one namespace to a listener at `ip` in another; seconds taken.
    const transfer = async (fromNs: string, toNs: string, ip: string) => {
      const server = spawn("ip", ["netns", "exec", toNs, process.execPath, "-e", `
        const s = require("net").createServer((c) => { let n = 0; c.on("data", (d) => n += d.length); c.on("end", () => { c.end(String(n)); s.close(); }); });
        s.listen(5002, "${ip}", () => console.log("listening")); setTimeout(() => process.exit(1), 30000);`], { stdio: ["ignore", "pipe", "inherit"] });
      try {
        await new Promise<void>((resolve, reject) => {
          server.stdout!.once("data", () => resolve());
          server.once("exit", (code) => reject(new Error(`transfer server exited with ${code}`)));
        });
        const t0 = process.hrtime.bigint();
        const got = await nsRun(fromNs, process.execPath, ["-e", `
          const c = require("net").connect(5002, "${ip}", () => c.end(Buffer.alloc(${bytes}, 1)));
          let r = ""; c.on("data", (d) => r += d); c.on("end", () => { console.log(r); process.exit(0); });
          setTimeout(() => process.exit(1), 30000);`], { timeoutMs: 35_000 });
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        expect(got).toBe(String(bytes));
        return seconds;
      } finally {
        server.kill("SIGKILL");
      }
    };
    const overlay = () => transfer(ca!.ns, cb!.ns, cb!.ip);
    const migration = () => transfer(ha!.ns, hb!.ns, hb!.migrationIp);
    const free = { overlay: await overlay(), migration: await migration() };
    await lab.setWanRate(8);
    const limited = { overlay: await overlay(), migration: await migration() };
    await lab.setWanRate(null);
    // 2 MB at 8 Mbit/s needs at least 2 s; unlimited it is far quicker. The migration network
    // crosses the same emulated link.
    for (const k of ["overlay", "migration"] as const) {
      expect(limited[k]).toBeGreaterThan(1.8);
      expect(limited[k]).toBeGreaterThan(free[k] * 2);
    }
    expect((await lab.status()).wanRateMbit).toBeNull();
  }, 90_000);

  it("leaves no namespace, process or file behind after down", async () => {
    await lab.down();
    expect((await listNamespaces()).filter((n) => n.startsWith(prefix))).toEqual([]);
    const stray = fs
      .readdirSync("/proc")
      .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
      .filter((e) => {
        try {
          return fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(dir);
        } catch {
          return false;
        }
      });
    expect(stray).toEqual([]);
    const guests = fs
      .readdirSync("/proc")
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8");
          return cmd.includes(vmA) || cmd.includes(vmB);
        } catch {
          return false;
        }
      });
    expect(guests).toEqual([]);
    expect(fs.readFileSync("/proc/mounts", "utf8")).not.toContain(dir);
    expect(fs.existsSync(path.join(dir, "lab", "hosts"))).toBe(false);
    expect((await lab.status()).up).toBe(false);
  });
});
