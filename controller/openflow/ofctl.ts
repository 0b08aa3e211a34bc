/**
 * Renders flows the way `ovs-ofctl dump-flows` (Open vSwitch 3.1) prints them,
 * so operators can compare Ferry's view with the switch's. Checked against
 * real ovs-ofctl output in ofctl.test.ts.
 */
import { ipv4PrefixLen, parseIpv4 } from './buf';
import * as P from './ports';
import { assertNever, type Action, type FlowModMsg, type FlowStats, type Instruction, type Match } from './types';

const OFP_DEFAULT_PRIORITY = 0x8000;
const OFPVID_PRESENT = 0x1000;

// OFPFF_* as OVS names them; bit 2 differs between 1.0 (emerg) and 1.3 (reset_counts).
const FLAG_NAMES_13: [number, string][] = [
  [1, 'send_flow_rem'],
  [2, 'check_overlap'],
  [4, 'reset_counts'],
  [8, 'no_packet_counts'],
  [16, 'no_byte_counts'],
];
const FLAG_NAMES_10: [number, string][] = [
  [1, 'send_flow_rem'],
  [2, 'check_overlap'],
  [4, 'emergency'],
];

const RESERVED_PORTS: Record<number, string> = {
  [P.OFPP_IN_PORT]: 'IN_PORT',
  [P.OFPP_TABLE]: 'TABLE',
  [P.OFPP_NORMAL]: 'NORMAL',
  [P.OFPP_FLOOD]: 'FLOOD',
  [P.OFPP_ALL]: 'ALL',
  [P.OFPP_CONTROLLER]: 'CONTROLLER',
  [P.OFPP_LOCAL]: 'LOCAL',
  [P.OFPP_ANY]: 'ANY',
};

export function formatPort(port: number): string {
  return RESERVED_PORTS[port] ?? String(port);
}

/** ofp_print_duration: 3 decimals when the value is whole milliseconds, otherwise as many as needed. */
export function formatDuration(sec: number, nsec: number): string {
  let s = String(sec);
  if (nsec > 0) {
    if (nsec % 1_000_000 === 0) s += `.${String(nsec / 1_000_000).padStart(3, '0')}`;
    else s += `.${String(nsec).padStart(9, '0').replace(/0+$/, '')}`;
  }
  return `${s}s`;
}

function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}

function ipWithMask(ip: string, mask: string | undefined): string {
  if (mask === undefined) return ip;
  const m = parseIpv4(mask);
  if (m === 0xffffffff) return ip;
  const len = ipv4PrefixLen(m);
  return len >= 0 ? `${ip}/${len}` : `${ip}/${mask}`;
}

function macWithMask(mac: string, mask: string | undefined): string {
  return mask === undefined || mask.toLowerCase() === 'ff:ff:ff:ff:ff:ff' ? mac : `${mac}/${mask}`;
}

/** match_format(): protocol shorthand first, then fields in OVS's fixed order, comma separated. */
export function formatMatch(m: Match, priority = OFP_DEFAULT_PRIORITY, version = 0x04): string {
  const parts: string[] = [];
  if (priority !== OFP_DEFAULT_PRIORITY) parts.push(`priority=${priority}`);
  let skipType = false;
  let skipProto = false;
  if (m.eth_type === 0x0800) {
    skipType = true;
    const proto = m.ip_proto === 1 ? 'icmp' : m.ip_proto === 6 ? 'tcp' : m.ip_proto === 17 ? 'udp' : m.ip_proto === 132 ? 'sctp' : undefined;
    if (proto) skipProto = true;
    parts.push(proto ?? 'ip');
  } else if (m.eth_type === 0x0806) {
    skipType = true;
    parts.push('arp');
  } else if (m.eth_type === 0x8035) {
    skipType = true;
    parts.push('rarp');
  }
  if (m.tunnel_id !== undefined) {
    const full = m.tunnel_id_mask === undefined || m.tunnel_id_mask === 0xffffffffffffffffn;
    parts.push(`tun_id=${hex(m.tunnel_id)}${full ? '' : `/${hex(m.tunnel_id_mask!)}`}`);
  }
  if (m.metadata !== undefined) {
    const full = m.metadata_mask === undefined || m.metadata_mask === 0xffffffffffffffffn;
    parts.push(`metadata=${hex(m.metadata)}${full ? '' : `/${hex(m.metadata_mask!)}`}`);
  }
  if (m.in_port !== undefined) parts.push(`in_port=${formatPort(m.in_port)}`);
  if (m.vlan_vid !== undefined) {
    const mask = m.vlan_vid_mask ?? 0x1fff;
    if (mask === 0x1fff && m.vlan_vid & OFPVID_PRESENT) parts.push(`dl_vlan=${m.vlan_vid & 0xfff}`);
    // 1.0's OFP_VLAN_NONE covers the whole TCI; the 1.3 OXM form only VID+CFI.
    else if (mask === 0x1fff && m.vlan_vid === 0) parts.push(version === 0x01 ? 'vlan_tci=0x0000' : 'vlan_tci=0x0000/0x1fff');
    else parts.push(`vlan_tci=0x${m.vlan_vid.toString(16).padStart(4, '0')}/0x${mask.toString(16).padStart(4, '0')}`);
  }
  // A PCP on an untagged match means nothing and OVS drops it.
  if (m.vlan_pcp !== undefined && m.vlan_vid !== 0) parts.push(`dl_vlan_pcp=${m.vlan_pcp}`);
  if (m.eth_src !== undefined) parts.push(`dl_src=${macWithMask(m.eth_src, m.eth_src_mask)}`);
  if (m.eth_dst !== undefined) parts.push(`dl_dst=${macWithMask(m.eth_dst, m.eth_dst_mask)}`);
  if (m.eth_type !== undefined && !skipType) parts.push(`dl_type=0x${m.eth_type.toString(16).padStart(4, '0')}`);
  if (m.ipv4_src !== undefined) parts.push(`nw_src=${ipWithMask(m.ipv4_src, m.ipv4_src_mask)}`);
  if (m.ipv4_dst !== undefined) parts.push(`nw_dst=${ipWithMask(m.ipv4_dst, m.ipv4_dst_mask)}`);
  if (m.arp_spa !== undefined) parts.push(`arp_spa=${ipWithMask(m.arp_spa, m.arp_spa_mask)}`);
  if (m.arp_tpa !== undefined) parts.push(`arp_tpa=${ipWithMask(m.arp_tpa, m.arp_tpa_mask)}`);
  if (m.arp_op !== undefined) parts.push(`arp_op=${m.arp_op}`);
  if (m.ip_proto !== undefined && !skipProto) parts.push(`nw_proto=${m.ip_proto}`);
  if (m.ip_dscp !== undefined) parts.push(`nw_tos=${m.ip_dscp << 2}`);
  if (m.icmpv4_type !== undefined) parts.push(`icmp_type=${m.icmpv4_type}`);
  if (m.icmpv4_code !== undefined) parts.push(`icmp_code=${m.icmpv4_code}`);
  const tpSrc = m.tcp_src ?? m.udp_src;
  const tpDst = m.tcp_dst ?? m.udp_dst;
  if (tpSrc !== undefined) parts.push(`tp_src=${tpSrc}`);
  if (tpDst !== undefined) parts.push(`tp_dst=${tpDst}`);
  return parts.join(',');
}

// OVS field names used in set_field:VALUE->FIELD.
const SET_FIELD_NAME: Record<string, string> = {
  eth_dst: 'eth_dst',
  eth_src: 'eth_src',
  eth_type: 'eth_type',
  vlan_vid: 'vlan_vid',
  vlan_pcp: 'vlan_pcp',
  ip_dscp: 'ip_dscp',
  ip_proto: 'nw_proto',
  ipv4_src: 'ip_src',
  ipv4_dst: 'ip_dst',
  tcp_src: 'tcp_src',
  tcp_dst: 'tcp_dst',
  udp_src: 'udp_src',
  udp_dst: 'udp_dst',
  icmpv4_type: 'icmp_type',
  icmpv4_code: 'icmp_code',
  arp_op: 'arp_op',
  arp_spa: 'arp_spa',
  arp_tpa: 'arp_tpa',
  tunnel_id: 'tun_id',
  in_port: 'in_port',
  metadata: 'metadata',
};

function formatAction(a: Action): string {
  switch (a.type) {
    case 'output':
      if (a.port === P.OFPP_CONTROLLER) return `CONTROLLER:${a.max_len ?? 0}`;
      return a.port >= P.OFPP_MAX ? formatPort(a.port) : `output:${a.port}`;
    case 'push_vlan':
      return `push_vlan:0x${a.ethertype.toString(16)}`;
    case 'pop_vlan':
      return 'pop_vlan';
    case 'group':
      return `group:${a.group_id}`;
    case 'set_field': {
      const v = typeof a.value === 'bigint' ? hex(a.value) : a.field === 'eth_type' ? hex(a.value as number) : String(a.value);
      return `set_field:${v}->${SET_FIELD_NAME[a.field] ?? a.field}`;
    }
    case 'set_vlan_vid':
      return `mod_vlan_vid:${a.vlan_vid}`;
    case 'set_vlan_pcp':
      return `mod_vlan_pcp:${a.vlan_pcp}`;
    case 'strip_vlan':
      return 'strip_vlan';
    case 'set_dl_src':
      return `mod_dl_src:${a.mac}`;
    case 'set_dl_dst':
      return `mod_dl_dst:${a.mac}`;
    case 'set_nw_src':
      return `mod_nw_src:${a.ip}`;
    case 'set_nw_dst':
      return `mod_nw_dst:${a.ip}`;
    case 'set_nw_tos':
      return `mod_nw_tos:${a.nw_tos}`;
    case 'set_tp_src':
      return `mod_tp_src:${a.port}`;
    case 'set_tp_dst':
      return `mod_tp_dst:${a.port}`;
    case 'enqueue':
      return `enqueue:${formatPort(a.port)}:${a.queue_id}`;
    case 'raw':
      return `raw(type=${a.action_type},${a.raw.toString('hex')})`;
    default:
      return assertNever(a, 'action');
  }
}

export function formatActions(actions: readonly Action[]): string {
  return actions.length === 0 ? 'drop' : actions.map(formatAction).join(',');
}

// OVS keeps instructions in this order whatever order they came in.
const INSTRUCTION_RANK: Record<Instruction['type'], number> = {
  apply_actions: 1,
  clear_actions: 2,
  write_actions: 3,
  write_metadata: 4,
  goto_table: 5,
  raw: 6,
};

/** 1.3 instructions: apply_actions print inline, the others as OVS names them. */
export function formatInstructions(instructions: readonly Instruction[]): string {
  const parts: string[] = [];
  const sorted = [...instructions].sort((a, b) => INSTRUCTION_RANK[a.type] - INSTRUCTION_RANK[b.type]);
  for (const i of sorted) {
    switch (i.type) {
      case 'apply_actions':
        if (i.actions.length > 0) parts.push(i.actions.map(formatAction).join(','));
        break;
      case 'write_actions':
        parts.push(`write_actions(${i.actions.map(formatAction).join(',')})`);
        break;
      case 'clear_actions':
        parts.push('clear_actions');
        break;
      case 'write_metadata':
        parts.push(
          i.metadata_mask === 0xffffffffffffffffn
            ? `write_metadata:${hex(i.metadata)}`
            : `write_metadata:${hex(i.metadata)}/${hex(i.metadata_mask)}`,
        );
        break;
      case 'goto_table':
        parts.push(`goto_table:${i.table_id}`);
        break;
      case 'raw':
        parts.push(`raw_instruction(type=${i.instruction_type},${i.raw.toString('hex')})`);
        break;
      default:
        assertNever(i, 'instruction');
    }
  }
  return parts.length === 0 ? 'drop' : parts.join(',');
}

function formatFlags(flags: number, version: number): string {
  const names = version === 0x01 ? FLAG_NAMES_10 : FLAG_NAMES_13;
  return names
    .filter(([bit]) => flags & bit)
    .map(([, name]) => `${name} `)
    .join('');
}

export interface FormatOptions {
  /** Wire version the flow came from; selects flag names. Default 1.3. */
  version?: number;
}

/** One dump-flows line (with its leading space, without a newline) for a flow-stats entry. */
export function formatFlowStats(fs: FlowStats, opts: FormatOptions = {}): string {
  let s = ` cookie=${hex(fs.cookie)}, duration=${formatDuration(fs.duration_sec, fs.duration_nsec)}, `;
  s += `table=${fs.table_id}, n_packets=${fs.packet_count}, n_bytes=${fs.byte_count}, `;
  if (fs.idle_timeout) s += `idle_timeout=${fs.idle_timeout}, `;
  if (fs.hard_timeout) s += `hard_timeout=${fs.hard_timeout}, `;
  if (fs.flags) s += formatFlags(fs.flags, opts.version ?? 0x04);
  const match = formatMatch(fs.match, fs.priority, opts.version ?? 0x04);
  if (match) s += `${match} `;
  const actions = fs.instructions !== undefined ? formatInstructions(fs.instructions) : formatActions(fs.actions ?? []);
  return `${s}actions=${actions}`;
}

export interface FlowCounters {
  duration_sec: number;
  duration_nsec: number;
  packet_count: bigint;
  byte_count: bigint;
}

/** Renders a flow Ferry installed (its FLOW_MOD) with counters obtained elsewhere. */
export function formatFlowMod(fm: FlowModMsg, counters: FlowCounters, opts: FormatOptions = {}): string {
  const fs: FlowStats = {
    table_id: fm.table_id ?? 0,
    duration_sec: counters.duration_sec,
    duration_nsec: counters.duration_nsec,
    priority: fm.priority,
    idle_timeout: fm.idle_timeout,
    hard_timeout: fm.hard_timeout,
    flags: fm.flags,
    cookie: fm.cookie,
    packet_count: counters.packet_count,
    byte_count: counters.byte_count,
    match: fm.match,
  };
  if (fm.instructions !== undefined) fs.instructions = fm.instructions;
  else fs.actions = fm.actions ?? [];
  return formatFlowStats(fs, opts);
}
