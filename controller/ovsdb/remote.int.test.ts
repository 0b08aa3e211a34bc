// The OVSDB client over TCP and TLS against a real ovsdb-server listening on loopback
// (ptcp/pssl), as a remote hypervisor's `ovsdb-server --remote=pssl:6640` would: TLS with a
// client certificate works, and a server or client certificate from another CA is refused.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbClient, OvsdbConnectionError, parseOvsdbRemote, type OvsdbTlsOptions } from './index';
import { ovsUnavailableReason, startOvs, type OvsInstance } from './testing/ovs-instance';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore', timeout: 30_000 });
}

/** A CA and a certificate it signs for `name`, as PEM file paths. */
function issue(dir: string, ca: string, name: string): { key: string; cert: string } {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1']);
  return { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.pem`) };
}

function makeCa(dir: string, name: string): string {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=${name}`]);
  return path.join(dir, `${name}.pem`);
}

const unavailable = ovsUnavailableReason() ?? (fs.existsSync('/usr/bin/openssl') ? undefined : 'openssl is missing');

describe.skipIf(unavailable)('OVSDB client over TCP and TLS to a real ovsdb-server', () => {
  let dir: string;
  let ovs: OvsInstance;
  let tcpPort: number;
  let sslPort: number;
  let good: OvsdbTlsOptions;
  let rogueClient: OvsdbTlsOptions;
  let distrustful: OvsdbTlsOptions;
  const read = (f: string) => fs.readFileSync(f);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-ovsdb-tls-'));
    const ca = makeCa(dir, 'ca');
    const otherCa = makeCa(dir, 'other-ca');
    const server = issue(dir, 'ca', 'ovsdb-server');
    const client = issue(dir, 'ca', 'ferry');
    const rogue = issue(dir, 'other-ca', 'rogue');
    good = { key: read(client.key), cert: read(client.cert), ca: read(ca) };
    rogueClient = { key: read(rogue.key), cert: read(rogue.cert), ca: read(ca) };
    distrustful = { key: read(client.key), cert: read(client.cert), ca: read(otherCa) };
    tcpPort = await freePort();
    sslPort = await freePort();
    // No namespace: the listeners are on this machine's loopback, where the test connects.
    ovs = await startOvs({
      netns: null,
      withVswitchd: false,
      serverArgs: [`--remote=ptcp:${tcpPort}:127.0.0.1`, `--remote=pssl:${sslPort}:127.0.0.1`, `--private-key=${server.key}`, `--certificate=${server.cert}`, `--ca-cert=${ca}`],
    });
  }, 60_000);

  afterAll(async () => {
    await ovs?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('talks to ovsdb-server over tcp:HOST:PORT', async () => {
    const c = await OvsdbClient.connect(parseOvsdbRemote(`tcp:127.0.0.1:${tcpPort}`), { timeoutMs: 5_000 });
    try {
      expect(await c.listDbs()).toContain('Open_vSwitch');
    } finally {
      c.close();
    }
  });

  it('talks to ovsdb-server over ssl:HOST:PORT with a client certificate from the same CA', async () => {
    const c = await OvsdbClient.connect(parseOvsdbRemote(`ssl:127.0.0.1:${sslPort}`, good), { timeoutMs: 5_000 });
    try {
      expect(await c.listDbs()).toContain('Open_vSwitch');
      const [res] = await c.transact('Open_vSwitch', { op: 'select', table: 'Open_vSwitch', where: [], columns: ['_uuid'] });
      expect(res.rows).toHaveLength(1);
    } finally {
      c.close();
    }
  });

  it('is refused by the server when its client certificate comes from another CA', async () => {
    const outcome = await OvsdbClient.connect(parseOvsdbRemote(`ssl:127.0.0.1:${sslPort}`, rogueClient), { timeoutMs: 5_000, connectTimeoutMs: 5_000 }).then(
      // With TLS 1.3 the server may judge the client certificate only after the handshake.
      async (c) => {
        try {
          await c.listDbs();
          return 'accepted';
        } catch (e) {
          return e;
        } finally {
          c.close();
        }
      },
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(OvsdbConnectionError);
  });

  it('refuses a server whose certificate does not chain to the configured CA', async () => {
    await expect(OvsdbClient.connect(parseOvsdbRemote(`ssl:127.0.0.1:${sslPort}`, distrustful), { connectTimeoutMs: 5_000 })).rejects.toThrow(
      /cannot connect to ssl:127\.0\.0\.1:\d+: .*(certificate|self.signed)/i,
    );
  });

  it('checks the server certificate names the host only when asked to', async () => {
    await expect(
      OvsdbClient.connect(parseOvsdbRemote(`ssl:127.0.0.1:${sslPort}`, { ...good, servername: 'hv1.example.net' }), { connectTimeoutMs: 5_000 }),
    ).rejects.toThrow(/hv1\.example\.net/);
  });
});
