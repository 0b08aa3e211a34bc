import { describe, expect, it } from "vitest";
import { parseLifecycleLine, parseQemuMigrationLine, transferMsFrom } from "./events";

describe("parseLifecycleLine", () => {
  it("reads the domain, the event and its detail from virsh's event lines", () => {
    expect(parseLifecycleLine("event 'lifecycle' for domain 'vm1': Resumed Migrated\n", 5)).toEqual({ domain: "vm1", event: "Resumed", detail: "Migrated", at: 5 });
    expect(parseLifecycleLine("event 'lifecycle' for domain 'a b': Suspended Paused", 1)).toEqual({ domain: "a b", event: "Suspended", detail: "Paused", at: 1 });
    expect(parseLifecycleLine("event 'lifecycle' for domain 'x': Defined", 2)).toEqual({ domain: "x", event: "Defined", detail: "", at: 2 });
  });

  it("takes virsh's timestamp when there is one", () => {
    expect(parseLifecycleLine("2026-11-27 16:17:57.526+0000: event 'lifecycle' for domain 'vm1': Suspended Migrated", 9)).toEqual({
      domain: "vm1",
      event: "Suspended",
      detail: "Migrated",
      at: Date.UTC(2026, 10, 27, 16, 17, 57, 526),
    });
    expect(parseLifecycleLine("2026-11-27 17:17:57.526+0100: event 'lifecycle' for domain 'x': Resumed Migrated", 9)!.at).toBe(Date.UTC(2026, 10, 27, 16, 17, 57, 526));
  });

  it("ignores anything else virsh prints", () => {
    expect(parseLifecycleLine("events received: 3", 0)).toBeNull();
    expect(parseLifecycleLine("event 'reboot' for domain 'vm1'", 0)).toBeNull();
    expect(parseLifecycleLine("", 0)).toBeNull();
  });
});

describe("parseQemuMigrationLine", () => {
  it("reads the domain, QEMU's status and QEMU's own timestamp (microseconds kept)", () => {
    expect(parseQemuMigrationLine(`event MIGRATION at 1796616757.725409 for domain 'vm1': {"status":"setup"}\n`)).toEqual({ domain: "vm1", status: "setup", at: 1796616757725.409 });
    expect(parseQemuMigrationLine(`event MIGRATION at 10.5 for domain 'a b': {"status":"completed"}`)).toEqual({ domain: "a b", status: "completed", at: 10500 });
  });

  it("ignores other events and lines it cannot read", () => {
    expect(parseQemuMigrationLine(`event MIGRATION_PASS at 1.000001 for domain 'vm1': {"pass":1}`)).toBeNull();
    expect(parseQemuMigrationLine(`event MIGRATION at 1.000001 for domain 'vm1': {"status":`)).toBeNull();
    expect(parseQemuMigrationLine(`event MIGRATION at 1.000001 for domain 'vm1': {"pass":1}`)).toBeNull();
    expect(parseQemuMigrationLine("events received: 3")).toBeNull();
  });
});

describe("transferMsFrom", () => {
  const ev = (status: string, at: number) => ({ domain: "vm1", status, at });

  it("is the time from QEMU's first setup to its completion", () => {
    expect(transferMsFrom([ev("setup", 1000), ev("active", 1063), ev("device", 1276), ev("completed", 1381.5)])).toBe(381.5);
  });

  it("is unknown without both ends, or with a completion from before the setup", () => {
    expect(transferMsFrom([ev("active", 1063), ev("completed", 1381)])).toBeUndefined();
    expect(transferMsFrom([ev("setup", 1000), ev("failed", 1200)])).toBeUndefined();
    expect(transferMsFrom([ev("completed", 900), ev("setup", 1000)])).toBeUndefined();
  });
});
