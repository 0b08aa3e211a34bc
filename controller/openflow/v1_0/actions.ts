import { Reader, Writer } from '../buf';
import { OfpDecodeError, OfpEncodeError } from '../errors';
import { portFrom10, portTo10 } from '../ports';
import { assertNever, type Action } from '../types';
import * as C from './constants';

const OFPVID_PRESENT = 0x1000;

function port10(p: number): number {
  const v = portTo10(p);
  if (v === undefined) throw new OfpEncodeError(`port ${p} has no OpenFlow 1.0 form`);
  return v;
}

/** Decodes an OpenFlow 1.0 action list occupying exactly `len` bytes. */
export function decodeActions10(r: Reader, len: number): Action[] {
  const s = r.sub(len, 'action list');
  const out: Action[] = [];
  while (s.remaining > 0) {
    s.need(4, 'action header');
    const start = s.pos;
    const type = s.u16();
    const alen = s.u16();
    if (alen < C.OFP_ACTION_HEADER_SIZE || alen % 8 !== 0) throw new OfpDecodeError(`bad action length ${alen}`);
    s.pos = start;
    const a = s.sub(alen, 'action');
    a.skip(4);
    switch (type) {
      case C.OFPAT_OUTPUT:
        expectActionSize(type, alen, C.OFP_ACTION_OUTPUT_SIZE);
        out.push({ type: 'output', port: portFrom10(a.u16()), max_len: a.u16() });
        break;
      case C.OFPAT_SET_VLAN_VID:
        expectActionSize(type, alen, C.OFP_ACTION_VLAN_VID_SIZE);
        out.push({ type: 'set_vlan_vid', vlan_vid: a.u16() });
        break;
      case C.OFPAT_SET_VLAN_PCP:
        expectActionSize(type, alen, C.OFP_ACTION_VLAN_PCP_SIZE);
        out.push({ type: 'set_vlan_pcp', vlan_pcp: a.u8() });
        break;
      case C.OFPAT_STRIP_VLAN:
        expectActionSize(type, alen, C.OFP_ACTION_HEADER_SIZE);
        out.push({ type: 'strip_vlan' });
        break;
      case C.OFPAT_SET_DL_SRC:
      case C.OFPAT_SET_DL_DST:
        expectActionSize(type, alen, C.OFP_ACTION_DL_ADDR_SIZE);
        out.push({ type: type === C.OFPAT_SET_DL_SRC ? 'set_dl_src' : 'set_dl_dst', mac: a.mac() });
        break;
      case C.OFPAT_SET_NW_SRC:
      case C.OFPAT_SET_NW_DST:
        expectActionSize(type, alen, C.OFP_ACTION_NW_ADDR_SIZE);
        out.push({ type: type === C.OFPAT_SET_NW_SRC ? 'set_nw_src' : 'set_nw_dst', ip: a.ipv4() });
        break;
      case C.OFPAT_SET_NW_TOS:
        expectActionSize(type, alen, C.OFP_ACTION_NW_TOS_SIZE);
        out.push({ type: 'set_nw_tos', nw_tos: a.u8() });
        break;
      case C.OFPAT_SET_TP_SRC:
      case C.OFPAT_SET_TP_DST:
        expectActionSize(type, alen, C.OFP_ACTION_TP_PORT_SIZE);
        out.push({ type: type === C.OFPAT_SET_TP_SRC ? 'set_tp_src' : 'set_tp_dst', port: a.u16() });
        break;
      case C.OFPAT_ENQUEUE: {
        expectActionSize(type, alen, C.OFP_ACTION_ENQUEUE_SIZE);
        const port = portFrom10(a.u16());
        a.skip(6);
        out.push({ type: 'enqueue', port, queue_id: a.u32() });
        break;
      }
      default:
        out.push({ type: 'raw', action_type: type, raw: Buffer.from(s.buf.subarray(start, start + alen)) });
    }
  }
  return out;
}

/** Fixed-size actions must have exactly their size. (A top-level function, not a closure per action: see README.md, "Performance rules".) */
function expectActionSize(type: number, alen: number, size: number): void {
  if (alen !== size) throw new OfpDecodeError(`action type ${type} must be ${size} bytes, is ${alen}`);
}

function head(w: Writer, type: number, len: number): void {
  w.u16(type).u16(len);
}

/**
 * Encodes actions as OpenFlow 1.0 actions. The 1.3 forms with a 1.0
 * equivalent (set_field on L2/L3/L4 fields, pop_vlan) are translated; others
 * throw OfpEncodeError.
 */
export function encodeActions10(w: Writer, actions: readonly Action[]): void {
  for (const a of actions) encodeAction10(w, a);
}

function encodeAction10(w: Writer, a: Action): void {
  switch (a.type) {
    case 'output':
      head(w, C.OFPAT_OUTPUT, 8);
      w.u16(port10(a.port)).u16(a.max_len ?? 0);
      return;
    case 'set_vlan_vid':
      head(w, C.OFPAT_SET_VLAN_VID, 8);
      w.u16(a.vlan_vid).zeros(2);
      return;
    case 'set_vlan_pcp':
      head(w, C.OFPAT_SET_VLAN_PCP, 8);
      w.u8(a.vlan_pcp).zeros(3);
      return;
    case 'strip_vlan':
    case 'pop_vlan':
      head(w, C.OFPAT_STRIP_VLAN, 8);
      w.zeros(4);
      return;
    case 'set_dl_src':
    case 'set_dl_dst':
      head(w, a.type === 'set_dl_src' ? C.OFPAT_SET_DL_SRC : C.OFPAT_SET_DL_DST, 16);
      w.mac(a.mac).zeros(6);
      return;
    case 'set_nw_src':
    case 'set_nw_dst':
      head(w, a.type === 'set_nw_src' ? C.OFPAT_SET_NW_SRC : C.OFPAT_SET_NW_DST, 8);
      w.ipv4(a.ip);
      return;
    case 'set_nw_tos':
      head(w, C.OFPAT_SET_NW_TOS, 8);
      w.u8(a.nw_tos).zeros(3);
      return;
    case 'set_tp_src':
    case 'set_tp_dst':
      head(w, a.type === 'set_tp_src' ? C.OFPAT_SET_TP_SRC : C.OFPAT_SET_TP_DST, 8);
      w.u16(a.port).zeros(2);
      return;
    case 'enqueue':
      head(w, C.OFPAT_ENQUEUE, 16);
      w.u16(port10(a.port)).zeros(6).u32(a.queue_id);
      return;
    case 'raw':
      if (a.raw.length < 8 || a.raw.length % 8 !== 0) throw new OfpEncodeError('raw action must be a multiple of 8 bytes');
      w.bytes(a.raw);
      return;
    case 'set_field':
      encodeSetField10(w, a);
      return;
    case 'push_vlan':
    case 'group':
      throw new OfpEncodeError(`action ${a.type} does not exist in OpenFlow 1.0`);
    default:
      assertNever(a, 'action');
  }
}

function encodeSetField10(w: Writer, a: Extract<Action, { type: 'set_field' }>): void {
  switch (a.field) {
    case 'eth_src':
      return encodeAction10(w, { type: 'set_dl_src', mac: a.value });
    case 'eth_dst':
      return encodeAction10(w, { type: 'set_dl_dst', mac: a.value });
    case 'ipv4_src':
      return encodeAction10(w, { type: 'set_nw_src', ip: a.value });
    case 'ipv4_dst':
      return encodeAction10(w, { type: 'set_nw_dst', ip: a.value });
    case 'tcp_src':
    case 'udp_src':
      return encodeAction10(w, { type: 'set_tp_src', port: a.value });
    case 'tcp_dst':
    case 'udp_dst':
      return encodeAction10(w, { type: 'set_tp_dst', port: a.value });
    case 'vlan_vid':
      return encodeAction10(w, { type: 'set_vlan_vid', vlan_vid: a.value & ~OFPVID_PRESENT });
    case 'vlan_pcp':
      return encodeAction10(w, { type: 'set_vlan_pcp', vlan_pcp: a.value });
    case 'ip_dscp':
      return encodeAction10(w, { type: 'set_nw_tos', nw_tos: a.value << 2 });
    default:
      throw new OfpEncodeError(`set_field ${a.field} has no OpenFlow 1.0 action`);
  }
}
