import { OfpDecodeError, OfpEncodeError } from './errors';

/** Bounds-checked big-endian reader; every overrun is an OfpDecodeError. */
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

  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    this.need(n, 'padding');
    this.pos += n;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Sub-reader over the next n bytes; advances this reader past them. */
  sub(n: number, what = 'struct'): Reader {
    this.need(n, what);
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  mac(): string {
    return formatMac(this.bytes(6, 'mac'));
  }

  ipv4(): string {
    return formatIpv4(this.u32());
  }

  /** Fixed-size NUL-padded ASCII string. */
  str(n: number): string {
    const b = this.bytes(n, 'string');
    const nul = b.indexOf(0);
    return b.subarray(0, nul < 0 ? n : nul).toString('latin1');
  }
}

/** Growable big-endian writer. */
export class Writer {
  private chunks: Buffer[] = [];
  length = 0;

  private push(b: Buffer): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    return this.push(Buffer.from([v]));
  }

  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.push(b);
  }

  u32(v: number): this {
    checkUint(v, 0xffffffff, 'u32');
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return this.push(b);
  }

  u64(v: bigint): this {
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
      throw new OfpEncodeError(`u64 out of range: ${String(v)}`);
    }
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    return this.push(b);
  }

  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }

  zeros(n: number): this {
    return n > 0 ? this.push(Buffer.alloc(n)) : this;
  }

  /** Pads with zeros up to a multiple of `align` bytes. */
  padTo(align: number): this {
    return this.zeros((align - (this.length % align)) % align);
  }

  mac(s: string): this {
    return this.push(parseMac(s));
  }

  ipv4(s: string): this {
    return this.u32(parseIpv4(s));
  }

  str(s: string, n: number): this {
    const b = Buffer.alloc(n);
    // Leave room for the terminating NUL the specs require.
    b.write(s.slice(0, n - 1), 'latin1');
    return this.push(b);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new OfpEncodeError(`${what} out of range: ${String(v)}`);
  }
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function parseMac(s: string): Buffer {
  const parts = typeof s === 'string' ? s.split(':') : [];
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new OfpEncodeError(`bad MAC address: ${String(s)}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function formatIpv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
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
