import { describe, expect, it } from "vitest";
import { buildSeries, type Fig11Run } from "../../server/analysis/fig11";
import type { Fig11Outcome } from "./main";
import { DISCUSSION_MARKER, goals, renderPage } from "./report";
import { niceStep, renderSvg } from "./svg";

const run = (memoryMiB: number, totalS: number, hypervisorTotalS: number, transferredBytes = memoryMiB * 2 ** 19): Fig11Run => ({
  memoryMiB,
  totalS,
  hypervisorTotalS,
  downtimeMs: 40,
  transferredBytes,
  rounds: 3,
});

describe("goals", () => {
  it("checks the QMP intercept against 1 s and libvirt's against its own fixed cost + 0.3 s", () => {
    const qmp = buildSeries("qmp", null, [run(512, 0.9 + 0.01 * 512, 0.5 + 0.01 * 512), run(1024, 0.9 + 0.01 * 1024, 0.5 + 0.01 * 1024)]);
    // libvirt's own job: 5 s + 0.01 s/MiB; Ferry: 5.5 s + 0.01 s/MiB → 0.5 s over, not met
    const lv = buildSeries("libvirt", null, [run(512, 5.5 + 5.12, 5 + 5.12), run(1024, 5.5 + 10.24, 5 + 10.24)]);
    const g = goals([qmp, lv]);
    expect(g[0]).toMatchObject({ met: true });
    expect(g[1]).toMatchObject({ met: false });
    expect(g[1]!.detail).toMatch(/5\.00 s/);
    expect(g[1]!.detail).toMatch(/no `virsh migrate` wall times/);
  });

  it("bounds libvirt's intercept by `virsh migrate`'s own line once its wall times are recorded", () => {
    // Job 5 s + 0.01 s/MiB; virsh migrate 5.4 s + the same; Ferry 5.6 s: 0.2 s over virsh, met.
    const withWall = (memoryMiB: number, ferryS: number, wallS: number) => ({ ...run(memoryMiB, ferryS, 5 + 0.01 * memoryMiB), hypervisorWallS: wallS });
    const lv = buildSeries("libvirt", null, [withWall(512, 5.6 + 5.12, 5.4 + 5.12), withWall(1024, 5.6 + 10.24, 5.4 + 10.24)]);
    expect(lv.points.map((p) => p.hypervisorWallS)).toEqual([5.4 + 5.12, 5.4 + 10.24]);
    const [g] = goals([lv]);
    expect(g).toMatchObject({ met: true });
    expect(g!.detail).toMatch(/`virsh migrate` itself .* fits 0\.01000 × m \+ 5\.40 s/);
    // 0.4 s over virsh migrate: not met.
    const slow = buildSeries("libvirt", null, [withWall(512, 5.8 + 5.12, 5.4 + 5.12), withWall(1024, 5.8 + 10.24, 5.4 + 10.24)]);
    expect(goals([slow])[0]).toMatchObject({ met: false });
  });

  it("checks every limited link at ≥ 90 % and names its worst point", () => {
    // 100 Mbit/s: 112.5 MB in 10 s = 90 Mbit/s (met); 50 MB in 5 s = 80 Mbit/s (not)
    const ok = buildSeries("qmp", 100, [run(512, 11, 10, 112_500_000)]);
    const bad = buildSeries("qmp", 100, [run(512, 11, 10, 112_500_000), run(1024, 6, 5, 50_000_000)]);
    expect(goals([ok])[0]!.met).toBe(true);
    expect(goals([bad])[0]).toMatchObject({ met: false });
    expect(goals([bad])[0]!.detail).toMatch(/lowest 80\.0 %/);
  });

  it("judges a limited link over QEMU's own transfer where recorded, and shows libvirt's whole job beside it", () => {
    // 112.5 MB over 100 Mbit/s: floor 9 s; QEMU's transfer 9.8 s (91.8 %); libvirt's job 10.4 s (86.5 %).
    const lv = buildSeries("libvirt", 100, [{ ...run(512, 11, 10.4, 112_500_000), hypervisorTransferS: 9.8 }]);
    const [g] = goals([lv]);
    expect(g).toMatchObject({ met: true });
    expect(g!.detail).toMatch(/lowest 91\.8 %.*over libvirt's whole job: 512 MiB 86\.5 %/);
    // Without a transfer time the job decides, and the detail says so.
    const old = buildSeries("libvirt", 100, [run(512, 11, 10.4, 112_500_000)]);
    expect(goals([old])[0]).toMatchObject({ met: false });
    expect(goals([old])[0]!.detail).toMatch(/over the hypervisor's job where no transfer time was recorded/);
    const page = renderPage({ results: { machine: "m", date: "d", command: "c", series: [lv, old] }, failures: [], runs: [], elapsedS: 1 });
    expect(page).toContain("| libvirt, 100 Mbit/s | 512 | 9.00 | 9.80 | 10.40 | 11.00 | 91.8 | 91.8 % | 86.5 % | 1.22 |");
    expect(page).toContain("| libvirt, 100 Mbit/s | 512 | 9.00 | — | 10.40 | 11.00 | 86.5* | 86.5 %* | 86.5 % | 1.22 |");
  });
});

describe("renderPage", () => {
  const outcome = (): Fig11Outcome => ({
    results: { machine: "test machine", date: "2026-01-01T00:00:00.000Z", command: "npx tsx bench/fig11.ts --quick", series: [buildSeries("qmp", null, [run(512, 2, 1.5), run(1024, 3, 2.5)])] },
    failures: [{ driver: "libvirt", linkMbit: 100, memoryMiB: 2048, run: 1, reason: "guest console after the migration:\nKernel panic - not syncing" }],
    runs: [],
    elapsedS: 120,
  });

  it("states machine, date and command, lists the points and the runs not counted", () => {
    const page = renderPage(outcome());
    expect(page).toContain("test machine");
    expect(page).toContain("2026-01-01T00:00:00.000Z");
    expect(page).toContain("`npx tsx bench/fig11.ts --quick`");
    expect(page).toMatch(/\| QMP, LAN \| 1024 \| 3\.00 \| 2\.50 \| 0\.50 \|/);
    expect(page).toContain("libvirt, 100 Mbit/s, 2048 MiB, run 1: guest console after the migration:");
  });

  it("keeps a hand-written discussion across re-runs", () => {
    const first = renderPage(outcome());
    const edited = first.slice(0, first.indexOf(DISCUSSION_MARKER) + DISCUSSION_MARKER.length) + "\n## Discussion\n\nWhy the line is steep.\n";
    const again = renderPage(outcome(), edited);
    expect(again).toContain("Why the line is steep.");
    expect(again.split(DISCUSSION_MARKER)).toHaveLength(2);
  });
});

describe("renderSvg", () => {
  it("draws one marker per point, each series' fitted line and the paper's line", () => {
    const res = outcome2();
    const svg = renderSvg(res);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain("paper: 0.023·MB + 22.93");
    expect(svg).toContain("QMP, LAN");
    expect(svg).toContain("libvirt, 100 Mbit/s");
    expect(svg.trim().endsWith("</svg>")).toBe(true);
  });

  it("picks 1-2-5 tick steps", () => {
    expect(niceStep(4096, 8)).toBe(1000);
    expect(niceStep(117, 6)).toBe(20);
    expect(niceStep(0.9, 6)).toBe(0.2);
  });
});

function outcome2() {
  return {
    machine: "m",
    date: "d",
    command: "c",
    series: [buildSeries("qmp", null, [run(512, 2, 1.5), run(1024, 3, 2.5)]), buildSeries("libvirt", 100, [run(512, 40, 38)])],
  };
}

describe("a sweep recorded in parts", () => {
  it("merges the parts' runs into one outcome, keeping each part's command and adding their times", async () => {
    const { outcomeFromStdout } = await import("./main");
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-fig11-parts-"));
    try {
      const part = (driver: string, slope: number, elapsed: number) => {
        const command = `npx tsx bench/fig11.ts --drivers ${driver} --sizes 512,1024 --repeats 1 --links lan,100 --write`;
        const lines = [
          { bench: "fig11", start: true, machine: "test machine", date: "2026-11-27T23:00:00.000Z", command, load1: 1.5 },
          ...[512, 1024].flatMap((m) => [null, 100].map((linkMbit) => ({ bench: "fig11", run: true, driver, linkMbit, memoryMiB: m, totalS: 2 + slope * m, hypervisorTotalS: 1 + slope * m, downtimeMs: 30, transferredBytes: m * 2 ** 19, rounds: 3, dir: "a→b" }))),
          { bench: "fig11", elapsed_s: elapsed, load1: 2.5 },
        ];
        const file = path.join(dir, `${driver}.jsonl`);
        fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
        return { file, command };
      };
      const qmp = part("qmp", 0.01, 600);
      const lv = part("libvirt", 0.02, 900);
      const out = outcomeFromStdout([qmp.file, lv.file]);
      expect(out.results.command).toBe(`${qmp.command}; ${lv.command}`);
      expect(out.elapsedS).toBe(1500);
      expect(out.runs).toHaveLength(8);
      expect(out.results.series.map((s) => `${s.driver}/${s.linkMbit ?? "lan"}`)).toEqual(["qmp/lan", "qmp/100", "libvirt/lan", "libvirt/100"]);
      const slope = (d: string) => out.results.series.find((s) => s.driver === d && s.linkMbit === null)!.fit!.slope;
      expect(slope("qmp")).toBeCloseTo(0.01, 6);
      expect(slope("libvirt")).toBeCloseTo(0.02, 6);
      // QEMU's total-time is the transfer on QMP hosts; libvirt runs without the field have none.
      expect(out.runs.filter((r) => r.driver === "qmp").every((r) => r.hypervisorTransferS === r.hypervisorTotalS)).toBe(true);
      expect(out.runs.filter((r) => r.driver === "libvirt").every((r) => Number.isNaN(r.hypervisorTransferS))).toBe(true);
      // The merged record reads back as the same sweep.
      const again = path.join(dir, "merged.jsonl");
      fs.writeFileSync(again, [{ bench: "fig11", start: true, machine: "test machine", date: out.results.date, command: out.results.command, load1: 1.5 }, ...out.runs.map((r) => ({ bench: "fig11", run: true, ...r }))].map((l) => JSON.stringify(l)).join("\n") + "\n");
      expect(outcomeFromStdout([again]).results.series.map((s) => s.driver)).toEqual(["qmp", "qmp", "libvirt", "libvirt"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
