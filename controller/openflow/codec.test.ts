import { describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures/fixtures';
import { decodeMessage, encodeMessage, OfpEncodeError } from './index';

describe('golden fixtures', () => {
  it('covers both versions and every decoded message type', () => {
    const seen = new Set(FIXTURES.map((f) => `${f.expected.version}:${f.expected.type}`));
    for (const t of ['hello', 'error', 'echo_request', 'echo_reply', 'features_request', 'features_reply', 'get_config_request',
      'get_config_reply', 'set_config', 'packet_in', 'packet_out', 'flow_mod', 'flow_removed', 'port_status',
      'barrier_request', 'barrier_reply', 'multipart_request', 'multipart_reply', 'unknown']) {
      expect(seen.has(`1:${t}`) || seen.has(`4:${t}`), t).toBe(true);
    }
    expect(seen.has('4:role_request') && seen.has('4:role_reply')).toBe(true);
  });

  for (const f of FIXTURES) {
    describe(f.name, () => {
      const bytes = Buffer.from(f.hex, 'hex');
      it('decodes to the expected object', () => {
        expect(decodeMessage(bytes)).toEqual(f.expected);
      });
      it('re-encodes to identical bytes', () => {
        expect(encodeMessage(f.expected.version, f.expected).toString('hex')).toBe(f.hex);
      });
    });
  }
});

describe('malformed and unknown input', () => {
  const fm13 = FIXTURES.find((f) => f.name.startsWith('of13 flow_mod tcp'))!;
  const fm10 = FIXTURES.find((f) => f.name.startsWith('of10 flow_mod tcp'))!;

  it('decodes an unknown type to unknown with the raw bytes', () => {
    const raw = Buffer.from('047e000800000016', 'hex');
    expect(decodeMessage(raw)).toEqual({ type: 'unknown', version: 4, xid: 0x16, msgType: 0x7e, raw });
  });

  it('decodes an unsupported version to unknown, but still reads any HELLO', () => {
    expect(decodeMessage(Buffer.from('0205000800000003', 'hex'))).toMatchObject({ type: 'unknown', version: 2, msgType: 5 });
    expect(decodeMessage(Buffer.from('0600001000000003000100080000005e', 'hex'))).toEqual({
      type: 'hello', version: 6, xid: 3, elements: [{ type: 'versionbitmap', bitmaps: [0x5e] }],
    });
  });

  it('reports a truncated struct as malformed instead of throwing', () => {
    for (const f of [fm13, fm10]) {
      const b = Buffer.from(f.hex, 'hex');
      const cut = Buffer.from(b.subarray(0, 40));
      cut.writeUInt16BE(40, 2);
      const m = decodeMessage(cut);
      expect(m.type).toBe('malformed');
      if (m.type === 'malformed') {
        expect(m.msgType).toBe(14);
        expect(m.xid).toBe(b.readUInt32BE(4));
        expect(m.reason).toMatch(/truncated/);
        expect(m.raw).toEqual(cut);
      }
    }
  });

  it('reports a header length that disagrees with the buffer, and short buffers', () => {
    expect(decodeMessage(Buffer.from('0400001000000001', 'hex'))).toMatchObject({ type: 'malformed', reason: /header length/ });
    expect(decodeMessage(Buffer.from('0400', 'hex'))).toMatchObject({ type: 'malformed', reason: 'shorter than header' });
    expect(decodeMessage(Buffer.alloc(0))).toMatchObject({ type: 'malformed' });
  });

  it('reports trailing bytes on fixed-size messages and bad TLV lengths', () => {
    expect(decodeMessage(Buffer.from('0414000900000001ff', 'hex'))).toMatchObject({ type: 'malformed', reason: /trailing/ });
    // 1.3 packet_out with an action of length 4.
    const po = Buffer.from('040d002000000001ffffffff fffffffd 0008 000000000000 0000 0004 00000000'.replace(/ /g, ''), 'hex');
    expect(decodeMessage(po)).toMatchObject({ type: 'malformed', reason: /bad action length 4/ });
    // 1.0 flow_mod with command 9.
    const b = Buffer.from(fm10.hex, 'hex');
    b.writeUInt16BE(9, 56);
    expect(decodeMessage(b)).toMatchObject({ type: 'malformed', reason: /command 9/ });
  });

  it('maps reserved ports between the 32-bit neutral space and 1.0', () => {
    const po = encodeMessage(1, { type: 'packet_out', xid: 1, buffer_id: 0xffffffff, in_port: 0xfffffffd,
      actions: [{ type: 'output', port: 0xfffffffb }, { type: 'output', port: 0xfffffffe }], data: Buffer.alloc(0) });
    expect(po.toString('hex')).toBe('010d002000000001fffffffffffd001000000008fffb000000000008fffe0000');
    expect(decodeMessage(po)).toMatchObject({ in_port: 0xfffffffd, actions: [{ port: 0xfffffffb }, { port: 0xfffffffe }] });
    expect(() => encodeMessage(1, { type: 'packet_out', xid: 1, buffer_id: 0, in_port: 0x10000, actions: [], data: Buffer.alloc(0) }))
      .toThrow(OfpEncodeError);
  });

  it('refuses to encode what a version cannot express', () => {
    const base = { type: 'flow_mod', xid: 1, command: 'add', cookie: 0n, idle_timeout: 0, hard_timeout: 0, priority: 1,
      buffer_id: 0xffffffff, out_port: 0xffffffff, flags: 0, match: {} } as const;
    expect(() => encodeMessage(1, { ...base, instructions: [{ type: 'goto_table', table_id: 1 }] })).toThrow(OfpEncodeError);
    expect(() => encodeMessage(1, { ...base, match: { tunnel_id: 1n } })).toThrow(/tunnel_id/);
    expect(() => encodeMessage(1, { ...base, match: { ipv4_src: '10.0.0.0', ipv4_src_mask: '255.0.255.0' } })).toThrow(/prefix/);
    expect(() => encodeMessage(1, { type: 'role_request', xid: 1, role: 2, generation_id: 0n })).toThrow(OfpEncodeError);
    expect(() => encodeMessage(4, { ...base, actions: [{ type: 'enqueue', port: 1, queue_id: 1 }] })).toThrow(OfpEncodeError);
    expect(() => encodeMessage(2, { type: 'hello', xid: 1 })).toThrow(/unsupported/);
    expect(() => encodeMessage(4, { type: 'echo_request', xid: 1, data: Buffer.alloc(0x10000) })).toThrow(/exceeds/);
    expect(() => encodeMessage(4, { ...base, match: { eth_src: 'nope' } })).toThrow(/MAC/);
  });

  it('translates between 1.0 actions and 1.3 set_field where both can express it', () => {
    const base = { type: 'flow_mod', xid: 5, command: 'add', cookie: 0n, idle_timeout: 0, hard_timeout: 0, priority: 1,
      buffer_id: 0xffffffff, out_port: 0xffffffff, flags: 0, match: { in_port: 1 } } as const;
    const to13 = decodeMessage(encodeMessage(4, { ...base, actions: [{ type: 'set_dl_dst', mac: '02:00:00:00:00:01' }, { type: 'strip_vlan' }] }));
    expect(to13).toMatchObject({ instructions: [{ type: 'apply_actions', actions: [
      { type: 'set_field', field: 'eth_dst', value: '02:00:00:00:00:01' }, { type: 'pop_vlan' }] }] });
    const to10 = decodeMessage(encodeMessage(1, { ...base, instructions: [{ type: 'apply_actions', actions: [
      { type: 'set_field', field: 'ipv4_src', value: '1.2.3.4' }, { type: 'set_field', field: 'vlan_vid', value: 0x1000 | 9 }] }] }));
    expect(to10).toMatchObject({ actions: [{ type: 'set_nw_src', ip: '1.2.3.4' }, { type: 'set_vlan_vid', vlan_vid: 9 }] });
  });
});
