import { describe, expect, it } from "vitest";
import { hostsFileNetwork, parseHostsFile } from "./hosts-file";

const example = () => ({
  sites: [
    { name: "tokyo", underlayCidr: "192.0.2.0/24" },
    { name: "osaka", underlayCidr: "198.51.100.0/24" },
  ],
  tls: { key: "/etc/ferry/pki/ferry-privkey.pem", cert: "/etc/ferry/pki/ferry-cert.pem", ca: "/etc/ferry/pki/switchca/cacert.pem" },
  hosts: [
    { name: "hv-tokyo-1", site: "tokyo", libvirtUri: "qemu+tls://hv-tokyo-1.example.net/system", ovsdb: "ssl:192.0.2.11:6640", dpid: "0000000000000011", underlayIp: "192.0.2.11", storagePaths: ["/srv/ferry"] },
    { name: "hv-osaka-1", site: "osaka", libvirtUri: "qemu+ssh://root@hv-osaka-1.example.net/system", ovsdb: "tcp:198.51.100.21:6640", dpid: "0000000000000021", underlayIp: "198.51.100.21", storagePaths: ["/srv/ferry"] },
  ],
});

describe("the hosts file (FERRY_HOSTS_FILE)", () => {
  it("accepts the documented two-site example and fills in defaults", () => {
    const file = parseHostsFile(JSON.stringify(example()));
    expect(file.hosts.map((h) => [h.name, h.hypervisor, h.bridge])).toEqual([
      ["hv-tokyo-1", "libvirt", "br-int"],
      ["hv-osaka-1", "libvirt", "br-int"],
    ]);
  });

  it("gives the orchestrator each host's switch and OVSDB remote, with TLS for ssl: remotes", () => {
    const tls = { key: "k", cert: "c", ca: "a" };
    const net = hostsFileNetwork(parseHostsFile(JSON.stringify(example())), tls);
    expect(net("hv-tokyo-1")).toEqual({ name: "hv-tokyo-1", underlayIp: "192.0.2.11", dpid: "0000000000000011", ovsdb: { host: "192.0.2.11", port: 6640, tls } });
    expect(net("hv-osaka-1")?.ovsdb).toEqual({ host: "198.51.100.21", port: 6640 });
    expect(net("nowhere")).toBeNull();
  });

  it("names the field of every schema problem", () => {
    const bad = example() as any;
    bad.hosts[0].libvirtUri = "hv-tokyo-1";
    bad.hosts[0].dpid = "11";
    bad.hosts[1].ovsdb = "unix:/run/db.sock";
    bad.hosts[1].extra = true;
    const err = (() => {
      try {
        parseHostsFile(JSON.stringify(bad), "hosts.json");
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(err).toMatch(/^hosts\.json:/);
    expect(err).toMatch(/hosts\.0\.libvirtUri: a libvirt URI/);
    expect(err).toMatch(/hosts\.0\.dpid: 16 lowercase hex digits/);
    expect(err).toMatch(/hosts\.1\.ovsdb: tcp:HOST:PORT or ssl:HOST:PORT/);
    expect(err).toMatch(/hosts\.1: Unrecognized key: "extra"/);
  });

  it("refuses unknown sites, duplicates, addresses outside the site and ssl without TLS", () => {
    const bad = example() as any;
    bad.hosts[1].site = "kyoto";
    bad.hosts[1].dpid = bad.hosts[0].dpid;
    bad.hosts[0].underlayIp = "203.0.113.5";
    delete bad.tls;
    expect(() => parseHostsFile(JSON.stringify(bad))).toThrow(/hosts\.1\.site: no site "kyoto"/);
    expect(() => parseHostsFile(JSON.stringify(bad))).toThrow(/hosts\.1\.dpid: "0000000000000011" is already used by hosts\.0/);
    expect(() => parseHostsFile(JSON.stringify(bad))).toThrow(/hosts\.0\.underlayIp: 203\.0\.113\.5 is not in site tokyo's 192\.0\.2\.0\/24/);
    expect(() => parseHostsFile(JSON.stringify(bad))).toThrow(/hosts\.0\.ovsdb: .*needs a private key.*\(add "tls" to the file\)/);
  });

  it("refuses text that is not JSON, with the file named", () => {
    expect(() => parseHostsFile("sites: []", "FERRY_HOSTS_FILE /etc/ferry/hosts.json")).toThrow(/^FERRY_HOSTS_FILE \/etc\/ferry\/hosts\.json: not valid JSON/);
  });
});
