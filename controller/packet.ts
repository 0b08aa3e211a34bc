// Just enough Ethernet/ARP/IPv4 parsing to summarise and steer a PACKET_IN. Pure; never throws:
// a frame too short for a header yields what could be read. Also the two frames a moved VM
// announces itself with (built, not parsed; these do throw on a malformed address).
import { macAt, parseIpv4, parseMac } from "./openflow/buf";

export interface EthSummary {
  eth_dst: string;
  eth_src: string;
  /** EtherType after any 802.1Q tag. */
  eth_type: number;
  vlan_vid?: number;
  arp?: { op: number; spa: string; tpa: string; sha: string };
  ipv4?: { src: string; dst: string; proto: number };
  l4?: { src: number; dst: number };
}

export const ETH_TYPE_IPV4 = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const ETH_TYPE_VLAN = 0x8100;
export const ETH_TYPE_RARP = 0x8035;
export const ETH_TYPE_IPV6 = 0x86dd;
export const ETH_TYPE_LLDP = 0x88cc;

/** The MAC address in the 6 bytes at `off` (lower-case aa:bb:cc:dd:ee:ff); shared with the codec. */
export { macAt };

function ipAt(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function parseEthernet(frame: Buffer): EthSummary | null {
  if (frame.length < 14) return null;
  const out: EthSummary = { eth_dst: macAt(frame, 0), eth_src: macAt(frame, 6), eth_type: frame.readUInt16BE(12) };
  let off = 14;
  if (out.eth_type === ETH_TYPE_VLAN && frame.length >= 18) {
    out.vlan_vid = frame.readUInt16BE(14) & 0x0fff;
    out.eth_type = frame.readUInt16BE(16);
    off = 18;
  }
  if ((out.eth_type === ETH_TYPE_ARP || out.eth_type === ETH_TYPE_RARP) && frame.length >= off + 28) {
    out.arp = { op: frame.readUInt16BE(off + 6), sha: macAt(frame, off + 8), spa: ipAt(frame, off + 14), tpa: ipAt(frame, off + 24) };
  } else if (out.eth_type === ETH_TYPE_IPV4 && frame.length >= off + 20) {
    const ihl = (frame[off]! & 0x0f) * 4;
    out.ipv4 = { src: ipAt(frame, off + 12), dst: ipAt(frame, off + 16), proto: frame[off + 9]! };
    const l4 = off + ihl;
    if ((out.ipv4.proto === 6 || out.ipv4.proto === 17) && frame.length >= l4 + 4) {
      out.l4 = { src: frame.readUInt16BE(l4), dst: frame.readUInt16BE(l4 + 2) };
    }
  }
  return out;
}

/** Group bit set: broadcast or multicast. */
export function isMulticast(mac: string): boolean {
  // Runs twice per PACKET_IN: read the second hex digit (the low bits of the first octet) directly.
  const hi = hexValue(mac.charCodeAt(0));
  const lo = hexValue(mac.charCodeAt(1));
  if (hi >= 0 && lo >= 0) return (lo & 1) === 1;
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1; // unusual spellings such as "1:0:5e:…"
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** IEEE 802.1D reserved group addresses 01:80:c2:00:00:0x (STP, LLDP, pause…): never forwarded by bridges. */
export function isReservedMac(mac: string): boolean {
  return mac.startsWith("01:80:c2:00:00:0");
}

// ── announcement frames ──────────────────────────────────────────────────────────────────────
const ETH_MIN_FRAME = 60; // without FCS
const ARP_OP_REQUEST = 1;
const RARP_OP_REQUEST_REVERSE = 3;

/** An Ethernet/IPv4 ARP-format frame from `mac` to broadcast, zero-padded to the minimum size. */
function arpFormatFrame(ethType: number, op: number, mac: Buffer, spa: number, tha: Buffer, tpa: number): Buffer {
  const f = Buffer.alloc(ETH_MIN_FRAME);
  f.fill(0xff, 0, 6);
  mac.copy(f, 6);
  f.writeUInt16BE(ethType, 12);
  f.writeUInt16BE(1, 14); // hardware: Ethernet
  f.writeUInt16BE(ETH_TYPE_IPV4, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(op, 20);
  mac.copy(f, 22);
  f.writeUInt32BE(spa, 28);
  tha.copy(f, 32);
  f.writeUInt32BE(tpa, 38);
  return f;
}

/**
 * The RARP frame QEMU broadcasts after a migration (qemu_announce_self): reverse request with
 * sender and target hardware address = mac, protocol addresses 0. Needs no IP, so it works for any guest.
 */
export function rarpAnnounce(mac: string): Buffer {
  const m = parseMac(mac);
  return arpFormatFrame(ETH_TYPE_RARP, RARP_OP_REQUEST_REVERSE, m, 0, m, 0);
}

/** A gratuitous ARP request for ip from mac (spa = tpa = ip, tha = 0), to broadcast: refreshes neighbours' caches. */
export function gratuitousArp(mac: string, ip: string): Buffer {
  const addr = parseIpv4(ip);
  return arpFormatFrame(ETH_TYPE_ARP, ARP_OP_REQUEST, parseMac(mac), addr, Buffer.alloc(6), addr);
}
