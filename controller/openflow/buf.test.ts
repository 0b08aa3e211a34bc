import { describe, expect, it } from 'vitest';
import { Reader, Writer, formatMac, parseMac } from './buf';
import { OfpEncodeError } from './errors';

describe('Writer', () => {
  it('grows past its initial capacity without losing or changing bytes already written', () => {
    const w = new Writer(4);
    w.u32(0x01020304);
    const early = w.toBuffer();
    for (let i = 0; i < 100; i++) w.u16(i);
    w.u64(0x0a0b0c0d0e0f1011n).u8(0xff).zeros(3).bytes(Buffer.from('abc'));
    const all = w.toBuffer();
    expect(all.length).toBe(4 + 200 + 8 + 1 + 3 + 3);
    expect(early.toString('hex')).toBe('01020304');
    expect(all.subarray(0, 6).toString('hex')).toBe('010203040000');
    expect(all.readUInt16BE(4 + 2 * 99)).toBe(99);
    expect(all.subarray(204).toString('hex')).toBe('0a0b0c0d0e0f1011ff000000616263');
  });

  it('patches a length written earlier, and refuses to patch outside what was written', () => {
    const w = new Writer();
    w.u16(0x1111).u16(0);
    w.zeros(10);
    w.setU16(2, w.length);
    expect(w.toBuffer().toString('hex')).toBe('1111000e' + '00'.repeat(10));
    expect(() => w.setU16(13, 1)).toThrow(OfpEncodeError);
  });

  it('writes MACs in the usual and the short spelling alike, and rejects bad ones', () => {
    const w = new Writer();
    w.mac('02:0A:00:ff:00:01').mac('2:a:0:ff:0:1');
    expect(w.toBuffer().toString('hex')).toBe('020a00ff0001'.repeat(2));
    expect(parseMac('02:0a:00:ff:00:01').toString('hex')).toBe('020a00ff0001');
    for (const bad of ['02:0a:00:ff:00', '02:0a:00:ff:00:0g', '02-0a-00-ff-00-01', '020:a:00:ff:00:01', '']) {
      expect(() => new Writer().mac(bad), bad).toThrow(OfpEncodeError);
    }
  });
});

describe('Reader', () => {
  it('reads MACs and strings in place; rest() is a view, bytes() a copy', () => {
    const b = Buffer.from('020a00ff0001' + '616263000000' + '0102', 'hex');
    const r = new Reader(b);
    expect(r.mac()).toBe('02:0a:00:ff:00:01');
    expect(formatMac(b.subarray(0, 6))).toBe('02:0a:00:ff:00:01');
    expect(r.str(6)).toBe('abc');
    const copy = new Reader(b, 12).bytes(2);
    const view = r.rest();
    b[12] = 9;
    expect(view.toString('hex')).toBe('0902');
    expect(copy.toString('hex')).toBe('0102');
  });
});
