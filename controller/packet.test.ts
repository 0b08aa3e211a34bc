import { describe, expect, it } from "vitest";
import { ETH_TYPE_ARP, ETH_TYPE_RARP, gratuitousArp, parseEthernet, rarpAnnounce } from "./packet";

const MAC = "52:54:00:12:34:ab";
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("announcement frames", () => {
  it("builds QEMU's self-announce RARP byte for byte", () => {
    const f = rarpAnnounce(MAC);
    expect(f).toHaveLength(60);
    expect(f.toString("hex")).toBe(
      hex(`
        ffffffffffff 525400 1234ab 8035
        0001 0800 06 04 0003
        525400 1234ab 00000000
        525400 1234ab 00000000
        ${"00".repeat(18)}
      `).toString("hex"),
    );
  });

  it("builds a gratuitous ARP request byte for byte", () => {
    const f = gratuitousArp(MAC, "10.1.2.254");
    expect(f).toHaveLength(60);
    expect(f.toString("hex")).toBe(
      hex(`
        ffffffffffff 525400 1234ab 0806
        0001 0800 06 04 0001
        525400 1234ab 0a0102fe
        000000 000000 0a0102fe
        ${"00".repeat(18)}
      `).toString("hex"),
    );
  });

  it("reads back through the parser the learning switch uses", () => {
    expect(parseEthernet(rarpAnnounce(MAC))).toMatchObject({ eth_dst: "ff:ff:ff:ff:ff:ff", eth_src: MAC, eth_type: ETH_TYPE_RARP, arp: { op: 3, sha: MAC, spa: "0.0.0.0", tpa: "0.0.0.0" } });
    expect(parseEthernet(gratuitousArp(MAC, "10.1.2.254"))).toMatchObject({ eth_src: MAC, eth_type: ETH_TYPE_ARP, arp: { op: 1, sha: MAC, spa: "10.1.2.254", tpa: "10.1.2.254" } });
  });

  it("accepts upper-case MACs and rejects malformed addresses", () => {
    expect(rarpAnnounce(MAC.toUpperCase()).equals(rarpAnnounce(MAC))).toBe(true);
    expect(() => rarpAnnounce("52:54:00:12:34")).toThrow(/bad MAC/);
    expect(() => gratuitousArp(MAC, "10.1.2")).toThrow(/bad IPv4/);
    expect(() => gratuitousArp(MAC, "10.1.2.256")).toThrow(/bad IPv4/);
  });
});
