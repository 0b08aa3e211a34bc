import { Reader, Writer, parseIpv4 } from '../buf';
import { OfpDecodeError, OfpEncodeError } from '../errors';
import type { Match, OxmRaw } from '../types';
import * as C from './constants';

type Kind = 'u8' | 'u16' | 'u32' | 'u64' | 'mac' | 'ipv4';

/** Match keys carried as OpenFlow-basic OXM fields, in canonical (field number) order. */
export const OXM_FIELDS = [
  { name: 'in_port', field: C.OFPXMT_OFB_IN_PORT, kind: 'u32', maskable: false },
  { name: 'metadata', field: C.OFPXMT_OFB_METADATA, kind: 'u64', maskable: true },
  { name: 'eth_dst', field: C.OFPXMT_OFB_ETH_DST, kind: 'mac', maskable: true },
  { name: 'eth_src', field: C.OFPXMT_OFB_ETH_SRC, kind: 'mac', maskable: true },
  { name: 'eth_type', field: C.OFPXMT_OFB_ETH_TYPE, kind: 'u16', maskable: false },
  { name: 'vlan_vid', field: C.OFPXMT_OFB_VLAN_VID, kind: 'u16', maskable: true },
  { name: 'vlan_pcp', field: C.OFPXMT_OFB_VLAN_PCP, kind: 'u8', maskable: false },
  { name: 'ip_dscp', field: C.OFPXMT_OFB_IP_DSCP, kind: 'u8', maskable: false },
  { name: 'ip_proto', field: C.OFPXMT_OFB_IP_PROTO, kind: 'u8', maskable: false },
  { name: 'ipv4_src', field: C.OFPXMT_OFB_IPV4_SRC, kind: 'ipv4', maskable: true },
  { name: 'ipv4_dst', field: C.OFPXMT_OFB_IPV4_DST, kind: 'ipv4', maskable: true },
  { name: 'tcp_src', field: C.OFPXMT_OFB_TCP_SRC, kind: 'u16', maskable: false },
  { name: 'tcp_dst', field: C.OFPXMT_OFB_TCP_DST, kind: 'u16', maskable: false },
  { name: 'udp_src', field: C.OFPXMT_OFB_UDP_SRC, kind: 'u16', maskable: false },
  { name: 'udp_dst', field: C.OFPXMT_OFB_UDP_DST, kind: 'u16', maskable: false },
  { name: 'icmpv4_type', field: C.OFPXMT_OFB_ICMPV4_TYPE, kind: 'u8', maskable: false },
  { name: 'icmpv4_code', field: C.OFPXMT_OFB_ICMPV4_CODE, kind: 'u8', maskable: false },
  { name: 'arp_op', field: C.OFPXMT_OFB_ARP_OP, kind: 'u16', maskable: false },
  { name: 'arp_spa', field: C.OFPXMT_OFB_ARP_SPA, kind: 'ipv4', maskable: true },
  { name: 'arp_tpa', field: C.OFPXMT_OFB_ARP_TPA, kind: 'ipv4', maskable: true },
  { name: 'tunnel_id', field: C.OFPXMT_OFB_TUNNEL_ID, kind: 'u64', maskable: true },
] as const satisfies readonly { name: keyof Match; field: number; kind: Kind; maskable: boolean }[];

export type OxmFieldName = (typeof OXM_FIELDS)[number]['name'];
type FieldDef = (typeof OXM_FIELDS)[number];

const BY_NAME = new Map<string, FieldDef>(OXM_FIELDS.map((f) => [f.name, f]));
const BY_FIELD = new Map<number, FieldDef>(OXM_FIELDS.map((f) => [f.field, f]));
const SIZE: Record<Kind, number> = { u8: 1, u16: 2, u32: 4, u64: 8, mac: 6, ipv4: 4 };

export type OxmValue = number | bigint | string;

function readValue(r: Reader, kind: Kind): OxmValue {
  switch (kind) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'u32':
      return r.u32();
    case 'u64':
      return r.u64();
    case 'mac':
      return r.mac();
    case 'ipv4':
      return r.ipv4();
  }
}

function badValue(name: string, v: unknown): never {
  throw new OfpEncodeError(`bad value for ${name}: ${String(v)}`);
}

function writeValue(w: Writer, kind: Kind, v: unknown, name: string): void {
  switch (kind) {
    case 'u8':
      if (typeof v !== 'number') badValue(name, v);
      w.u8(v as number);
      return;
    case 'u16':
      if (typeof v !== 'number') badValue(name, v);
      w.u16(v as number);
      return;
    case 'u32':
      if (typeof v !== 'number') badValue(name, v);
      w.u32(v as number);
      return;
    case 'u64':
      if (typeof v !== 'bigint') badValue(name, v);
      w.u64(v as bigint);
      return;
    case 'mac':
      w.mac(v as string);
      return;
    case 'ipv4':
      w.u32(parseIpv4(v as string));
      return;
  }
}

export function oxmHeader(oxmClass: number, field: number, hasmask: boolean, len: number): number {
  return ((oxmClass << 16) | (field << 9) | ((hasmask ? 1 : 0) << 8) | len) >>> 0;
}

export type DecodedOxm = { name: OxmFieldName; value: OxmValue; mask?: OxmValue } | { raw: OxmRaw };

/** Reads one OXM TLV. Basic-class fields of the expected size are decoded; anything else is kept raw. */
export function decodeOxm(r: Reader): DecodedOxm {
  const h = r.u32();
  const oxm_class = h >>> 16;
  const field = (h >>> 9) & 0x7f;
  const hasmask = ((h >>> 8) & 1) === 1;
  const len = h & 0xff;
  const payload = r.sub(len, 'OXM payload');
  const def = oxm_class === C.OFPXMC_OPENFLOW_BASIC ? BY_FIELD.get(field) : undefined;
  if (def && len === SIZE[def.kind] * (hasmask ? 2 : 1) && (!hasmask || def.maskable)) {
    const value = readValue(payload, def.kind);
    return hasmask ? { name: def.name, value, mask: readValue(payload, def.kind) } : { name: def.name, value };
  }
  return { raw: { oxm_class, field, hasmask, value: payload.rest() } };
}

export function encodeOxm(w: Writer, name: OxmFieldName, value: unknown, mask?: unknown): void {
  const def = BY_NAME.get(name);
  if (!def) throw new OfpEncodeError(`unknown OXM field ${name}`);
  if (mask !== undefined && !def.maskable) throw new OfpEncodeError(`OXM field ${name} cannot be masked`);
  const size = SIZE[def.kind];
  w.u32(oxmHeader(C.OFPXMC_OPENFLOW_BASIC, def.field, mask !== undefined, mask !== undefined ? 2 * size : size));
  writeValue(w, def.kind, value, name);
  if (mask !== undefined) writeValue(w, def.kind, mask, `${name}_mask`);
}

export function encodeOxmRaw(w: Writer, raw: OxmRaw): void {
  if (raw.value.length > 0xff) throw new OfpEncodeError('OXM payload longer than 255 bytes');
  w.u32(oxmHeader(raw.oxm_class, raw.field, raw.hasmask, raw.value.length)).bytes(raw.value);
}

function setField(m: Match, name: OxmFieldName, value: OxmValue, mask: OxmValue | undefined): void {
  const rec = m as Record<string, unknown>;
  rec[name] = value;
  if (mask !== undefined) rec[`${name}_mask`] = mask;
}

/** Decodes struct ofp_match (OXM type) including its padding to 8 bytes. */
export function decodeMatch13(r: Reader): Match {
  const type = r.u16();
  const length = r.u16();
  if (type !== C.OFPMT_OXM) throw new OfpDecodeError(`unsupported match type ${type}`);
  if (length < 4) throw new OfpDecodeError(`bad match length ${length}`);
  const body = r.sub(length - 4, 'OXM list');
  r.skip((8 - (length % 8)) % 8);
  const m: Match = {};
  const order: string[] = [];
  const seen = new Set<string>();
  while (body.remaining > 0) {
    const d = decodeOxm(body);
    if ('raw' in d || seen.has(d.name)) {
      // A repeated field cannot live in the object form; keep it verbatim.
      const raw: OxmRaw =
        'raw' in d ? d.raw : rawFromField(d.name, d.value, d.mask);
      (m.oxm_raw ??= []).push(raw);
      order.push('raw');
    } else {
      seen.add(d.name);
      setField(m, d.name, d.value, d.mask);
      order.push(d.name);
    }
  }
  const canonical = canonicalOrder(m);
  if (order.join(',') !== canonical.join(',')) m.oxm_order = order;
  return m;
}

function rawFromField(name: OxmFieldName, value: OxmValue, mask: OxmValue | undefined): OxmRaw {
  const w = new Writer();
  encodeOxm(w, name, value, mask);
  const b = w.toBuffer();
  const h = b.readUInt32BE(0);
  return { oxm_class: h >>> 16, field: (h >>> 9) & 0x7f, hasmask: ((h >>> 8) & 1) === 1, value: b.subarray(4) };
}

function canonicalOrder(m: Match): string[] {
  const out: string[] = OXM_FIELDS.filter((f) => m[f.name] !== undefined).map((f) => f.name);
  for (let i = 0; i < (m.oxm_raw?.length ?? 0); i++) out.push('raw');
  return out;
}

const MATCH_KEYS = new Set<string>([
  ...OXM_FIELDS.flatMap((f) => (f.maskable ? [f.name, `${f.name}_mask`] : [f.name])),
  'oxm_raw',
  'oxm_order',
]);

/** Encodes match field `name` unless absent or already written; records it in `done`. */
function encodeField(w: Writer, rec: Record<string, unknown>, name: string, done: Set<string>): void {
  const def = BY_NAME.get(name);
  if (!def || done.has(name) || rec[name] === undefined) return;
  done.add(name);
  encodeOxm(w, def.name, rec[name], rec[`${name}_mask`]);
}

/** Encodes raws[i] if there is one; returns the next index. */
function encodeRawAt(w: Writer, raws: readonly OxmRaw[], i: number): number {
  const raw = raws[i];
  if (raw) encodeOxmRaw(w, raw);
  return i + 1;
}

/** Encodes a neutral match as an OXM ofp_match padded to 8 bytes. */
export function encodeMatch13(w: Writer, m: Match): void {
  for (const k of Object.keys(m)) {
    if (!MATCH_KEYS.has(k) && (m as Record<string, unknown>)[k] !== undefined) {
      throw new OfpEncodeError(`match field ${k} cannot be encoded in OpenFlow 1.3`);
    }
  }
  const rec = m as Record<string, unknown>;
  const start = w.length;
  w.u16(C.OFPMT_OXM).u16(0); // length, set once the OXMs are written
  const done = new Set<string>();
  const raws = m.oxm_raw ?? [];
  let rawIdx = 0;
  // A decoded match remembers its wire order (oxm_order); anything it does not list follows
  // in canonical order, then any raw OXMs not placed yet.
  for (const name of m.oxm_order ?? []) {
    if (name === 'raw') rawIdx = encodeRawAt(w, raws, rawIdx);
    else encodeField(w, rec, name, done);
  }
  for (const f of OXM_FIELDS) encodeField(w, rec, f.name, done);
  while (rawIdx < raws.length) rawIdx = encodeRawAt(w, raws, rawIdx);
  const length = w.length - start;
  w.setU16(start + 2, length);
  w.zeros((8 - (length % 8)) % 8);
}

