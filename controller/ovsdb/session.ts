import { EventEmitter } from 'node:events';
import { OvsdbClient, type JsonValue, type MonitorRequests, type OvsdbAddress, type OvsdbClientOptions, type TableUpdates } from './client';
import { OvsdbConnectionError, type OvsdbError } from './errors';

export interface OvsdbSessionOptions extends OvsdbClientOptions {
  /** Delay before the first reconnect attempt (default 100 ms); doubled after each failure. */
  minBackoffMs?: number;
  /** Longest delay between attempts (default 5 s). */
  maxBackoffMs?: number;
  /** Consecutive failed attempts after which the session gives up and closes (default 100). */
  maxAttempts?: number;
}

/** `resync` is true for the full contents sent again after a reconnect: replace, do not merge. */
export type SessionMonitorCallback = (updates: TableUpdates, info: { resync: boolean }) => void;

export interface OvsdbSessionEvents {
  /** A connection is up and every monitor has been issued on it (again). */
  connected: [client: OvsdbClient, info: { reconnect: boolean }];
  disconnected: [reason: OvsdbError | undefined];
  /** The session stopped for good: closed by us (undefined) or out of attempts. */
  closed: [reason: Error | undefined];
}

interface Registered {
  db: string;
  id: JsonValue;
  requests: MonitorRequests;
  onUpdate: SessionMonitorCallback;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/**
 * An OVSDB connection that survives ovsdb-server restarts: when the socket goes away it
 * reconnects with bounded exponential backoff and issues every registered monitor again,
 * handing the callback the new initial contents with `resync: true`. Requests made while
 * disconnected fail at once (the caller decides whether to retry).
 */
export class OvsdbSession extends EventEmitter<OvsdbSessionEvents> {
  private current: OvsdbClient | undefined;
  private readonly monitors: Registered[] = [];
  private stopped = false;
  private connecting: Promise<OvsdbClient> | undefined;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxAttempts: number;
  private everConnected = false;

  constructor(
    readonly address: OvsdbAddress,
    private readonly opts: OvsdbSessionOptions = {},
  ) {
    super();
    this.minBackoff = opts.minBackoffMs ?? 100;
    this.maxBackoff = opts.maxBackoffMs ?? 5_000;
    this.maxAttempts = opts.maxAttempts ?? 100;
  }

  /** The live client, or undefined while disconnected. */
  get client(): OvsdbClient | undefined {
    return this.current && !this.current.closed ? this.current : undefined;
  }

  /** Connects (retrying as configured); resolves with the first live client. */
  start(): Promise<OvsdbClient> {
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Registers a monitor kept across reconnects; resolves with its initial contents on the current connection. */
  async monitor(db: string, id: JsonValue, requests: MonitorRequests, onUpdate: SessionMonitorCallback): Promise<TableUpdates> {
    const client = this.client ?? (await this.start());
    const initial = await client.monitor(db, id, requests, (u) => onUpdate(u, { resync: false }));
    // Registered once it worked: a reconnect from now on issues it again.
    this.monitors.push({ db, id, requests, onUpdate });
    return initial;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.current?.close();
    this.emit('closed', undefined);
  }

  private async connectLoop(): Promise<OvsdbClient> {
    let delay = this.minBackoff;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts && !this.stopped; attempt++) {
      try {
        const client = await OvsdbClient.connect(this.address, this.opts);
        if (this.stopped) {
          await client.close();
          break;
        }
        try {
          await this.attach(client);
        } catch (e) {
          await client.close();
          throw e;
        }
        return client;
      } catch (e) {
        lastError = e as Error;
        await sleep(delay);
        delay = Math.min(this.maxBackoff, delay * 2);
      }
    }
    const reason = this.stopped ? new OvsdbConnectionError('session closed') : new OvsdbConnectionError(`gave up after ${this.maxAttempts} attempts: ${lastError?.message ?? 'unknown error'}`);
    if (!this.stopped) {
      this.stopped = true;
      this.emit('closed', reason);
    }
    throw reason;
  }

  private async attach(client: OvsdbClient): Promise<void> {
    const reconnect = this.everConnected;
    // Monitors first, then the client becomes visible: nobody sees a connection without them.
    for (const m of this.monitors) {
      const initial = await client.monitor(m.db, m.id, m.requests, (u) => m.onUpdate(u, { resync: false }));
      if (reconnect) m.onUpdate(initial, { resync: true });
    }
    this.current = client;
    this.everConnected = true;
    client.once('close', (reason) => {
      if (this.current === client) this.current = undefined;
      this.emit('disconnected', reason);
      if (!this.stopped) this.start().catch(() => undefined);
    });
    this.emit('connected', client, { reconnect });
  }
}
