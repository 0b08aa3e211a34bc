import { describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures/fixtures';
import { decodeMessage, hasMore, MultipartAssembler, type MultipartReplyMsg } from './index';

const reply = (name: string): MultipartReplyMsg => {
  const m = decodeMessage(Buffer.from(FIXTURES.find((f) => f.name === name)!.hex, 'hex'));
  if (m.type !== 'multipart_reply') throw new Error('not a reply');
  return m;
};

describe('MultipartAssembler', () => {
  it('joins a REPLY_MORE sequence with the same xid', () => {
    const p1 = reply('of13 flow stats reply part 1 (REPLY_MORE)');
    const p2 = reply('of13 flow stats reply part 2');
    expect(hasMore(p1)).toBe(true);
    expect(hasMore(p2)).toBe(false);
    const a = new MultipartAssembler();
    expect(a.push(p1)).toEqual({ status: 'partial' });
    expect(a.pendingXids).toEqual([40]);
    const r = a.push(p2);
    expect(r.status).toBe('complete');
    if (r.status === 'complete' && r.reply.body.kind === 'flow') {
      expect(r.reply.flags).toBe(0);
      expect(r.reply.xid).toBe(40);
      expect(r.reply.body.flows.map((f) => f.cookie)).toEqual([0xffn, 0n]);
    }
    expect(a.pendingXids).toEqual([]);
  });

  it('passes a single reply without MORE straight through', () => {
    const r = new MultipartAssembler().push(reply('of13 port stats reply (OVS)'));
    expect(r.status).toBe('complete');
  });

  it('keeps sequences of different xids apart and can discard one', () => {
    const a = new MultipartAssembler();
    const t = reply('of10 table stats reply (REPLY_MORE)');
    a.push(t);
    a.push({ ...t, xid: 99 });
    expect(a.pendingXids.sort()).toEqual([65, 99]);
    expect(a.discard(99)).toBe(true);
    const done = a.push({ ...t, flags: 0 });
    expect(done.status === 'complete' && done.reply.body.kind === 'table' && done.reply.body.tables.length).toBe(2);
  });

  it('reports a kind change within a sequence', () => {
    const a = new MultipartAssembler();
    a.push(reply('of13 flow stats reply part 1 (REPLY_MORE)'));
    const r = a.push({ ...reply('of13 table stats reply'), xid: 40 });
    expect(r).toMatchObject({ status: 'error', xid: 40 });
    expect(a.pendingXids).toEqual([]);
  });

  it('concatenates unknown bodies byte-wise', () => {
    const a = new MultipartAssembler();
    const u = (flags: number, hex: string): MultipartReplyMsg => ({
      type: 'multipart_reply', xid: 1, flags, body: { kind: 'unknown', mp_type: 7, body: Buffer.from(hex, 'hex') },
    });
    a.push(u(1, 'aabb'));
    expect(a.push(u(0, 'cc'))).toMatchObject({ status: 'complete', reply: { body: { body: Buffer.from('aabbcc', 'hex') } } });
  });
});
