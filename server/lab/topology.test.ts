import { describe, expect, it } from "vitest";
import { DEFAULT_TOPOLOGY, planLab, TWO_BY_TWO } from "./topology";

describe("lab plan", () => {
  it("derives addresses, datapath ids and a full GRE mesh between all hosts", () => {
    const p = planLab(TWO_BY_TWO, "x-");
    expect(p.hosts.map((h) => [h.name, h.underlayIp, h.gateway])).toEqual([
      ["host-a1", "10.250.1.11", "10.250.1.1"],
      ["host-a2", "10.250.1.12", "10.250.1.1"],
      ["host-b1", "10.250.2.11", "10.250.2.1"],
      ["host-b2", "10.250.2.12", "10.250.2.1"],
    ]);
    expect(new Set(p.hosts.map((h) => h.dpid)).size).toBe(4);
    expect(p.hosts.every((h) => /^[0-9a-f]{16}$/.test(h.dpid))).toBe(true);
    const a1 = p.hosts[0]!;
    expect(a1.tunnels.map((t) => [t.port, t.remoteIp])).toEqual([
      ["gre-host-a2", "10.250.1.12"],
      ["gre-host-b1", "10.250.2.11"],
      ["gre-host-b2", "10.250.2.12"],
    ]);
    expect(p.hosts.every((h) => h.tunnels.length === 3)).toBe(true);
    expect(p.hosts.every((h) => h.tunnels.every((t) => t.port.length <= 15))).toBe(true);
    expect(p.clients.map((c) => [c.site, c.ip, c.host])).toEqual([
      ["a", "10.99.0.201", "host-a1"],
      ["b", "10.99.0.202", "host-b1"],
    ]);
    expect(p.hosts.every((h) => h.ns.startsWith("x-"))).toBe(true);
  });

  it("gives each host an address on its site's migration network, or the underlay's without one", () => {
    const p = planLab(TWO_BY_TWO, "x-");
    expect(p.sites.map((s) => [s.name, s.migration])).toEqual([
      ["a", { cidr: "10.251.1.0/24", routerIp: "10.251.1.1" }],
      ["b", { cidr: "10.251.2.0/24", routerIp: "10.251.2.1" }],
    ]);
    expect(p.hosts.map((h) => [h.name, h.migrationIp, h.migrationNet?.gateway, h.migrationNet?.routerIf])).toEqual([
      ["host-a1", "10.251.1.11", "10.251.1.1", "m-host-a1"],
      ["host-a2", "10.251.1.12", "10.251.1.1", "m-host-a2"],
      ["host-b1", "10.251.2.11", "10.251.2.1", "m-host-b1"],
      ["host-b2", "10.251.2.12", "10.251.2.1", "m-host-b2"],
    ]);
    const plain = planLab({ overlay: "10.99.0.0/24", sites: [{ name: "a", underlay: "10.250.1.0/24", hosts: [{ name: "h", hypervisor: "qemu" }] }] });
    expect(plain.sites[0]!.migration).toBeNull();
    expect([plain.hosts[0]!.migrationIp, plain.hosts[0]!.migrationNet]).toEqual(["10.250.1.11", null]);
    expect(() => planLab({ overlay: "10.99.0.0/24", sites: [{ name: "a", underlay: "10.250.1.0/24", migration: "10.250.1.0/24", hosts: [{ name: "h", hypervisor: "qemu" }] }] })).toThrow(/must differ/);
    expect(() =>
      planLab({
        overlay: "10.99.0.0/24",
        sites: [
          { name: "a", underlay: "10.250.1.0/24", migration: "10.251.1.0/24", hosts: [{ name: "h", hypervisor: "qemu" }] },
          { name: "b", underlay: "10.251.1.0/24", hosts: [{ name: "g", hypervisor: "qemu" }] },
        ],
      }),
    ).toThrow(/distinct/);
  });

  it("refuses topologies that cannot work, saying why", () => {
    expect(() => planLab({ ...DEFAULT_TOPOLOGY, overlay: "10.99.0.0/16" })).toThrow(/\/24/);
    expect(() => planLab({ overlay: "10.99.0.0/24", sites: [{ name: "a", underlay: "10.250.1.0/24", hosts: [{ name: "h", hypervisor: "qemu" }, { name: "h", hypervisor: "qemu" }] }] })).toThrow(/twice/);
    expect(() => planLab({ overlay: "10.99.0.0/24", sites: [{ name: "Site A", underlay: "10.250.1.0/24", hosts: [{ name: "h", hypervisor: "qemu" }] }] })).toThrow(/site name/);
    expect(() => planLab(DEFAULT_TOPOLOGY, "Bad Prefix")).toThrow(/prefix/);
  });
});
