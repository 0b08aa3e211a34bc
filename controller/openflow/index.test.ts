import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, helloBitmapVersions, makeHello, negotiateVersion, portFrom10, portTo10, OFPP_FLOOD, OFPP_ANY } from './index';

describe('version negotiation helpers', () => {
  it('makeHello announces 1.0 and 1.3 with a bitmap in a 1.3 header', () => {
    const { version, msg } = makeHello(1);
    expect(version).toBe(4);
    expect(encodeMessage(version, msg).toString('hex')).toBe('04000010000000010001000800000012');
    expect(helloBitmapVersions(msg.elements)).toEqual([1, 4]);
  });

  it('picks the highest common version from bitmaps, else the lower header version', () => {
    const ovs13 = decodeMessage(Buffer.from('04000010000000010001000800000010', 'hex'));
    const ovsAll = decodeMessage(Buffer.from('06000010000000010001000800000072', 'hex'));
    const of10 = decodeMessage(Buffer.from('0100000800000001', 'hex'));
    const of12 = decodeMessage(Buffer.from('0300000800000001', 'hex'));
    const only12 = decodeMessage(Buffer.from('04000010000000010001000800000008', 'hex'));
    const pick = (m: ReturnType<typeof decodeMessage>) => (m.type === 'hello' ? negotiateVersion(m) : 'not hello');
    expect(pick(ovs13)).toBe(4);
    expect(pick(ovsAll)).toBe(4);
    expect(pick(of10)).toBe(1);
    expect(pick(of12)).toBeUndefined();
    expect(decodeMessage(Buffer.from('0305000800000001', 'hex')).type).toBe('unknown');
    expect(pick(only12)).toBeUndefined();
  });

  it('maps reserved ports between 16 and 32 bits', () => {
    expect(portFrom10(0xfffb)).toBe(OFPP_FLOOD);
    expect(portFrom10(0xffff)).toBe(OFPP_ANY);
    expect(portFrom10(5)).toBe(5);
    expect(portTo10(OFPP_FLOOD)).toBe(0xfffb);
    expect(portTo10(0xff00)).toBeUndefined();
    expect(portTo10(0x12345)).toBeUndefined();
  });
});
