// The Migrations page's timings chart, as data: total time against memory for completed
// migrations, one series per inter-site link setting with its least-squares line, the paper's line
// for reference, and the benchmark's figure-11 series when its results file is valid. Pure.
import { z } from "zod";
import { linearFit, PAPER_FIT, type LinearFit } from "./fit";

export interface TimingPoint {
  /** The migration's id (null for a benchmark point). */
  id: string | null;
  label: string;
  memoryMiB: number;
  totalS: number;
  downtimeMs: number | null;
  startedAt: Date | null;
}

export interface TimingSeries {
  key: string;
  label: string;
  source: "migrations" | "bench";
  linkMbit: number | null;
  points: TimingPoint[];
  fit: Pick<LinearFit, "slope" | "intercept" | "r2"> | null;
}

/** The columns of a Migration row this needs. */
export interface MigrationTimingRow {
  id: string;
  vmName: string;
  sourceHost: string;
  destHost: string;
  memoryMiB: number;
  totalTimeMs: number | null;
  downtimeMs: number | null;
  linkMbit: number | null;
  startedAt: Date;
}

export function linkLabel(linkMbit: number | null): string {
  return linkMbit === null ? "LAN" : `${linkMbit} Mbit/s`;
}

/** Completed migrations with a measured total, one series per link rate (LAN first, then fastest first). */
export function migrationSeries(rows: readonly MigrationTimingRow[]): TimingSeries[] {
  const groups = new Map<number | null, TimingPoint[]>();
  for (const m of rows) {
    if (m.totalTimeMs === null || !Number.isFinite(m.totalTimeMs)) continue;
    const list = groups.get(m.linkMbit) ?? [];
    list.push({
      id: m.id,
      label: `${m.vmName}: ${m.sourceHost} → ${m.destHost}`,
      memoryMiB: m.memoryMiB,
      totalS: m.totalTimeMs / 1000,
      downtimeMs: m.downtimeMs,
      startedAt: m.startedAt,
    });
    groups.set(m.linkMbit, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : b - a))
    .map(([linkMbit, points]) => {
      const fit = linearFit(points.map((p) => [p.memoryMiB, p.totalS] as const));
      return {
        key: `link:${linkMbit ?? "lan"}`,
        label: linkLabel(linkMbit),
        source: "migrations" as const,
        linkMbit,
        points,
        fit: fit && { slope: fit.slope, intercept: fit.intercept, r2: fit.r2 },
      };
    });
}

const finite = z.number().finite();
const fitSchema = z.object({ slope: finite, intercept: finite, r2: finite });

/** docs/results/fig11.json as the benchmark writes it. */
export const fig11Schema = z.object({
  machine: z.string(),
  date: z.string(),
  command: z.string(),
  series: z.array(
    z.object({
      driver: z.enum(["libvirt", "qmp"]),
      link: z.enum(["lan", "1000mbit", "200mbit", "100mbit"]),
      linkMbit: z.number().int().positive().nullable(),
      points: z.array(
        z.object({
          memoryMiB: finite.positive(),
          totalS: finite.nonnegative(),
          hypervisorTotalS: finite.nonnegative(),
          downtimeMs: finite.nonnegative(),
          transferredBytes: finite.nonnegative(),
          rounds: z.number().int().nonnegative(),
          runs: z.number().int().positive(),
        }),
      ),
      fit: fitSchema.nullable(),
    }),
  ),
});
export type Fig11 = z.infer<typeof fig11Schema>;

export type BenchLoad =
  | { state: "ok"; machine: string; date: string; command: string; series: TimingSeries[] }
  | { state: "missing" | "malformed"; note: string };

/** Parses the benchmark file's text; a bad file becomes a note, never an exception. */
export function benchSeries(text: string | null, file: string): BenchLoad {
  if (text === null) return { state: "missing", note: `no benchmark results (${file} does not exist)` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { state: "malformed", note: `${file} is not JSON (${(err as Error).message}); its series are not shown` };
  }
  const parsed = fig11Schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join(".") || "root"}: ${first.message}` : "invalid";
    return { state: "malformed", note: `${file} does not have the expected shape (${where}); its series are not shown` };
  }
  const f = parsed.data;
  return {
    state: "ok",
    machine: f.machine,
    date: f.date,
    command: f.command,
    series: f.series.map((s) => ({
      key: `bench:${s.driver}:${s.link}`,
      label: `bench: fig11 ${s.driver} ${s.link}`,
      source: "bench" as const,
      linkMbit: s.linkMbit,
      points: s.points.map((p) => ({
        id: null,
        label: `fig11 ${s.driver} ${s.link}: median of ${p.runs} run${p.runs === 1 ? "" : "s"}, ${p.rounds} rounds`,
        memoryMiB: p.memoryMiB,
        totalS: p.totalS,
        downtimeMs: p.downtimeMs,
        startedAt: null,
      })),
      fit: s.fit,
    })),
  };
}

export const PAPER_LINE = { ...PAPER_FIT, label: "paper: 0.023 s/MB × memory + 22.93 s" } as const;
