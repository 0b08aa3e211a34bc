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
    // No transfer time recorded: the job stands in, and says so.
    expect(u.basis).toBe("job");
    expect(u.jobUtilisation).toBeCloseTo(0.9, 12);
  });

  it("takes the emulator's own transfer time where recorded, and keeps the job's figure beside it", () => {
    // 225 MB over 200 Mbit/s: the transfer took 9.5 s (≈ 94.7 %); libvirt's job, 10 s (90 %).
    const u = linkUse({ transferredBytes: 225_000_000, hypervisorTotalS: 10, hypervisorTransferS: 9.5, totalS: 12 }, 200);
    expect(u.basis).toBe("transfer");
    expect(u.effectiveMbit).toBeCloseTo(225_000_000 * 8 / 9.5 / 1e6, 9);
    expect(u.utilisation).toBeCloseTo(9 / 9.5, 12);
    expect(u.jobUtilisation).toBeCloseTo(0.9, 12);
    expect(linkUse({ transferredBytes: 225_000_000, hypervisorTotalS: 10, hypervisorTransferS: Number.NaN, totalS: 12 }, 200).basis).toBe("job");
  });

  it("leaves the ratios null when the transfer time is unknown", () => {
    const u = linkUse({ transferredBytes: 1e6, hypervisorTotalS: 0, totalS: 0 }, 100);
    expect(u.effectiveMbit).toBeNull();
    expect(u.utilisation).toBeNull();
    expect(u.totalOverFloor).toBeNull();
    expect(u.basis).toBeNull();
  });
});
