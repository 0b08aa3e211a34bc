import { describe, expect, it } from "vitest";
import { Lab, UNDERLAY_MTU, wanBurstKbit } from "./lab";

describe("the lab's emulated WAN and underlay", () => {
  it("gives the token bucket 4 ms of the rate, and never less than two full frames", () => {
    expect(wanBurstKbit(100)).toBe(400);
    expect(wanBurstKbit(1000)).toBe(4000);
    // A slow link with small frames keeps the 32 kbit floor; with jumbo frames two 9000-byte frames.
    expect(wanBurstKbit(1, 1600)).toBe(32);
    expect(wanBurstKbit(1, 9000)).toBe(145);
    expect(wanBurstKbit(10, 9000)).toBe(145);
    expect(wanBurstKbit(100, 9000)).toBe(400);
  });

  it("refuses an underlay MTU that cannot carry the overlay's 1500 bytes through GRE", () => {
    const make = (underlayMtu: number) => new Lab({ dir: "/nonexistent/ferry-lab-test", controllerSocket: "/nonexistent/of.sock", underlayMtu });
    expect(() => make(1500)).toThrow(/underlayMtu must be an integer 1538\.\.9000/);
    expect(() => make(9001)).toThrow(/1538\.\.9000/);
    expect(make(1538).underlayMtu).toBe(1538);
    expect(new Lab({ dir: "/nonexistent/ferry-lab-test", controllerSocket: "/nonexistent/of.sock" }).underlayMtu).toBe(UNDERLAY_MTU);
  });
});
