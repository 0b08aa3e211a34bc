import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbClient, type TableUpdates } from './client';
import {
  OvsdbConnectionError,
  OvsdbError,
  OvsdbProtocolError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
} from './errors';
import { JsonFramer } from './framer';
import { eq, op } from './ops';

type Msg = { method?: string; params?: unknown[]; id?: unknown; result?: unknown; error?: unknown };

/** Server side of one connection: records what the client sent and lets the test answer. */
class Peer {
  private readonly framer = new JsonFramer();
  private readonly queue: Msg[] = [];
  private waiters: ((m: Msg) => void)[] = [];
  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.framer.push(chunk).messages) {
        const w = this.waiters.shift();
        if (w) w(m as Msg);
        else this.queue.push(m as Msg);
      }
    });
    socket.on('error', () => undefined);
  }
  next(timeoutMs = 2000): Promise<Msg> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('peer: no message from client')), timeoutMs);
      this.waiters.push((msg) => {
        clearTimeout(t);
        resolve(msg);
      });
    });
  }
  send(v: unknown): void {
    this.socket.write(typeof v === 'string' ? v : JSON.stringify(v));
  }
}

let dir: string;
let server: net.Server;
let sockPath: string;
let peers: Peer[] = [];
let accepted: ((p: Peer) => void)[] = [];
const clients: OvsdbClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-ovsdb-unit-'));
  sockPath = path.join(dir, 'fake.sock');
  server = net.createServer((s) => {
    const p = new Peer(s);
    const w = accepted.shift();
    if (w) w(p);
    else peers.push(p);
  });
  await new Promise<void>((r) => server.listen(sockPath, r));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  peers = [];
  accepted = [];
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function pair(opts: Parameters<typeof OvsdbClient.connect>[1] = {}): Promise<[OvsdbClient, Peer]> {
  const peerP = new Promise<Peer>((resolve) => {
    const p = peers.shift();
    if (p) resolve(p);
    else accepted.push(resolve);
  });
  const client = await OvsdbClient.connect({ path: sockPath }, opts);
  clients.push(client);
  return [client, await peerP];
}

function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

describe('OvsdbClient request/response', () => {
  it('sends JSON-RPC requests and matches out-of-order replies by id', async () => {
    const [client, peer] = await pair();
    const dbs = client.listDbs();
    const schema = client.getSchema('Open_vSwitch');
    const m1 = await peer.next();
    const m2 = await peer.next();
    expect(m1).toMatchObject({ method: 'list_dbs', params: [] });
    expect(m2).toMatchObject({ method: 'get_schema', params: ['Open_vSwitch'] });
    expect(m1.id).not.toEqual(m2.id);
    // Answer the second first, and in one write, to exercise matching and framing together.
    peer.send(
      JSON.stringify({ id: m2.id, result: { name: 'Open_vSwitch', version: '8.3.1', tables: {} }, error: null }) +
        JSON.stringify({ id: m1.id, result: ['Open_vSwitch'], error: null }),
    );
    expect(await dbs).toEqual(['Open_vSwitch']);
    expect((await schema).version).toBe('8.3.1');
    expect(client.pendingCount).toBe(0);
  });

  it('rejects with OvsdbError carrying error and details from the reply', async () => {
    const [client, peer] = await pair();
    const p = settle(client.getSchema('nope'));
    const m = await peer.next();
    peer.send({ id: m.id, result: null, error: { error: 'unknown database', details: 'no database nope' } });
    const r = await p;
    expect(r.ok).toBe(false);
    const e = (r as { error: OvsdbError }).error;
    expect(e).toBeInstanceOf(OvsdbError);
    expect(e.error).toBe('unknown database');
    expect(e.details).toBe('no database nope');
    expect(e.method).toBe('get_schema');
    expect(e.message).toContain('no database nope');
  });

  it('times out a request, ignores the late reply, and keeps working', async () => {
    const [client, peer] = await pair({ timeoutMs: 80 });
    const started = Date.now();
    const r = await settle(client.echo('a'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(OvsdbTimeoutError);
    expect(client.pendingCount).toBe(0);
    const first = await peer.next();
    peer.send({ id: first.id, result: ['a'], error: null });
    const again = client.echo('b');
    const second = await peer.next();
    peer.send({ id: second.id, result: ['b'], error: null });
    expect(await again).toEqual(['b']);
    expect(client.closed).toBe(false);
  });

  it('honours a per-request timeout', async () => {
    const [client] = await pair({ timeoutMs: 10_000 });
    const r = await settle(client.request('echo', [], { timeoutMs: 50 }));
    expect((r as { error: OvsdbError }).error).toBeInstanceOf(OvsdbTimeoutError);
  });

  it('answers the server echo with the same id and params', async () => {
    const [client, peer] = await pair();
    peer.send({ method: 'echo', params: ['ping', 7], id: 'echo' });
    const reply = await peer.next();
    expect(reply).toEqual({ id: 'echo', result: ['ping', 7], error: null });
    expect(client.closed).toBe(false);
  });

  it('answers unknown server requests with an error instead of ignoring them', async () => {
    const [, peer] = await pair();
    peer.send({ method: 'frobnicate', params: [], id: 5 });
    const reply = await peer.next();
    expect(reply.id).toBe(5);
    expect(reply.error).toMatchObject({ error: 'unknown method' });
  });

  it('rejects all pending calls when the server closes mid-call', async () => {
    const [client, peer] = await pair();
    const closed = new Promise<unknown>((r) => client.once('close', r));
    const a = settle(client.listDbs());
    const b = settle(client.transact('Open_vSwitch', op.select('Bridge', [])));
    await peer.next();
    await peer.next();
    peer.socket.destroy();
    for (const r of [await a, await b]) {
      expect(r.ok).toBe(false);
      const e = (r as { error: OvsdbError }).error;
      expect(e).toBeInstanceOf(OvsdbConnectionError);
      expect(e.message).toMatch(/closed.*while waiting for (list_dbs|transact)/);
    }
    expect(await closed).toBeInstanceOf(OvsdbConnectionError);
    const late = await settle(client.echo());
    expect((late as { error: unknown }).error).toBeInstanceOf(OvsdbConnectionError);
  });

  it('rejects pending calls when the client closes', async () => {
    const [client, peer] = await pair();
    const a = settle(client.listDbs());
    await peer.next();
    await client.close();
    const r = await a;
    expect((r as { error: OvsdbError }).error).toBeInstanceOf(OvsdbConnectionError);
    expect((r as { error: OvsdbError }).error.message).toContain('client closed');
  });

  it('drops the connection on non-JSON input and reports a protocol error', async () => {
    const [client, peer] = await pair();
    const a = settle(client.listDbs());
    const m = await peer.next();
    peer.send(`${JSON.stringify({ id: m.id, result: [], error: null })} NOT JSON`);
    const r = await a;
    // The valid reply before the garbage is still delivered.
    expect(r).toEqual({ ok: true, value: [] });
    await new Promise((res) => client.once('close', res));
    expect(client.closed).toBe(true);
    const b = await settle(client.listDbs());
    expect((b as { error: unknown }).error).toBeInstanceOf(OvsdbProtocolError);
  });

  it('fails to connect with a clear error', async () => {
    const r = await settle(OvsdbClient.connect({ path: path.join(dir, 'absent.sock') }));
    expect((r as { error: OvsdbError }).error).toBeInstanceOf(OvsdbConnectionError);
    expect((r as { error: OvsdbError }).error.message).toContain('absent.sock');
  });
});

describe('OvsdbClient transact', () => {
  it('sends [db, ...ops] and resolves with per-op results', async () => {
    const [client, peer] = await pair();
    const p = client.transact('Open_vSwitch', op.insert('Bridge', { name: 'br0' }, 'b'), op.select('Bridge', [eq('name', 'br0')], ['name']));
    const m = await peer.next();
    expect(m.method).toBe('transact');
    expect(m.params).toEqual([
      'Open_vSwitch',
      { op: 'insert', table: 'Bridge', row: { name: 'br0' }, 'uuid-name': 'b' },
      { op: 'select', table: 'Bridge', where: [['name', '==', 'br0']], columns: ['name'] },
    ]);
    const u = ['uuid', '550e8400-e29b-41d4-a716-446655440000'];
    peer.send({ id: m.id, result: [{ uuid: u }, { rows: [{ name: 'br0' }] }], error: null });
    const [ins, sel] = await p;
    expect(ins.uuid).toEqual(u);
    expect(sel.rows).toEqual([{ name: 'br0' }]);
  });

  it('rejects naming the failed operation', async () => {
    const [client, peer] = await pair();
    const p = settle(client.transact('Open_vSwitch', op.select('Bridge', []), op.wait('Bridge', [], ['name'], '==', [], 0), op.delete('Bridge', [])));
    const m = await peer.next();
    peer.send({ id: m.id, result: [{ rows: [] }, { error: 'timed out', details: 'where clause test failed' }, null], error: null });
    const e = (await p as { error: OvsdbTransactionError }).error;
    expect(e).toBeInstanceOf(OvsdbTransactionError);
    expect(e.opIndex).toBe(1);
    expect(e.op).toBe('wait');
    expect(e.error).toBe('timed out');
    expect(e.message).toContain('operation 1 (wait) failed: timed out');
  });

  it('reports a commit failure from the extra result element', async () => {
    const [client, peer] = await pair();
    const p = settle(client.transact('Open_vSwitch', op.insert('Port', { name: 'p' })));
    const m = await peer.next();
    peer.send({ id: m.id, result: [{ uuid: ['uuid', '550e8400-e29b-41d4-a716-446655440000'] }, { error: 'constraint violation', details: 'duplicate name' }], error: null });
    const e = (await p as { error: OvsdbTransactionError }).error;
    expect(e).toBeInstanceOf(OvsdbTransactionError);
    expect(e.opIndex).toBe(1);
    expect(e.op).toBe('commit');
    expect(e.message).toContain('commit failed: constraint violation: duplicate name');
  });

  it('rejects a short result array', async () => {
    const [client, peer] = await pair();
    const p = settle(client.transact('Open_vSwitch', op.select('A', []), op.select('B', [])));
    const m = await peer.next();
    peer.send({ id: m.id, result: [{ rows: [] }], error: null });
    expect((await p as { error: OvsdbError }).error.error).toBe('bad reply');
  });
});

describe('OvsdbClient monitor', () => {
  it('returns the initial rows and delivers updates for its monitor id only', async () => {
    const [client, peer] = await pair();
    const seen: TableUpdates[] = [];
    const emitted: unknown[] = [];
    client.on('update', (id, u) => emitted.push([id, u]));
    const p = client.monitor('Open_vSwitch', ['m', 1], { Bridge: { columns: ['name'] } }, (u) => seen.push(u));
    const m = await peer.next();
    expect(m.params).toEqual(['Open_vSwitch', ['m', 1], { Bridge: { columns: ['name'] } }]);
    const initial = { Bridge: { 'u-1': { new: { name: 'br0' } } } };
    const upd = { Bridge: { 'u-2': { new: { name: 'br1' } }, 'u-1': { old: { name: 'br0' } } } };
    peer.send(
      JSON.stringify({ id: m.id, result: initial, error: null }) +
        JSON.stringify({ method: 'update', params: [['m', 1], upd], id: null }) +
        JSON.stringify({ method: 'update', params: ['other', { X: {} }], id: null }),
    );
    expect(await p).toEqual(initial);
    const echoP = client.echo();
    const e = await peer.next();
    peer.send({ id: e.id, result: [], error: null });
    await echoP;
    expect(seen).toEqual([upd]);
    expect(emitted).toEqual([[['m', 1], upd]]);

    const cancel = client.monitorCancel(['m', 1]);
    const c = await peer.next();
    expect(c).toMatchObject({ method: 'monitor_cancel', params: [['m', 1]] });
    peer.send({ id: c.id, result: {}, error: null });
    await cancel;
    peer.send({ method: 'update', params: [['m', 1], upd], id: null });
    const echo2 = client.echo();
    const e2 = await peer.next();
    peer.send({ id: e2.id, result: [], error: null });
    await echo2;
    expect(seen).toHaveLength(1);
  });

  it('frees the monitor id when the monitor request fails', async () => {
    const [client, peer] = await pair();
    const p = settle(client.monitor('Nope', 'mid', {}));
    const m = await peer.next();
    peer.send({ id: m.id, result: null, error: { error: 'unknown database' } });
    expect(((await p) as { error: OvsdbError }).error.error).toBe('unknown database');
    const again = client.monitor('Open_vSwitch', 'mid', {});
    const m2 = await peer.next();
    peer.send({ id: m2.id, result: {}, error: null });
    expect(await again).toEqual({});
  });
});

describe('OvsdbClient keepalive', () => {
  it('closes the connection when the server stops answering echoes', async () => {
    const [client, peer] = await pair({ echoIntervalMs: 40, echoTimeoutMs: 60 });
    const reason = await new Promise<unknown>((r) => client.once('close', r));
    expect(reason).toBeInstanceOf(OvsdbConnectionError);
    expect((reason as Error).message).toContain('keepalive');
    expect((await peer.next()).method).toBe('echo');
  });

  it('stays open while the server answers', async () => {
    const [client, peer] = await pair({ echoIntervalMs: 30, echoTimeoutMs: 60 });
    let answered = 0;
    const stop = Date.now() + 300;
    while (Date.now() < stop) {
      const m = await peer.next(500).catch(() => undefined);
      if (m?.method === 'echo') {
        peer.send({ id: m.id, result: m.params, error: null });
        answered++;
      }
    }
    expect(answered).toBeGreaterThanOrEqual(2);
    expect(client.closed).toBe(false);
  });
});
