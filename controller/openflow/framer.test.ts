import { describe, expect, it } from 'vitest';
import { OfpFramer } from './framer';
import { FIXTURES } from './fixtures/fixtures';

const frames = FIXTURES.map((f) => Buffer.from(f.hex, 'hex'));
const stream = Buffer.concat(frames);
const lengths = frames.map((f) => f.length).join();

describe('OfpFramer', () => {
  it('splits a stream of concatenated fixtures given in one chunk', () => {
    const r = new OfpFramer().push(stream);
    expect(r.error).toBeUndefined();
    expect(r.frames).toEqual(frames);
  });

  it('yields the same frames when the stream is split at every offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const fr = new OfpFramer();
      const a = fr.push(stream.subarray(0, cut));
      const b = fr.push(stream.subarray(cut));
      const got = [...a.frames, ...b.frames];
      // Cheap comparisons: same boundaries and same bytes.
      if (a.error || b.error || got.map((g) => g.length).join() !== lengths || !Buffer.concat(got).equals(stream)) {
        expect.fail(`split at ${cut} gave different frames`);
      }
      expect(fr.bufferedBytes).toBe(0);
    }
  });

  it('handles byte-at-a-time delivery', () => {
    const fr = new OfpFramer();
    const got: Buffer[] = [];
    for (const byte of stream) got.push(...fr.push(Buffer.from([byte])).frames);
    expect(got).toEqual(frames);
  });

  it('keeps a partial header and a partial body across pushes', () => {
    const fr = new OfpFramer();
    expect(fr.push(Buffer.from('0400', 'hex')).frames).toEqual([]);
    expect(fr.push(Buffer.from('000d00000001', 'hex')).frames).toEqual([]);
    expect(fr.bufferedBytes).toBe(8);
    const r = fr.push(Buffer.from('6162636465', 'hex'));
    expect(r.frames.map((f) => f.toString('hex'))).toEqual(['0400000d000000016162636465']);
  });

  it('reports length < 8 as BAD_LEN, keeps earlier frames, then refuses input', () => {
    const fr = new OfpFramer();
    const good = Buffer.from('0400000800000001', 'hex');
    const bad = Buffer.from('0402000400000009', 'hex');
    const r = fr.push(Buffer.concat([good, bad]));
    expect(r.frames).toEqual([good]);
    expect(r.error).toMatchObject({ code: 'BAD_LEN', version: 4, msgType: 2, length: 4, xid: 9 });
    const again = fr.push(good);
    expect(again.frames).toEqual([]);
    expect(again.error).toBe(r.error);
  });

  it('rejects frames above the configured maximum', () => {
    const fr = new OfpFramer({ maxLength: 100 });
    const r = fr.push(Buffer.from('04020065000000ff', 'hex'));
    expect(r.error).toMatchObject({ code: 'TOO_LONG', length: 101, xid: 255 });
  });

  it('caps the maximum at 65535 and accepts a 65535-byte frame', () => {
    const big = Buffer.alloc(0xffff);
    big.writeUInt8(4, 0);
    big.writeUInt8(2, 1);
    big.writeUInt16BE(0xffff, 2);
    const r = new OfpFramer({ maxLength: 1 << 20 }).push(big);
    expect(r.error).toBeUndefined();
    expect(r.frames[0]!.length).toBe(0xffff);
  });

  it('rejects unsupported versions only when asked', () => {
    const hello5 = Buffer.from('0500000800000001', 'hex');
    expect(new OfpFramer().push(hello5).frames).toHaveLength(1);
    const r = new OfpFramer({ versions: [1, 4] }).push(hello5);
    expect(r.frames).toEqual([]);
    expect(r.error).toMatchObject({ code: 'BAD_VERSION', version: 5, xid: 1 });
    expect(r.error!.header.toString('hex')).toBe('0500000800000001');
  });

  it('returns copies that do not alias the pushed chunk', () => {
    const chunk = Buffer.from('0400000800000001', 'hex');
    const [f] = new OfpFramer().push(chunk).frames;
    chunk.fill(0);
    expect(f!.toString('hex')).toBe('0400000800000001');
  });
});
