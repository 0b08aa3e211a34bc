import { describe, expect, it } from "vitest";
import { benchSeries, migrationSeries, type MigrationTimingRow } from "./timings";

const row = (over: Partial<MigrationTimingRow>): MigrationTimingRow => ({
  id: "m",
  vmName: "vm1",
  sourceHost: "host-a1",
  destHost: "host-b1",
  memoryMiB: 256,
  totalTimeMs: 5000,
  downtimeMs: 20,
  linkMbit: null,
  startedAt: new Date(0),
  ...over,
});

const validFig11 = {
  machine: "test",
  date: "2026-11-27",
  command: "npx tsx bench/fig11.ts",
  series: [
    {
      driver: "qmp",
      link: "lan",
      linkMbit: null,
      points: [
        { memoryMiB: 256, totalS: 2, hypervisorTotalS: 1.5, downtimeMs: 10, transferredBytes: 1e8, rounds: 3, runs: 3 },
        { memoryMiB: 512, totalS: 3, hypervisorTotalS: 2.5, downtimeMs: 12, transferredBytes: 2e8, rounds: 3, runs: 3 },
      ],
      fit: { slope: 0.0039, intercept: 1, r2: 1 },
    },
  ],
};

describe("migrationSeries", () => {
  it("groups completed migrations by link rate, LAN first then fastest, and fits each group", () => {
    const series = migrationSeries([
      row({ id: "a", memoryMiB: 256, totalTimeMs: 4000 }),
      row({ id: "b", memoryMiB: 512, totalTimeMs: 6000 }),
      row({ id: "c", linkMbit: 100, totalTimeMs: 30000 }),
      row({ id: "d", linkMbit: 200, totalTimeMs: 15000 }),
    ]);
    expect(series.map((s) => s.label)).toEqual(["LAN", "200 Mbit/s", "100 Mbit/s"]);
    const lan = series[0]!;
    expect(lan.points.map((p) => [p.id, p.totalS])).toEqual([["a", 4], ["b", 6]]);
    expect(lan.fit!.slope).toBeCloseTo(2 / 256, 12);
    expect(lan.fit!.intercept).toBeCloseTo(2, 12);
    // One memory size says nothing about the slope.
    expect(series[1]!.fit).toBeNull();
  });

  it("leaves out migrations without a measured total", () => {
    expect(migrationSeries([row({ totalTimeMs: null })])).toEqual([]);
  });
});

describe("benchSeries", () => {
  it("turns a valid fig11 file into distinct bench series with their own fit", () => {
    const r = benchSeries(JSON.stringify(validFig11), "docs/results/fig11.json");
    expect(r.state).toBe("ok");
    if (r.state !== "ok") return;
    expect(r.series).toHaveLength(1);
    expect(r.series[0]!.label).toBe("bench: fig11 qmp lan");
    expect(r.series[0]!.source).toBe("bench");
    expect(r.series[0]!.fit).toEqual({ slope: 0.0039, intercept: 1, r2: 1 });
    expect(r.series[0]!.points.map((p) => p.memoryMiB)).toEqual([256, 512]);
  });

  it("reports a missing file as a note", () => {
    expect(benchSeries(null, "docs/results/fig11.json")).toEqual({ state: "missing", note: expect.stringContaining("does not exist") });
  });

  it("reports bad JSON and a wrong shape as notes naming the problem", () => {
    expect(benchSeries("{", "f.json")).toMatchObject({ state: "malformed", note: expect.stringContaining("not JSON") });
    const wrong = { ...validFig11, series: [{ ...validFig11.series[0], driver: "xen" }] };
    expect(benchSeries(JSON.stringify(wrong), "f.json")).toMatchObject({ state: "malformed", note: expect.stringContaining("series.0.driver") });
  });
});
