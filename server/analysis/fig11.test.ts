import { describe, expect, it } from "vitest";
import { fig11Schema } from "./timings";
import { buildSeries, linkLabel, orderForSummary, pointsFromRuns, seriesLinkUse, summaryLine, toCsv, type Fig11Run } from "./fig11";

const run = (memoryMiB: number, totalS: number, extra: Partial<Fig11Run> = {}): Fig11Run => ({
  memoryMiB,
  totalS,
  hypervisorTotalS: totalS - 0.5,
  downtimeMs: 50,
  transferredBytes: memoryMiB * 2 ** 20,
  rounds: 3,
  ...extra,
});

describe("pointsFromRuns", () => {
  it("takes the median of each memory size separately, sizes ascending", () => {
    const pts = pointsFromRuns([run(1024, 9), run(512, 5), run(1024, 7), run(512, 4), run(1024, 30), run(512, 6, { rounds: 5 })]);
    expect(pts.map((p) => p.memoryMiB)).toEqual([512, 1024]);
    expect(pts[0]).toMatchObject({ totalS: 5, rounds: 3, runs: 3 });
    expect(pts[1]).toMatchObject({ totalS: 9, hypervisorTotalS: 8.5, runs: 3 });
  });
});

describe("buildSeries", () => {
  it("fits total time against memory on the median points", () => {
    // points on t = 0.01·m + 2, one outlier run per size that the median drops
    const runs = [512, 1024, 2048].flatMap((m) => [run(m, 0.01 * m + 2), run(m, 0.01 * m + 2), run(m, 99)]);
    const s = buildSeries("qmp", null, runs);
    expect(s.link).toBe("lan");
    expect(s.fit!.slope).toBeCloseTo(0.01, 10);
    expect(s.fit!.intercept).toBeCloseTo(2, 8);
    expect(s.fit!.r2).toBeCloseTo(1, 10);
  });

  it("has no fit with a single memory size", () => {
    expect(buildSeries("libvirt", 200, [run(512, 5)]).fit).toBeNull();
  });
});

describe("seriesLinkUse", () => {
  it("puts each point of a limited link against bytes ÷ rate", () => {
    const s = buildSeries("qmp", 100, [run(512, 50, { transferredBytes: 500_000_000, hypervisorTotalS: 44.444 })]);
    const [u] = seriesLinkUse(s);
    expect(u!.floorS).toBeCloseTo(40, 10);
    expect(u!.utilisation).toBeCloseTo(0.9, 3);
    expect(u!.totalOverFloor).toBeCloseTo(1.25, 10);
    expect(seriesLinkUse(buildSeries("qmp", null, [run(512, 5)]))).toEqual([]);
  });
});

describe("labels, order and output", () => {
  it("names only the link settings the chart knows", () => {
    expect(linkLabel(null)).toBe("lan");
    expect(linkLabel(1000)).toBe("1000mbit");
    expect(() => linkLabel(300)).toThrow();
  });

  it("prints limited links first and the LAN/QMP line last", () => {
    const all = [buildSeries("qmp", null, []), buildSeries("libvirt", null, []), buildSeries("qmp", 100, []), buildSeries("qmp", 1000, [])];
    expect(orderForSummary(all).map((s) => `${s.driver}/${s.link}`)).toEqual(["qmp/1000mbit", "qmp/100mbit", "libvirt/lan", "qmp/lan"]);
  });

  it("writes the summary line and the CSV with the floor on limited links only", () => {
    const lan = buildSeries("qmp", null, [run(512, 1.5), run(1024, 2.5)]);
    const wan = buildSeries("qmp", 100, [run(512, 50, { transferredBytes: 500_000_000 })]);
    expect(summaryLine(lan)).toEqual({ bench: "fig11", link: "lan", driver: "qmp", slope_s_per_mb: 0.001953, intercept_s: 0.5, r2: 1, points: [[512, 1.5], [1024, 2.5]] });
    const csv = toCsv({ machine: "m", date: "d", command: "c", series: [lan, wan] }).trim().split("\n");
    expect(csv).toHaveLength(4);
    expect(csv[0]).toMatch(/^driver,link,link_mbit,memory_mib,total_s/);
    expect(csv[1]).toBe("qmp,lan,,512,1.5,1,50,536870912,3,1,,,,,,");
    // No transfer time recorded: the job's throughput in both utilisation columns.
    expect(csv[3]!.split(",").slice(-6)).toEqual(["40", "80.8", "0.808", "", "", "0.808"]);
    // libvirt's `virsh migrate` wall time, where recorded, is the third column from the end.
    const lv = buildSeries("libvirt", null, [run(512, 2.2, { hypervisorWallS: 1.9 }), run(512, 2.4, { hypervisorWallS: 2.1 }), run(512, 2.3)]);
    expect(toCsv({ machine: "m", date: "d", command: "c", series: [lv] }).trim().split("\n")[1]!.split(",").at(-3)).toBe("2");
    // On a limited link with QEMU's transfer time recorded, utilisation is over it; the job's follows.
    const lw = buildSeries("libvirt", 100, [run(512, 50, { transferredBytes: 500_000_000, hypervisorTotalS: 44.444, hypervisorTransferS: 42.105 })]);
    expect(toCsv({ machine: "m", date: "d", command: "c", series: [lw] }).trim().split("\n")[1]!.split(",").slice(-5)).toEqual(["95", "0.95", "", "42.105", "0.9"]);
  });
});

describe("the results file", () => {
  it("has the shape the dashboard's timings chart accepts, even with missing figures and an even run count", () => {
    const s = buildSeries("libvirt", 200, [run(512, 5, { rounds: 3, downtimeMs: Number.NaN }), run(512, 6, { rounds: 4 }), run(1024, 9)]);
    expect(s.points[0]).toMatchObject({ rounds: 4, downtimeMs: 50, runs: 2 });
    const file = JSON.parse(JSON.stringify({ machine: "m", date: new Date(0).toISOString(), command: "c", series: [s, buildSeries("qmp", null, [])] }));
    expect(fig11Schema.safeParse(file).success).toBe(true);
  });
});
