import { describe, expect, it } from "vitest";
import { RemainingProgress } from "./phases";

describe("remaining-based progress", () => {
  it("follows what remains, never runs backwards, and reaches 100% only when done", () => {
    const p = new RemainingProgress();
    expect(p.update(undefined, undefined)).toBe(0);
    expect(p.update(800, 1000)).toBeCloseTo(0.2);
    expect(p.update(300, 1000)).toBeCloseTo(0.7);
    // A new round found dirty pages: remaining grows, the bar stays.
    expect(p.update(500, 1000)).toBeCloseTo(0.7);
    expect(p.update(0, 1000)).toBeCloseTo(0.99);
    expect(p.complete()).toBe(1);
  });
});
