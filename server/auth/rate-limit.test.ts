import { describe, expect, it } from "vitest";
import { LoginRateLimiter } from "./rate-limit";

function limiter() {
  let now = 1_000_000;
  const l = new LoginRateLimiter({ maxFailuresPerUser: 5, maxFailuresPerIp: 20, windowMs: 60_000, now: () => now });
  return { l, advance: (ms: number) => (now += ms) };
}

describe("LoginRateLimiter", () => {
  it("allows five failures for a user and refuses the sixth attempt", () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) {
      expect(l.retryAfterMs("alice", "10.0.0.1")).toBe(0);
      l.recordFailure("alice", "10.0.0.1");
    }
    expect(l.retryAfterMs("alice", "10.0.0.1")).toBe(60_000);
    // The same user from another address is still refused: the limit is per user too.
    expect(l.retryAfterMs("ALICE", "10.0.0.2")).toBeGreaterThan(0);
    // Another user from the same address is not.
    expect(l.retryAfterMs("bob", "10.0.0.1")).toBe(0);
  });

  it("lets attempts through again once the failures leave the window", () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 5; i++) {
      l.recordFailure("alice", "ip");
      advance(1000);
    }
    expect(l.retryAfterMs("alice", "ip")).toBe(55_000);
    advance(55_000);
    expect(l.retryAfterMs("alice", "ip")).toBe(0);
  });

  it("limits one address trying many usernames", () => {
    const { l } = limiter();
    for (let i = 0; i < 20; i++) l.recordFailure(`user${i}`, "10.9.9.9");
    expect(l.retryAfterMs("someone-new", "10.9.9.9")).toBeGreaterThan(0);
    expect(l.retryAfterMs("someone-new", "10.9.9.8")).toBe(0);
  });

  it("clears a user's failures on success but keeps the address's", () => {
    const { l } = limiter();
    for (let i = 0; i < 4; i++) l.recordFailure("alice", "ip");
    l.recordSuccess("alice");
    for (let i = 0; i < 4; i++) l.recordFailure("alice", "ip");
    expect(l.retryAfterMs("alice", "ip")).toBe(0);
  });
});
