import { describe, expect, it } from "vitest";
import { loadEnv } from "../env";

describe("configuration of several instances and real hosts", () => {
  it("reads the Redis URL, cluster prefix, lease TTL and forwarding timeout, with defaults", () => {
    const env = loadEnv({ FERRY_REDIS_URL: "rediss://:secret@redis.example.net:6380" });
    expect(env).toMatchObject({ FERRY_REDIS_URL: "rediss://:secret@redis.example.net:6380", FERRY_CLUSTER: "ferry", FERRY_LEASE_TTL_MS: 15_000, FERRY_FORWARD_TIMEOUT_MS: 30_000 });
    expect(loadEnv({}).FERRY_REDIS_URL).toBeUndefined();
  });

  it("refuses a Redis URL of another scheme, a bad prefix and a TTL under a second, naming each", () => {
    expect(() => loadEnv({ FERRY_REDIS_URL: "127.0.0.1:6379" })).toThrow(/FERRY_REDIS_URL: FERRY_REDIS_URL must start with "redis:\/\/" or "rediss:\/\/"/);
    expect(() => loadEnv({ FERRY_CLUSTER: "Ferry Prod" })).toThrow(/FERRY_CLUSTER: FERRY_CLUSTER: lowercase letters/);
    expect(() => loadEnv({ FERRY_LEASE_TTL_MS: "500" })).toThrow(/FERRY_LEASE_TTL_MS/);
  });

  it("refuses real hosts together with the lab", () => {
    expect(() => loadEnv({ FERRY_HOSTS_FILE: "/etc/ferry/hosts.json", FERRY_LAB: "1" })).toThrow(/FERRY_HOSTS_FILE and FERRY_LAB exclude each other/);
    expect(loadEnv({ FERRY_HOSTS_FILE: "/etc/ferry/hosts.json" }).FERRY_HOSTS_FILE).toBe("/etc/ferry/hosts.json");
  });
});
