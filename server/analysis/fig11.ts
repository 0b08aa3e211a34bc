// The shape of bench/fig11's results (docs/results/fig11.json, read by the dashboard's timings
// chart) and the pure steps that turn measured runs into it: medians per memory size, the
// least-squares line per series, the CSV and the one-line summaries.
import { linearFit, median } from "./fit";
import { linkUse, type LinkUse } from "./link";

export type Fig11Driver = "libvirt" | "qmp";
export type Fig11Link = "lan" | "1000mbit" | "200mbit" | "100mbit";

/** One memory size of a series: medians over its good runs. */
export interface Fig11Point {
  memoryMiB: number;
  totalS: number;
  hypervisorTotalS: number;
  /** The hypervisor's own migrate command, start to exit (libvirt: `virsh migrate`); 0 when none was recorded. */
  hypervisorWallS: number;
  /** QEMU's own transfer, set-up to completion; 0 when none was recorded. */
  hypervisorTransferS: number;
  downtimeMs: number;
  transferredBytes: number;
  rounds: number;
  /** Good runs the medians are taken over. */
  runs: number;
}

export interface Fig11Series {
  driver: Fig11Driver;
  link: Fig11Link;
  linkMbit: number | null;
  points: Fig11Point[];
  fit: { slope: number; intercept: number; r2: number } | null;
}

export interface Fig11Results {
  machine: string;
  date: string;
  command: string;
  series: Fig11Series[];
}

/** One migration as measured (seconds, ms, bytes as the registry recorded them). */
export interface Fig11Run {
  memoryMiB: number;
  totalS: number;
  hypervisorTotalS: number;
  /** NaN or absent: not recorded (QMP hosts have no such command; runs before 2026-12-07 lack it). */
  hypervisorWallS?: number;
  /** NaN or absent: not recorded (libvirt runs from before the field existed, 2026-12-07, lack it). */
  hypervisorTransferS?: number;
  downtimeMs: number;
  transferredBytes: number;
  rounds: number;
}

/** The link label of a rate limit in Mbit/s (null = no limit, the LAN). */
export function linkLabel(mbit: number | null): Fig11Link {
  if (mbit === null) return "lan";
  const l = `${mbit}mbit`;
  if (l !== "1000mbit" && l !== "200mbit" && l !== "100mbit") throw new Error(`no link label for ${mbit} Mbit/s (use lan, 1000, 200 or 100)`);
  return l;
}

/** Median of the finite values (a figure a backend did not report is NaN); 0 when there are none. */
function medianOf(values: readonly number[]): number {
  const ok = values.filter(Number.isFinite);
  return ok.length ? median(ok) : 0;
}

/** Medians per memory size, sizes ascending. Runs of other sizes never mix. */
export function pointsFromRuns(runs: readonly Fig11Run[]): Fig11Point[] {
  const bySize = new Map<number, Fig11Run[]>();
  for (const r of runs) bySize.set(r.memoryMiB, [...(bySize.get(r.memoryMiB) ?? []), r]);
  return [...bySize.entries()]
    .sort(([a], [b]) => a - b)
    .map(([memoryMiB, rs]) => ({
      memoryMiB,
      totalS: medianOf(rs.map((r) => r.totalS)),
      hypervisorTotalS: medianOf(rs.map((r) => r.hypervisorTotalS)),
      hypervisorWallS: medianOf(rs.map((r) => r.hypervisorWallS ?? NaN)),
      hypervisorTransferS: medianOf(rs.map((r) => r.hypervisorTransferS ?? NaN)),
      downtimeMs: medianOf(rs.map((r) => r.downtimeMs)),
      transferredBytes: Math.round(medianOf(rs.map((r) => r.transferredBytes))),
      // A whole number of rounds (the dashboard reads it as an integer).
      rounds: Math.round(medianOf(rs.map((r) => r.rounds))),
      runs: rs.length,
    }));
}

/** A series from its runs: median points and the line total time = slope × MiB + intercept. */
export function buildSeries(driver: Fig11Driver, linkMbit: number | null, runs: readonly Fig11Run[]): Fig11Series {
  const points = pointsFromRuns(runs);
  const f = linearFit(points.map((p) => [p.memoryMiB, p.totalS] as const));
  return { driver, link: linkLabel(linkMbit), linkMbit, points, fit: f ? { slope: f.slope, intercept: f.intercept, r2: f.r2 } : null };
}

/** Each point of a limited-link series against its floor; empty for the LAN. */
export function seriesLinkUse(s: Fig11Series): (LinkUse & { memoryMiB: number })[] {
  if (s.linkMbit === null) return [];
  return s.points.map((p) => ({ memoryMiB: p.memoryMiB, ...linkUse(p, s.linkMbit!) }));
}

const r = (x: number, digits: number) => Number(x.toFixed(digits));

/** The summary line the issue names (one per series). */
export function summaryLine(s: Fig11Series): Record<string, unknown> {
  return {
    bench: "fig11",
    link: s.link,
    driver: s.driver,
    slope_s_per_mb: s.fit ? r(s.fit.slope, 6) : null,
    intercept_s: s.fit ? r(s.fit.intercept, 3) : null,
    r2: s.fit ? r(s.fit.r2, 4) : null,
    points: s.points.map((p) => [p.memoryMiB, r(p.totalS, 3)]),
  };
}

/** Summary lines in print order: limited links first, then the LAN, the LAN/QMP one last. */
export function orderForSummary(series: readonly Fig11Series[]): Fig11Series[] {
  const rank = (s: Fig11Series) => (s.link === "lan" ? (s.driver === "qmp" ? 2 : 1) : 0);
  return [...series].sort((a, b) => rank(a) - rank(b) || (b.linkMbit ?? 0) - (a.linkMbit ?? 0) || a.driver.localeCompare(b.driver));
}

/** CSV of every point (one row per series and memory size), with its floor on limited links. */
export function toCsv(res: Fig11Results): string {
  const head = "driver,link,link_mbit,memory_mib,total_s,hypervisor_total_s,downtime_ms,transferred_bytes,rounds,runs,floor_s,effective_mbit,utilisation,hypervisor_wall_s,hypervisor_transfer_s,utilisation_job";
  const rows = [head];
  for (const s of res.series) {
    const uses = new Map(seriesLinkUse(s).map((u) => [u.memoryMiB, u]));
    for (const p of s.points) {
      const u = uses.get(p.memoryMiB);
      rows.push(
        [
          s.driver,
          s.link,
          s.linkMbit ?? "",
          p.memoryMiB,
          r(p.totalS, 3),
          r(p.hypervisorTotalS, 3),
          r(p.downtimeMs, 1),
          p.transferredBytes,
          p.rounds,
          p.runs,
          u ? r(u.floorS, 3) : "",
          u?.effectiveMbit != null ? r(u.effectiveMbit, 1) : "",
          u?.utilisation != null ? r(u.utilisation, 3) : "",
          p.hypervisorWallS > 0 ? r(p.hypervisorWallS, 3) : "",
          p.hypervisorTransferS > 0 ? r(p.hypervisorTransferS, 3) : "",
          u?.jobUtilisation != null ? r(u.jobUtilisation, 3) : "",
        ].join(","),
      );
    }
  }
  return rows.join("\n") + "\n";
}
