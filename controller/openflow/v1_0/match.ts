import { Reader, Writer, ipv4PrefixLen, parseIpv4, formatIpv4, prefixMask } from '../buf';
import { OfpEncodeError } from '../errors';
import { portFrom10, portTo10 } from '../ports';
import type { Match } from '../types';
import {
  OFPFW_DL_DST,
  OFPFW_DL_SRC,
  OFPFW_DL_TYPE,
  OFPFW_DL_VLAN,
  OFPFW_DL_VLAN_PCP,
  OFPFW_IN_PORT,
  OFPFW_NW_DST_ALL,
  OFPFW_NW_DST_SHIFT,
  OFPFW_NW_PROTO,
  OFPFW_NW_SRC_ALL,
  OFPFW_NW_SRC_SHIFT,
  OFPFW_NW_TOS,
  OFPFW_TP_DST,
  OFPFW_TP_SRC,
  OFP_MATCH_SIZE,
  OFP_VLAN_NONE,
} from './constants';

const ETH_TYPE_ARP = 0x0806;
const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const OFPVID_PRESENT = 0x1000;
const EXACT_MAC = 'ff:ff:ff:ff:ff:ff';

/** Every field wildcarded, with the nw_src/nw_dst bit counts at 32 as switches send them. */
const OFPFW_NONE_MATCHED = 0xff | OFPFW_NW_SRC_ALL | OFPFW_NW_DST_ALL | OFPFW_DL_VLAN_PCP | OFPFW_NW_TOS;

/** Decodes struct ofp_match (40 bytes). Wildcarded fields are left out. */
export function decodeMatch10(r: Reader): Match {
  const s = r.sub(OFP_MATCH_SIZE, 'ofp_match');
  const w = s.u32();
  const inPort = s.u16();
  const dlSrc = s.mac();
  const dlDst = s.mac();
  const dlVlan = s.u16();
  const dlVlanPcp = s.u8();
  s.skip(1);
  const dlType = s.u16();
  const nwTos = s.u8();
  const nwProto = s.u8();
  s.skip(2);
  const nwSrc = s.u32();
  const nwDst = s.u32();
  const tpSrc = s.u16();
  const tpDst = s.u16();

  const m: Match = {};
  if (!(w & OFPFW_IN_PORT)) m.in_port = portFrom10(inPort);
  if (!(w & OFPFW_DL_SRC)) m.eth_src = dlSrc;
  if (!(w & OFPFW_DL_DST)) m.eth_dst = dlDst;
  if (!(w & OFPFW_DL_TYPE)) m.eth_type = dlType;
  if (!(w & OFPFW_DL_VLAN)) m.vlan_vid = dlVlan === OFP_VLAN_NONE ? 0 : OFPVID_PRESENT | (dlVlan & 0xfff);
  if (!(w & OFPFW_DL_VLAN_PCP)) m.vlan_pcp = dlVlanPcp;
  if (!(w & OFPFW_NW_TOS)) m.ip_dscp = nwTos >> 2;
  const isArp = m.eth_type === ETH_TYPE_ARP;
  if (!(w & OFPFW_NW_PROTO)) {
    if (isArp) m.arp_op = nwProto;
    else m.ip_proto = nwProto;
  }
  const srcBits = (w >>> OFPFW_NW_SRC_SHIFT) & 0x3f;
  if (srcBits < 32) {
    const key = isArp ? 'arp_spa' : 'ipv4_src';
    m[key] = formatIpv4(nwSrc);
    if (srcBits > 0) m[`${key}_mask`] = formatIpv4(prefixMask(32 - srcBits));
  }
  const dstBits = (w >>> OFPFW_NW_DST_SHIFT) & 0x3f;
  if (dstBits < 32) {
    const key = isArp ? 'arp_tpa' : 'ipv4_dst';
    m[key] = formatIpv4(nwDst);
    if (dstBits > 0) m[`${key}_mask`] = formatIpv4(prefixMask(32 - dstBits));
  }
  // tp_src/tp_dst mean ICMP type/code for ICMP; other protocols default to the TCP names.
  const l4 = m.ip_proto === IPPROTO_UDP ? 'udp' : m.ip_proto === IPPROTO_ICMP ? 'icmp' : 'tcp';
  if (!(w & OFPFW_TP_SRC)) {
    if (l4 === 'udp') m.udp_src = tpSrc;
    else if (l4 === 'icmp') m.icmpv4_type = tpSrc;
    else m.tcp_src = tpSrc;
  }
  if (!(w & OFPFW_TP_DST)) {
    if (l4 === 'udp') m.udp_dst = tpDst;
    else if (l4 === 'icmp') m.icmpv4_code = tpDst;
    else m.tcp_dst = tpDst;
  }
  return m;
}

function one<T>(what: string, ...vals: (T | undefined)[]): T | undefined {
  const present = vals.filter((v) => v !== undefined);
  if (present.length > 1) throw new OfpEncodeError(`OpenFlow 1.0 match cannot hold both ${what}`);
  return present[0];
}

function wildcardBits(mask: string | undefined): number {
  if (mask === undefined) return 0;
  const len = ipv4PrefixLen(parseIpv4(mask));
  if (len < 0) throw new OfpEncodeError(`OpenFlow 1.0 only supports prefix masks, got ${mask}`);
  return 32 - len;
}

/** Encodes a neutral match as struct ofp_match; throws OfpEncodeError for fields 1.0 cannot express. */
export function encodeMatch10(w: Writer, m: Match): void {
  for (const k of ['tunnel_id', 'metadata', 'oxm_raw', 'vlan_vid_mask'] as const) {
    if (m[k] !== undefined && !(k === 'oxm_raw' && m.oxm_raw?.length === 0)) {
      throw new OfpEncodeError(`OpenFlow 1.0 match cannot express ${k}`);
    }
  }
  for (const k of ['eth_src_mask', 'eth_dst_mask'] as const) {
    const v = m[k];
    if (v !== undefined && v.toLowerCase() !== EXACT_MAC) {
      throw new OfpEncodeError(`OpenFlow 1.0 match cannot express ${k}`);
    }
  }
  let wc = OFPFW_NONE_MATCHED;
  let inPort = 0;
  if (m.in_port !== undefined) {
    const p = portTo10(m.in_port);
    if (p === undefined) throw new OfpEncodeError(`in_port ${m.in_port} has no OpenFlow 1.0 form`);
    inPort = p;
    wc &= ~OFPFW_IN_PORT;
  }
  if (m.eth_src !== undefined) wc &= ~OFPFW_DL_SRC;
  if (m.eth_dst !== undefined) wc &= ~OFPFW_DL_DST;
  let dlVlan = 0;
  if (m.vlan_vid !== undefined) {
    dlVlan = m.vlan_vid === 0 ? OFP_VLAN_NONE : m.vlan_vid & 0xfff;
    wc &= ~OFPFW_DL_VLAN;
  }
  if (m.vlan_pcp !== undefined) wc &= ~OFPFW_DL_VLAN_PCP;
  if (m.eth_type !== undefined) wc &= ~OFPFW_DL_TYPE;
  if (m.ip_dscp !== undefined) wc &= ~OFPFW_NW_TOS;
  const nwProto = one('ip_proto and arp_op', m.ip_proto, m.arp_op);
  if (nwProto !== undefined) wc &= ~OFPFW_NW_PROTO;
  const nwSrc = one('ipv4_src and arp_spa', m.ipv4_src, m.arp_spa);
  const nwSrcMask = m.ipv4_src !== undefined ? m.ipv4_src_mask : m.arp_spa_mask;
  const nwDst = one('ipv4_dst and arp_tpa', m.ipv4_dst, m.arp_tpa);
  const nwDstMask = m.ipv4_dst !== undefined ? m.ipv4_dst_mask : m.arp_tpa_mask;
  if (nwSrc !== undefined) {
    wc = (wc & ~(0x3f << OFPFW_NW_SRC_SHIFT)) | (wildcardBits(nwSrcMask) << OFPFW_NW_SRC_SHIFT);
  }
  if (nwDst !== undefined) {
    wc = (wc & ~(0x3f << OFPFW_NW_DST_SHIFT)) | (wildcardBits(nwDstMask) << OFPFW_NW_DST_SHIFT);
  }
  const tpSrc = one('tcp_src, udp_src and icmpv4_type', m.tcp_src, m.udp_src, m.icmpv4_type);
  const tpDst = one('tcp_dst, udp_dst and icmpv4_code', m.tcp_dst, m.udp_dst, m.icmpv4_code);
  if (tpSrc !== undefined) wc &= ~OFPFW_TP_SRC;
  if (tpDst !== undefined) wc &= ~OFPFW_TP_DST;

  w.u32(wc >>> 0);
  w.u16(inPort);
  w.mac(m.eth_src ?? '00:00:00:00:00:00');
  w.mac(m.eth_dst ?? '00:00:00:00:00:00');
  w.u16(dlVlan);
  w.u8(m.vlan_pcp ?? 0);
  w.zeros(1);
  w.u16(m.eth_type ?? 0);
  w.u8((m.ip_dscp ?? 0) << 2);
  w.u8(nwProto ?? 0);
  w.zeros(2);
  w.u32(nwSrc !== undefined ? parseIpv4(nwSrc) : 0);
  w.u32(nwDst !== undefined ? parseIpv4(nwDst) : 0);
  w.u16(tpSrc ?? 0);
  w.u16(tpDst ?? 0);
}
