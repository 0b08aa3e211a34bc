// The active-instance lease: one Redis key, `SET key value NX PX ttl`. Whoever holds it runs the
// OpenFlow controller, the hypervisor drivers and the migrations; every other instance waits.
// The holder renews every ttl/3 (only if the key still carries its own value, checked in a Lua
// script) and deletes it on a clean shutdown; a crashed holder's key expires after the TTL.
import "server-only";
import { withTimeout, type RedisClient } from "./redis";

export interface LeaseHolder {
  /** Unique per process start. */
  instance: string;
  /** Where its HTTP server answers (for operators; forwarding goes through Redis). */
  url: string;
  /** When it took the lease (ISO time). */
  since: string;
}

export interface LeaseOptions {
  redis: RedisClient;
  key: string;
  ttlMs: number;
  self: Omit<LeaseHolder, "since">;
  /** This instance took the lease. */
  onAcquired: () => void;
  /**
   * This instance can no longer be sure it holds the lease (another value in the key, or no
   * renewal succeeded for 2/3 of the TTL, so the key may expire at any moment).
   */
  onLost: (reason: string) => void;
  log?: (line: string) => void;
}

// Renew or delete only while the key still holds our own value.
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export class Lease {
  private value: string | null = null;
  private lastRenewedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastHolder: LeaseHolder | null = null;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: LeaseOptions) {
    if (!(opts.ttlMs >= 300)) throw new Error(`lease TTL must be at least 300 ms, got ${opts.ttlMs}`);
    this.log = opts.log ?? (() => {});
  }

  get held(): boolean {
    return this.value !== null;
  }

  /** The holder seen at the last attempt (this instance when it holds the lease). */
  get holder(): LeaseHolder | null {
    return this.lastHolder;
  }

  /** Tries at once, then every ttl/3. */
  start(): Promise<void> {
    this.stopped = false;
    const every = Math.max(100, Math.floor(this.opts.ttlMs / 3));
    let due = Date.now();
    const loop = () => {
      if (this.stopped) return;
      // A renewal that runs late means a busy event loop: the lease may expire under a live holder.
      const late = Date.now() - due;
      if (late > every) this.log(`lease: attempt ran ${late} ms late (busy event loop or machine); the TTL is ${this.opts.ttlMs} ms`);
      this.ticking = this.tick().finally(() => {
        due = Date.now() + every;
        if (!this.stopped) this.timer = setTimeout(loop, every);
      });
    };
    loop();
    return this.ticking;
  }

  /** Reads the key (who holds the lease now, as Redis says). */
  async current(): Promise<LeaseHolder | null> {
    const raw = await withTimeout(this.opts.redis.get(this.opts.key), this.commandTimeout(), "lease read");
    return parseHolder(raw);
  }

  /** Stops renewing; deletes the key if it is still ours, so another instance can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    const value = this.value;
    this.value = null;
    if (value) {
      await withTimeout(this.opts.redis.eval(RELEASE, { keys: [this.opts.key], arguments: [value] }), this.commandTimeout(), "lease release").catch((e: Error) =>
        this.log(`lease: not released (${e.message}); it expires within ${this.opts.ttlMs} ms`),
      );
    }
  }

  private commandTimeout(): number {
    return Math.max(200, Math.floor(this.opts.ttlMs / 3));
  }

  private async tick(): Promise<void> {
    const { redis, key, ttlMs } = this.opts;
    const sentAt = Date.now();
    try {
      if (this.value) {
        const renewed = await withTimeout(redis.eval(RENEW, { keys: [key], arguments: [this.value, String(ttlMs)] }), this.commandTimeout(), "lease renewal");
        if (Number(renewed) === 1) {
          this.lastRenewedAt = sentAt;
          return;
        }
        this.lose(`the lease key no longer holds this instance's value (now: ${describe(await this.current().catch(() => null))})`);
        return;
      }
      const holder: LeaseHolder = { ...this.opts.self, since: new Date().toISOString() };
      const value = JSON.stringify(holder);
      const ok = await withTimeout(redis.set(key, value, { condition: "NX", expiration: { type: "PX", value: ttlMs } }), this.commandTimeout(), "lease acquisition");
      if (ok === "OK" && !this.stopped) {
        this.value = value;
        this.lastRenewedAt = sentAt;
        this.lastHolder = holder;
        this.opts.onAcquired();
        return;
      }
      if (ok === "OK") {
        // Stopped while the SET was in flight: give it back at once.
        await redis.eval(RELEASE, { keys: [key], arguments: [value] }).catch(() => {});
        return;
      }
      this.lastHolder = await this.current();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // The key expires ttl after the last successful renewal was sent; stop well before that.
      if (this.value && Date.now() - this.lastRenewedAt >= (ttlMs * 2) / 3) this.lose(`no renewal for ${Date.now() - this.lastRenewedAt} ms: ${msg}`);
      else this.log(`lease: ${msg}`);
    }
  }

  private lose(reason: string): void {
    this.value = null;
    this.lastHolder = null;
    this.opts.onLost(reason);
  }
}

export function parseHolder(raw: unknown): LeaseHolder | null {
  if (typeof raw !== "string") return null;
  try {
    const v = JSON.parse(raw) as Partial<LeaseHolder>;
    return typeof v.instance === "string" && typeof v.url === "string" && typeof v.since === "string" ? { instance: v.instance, url: v.url, since: v.since } : null;
  } catch {
    return null;
  }
}

function describe(h: LeaseHolder | null): string {
  return h ? `${h.instance} at ${h.url}` : "nobody";
}
