// The active lease and request forwarding against a real, private redis-server: one holder at a
// time, hand-over on release and on expiry, loss noticed by a holder that can no longer renew or
// whose key was taken, and forwarded calls that return results, rebuild errors and time out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, connectRedis, type RedisClient } from "./redis";
import { Lease } from "./lease";
import { ActiveInstanceUnavailableError, Forwarder } from "./forward";
import { redisUnavailableReason, startRedis, type PrivateRedis } from "./testing/redis-server";

const TTL = 1_200;

async function until(what: string, cond: () => boolean | Promise<boolean>, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(redisUnavailableReason())("cluster lease and forwarding on a private redis-server", () => {
  let redis: PrivateRedis;
  const clients: RedisClient[] = [];
  const client = async () => {
    const c = await connectRedis(redis.url, "test", () => {});
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) await closeRedis(c).catch(() => {});
    await redis?.stop();
  });

  function lease(c: RedisClient, instance: string, key: string, lost: string[] = [], acquired: string[] = []) {
    return new Lease({ redis: c, key, ttlMs: TTL, self: { instance, url: `http://${instance}` }, onAcquired: () => acquired.push(instance), onLost: (r) => lost.push(r) });
  }

  it("gives the lease to exactly one of two contenders, and to the other once the holder releases it", async () => {
    const key = "t1:lease";
    const acquired: string[] = [];
    const a = lease(await client(), "a", key, [], acquired);
    const b = lease(await client(), "b", key, [], acquired);
    await Promise.all([a.start(), b.start()]);
    expect(acquired).toHaveLength(1);
    const [winner, loser] = acquired[0] === "a" ? [a, b] : [b, a];
    expect(winner.held).toBe(true);
    expect(loser.held).toBe(false);
    expect(loser.holder?.instance).toBe(acquired[0]);
    expect((await loser.current())?.instance).toBe(acquired[0]);
    // Renewal keeps it past several TTLs while the loser keeps trying.
    await new Promise((r) => setTimeout(r, TTL * 2));
    expect(winner.held).toBe(true);
    expect(loser.held).toBe(false);

    await winner.stop();
    await until("the other contender takes the released lease", () => loser.held, TTL * 3);
    expect(acquired).toHaveLength(2);
    expect(acquired[1]).not.toBe(acquired[0]);
    await loser.stop();
    expect(await loser.current()).toBeNull();
  });

  it("hands the lease over after the TTL when the holder stops renewing, and the holder notices its loss", async () => {
    const key = "t2:lease";
    const lostA: string[] = [];
    const ca = await client();
    const a = lease(ca, "a", key, lostA);
    await a.start();
    expect(a.held).toBe(true);
    const b = lease(await client(), "b", key);
    await b.start();
    expect(b.held).toBe(false);
    // A's connection dies: it cannot renew, its key expires, B takes over.
    ca.destroy();
    await until("b takes the expired lease", () => b.held, TTL * 4);
    await until("a reports the loss", () => lostA.length > 0, TTL * 2);
    expect(lostA[0]).toMatch(/no renewal for \d+ ms/);
    expect(a.held).toBe(false);
    await a.stop();
    await b.stop();
  });

  it("tells a holder whose key now carries another instance's value that it lost the lease", async () => {
    const key = "t3:lease";
    const lost: string[] = [];
    const a = lease(await client(), "a", key, lost);
    await a.start();
    expect(a.held).toBe(true);
    const other = await client();
    await other.set(key, JSON.stringify({ instance: "z", url: "http://z", since: new Date().toISOString() }), { expiration: { type: "PX", value: 60_000 } });
    await until("a notices", () => lost.length > 0, TTL * 2);
    expect(lost[0]).toMatch(/no longer holds this instance's value \(now: z at http:\/\/z\)/);
    await a.stop();
    // Stopping does not delete a key that is not ours.
    expect(JSON.parse((await other.get(key))!).instance).toBe("z");
  });

  it("forwards calls to another instance: results, rebuilt errors, refusals and silence", async () => {
    let serving: string | null = null;
    let release: () => void = () => {};
    const server = new Forwarder({
      pub: await client(),
      sub: await client(),
      prefix: "t4",
      instance: "holder",
      timeoutMs: 1_000,
      serving: () => serving,
      handlers: {
        add: async (x: number, y: number) => x + y,
        fail: async () => {
          throw new RangeError("out of range");
        },
        hang: () => new Promise<void>((r) => (release = r)),
      },
      toWire: (e) => ({ name: (e as Error).name, message: (e as Error).message }),
      fromWire: (w) => Object.assign(new Error(w.message), { name: w.name }),
    });
    const requester = new Forwarder({
      pub: await client(),
      sub: await client(),
      prefix: "t4",
      instance: "standby",
      timeoutMs: 1_000,
      serving: () => "not active",
      handlers: {},
      toWire: (e) => ({ name: "Error", message: String(e) }),
      fromWire: (w) => Object.assign(new Error(w.message), { name: w.name }),
    });
    await server.start();
    await requester.start();
    const holder = { instance: "holder", url: "http://holder" };

    expect(await requester.call(holder, "add", [2, 3])).toBe(5);
    await expect(requester.call(holder, "fail", [])).rejects.toMatchObject({ name: "RangeError", message: "out of range" });
    await expect(requester.call(holder, "nope", [])).rejects.toThrow(/unknown forwarded method "nope"/);
    await expect(requester.call(holder, "hang", [])).rejects.toThrow(/did not answer hang within 1000 ms/);
    release();
    serving = "instance holder is not the active instance any more (stopping)";
    await expect(requester.call(holder, "add", [1, 1])).rejects.toBeInstanceOf(ActiveInstanceUnavailableError);
    await expect(requester.call({ instance: "gone", url: "http://gone" }, "add", [1, 1])).rejects.toThrow(/active instance gone \(http:\/\/gone\) is not listening/);
    await server.stop();
    await requester.stop();
  });
});
