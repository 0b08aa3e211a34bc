// Failed-login limiter: a sliding window per username and per client IP. Kept in memory:
// one server owns its login endpoint; a restart forgets counts, which only ever loosens it.
export interface RateLimitOptions {
  maxFailuresPerUser: number;
  maxFailuresPerIp: number;
  windowMs: number;
  now?: () => number;
}

export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly opts: RateLimitOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Milliseconds until another attempt is allowed for this user/IP, or 0 if allowed now. */
  retryAfterMs(username: string, ip: string): number {
    return Math.max(
      this.waitFor(`u:${username.toLowerCase()}`, this.opts.maxFailuresPerUser),
      this.waitFor(`ip:${ip}`, this.opts.maxFailuresPerIp),
    );
  }

  recordFailure(username: string, ip: string): void {
    const t = this.now();
    for (const key of [`u:${username.toLowerCase()}`, `ip:${ip}`]) {
      const list = this.recent(key);
      list.push(t);
      this.failures.set(key, list);
    }
  }

  /** A successful login clears the user's failures (not the IP's: one good account must not unlock spraying). */
  recordSuccess(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.opts.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }

  private waitFor(key: string, max: number): number {
    const list = this.recent(key);
    if (list.length < max) return 0;
    // Allowed again once the oldest failure that keeps the count at the limit leaves the window.
    return list[list.length - max]! + this.opts.windowMs - this.now();
  }
}
