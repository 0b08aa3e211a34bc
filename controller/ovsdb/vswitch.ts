/**
 * Typed helpers for the Open_vSwitch database.
 *
 * Each helper that changes something reads the rows it depends on, then
 * commits ONE transaction. Where the write relies on what was read, a `wait`
 * operation with timeout 0 re-checks those columns inside the transaction, so a
 * concurrent writer makes it fail instead of clobbering; that case (and an
 * index clash from a concurrent create) is retried after a fresh read.
 * New rows are referenced through named-uuids and hooked into their parent's
 * set with `mutate`; rows that become unreferenced are garbage-collected by
 * ovsdb-server, which is why deletes only edit the parent's set.
 */
import net from 'node:net';
import type { OvsdbClient } from './client';
import {
  fromOptional,
  fromSet,
  fromStringMap,
  namedUuid,
  sameSet,
  toMap,
  toSet,
  uuid,
  uuidOf,
  type Atom,
  type Datum,
  type Row,
} from './datum';
import { OvsdbTransactionError } from './errors';
import { eq, op, type Operation, type SelectResult } from './ops';

export type VswitchErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'TIMEOUT' | 'FAILED';

export class VswitchError extends Error {
  override readonly name = 'VswitchError';
  constructor(
    readonly code: VswitchErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export type FailMode = 'secure' | 'standalone';
export type OpenFlowProtocol = 'OpenFlow10' | 'OpenFlow11' | 'OpenFlow12' | 'OpenFlow13' | 'OpenFlow14' | 'OpenFlow15';
export type InterfaceType = '' | 'internal' | 'gre' | 'vxlan' | 'geneve' | 'patch';

export interface BridgeInfo {
  uuid: string;
  name: string;
  datapathType: string;
  failMode: FailMode | undefined;
  protocols: OpenFlowProtocol[];
  /** Controller targets, sorted. */
  controllers: string[];
  /** Filled by ovs-vswitchd once it has created the datapath; undefined before. */
  datapathId: string | undefined;
  /** Port names, sorted. */
  ports: string[];
  otherConfig: Record<string, string>;
  externalIds: Record<string, string>;
}

export interface InterfaceInfo {
  uuid: string;
  name: string;
  type: string;
  /** Assigned by ovs-vswitchd: undefined until then, -1 when the interface could not be added. */
  ofport: number | undefined;
  ofportRequest: number | undefined;
  macInUse: string | undefined;
  externalIds: Record<string, string>;
  options: Record<string, string>;
  linkState: 'up' | 'down' | undefined;
  error: string | undefined;
}

export interface EnsureBridgeOptions {
  datapathType?: string;
  /** null clears it (ovs-vswitchd then uses its default, standalone). */
  failMode?: FailMode | null;
  protocols?: OpenFlowProtocol[];
  controllers?: string[];
  /** Keys are merged into the existing map; a null value removes the key. */
  otherConfig?: Record<string, string | null>;
  externalIds?: Record<string, string | null>;
}

export interface AddPortOptions {
  type?: InterfaceType;
  /** Interface options; merged, null removes a key. */
  options?: Record<string, string | null>;
  /** Interface external_ids; merged, null removes a key. */
  externalIds?: Record<string, string | null>;
  ofportRequest?: number;
}

export interface GreTunnelOptions {
  key?: string | number;
  localIp?: string;
  options?: Record<string, string>;
  externalIds?: Record<string, string | null>;
  ofportRequest?: number;
}

export interface ChangeResult {
  uuid: string;
  created: boolean;
  changed: boolean;
}

export interface VswitchOptions {
  db?: string;
  /** Attempts when a guarded write loses a race with another writer (default 3). */
  attempts?: number;
}

const CONTROLLER_TARGET_RE = /^(tcp|ssl|unix|ptcp|pssl|punix):.+$/;
// Linux IFNAMSIZ - 1: internal ports and bridges become kernel/tap devices of the same name.
const MAX_IFNAME = 15;
const WAIT_REPLY_MARGIN_MS = 5_000;

function str(d: Datum | undefined): string {
  return typeof d === 'string' ? d : '';
}
function optStr(d: Datum | undefined): string | undefined {
  if (d === undefined) return undefined;
  const v = fromOptional(d);
  return typeof v === 'string' ? v : undefined;
}
function optNum(d: Datum | undefined): number | undefined {
  if (d === undefined) return undefined;
  const v = fromOptional(d);
  return typeof v === 'number' ? v : undefined;
}
function strSet(d: Datum | undefined): string[] {
  return d === undefined ? [] : fromSet(d).filter((x): x is string => typeof x === 'string');
}
function uuidSet(d: Datum | undefined): string[] {
  return d === undefined ? [] : fromSet(d).map(uuidOf);
}
function strMap(d: Datum | undefined): Record<string, string> {
  return d === undefined ? {} : fromStringMap(d);
}
function rowUuid(r: Row): string {
  return uuidOf(r._uuid);
}
function rowsOf(result: unknown): Row[] {
  return (result as SelectResult).rows;
}

/** Apply a patch (null deletes) to a string map; returns the merged map and whether it changed. */
function mergeMap(current: Record<string, string>, patch: Record<string, string | null>): [Record<string, string>, boolean] {
  const merged = { ...current };
  let changed = false;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined) {
      if (k in merged) {
        delete merged[k];
        changed = true;
      }
    } else if (merged[k] !== v) {
      merged[k] = v;
      changed = true;
    }
  }
  return [merged, changed];
}

function sortedEqual(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function checkName(kind: string, name: string, kernelDevice: boolean): void {
  if (typeof name !== 'string' || name.length === 0 || /[\s/]/.test(name)) {
    throw new VswitchError('INVALID', `invalid ${kind} name ${JSON.stringify(name)}`);
  }
  if (kernelDevice && Buffer.byteLength(name) > MAX_IFNAME) {
    throw new VswitchError('INVALID', `${kind} name ${JSON.stringify(name)} is longer than ${MAX_IFNAME} bytes (device name limit)`);
  }
}

function checkTargets(targets: readonly string[]): void {
  for (const t of targets) {
    if (!CONTROLLER_TARGET_RE.test(t)) throw new VswitchError('INVALID', `invalid controller target ${JSON.stringify(t)} (expected tcp:IP:PORT, unix:PATH, ...)`);
  }
}

function isRace(e: unknown): boolean {
  return (
    e instanceof OvsdbTransactionError &&
    ((e.op === 'wait' && e.error === 'timed out') || e.error === 'constraint violation')
  );
}

export class Vswitch {
  readonly db: string;
  private readonly attempts: number;

  constructor(
    readonly client: OvsdbClient,
    opts: VswitchOptions = {},
  ) {
    this.db = opts.db ?? 'Open_vSwitch';
    this.attempts = Math.max(1, opts.attempts ?? 3);
  }

  private async tx(ops: Operation[], timeoutMs?: number): Promise<unknown[]> {
    return (await this.client.transactWith(this.db, ops, timeoutMs === undefined ? {} : { timeoutMs })) as unknown[];
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= this.attempts || !isRace(e)) throw e;
      }
    }
  }

  async getBridges(): Promise<BridgeInfo[]> {
    const [bridges, controllers, ports] = await this.tx([
      op.select('Bridge', [], ['_uuid', 'name', 'datapath_type', 'fail_mode', 'protocols', 'controller', 'datapath_id', 'ports', 'other_config', 'external_ids']),
      op.select('Controller', [], ['_uuid', 'target']),
      op.select('Port', [], ['_uuid', 'name']),
    ]);
    const targetByUuid = new Map(rowsOf(controllers).map((r) => [rowUuid(r), str(r.target)]));
    const portByUuid = new Map(rowsOf(ports).map((r) => [rowUuid(r), str(r.name)]));
    return rowsOf(bridges)
      .map((r) => ({
        uuid: rowUuid(r),
        name: str(r.name),
        datapathType: str(r.datapath_type),
        failMode: optStr(r.fail_mode) as FailMode | undefined,
        protocols: strSet(r.protocols) as OpenFlowProtocol[],
        controllers: uuidSet(r.controller).map((u) => targetByUuid.get(u) ?? `?${u}`).sort(),
        datapathId: optStr(r.datapath_id),
        ports: uuidSet(r.ports).map((u) => portByUuid.get(u) ?? `?${u}`).sort(),
        otherConfig: strMap(r.other_config),
        externalIds: strMap(r.external_ids),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async getInterfaces(): Promise<InterfaceInfo[]> {
    const [ifaces] = await this.tx([
      op.select('Interface', [], ['_uuid', 'name', 'type', 'ofport', 'ofport_request', 'mac_in_use', 'external_ids', 'options', 'link_state', 'error']),
    ]);
    return rowsOf(ifaces)
      .map((r) => ({
        uuid: rowUuid(r),
        name: str(r.name),
        type: str(r.type),
        ofport: optNum(r.ofport),
        ofportRequest: optNum(r.ofport_request),
        macInUse: optStr(r.mac_in_use),
        externalIds: strMap(r.external_ids),
        options: strMap(r.options),
        linkState: optStr(r.link_state) as 'up' | 'down' | undefined,
        error: optStr(r.error),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Create the bridge (with its internal port) or bring an existing one to the given settings. */
  async ensureBridge(name: string, opts: EnsureBridgeOptions = {}): Promise<ChangeResult> {
    checkName('bridge', name, true);
    if (opts.controllers) checkTargets(opts.controllers);
    return this.retrying(() => this.ensureBridgeOnce(name, opts));
  }

  private async ensureBridgeOnce(name: string, opts: EnsureBridgeOptions): Promise<ChangeResult> {
    const [roots, found] = await this.tx([
      op.select('Open_vSwitch', [], ['_uuid']),
      op.select('Bridge', [eq('name', name)], ['_uuid', 'datapath_type', 'fail_mode', 'protocols', 'controller', 'other_config', 'external_ids']),
    ]);
    const root = rowsOf(roots)[0];
    const existing = rowsOf(found)[0];

    if (!existing) {
      const ctlOps = (opts.controllers ?? []).map((target, i) => op.insert('Controller', { target }, `ctl${i}`));
      const bridgeRow: Row = {
        name,
        ports: namedUuid('port'),
        datapath_type: opts.datapathType ?? '',
        fail_mode: toSet(opts.failMode ? [opts.failMode] : []),
        protocols: toSet(opts.protocols ?? []),
        controller: toSet(ctlOps.map((_, i) => namedUuid(`ctl${i}`))),
        other_config: toMap(mergeMap({}, opts.otherConfig ?? {})[0]),
        external_ids: toMap(mergeMap({}, opts.externalIds ?? {})[0]),
      };
      const ops: Operation[] = [
        op.comment(`ensure bridge ${name}`),
        op.insert('Interface', { name, type: 'internal' }, 'iface'),
        op.insert('Port', { name, interfaces: namedUuid('iface') }, 'port'),
        ...ctlOps,
        op.insert('Bridge', bridgeRow, 'bridge'),
        // ovs-vsctl also creates the root row when a fresh database has none.
        root
          ? op.mutate('Open_vSwitch', [eq('_uuid', root._uuid)], [['bridges', 'insert', toSet([namedUuid('bridge')])]])
          : op.insert('Open_vSwitch', { bridges: toSet([namedUuid('bridge')]) }),
      ];
      const results = await this.tx(ops);
      const bridgeIdx = ops.findIndex((o) => o.op === 'insert' && o.table === 'Bridge');
      return { uuid: uuidOf((results[bridgeIdx] as { uuid: Datum }).uuid), created: true, changed: true };
    }

    const bridgeUuid = rowUuid(existing);
    const update: Row = {};
    if (opts.datapathType !== undefined && str(existing.datapath_type) !== opts.datapathType) update.datapath_type = opts.datapathType;
    if (opts.failMode !== undefined && (optStr(existing.fail_mode) ?? null) !== opts.failMode) {
      update.fail_mode = toSet(opts.failMode ? [opts.failMode] : []);
    }
    if (opts.protocols !== undefined && !sameSet(existing.protocols, toSet(opts.protocols))) update.protocols = toSet(opts.protocols);
    for (const [col, patch] of [
      ['other_config', opts.otherConfig],
      ['external_ids', opts.externalIds],
    ] as const) {
      if (!patch) continue;
      const [merged, changed] = mergeMap(strMap(existing[col]), patch);
      if (changed) update[col] = toMap(merged);
    }
    const ctl = opts.controllers ? await this.controllerChange(existing, opts.controllers) : undefined;
    if (ctl) update.controller = ctl.column;
    if (Object.keys(update).length === 0) return { uuid: bridgeUuid, created: false, changed: false };

    const guardCols = Object.keys(update);
    const ops: Operation[] = [
      op.comment(`ensure bridge ${name}`),
      op.wait('Bridge', [eq('_uuid', uuid(bridgeUuid))], guardCols, '==', [pick(existing, guardCols)], 0),
      ...(ctl?.inserts ?? []),
      op.update('Bridge', [eq('_uuid', uuid(bridgeUuid))], update),
    ];
    await this.tx(ops);
    return { uuid: bridgeUuid, created: false, changed: true };
  }

  /** undefined when the bridge already has exactly these targets (so connections are not reset). */
  private async controllerChange(
    bridge: Row,
    targets: readonly string[],
  ): Promise<{ inserts: Operation[]; column: Datum } | undefined> {
    const current = uuidSet(bridge.controller);
    if (current.length === targets.length) {
      const [ctls] = await this.tx([op.select('Controller', [], ['_uuid', 'target'])]);
      const byUuid = new Map(rowsOf(ctls).map((r) => [rowUuid(r), str(r.target)]));
      if (sortedEqual(current.map((u) => byUuid.get(u) ?? ''), targets)) return undefined;
    }
    const inserts = targets.map((target, i) => op.insert('Controller', { target }, `ctl${i}`));
    return { inserts, column: toSet(targets.map((_, i) => namedUuid(`ctl${i}`))) };
  }

  /** Remove the bridge; its ports, interfaces and controllers go with it. Resolves false if it did not exist. */
  async deleteBridge(name: string): Promise<boolean> {
    checkName('bridge', name, false);
    return this.retrying(async () => {
      const [found] = await this.tx([op.select('Bridge', [eq('name', name)], ['_uuid'])]);
      const row = rowsOf(found)[0];
      if (!row) return false;
      await this.tx([
        op.comment(`delete bridge ${name}`),
        op.mutate('Open_vSwitch', [], [['bridges', 'delete', toSet([row._uuid as Atom])]]),
      ]);
      return true;
    });
  }

  /** Replace the bridge's controller targets; a no-op when they already match. */
  async setController(bridge: string, targets: readonly string[]): Promise<{ changed: boolean }> {
    checkName('bridge', bridge, false);
    checkTargets(targets);
    return this.retrying(async () => {
      const [found] = await this.tx([op.select('Bridge', [eq('name', bridge)], ['_uuid', 'controller'])]);
      const row = rowsOf(found)[0];
      if (!row) throw new VswitchError('NOT_FOUND', `bridge ${bridge} does not exist`);
      const ctl = await this.controllerChange(row, targets);
      if (!ctl) return { changed: false };
      const where = [eq('_uuid', row._uuid)];
      await this.tx([
        op.comment(`set controller ${bridge}`),
        op.wait('Bridge', where, ['controller'], '==', [{ controller: row.controller }], 0),
        ...ctl.inserts,
        op.update('Bridge', where, { controller: ctl.column }),
      ]);
      return { changed: true };
    });
  }

  /**
   * Add a port with one interface of the same name, or update that interface
   * if the port is already on this bridge. A port of that name on another
   * bridge is a CONFLICT.
   */
  async addPort(bridge: string, portName: string, opts: AddPortOptions = {}): Promise<ChangeResult> {
    checkName('bridge', bridge, false);
    checkName('port', portName, opts.type === 'internal');
    if (opts.ofportRequest !== undefined && !(Number.isInteger(opts.ofportRequest) && opts.ofportRequest >= 1 && opts.ofportRequest <= 65279)) {
      throw new VswitchError('INVALID', `ofportRequest must be an integer in 1..65279, got ${opts.ofportRequest}`);
    }
    return this.retrying(() => this.addPortOnce(bridge, portName, opts));
  }

  private async addPortOnce(bridge: string, portName: string, opts: AddPortOptions): Promise<ChangeResult> {
    const [bridges, ports, ifaces] = await this.tx([
      op.select('Bridge', [], ['_uuid', 'name', 'ports']),
      op.select('Port', [eq('name', portName)], ['_uuid', 'interfaces']),
      op.select('Interface', [eq('name', portName)], ['_uuid', 'type', 'options', 'external_ids', 'ofport_request']),
    ]);
    const br = rowsOf(bridges).find((r) => r.name === bridge);
    if (!br) throw new VswitchError('NOT_FOUND', `bridge ${bridge} does not exist`);
    const port = rowsOf(ports)[0];
    const iface = rowsOf(ifaces)[0];

    if (!port) {
      if (iface) throw new VswitchError('CONFLICT', `interface ${portName} already exists in another port`);
      const ifaceRow: Row = {
        name: portName,
        type: opts.type ?? '',
        options: toMap(mergeMap({}, opts.options ?? {})[0]),
        external_ids: toMap(mergeMap({}, opts.externalIds ?? {})[0]),
      };
      if (opts.ofportRequest !== undefined) ifaceRow.ofport_request = opts.ofportRequest;
      const results = await this.tx([
        op.comment(`add port ${portName} to ${bridge}`),
        op.insert('Interface', ifaceRow, 'iface'),
        op.insert('Port', { name: portName, interfaces: namedUuid('iface') }, 'port'),
        op.mutate('Bridge', [eq('_uuid', br._uuid)], [['ports', 'insert', toSet([namedUuid('port')])]]),
      ]);
      return { uuid: uuidOf((results[2] as { uuid: Datum }).uuid), created: true, changed: true };
    }

    const portUuid = rowUuid(port);
    if (!uuidSet(br.ports).includes(portUuid)) {
      const owner = rowsOf(bridges).find((r) => uuidSet(r.ports).includes(portUuid));
      throw new VswitchError('CONFLICT', `port ${portName} already exists on bridge ${owner ? str(owner.name) : '(none)'}`);
    }
    if (!iface || !uuidSet(port.interfaces).includes(rowUuid(iface))) {
      throw new VswitchError('CONFLICT', `port ${portName} exists but has no interface named ${portName}`);
    }
    const update: Row = {};
    if (opts.type !== undefined && str(iface.type) !== opts.type) update.type = opts.type;
    for (const [col, patch] of [
      ['options', opts.options],
      ['external_ids', opts.externalIds],
    ] as const) {
      if (!patch) continue;
      const [merged, changed] = mergeMap(strMap(iface[col]), patch);
      if (changed) update[col] = toMap(merged);
    }
    if (opts.ofportRequest !== undefined && optNum(iface.ofport_request) !== opts.ofportRequest) update.ofport_request = opts.ofportRequest;
    if (Object.keys(update).length === 0) return { uuid: portUuid, created: false, changed: false };
    const where = [eq('_uuid', iface._uuid)];
    await this.tx([
      op.comment(`update port ${portName} on ${bridge}`),
      op.wait('Interface', where, Object.keys(update), '==', [pick(iface, Object.keys(update))], 0),
      op.update('Interface', where, update),
    ]);
    return { uuid: portUuid, created: false, changed: true };
  }

  async addGreTunnel(bridge: string, name: string, remoteIp: string, opts: GreTunnelOptions = {}): Promise<ChangeResult> {
    if (net.isIP(remoteIp) === 0) throw new VswitchError('INVALID', `GRE remote_ip ${JSON.stringify(remoteIp)} is not an IP address`);
    if (opts.localIp !== undefined && net.isIP(opts.localIp) === 0) {
      throw new VswitchError('INVALID', `GRE local_ip ${JSON.stringify(opts.localIp)} is not an IP address`);
    }
    const options: Record<string, string> = { ...opts.options, remote_ip: remoteIp };
    if (opts.key !== undefined) options.key = String(opts.key);
    if (opts.localIp !== undefined) options.local_ip = opts.localIp;
    return this.addPort(bridge, name, { type: 'gre', options, externalIds: opts.externalIds, ofportRequest: opts.ofportRequest });
  }

  /** Remove a port from a bridge. Resolves false if no such port exists. */
  deletePort(bridge: string, portName: string): Promise<boolean> {
    checkName('bridge', bridge, false);
    checkName('port', portName, false);
    return this.retrying(async () => {
      const [bridges, ports] = await this.tx([
        op.select('Bridge', [], ['_uuid', 'name', 'ports']),
        op.select('Port', [eq('name', portName)], ['_uuid']),
      ]);
      const br = rowsOf(bridges).find((r) => r.name === bridge);
      if (!br) throw new VswitchError('NOT_FOUND', `bridge ${bridge} does not exist`);
      const port = rowsOf(ports)[0];
      if (!port) return false;
      if (!uuidSet(br.ports).includes(rowUuid(port))) {
        const owner = rowsOf(bridges).find((r) => uuidSet(r.ports).includes(rowUuid(port)));
        throw new VswitchError('CONFLICT', `port ${portName} is not on bridge ${bridge}${owner ? ` (it is on ${str(owner.name)})` : ''}`);
      }
      if (portName === bridge) {
        throw new VswitchError('CONFLICT', `port ${portName} is the local port of bridge ${bridge}; delete the bridge instead`);
      }
      await this.tx([
        op.comment(`delete port ${portName} from ${bridge}`),
        op.mutate('Bridge', [eq('_uuid', br._uuid)], [['ports', 'delete', toSet([port._uuid as Atom])]]),
      ]);
      return true;
    });
  }

  /** Merge keys into Interface.external_ids (null removes a key) in one transaction. */
  async setInterfaceExternalIds(ifaceName: string, ids: Record<string, string | null>): Promise<void> {
    checkName('interface', ifaceName, false);
    const where = [eq('name', ifaceName)];
    const set = Object.entries(ids).filter((e): e is [string, string] => typeof e[1] === 'string');
    const [removed] = await this.tx([
      op.comment(`set external_ids on ${ifaceName}`),
      // Delete-then-insert because a map `insert` never overwrites an existing key.
      op.mutate('Interface', where, [['external_ids', 'delete', toSet(Object.keys(ids))]]),
      op.mutate('Interface', where, [['external_ids', 'insert', toMap(set)]]),
    ]).then((r) => r.slice(1));
    if ((removed as { count: number }).count === 0) throw new VswitchError('NOT_FOUND', `interface ${ifaceName} does not exist`);
  }

  /**
   * Resolve with the interface's OpenFlow port number once ovs-vswitchd has
   * assigned it. Uses a `wait` operation, so the server holds the transaction
   * until the column changes or `timeoutMs` passes.
   */
  async waitForOfport(ifaceName: string, timeoutMs = 10_000): Promise<number> {
    const row = await this.waitForColumn('Interface', ifaceName, 'ofport', ['error'], timeoutMs);
    const ofport = optNum(row.ofport);
    if (ofport === undefined || ofport < 0) {
      throw new VswitchError('FAILED', `interface ${ifaceName} could not be added: ${optStr(row.error) ?? 'ofport is -1'}`);
    }
    return ofport;
  }

  /** Resolve with the bridge's datapath ID (16 hex digits) once ovs-vswitchd has filled it in. */
  async waitForDatapathId(bridge: string, timeoutMs = 10_000): Promise<string> {
    const row = await this.waitForColumn('Bridge', bridge, 'datapath_id', [], timeoutMs);
    return optStr(row.datapath_id) as string;
  }

  private async waitForColumn(table: string, name: string, column: string, extra: string[], timeoutMs: number): Promise<Row> {
    const where = [eq('name', name)];
    const what = `${table.toLowerCase()} ${name}`;
    try {
      const [, found] = await this.tx(
        [
          op.wait(table, where, [column], '!=', [{ [column]: toSet([]) }], timeoutMs),
          op.select(table, where, [column, ...extra]),
        ],
        timeoutMs + WAIT_REPLY_MARGIN_MS,
      );
      const row = rowsOf(found)[0];
      if (!row) throw new VswitchError('NOT_FOUND', `${what} does not exist`);
      return row;
    } catch (e) {
      if (e instanceof OvsdbTransactionError && e.op === 'wait' && e.error === 'timed out') {
        throw new VswitchError('TIMEOUT', `${what}: ${column} not set by ovs-vswitchd within ${timeoutMs} ms`, e);
      }
      throw e;
    }
  }
}

function pick(row: Row, cols: readonly string[]): Row {
  const out: Row = {};
  for (const c of cols) if (row[c] !== undefined) out[c] = row[c];
  return out;
}
