import { OfpDecodeError, OfpEncodeError } from './errors';

/**
 * Bounds-checked big-endian reader; every overrun is an OfpDecodeError.
 * `rest()` and `view()` return views into the input, not copies: the decoder's
 * input must not be modified while the decoded message is in use (the framer
 * hands out frames it owns, so that holds on a connection).
 */
export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what = 'field'): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new OfpDecodeError(`truncated ${what}: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A copy of the next n bytes. */
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** The next n bytes as a view into the input (no copy). */
  view(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n, 'padding');
    this.pos += n;
  }

  /** Everything left, as a view: packet data is the bulk of a message and is not copied. */
  rest(): Buffer {
    return this.view(this.remaining);
  }

  /** Sub-reader over the next n bytes; advances this reader past them. */
  sub(n: number, what = 'struct'): Reader {
    this.need(n, what);
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  mac(): string {
    this.need(6, 'mac');
    const s = macAt(this.buf, this.pos);
    this.pos += 6;
    return s;
  }

  ipv4(): string {
    return formatIpv4(this.u32());
  }

  /** Fixed-size NUL-padded ASCII string. */
  str(n: number): string {
    const b = this.view(n, 'string');
    const nul = b.indexOf(0);
    return b.toString('latin1', 0, nul < 0 ? n : nul);
  }
}

const INITIAL_CAPACITY = 128;

/**
 * Growable big-endian writer over one Buffer: fields are written in place (no Buffer per
 * field), and the buffer doubles when full. Bytes are only ever appended, so a Buffer
 * returned by toBuffer() stays valid whatever is written afterwards.
 */
export class Writer {
  private buf: Buffer;
  length = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    // allocUnsafe is safe here: every byte up to `length` is written before it is read.
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /**
   * Makes room for n more bytes and returns the offset to write them at. It may replace
   * this.buf, so call it before reading this.buf (not inside `this.buf.write…(v, this.reserve(n))`).
   */
  private reserve(n: number): number {
    const at = this.length;
    const needed = at + n;
    if (needed > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, needed));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.length = needed;
    return at;
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    const at = this.reserve(1);
    this.buf[at] = v;
    return this;
  }

  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    const at = this.reserve(2);
    this.buf.writeUInt16BE(v, at);
    return this;
  }

  u32(v: number): this {
    checkUint(v, 0xffffffff, 'u32');
    const at = this.reserve(4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }

  u64(v: bigint): this {
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
      throw new OfpEncodeError(`u64 out of range: ${String(v)}`);
    }
    const at = this.reserve(8);
    this.buf.writeBigUInt64BE(v, at);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }

  zeros(n: number): this {
    if (n > 0) {
      const at = this.reserve(n);
      this.buf.fill(0, at, at + n);
    }
    return this;
  }

  /** Pads with zeros up to a multiple of `align` bytes. */
  padTo(align: number): this {
    return this.zeros((align - (this.length % align)) % align);
  }

  /** Overwrites a u16 written earlier (a length known only once what follows is written). */
  setU16(at: number, v: number): this {
    checkUint(v, 0xffff, 'u16');
    if (at < 0 || at + 2 > this.length) throw new OfpEncodeError(`setU16 at ${at} outside the ${this.length} bytes written`);
    this.buf.writeUInt16BE(v, at);
    return this;
  }

  mac(s: string): this {
    const at = this.reserve(6);
    writeMac(this.buf, at, s);
    return this;
  }

  ipv4(s: string): this {
    return this.u32(parseIpv4(s));
  }

  str(s: string, n: number): this {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
    // Leave room for the terminating NUL the specs require.
    this.buf.write(s.slice(0, n - 1), at, n - 1, 'latin1');
    return this;
  }

  /** The bytes written so far (a view, not a copy). */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new OfpEncodeError(`${what} out of range: ${String(v)}`);
  }
}

/** "00".."ff", so formatting a MAC is six lookups instead of six toString/padStart calls. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The MAC address in the 6 bytes at `off`, as lower-case aa:bb:cc:dd:ee:ff. */
export function macAt(b: Uint8Array, off: number): string {
  return `${HEX_BYTE[b[off]!]}:${HEX_BYTE[b[off + 1]!]}:${HEX_BYTE[b[off + 2]!]}:${HEX_BYTE[b[off + 3]!]}:${HEX_BYTE[b[off + 4]!]}:${HEX_BYTE[b[off + 5]!]}`;
}

export function formatMac(b: Uint8Array): string {
  return b.length === 6 ? macAt(b, 0) : Array.from(b, (x) => HEX_BYTE[x]!).join(':');
}

export function parseMac(s: string): Buffer {
  const out = Buffer.alloc(6);
  writeMac(out, 0, s);
  return out;
}

/** Writes a MAC given as six colon-separated groups of 1–2 hex digits; OfpEncodeError otherwise. */
function writeMac(out: Buffer, off: number, s: string): void {
  if (typeof s === 'string' && s.length === 17 && writeCanonicalMac(out, off, s)) return;
  // Anything but the usual aa:bb:cc:dd:ee:ff form (e.g. "2:0:0:0:0:1") takes the general path.
  const parts = typeof s === 'string' ? s.split(':') : [];
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new OfpEncodeError(`bad MAC address: ${String(s)}`);
  }
  for (let i = 0; i < 6; i++) out[off + i] = parseInt(parts[i]!, 16);
}

/** Fast path for exactly "hh:hh:hh:hh:hh:hh"; false (nothing promised about `out`) if s is not that. */
function writeCanonicalMac(out: Buffer, off: number, s: string): boolean {
  for (let i = 0; i < 6; i++) {
    const hi = hexDigit(s.charCodeAt(3 * i));
    const lo = hexDigit(s.charCodeAt(3 * i + 1));
    if (hi < 0 || lo < 0 || (i < 5 && s.charCodeAt(3 * i + 2) !== 0x3a)) return false;
    out[off + i] = (hi << 4) | lo;
  }
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  if (c >= 0x61 && c <= 0x66) return c - 0x57; // a-f
  if (c >= 0x41 && c <= 0x46) return c - 0x37; // A-F
  return -1;
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

export function parseIpv4(s: string): number {
  const parts = typeof s === 'string' ? s.split('.') : [];
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new OfpEncodeError(`bad IPv4 address: ${String(s)}`);
  }
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

/** Number of leading one bits if `mask` is a CIDR prefix mask, else -1. */
export function ipv4PrefixLen(mask: number): number {
  for (let len = 0; len <= 32; len++) {
    const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if (m === mask >>> 0) return len;
  }
  return -1;
}

export function prefixMask(len: number): number {
  return len <= 0 ? 0 : (0xffffffff << (32 - Math.min(len, 32))) >>> 0;
}
