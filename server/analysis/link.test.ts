import { describe, expect, it } from "vitest";
import { effectiveMbit, floorSeconds, linkUse } from "./link";

describe("floorSeconds", () => {
  it("is bytes × 8 over the rate in 10⁶ bit/s", () => {
    // 125 MB at 100 Mbit/s: 10⁹ bits / 10⁸ bit/s = 10 s
    expect(floorSeconds(125_000_000, 100)).toBeCloseTo(10, 12);
    // 1 GiB at 1 Gbit/s: 8 589 934 592 bits / 10⁹ = 8.589934592 s
    expect(floorSeconds(2 ** 30, 1000)).toBeCloseTo(8.589934592, 12);
    expect(floorSeconds(0, 200)).toBe(0);
  });

  it("rejects a rate that is not positive and a negative byte count", () => {
    expect(() => floorSeconds(1, 0)).toThrow(RangeError);
    expect(() => floorSeconds(1, -5)).toThrow(RangeError);
    expect(() => floorSeconds(-1, 100)).toThrow(RangeError);
  });
});

describe("effectiveMbit", () => {
  it("is the rate the bytes were moved at", () => {
    expect(effectiveMbit(25_000_000, 2)).toBeCloseTo(100, 12);
    expect(effectiveMbit(0, 3)).toBe(0);
  });

  it("is null without a positive time", () => {
    expect(effectiveMbit(1000, 0)).toBeNull();
    expect(effectiveMbit(1000, Number.NaN)).toBeNull();
  });
});

describe("linkUse", () => {
  it("compares a migration with its link's floor", () => {
    // 225 MB over 200 Mbit/s: floor 9 s; moved in 10 s → 180 Mbit/s = 90 %; Ferry took 12 s → 12/9
    const u = linkUse({ transferredBytes: 225_000_000, hypervisorTotalS: 10, totalS: 12 }, 200);
    expect(u.floorS).toBeCloseTo(9, 12);
    expect(u.effectiveMbit).toBeCloseTo(180, 12);
    expect(u.utilisation).toBeCloseTo(0.9, 12);
    expect(u.totalOverFloor).toBeCloseTo(12 / 9, 12);
  });

  it("leaves the ratios null when the transfer time is unknown", () => {
    const u = linkUse({ transferredBytes: 1e6, hypervisorTotalS: 0, totalS: 0 }, 100);
    expect(u.effectiveMbit).toBeNull();
    expect(u.utilisation).toBeNull();
    expect(u.totalOverFloor).toBeNull();
  });
});
