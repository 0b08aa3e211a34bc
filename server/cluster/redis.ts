// Redis connections of one Ferry instance: the Socket.IO adapter's publisher and subscriber, and
// a subscriber for requests forwarded to this instance. node-redis reconnects by itself; a
// command sent while it is disconnected waits in its queue, so every caller bounds its wait.
import "server-only";
import { createClient } from "redis";

export type RedisClient = ReturnType<typeof createClient>;

/** Connects one client; errors after the first connect are logged (node-redis retries). */
export async function connectRedis(url: string, name: string, log: (line: string) => void): Promise<RedisClient> {
  const client: RedisClient = createClient({
    url,
    name,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
  });
  let reported = false;
  client.on("error", (err: Error) => {
    // One line per outage, not one per reconnect attempt.
    if (!reported) log(`redis (${name}): ${err.message}`);
    reported = true;
  });
  client.on("ready", () => (reported = false));
  try {
    await client.connect();
  } catch (err) {
    client.destroy();
    throw new Error(`cannot connect to Redis at ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return client;
}

/** Closes a client, waiting at most a moment for pending replies. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  await withTimeout(client.close(), 2_000, "redis close").catch(() => client.destroy());
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
