import { describe, expect, it } from "vitest";
import { clearedSessionCookie, hashToken, readCookie, sessionCookie } from "./sessions";

describe("session cookies", () => {
  it("reads one cookie among several and decodes it", () => {
    expect(readCookie("a=1; ferry_session=abc%2Bdef; b=2", "ferry_session")).toBe("abc+def");
    expect(readCookie("a=1", "ferry_session")).toBeUndefined();
    expect(readCookie(undefined, "ferry_session")).toBeUndefined();
    expect(readCookie("ferry_session=%E0%A4%A", "ferry_session")).toBeUndefined();
  });

  it("sets HttpOnly, SameSite=Strict, Path and expiry, and Secure only when asked", () => {
    const c = sessionCookie("tok", new Date("2030-01-01T00:00:00Z"), false);
    expect(c).toBe("ferry_session=tok; Path=/; HttpOnly; SameSite=Strict; Expires=Tue, 01 Jan 2030 00:00:00 GMT");
    expect(sessionCookie("tok", new Date(), true)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toMatch(/^ferry_session=; .*Max-Age=0/);
  });

  it("stores only a hash of the token", () => {
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
