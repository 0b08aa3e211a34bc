// The lab's registration in the inventory, on a real migrated SQLite database and, when
// FERRY_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database too.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployMigrations } from "../database/migrate";
import { openDb, type Db } from "../db";
import { DEFAULT_TOPOLOGY, planLab, TWO_BY_TWO } from "../lab/topology";
import { LAB_NETWORK, markLabDown, registerLab, registerLabVms } from "./lab-sync";
import { freshPostgresDatabase, TEST_DATABASES } from "../testing/ferry-instance";

describe.each(TEST_DATABASES)("lab registration on %s", (database) => {
  let dir: string;
  let db: Db;
  let pg: { url: string; drop(): Promise<void> } | null = null;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-inv-"));
    if (database === "postgresql") pg = await freshPostgresDatabase(process.env.FERRY_TEST_POSTGRES_URL!);
    const url = pg?.url ?? `file:${path.join(dir, "inv.db")}`;
    await deployMigrations(url);
    db = await openDb(url);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await pg?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const plan = planLab(TWO_BY_TWO, "t-");

  it("registers sites, hosts with their br-int switch, the overlay network and client ports — twice without duplicates", async () => {
    await registerLab(db, plan);
    await registerLab(db, plan);
    expect((await db.site.findMany({ orderBy: { name: "asc" } })).map((s) => [s.name, s.underlayCidr])).toEqual([
      ["a", "10.250.1.0/24"],
      ["b", "10.250.2.0/24"],
    ]);
    const hosts = await db.host.findMany({ include: { site: true, switches: true }, orderBy: { name: "asc" } });
    expect(hosts.map((h) => [h.name, h.site.name, h.hypervisor, h.status, h.switches.map((s) => s.dpid)])).toEqual(
      plan.hosts.map((h) => [h.name, h.site, h.hypervisor, "up", [h.dpid]]).sort(),
    );
    const net = await db.network.findUniqueOrThrow({ where: { name: LAB_NETWORK }, include: { subnets: true, ports: { include: { bindings: { include: { host: true } } } } } });
    expect(net.subnets.map((s) => s.cidr)).toEqual(["10.99.0.0/24"]);
    expect(net.ports.map((p) => [p.mac, p.fixedIp, p.bindings.map((b) => [b.host.name, b.status])]).sort()).toEqual(
      plan.clients.map((c) => [c.mac, c.ip, [[c.host, "active"]]]).sort(),
    );
  });

  it("registers the lab's VMs with one active port binding on their host", async () => {
    const withVms = planLab({ ...TWO_BY_TWO, vms: DEFAULT_TOPOLOGY.vms }, "t-");
    await registerLabVms(db, withVms);
    await registerLabVms(db, withVms);
    const vms = await db.vm.findMany({ include: { host: true }, orderBy: { name: "asc" } });
    expect(vms.map((v) => [v.name, v.host?.name, v.state, v.memoryMiB])).toEqual([
      ["vm1", "host-a1", "running", 256],
      ["vm2", "host-b1", "running", 256],
    ]);
    const port = await db.port.findUniqueOrThrow({ where: { mac: withVms.vms[0]!.mac }, include: { bindings: { include: { host: true } } } });
    expect(port).toMatchObject({ id: withVms.vms[0]!.portId, deviceId: withVms.vms[0]!.uuid, fixedIp: "10.99.0.11", deviceOwner: "compute" });
    expect(port.bindings.map((b) => [b.host.name, b.status])).toEqual([["host-a1", "active"]]);
  });

  it("marks the lab's hosts down when it stops", async () => {
    await markLabDown(db, plan);
    expect(new Set((await db.host.findMany()).map((h) => h.status))).toEqual(new Set(["down"]));
  });
});
