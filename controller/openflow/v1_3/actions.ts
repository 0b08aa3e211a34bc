import { Reader, Writer } from '../buf';
import { OfpDecodeError, OfpEncodeError } from '../errors';
import { assertNever, type Action, type SetFieldAction, type SetFieldName } from '../types';
import * as C from './constants';
import { decodeOxm, encodeOxm } from './oxm';

const SET_FIELD_NAMES = new Set<string>([
  'eth_dst', 'eth_src', 'eth_type', 'vlan_vid', 'vlan_pcp', 'ip_dscp', 'ip_proto', 'ipv4_src', 'ipv4_dst',
  'tcp_src', 'tcp_dst', 'udp_src', 'udp_dst', 'icmpv4_type', 'icmpv4_code', 'arp_op', 'arp_spa', 'arp_tpa',
  'tunnel_id', 'in_port', 'metadata',
] satisfies SetFieldName[]);

const pad8 = (n: number): number => (n + 7) & ~7;

/** Decodes an OpenFlow 1.3 action list occupying exactly `len` bytes. Unknown actions are kept raw. */
export function decodeActions13(r: Reader, len: number): Action[] {
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
      case C.OFPAT_OUTPUT: {
        expectActionSize(type, alen, C.OFP_ACTION_OUTPUT_SIZE);
        out.push({ type: 'output', port: a.u32(), max_len: a.u16() });
        break;
      }
      case C.OFPAT_PUSH_VLAN:
        expectActionSize(type, alen, C.OFP_ACTION_PUSH_SIZE);
        out.push({ type: 'push_vlan', ethertype: a.u16() });
        break;
      case C.OFPAT_POP_VLAN:
        expectActionSize(type, alen, C.OFP_ACTION_GENERIC_SIZE);
        out.push({ type: 'pop_vlan' });
        break;
      case C.OFPAT_GROUP:
        expectActionSize(type, alen, C.OFP_ACTION_GROUP_SIZE);
        out.push({ type: 'group', group_id: a.u32() });
        break;
      case C.OFPAT_SET_FIELD: {
        const d = decodeOxm(a);
        const oxmLen = a.pos - start - 4;
        // Only the plain, minimally padded form is modelled, so re-encoding is byte-identical.
        if ('raw' in d || d.mask !== undefined || !SET_FIELD_NAMES.has(d.name) || alen !== pad8(4 + oxmLen)) {
          out.push(rawAction(s, start, type, alen));
        } else {
          out.push({ type: 'set_field', field: d.name, value: d.value } as SetFieldAction);
        }
        break;
      }
      default:
        out.push(rawAction(s, start, type, alen));
    }
  }
  return out;
}

/** Fixed-size actions must have exactly their size. (A top-level function, not a closure per action: see README.md, "Performance rules".) */
function expectActionSize(type: number, alen: number, size: number): void {
  if (alen !== size) throw new OfpDecodeError(`action type ${type} must be ${size} bytes, is ${alen}`);
}

/** An action kept verbatim (a copy of its bytes). */
function rawAction(s: Reader, start: number, type: number, alen: number): Action {
  return { type: 'raw', action_type: type, raw: Buffer.from(s.buf.subarray(start, start + alen)) };
}

export function encodeActions13(w: Writer, actions: readonly Action[]): void {
  for (const a of actions) encodeAction13(w, a);
}

function setField(w: Writer, field: SetFieldName, value: unknown): void {
  const o = new Writer();
  encodeOxm(o, field, value);
  const oxm = o.toBuffer();
  const len = pad8(4 + oxm.length);
  w.u16(C.OFPAT_SET_FIELD).u16(len).bytes(oxm).zeros(len - 4 - oxm.length);
}

/**
 * Encodes one action as OpenFlow 1.3. The 1.0 set-dl/nw/vlan forms are
 * translated to SET_FIELD and strip_vlan to POP_VLAN; set_tp_* (protocol
 * unknown) and enqueue have no single 1.3 action and throw OfpEncodeError.
 */
function encodeAction13(w: Writer, a: Action): void {
  switch (a.type) {
    case 'output':
      w.u16(C.OFPAT_OUTPUT).u16(C.OFP_ACTION_OUTPUT_SIZE).u32(a.port).u16(a.max_len ?? 0).zeros(6);
      return;
    case 'push_vlan':
      w.u16(C.OFPAT_PUSH_VLAN).u16(8).u16(a.ethertype).zeros(2);
      return;
    case 'pop_vlan':
    case 'strip_vlan':
      w.u16(C.OFPAT_POP_VLAN).u16(8).zeros(4);
      return;
    case 'group':
      w.u16(C.OFPAT_GROUP).u16(8).u32(a.group_id);
      return;
    case 'set_field':
      setField(w, a.field, a.value);
      return;
    case 'set_dl_src':
      return setField(w, 'eth_src', a.mac);
    case 'set_dl_dst':
      return setField(w, 'eth_dst', a.mac);
    case 'set_nw_src':
      return setField(w, 'ipv4_src', a.ip);
    case 'set_nw_dst':
      return setField(w, 'ipv4_dst', a.ip);
    case 'set_vlan_vid':
      return setField(w, 'vlan_vid', C.OFPVID_PRESENT | a.vlan_vid);
    case 'set_vlan_pcp':
      return setField(w, 'vlan_pcp', a.vlan_pcp);
    case 'set_nw_tos':
      return setField(w, 'ip_dscp', a.nw_tos >> 2);
    case 'set_tp_src':
    case 'set_tp_dst':
    case 'enqueue':
      throw new OfpEncodeError(`action ${a.type} has no OpenFlow 1.3 form; use set_field or set_queue`);
    case 'raw':
      if (a.raw.length < 8 || a.raw.length % 8 !== 0) throw new OfpEncodeError('raw action must be a multiple of 8 bytes');
      w.bytes(a.raw);
      return;
    default:
      assertNever(a, 'action');
  }
}
