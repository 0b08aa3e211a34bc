import { describe, expect, it } from "vitest";
import { hashPassword, randomPassword, verifyPassword } from "./password";

describe("scrypt password hashes", () => {
  it("verifies the right password and refuses a wrong one", async () => {
    const stored = await hashPassword("correct horse battery staple");
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword("correct horse battery staple", stored)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
  });

  it("salts: the same password hashes differently each time", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("refuses malformed stored hashes instead of throwing", async () => {
    for (const bad of ["", "plain", "bcrypt$x", "scrypt$0$8$1$AA==$AA==", "scrypt$16384$8$1$AA==$"]) {
      expect(await verifyPassword("x", bad)).toBe(false);
    }
  });

  it("makes random passwords of 20 url-safe characters", () => {
    const a = randomPassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(randomPassword()).not.toBe(a);
  });
});
