// The `ferry` CLI, /metrics and the structured log against a real server with its embedded lab
// (real OVS, libvirtd, QEMU guests). One lab for the whole file; the tests run in order and build
// on each other: sign in, look, make traffic, migrate with --watch, compare flows with ovs-ofctl.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ovsUnavailableReason } from "../../controller/ovsdb/testing/ovs-instance";
import { loadEnv } from "../env";
import { startFerry, type RunningFerry } from "../start";
import { Lab } from "../lab/lab";
import { ovsPaths } from "../lab/ovs-daemons";
import { nsRun, run } from "../lab/sh";
import { parseDumpFlows } from "./testing/dump-flows";

const unavailable = ovsUnavailableReason();
const ROOT = path.resolve(import.meta.dirname, "../..");
const NS_PREFIX = "ferry-cli-";
const PASSWORD = "cli-test-admin-password";

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(unavailable)("ferry CLI, /metrics and logs on the lab", () => {
  let dataDir: string;
  let configHome: string;
  let ferry: RunningFerry | undefined;
  const logLines: string[] = [];

  const lab = () => ferry!.services.lab!;

  function spawnCli(args: string[], opts: { stdin?: string; viaNpx?: boolean } = {}) {
    const cmd = opts.viaNpx ? "npx" : process.execPath;
    const argv = opts.viaNpx ? ["ferry", ...args] : [path.join(ROOT, "server/cli/ferry.mjs"), ...args];
    const env: NodeJS.ProcessEnv = { ...process.env, FERRY_URL: ferry!.url, XDG_CONFIG_HOME: configHome };
    delete env.FERRY_SESSION_FILE;
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    const out = { stdout: "", stderr: "" };
    child.stdout.on("data", (d) => (out.stdout += d));
    child.stderr.on("data", (d) => (out.stderr += d));
    child.stdin.end(opts.stdin ?? "");
    const done = new Promise<CliResult>((resolve) => child.once("exit", (code) => resolve({ code, ...out })));
    return { child, out, done };
  }

  /** Runs one CLI command to its end (killed after `timeoutMs`, a safety bound). */
  async function cli(args: string[], opts: { stdin?: string; viaNpx?: boolean; timeoutMs?: number } = {}): Promise<CliResult> {
    const { child, done } = spawnCli(args, opts);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    try {
      return await done;
    } finally {
      clearTimeout(timer);
    }
  }

  async function metrics(): Promise<Map<string, number>> {
    const res = await fetch(`${ferry!.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const values = new Map<string, number>();
    for (const line of (await res.text()).split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const i = line.lastIndexOf(" ");
      values.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
    return values;
  }

  /** One bounded burst of traffic inside the lab: the client forgets its ARP entries (so the
   * switch sees a broadcast, which always goes to the controller) and fetches the VM's page once. */
  async function traffic(): Promise<void> {
    const client = lab().plan.clients[0]!;
    const vm = lab().plan.vms[0]!;
    await nsRun(client.ns, "ip", ["neigh", "flush", "all"]);
    await nsRun(client.ns, "curl", ["-sS", "-o", "/dev/null", "--max-time", "5", `http://${vm.ip}/`]).catch(() => {});
  }

  function ovsDumpFlows(host: string): Promise<string> {
    const mgmt = path.join(ovsPaths(lab().hostDir(host)).dir, "br-int.mgmt");
    return run("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", `unix:${mgmt}`]);
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-cli-"));
    configHome = path.join(dataDir, "config");
    const env = loadEnv({
      NODE_ENV: "test",
      FERRY_PORT: "0",
      FERRY_HOST: "127.0.0.1",
      FERRY_DATA_DIR: dataDir,
      FERRY_ADMIN_PASSWORD: PASSWORD,
      FERRY_OF_TCP: "127.0.0.1:0",
      FERRY_LAB: "1",
      FERRY_LAB_NS_PREFIX: NS_PREFIX,
      FERRY_LOG_LEVEL: "debug",
    });
    ferry = await startFerry(env, {
      pages: (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("page");
      },
      log: (line) => logLines.push(line),
    });
  }, 300_000);

  afterAll(async () => {
    if (ferry) await ferry.stop("test finished");
    // If the server never came up, whatever the lab had started is still removed.
    else if (dataDir) await new Lab({ dir: path.join(dataDir, "lab"), controllerSocket: path.join(dataDir, "openflow.sock"), nsPrefix: NS_PREFIX }).down().catch(() => {});
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it("runs as `npx ferry` from this package (its own bin)", async () => {
    const r = await cli(["--version"], { viaNpx: true, timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/npm (ERR|error)/);
    expect(r.stdout.trim()).toBe("ferry 0.1.0");
    expect(r.code).toBe(0);
  }, 150_000);

  it("refuses to work before signing in, and refuses a wrong password, with exit status 1", async () => {
    const r = await cli(["hosts"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not signed in to http:\/\/127\.0\.0\.1:\d+: run "ferry login" first/);
    const bad = await cli(["login", "admin", "--password-stdin"], { stdin: "not-the-password\n" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("wrong username or password");
    expect(fs.existsSync(path.join(configHome, "ferry", "session.json"))).toBe(false);
  }, 120_000);

  it("signs in and keeps the session in a file only this user can read (0600)", async () => {
    const r = await cli(["login", "admin", "--password-stdin"], { stdin: `${PASSWORD}\n` });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^signed in to http:\/\/127\.0\.0\.1:\d+ as admin \(admin\)/);
    const file = path.join(configHome, "ferry", "session.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(stored.sessions[ferry!.url]).toMatchObject({ username: "admin", role: "admin", cookie: expect.stringMatching(/^ferry_session=.+/) });
    const me = await cli(["whoami", "--json"]);
    expect(JSON.parse(me.stdout)).toMatchObject({ username: "admin", role: "admin" });
  }, 120_000);

  it("lists hosts, VMs and the lab, as tables and as JSON", async () => {
    const hosts = await cli(["hosts"]);
    expect(hosts.code).toBe(0);
    expect(hosts.stdout.split("\n")[0]).toMatch(/^NAME\s+SITE\s+HYPERVISOR\s+STATUS/);
    expect(hosts.stdout).toMatch(/^host-a1\s+a\s+libvirt\s+up/m);
    expect(hosts.stdout).toMatch(/^host-b1\s+b\s+libvirt\s+up/m);
    const vms = JSON.parse((await cli(["vms", "--json"])).stdout) as { name: string; host: string; state: string }[];
    expect(vms.map((v) => [v.name, v.host, v.state])).toEqual([
      ["vm1", "host-a1", "running"],
      ["vm2", "host-b1", "running"],
    ]);
    const status = await cli(["lab", "status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^lab: up$/m);
    expect(status.stdout).toMatch(/vm1 {2}on host-a1/);
  }, 120_000);

  it("counts packet-ins in /metrics after traffic, and `events --follow` shows them live until Ctrl-C", async () => {
    const before = await metrics();
    const follow = spawnCli(["events", "--follow", "--json", "--type", "packet_in"]);
    try {
      // Bounded: at most 20 bursts, until the stream has shown a packet-in.
      for (let i = 0; i < 20 && !/"type":"packet_in"/.test(follow.out.stdout); i++) {
        await traffic();
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(follow.out.stdout).toMatch(/"type":"packet_in"/);
      for (const line of follow.out.stdout.trim().split("\n")) expect(JSON.parse(line)).toMatchObject({ type: "packet_in", dpid: expect.stringMatching(/^[0-9a-f]{16}$/) });
    } finally {
      follow.child.kill("SIGINT");
    }
    const exit = await Promise.race([follow.done, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    expect(exit?.code).toBe(0);

    const after = await metrics();
    expect(after.get("ferry_openflow_packet_in_total")).toBeGreaterThan(before.get("ferry_openflow_packet_in_total")!);
    // One br-int per lab host connects to the controller.
    expect(after.get("ferry_openflow_switches_connected")).toBe(lab().plan.hosts.length);
    expect(after.get('ferry_registry_objects{kind="hosts"}')).toBe(2);
    expect(after.get('ferry_registry_objects{kind="vms"}')).toBe(2);
  }, 90_000);

  let migrationId = "";

  it("migrates vm1 to the automatic choice with --watch: every phase printed, exit 0, metrics and logs follow", async () => {
    const before = await metrics();
    const r = await cli(["migrate", "vm1", "--to", "auto", "--bandwidth", "256", "--watch", "--timeout", "240"], { timeoutMs: 300_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    migrationId = /^migration ([0-9a-f-]{36}): vm1 → host-b1$/.exec(lines[0]!)?.[1] ?? "";
    expect(migrationId).not.toBe("");
    for (const phase of ["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"]) {
      expect(lines.filter((l) => new RegExp(`^ {2}ok {6}${phase}\\b`).test(l))).toHaveLength(1);
    }
    expect(lines.at(-2)).toMatch(new RegExp(`^migration ${migrationId}: vm1 host-a1 → host-b1 completed \\(total `));

    const list = await cli(["migrations", "--json"]);
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ id: migrationId, vmName: "vm1", destHost: "host-b1", status: "completed" });
    expect((await cli(["migrations"])).stdout).toMatch(new RegExp(`^${migrationId}\\s+vm1\\s+host-a1\\s+host-b1\\s+completed`, "m"));

    const row = await ferry!.services.db.migration.findUniqueOrThrow({ where: { id: migrationId } });
    const after = await metrics();
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta("ferry_migrations_started_total")).toBe(1);
    expect(delta("ferry_migrations_completed_total")).toBe(1);
    expect(delta("ferry_migrations_failed_total")).toBe(0);
    expect(delta("ferry_migration_total_seconds_count")).toBe(1);
    expect(delta("ferry_migration_total_seconds_sum")).toBeCloseTo(row.totalTimeMs! / 1000, 3);
    if (row.downtimeMs !== null) expect(delta("ferry_migration_downtime_seconds_count")).toBe(1);
    // Commitment installed the VM's new flows on every switch.
    expect(delta("ferry_openflow_flow_mod_total")).toBeGreaterThan(0);

    // The log: JSON lines, the migration's phases with its id in the context.
    const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const ofMigration = entries.filter((e) => e.migrationId === migrationId);
    expect(ofMigration.map((e) => e.phase)).toEqual(expect.arrayContaining(["pre-migration", "pre-copy", "activation"]));
    expect(ofMigration.at(-1)).toMatchObject({ status: "completed", level: "info", component: "migration" });
    expect(entries.some((e) => e.component === "openflow" && typeof e.dpid === "string" && /connected/.test(String(e.msg)))).toBe(true);
  }, 320_000);

  it("prints a switch's flows in ovs-ofctl dump-flows syntax, the same flows ovs-ofctl shows", async () => {
    for (const host of ["host-a1", "host-b1"]) {
      // Flows come and go with traffic and idle timeouts: the two dumps are taken back to back,
      // and compared again (at most 3 times) if a flow changed in between.
      let ours: ReturnType<typeof parseDumpFlows> = [];
      let theirs: ReturnType<typeof parseDumpFlows> = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await cli(["flows", host]);
        expect(r.code).toBe(0);
        ours = parseDumpFlows(r.stdout, { strict: true });
        theirs = parseDumpFlows(await ovsDumpFlows(host));
        if (sameFlows(ours, theirs)) break;
      }
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.map(flowKey).sort()).toEqual(theirs.map(flowKey).sort());
    }
    // The VM's flows moved with it: at host-b1 a flow toward vm1's MAC exists.
    const mac = lab().plan.vms[0]!.mac;
    const atB = parseDumpFlows((await cli(["flows", "host-b1"])).stdout, { strict: true });
    expect(atB.some((f) => f.match.includes(`dl_dst=${mac}`))).toBe(true);
    const json = JSON.parse((await cli(["flows", "host-a1", "--json"])).stdout);
    expect(json.flows.length).toBeGreaterThan(0);
    const bad = await cli(["flows", "host-z9"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no switch "host-z9"/);
  }, 120_000);

  it("takes the lab down and up again; status exits 3 while it is down", async () => {
    const down = await cli(["lab", "down"], { timeoutMs: 120_000 });
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^lab: down$/m);
    const status = await cli(["lab", "status"]);
    expect(status.code).toBe(3);
    expect((await metrics()).get("ferry_openflow_switches_connected")).toBe(0);
    const up = await cli(["lab", "up"], { timeoutMs: 300_000 });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^lab: up$/m);
    expect((await cli(["lab", "status"])).code).toBe(0);
  }, 420_000);

  it("signs out: the session ends on the server and is forgotten here", async () => {
    const stored = JSON.parse(fs.readFileSync(path.join(configHome, "ferry", "session.json"), "utf8")).sessions[ferry!.url].cookie as string;
    const r = await cli(["logout"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(configHome, "ferry", "session.json"), "utf8")).sessions).toEqual({});
    // The old cookie no longer works on the server either.
    const res = await fetch(`${ferry!.url}/api/trpc/auth.me`, { headers: { cookie: stored } });
    expect(res.status).toBe(401);
    expect((await cli(["hosts"])).code).toBe(1);
  }, 120_000);

  it("never wrote the password or a session token to the log", () => {
    expect(logLines.length).toBeGreaterThan(0);
    const text = logLines.join("\n");
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toMatch(/ferry_session=/);
  });
});

function flowKey(f: { priority: number; match: string; actions: string }): string {
  return `${f.priority} ${f.match} actions=${f.actions}`;
}

function sameFlows(a: { priority: number; match: string; actions: string }[], b: typeof a): boolean {
  const x = a.map(flowKey).sort();
  const y = b.map(flowKey).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
}
