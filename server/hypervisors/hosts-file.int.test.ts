// Registration of the hosts file's sites, hosts and switches on a real migrated database
// (SQLite, and PostgreSQL when FERRY_TEST_POSTGRES_URL is set).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployMigrations } from "../database/migrate";
import { openDb, type Db } from "../db";
import { freshPostgresDatabase, TEST_DATABASES } from "../testing/ferry-instance";
import { parseHostsFile, registerHostsFile } from "./hosts-file";

const file = parseHostsFile(
  JSON.stringify({
    sites: [
      { name: "tokyo", underlayCidr: "192.0.2.0/24" },
      { name: "osaka", underlayCidr: "198.51.100.0/24" },
    ],
    hosts: [
      { name: "hv-tokyo-1", site: "tokyo", libvirtUri: "qemu+ssh://root@192.0.2.11/system", ovsdb: "tcp:192.0.2.11:6640", dpid: "0000000000000011", underlayIp: "192.0.2.11" },
      { name: "hv-osaka-1", site: "osaka", hypervisor: "xen", libvirtUri: "xen+ssh://root@198.51.100.21/system", ovsdb: "tcp:198.51.100.21:6640", bridge: "br-vm", dpid: "0000000000000021", underlayIp: "198.51.100.21" },
    ],
  }),
);

describe.each(TEST_DATABASES)("hosts file registration on %s", (database) => {
  let dir: string;
  let db: Db;
  let pg: { url: string; drop(): Promise<void> } | null = null;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-hosts-"));
    if (database === "postgresql") pg = await freshPostgresDatabase(process.env.FERRY_TEST_POSTGRES_URL!);
    const url = pg?.url ?? `file:${path.join(dir, "hosts.db")}`;
    await deployMigrations(url);
    db = await openDb(url);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await pg?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("registers sites, hosts with their libvirt URI and their bridge's switch — twice without duplicates", async () => {
    await registerHostsFile(db, file);
    await registerHostsFile(db, file);
    expect((await db.site.findMany({ orderBy: { name: "asc" } })).map((s) => [s.name, s.underlayCidr, s.source])).toEqual([
      ["osaka", "198.51.100.0/24", "file"],
      ["tokyo", "192.0.2.0/24", "file"],
    ]);
    const hosts = await db.host.findMany({ include: { site: true, switches: true }, orderBy: { name: "asc" } });
    expect(hosts.map((h) => [h.name, h.site.name, h.hypervisor, h.uri, h.underlayIp, h.source, h.switches.map((s) => [s.dpid, s.bridge])])).toEqual([
      ["hv-osaka-1", "osaka", "xen", "xen+ssh://root@198.51.100.21/system", "198.51.100.21", "file", [["0000000000000021", "br-vm"]]],
      ["hv-tokyo-1", "tokyo", "libvirt", "qemu+ssh://root@192.0.2.11/system", "192.0.2.11", "file", [["0000000000000011", "br-int"]]],
    ]);
  });
});
