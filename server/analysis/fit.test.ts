import { describe, expect, it } from "vitest";
import { linearFit, median, PAPER_FIT } from "./fit";

describe("linearFit", () => {
  it("recovers the paper's line from points generated on it", () => {
    const pts = [512, 1024, 2048, 3072, 4096].map((m) => [m, PAPER_FIT.slope * m + PAPER_FIT.intercept] as const);
    const fit = linearFit(pts)!;
    expect(fit.slope).toBeCloseTo(0.023, 10);
    expect(fit.intercept).toBeCloseTo(22.93, 8);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fit.n).toBe(5);
  });

  it("matches a hand-computed fit of scattered points", () => {
    // x̄ = 2, ȳ = 3; Sxy = 4, Sxx = 2 → slope 2, intercept −1; residuals 0.5, −1, 0.5 → SSres 1.5, SStot 9.5
    const fit = linearFit([[1, 1.5], [2, 2], [3, 5.5]])!;
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(-1, 12);
    expect(fit.r2).toBeCloseTo(1 - 1.5 / 9.5, 12);
  });

  it("refuses fewer than two points or a single x, and skips non-finite values", () => {
    expect(linearFit([])).toBeNull();
    expect(linearFit([[512, 30]])).toBeNull();
    expect(linearFit([[512, 30], [512, 31]])).toBeNull();
    expect(linearFit([[1, 1], [2, Number.NaN], [3, 3]])!.slope).toBeCloseTo(1, 12);
  });
});

describe("median", () => {
  it("takes the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});
