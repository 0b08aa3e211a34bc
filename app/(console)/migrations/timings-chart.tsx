"use client";
// Total migration time against VM memory: one series per inter-site link setting with its fitted
// line, the benchmark's figure-11 series (hollow markers), and the paper's line dashed for reference.
// Plain SVG. Hover or focus a point to see the migration; click or Enter opens it.
import { useMemo, useState } from "react";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC, type RouterOutputs } from "../../trpc";
import { Card, EmptyState, ErrorBox, Loading } from "../../_components/ui";

type Timings = RouterOutputs["migrations"]["timings"];
type Series = Timings["series"][number];
type Point = Series["points"][number];

const COLOURS = ["#2f7de1", "#d97706", "#7c3aed", "#059669", "#db2777", "#0891b2", "#65a30d", "#b91c1c", "#475569", "#c026d3"];
const W = 760;
const H = 340;
const M = { left: 56, right: 16, top: 14, bottom: 44 };

/** Round tick steps (1, 2, 5 × 10^k) covering 0..max. */
function ticks(max: number, count = 6): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

function num(v: number, digits = 3): string {
  return Number(v.toPrecision(digits)).toString();
}

export function fitText(fit: { slope: number; intercept: number; r2: number } | null): string {
  if (!fit) return "no fit yet (needs two memory sizes)";
  const sign = fit.intercept < 0 ? "−" : "+";
  return `t = ${num(fit.slope)} s/MiB × m ${sign} ${num(Math.abs(fit.intercept))} s, R² = ${fit.r2.toFixed(3)}`;
}

export function TimingsChart({ series, bench, paper }: Timings) {
  const router = useRouter();
  const [hover, setHover] = useState<{ s: Series; p: Point; x: number; y: number } | null>(null);
  const [withPaper, setWithPaper] = useState(true);
  // A benchmark series without points has nothing to draw; it is named once below the legend.
  const benchSeries = bench.state === "ok" ? bench.series.filter((b) => b.points.length > 0) : [];
  const benchEmpty = bench.state === "ok" ? bench.series.filter((b) => b.points.length === 0).map((b) => b.label.replace("bench: fig11 ", "")) : [];
  const all = useMemo(() => [...series, ...benchSeries], [series, benchSeries]);
  const points = all.flatMap((s) => s.points);
  const ownPoints = series.reduce((n, s) => n + s.points.length, 0);

  if (points.length === 0) {
    return (
      <EmptyState title="No completed migrations yet">
        The chart plots each completed migration&apos;s total time against its memory. {bench.state !== "ok" && <span className="block text-xs">{bench.note}</span>}
      </EmptyState>
    );
  }

  const xMax = Math.max(...points.map((p) => p.memoryMiB)) * 1.1;
  const yData = Math.max(...points.map((p) => p.totalS), ...all.flatMap((s) => (s.fit ? [s.fit.slope * xMax + s.fit.intercept] : [])));
  const yMax = Math.max(withPaper ? paper.slope * xMax + paper.intercept : 0, yData) * 1.05;
  const xt = ticks(xMax);
  const yt = ticks(yMax, 5);
  const x1 = xt[xt.length - 1]!;
  const y1 = yt[yt.length - 1]!;
  const sx = (v: number) => M.left + (v / x1) * (W - M.left - M.right);
  const sy = (v: number) => H - M.bottom - (v / y1) * (H - M.top - M.bottom);
  const colour = (i: number) => COLOURS[i % COLOURS.length]!;
  const line = (slope: number, intercept: number) => {
    // Clip the line to the plot (it may start above y1 or below 0).
    const a = Math.max(0, intercept < 0 ? -intercept / slope : 0);
    const b = slope > 0 ? Math.min(x1, (y1 - intercept) / slope) : x1;
    return { x1: sx(a), y1: sy(slope * a + intercept), x2: sx(b), y2: sy(slope * b + intercept) };
  };
  const open = (p: Point) => p.id && router.push(`/migrations/${p.id}`);

  return (
    <div className="relative" data-testid="timings-chart">
      <svg viewBox={`0 0 ${W} ${H}`} className="w-full" role="img" aria-label={`Total migration time against memory, ${ownPoints} completed migrations`}>
        {yt.map((v) => (
          <g key={`y${v}`}>
            <line x1={M.left} x2={W - M.right} y1={sy(v)} y2={sy(v)} stroke="#eef2f7" />
            <text x={M.left - 6} y={sy(v) + 3} fontSize="10" textAnchor="end" fill="#64748b">
              {v}
            </text>
          </g>
        ))}
        {xt.map((v) => (
          <g key={`x${v}`}>
            <line x1={sx(v)} x2={sx(v)} y1={H - M.bottom} y2={H - M.bottom + 4} stroke="#94a3b8" />
            <text x={sx(v)} y={H - M.bottom + 15} fontSize="10" textAnchor="middle" fill="#64748b">
              {v}
            </text>
          </g>
        ))}
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke="#94a3b8" />
        <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} stroke="#94a3b8" />
        <text x={(M.left + W - M.right) / 2} y={H - 8} fontSize="11" textAnchor="middle" fill="#334155">
          VM memory (MiB)
        </text>
        <text x={14} y={(M.top + H - M.bottom) / 2} fontSize="11" textAnchor="middle" fill="#334155" transform={`rotate(-90 14 ${(M.top + H - M.bottom) / 2})`}>
          total migration time (s)
        </text>

        {withPaper && <line {...line(paper.slope, paper.intercept)} stroke="#64748b" strokeWidth="1.5" strokeDasharray="6 4" data-testid="paper-line" />}
        {all.map((s, i) =>
          s.fit && s.fit.slope > 0 ? <line key={`fit-${s.key}`} {...line(s.fit.slope, s.fit.intercept)} stroke={colour(i)} strokeWidth="1.5" opacity={s.source === "bench" ? 0.6 : 0.9} strokeDasharray={s.source === "bench" ? "2 3" : undefined} /> : null,
        )}
        {all.map((s, i) =>
          s.points.map((p, j) => {
            const cx = sx(p.memoryMiB);
            const cy = sy(p.totalS);
            const own = s.source === "migrations";
            return (
              <circle
                key={`${s.key}-${p.id ?? j}`}
                cx={cx}
                cy={cy}
                r={own ? 5 : 5.5}
                fill={own ? colour(i) : "white"}
                stroke={colour(i)}
                strokeWidth={own ? 1 : 2}
                tabIndex={own ? 0 : -1}
                role={own ? "link" : undefined}
                aria-label={own ? `${p.label}, ${p.memoryMiB} MiB, ${p.totalS.toFixed(2)} s` : undefined}
                data-testid={own ? "timing-point" : "bench-point"}
                data-id={p.id ?? undefined}
                className={own ? "cursor-pointer outline-none focus:stroke-slate-900" : ""}
                onMouseEnter={() => setHover({ s, p, x: cx, y: cy })}
                onMouseLeave={() => setHover(null)}
                onFocus={() => setHover({ s, p, x: cx, y: cy })}
                onBlur={() => setHover(null)}
                onClick={() => open(p)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    open(p);
                  }
                }}
              />
            );
          }),
        )}
      </svg>
      {hover && (
        <div
          role="tooltip"
          className="pointer-events-none absolute z-10 w-64 rounded border border-slate-200 bg-white px-3 py-2 text-xs shadow-lg"
          style={{ left: `${(Math.min(hover.x, W - 200) / W) * 100}%`, top: `${(hover.y / H) * 100}%`, transform: "translate(12px, -50%)" }}
        >
          <div className="font-medium text-slate-800">{hover.p.label}</div>
          <div className="mt-0.5 text-slate-600">
            {hover.s.label} · {hover.p.memoryMiB} MiB · total {hover.p.totalS.toFixed(2)} s
            {hover.p.downtimeMs !== null && ` · downtime ${Math.round(hover.p.downtimeMs)} ms`}
          </div>
          {hover.p.startedAt && <div className="text-slate-500">{new Date(hover.p.startedAt).toLocaleString()}</div>}
          {hover.p.id && <div className="mt-0.5 text-accent-700">click to open</div>}
        </div>
      )}

      <ul className="mt-2 space-y-1 text-xs" data-testid="timings-legend">
        {all.map((s, i) => (
          <li key={s.key} className="flex items-center gap-2">
            <svg width="14" height="14" aria-hidden="true">
              <circle cx="7" cy="7" r="5" fill={s.source === "bench" ? "white" : colour(i)} stroke={colour(i)} strokeWidth={s.source === "bench" ? 2 : 1} />
            </svg>
            <span className="w-44 font-medium text-slate-700">{s.label}</span>
            <span className="w-16 tabular-nums text-slate-500">{s.points.length} pt</span>
            <span className="font-mono text-slate-600">{fitText(s.fit)}</span>
          </li>
        ))}
        <li className="flex items-center gap-2">
          <svg width="14" height="14" aria-hidden="true">
            <line x1="0" y1="7" x2="14" y2="7" stroke="#64748b" strokeWidth="1.5" strokeDasharray="4 2" />
          </svg>
          <label className="flex items-center gap-1.5 text-slate-600">
            <input type="checkbox" checked={withPaper} onChange={(e) => setWithPaper(e.target.checked)} />
            {paper.label} <span className="text-slate-400">(Xen, 512 MB–4 GB, LAN; MB read as MiB)</span>
          </label>
        </li>
      </ul>
      {benchEmpty.length > 0 && <p className="mt-2 text-xs text-slate-500">Benchmark series without points yet: {benchEmpty.join(", ")}.</p>}
      {ownPoints === 0 && <p className="mt-2 text-xs text-slate-500">No completed migrations yet: only the benchmark&apos;s series are shown.</p>}
      {bench.state === "ok" ? (
        <p className="mt-2 text-xs text-slate-500">
          Benchmark series from docs/results/fig11.json: {bench.machine}, {bench.date}, <span className="font-mono">{bench.command}</span>
        </p>
      ) : (
        <p className="mt-2 text-xs text-slate-500" data-testid="bench-note">
          {bench.note}
        </p>
      )}
    </div>
  );
}

/** The chart in its card, with its own loading and error states. */
export function TimingsCard() {
  const trpc = useTRPC();
  const t = useQuery(trpc.migrations.timings.queryOptions(undefined, { refetchInterval: 30_000 }));
  return (
    <Card title="Timings: total time against memory">
      <div data-testid="timings" data-state={t.isPending ? "loading" : t.error ? "error" : "ready"}>
        {t.isPending ? <Loading label="Loading timings…" /> : t.error ? <ErrorBox error={t.error} /> : <TimingsChart {...t.data} />}
      </div>
    </Card>
  );
}
