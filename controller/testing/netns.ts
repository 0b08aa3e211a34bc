// Test helper: plain hosts in network namespaces of our own, each with one veth whose other end
// lives in a switch's namespace. Addresses exist only inside these namespaces.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";

export function sh(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}${stderr ? `\n${stderr.trim()}` : ""}`));
      else resolve(stdout.trim());
    });
  });
}

export interface NsHost {
  ns: string;
  /** Name of the veth end in the switch's namespace (add it to the bridge). */
  switchPort: string;
  mac: string;
  ip: string;
  /** Runs a command inside the host's namespace. */
  exec(cmd: string, args: readonly string[], timeoutMs?: number): Promise<string>;
  /** Bytes the host's eth0 has transmitted (kernel counter). */
  txBytes(): Promise<number>;
  remove(): Promise<void>;
}

/**
 * Creates namespace `<prefix>-<rand>` with eth0 (given MAC and IPv4/24), IPv6 off (no ND or MLD
 * chatter), and TX checksum offload off (the userspace datapath forwards partial checksums as is).
 */
export async function createHost(opts: { prefix: string; switchNs: string; ip: string; mac: string; prefixLen?: number }): Promise<NsHost> {
  const tag = randomBytes(3).toString("hex");
  const ns = `${opts.prefix}-${tag}`;
  const switchPort = `v${opts.prefix.slice(-4)}${tag}`.slice(0, 15);
  await sh("ip", ["netns", "add", ns]);
  const exec = (cmd: string, args: readonly string[], timeoutMs?: number) => sh("ip", ["netns", "exec", ns, cmd, ...args], timeoutMs);
  const remove = async () => {
    await sh("ip", ["netns", "delete", ns]).catch(() => {});
    await sh("ip", ["netns", "exec", opts.switchNs, "ip", "link", "delete", switchPort]).catch(() => {});
  };
  try {
    await sh("ip", ["link", "add", switchPort, "netns", opts.switchNs, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await exec("sysctl", ["-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
    await exec("sysctl", ["-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"]);
    await exec("ip", ["link", "set", "eth0", "address", opts.mac]);
    await exec("ip", ["addr", "add", `${opts.ip}/${opts.prefixLen ?? 24}`, "dev", "eth0"]);
    await exec("ip", ["link", "set", "lo", "up"]);
    await exec("ip", ["link", "set", "eth0", "up"]);
    await exec("ethtool", ["-K", "eth0", "tx", "off"]);
    await sh("ip", ["netns", "exec", opts.switchNs, "ip", "link", "set", switchPort, "up"]);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    ns,
    switchPort,
    mac: opts.mac,
    ip: opts.ip,
    exec,
    txBytes: async () => Number(await exec("cat", ["/sys/class/net/eth0/statistics/tx_bytes"])),
    remove,
  };
}

/**
 * `ovs-vsctl` arguments for the tests' bridge br0: userspace datapath, secure fail mode (only the
 * controller forwards), the given ports as OpenFlow ports 1, 2, … and one controller that is
 * retried at most every second.
 */
export function secureBridgeArgs(o: { dpid: string; protocols: string; ports: readonly string[]; controller: string }): string[] {
  return [
    "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev", "fail_mode=secure", `protocols=${o.protocols}`, `other-config:datapath-id=${o.dpid}`,
    ...o.ports.flatMap((p, i) => ["--", "add-port", "br0", p, "--", "set", "interface", p, `ofport_request=${i + 1}`]),
    "--", "set-controller", "br0", o.controller,
    "--", "set", "controller", "br0", "max_backoff=1000",
  ];
}
