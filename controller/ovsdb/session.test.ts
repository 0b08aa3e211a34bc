import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableUpdates } from './client';
import { JsonFramer } from './framer';
import { OvsdbSession } from './session';

type Msg = { method?: string; params?: unknown[]; id?: unknown };

/**
 * Test double of ovsdb-server on a UNIX socket: answers `monitor` with one Bridge row named after
 * the generation (how many times the server was started), and can go down and come back.
 */
class FakeServer {
  generation = 0;
  monitorsSeen = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly path: string) {}

  async up(): Promise<void> {
    this.generation++;
    const gen = this.generation;
    this.server = net.createServer((s) => {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
      const framer = new JsonFramer();
      s.on('data', (chunk: Buffer) => {
        for (const m of framer.push(chunk).messages as Msg[]) {
          if (m.method !== 'monitor') continue;
          this.monitorsSeen++;
          const rows: TableUpdates = { Bridge: { [`u${gen}`]: { new: { name: `br-gen${gen}` } } } };
          s.write(JSON.stringify({ id: m.id, result: rows, error: null }));
          // A live change right after, as ovsdb-server would send on a commit.
          setTimeout(() => s.write(JSON.stringify({ method: 'update', params: [m.params![1], { Bridge: { [`u${gen}`]: { new: { name: `br-gen${gen}-changed` } } } }], id: null })), 20);
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.path, r));
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-ovsdb-session-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (what: string, fn: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('OvsdbSession', () => {
  it('reconnects after the server restarts and issues its monitor again, flagging the new contents as a resync', async () => {
    const server = new FakeServer(path.join(dir, 'a.sock'));
    await server.up();
    const session = new OvsdbSession({ path: server.path }, { minBackoffMs: 20, maxBackoffMs: 100 });
    const seen: { names: string[]; resync: boolean }[] = [];
    try {
      const initial = await session.monitor('Open_vSwitch', 'm', { Bridge: { columns: ['name'] } }, (u, info) =>
        seen.push({ names: Object.values(u.Bridge ?? {}).map((r) => String(r.new?.name)), resync: info.resync }),
      );
      expect(Object.values(initial.Bridge ?? {}).map((r) => r.new?.name)).toEqual(['br-gen1']);
      await until('the first live update', () => seen.length === 1);

      const disconnected = new Promise((r) => session.once('disconnected', r));
      const connected = new Promise<{ reconnect: boolean }>((r) => session.once('connected', (_c, info) => r(info)));
      await server.down();
      await disconnected;
      expect(session.client).toBeUndefined();
      // Some attempts fail while the server is away; the session keeps trying.
      await new Promise((r) => setTimeout(r, 150));
      await server.up();
      expect(await connected).toEqual({ reconnect: true });
      await until('the monitor issued again and its update', () => seen.length === 3);
      expect(seen).toEqual([
        { names: ['br-gen1-changed'], resync: false },
        { names: ['br-gen2'], resync: true },
        { names: ['br-gen2-changed'], resync: false },
      ]);
      expect(server.monitorsSeen).toBe(2);
      await server.down();
    } finally {
      await session.close();
    }
  });

  it('gives up after maxAttempts failed connects and says so', async () => {
    const session = new OvsdbSession({ path: path.join(dir, 'nobody.sock') }, { minBackoffMs: 5, maxBackoffMs: 10, maxAttempts: 3 });
    const closed = new Promise<Error | undefined>((r) => session.once('closed', r));
    await expect(session.start()).rejects.toThrow(/gave up after 3 attempts/);
    expect((await closed)?.message).toMatch(/gave up after 3 attempts/);
  });
});
