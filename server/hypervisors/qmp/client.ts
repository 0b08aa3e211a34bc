// A QMP (QEMU Machine Protocol) client over QEMU's UNIX monitor socket: greeting, capability
// negotiation, commands matched to replies by id, asynchronous events.
import { EventEmitter } from "node:events";
import net from "node:net";
import { JsonFramer } from "../../../controller/ovsdb/framer";

export interface QmpConnectOptions {
  /** How long to keep retrying while QEMU has not created/opened the socket yet (default 5 s). */
  connectTimeoutMs?: number;
  /** Pause between connect attempts (default 100 ms). */
  retryIntervalMs?: number;
  /** Default per-command reply timeout (default 10 s). */
  timeoutMs?: number;
  /** Largest accepted QMP message (default 16 MiB). */
  maxMessageBytes?: number;
}

export interface QmpExecuteOptions {
  timeoutMs?: number;
}

export interface QmpEvent {
  name: string;
  data: Record<string, unknown>;
  /** Milliseconds since the epoch, from QEMU's own timestamp. */
  timestamp: number;
}

export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package: string };
  capabilities: string[];
}

/** QEMU answered a command with an error (`class` is QEMU's ErrorClass, e.g. GenericError). */
export class QmpError extends Error {
  override readonly name = "QmpError";
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${desc}`);
  }
}

/** The connection failed, closed, timed out or carried something that is not QMP. */
export class QmpConnectionError extends Error {
  override readonly name = "QmpConnectionError";
  constructor(
    message: string,
    readonly code: "CONNECT" | "CLOSED" | "TIMEOUT" | "PROTOCOL",
  ) {
    super(message);
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  close: [reason: Error | undefined];
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_MS = 100;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function openSocket(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path });
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

export class QmpClient extends EventEmitter<QmpClientEvents> {
  private readonly framer: JsonFramer;
  private readonly pending = new Map<number, Pending>();
  private readonly timeoutMs: number;
  private nextId = 1;
  private closed = false;
  private closeReason: Error | undefined;
  private greetingWaiter: { resolve: (g: QmpGreeting) => void; reject: (e: Error) => void } | undefined;
  private readonly closedPromise: Promise<void>;
  greeting: QmpGreeting | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly path: string,
    opts: QmpConnectOptions,
  ) {
    super();
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.framer = new JsonFramer({ maxMessageBytes: opts.maxMessageBytes });
    this.closedPromise = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => {
      this.closeReason ??= new QmpConnectionError(`QMP socket ${path}: ${err.message}`, "CLOSED");
    });
    socket.on("close", () => this.onClose());
  }

  /**
   * Connects (retrying while the socket is missing or refuses, as it does while QEMU starts),
   * reads the greeting and leaves capability negotiation mode.
   */
  static async connect(socketPath: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const connectTimeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const deadline = Date.now() + connectTimeout;
    let socket: net.Socket | undefined;
    let lastErr: Error | undefined;
    for (let attempt = 0; attempt < 10_000 && !socket; attempt++) {
      try {
        socket = await openSocket(socketPath);
      } catch (e) {
        lastErr = e as Error;
        const code = (e as NodeJS.ErrnoException).code;
        const retryable = code === "ENOENT" || code === "ECONNREFUSED" || code === "EAGAIN";
        if (!retryable || Date.now() + (opts.retryIntervalMs ?? DEFAULT_RETRY_MS) > deadline) break;
        await new Promise((r) => setTimeout(r, opts.retryIntervalMs ?? DEFAULT_RETRY_MS));
      }
    }
    if (!socket) {
      throw new QmpConnectionError(`cannot connect to QMP socket ${socketPath} within ${connectTimeout} ms: ${lastErr?.message ?? "unknown error"}`, "CONNECT");
    }
    const client = new QmpClient(socket, socketPath, opts);
    try {
      // QEMU serves one monitor client at a time: a second client gets no greeting until the
      // first leaves, so the greeting wait is bounded by the remaining connect budget (min 1 s).
      await client.waitGreeting(Math.max(1_000, deadline - Date.now()));
      await client.execute("qmp_capabilities");
      return client;
    } catch (e) {
      client.close();
      throw e;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private waitGreeting(timeoutMs: number): Promise<QmpGreeting> {
    if (this.greeting) return Promise.resolve(this.greeting);
    if (this.closed) return Promise.reject(this.closeError("the greeting"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.greetingWaiter = undefined;
        reject(new QmpConnectionError(`no QMP greeting on ${this.path} within ${timeoutMs} ms (another client may hold the monitor)`, "TIMEOUT"));
      }, timeoutMs);
      this.greetingWaiter = {
        resolve: (g) => {
          clearTimeout(timer);
          resolve(g);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Runs one command; resolves with its `return` value, rejects with QmpError on QEMU's error reply. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: QmpExecuteOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(this.closeError(`the reply to ${command}`));
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const msg: Record<string, unknown> = { execute: command, id };
    if (args && Object.keys(args).length > 0) msg.arguments = args;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpConnectionError(`QMP ${command} got no reply within ${timeoutMs} ms`, "TIMEOUT"));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify(msg) + "\n");
    });
  }

  /** Closes the socket; pending commands reject. Resolves once the socket is closed. */
  close(): Promise<void> {
    if (!this.closed) this.socket.destroy();
    return this.closedPromise;
  }

  private closeError(what: string): Error {
    const why = this.closeReason ? ` (${this.closeReason.message})` : "";
    return new QmpConnectionError(`QMP socket closed while waiting for ${what}${why}`, "CLOSED");
  }

  private onData(chunk: Buffer): void {
    const { messages, error } = this.framer.push(chunk);
    for (const m of messages) this.onMessage(m);
    if (error) {
      this.closeReason = new QmpConnectionError(`bad QMP stream from ${this.path}: ${error.message}`, "PROTOCOL");
      this.socket.destroy();
    }
  }

  private onMessage(m: unknown): void {
    if (!isObject(m)) return;
    if (isObject(m.QMP)) {
      this.greeting = m.QMP as unknown as QmpGreeting;
      this.greetingWaiter?.resolve(this.greeting);
      this.greetingWaiter = undefined;
      return;
    }
    if (typeof m.event === "string") {
      const ts = isObject(m.timestamp) ? m.timestamp : {};
      const seconds = typeof ts.seconds === "number" ? ts.seconds : 0;
      const micros = typeof ts.microseconds === "number" ? ts.microseconds : 0;
      this.emit("event", { name: m.event, data: isObject(m.data) ? m.data : {}, timestamp: seconds * 1000 + micros / 1000 });
      return;
    }
    if (!("return" in m) && !("error" in m)) return;
    // QEMU answers in order; a reply without id (e.g. to unparsable input) belongs to the oldest call.
    const id = typeof m.id === "number" ? m.id : this.pending.keys().next().value;
    if (id === undefined) return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ("error" in m) {
      const e = isObject(m.error) ? m.error : {};
      p.reject(new QmpError(p.command, typeof e.class === "string" ? e.class : "GenericError", typeof e.desc === "string" ? e.desc : JSON.stringify(m.error)));
    } else {
      p.resolve(m.return);
    }
  }

  private onClose(): void {
    this.closed = true;
    this.greetingWaiter?.reject(this.closeError("the greeting"));
    this.greetingWaiter = undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(this.closeError(`the reply to ${p.command}`));
    }
    this.emit("close", this.closeReason);
  }
}
