// Integration: bad input to a real Ferry server over HTTP gets a readable error, and none of it
// reaches a hypervisor. The hosts' drivers are a counting test double that records every call
// (and fails it), so "no driver was asked" is a count of zero, not an assumption.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HostFacts, HypervisorDriver, IncomingReservation, MigrationHandle, VmDefinition, VmInfo } from "../hypervisors/driver";
import { HypervisorError } from "../hypervisors/driver";
import { login, startTestFerry, TEST_DATABASES, trpcCall, type TestFerry } from "../testing/ferry-instance";

/** Test double: a driver that answers nothing, only records that it was asked. */
class CountingDriver implements HypervisorDriver {
  readonly kind = "qmp" as const;
  readonly calls: string[] = [];
  constructor(readonly host: string) {}

  private refuse(method: string): never {
    this.calls.push(method);
    throw new HypervisorError("UNSUPPORTED", `CountingDriver(${this.host}).${method} was called`);
  }
  async facts(): Promise<HostFacts> {
    return this.refuse("facts");
  }
  async listVms(): Promise<VmInfo[]> {
    return this.refuse("listVms");
  }
  async getVm(_name: string): Promise<VmInfo> {
    return this.refuse("getVm");
  }
  async definition(_name: string): Promise<VmDefinition> {
    return this.refuse("definition");
  }
  async define(_def: VmDefinition): Promise<VmInfo> {
    return this.refuse("define");
  }
  async start(_name: string): Promise<void> {
    this.refuse("start");
  }
  async shutdown(_name: string): Promise<void> {
    this.refuse("shutdown");
  }
  async destroy(_name: string): Promise<void> {
    this.refuse("destroy");
  }
  async undefine(_name: string): Promise<void> {
    this.refuse("undefine");
  }
  async prepareIncoming(_vm: VmInfo, _def: VmDefinition): Promise<IncomingReservation> {
    return this.refuse("prepareIncoming");
  }
  async migrate(): Promise<MigrationHandle> {
    return this.refuse("migrate");
  }
  async announce(_name: string): Promise<void> {
    this.refuse("announce");
  }
  async abortStrayMigration(_name: string): Promise<boolean> {
    return this.refuse("abortStrayMigration");
  }
  async close(): Promise<void> {
    // Called when the server stops; not a request reaching a hypervisor.
  }
}

function message(body: any): string {
  return body?.error?.json?.message ?? "";
}
function code(body: any): string | undefined {
  return body?.error?.json?.data?.code;
}

describe.each(TEST_DATABASES)("bad API input on %s", (database) => {
  let ferry: TestFerry;
  let admin: string;
  const drivers = [new CountingDriver("in-a1"), new CountingDriver("in-b1")];
  const driverCalls = () => drivers.flatMap((d) => d.calls.map((c) => `${d.host}.${c}`));

  beforeAll(async () => {
    ferry = await startTestFerry({}, database);
    const db = ferry.services.db;
    // A small inventory: two sites, a host at each, one VM on the first.
    const siteA = await db.site.create({ data: { name: "in-a", underlayCidr: "10.250.1.0/24" } });
    const siteB = await db.site.create({ data: { name: "in-b", underlayCidr: "10.250.2.0/24" } });
    const a1 = await db.host.create({ data: { name: "in-a1", siteId: siteA.id, hypervisor: "qemu", underlayIp: "10.250.1.11", status: "up" } });
    await db.host.create({ data: { name: "in-b1", siteId: siteB.id, hypervisor: "qemu", underlayIp: "10.250.2.11", status: "up" } });
    await db.host.create({ data: { name: "in-b2-no-driver", siteId: siteB.id, hypervisor: "qemu", underlayIp: "10.250.2.12", status: "up" } });
    await db.vm.create({ data: { id: "00000000-0000-4000-8000-000000000001", name: "in-vm", memoryMiB: 256, vcpus: 1, state: "running", hostId: a1.id } });
    // The orchestrator reads this same map: these are the only drivers the server knows.
    for (const d of drivers) ferry.services.hypervisors.set(d.host, d);
    admin = await login(ferry.url, "admin", ferry.adminPassword);
  });
  afterAll(async () => {
    await ferry?.close();
  });
  beforeEach(() => {
    for (const d of drivers) d.calls.length = 0;
  });

  const start = (input: unknown) => trpcCall(ferry.url, "migrations.start", "mutation", input, admin);
  const precheck = (input: unknown) => trpcCall(ferry.url, "migrations.precheck", "query", input, admin);

  it("answers wrong types with 400 BAD_REQUEST naming each field and why, not a serialised issue list", async () => {
    for (const call of [start, precheck]) {
      const res = await call({ vm: 42, destHost: true });
      expect(res.status).toBe(400);
      expect(code(res.body)).toBe("BAD_REQUEST");
      const msg = message(res.body);
      expect(msg).toMatch(/^vm: Invalid input: expected string, received number; destHost: Invalid input: expected string, received boolean$/);
      expect(msg).not.toMatch(/^[[{]/);
      expect(res.body.error.json.data.zodIssues).toEqual([
        { path: ["vm"], message: "Invalid input: expected string, received number" },
        { path: ["destHost"], message: "Invalid input: expected string, received boolean" },
      ]);
    }
    const empty = await start({ vm: " ", destHost: "" });
    expect(message(empty.body)).toBe("vm: name the VM; destHost: name the destination host");
    expect(driverCalls()).toEqual([]);
  });

  it("refuses a negative, zero or absurd bandwidth cap and downtime limit before anything runs", async () => {
    const cases: [unknown, string][] = [
      [{ maxBandwidthMiBps: -5 }, "options.maxBandwidthMiBps: the bandwidth cap must be more than 0 MiB/s"],
      [{ maxBandwidthMiBps: 0 }, "options.maxBandwidthMiBps: the bandwidth cap must be more than 0 MiB/s"],
      [{ maxBandwidthMiBps: 1e9 }, "options.maxBandwidthMiBps: the bandwidth cap must be at most 100000 MiB/s"],
      [{ maxBandwidthMiBps: "fast" }, "options.maxBandwidthMiBps: Invalid input: expected number, received string"],
      [{ downtimeLimitMs: 0 }, "options.downtimeLimitMs: the downtime limit must be at least 1 ms"],
      [{ downtimeLimitMs: -300 }, "options.downtimeLimitMs: the downtime limit must be at least 1 ms"],
      [{ downtimeLimitMs: 2.5 }, "options.downtimeLimitMs: the downtime limit is a whole number of ms"],
      [{ autoConverge: "yes" }, "options.autoConverge: Invalid input: expected boolean, received string"],
      [{ maxBandwith: 10 }, 'options: Unrecognized key: "maxBandwith"'],
    ];
    for (const [options, expected] of cases) {
      const res = await start({ vm: "in-vm", destHost: "in-b1", options });
      expect(res.status, JSON.stringify(options)).toBe(400);
      expect(code(res.body)).toBe("BAD_REQUEST");
      expect(message(res.body)).toBe(expected);
    }
    expect(driverCalls()).toEqual([]);
    expect(await ferry.services.db.migration.count()).toBe(0);
  });

  it("refuses an unknown VM or host, a host without a driver, and the VM's own host, with no driver asked", async () => {
    const cases: [Record<string, string>, number, string, RegExp][] = [
      [{ vm: "no-such-vm", destHost: "in-b1" }, 404, "NOT_FOUND", /^no VM "no-such-vm"$/],
      [{ vm: "in-vm", destHost: "no-such-host" }, 404, "NOT_FOUND", /^no host "no-such-host"$/],
      [{ vm: "in-vm", destHost: "in-a1" }, 400, "BAD_REQUEST", /^in-vm already runs on in-a1: choose another destination$/],
      [{ vm: "in-vm", destHost: "in-b2-no-driver" }, 412, "PRECONDITION_FAILED", /^no hypervisor driver for in-b2-no-driver on this server$/],
    ];
    for (const [input, status, trpcCode, text] of cases) {
      for (const call of [start, precheck]) {
        const res = await call(input);
        expect(res.status, JSON.stringify(input)).toBe(status);
        expect(code(res.body)).toBe(trpcCode);
        expect(message(res.body)).toMatch(text);
      }
    }
    expect(driverCalls()).toEqual([]);
    expect(await ferry.services.db.migration.count()).toBe(0);
    // Refused starts are still audited, as errors.
    const audited = await ferry.services.db.auditEvent.count({ where: { action: "migrations.start", outcome: "error" } });
    expect(audited).toBeGreaterThanOrEqual(cases.length);
  });

  it("refuses malformed ids and values on the other mutations with readable messages", async () => {
    const cases: [string, unknown, string][] = [
      ["migrations.cancel", { id: "not-a-uuid" }, "id: Invalid UUID"],
      ["migrations.forceComplete", { id: 7 }, "id: Invalid input: expected string, received number"],
      ["lab.setWanRate", { mbit: -100 }, "mbit: Too small: expected number to be >0"],
      ["users.create", { username: "ok-name", password: "short", role: "root" }, 'password: at least 8 characters; role: Invalid option: expected one of "admin"|"viewer"'],
      ["users.delete", { username: 5 }, "username: Invalid input: expected string, received number"],
    ];
    for (const [proc, input, expected] of cases) {
      const res = await trpcCall(ferry.url, proc, "mutation", input, admin);
      expect(res.status, proc).toBe(400);
      expect(code(res.body)).toBe("BAD_REQUEST");
      expect(message(res.body), proc).toBe(expected);
    }
    expect(driverCalls()).toEqual([]);
  });

  it("refuses bad instance input and unknown instances with no driver asked", async () => {
    const bad = await trpcCall(ferry.url, "instances.launch", "mutation", { name: "Bad Name", image: "", memoryMiB: -1, vcpus: "two" }, admin);
    expect(bad.status).toBe(400);
    expect(code(bad.body)).toBe("BAD_REQUEST");
    const msg = message(bad.body);
    for (const field of ["name: 1–32 lowercase letters", "image: choose an image", "memoryMiB: at least", "vcpus: Invalid input: expected number, received string"]) expect(msg).toContain(field);
    for (const proc of ["instances.start", "instances.shutdown", "instances.delete"]) {
      const res = await trpcCall(ferry.url, proc, "mutation", { name: "no-such-instance" }, admin);
      expect(res.status, proc).toBe(404);
      expect(code(res.body)).toBe("NOT_FOUND");
    }
    expect(driverCalls()).toEqual([]);
  });

  it("does ask the drivers for a well-formed request (the double is wired in, so zero above means something)", async () => {
    const res = await precheck({ vm: "in-vm", destHost: "in-b1" });
    expect(res.status).toBe(200);
    expect(driverCalls().length).toBeGreaterThan(0);
    const checks: { name: string; status: string; reason: string }[] = res.body.result.data.json;
    expect(checks.find((c) => c.name === "vm-running")).toMatchObject({ status: "fail", reason: expect.stringContaining("CountingDriver(in-a1).getVm was called") });
  });
});
