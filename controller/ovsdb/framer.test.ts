import { describe, expect, it } from 'vitest';
import { JsonFramer } from './framer';

// Values chosen to put structural characters inside strings, escapes, and multi-byte UTF-8 in the stream.
const VALUES: unknown[] = [
  { id: 1, method: 'echo', params: [] },
  { result: ['Open_vSwitch', '_Server'], error: null, id: 2 },
  { s: 'braces { [ ] } and "quotes" and \\backslash\\', n: -1.5e3, t: true, z: null },
  ['map', [['café', '日本語'], ['emoji', '🚀👩‍🔧'], ['ctl', '\u0001\u001f\t\n']]],
  { nested: { a: [[[{}]]], b: [] }, e: '' },
  [],
  {},
];
const TEXTS = VALUES.map((v) => JSON.stringify(v));
// Whitespace between values (and a literal \u escape, which JSON.stringify would not produce).
const STREAM = Buffer.from(`  ${TEXTS.join('\n')} \r\n\t{"u":"\\u00e9\\"\\\\"}`, 'utf8');
const EXPECTED = [...VALUES, { u: 'é"\\' }];

function collect(fr: JsonFramer, chunks: Buffer[]): { messages: unknown[]; error?: unknown } {
  const messages: unknown[] = [];
  for (const c of chunks) {
    const r = fr.push(c);
    messages.push(...r.messages);
    if (r.error) return { messages, error: r.error };
  }
  return { messages };
}

describe('JsonFramer', () => {
  it('parses many values from one chunk', () => {
    const fr = new JsonFramer();
    const r = fr.push(STREAM);
    expect(r.error).toBeUndefined();
    expect(r.messages).toEqual(EXPECTED);
    expect(fr.bufferedBytes).toBe(0);
  });

  it('gives the same values when the stream is split at every offset', () => {
    const want = JSON.stringify(EXPECTED);
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const got = collect(new JsonFramer(), [STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      if (got.error || JSON.stringify(got.messages) !== want) expect.fail(`split at ${cut} gave ${JSON.stringify(got)}`);
    }
  });

  it('gives the same values when split at every pair of offsets', () => {
    const want = JSON.stringify(EXPECTED);
    const step = 3;
    for (let a = 0; a <= STREAM.length; a += step) {
      for (let b = a; b <= STREAM.length; b += 1) {
        const got = collect(new JsonFramer(), [STREAM.subarray(0, a), STREAM.subarray(a, b), STREAM.subarray(b)]);
        if (got.error || JSON.stringify(got.messages) !== want) expect.fail(`split at ${a},${b} gave ${JSON.stringify(got)}`);
      }
    }
  });

  it('handles byte-at-a-time delivery and holds partial values', () => {
    const fr = new JsonFramer();
    const got: unknown[] = [];
    let maxBuffered = 0;
    for (const byte of STREAM) {
      const r = fr.push(Buffer.from([byte]));
      expect(r.error).toBeUndefined();
      got.push(...r.messages);
      maxBuffered = Math.max(maxBuffered, fr.bufferedBytes);
    }
    expect(got).toEqual(EXPECTED);
    expect(maxBuffered).toBeGreaterThan(10);
    expect(fr.bufferedBytes).toBe(0);
  });

  it('does not alias the caller buffer for partial values', () => {
    const fr = new JsonFramer();
    const chunk = Buffer.from('{"a":"xy');
    fr.push(chunk);
    chunk.fill(0x20);
    expect(fr.push(Buffer.from('z"}')).messages).toEqual([{ a: 'xyz' }]);
  });

  it('reports garbage between values, keeps earlier values, then refuses input', () => {
    const fr = new JsonFramer();
    const r = fr.push(Buffer.from('{"a":1} hello {"b":2}'));
    expect(r.messages).toEqual([{ a: 1 }]);
    expect(r.error).toMatchObject({ code: 'GARBAGE', offset: 8 });
    const again = fr.push(Buffer.from('{"c":3}'));
    expect(again.messages).toEqual([]);
    expect(again.error).toBe(r.error);
  });

  it('rejects a bare scalar at top level and a stray closing bracket', () => {
    expect(new JsonFramer().push(Buffer.from('42')).error?.code).toBe('GARBAGE');
    expect(new JsonFramer().push(Buffer.from('] {}')).error?.code).toBe('GARBAGE');
  });

  it('reports a balanced but invalid value as BAD_JSON with its start offset', () => {
    const fr = new JsonFramer();
    const r = fr.push(Buffer.from('[1]  {"a":}'));
    expect(r.messages).toEqual([[1]]);
    expect(r.error).toMatchObject({ code: 'BAD_JSON', offset: 5 });
  });

  it('reports invalid UTF-8 inside a value', () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(new JsonFramer().push(bad).error?.code).toBe('BAD_UTF8');
  });

  it('enforces the maximum size for complete and for still-open values', () => {
    const ok = JSON.stringify({ pad: 'x'.repeat(80) });
    expect(new JsonFramer({ maxMessageBytes: ok.length }).push(Buffer.from(ok)).messages).toHaveLength(1);
    const r = new JsonFramer({ maxMessageBytes: ok.length - 1 }).push(Buffer.from(ok));
    expect(r.messages).toEqual([]);
    expect(r.error?.code).toBe('TOO_LONG');

    // An unterminated value must fail once it passes the limit, not grow forever.
    const fr = new JsonFramer({ maxMessageBytes: 1000 });
    expect(fr.push(Buffer.from('{"a":"' + 'y'.repeat(500))).error).toBeUndefined();
    expect(fr.push(Buffer.from('y'.repeat(600))).error?.code).toBe('TOO_LONG');
    expect(fr.bufferedBytes).toBe(0);
  });

  it('never throws on random bytes', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const alphabet = Buffer.from('{}[]"\\ ,:a1\n\xc3\xa9');
    for (let i = 0; i < 2000; i++) {
      const fr = new JsonFramer({ maxMessageBytes: 64 });
      const len = rnd() % 40;
      const bytes = Buffer.from(Array.from({ length: len }, () => (rnd() % 4 === 0 ? rnd() : alphabet[rnd() % alphabet.length])));
      expect(() => {
        fr.push(bytes.subarray(0, len >> 1));
        fr.push(bytes.subarray(len >> 1));
      }).not.toThrow();
    }
  });
});
