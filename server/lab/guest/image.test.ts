import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureGuestImage, guestCmdline, parseGuestConsole } from "./image";

function params(cmdline: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const tok of cmdline.split(" ")) {
    const eq = tok.indexOf("=");
    if (eq > 0) map.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  return map;
}

describe("guestCmdline", () => {
  it("carries the full configuration and the boot options", () => {
    const line = guestCmdline({ ip: "10.99.0.11/24", gw: "10.99.0.1", hostname: "vm1", fillMb: 64, dirtyMbps: 8 });
    const p = params(line);
    expect(p.get("console")).toBe("ttyS0");
    expect(p.get("panic")).toBe("-1");
    expect(p.get("ferry.ip")).toBe("10.99.0.11/24");
    expect(p.get("ferry.gw")).toBe("10.99.0.1");
    expect(p.get("ferry.hostname")).toBe("vm1");
    expect(p.get("ferry.fill_mb")).toBe("64");
    expect(p.get("ferry.dirty_mbps")).toBe("8");
    // Tokens are separated by single spaces and need no quoting.
    expect(line).not.toMatch(/["'\\\n\t]|  /);
  });

  it("omits the gateway when none is given and defaults the memory load to off", () => {
    const p = params(guestCmdline({ ip: "192.168.5.2/30", hostname: "a-b-9" }));
    expect(p.has("ferry.gw")).toBe(false);
    expect(p.get("ferry.fill_mb")).toBe("0");
    expect(p.get("ferry.dirty_mbps")).toBe("0");
  });

  it.each([
    ["an IP without prefix", { ip: "10.0.0.1", hostname: "vm1" }],
    ["a prefix over 32", { ip: "10.0.0.1/33", hostname: "vm1" }],
    ["a prefix of 0", { ip: "10.0.0.1/0", hostname: "vm1" }],
    ["an octet over 255", { ip: "10.0.0.256/24", hostname: "vm1" }],
    ["a leading-zero octet", { ip: "10.0.0.01/24", hostname: "vm1" }],
    ["three octets", { ip: "10.0.1/24", hostname: "vm1" }],
    ["an IPv6 address", { ip: "fd00::1/64", hostname: "vm1" }],
    ["an IP carrying another option", { ip: "10.0.0.1/24 init=/bin/sh", hostname: "vm1" }],
    ["a gateway with a prefix", { ip: "10.0.0.2/24", gw: "10.0.0.1/24", hostname: "vm1" }],
    ["a hostname with spaces", { ip: "10.0.0.2/24", hostname: "vm 1" }],
    ["a hostname with a quote", { ip: "10.0.0.2/24", hostname: 'vm"1' }],
    ["a hostname with an equals sign", { ip: "10.0.0.2/24", hostname: "vm=1" }],
    ["an empty hostname", { ip: "10.0.0.2/24", hostname: "" }],
    ["a hostname starting with a hyphen", { ip: "10.0.0.2/24", hostname: "-vm" }],
    ["a 64-character hostname", { ip: "10.0.0.2/24", hostname: "a".repeat(64) }],
    ["a negative fill", { ip: "10.0.0.2/24", hostname: "vm1", fillMb: -1 }],
    ["a fractional fill", { ip: "10.0.0.2/24", hostname: "vm1", fillMb: 1.5 }],
    ["a NaN dirty rate", { ip: "10.0.0.2/24", hostname: "vm1", fillMb: 8, dirtyMbps: Number.NaN }],
    ["a fill over the limit", { ip: "10.0.0.2/24", hostname: "vm1", fillMb: 1_000_000 }],
    ["a dirty rate without fill", { ip: "10.0.0.2/24", hostname: "vm1", dirtyMbps: 4 }],
  ])("rejects %s", (_what, cfg) => {
    expect(() => guestCmdline(cfg)).toThrow(/guest/);
  });

  it("accepts the longest valid hostname", () => {
    const name = "a".repeat(63);
    expect(params(guestCmdline({ ip: "10.0.0.2/32", hostname: name })).get("ferry.hostname")).toBe(name);
  });
});

describe("parseGuestConsole", () => {
  it("finds the ready line among firmware noise", () => {
    const text = "\x1b[2JSeaBIOS\r\nferry-guest: booting\nferry-guest: ready ip=10.0.2.15 hostname=vm1 boot_id=abc-123 fill_mb=0 dirty_mbps=0\n";
    expect(parseGuestConsole(text)).toEqual({ ip: "10.0.2.15", hostname: "vm1", bootId: "abc-123" });
  });

  it("returns null while the guest is still booting", () => {
    expect(parseGuestConsole("ferry-guest: booting\n")).toBeNull();
  });
});

describe("ensureGuestImage", () => {
  it("fails with the script's own output when the output dir is unusable", async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "ferry-guest-unit-"));
    try {
      const notADir = path.join(tmp, "file");
      await writeFile(notADir, "x");
      const err = await ensureGuestImage({ outDir: notADir, timeoutMs: 30_000 }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/guest image build failed \(exit 1\); last output:\n.*File exists/s);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
