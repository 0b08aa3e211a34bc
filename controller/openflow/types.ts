import { OfpEncodeError } from './errors';

/**
 * Version-neutral OpenFlow message model shared by the v1_0 and v1_3 codecs.
 *
 * Conventions:
 * - Port numbers use the OpenFlow 1.3 32-bit space (OFPP_FLOOD = 0xfffffffb ...);
 *   the v1_0 codec maps them to and from the 16-bit values (0xfffb ...).
 * - MAC addresses are "aa:bb:cc:dd:ee:ff", IPv4 addresses dotted quads.
 * - Datapath ids are 16 lowercase hex digits ("0000aabbccddeeff").
 * - Cookies, counters of 64 bits, metadata and tunnel ids are bigint.
 * - Bit fields that differ between versions (port config/state/features,
 *   capabilities, flow-mod flags) are kept as raw numbers of the wire version.
 * - Fields marked "(1.3)" or "(1.0)" only exist on that wire version; the other
 *   codec omits them when decoding and ignores or rejects them when encoding.
 */

export type MacAddress = string;
export type Ipv4Address = string;

/** Neutral match. An absent field is wildcarded. */
export interface Match {
  in_port?: number;
  eth_dst?: MacAddress;
  eth_dst_mask?: MacAddress;
  eth_src?: MacAddress;
  eth_src_mask?: MacAddress;
  eth_type?: number;
  /** VLAN id; 1.3 style, i.e. OFPVID_PRESENT (0x1000) | vid for tagged, 0 (OFPVID_NONE) for untagged. */
  vlan_vid?: number;
  vlan_vid_mask?: number;
  vlan_pcp?: number;
  /** 6-bit DSCP (1.0 nw_tos >> 2). */
  ip_dscp?: number;
  ip_proto?: number;
  ipv4_src?: Ipv4Address;
  ipv4_src_mask?: Ipv4Address;
  ipv4_dst?: Ipv4Address;
  ipv4_dst_mask?: Ipv4Address;
  tcp_src?: number;
  tcp_dst?: number;
  udp_src?: number;
  udp_dst?: number;
  icmpv4_type?: number;
  icmpv4_code?: number;
  arp_op?: number;
  arp_spa?: Ipv4Address;
  arp_spa_mask?: Ipv4Address;
  arp_tpa?: Ipv4Address;
  arp_tpa_mask?: Ipv4Address;
  tunnel_id?: bigint;
  tunnel_id_mask?: bigint;
  metadata?: bigint;
  metadata_mask?: bigint;
  /** (1.3) OXM TLVs this library does not model, kept verbatim. */
  oxm_raw?: OxmRaw[];
  /**
   * (1.3) Wire order of the OXM TLVs, present only when it differs from the
   * canonical (field-number) order this codec writes, so that re-encoding a
   * decoded match is byte-identical. Entries are field names, or 'raw' for the
   * next element of oxm_raw. Applications can ignore it.
   */
  oxm_order?: string[];
}

export interface OxmRaw {
  oxm_class: number;
  field: number;
  hasmask: boolean;
  /** Value and, when hasmask, the mask: exactly the TLV payload. */
  value: Buffer;
}

/** Match fields that can be the target of a 1.3 SET_FIELD action. */
export type SetFieldName =
  | 'eth_dst'
  | 'eth_src'
  | 'eth_type'
  | 'vlan_vid'
  | 'vlan_pcp'
  | 'ip_dscp'
  | 'ip_proto'
  | 'ipv4_src'
  | 'ipv4_dst'
  | 'tcp_src'
  | 'tcp_dst'
  | 'udp_src'
  | 'udp_dst'
  | 'icmpv4_type'
  | 'icmpv4_code'
  | 'arp_op'
  | 'arp_spa'
  | 'arp_tpa'
  | 'tunnel_id'
  | 'in_port'
  | 'metadata';

export type SetFieldAction = {
  [K in SetFieldName]: { type: 'set_field'; field: K; value: NonNullable<Match[K]> };
}[SetFieldName];

export type Action =
  | { type: 'output'; port: number; max_len?: number }
  // 1.3 actions
  | { type: 'push_vlan'; ethertype: number }
  | { type: 'pop_vlan' }
  | { type: 'group'; group_id: number }
  | SetFieldAction
  // 1.0 actions
  | { type: 'set_vlan_vid'; vlan_vid: number }
  | { type: 'set_vlan_pcp'; vlan_pcp: number }
  | { type: 'strip_vlan' }
  | { type: 'set_dl_src'; mac: MacAddress }
  | { type: 'set_dl_dst'; mac: MacAddress }
  | { type: 'set_nw_src'; ip: Ipv4Address }
  | { type: 'set_nw_dst'; ip: Ipv4Address }
  | { type: 'set_nw_tos'; nw_tos: number }
  | { type: 'set_tp_src'; port: number }
  | { type: 'set_tp_dst'; port: number }
  | { type: 'enqueue'; port: number; queue_id: number }
  /** An action this library does not model; `raw` is the whole TLV including its header. */
  | { type: 'raw'; action_type: number; raw: Buffer };

export type Instruction =
  | { type: 'goto_table'; table_id: number }
  | { type: 'write_metadata'; metadata: bigint; metadata_mask: bigint }
  | { type: 'write_actions'; actions: Action[] }
  | { type: 'apply_actions'; actions: Action[] }
  | { type: 'clear_actions' }
  /** An instruction this library does not model; `raw` is the whole TLV. */
  | { type: 'raw'; instruction_type: number; raw: Buffer };

export interface PortDesc {
  port_no: number;
  hw_addr: MacAddress;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  /** (1.3) kbps */
  curr_speed?: number;
  /** (1.3) kbps */
  max_speed?: number;
}

export type HelloElement =
  | { type: 'versionbitmap'; bitmaps: number[] }
  | { type: 'unknown'; elem_type: number; data: Buffer };

export type FlowModCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';

export interface FlowStats {
  table_id: number;
  duration_sec: number;
  duration_nsec: number;
  priority: number;
  idle_timeout: number;
  hard_timeout: number;
  /** (1.3) OFPFF_* flags */
  flags?: number;
  cookie: bigint;
  packet_count: bigint;
  byte_count: bigint;
  match: Match;
  /** (1.0) */
  actions?: Action[];
  /** (1.3) */
  instructions?: Instruction[];
}

export interface TableStats {
  table_id: number;
  /** (1.0) */
  name?: string;
  /** (1.0) OFPFW_* bits supported */
  wildcards?: number;
  /** (1.0) */
  max_entries?: number;
  active_count: number;
  lookup_count: bigint;
  matched_count: bigint;
}

export interface PortStats {
  port_no: number;
  rx_packets: bigint;
  tx_packets: bigint;
  rx_bytes: bigint;
  tx_bytes: bigint;
  rx_dropped: bigint;
  tx_dropped: bigint;
  rx_errors: bigint;
  tx_errors: bigint;
  rx_frame_err: bigint;
  rx_over_err: bigint;
  rx_crc_err: bigint;
  collisions: bigint;
  /** (1.3) */
  duration_sec?: number;
  /** (1.3) */
  duration_nsec?: number;
}

export interface FlowStatsRequestBody {
  table_id: number;
  out_port: number;
  /** (1.3) */
  out_group?: number;
  /** (1.3) */
  cookie?: bigint;
  /** (1.3) */
  cookie_mask?: bigint;
  match: Match;
}

export type MultipartRequestBody =
  | { kind: 'desc' }
  | ({ kind: 'flow' } & FlowStatsRequestBody)
  | ({ kind: 'aggregate' } & FlowStatsRequestBody)
  | { kind: 'table' }
  | { kind: 'port_stats'; port_no: number }
  /** (1.3) OFPMP_PORT_DESC */
  | { kind: 'port_desc' }
  | { kind: 'unknown'; mp_type: number; body: Buffer };

export interface DescStats {
  mfr_desc: string;
  hw_desc: string;
  sw_desc: string;
  serial_num: string;
  dp_desc: string;
}

export type MultipartReplyBody =
  | ({ kind: 'desc' } & DescStats)
  | { kind: 'flow'; flows: FlowStats[] }
  | { kind: 'aggregate'; packet_count: bigint; byte_count: bigint; flow_count: number }
  | { kind: 'table'; tables: TableStats[] }
  | { kind: 'port_stats'; ports: PortStats[] }
  | { kind: 'port_desc'; ports: PortDesc[] }
  | { kind: 'unknown'; mp_type: number; body: Buffer };

export type MultipartKind = MultipartReplyBody['kind'];

interface Base {
  /** Wire version; always set by decodeMessage, ignored by encodeMessage. */
  version?: number;
  xid: number;
}

export interface HelloMsg extends Base {
  type: 'hello';
  /** (1.3+) hello elements; absent for a bare header. */
  elements?: HelloElement[];
}
export interface ErrorMsg extends Base {
  type: 'error';
  /** OFPET_* ; 0xffff is OFPET_EXPERIMENTER (1.3). */
  error_type: number;
  /** OFP*C_* code, or exp_type for OFPET_EXPERIMENTER. */
  code: number;
  /** (1.3) experimenter id when error_type is 0xffff. */
  experimenter?: number;
  data: Buffer;
}
export interface EchoRequestMsg extends Base {
  type: 'echo_request';
  data: Buffer;
}
export interface EchoReplyMsg extends Base {
  type: 'echo_reply';
  data: Buffer;
}
export interface FeaturesRequestMsg extends Base {
  type: 'features_request';
}
export interface FeaturesReplyMsg extends Base {
  type: 'features_reply';
  datapath_id: string;
  n_buffers: number;
  n_tables: number;
  /** (1.3) */
  auxiliary_id?: number;
  capabilities: number;
  /** (1.0) OFPAT bitmap of supported actions. */
  actions?: number;
  /** (1.3) reserved word. */
  reserved?: number;
  /** (1.0) port list; 1.3 switches answer OFPMP_PORT_DESC instead. */
  ports?: PortDesc[];
}
export interface GetConfigRequestMsg extends Base {
  type: 'get_config_request';
}
export interface GetConfigReplyMsg extends Base {
  type: 'get_config_reply';
  flags: number;
  miss_send_len: number;
}
export interface SetConfigMsg extends Base {
  type: 'set_config';
  flags: number;
  miss_send_len: number;
}
export interface PacketInMsg extends Base {
  type: 'packet_in';
  buffer_id: number;
  total_len: number;
  /** OFPR_* */
  reason: number;
  /** Ingress port; in 1.3 copied from match.in_port when present. */
  in_port?: number;
  /** (1.3) */
  table_id?: number;
  /** (1.3) */
  cookie?: bigint;
  /** (1.3) packet metadata as OXM match. */
  match?: Match;
  data: Buffer;
}
export interface PacketOutMsg extends Base {
  type: 'packet_out';
  buffer_id: number;
  in_port: number;
  actions: Action[];
  data: Buffer;
}
export interface FlowModMsg extends Base {
  type: 'flow_mod';
  command: FlowModCommand;
  cookie: bigint;
  /** (1.3) */
  cookie_mask?: bigint;
  /** (1.3) */
  table_id?: number;
  idle_timeout: number;
  hard_timeout: number;
  priority: number;
  buffer_id: number;
  out_port: number;
  /** (1.3) */
  out_group?: number;
  /** OFPFF_* */
  flags: number;
  match: Match;
  /** (1.0) action list. When encoding 1.3, wrapped into one apply_actions instruction. */
  actions?: Action[];
  /** (1.3) instruction list. When encoding 1.0, only apply_actions (flattened) is accepted. */
  instructions?: Instruction[];
}
export interface FlowRemovedMsg extends Base {
  type: 'flow_removed';
  cookie: bigint;
  priority: number;
  /** OFPRR_* */
  reason: number;
  /** (1.3) */
  table_id?: number;
  duration_sec: number;
  duration_nsec: number;
  idle_timeout: number;
  /** (1.3) */
  hard_timeout?: number;
  packet_count: bigint;
  byte_count: bigint;
  match: Match;
}
export interface PortStatusMsg extends Base {
  type: 'port_status';
  /** OFPPR_ADD/DELETE/MODIFY */
  reason: number;
  desc: PortDesc;
}
export interface BarrierRequestMsg extends Base {
  type: 'barrier_request';
}
export interface BarrierReplyMsg extends Base {
  type: 'barrier_reply';
}
export interface MultipartRequestMsg extends Base {
  type: 'multipart_request';
  /** OFPMPF_REQ_MORE (1.3); 0 in 1.0. */
  flags: number;
  body: MultipartRequestBody;
}
export interface MultipartReplyMsg extends Base {
  type: 'multipart_reply';
  /** OFPMPF_REPLY_MORE / OFPSF_REPLY_MORE is bit 0 in both versions. */
  flags: number;
  body: MultipartReplyBody;
}
export interface RoleRequestMsg extends Base {
  type: 'role_request';
  /** OFPCR_ROLE_* */
  role: number;
  generation_id: bigint;
}
export interface RoleReplyMsg extends Base {
  type: 'role_reply';
  role: number;
  generation_id: bigint;
}
/** A message type this library does not decode; the connection layer answers OFPBRC_BAD_TYPE. */
export interface UnknownMsg extends Base {
  type: 'unknown';
  msgType: number;
  raw: Buffer;
}
/** A known message whose body could not be parsed; the connection layer answers OFPBRC_BAD_LEN. */
export interface MalformedMsg extends Base {
  type: 'malformed';
  msgType: number;
  reason: string;
  raw: Buffer;
}

export type OfpMessage =
  | HelloMsg
  | ErrorMsg
  | EchoRequestMsg
  | EchoReplyMsg
  | FeaturesRequestMsg
  | FeaturesReplyMsg
  | GetConfigRequestMsg
  | GetConfigReplyMsg
  | SetConfigMsg
  | PacketInMsg
  | PacketOutMsg
  | FlowModMsg
  | FlowRemovedMsg
  | PortStatusMsg
  | BarrierRequestMsg
  | BarrierReplyMsg
  | MultipartRequestMsg
  | MultipartReplyMsg
  | RoleRequestMsg
  | RoleReplyMsg
  | UnknownMsg
  | MalformedMsg;

export type OfpMessageType = OfpMessage['type'];

/** What decodeMessage returns: every message carries its wire version. */
export type DecodedMessage = OfpMessage & { version: number };

/** Exhaustiveness guard; only reachable with input that violates the types. */
export function assertNever(x: never, what = 'value'): never {
  throw new OfpEncodeError(`unhandled ${what}: ${String((x as { type?: unknown })?.type ?? x)}`);
}
