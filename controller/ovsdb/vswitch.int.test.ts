import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbClient, type TableUpdates } from './client';
import { uuid } from './datum';
import { OvsdbConnectionError, OvsdbTransactionError } from './errors';
import { op } from './ops';
import { startOvs, ovsUnavailableReason, type OvsInstance } from './testing/ovs-instance';
import { Vswitch, VswitchError } from './vswitch';

const unavailable = ovsUnavailableReason();
if (unavailable) console.warn(`skipping OVS integration tests: ${unavailable}`);

const BR = 'br-ferryt';
const DPID = '0000000000000abc';

/** `ovs-vsctl get` prints strings quoted only when needed; normalise to the bare value. */
function unquote(s: string): string {
  return s.startsWith('"') ? (JSON.parse(s) as string) : s;
}

/** `ovs-vsctl get` prints a set as `[a, "b c"]`. */
function parseSet(s: string): string[] {
  const inner = s.replace(/^\[|\]$/g, '').trim();
  return inner === '' ? [] : inner.split(', ').map(unquote);
}

function rootNsHasLink(name: string): Promise<boolean> {
  return new Promise((resolve) => execFile('ip', ['link', 'show', name], (err) => resolve(!err)));
}

async function expectRejects<E extends Error>(p: Promise<unknown>, type: new (...a: never[]) => E): Promise<E> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(r).toBeInstanceOf(type);
  return r as E;
}

describe.skipIf(!!unavailable)('Vswitch against ovsdb-server + ovs-vswitchd', () => {
  let ovs: OvsInstance;
  let client: OvsdbClient;
  let vs: Vswitch;
  const get = async (table: string, record: string, column: string) => unquote(await ovs.vsctl(['get', table, record, column]));

  beforeAll(async () => {
    ovs = await startOvs({ withVswitchd: true });
    client = await OvsdbClient.connect({ path: ovs.dbSock });
    vs = new Vswitch(client);
  });

  afterAll(async () => {
    try {
      await client?.close();
    } finally {
      await ovs?.stop();
    }
  });

  it('lists databases and fetches the installed schema', async () => {
    expect(await client.listDbs()).toContain('Open_vSwitch');
    const schema = await client.getSchema('Open_vSwitch');
    const file = JSON.parse(readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')) as { version: string };
    expect(schema.version).toBe(file.version);
    expect(Object.keys(schema.tables)).toEqual(expect.arrayContaining(['Bridge', 'Port', 'Interface', 'Controller']));
  });

  it('ensureBridge creates a netdev bridge with the requested columns', async () => {
    const ctlSock = path.join(ovs.dir, 'ferry-ctl.sock');
    const res = await vs.ensureBridge(BR, {
      datapathType: 'netdev',
      failMode: 'secure',
      protocols: ['OpenFlow10', 'OpenFlow13'],
      controllers: [`unix:${ctlSock}`, 'tcp:127.0.0.1:6653'],
      otherConfig: { 'datapath-id': DPID, hwaddr: '02:00:00:00:0a:bc' },
    });
    expect(res.created).toBe(true);
    expect((await ovs.vsctl(['list-br'])).split('\n')).toContain(BR);
    expect(await get('Bridge', BR, '_uuid')).toBe(res.uuid);
    expect(await get('Bridge', BR, 'datapath_type')).toBe('netdev');
    expect(await get('Bridge', BR, 'fail_mode')).toBe('secure');
    expect(parseSet(await get('Bridge', BR, 'protocols'))).toEqual(['OpenFlow10', 'OpenFlow13']);
    expect((await ovs.vsctl(['get-controller', BR])).split('\n').sort()).toEqual(['tcp:127.0.0.1:6653', `unix:${ctlSock}`].sort());
    expect(await get('Bridge', BR, 'other_config:datapath-id')).toBe(DPID);
    expect(await get('Interface', BR, 'type')).toBe('internal');
    // The datapath device exists only inside the instance's namespace, once ovs-vswitchd has
    // applied the committed transaction (it does so after the commit, not with it).
    expect(await vs.waitForOfport(BR, 10_000)).toBeGreaterThanOrEqual(0);
    await ovs.exec('ip', ['link', 'show', BR]);
    expect(await rootNsHasLink(BR)).toBe(false);
  });

  it('ensureBridge is idempotent and updates only what differs', async () => {
    const ctlBefore = await get('Bridge', BR, 'controller');
    const again = await vs.ensureBridge(BR, {
      datapathType: 'netdev',
      failMode: 'secure',
      protocols: ['OpenFlow13', 'OpenFlow10'],
      controllers: ['tcp:127.0.0.1:6653', `unix:${path.join(ovs.dir, 'ferry-ctl.sock')}`],
      otherConfig: { 'datapath-id': DPID },
    });
    expect(again).toMatchObject({ created: false, changed: false, uuid: await get('Bridge', BR, '_uuid') });
    // Same Controller rows: an unchanged target must not be re-created (that would reset the connection).
    expect(await get('Bridge', BR, 'controller')).toBe(ctlBefore);

    const changed = await vs.ensureBridge(BR, { failMode: 'standalone', protocols: ['OpenFlow13'] });
    expect(changed).toMatchObject({ created: false, changed: true });
    expect(await get('Bridge', BR, 'fail_mode')).toBe('standalone');
    expect(parseSet(await get('Bridge', BR, 'protocols'))).toEqual(['OpenFlow13']);
    expect(await get('Bridge', BR, 'controller')).toBe(ctlBefore);
    await vs.ensureBridge(BR, { failMode: 'secure', protocols: ['OpenFlow10', 'OpenFlow13'] });
    expect(await get('Bridge', BR, 'fail_mode')).toBe('secure');
  });

  it('ovs-vswitchd fills datapath_id from other_config:datapath-id', async () => {
    expect(await vs.waitForDatapathId(BR, 10_000)).toBe(DPID);
    expect(await get('Bridge', BR, 'datapath_id')).toBe(DPID);
    const info = (await vs.getBridges()).find((b) => b.name === BR);
    expect(info).toMatchObject({
      datapathType: 'netdev',
      failMode: 'secure',
      datapathId: DPID,
      ports: [BR],
      otherConfig: { 'datapath-id': DPID, hwaddr: '02:00:00:00:0a:bc' },
    });
    expect(info?.controllers).toHaveLength(2);
    expect([...(info?.protocols ?? [])].sort()).toEqual(['OpenFlow10', 'OpenFlow13']);
  });

  it('addPort creates Port+Interface with external_ids and the requested ofport', async () => {
    const ids = {
      'iface-id': 'port-7f3a',
      'attached-mac': '52:54:00:12:34:56',
      'vm-uuid': '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
      'iface-status': 'active',
    };
    const res = await vs.addPort(BR, 'vnet-t1', { type: 'internal', externalIds: ids, ofportRequest: 7 });
    expect(res.created).toBe(true);
    expect((await ovs.vsctl(['list-ports', BR])).split('\n')).toContain('vnet-t1');
    for (const [k, v] of Object.entries(ids)) expect(await get('Interface', 'vnet-t1', `external_ids:${k}`)).toBe(v);
    expect(await get('Port', 'vnet-t1', '_uuid')).toBe(res.uuid);

    expect(await vs.waitForOfport('vnet-t1', 10_000)).toBe(7);
    expect(await get('Interface', 'vnet-t1', 'ofport')).toBe('7');

    const again = await vs.addPort(BR, 'vnet-t1', { type: 'internal', externalIds: ids, ofportRequest: 7 });
    expect(again).toMatchObject({ created: false, changed: false, uuid: res.uuid });
    const err = await expectRejects(vs.addPort('br-missing', 'vnet-t2'), VswitchError);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('br-missing');
  });

  it('addGreTunnel creates a gre interface with remote_ip and key', async () => {
    await vs.addGreTunnel(BR, 'gre-t1', '10.250.2.11', { key: 42 });
    expect(await get('Interface', 'gre-t1', 'type')).toBe('gre');
    expect(await get('Interface', 'gre-t1', 'options:remote_ip')).toBe('10.250.2.11');
    expect(await get('Interface', 'gre-t1', 'options:key')).toBe('42');
    expect(await vs.waitForOfport('gre-t1', 10_000)).toBeGreaterThan(0);
    const bad = await expectRejects(vs.addGreTunnel(BR, 'gre-t2', 'not-an-ip'), VswitchError);
    expect(bad.code).toBe('INVALID');
  });

  it('getInterfaces agrees with ovs-vsctl', async () => {
    const ifaces = await vs.getInterfaces();
    for (const name of [BR, 'vnet-t1', 'gre-t1']) {
      const i = ifaces.find((x) => x.name === name);
      expect(i, name).toBeDefined();
      expect(String(i?.ofport)).toBe(await get('Interface', name, 'ofport'));
      expect(i?.type).toBe(await get('Interface', name, 'type'));
      expect(i?.uuid).toBe(await get('Interface', name, '_uuid'));
    }
    const vnet = ifaces.find((x) => x.name === 'vnet-t1');
    expect(vnet?.macInUse).toBe(await get('Interface', 'vnet-t1', 'mac_in_use'));
    expect(vnet?.externalIds['iface-id']).toBe('port-7f3a');
    expect(ifaces.find((x) => x.name === 'gre-t1')?.options).toEqual({ remote_ip: '10.250.2.11', key: '42' });
  });

  it('setInterfaceExternalIds merges, overwrites and removes keys', async () => {
    await vs.setInterfaceExternalIds('vnet-t1', { 'iface-status': 'inactive', 'vm-uuid': null, extra: 'x' });
    expect(await get('Interface', 'vnet-t1', 'external_ids:iface-status')).toBe('inactive');
    expect(await get('Interface', 'vnet-t1', 'external_ids:extra')).toBe('x');
    expect(await get('Interface', 'vnet-t1', 'external_ids:iface-id')).toBe('port-7f3a');
    expect(await ovs.vsctl(['--if-exists', 'get', 'Interface', 'vnet-t1', 'external_ids:vm-uuid'])).toBe('');
    const err = await expectRejects(vs.setInterfaceExternalIds('no-such-if', { a: 'b' }), VswitchError);
    expect(err.code).toBe('NOT_FOUND');
  });

  it('setController replaces targets and is a no-op when unchanged', async () => {
    expect(await vs.setController(BR, ['tcp:127.0.0.1:6654'])).toEqual({ changed: true });
    expect(await ovs.vsctl(['get-controller', BR])).toBe('tcp:127.0.0.1:6654');
    const ctl = await get('Bridge', BR, 'controller');
    expect(await vs.setController(BR, ['tcp:127.0.0.1:6654'])).toEqual({ changed: false });
    expect(await get('Bridge', BR, 'controller')).toBe(ctl);
    // The replaced Controller rows were garbage-collected.
    expect((await ovs.vsctl(['--columns=target', '--bare', 'list', 'Controller'])).trim()).toBe('tcp:127.0.0.1:6654');
    expect((await expectRejects(vs.setController(BR, ['http://x']), VswitchError)).code).toBe('INVALID');
  });

  it('monitor delivers updates when another client adds and removes a port', async () => {
    const updates: TableUpdates[] = [];
    const initial = await client.monitor('Open_vSwitch', 'ifaces', { Interface: { columns: ['name', 'ofport'] } }, (u) => updates.push(u));
    const initialNames = Object.values(initial.Interface ?? {}).map((r) => r.new?.name);
    expect(initialNames).toEqual(expect.arrayContaining([BR, 'vnet-t1', 'gre-t1']));

    const waitFor = async (pred: (u: TableUpdates) => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const hit = updates.find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no monitor update: ${what}`);
    };
    await ovs.vsctl(['add-port', BR, 'wit-t1', '--', 'set', 'Interface', 'wit-t1', 'type=internal']);
    const witUuid = await get('Interface', 'wit-t1', '_uuid');
    const ins = await waitFor((u) => u.Interface?.[witUuid]?.new?.name === 'wit-t1', 'insert of wit-t1');
    expect(ins.Interface[witUuid].old).toBeUndefined();

    await ovs.vsctl(['del-port', BR, 'wit-t1']);
    const del = await waitFor((u) => !!u.Interface?.[witUuid] && u.Interface[witUuid].new === undefined, 'delete of wit-t1');
    expect(del.Interface[witUuid].old?.name).toBe('wit-t1');
    await client.monitorCancel('ifaces');
  });

  it('deletePort removes the port and OVSDB garbage-collects its rows', async () => {
    expect(await vs.deletePort(BR, 'gre-t1')).toBe(true);
    expect((await ovs.vsctl(['list-ports', BR])).split('\n')).not.toContain('gre-t1');
    expect(await ovs.vsctl(['--bare', '--columns=_uuid', 'find', 'Interface', 'name=gre-t1'])).toBe('');
    expect(await vs.deletePort(BR, 'gre-t1')).toBe(false);
    expect((await expectRejects(vs.deletePort(BR, BR), VswitchError)).code).toBe('CONFLICT');
  });

  it('a bad column is rejected with an OvsdbError naming it', async () => {
    const err = await expectRejects(
      client.transact('Open_vSwitch', op.insert('Bridge', { name: 'br-bad', no_such_column: 1 })),
      OvsdbTransactionError,
    );
    expect(err.opIndex).toBe(0);
    expect(err.op).toBe('insert');
    expect(err.message).toContain('no_such_column');
    expect(await ovs.vsctl(['list-br'])).not.toContain('br-bad');
  });

  it('a failed commit is reported as the extra result element', async () => {
    const ghost = uuid('00000000-0000-4000-8000-000000000001');
    const err = await expectRejects(
      client.transact('Open_vSwitch', op.mutate('Open_vSwitch', [], [['bridges', 'insert', ['set', [ghost]]]])),
      OvsdbTransactionError,
    );
    expect(err.op).toBe('commit');
    expect(err.opIndex).toBe(1);
    expect(err.error).toBe('referential integrity violation');
  });

  it('lock is exclusive and handed over on unlock', async () => {
    const other = await OvsdbClient.connect({ path: ovs.dbSock });
    try {
      expect(await client.lock('ferry_test_lock')).toEqual({ locked: true });
      const granted = new Promise<string>((r) => other.once('locked', r));
      expect(await other.lock('ferry_test_lock')).toEqual({ locked: false });
      // The holder can assert the lock inside a transaction; the waiter cannot.
      await client.transact('Open_vSwitch', op.assert('ferry_test_lock'));
      const denied = await expectRejects(other.transact('Open_vSwitch', op.assert('ferry_test_lock')), OvsdbTransactionError);
      expect(denied.error).toBe('not owner');
      await client.unlock('ferry_test_lock');
      expect(await granted).toBe('ferry_test_lock');
    } finally {
      await other.close();
    }
  });

  it('deleteBridge removes the bridge with its ports', async () => {
    expect(await vs.deleteBridge(BR)).toBe(true);
    expect(await ovs.vsctl(['list-br'])).not.toContain(BR);
    expect(await ovs.vsctl(['--bare', '--columns=name', 'list', 'Interface'])).toBe('');
    expect(await vs.deleteBridge(BR)).toBe(false);
  });
});

describe.skipIf(!!unavailable)('OvsdbClient against ovsdb-server alone', () => {
  let ovs: OvsInstance | undefined;
  let client: OvsdbClient | undefined;

  afterAll(async () => {
    try {
      await client?.close();
    } finally {
      await ovs?.stop();
    }
  });

  it('waitForOfport gives up after its timeout when no ovs-vswitchd fills ofport', async () => {
    ovs = await startOvs({ withVswitchd: false });
    client = await OvsdbClient.connect({ path: ovs.dbSock });
    const vs = new Vswitch(client);
    await vs.ensureBridge('br-idle', { datapathType: 'netdev' });
    await vs.addPort('br-idle', 'idle0', { type: 'internal' });
    const started = Date.now();
    const err = await expectRejects(vs.waitForOfport('idle0', 400), VswitchError);
    expect(err.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect((await expectRejects(vs.waitForOfport('no-such-if', 400), VswitchError)).code).toBe('NOT_FOUND');
  });

  it('the server going away mid-call rejects the pending call, and stop() cleans up', async () => {
    if (!ovs || !client) throw new Error('previous test did not start the instance');
    const vs = new Vswitch(client);
    const closed = new Promise((r) => client?.once('close', r));
    // Held by the server until the wait times out: a call that is certainly in flight.
    const pending = vs.waitForOfport('idle0', 20_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(client.pendingCount).toBe(1);
    const pid = Number(readFileSync(path.join(ovs.dir, 'ovsdb-server.pid'), 'utf8'));
    const { dir, netns } = ovs;
    await ovs.stop();
    const err = await pending;
    expect(err).toBeInstanceOf(OvsdbConnectionError);
    expect((err as Error).message).toContain('transact');
    expect(await closed).toBeInstanceOf(OvsdbConnectionError);

    // Cleanup is complete and idempotent.
    await ovs.stop();
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)).toBe(false);
    const nsList = await new Promise<string>((r) => execFile('ip', ['netns', 'list'], (_e, out) => r(out)));
    expect(nsList).not.toContain(netns as string);
  });
});
