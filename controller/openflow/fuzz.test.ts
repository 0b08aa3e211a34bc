import { describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures/fixtures';
import { OfpFramer } from './framer';
import { decodeMessage } from './index';

/** mulberry32: small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds = FIXTURES.map((f) => Buffer.from(f.hex, 'hex'));

function mutate(rand: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const r = rand();
  if (r < 0.25) {
    // Truncate the body but keep the header length consistent: struct-level truncation.
    const n = 8 + Math.floor(rand() * Math.max(1, out.length - 8));
    const t = Buffer.from(out.subarray(0, n));
    t.writeUInt16BE(n, 2);
    return t;
  }
  if (r < 0.55) {
    const flips = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < flips; i++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
    return out;
  }
  if (r < 0.7) {
    // Corrupt a length field inside the body (TLV/entry lengths live at even offsets).
    const off = 8 + 2 * Math.floor(rand() * Math.max(1, (out.length - 10) / 2));
    if (off + 2 <= out.length) out.writeUInt16BE(rand() < 0.5 ? 0xffff : Math.floor(rand() * 64), off);
    return out;
  }
  if (r < 0.8) {
    out.writeUInt16BE(rand() < 0.5 ? 0xffff : Math.floor(rand() * 8), 2);
    return out;
  }
  const rnd = Buffer.alloc(8 + Math.floor(rand() * 120));
  for (let i = 0; i < rnd.length; i++) rnd[i] = Math.floor(rand() * 256);
  rnd[0] = rand() < 0.5 ? 1 : 4;
  rnd.writeUInt16BE(rnd.length, 2);
  return rnd;
}

describe('fuzz: framer + decode never throw', () => {
  it('5,000 mutated and random inputs decode to a message, never an exception', () => {
    const rand = prng(0xf3e77);
    const kinds = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const input = mutate(rand, seeds[Math.floor(rand() * seeds.length)]!);
      const m = decodeMessage(input);
      expect(typeof m.type).toBe('string');
      kinds.set(m.type, (kinds.get(m.type) ?? 0) + 1);
      if (m.type === 'malformed') expect(m.reason.length).toBeGreaterThan(0);
    }
    // The mutations must actually reach the error paths.
    expect(kinds.get('malformed') ?? 0).toBeGreaterThan(100);
  });

  it('a stream of mutated frames fed in random chunks terminates with frames or a returned error', () => {
    const rand = prng(42);
    for (let round = 0; round < 200; round++) {
      const parts: Buffer[] = [];
      for (let i = 0; i < 10; i++) parts.push(mutate(rand, seeds[Math.floor(rand() * seeds.length)]!));
      const stream = Buffer.concat(parts);
      const framer = new OfpFramer({ maxLength: rand() < 0.5 ? 65535 : 2048, versions: rand() < 0.3 ? [1, 4] : undefined });
      let off = 0;
      let pushes = 0;
      while (off < stream.length) {
        const n = 1 + Math.floor(rand() * 700);
        const { frames, error } = framer.push(stream.subarray(off, off + n));
        off += n;
        pushes++;
        for (const f of frames) {
          expect(f.readUInt16BE(2)).toBe(f.length);
          decodeMessage(f);
        }
        if (error) {
          expect(['BAD_LEN', 'TOO_LONG', 'BAD_VERSION']).toContain(error.code);
          expect(framer.push(Buffer.alloc(16)).frames).toEqual([]);
          break;
        }
      }
      expect(pushes).toBeLessThanOrEqual(stream.length);
    }
  });
});
