import { describe, expect, it } from "vitest";
import { eventLine, migrationSummary, phaseLine, progressBar, progressLine, seconds, table, toJson } from "./render";
import { MigrationWatch, snapshotFromRecord, type Snapshot } from "./watch";
import { resolveSwitch } from "./commands/flows";
import { pickDestination } from "./commands/migrate";
import { labText } from "../lab/status-text";

const PHASES = ["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"];

function snapshot(status: string, upTo: number, active: boolean, progress?: number): Snapshot {
  return {
    status,
    phase: PHASES[Math.min(upTo, 5)]!,
    progress,
    phases: PHASES.map((name, i) => ({
      name,
      status: i < upTo ? "done" : i === upTo && active ? "active" : "pending",
      startedAt: i <= upTo ? 1000 * i : null,
      endedAt: i < upTo ? 1000 * i + 500 : null,
      detail: name === "stop-and-copy" && i < upTo ? "downtime 12 ms" : null,
    })),
  };
}

describe("terminal rendering", () => {
  it("aligns table columns and shows missing cells as -", () => {
    expect(table(["NAME", "HOST", "IP"], [["vm1", "host-a1", "10.99.0.11"], ["vm-long", null, ""]])).toBe(
      ["NAME     HOST     IP", "vm1      host-a1  10.99.0.11", "vm-long  -        -"].join("\n"),
    );
  });

  it("formats durations and a clamped progress bar", () => {
    expect([seconds(0.042), seconds(3.5), seconds(125)]).toEqual(["42 ms", "3.50 s", "2 min 5 s"]);
    expect(progressBar(0.5, 10)).toBe("[#####-----]  50%");
    expect(progressBar(1.7, 4)).toBe("[####] 100%");
    expect(progressBar(Number.NaN, 4)).toBe("[----]   0%");
    expect(progressLine("pre-copy", 0.25, { pass: 2, remainingBytes: 3 * 1024 * 1024, throughputBps: 64 * 1024 * 1024 })).toBe(
      "  pre-copy        [######------------------]  25%  pass 2  3.0 MiB left  64.0 MiB/s",
    );
  });

  it("writes a phase line with its status, duration and detail", () => {
    expect(phaseLine({ name: "stop-and-copy", status: "done", startedAt: 1000, endedAt: 1012, detail: "downtime 12 ms" })).toBe("  ok      stop-and-copy      12 ms  downtime 12 ms");
    expect(phaseLine({ name: "reservation", status: "failed", startedAt: 0, endedAt: 2500, detail: "no memory" })).toBe("  FAILED  reservation       2.50 s  no memory");
    expect(phaseLine({ name: "pre-copy", status: "active", startedAt: 0, endedAt: null, detail: null })).toBe("  ..      pre-copy");
    // A detail of several lines (the pre-checks) stays in its column.
    expect(phaseLine({ name: "pre-migration", status: "done", startedAt: 0, endedAt: 164, detail: "pass: vm1 is running\npass: host-b1 is up" }).split("\n")).toEqual([
      "  ok      pre-migration     164 ms  pass: vm1 is running",
      "                                    pass: host-b1 is up",
    ]);
  });

  it("summarises a finished migration", () => {
    const base = { id: "m1", vmName: "vm1", sourceHost: "host-a1", destHost: "host-b1", error: null, totalTimeMs: 4200, downtimeMs: 12, switchoverMs: 80, passes: 3, transferredBytes: 256n * 1024n * 1024n };
    expect(migrationSummary({ ...base, status: "completed" })).toBe("migration m1: vm1 host-a1 → host-b1 completed (total 4.20 s, downtime 12 ms, switchover 80 ms, 3 passes, 256.0 MiB sent)");
    expect(migrationSummary({ ...base, status: "failed", error: "destination gone" })).toBe("migration m1: vm1 host-a1 → host-b1 failed: destination gone");
  });

  it("prints an event on one line and JSON with bigints as text", () => {
    expect(eventLine({ at: Date.UTC(2026, 0, 1, 12, 0, 1, 5), type: "packet_in", dpid: "0000000000000001", summary: "a → b" })).toBe(
      "12:00:01.005  packet_in           0000000000000001  a → b",
    );
    expect(JSON.parse(toJson({ n: 12345678901234567890n }))).toEqual({ n: "12345678901234567890" });
  });

  it("renders the lab's status", () => {
    const text = labText({
      up: true,
      hosts: [{ name: "host-a1", site: "a", ns: "n", hypervisor: "libvirt", underlayIp: "10.250.1.11", migrationIp: "10.251.1.11", dpid: "00000000000000a1", ovsRunning: true, libvirtRunning: true, libvirtUri: null, tunnels: ["gre-b1 → 10.250.2.11"] }],
      vms: [{ name: "vm1", host: "host-a1", ip: "10.99.0.11", mac: "52:54:00:00:00:01", state: "running" }],
      clients: [],
      wanRateMbit: null,
      problems: [],
    });
    expect(text.split("\n")).toEqual([
      "lab: up",
      "  host-a1  site a  10.250.1.11 (migration 10.251.1.11)  dpid 00000000000000a1  ovs running  libvirtd running  gre-b1 → 10.250.2.11",
      "  vm1  on host-a1  10.99.0.11  52:54:00:00:00:01  running",
      "  inter-site link: unlimited",
    ]);
  });
});

describe("migrate --watch output", () => {
  it("prints each phase's start and end once, in order, even when snapshots skip or repeat", () => {
    const w = new MigrationWatch();
    const out1 = w.update(snapshot("running", 0, true, 0));
    expect(out1.lines).toEqual(["  ..      pre-migration"]);
    expect(out1.progress).toContain("pre-migration");
    // Skips ahead: pre-migration and reservation done, pre-copy active.
    const out2 = w.update(snapshot("running", 2, true, 0.4));
    expect(out2.lines).toEqual(["  ok      pre-migration     500 ms", "  ok      reservation       500 ms", "  ..      pre-copy"]);
    expect(w.update(snapshot("running", 2, true, 0.4)).lines).toEqual([]);
    // Progress never runs backwards, even if a snapshot says less.
    expect(w.update(snapshot("running", 2, true, 0.1)).progress).toBeUndefined();
    const end = w.update(snapshot("completed", 6, false, 1));
    expect(end.done).toBe(true);
    expect(end.lines).toEqual([
      "  ok      pre-copy          500 ms",
      "  ok      stop-and-copy     500 ms  downtime 12 ms",
      "  ok      commitment        500 ms",
      "  ok      activation        500 ms",
    ]);
    expect(w.update(snapshot("completed", 6, false, 1))).toEqual({ lines: [], done: true });
  });

  it("reads a migrations.get record (Date objects) as a snapshot", () => {
    const s = snapshotFromRecord({ status: "completed", phase: "activation", error: null, phases: [{ name: "activation", status: "done", startedAt: new Date(1000), endedAt: new Date(1250), detail: null }] });
    expect(s).toEqual({ status: "completed", phase: "activation", error: null, progress: 1, phases: [{ name: "activation", status: "done", startedAt: 1000, endedAt: 1250, detail: null }] });
  });
});

describe("choosing a switch and a destination", () => {
  const hosts = [
    { name: "host-a1", site: "a", status: "up", memoryFreeMiB: 900, switches: [{ dpid: "00000000000000a1", bridge: "br-int" }, { dpid: "00000000000000f1", bridge: "br-phy" }] },
    { name: "host-b1", site: "b", status: "up", memoryFreeMiB: 500, switches: [{ dpid: "00000000000000b1", bridge: "br-int" }] },
    { name: "host-b2", site: "b", status: "up", memoryFreeMiB: 700, switches: [] },
    { name: "host-b3", site: "b", status: "down", memoryFreeMiB: 9000, switches: [] },
  ];

  it("resolves a host, host/bridge, or a dpid in any common spelling", () => {
    expect(resolveSwitch("host-a1", hosts)).toBe("00000000000000a1");
    expect(resolveSwitch("host-a1/br-phy", hosts)).toBe("00000000000000f1");
    expect(resolveSwitch("0xA1", hosts)).toBe("00000000000000a1");
    expect(() => resolveSwitch("host-a1/br-ex", hosts)).toThrowError(/host-a1 has no bridge br-ex \(bridges: br-int, br-phy\)/);
    expect(() => resolveSwitch("host-z9", hosts)).toThrowError(/no switch "host-z9"/);
  });

  it("picks an up host at another site with the most free memory, as the dashboard does", () => {
    expect(pickDestination(hosts, { host: "host-a1", site: "a" })).toBe("host-b2");
    expect(pickDestination(hosts, { host: "host-b2", site: "b" })).toBe("host-a1");
    expect(pickDestination([hosts[0]!], { host: "host-a1", site: "a" })).toBeNull();
  });
});
