import { Reader, Writer } from './buf';
import { OfpDecodeError, OfpEncodeError } from './errors';
import { OFP_HEADER_SIZE, OFP_MAX_MESSAGE_LENGTH, writeHeader } from './header';
import type { DecodedMessage, HelloElement, MultipartReplyBody } from './types';

/** OFPHET_VERSIONBITMAP, the only hello element defined by 1.3. */
export const OFPHET_VERSIONBITMAP = 1;
/** struct ofp_hello_elem_header */
export const OFP_HELLO_ELEM_HEADER_SIZE = 4;

/**
 * Encodes one message: the 8-byte ofp_header, then the body built by `fill`, in a single
 * buffer (the header is reserved first and filled in once the length is known).
 */
export function frame(version: number, type: number, xid: number, fill?: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.zeros(OFP_HEADER_SIZE);
  fill?.(w);
  const length = w.length;
  if (length > OFP_MAX_MESSAGE_LENGTH) {
    throw new OfpEncodeError(`message of ${length} bytes exceeds the OpenFlow maximum of ${OFP_MAX_MESSAGE_LENGTH}`);
  }
  if (!Number.isInteger(xid) || xid < 0 || xid > 0xffffffff) throw new OfpEncodeError(`bad xid ${xid}`);
  const out = w.toBuffer();
  writeHeader(out, { version, type, length, xid });
  return out;
}

/** The body decoder of one OpenFlow version: a reader positioned after the header. */
export type BodyDecoder = (r: Reader, version: number, type: number, xid: number) => DecodedMessage;

/**
 * Shared decode driver: checks framing, then runs `body` on a reader positioned
 * after the header. OfpDecodeError from the body becomes a 'malformed' message.
 * Only a malformed message copies the input (as `raw`); a good one reads it in place.
 */
export function decodeFramed(buf: Buffer, body: BodyDecoder): DecodedMessage {
  if (buf.length < OFP_HEADER_SIZE) {
    return { type: 'malformed', version: buf[0] ?? 0, xid: 0, msgType: buf[1] ?? 0, reason: 'shorter than header', raw: Buffer.from(buf) };
  }
  const version = buf[0]!;
  const type = buf[1]!;
  const length = buf.readUInt16BE(2);
  const xid = buf.readUInt32BE(4);
  if (length !== buf.length) {
    return { type: 'malformed', version, xid, msgType: type, reason: `header length ${length} but ${buf.length} bytes given`, raw: Buffer.from(buf) };
  }
  try {
    return body(new Reader(buf, OFP_HEADER_SIZE, length), version, type, xid);
  } catch (e) {
    if (e instanceof OfpDecodeError) {
      return { type: 'malformed', version, xid, msgType: type, reason: e.message, raw: Buffer.from(buf) };
    }
    throw e;
  }
}

/** Fails if a fixed-size body has bytes left over. */
export function expectEnd(r: Reader, what: string): void {
  if (r.remaining !== 0) throw new OfpDecodeError(`${r.remaining} unexpected trailing bytes in ${what}`);
}

export function decodeHelloElements(r: Reader): HelloElement[] {
  const out: HelloElement[] = [];
  while (r.remaining > 0) {
    r.need(OFP_HELLO_ELEM_HEADER_SIZE, 'hello element header');
    const type = r.u16();
    const len = r.u16();
    if (len < OFP_HELLO_ELEM_HEADER_SIZE) throw new OfpDecodeError(`bad hello element length ${len}`);
    const body = r.sub(len - OFP_HELLO_ELEM_HEADER_SIZE, 'hello element');
    if (type === OFPHET_VERSIONBITMAP) {
      if (body.remaining % 4 !== 0) throw new OfpDecodeError('version bitmap not a multiple of 4 bytes');
      const bitmaps: number[] = [];
      while (body.remaining > 0) bitmaps.push(body.u32());
      out.push({ type: 'versionbitmap', bitmaps });
    } else {
      out.push({ type: 'unknown', elem_type: type, data: body.rest() });
    }
    // Elements are padded to 8 bytes; tolerate a missing pad on the last one.
    r.skip(Math.min((8 - (len % 8)) % 8, r.remaining));
  }
  return out;
}

export function encodeHelloElements(w: Writer, elements: readonly HelloElement[]): void {
  for (const e of elements) {
    const start = w.length;
    if (e.type === 'versionbitmap') {
      w.u16(OFPHET_VERSIONBITMAP).u16(OFP_HELLO_ELEM_HEADER_SIZE + 4 * e.bitmaps.length);
      for (const b of e.bitmaps) w.u32(b);
    } else {
      w.u16(e.elem_type).u16(OFP_HELLO_ELEM_HEADER_SIZE + e.data.length).bytes(e.data);
    }
    w.zeros((8 - ((w.length - start) % 8)) % 8);
  }
}

/** Versions announced by a hello's version bitmap (bit n of word i is version 32*i+n). */
export function helloBitmapVersions(elements: readonly HelloElement[] | undefined): number[] | undefined {
  const bm = elements?.find((e) => e.type === 'versionbitmap');
  if (!bm || bm.type !== 'versionbitmap') return undefined;
  const out: number[] = [];
  bm.bitmaps.forEach((word, i) => {
    for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) out.push(i * 32 + bit);
  });
  return out;
}

export function versionBitmap(versions: readonly number[]): number[] {
  const words: number[] = [];
  for (const v of versions) {
    const i = Math.floor(v / 32);
    while (words.length <= i) words.push(0);
    words[i] = (words[i]! | (1 << (v % 32))) >>> 0;
  }
  return words;
}

export function dpidToString(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

export function dpidFromString(s: string): bigint {
  if (typeof s !== 'string' || !/^[0-9a-fA-F]{1,16}$/.test(s)) throw new OfpEncodeError(`bad datapath id ${String(s)}`);
  return BigInt(`0x${s}`);
}

export function assertNoExtra(what: string, value: unknown): void {
  if (value !== undefined) throw new OfpEncodeError(`${what} cannot be encoded in this OpenFlow version`);
}

// ofp_desc and ofp_aggregate_stats_reply have the same layout in OpenFlow 1.0 and 1.3.
const DESC_STR_LEN = 256;
const SERIAL_NUM_LEN = 32;

export function decodeDescBody(r: Reader): Extract<MultipartReplyBody, { kind: 'desc' }> {
  const body = {
    kind: 'desc' as const,
    mfr_desc: r.str(DESC_STR_LEN),
    hw_desc: r.str(DESC_STR_LEN),
    sw_desc: r.str(DESC_STR_LEN),
    serial_num: r.str(SERIAL_NUM_LEN),
    dp_desc: r.str(DESC_STR_LEN),
  };
  expectEnd(r, 'desc reply');
  return body;
}

export function encodeDescBody(w: Writer, b: Extract<MultipartReplyBody, { kind: 'desc' }>): void {
  w.str(b.mfr_desc, DESC_STR_LEN).str(b.hw_desc, DESC_STR_LEN).str(b.sw_desc, DESC_STR_LEN);
  w.str(b.serial_num, SERIAL_NUM_LEN).str(b.dp_desc, DESC_STR_LEN);
}

export function decodeAggregateBody(r: Reader): Extract<MultipartReplyBody, { kind: 'aggregate' }> {
  const packet_count = r.u64();
  const byte_count = r.u64();
  const flow_count = r.u32();
  r.skip(4);
  expectEnd(r, 'aggregate reply');
  return { kind: 'aggregate', packet_count, byte_count, flow_count };
}

export function encodeAggregateBody(w: Writer, b: Extract<MultipartReplyBody, { kind: 'aggregate' }>): void {
  w.u64(b.packet_count).u64(b.byte_count).u32(b.flow_count).zeros(4);
}
