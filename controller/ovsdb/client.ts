import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { Row } from './datum';
import {
  OvsdbConnectionError,
  OvsdbError,
  OvsdbProtocolError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
} from './errors';
import { JsonFramer } from './framer';
import type { Operation, ResultsOf } from './ops';

/** TLS material, as ovsdb-server's `--private-key`, `--certificate` and `--ca-cert` (PEM). */
export interface OvsdbTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  ca: string | Buffer;
  /**
   * Also require the server certificate to name this host (off by default: OVS itself checks
   * only that the peer's certificate chains to the CA, and ovs-pki certificates name no host).
   */
  servername?: string;
}

export type OvsdbAddress = { path: string } | { host: string; port: number } | { host: string; port: number; tls: OvsdbTlsOptions };

/**
 * Parses an OVS remote as ovs-vsctl writes it: `unix:PATH`, `tcp:HOST:PORT` or `ssl:HOST:PORT`
 * (an IPv6 host in brackets). `ssl:` needs the TLS material.
 */
export function parseOvsdbRemote(remote: string, tlsOptions?: OvsdbTlsOptions): OvsdbAddress {
  const m = /^(unix|tcp|ssl):(.+)$/.exec(remote.trim());
  if (!m) throw new Error(`OVSDB remote "${remote}" must be unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT`);
  const [, kind, rest] = m as unknown as [string, 'unix' | 'tcp' | 'ssl', string];
  if (kind === 'unix') return { path: rest };
  const hp = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(rest);
  const port = hp ? Number(hp[2]) : NaN;
  if (!hp || port < 1 || port > 65535) throw new Error(`OVSDB remote "${remote}": expected ${kind}:HOST:PORT with a port from 1 to 65535`);
  const host = hp[1]!.replace(/^\[|\]$/g, '');
  if (kind === 'tcp') return { host, port };
  if (!tlsOptions) throw new Error(`OVSDB remote "${remote}" is ssl: it needs a private key, a certificate and a CA certificate`);
  return { host, port, tls: tlsOptions };
}

/** The address back in OVS remote form (for messages). */
export function formatOvsdbRemote(address: OvsdbAddress): string {
  if ('path' in address) return `unix:${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${'tls' in address ? 'ssl' : 'tcp'}:${host}:${address.port}`;
}

function openSocket(address: OvsdbAddress): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if ('path' in address) return { socket: net.createConnection({ path: address.path }), ready: 'connect' };
  if (!('tls' in address)) return { socket: net.createConnection({ host: address.host, port: address.port }), ready: 'connect' };
  const { key, cert, ca, servername } = address.tls;
  const socket = tls.connect({
    host: address.host,
    port: address.port,
    key,
    cert,
    ca,
    // The chain is always verified against `ca`; the host name only when asked for.
    rejectUnauthorized: true,
    ...(servername ? { servername } : { checkServerIdentity: () => undefined }),
  });
  return { socket, ready: 'secureConnect' };
}

export interface OvsdbClientOptions {
  /** Per-request reply timeout (default 10 s). */
  timeoutMs?: number;
  /** Connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** Send an echo this often while idle; 0/undefined disables the keepalive. */
  echoIntervalMs?: number;
  /** Close the connection when a keepalive echo gets no reply within this (default: echoIntervalMs). */
  echoTimeoutMs?: number;
  /** Largest accepted JSON message (default 16 MiB). */
  maxMessageBytes?: number;
}

export interface RequestOptions {
  timeoutMs?: number;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface ColumnSchema {
  type: unknown;
  ephemeral?: boolean;
  mutable?: boolean;
}
export interface TableSchema {
  columns: Record<string, ColumnSchema>;
  maxRows?: number;
  isRoot?: boolean;
  indexes?: string[][];
}
export interface DatabaseSchema {
  name: string;
  version: string;
  cksum?: string;
  tables: Record<string, TableSchema>;
}

export interface MonitorSelect {
  initial?: boolean;
  insert?: boolean;
  delete?: boolean;
  modify?: boolean;
}
export interface MonitorRequest {
  columns?: string[];
  select?: MonitorSelect;
}
export type MonitorRequests = Record<string, MonitorRequest | MonitorRequest[]>;

/** For a row: `new` alone = inserted, `old` alone = deleted, both = modified (old holds changed columns only). */
export interface RowUpdate {
  old?: Row;
  new?: Row;
}
/** table name -> row UUID -> change */
export type TableUpdates = Record<string, Record<string, RowUpdate>>;
export type MonitorCallback = (updates: TableUpdates) => void;

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface OvsdbClientEvents {
  /** A monitor update: (monitorId, updates). */
  update: [monitorId: JsonValue, updates: TableUpdates];
  locked: [lockId: string];
  stolen: [lockId: string];
  /** The connection is gone; `reason` is set when it did not close cleanly on our request. */
  close: [reason: OvsdbError | undefined];
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

function monitorKey(id: JsonValue): string {
  return JSON.stringify(id);
}

/**
 * OVSDB (RFC 7047) JSON-RPC 1.0 client over one stream socket.
 *
 * Requests carry numeric ids; replies are matched by id, so they may arrive in
 * any order. Server requests (`echo`) are answered; notifications (`update`,
 * `locked`, `stolen`) are emitted. When the socket goes away every pending
 * call is rejected with OvsdbConnectionError.
 */
export class OvsdbClient extends EventEmitter<OvsdbClientEvents> {
  private readonly socket: net.Socket;
  private readonly framer: JsonFramer;
  private readonly pending = new Map<number, Pending>();
  private readonly monitors = new Map<string, MonitorCallback | undefined>();
  private readonly timeoutMs: number;
  private nextId = 1;
  private closedReason: OvsdbError | undefined;
  private isClosed = false;
  private closingByUs = false;
  private keepalive: NodeJS.Timeout | undefined;
  private lastRx = Date.now();
  private readonly closedPromise: Promise<void>;

  /** Wrap an already connected socket. */
  constructor(socket: net.Socket, opts: OvsdbClientOptions = {}) {
    super();
    this.socket = socket;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.framer = new JsonFramer({ maxMessageBytes: opts.maxMessageBytes });
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // 'close' always follows 'error'; the error only refines the reason.
    socket.on('error', (err) => {
      this.closedReason ??= new OvsdbConnectionError(`socket error: ${err.message}`);
    });
    socket.on('close', () => this.onClose());
    if (opts.echoIntervalMs && opts.echoIntervalMs > 0) this.startKeepalive(opts.echoIntervalMs, opts.echoTimeoutMs ?? opts.echoIntervalMs);
  }

  static connect(address: OvsdbAddress, opts: OvsdbClientOptions = {}): Promise<OvsdbClient> {
    const connectTimeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const where = formatOvsdbRemote(address);
    return new Promise((resolve, reject) => {
      const { socket, ready } = openSocket(address);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new OvsdbConnectionError(`connect to ${where} timed out after ${connectTimeout} ms`));
      }, connectTimeout);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new OvsdbConnectionError(`cannot connect to ${where}: ${err.message}`));
      };
      socket.once('error', onError);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new OvsdbClient(socket, opts));
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Number of requests still waiting for a reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Send a raw JSON-RPC request and wait for its result. */
  request<T = unknown>(method: string, params: readonly unknown[], opts: RequestOptions = {}): Promise<T> {
    if (this.isClosed || this.socket.destroyed) {
      return Promise.reject(this.closedReason ?? new OvsdbConnectionError('connection is closed', method));
    }
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new OvsdbTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.send({ method, params, id });
    });
  }

  listDbs(opts?: RequestOptions): Promise<string[]> {
    return this.request<string[]>('list_dbs', [], opts);
  }

  getSchema(db: string, opts?: RequestOptions): Promise<DatabaseSchema> {
    return this.request<DatabaseSchema>('get_schema', [db], opts);
  }

  /**
   * Run operations atomically. Resolves with one result per operation;
   * rejects with OvsdbTransactionError when any operation or the commit failed
   * (nothing was changed in that case).
   */
  transact<const Ops extends readonly Operation[]>(db: string, ...ops: Ops): Promise<ResultsOf<Ops>> {
    return this.transactWith(db, ops, {});
  }

  /** transact() with per-call options (e.g. a longer timeout for `wait` operations). */
  async transactWith<const Ops extends readonly Operation[]>(
    db: string,
    ops: Ops,
    opts: RequestOptions,
  ): Promise<ResultsOf<Ops>> {
    const results = await this.request<unknown>('transact', [db, ...ops], opts);
    if (!Array.isArray(results)) throw new OvsdbError('bad reply', `transact result is not an array: ${JSON.stringify(results)}`, 'transact');
    // RFC 7047: a failed operation has an <error> in its slot; a failed commit adds one more element.
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as Record<string, unknown> | null;
      if (r && typeof r === 'object' && typeof r.error === 'string') {
        const opName = i < ops.length ? ops[i].op : 'commit';
        throw new OvsdbTransactionError(r.error, typeof r.details === 'string' ? r.details : undefined, i, opName, ops.length);
      }
    }
    if (results.length < ops.length) {
      throw new OvsdbError('bad reply', `transact returned ${results.length} results for ${ops.length} operations`, 'transact');
    }
    return results.slice(0, ops.length) as ResultsOf<Ops>;
  }

  /**
   * Start a monitor. Resolves with the initial contents; later changes go to
   * `onUpdate` and to the 'update' event until monitorCancel or close.
   */
  async monitor(db: string, monitorId: JsonValue, requests: MonitorRequests, onUpdate?: MonitorCallback): Promise<TableUpdates> {
    const key = monitorKey(monitorId);
    if (this.monitors.has(key)) throw new OvsdbError('duplicate monitor', `monitor id ${key} is already in use`, 'monitor');
    // Registered before sending: the server may push an update right after its reply.
    this.monitors.set(key, onUpdate);
    try {
      return (await this.request<TableUpdates>('monitor', [db, monitorId, requests])) ?? {};
    } catch (e) {
      this.monitors.delete(key);
      throw e;
    }
  }

  async monitorCancel(monitorId: JsonValue): Promise<void> {
    const key = monitorKey(monitorId);
    await this.request('monitor_cancel', [monitorId]);
    this.monitors.delete(key);
  }

  /** Round-trip an echo; resolves with the echoed params. */
  echo(...params: JsonValue[]): Promise<JsonValue[]> {
    return this.request<JsonValue[]>('echo', params);
  }

  /**
   * Resolves with `{ locked }`: true if acquired now, false if queued (a 'locked' event follows).
   * ovsdb-server only accepts ids made of letters, digits and underscores.
   */
  lock(lockId: string): Promise<{ locked: boolean }> {
    return this.request('lock', [lockId]);
  }

  steal(lockId: string): Promise<{ locked: boolean }> {
    return this.request('steal', [lockId]);
  }

  async unlock(lockId: string): Promise<void> {
    await this.request('unlock', [lockId]);
  }

  /** Close the connection; pending calls reject with OvsdbConnectionError. Resolves once the socket is closed. */
  close(): Promise<void> {
    if (!this.isClosed) {
      this.closingByUs = true;
      this.closedReason ??= new OvsdbConnectionError('client closed the connection');
      this.socket.destroy();
    }
    return this.closedPromise;
  }

  private send(msg: unknown): void {
    if (this.socket.destroyed) return;
    this.socket.write(JSON.stringify(msg));
  }

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    const { messages, error } = this.framer.push(chunk);
    for (const m of messages) this.dispatch(m);
    if (error) this.fail(new OvsdbProtocolError(`${error.code} at byte ${error.offset}: ${error.message}`));
  }

  private dispatch(raw: unknown): void {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      this.fail(new OvsdbProtocolError(`JSON-RPC message is not an object: ${JSON.stringify(raw).slice(0, 200)}`));
      return;
    }
    const msg = raw as { method?: unknown; params?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (typeof msg.method === 'string') {
      const params = Array.isArray(msg.params) ? msg.params : [];
      const isRequest = msg.id !== undefined && msg.id !== null;
      this.onServerMessage(msg.method, params, isRequest ? msg.id : undefined);
      return;
    }
    if (typeof msg.id !== 'number') return; // a reply to nothing we sent; ignore
    const p = this.pending.get(msg.id);
    if (!p) return; // late reply after a timeout
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error !== undefined && msg.error !== null) p.reject(OvsdbError.fromReply(msg.error, p.method));
    else p.resolve(msg.result);
  }

  private onServerMessage(method: string, params: unknown[], id: unknown): void {
    switch (method) {
      case 'echo':
        if (id !== undefined) this.send({ id, result: params, error: null });
        return;
      case 'update': {
        const [monitorId, updates] = params as [JsonValue, TableUpdates];
        const key = monitorKey(monitorId);
        if (!this.monitors.has(key)) return;
        this.monitors.get(key)?.(updates ?? {});
        this.emit('update', monitorId, updates ?? {});
        return;
      }
      case 'locked':
      case 'stolen':
        this.emit(method, String(params[0]));
        return;
      default:
        if (id !== undefined) this.send({ id, result: null, error: { error: 'unknown method', details: method } });
    }
  }

  private startKeepalive(intervalMs: number, timeoutMs: number): void {
    this.keepalive = setInterval(() => {
      if (Date.now() - this.lastRx < intervalMs) return;
      this.request('echo', ['keepalive'], { timeoutMs }).catch((e: unknown) => {
        if (e instanceof OvsdbTimeoutError) {
          this.fail(new OvsdbConnectionError(`keepalive: no echo reply within ${timeoutMs} ms`));
        }
      });
    }, intervalMs);
    this.keepalive.unref();
  }

  private fail(reason: OvsdbError): void {
    this.closedReason ??= reason;
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.keepalive) clearInterval(this.keepalive);
    const reason = this.closedReason ?? new OvsdbConnectionError('server closed the connection');
    this.closedReason = reason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      const e =
        reason instanceof OvsdbConnectionError
          ? new OvsdbConnectionError(`${reason.details ?? reason.message} while waiting for ${p.method} reply`, p.method)
          : reason;
      p.reject(e);
    }
    this.monitors.clear();
    this.emit('close', this.closingByUs ? undefined : reason);
  }
}
