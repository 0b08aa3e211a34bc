import { describe, expect, it } from "vitest";
import { freeMac, intToIp, ipToInt, nextFreeIp, parseCidr, randomLocalMac } from "./addresses";

describe("fixed-IP allocation", () => {
  it("skips the network address and keeps the first address for a gateway when the subnet names none", () => {
    expect(nextFreeIp({ cidr: "10.99.0.0/24", used: [] })).toBe("10.99.0.2");
  });

  it("skips the named gateway, addresses in use and set-aside client addresses", () => {
    expect(nextFreeIp({ cidr: "10.99.0.0/24", gatewayIp: "10.99.0.2", used: ["10.99.0.1", "10.99.0.3"] })).toBe("10.99.0.4");
    const used = ["10.99.0.201", "10.99.0.202", ...Array.from({ length: 198 }, (_, i) => `10.99.0.${i + 2}`)];
    expect(nextFreeIp({ cidr: "10.99.0.0/24", used })).toBe("10.99.0.200");
    expect(nextFreeIp({ cidr: "10.99.0.0/24", used: [...used, "10.99.0.200"] })).toBe("10.99.0.203");
  });

  it("never hands out the broadcast address and says when the subnet is full", () => {
    expect(nextFreeIp({ cidr: "10.0.0.0/30", used: [] })).toBe("10.0.0.2");
    expect(() => nextFreeIp({ cidr: "10.0.0.0/30", used: ["10.0.0.2"] })).toThrow(/no free address left/);
  });

  it("rejects malformed subnets", () => {
    expect(() => parseCidr("10.99.0.5/24")).toThrow(/host bits/);
    expect(() => parseCidr("10.99.0.0/31")).toThrow(/prefix/);
    expect(() => parseCidr("10.99.0/24")).toThrow(/IPv4/);
    expect(intToIp(ipToInt("192.168.200.7"))).toBe("192.168.200.7");
  });
});

describe("MAC allocation", () => {
  it("draws locally administered unicast addresses", () => {
    const mac = randomLocalMac(() => Buffer.from([0xab, 0xcd, 0x01, 0x02]));
    expect(mac).toBe("02:fe:ab:cd:01:02");
    const first = parseInt(randomLocalMac().slice(0, 2), 16);
    expect(first & 0x02).toBe(0x02);
    expect(first & 0x01).toBe(0);
  });

  it("draws again when the address is taken", () => {
    const draws = [Buffer.from([0, 0, 0, 1]), Buffer.from([0, 0, 0, 2])];
    expect(freeMac(new Set(["02:fe:00:00:00:01"]), () => draws.shift()!)).toBe("02:fe:00:00:00:02");
    expect(() => freeMac(new Set(["02:fe:00:00:00:01"]), () => Buffer.from([0, 0, 0, 1]))).toThrow(/unused MAC/);
  });
});
