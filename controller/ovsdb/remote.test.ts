import { describe, expect, it } from 'vitest';
import { formatOvsdbRemote, parseOvsdbRemote } from './client';

const TLS = { key: 'k', cert: 'c', ca: 'a' };

describe('OVSDB remotes as ovs-vsctl writes them', () => {
  it('parses unix, tcp and ssl remotes, IPv6 hosts in brackets', () => {
    expect(parseOvsdbRemote('unix:/var/run/openvswitch/db.sock')).toEqual({ path: '/var/run/openvswitch/db.sock' });
    expect(parseOvsdbRemote('tcp:192.0.2.10:6640')).toEqual({ host: '192.0.2.10', port: 6640 });
    expect(parseOvsdbRemote('tcp:hv1.example.net:6640')).toEqual({ host: 'hv1.example.net', port: 6640 });
    expect(parseOvsdbRemote('ssl:[2001:db8::1]:6640', TLS)).toEqual({ host: '2001:db8::1', port: 6640, tls: TLS });
  });

  it('formats an address back into the same remote', () => {
    for (const r of ['unix:/run/db.sock', 'tcp:192.0.2.10:6640', 'ssl:[2001:db8::1]:6640']) {
      expect(formatOvsdbRemote(parseOvsdbRemote(r, TLS))).toBe(r);
    }
  });

  it('refuses malformed remotes with a message naming the expected form', () => {
    expect(() => parseOvsdbRemote('192.0.2.10:6640')).toThrow(/must be unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT/);
    expect(() => parseOvsdbRemote('ptcp:6640')).toThrow(/must be unix:PATH/);
    expect(() => parseOvsdbRemote('tcp:192.0.2.10')).toThrow(/expected tcp:HOST:PORT/);
    expect(() => parseOvsdbRemote('tcp:192.0.2.10:0')).toThrow(/port from 1 to 65535/);
    expect(() => parseOvsdbRemote('tcp:192.0.2.10:70000')).toThrow(/port from 1 to 65535/);
    expect(() => parseOvsdbRemote('tcp:2001:db8::1:6640')).toThrow(/expected tcp:HOST:PORT/);
  });

  it('asks for TLS material for ssl remotes', () => {
    expect(() => parseOvsdbRemote('ssl:192.0.2.10:6640')).toThrow(/needs a private key, a certificate and a CA certificate/);
  });
});
