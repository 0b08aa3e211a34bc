// fig11 end to end on a real lab, kept small: 256 and 1024 MiB guests, one migration each, QMP
// hosts, LAN (about 2 minutes on an idle machine, 4 on a busy one).
// Proves the benchmark boots loaded guests, migrates them through the orchestrator, checks them
// afterwards, and produces the results JSON the dashboard reads. No time is asserted beyond the
// ordering of the two points.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Cleanups } from "../lib/lab-bench";
import { parseArgs, runFig11 } from "./main";

const root = process.getuid?.() === 0;

describe.skipIf(!root)("bench/fig11 --quick on the lab", () => {
  it("migrates a 256 and a 1024 MiB loaded guest and reports a line on which the larger VM moves more and takes longer", { timeout: 290_000 }, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-fig11-smoke-"));
    const o = parseArgs(["--quick", "--sizes", "256,1024", "--drivers", "qmp", "--links", "lan", "--out-root", out]);
    const cleanups = new Cleanups(() => {});
    try {
      const res = await runFig11(o, cleanups, "smoke");
      expect(res.failures).toEqual([]);
      expect(res.results.machine).toMatch(/GiB RAM/);
      expect(Number.isNaN(Date.parse(res.results.date))).toBe(false);
      expect(res.results.series).toHaveLength(1);
      const s = res.results.series[0]!;
      expect(s).toMatchObject({ driver: "qmp", link: "lan", linkMbit: null });
      expect(s.points.map((p) => p.memoryMiB)).toEqual([256, 1024]);
      for (const p of s.points) {
        expect(p.runs).toBe(1);
        expect(p.totalS).toBeGreaterThan(0);
        expect(p.hypervisorTotalS).toBeGreaterThan(0);
        expect(p.totalS).toBeGreaterThanOrEqual(p.hypervisorTotalS);
        expect(Number.isFinite(p.downtimeMs)).toBe(true);
        expect(p.rounds).toBeGreaterThanOrEqual(1);
        // Half the guest's memory holds random data: at least that much crossed the link.
        expect(p.transferredBytes).toBeGreaterThan(p.memoryMiB * 0.5 * 2 ** 20);
      }
      // Four times the memory, three times the bytes: the hypervisor's transfer time must grow with
      // them (the sizes are far apart so that the shared machine's load swings cannot invert it).
      expect(s.points[1]!.transferredBytes).toBeGreaterThan(2 * s.points[0]!.transferredBytes);
      expect(s.points[1]!.hypervisorTotalS).toBeGreaterThan(s.points[0]!.hypervisorTotalS);
      expect(s.fit).not.toBeNull();
      expect(Object.keys(s.fit!).sort()).toEqual(["intercept", "r2", "slope"]);
    } finally {
      await cleanups.run();
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
