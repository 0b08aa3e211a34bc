// Fixed-IP and MAC allocation for new ports (the Neutron IPAM role). Pure: the caller passes
// what is in use; nothing here touches the database.
import { randomBytes } from "node:crypto";

export interface Ipv4Cidr {
  network: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new Error(`not an IPv4 address: "${ip}"`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): Ipv4Cidr {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !(prefix >= 8 && prefix <= 30)) throw new Error(`subnet must be IPv4 CIDR with a prefix of /8 to /30, got "${cidr}"`);
  const size = 2 ** (32 - prefix);
  const ip = ipToInt(m[1]!);
  if (ip % size !== 0) throw new Error(`"${cidr}" has host bits set`);
  return { network: ip, prefix };
}

export interface IpAllocationInput {
  cidr: string;
  gatewayIp?: string | null;
  /** Addresses already taken (ports) or set aside (the lab's clients). */
  used: Iterable<string>;
}

/**
 * The lowest free host address: not the network or broadcast address, not the gateway, not in
 * use. A subnet without a gateway keeps its first address free for one (Neutron's default
 * gateway), so adding a router later does not collide with a VM.
 */
export function nextFreeIp(input: IpAllocationInput): string {
  const { network, prefix } = parseCidr(input.cidr);
  const size = 2 ** (32 - prefix);
  const taken = new Set<number>();
  for (const ip of input.used) {
    try {
      taken.add(ipToInt(ip));
    } catch {
      // A malformed address in the registry cannot collide with a well-formed one.
    }
  }
  taken.add(input.gatewayIp ? ipToInt(input.gatewayIp) : network + 1);
  for (let n = network + 1; n < network + size - 1; n++) {
    if (!taken.has(n)) return intToIp(n);
  }
  throw new Error(`subnet ${input.cidr} has no free address left`);
}

/** A random locally administered unicast MAC (first octet 0x02), prefix 02:fe. */
export function randomLocalMac(random: (n: number) => Buffer = randomBytes): string {
  const tail = [...random(4)].map((b) => b.toString(16).padStart(2, "0"));
  return ["02", "fe", ...tail].join(":");
}

/** A MAC that is in none of `taken` (lower-case compare); gives up after a few draws. */
export function freeMac(taken: Set<string>, random?: (n: number) => Buffer): string {
  for (let i = 0; i < 16; i++) {
    const mac = randomLocalMac(random);
    if (!taken.has(mac)) return mac;
  }
  throw new Error("could not draw an unused MAC address");
}
