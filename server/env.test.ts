import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnv } from "./env";

describe("configuration", () => {
  it("defaults to loopback:3000 and SQLite in the data directory", () => {
    const env = loadEnv({ FERRY_DATA_DIR: "/srv/ferry" });
    expect(env.FERRY_HOST).toBe("127.0.0.1");
    expect(env.FERRY_PORT).toBe(3000);
    expect(env.DATABASE_URL).toBe(`file:${path.join("/srv/ferry", "ferry.db")}`);
    expect(env.FERRY_LAB).toBe(false);
  });

  it("treats empty variables as unset", () => {
    expect(loadEnv({ FERRY_ADMIN_PASSWORD: "", FERRY_PORT: "" }).FERRY_ADMIN_PASSWORD).toBeUndefined();
  });

  it("names every bad variable in one error", () => {
    expect(() => loadEnv({ FERRY_PORT: "70000", FERRY_ADMIN_PASSWORD: "short", FERRY_LAB: "maybe" })).toThrow(
      /FERRY_PORT[\s\S]*FERRY_ADMIN_PASSWORD: FERRY_ADMIN_PASSWORD must have at least 8 characters[\s\S]*FERRY_LAB/,
    );
  });

  it("parses booleans the way shells write them", () => {
    expect(loadEnv({ FERRY_LAB: "1" }).FERRY_LAB).toBe(true);
    expect(loadEnv({ FERRY_LAB: "off" }).FERRY_LAB).toBe(false);
  });
});
