// Least-squares line through (x, y) points: the model of the paper's result
// (total migration time = slope × memory + intercept). Pure; used by the timings chart and bench/fig11.

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination; 1 when every point lies on the line (or all y are equal and fitted exactly). */
  r2: number;
  n: number;
}

/** The paper's fit: t ≈ 0.023 s/MB × memory + 22.93 s (Xen, 512 MB–4 GB, LAN). */
export const PAPER_FIT = { slope: 0.023, intercept: 22.93 } as const;

/**
 * Fits y = slope·x + intercept. Needs at least two points with different x; returns null otherwise
 * (a line through one memory size says nothing about the slope).
 */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): LinearFit | null {
  const pts = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const n = pts.length;
  if (n < 2) return null;
  let sx = 0, sy = 0;
  for (const [x, y] of pts) { sx += x; sy += y; }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (const [x, y] of pts) {
    const dx = x - mx, dy = y - my;
    sxx += dx * dx; sxy += dx * dy; syy += dy * dy;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (const [x, y] of pts) {
    const r = y - (slope * x + intercept);
    ssRes += r * r;
  }
  const r2 = syy === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / syy;
  return { slope, intercept, r2, n };
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
