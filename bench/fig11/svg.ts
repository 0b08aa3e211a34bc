// A small SVG line chart of fig11's results: total migration time against memory, one colour per
// series (median points joined, fitted line dashed) and the paper's line for reference. Pure.
import { PAPER_FIT } from "../../server/analysis/fit";
import type { Fig11Results, Fig11Series } from "../../server/analysis/fig11";

const W = 760;
const H = 460;
const M = { left: 64, right: 210, top: 36, bottom: 52 };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

/** A "nice" tick step (1, 2 or 5 × 10ⁿ) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 6): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export function seriesName(s: Fig11Series): string {
  return `${s.driver === "qmp" ? "QMP" : "libvirt"}, ${s.linkMbit === null ? "LAN" : `${s.linkMbit} Mbit/s`}`;
}

export function renderSvg(res: Fig11Results, opts: { paper?: boolean } = {}): string {
  const series = res.series.filter((s) => s.points.length > 0);
  const xs = series.flatMap((s) => s.points.map((p) => p.memoryMiB));
  const ys = series.flatMap((s) => s.points.map((p) => p.totalS));
  const xMax = Math.max(4096, ...xs);
  const showPaper = opts.paper ?? true;
  // The paper's line reaches ~117 s at 4 GB; show it only up to the data's scale if that is smaller.
  const yData = Math.max(1, ...ys);
  const yMax = showPaper ? Math.max(yData, PAPER_FIT.slope * xMax + PAPER_FIT.intercept) : yData;
  const xStep = niceStep(xMax, 8);
  const yStep = niceStep(yMax, 6);
  const xTop = Math.ceil(xMax / xStep) * xStep;
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (x: number) => M.left + (x / xTop) * pw;
  const Y = (y: number) => M.top + ph - (Math.max(0, Math.min(y, yTop)) / yTop) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="20" font-size="14" font-weight="bold">Total migration time against memory (medians)</text>`);
  for (let x = 0; x <= xTop + 1e-9; x += xStep) {
    out.push(`<line x1="${f1(X(x))}" y1="${M.top}" x2="${f1(X(x))}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f1(X(x))}" y="${M.top + ph + 16}" text-anchor="middle">${Math.round(x)}</text>`);
  }
  for (let y = 0; y <= yTop + 1e-9; y += yStep) {
    out.push(`<line x1="${M.left}" y1="${f1(Y(y))}" x2="${M.left + pw}" y2="${f1(Y(y))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f1(Y(y) + 4)}" text-anchor="end">${Number(y.toPrecision(6))}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">memory (MiB)</text>`);
  out.push(`<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">total time (s)</text>`);

  const legend: string[] = [];
  let ly = M.top + 8;
  const legendItem = (colour: string, label: string, dashed: boolean) => {
    legend.push(`<line x1="${W - M.right + 14}" y1="${ly}" x2="${W - M.right + 38}" y2="${ly}" stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="5 4"' : ""}/>`);
    legend.push(`<text x="${W - M.right + 44}" y="${ly + 4}">${esc(label)}</text>`);
    ly += 18;
  };
  if (showPaper) {
    out.push(`<line x1="${f1(X(0))}" y1="${f1(Y(PAPER_FIT.intercept))}" x2="${f1(X(xTop))}" y2="${f1(Y(PAPER_FIT.slope * xTop + PAPER_FIT.intercept))}" stroke="#888" stroke-width="2" stroke-dasharray="2 4"/>`);
    legendItem("#888", `paper: ${PAPER_FIT.slope}·MB + ${PAPER_FIT.intercept}`, true);
  }
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    const pts = s.points.map((p) => `${f1(X(p.memoryMiB))},${f1(Y(p.totalS))}`).join(" ");
    out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="1.5" opacity="0.6"/>`);
    for (const p of s.points) out.push(`<circle cx="${f1(X(p.memoryMiB))}" cy="${f1(Y(p.totalS))}" r="3.5" fill="${c}"><title>${esc(`${seriesName(s)}: ${p.memoryMiB} MiB, ${p.totalS.toFixed(2)} s`)}</title></circle>`);
    if (s.fit) {
      const x0 = Math.min(...s.points.map((p) => p.memoryMiB));
      const x1 = Math.max(...s.points.map((p) => p.memoryMiB));
      out.push(`<line x1="${f1(X(x0))}" y1="${f1(Y(s.fit.slope * x0 + s.fit.intercept))}" x2="${f1(X(x1))}" y2="${f1(Y(s.fit.slope * x1 + s.fit.intercept))}" stroke="${c}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    }
    legendItem(c, seriesName(s), false);
  });
  out.push(...legend);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
