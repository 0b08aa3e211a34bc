import { describe, expect, it } from 'vitest';
import { Reader, Writer } from './buf';
import { OfpDecodeError } from './errors';
import { decodeMatch10, encodeMatch10 } from './v1_0/match';
import { decodeMatch13, encodeMatch13 } from './v1_3/oxm';
import type { Match } from './types';

const enc10 = (m: Match): Buffer => {
  const w = new Writer();
  encodeMatch10(w, m);
  return w.toBuffer();
};
const enc13 = (m: Match): Buffer => {
  const w = new Writer();
  encodeMatch13(w, m);
  return w.toBuffer();
};

describe('OpenFlow 1.0 ofp_match', () => {
  it('an empty match wildcards everything with nw bit counts of 32', () => {
    const b = enc10({});
    expect(b.length).toBe(40);
    expect(b.readUInt32BE(0)).toBe(0x003820ff);
    expect(decodeMatch10(new Reader(b))).toEqual({});
  });

  it('treats OFPFW_ALL (nw counts 63) as fully wildcarded', () => {
    const b = Buffer.alloc(40);
    b.writeUInt32BE((1 << 22) - 1, 0);
    b.writeUInt16BE(5, 4);
    expect(decodeMatch10(new Reader(b))).toEqual({});
  });

  it('turns nw_src/nw_dst wildcard bit counts into prefix masks', () => {
    const m: Match = { eth_type: 0x0800, ipv4_src: '10.1.0.0', ipv4_src_mask: '255.255.0.0', ipv4_dst: '10.2.3.4' };
    const b = enc10(m);
    const w = b.readUInt32BE(0);
    expect((w >> 8) & 0x3f).toBe(16);
    expect((w >> 14) & 0x3f).toBe(0);
    expect(decodeMatch10(new Reader(b))).toEqual(m);
  });

  it('reads nw fields as ARP addresses and nw_proto as the opcode for ARP', () => {
    const m: Match = { eth_type: 0x0806, arp_op: 2, arp_spa: '1.1.1.1', arp_tpa: '1.1.1.0', arp_tpa_mask: '255.255.255.0' };
    expect(decodeMatch10(new Reader(enc10(m)))).toEqual(m);
  });

  it('maps tp_src/tp_dst by protocol and the VLAN none value', () => {
    for (const m of [
      { eth_type: 0x0800, ip_proto: 17, udp_src: 1, udp_dst: 2 },
      { eth_type: 0x0800, ip_proto: 6, tcp_src: 3, tcp_dst: 4 },
      { eth_type: 0x0800, ip_proto: 1, icmpv4_type: 8, icmpv4_code: 0 },
      { vlan_vid: 0 },
      { vlan_vid: 0x1000 | 4095, vlan_pcp: 7 },
      { in_port: 0xfffffffe, eth_src: '00:00:00:00:00:01', eth_dst: 'ff:ff:ff:ff:ff:ff', ip_dscp: 63 },
    ] as Match[]) {
      expect(decodeMatch10(new Reader(enc10(m)))).toEqual(m);
    }
    expect(enc10({ vlan_vid: 0 }).readUInt16BE(18)).toBe(0xffff);
  });

  it('throws a typed error when the 40 bytes are not there', () => {
    expect(() => decodeMatch10(new Reader(Buffer.alloc(39)))).toThrow(OfpDecodeError);
  });
});

describe('OpenFlow 1.3 OXM match', () => {
  it('encodes an empty match as 8 bytes (type, length 4, padding)', () => {
    expect(enc13({}).toString('hex')).toBe('0001000400000000');
  });

  it('writes OXM headers with class 0x8000, field, hasmask and length', () => {
    const b = enc13({ in_port: 1, eth_dst: '01:00:00:00:00:00', eth_dst_mask: '01:00:00:00:00:00' });
    expect(b.toString('hex')).toBe('0001001c' + '8000000400000001' + '8000070c010000000000010000000000' + '00000000');
    expect(b.length % 8).toBe(0);
  });

  it('round-trips every modelled field, with masks and VLAN present bit', () => {
    const m: Match = {
      in_port: 7, metadata: 0x12n, metadata_mask: 0xffn, eth_dst: '02:00:00:00:00:01', eth_src: '02:00:00:00:00:02',
      eth_type: 0x0800, vlan_vid: 0x1000 | 5, vlan_pcp: 3, ip_dscp: 10, ip_proto: 6, ipv4_src: '10.0.0.0',
      ipv4_src_mask: '255.0.0.0', ipv4_dst: '10.0.0.1', tcp_src: 1, tcp_dst: 2, udp_src: 3, udp_dst: 4,
      icmpv4_type: 5, icmpv4_code: 6, arp_op: 1, arp_spa: '1.2.3.4', arp_tpa: '5.6.7.8', arp_tpa_mask: '255.255.0.0',
      tunnel_id: 0xabcdn, tunnel_id_mask: 0xffffn,
    };
    const b = enc13(m);
    expect(decodeMatch13(new Reader(b))).toEqual(m);
  });

  it('keeps unknown fields raw and the wire order, so re-encoding is byte-identical', () => {
    // ipv6_src, then in_port, then an experimenter-class TLV.
    const oxm =
      '80003410' + 'fe800000000000000000000000000001' + '80000004' + '00000003' + 'ffff0206' + '000023200001';
    const len = 4 + oxm.length / 2;
    const hex = '0001' + len.toString(16).padStart(4, '0') + oxm + '00'.repeat((8 - (len % 8)) % 8);
    const m = decodeMatch13(new Reader(Buffer.from(hex, 'hex')));
    expect(m).toEqual({
      in_port: 3,
      oxm_raw: [
        { oxm_class: 0x8000, field: 26, hasmask: false, value: Buffer.from('fe800000000000000000000000000001', 'hex') },
        { oxm_class: 0xffff, field: 1, hasmask: false, value: Buffer.from('000023200001', 'hex') },
      ],
      oxm_order: ['raw', 'in_port', 'raw'],
    });
    expect(enc13(m).toString('hex')).toBe(hex);
  });

  it('keeps a duplicated field raw and treats a wrong-sized known field as raw', () => {
    const oxm = '8000000400000001' + '8000000400000002' + '80000a0108';
    const len = 4 + oxm.length / 2;
    const hex = '0001' + len.toString(16).padStart(4, '0') + oxm + '00'.repeat((8 - (len % 8)) % 8);
    const m = decodeMatch13(new Reader(Buffer.from(hex, 'hex')));
    expect(m.in_port).toBe(1);
    expect(m.oxm_raw).toHaveLength(2);
    expect(enc13(m).toString('hex')).toBe(hex);
  });

  it('rejects a non-OXM match type and a length below 4', () => {
    expect(() => decodeMatch13(new Reader(Buffer.from('0000000400000000', 'hex')))).toThrow(OfpDecodeError);
    expect(() => decodeMatch13(new Reader(Buffer.from('0001000200000000', 'hex')))).toThrow(OfpDecodeError);
  });
});
