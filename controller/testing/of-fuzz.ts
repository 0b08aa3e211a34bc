// Test and benchmark helper: hostile OpenFlow peers. Each fuzz connection either sends junk
// before its HELLO, or completes the handshake like a switch and then sends batches of generated,
// mutated, truncated and random messages, each batch closed by a marker ECHO_REQUEST. An oracle
// (the controller's rules, applied to the exact frames sent) says which ERRORs must come back and
// which message must end the connection, so every batch is checked: the marker's ECHO_REPLY after
// the expected ERRORs, or the fatal message's ERROR followed by the controller closing the socket.
import net from "node:net";
import { FIXTURES } from "../openflow/fixtures/fixtures";
import { decodeMessage, encodeMessage, OfpFramer, type DecodedMessage, type OfpMessage } from "../openflow";

/** mulberry32: small deterministic PRNG so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GOLDEN = new Map<number, Buffer[]>([
  [1, FIXTURES.map((f) => Buffer.from(f.hex, "hex")).filter((b) => b[0] === 1)],
  [4, FIXTURES.map((f) => Buffer.from(f.hex, "hex")).filter((b) => b[0] === 4)],
]);

/** What the controller must do with one frame once the version is agreed. */
export function classify(frame: Buffer, version: number): { errors: number; fatal: boolean } {
  if (frame.length < 8 || frame.readUInt16BE(2) < 8) return { errors: 1, fatal: true };
  if (frame[0] !== version) return { errors: 1, fatal: true };
  const m = decodeMessage(frame);
  if (m.type === "unknown") return { errors: 1, fatal: false };
  if (m.type === "malformed") return { errors: 1, fatal: true };
  return { errors: 0, fatal: false };
}

type Rand = () => number;
const int = (rand: Rand, n: number) => Math.floor(rand() * n);

/** Seeded random bytes, drawn once: a fresh random byte per message byte would cost more than the controller's work. */
const POOL = (() => {
  const r = prng(0x5eed);
  const b = Buffer.allocUnsafe(1 << 18);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(Math.floor(r() * 4294967296) >>> 0, i);
  return b;
})();

function randomBytes(rand: Rand, n: number): Buffer {
  if (n <= POOL.length) {
    const off = int(rand, POOL.length - n + 1);
    const b = Buffer.allocUnsafe(n);
    POOL.copy(b, 0, off, off + n);
    return b;
  }
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(rand, 256);
  return b;
}

/** High xids: no fuzz message can pass for the answer to one of the controller's own requests. */
function stampXid(rand: Rand, b: Buffer): Buffer {
  if (b.length >= 8) b.writeUInt32BE((0x80000000 | int(rand, 0x7fffffff)) >>> 0, 4);
  return b;
}

function withLength(b: Buffer): Buffer {
  b.writeUInt16BE(b.length, 2);
  return b;
}

const MACS = Array.from({ length: 12 }, (_, i) => `52:54:00:fa:00:${(i + 1).toString(16).padStart(2, "0")}`);

function packetIn(rand: Rand, version: number): Buffer {
  const dst = rand() < 0.2 ? "ff:ff:ff:ff:ff:ff" : MACS[int(rand, MACS.length)]!;
  const src = MACS[int(rand, MACS.length)]!;
  const frame = Buffer.alloc(60);
  Buffer.from(dst.split(":").map((h) => parseInt(h, 16))).copy(frame, 0);
  Buffer.from(src.split(":").map((h) => parseInt(h, 16))).copy(frame, 6);
  frame.writeUInt16BE(rand() < 0.5 ? 0x0800 : 0x0806, 12);
  const inPort = 1 + int(rand, 6);
  const msg: OfpMessage =
    version === 1
      ? { type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: 60, reason: 0, in_port: inPort, data: frame }
      : { type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: 60, reason: 0, table_id: 0, cookie: 0n, match: { in_port: inPort }, data: frame };
  return encodeMessage(version, msg);
}

/** One generated message: self-delimiting (its length field equals its size) unless its length is below 8. */
export function generate(rand: Rand, version: number): Buffer {
  const golden = GOLDEN.get(version)!;
  const seed = () => Buffer.from(golden[int(rand, golden.length)]!);
  const r = rand();
  if (r < 0.2) return stampXid(rand, seed()); // valid, as OVS sends it
  if (r < 0.32) return stampXid(rand, packetIn(rand, version));
  if (r < 0.36) return stampXid(rand, encodeMessage(version, { type: "echo_request", xid: 0, data: randomBytes(rand, int(rand, 32)) }));
  if (r < 0.56) {
    // Bit flips anywhere past the version byte.
    const b = seed();
    for (let i = 1 + int(rand, 4); i > 0; i--) b[1 + int(rand, b.length - 1)] ^= 1 << int(rand, 8);
    return stampXid(rand, withLength(b));
  }
  if (r < 0.64) {
    // Truncated body, length made consistent: struct-level truncation.
    const b = seed();
    return stampXid(rand, withLength(Buffer.from(b.subarray(0, 8 + int(rand, Math.max(1, b.length - 8))))));
  }
  if (r < 0.68) {
    // Truncated with the old length kept: the rest of the frame is whatever comes next.
    const b = seed();
    const keep = 8 + int(rand, Math.max(1, b.length - 8));
    return stampXid(rand, Buffer.concat([b.subarray(0, keep), randomBytes(rand, b.length - keep)]));
  }
  if (r < 0.72) {
    // A length field inside the body set to nonsense.
    const b = seed();
    const off = 8 + 2 * int(rand, Math.max(1, (b.length - 10) / 2));
    if (off + 2 <= b.length) b.writeUInt16BE(rand() < 0.5 ? 0xffff : int(rand, 64), off);
    return stampXid(rand, b);
  }
  if (r < 0.84) {
    // A valid header of any type with a random body.
    const b = randomBytes(rand, 8 + int(rand, 200));
    b[0] = version;
    b[1] = rand() < 0.5 ? int(rand, 36) : int(rand, 256);
    return stampXid(rand, withLength(b));
  }
  if (r < 0.9) {
    // An unknown type: answered with BAD_TYPE, connection kept.
    const b = randomBytes(rand, 8 + int(rand, 64));
    b[0] = version;
    b[1] = 64 + int(rand, 192);
    return stampXid(rand, withLength(b));
  }
  if (r < 0.91) {
    // Huge: the largest length there is.
    const b = randomBytes(rand, 0xffff);
    b[0] = version;
    b[1] = rand() < 0.5 ? 10 : 200;
    return stampXid(rand, withLength(b));
  }
  if (r < 0.96) {
    // Another version's message on this connection.
    const b = seed();
    b[0] = [0, 1, 2, 3, 4, 5, 6, 0x7f, 0xff].filter((v) => v !== version)[int(rand, 8)]!;
    return stampXid(rand, b);
  }
  // A length below the header size.
  const b = randomBytes(rand, 8);
  b[0] = version;
  b.writeUInt16BE(int(rand, 8), 2);
  return b;
}

/** Junk a peer sends instead of a HELLO: must get HELLO_FAILED (or BAD_LEN) and a close. */
function preHelloJunk(rand: Rand): Buffer {
  const r = rand();
  if (r < 0.3) {
    const golden = GOLDEN.get(rand() < 0.5 ? 1 : 4)!;
    const b = Buffer.from(golden[int(rand, golden.length)]!);
    if (b[1] === 0) b[1] = 2;
    return b;
  }
  if (r < 0.5) {
    // A HELLO offering only versions we do not speak.
    const b = Buffer.from([4, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0b1100]);
    return b;
  }
  if (r < 0.6) return Buffer.from([int(rand, 2) ? 2 : 3, 0, 0, 8, 0, 0, 0, 1]);
  if (r < 0.7) {
    const b = randomBytes(rand, 8);
    b.writeUInt16BE(int(rand, 8), 2);
    return b;
  }
  const b = randomBytes(rand, 8 + int(rand, 100));
  if (b[1] === 0) b[1] = 1 + int(rand, 255);
  return withLength(b);
}

export interface FuzzTarget {
  port?: number;
  host?: string;
  path?: string;
}

export interface FuzzConnectionOptions {
  seed: number;
  /** Fuzz messages to send after the handshake (the connection may end earlier on a fatal one). */
  messages: number;
  dpid: string;
  /** Chance that the connection ends with a fatal message rather than closing by itself. */
  fatalEnd?: number;
  /** Chance of junk before HELLO instead of a handshake. */
  preHello?: number;
  batch?: number;
  /** Longest wait for any one step (the handshake, a batch's answer, the close); default 30 s. */
  timeoutMs?: number;
}

export interface FuzzConnectionResult {
  /** Fuzz messages the controller was seen to process (acknowledged by a marker or by the close). */
  messages: number;
  errorsReceived: number;
  /** True if the connection sent a fatal message (or pre-HELLO junk). */
  bad: boolean;
  /** True if the controller closed the connection after an ERROR, as it must for a bad one. */
  closedWithError: boolean;
  /** What went against the oracle, if anything. */
  violations: string[];
}

const MARKER_BASE = 0x7ff00000;

/** Runs one hostile connection to the end and reports what the controller did. */
export function runFuzzConnection(target: FuzzTarget, o: FuzzConnectionOptions): Promise<FuzzConnectionResult> {
  const rand = prng(o.seed);
  const result: FuzzConnectionResult = { messages: 0, errorsReceived: 0, bad: false, closedWithError: false, violations: [] };
  const socket = target.path ? net.connect(target.path) : net.connect(target.port!, target.host ?? "127.0.0.1");
  const framer = new OfpFramer();
  let version = 0;
  let closed = false;
  let onClosed: () => void = () => {};
  let onMessage: (m: DecodedMessage) => void = () => {};
  const closedP = new Promise<void>((resolve) => (onClosed = resolve));
  let errorsBeforeClose = 0;

  return new Promise<FuzzConnectionResult>((resolve) => {
    const stepMs = o.timeoutMs ?? 30_000;
    let timer = setTimeout(() => finish(`no progress within ${stepMs} ms`), stepMs);
    const progress = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(`no progress within ${stepMs} ms`), stepMs);
    };
    const finish = (violation?: string) => {
      if (violation) result.violations.push(violation);
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      errorsBeforeClose = result.errorsReceived;
      onClosed();
    });
    socket.on("data", (chunk) => {
      const { frames } = framer.push(chunk);
      for (const f of frames) {
        const m = decodeMessage(f);
        if (m.type === "error") result.errorsReceived++;
        answer(m);
        onMessage(m);
      }
    });
    const send = (msg: OfpMessage) => {
      if (!socket.destroyed) socket.write(encodeMessage(version, msg));
    };
    // Play the switch's part of the controller's requests, so the session stays valid.
    const answer = (m: DecodedMessage) => {
      if (version === 0) return;
      switch (m.type) {
        case "features_request":
          send({
            type: "features_reply",
            xid: m.xid,
            datapath_id: o.dpid,
            n_buffers: 0,
            n_tables: 254,
            capabilities: 0,
            ...(version === 1 ? { actions: 0xfff, ports: [] } : { auxiliary_id: 0, reserved: 0 }),
          } as OfpMessage);
          return;
        case "multipart_request":
          if (m.body.kind === "port_desc") send({ type: "multipart_reply", xid: m.xid, flags: 0, body: { kind: "port_desc", ports: [] } });
          else if (m.body.kind === "flow") send({ type: "multipart_reply", xid: m.xid, flags: 0, body: { kind: "flow", flows: [] } });
          return;
        case "barrier_request":
          send({ type: "barrier_reply", xid: m.xid });
          return;
        case "echo_request":
          send({ type: "echo_reply", xid: m.xid, data: m.data });
          return;
        default:
          return;
      }
    };
    const waitFor = (pred: (m: DecodedMessage) => boolean): Promise<boolean> =>
      new Promise((res) => {
        if (closed) return res(false);
        onMessage = (m) => {
          if (pred(m)) {
            onMessage = () => {};
            res(true);
          }
        };
        void closedP.then(() => res(false));
      });
    const expectClose = async (expectedErrors: number) => {
      await closedP;
      result.closedWithError = errorsBeforeClose >= 1;
      if (errorsBeforeClose !== expectedErrors) result.violations.push(`expected ${expectedErrors} ERROR(s) before the close, got ${errorsBeforeClose}`);
    };

    socket.once("connect", () => {
      void (async () => {
        if (rand() < (o.preHello ?? 0.05)) {
          result.bad = true;
          socket.write(preHelloJunk(rand));
          await expectClose(1);
          result.messages = 1;
          return finish();
        }
        version = rand() < 0.5 ? 1 : 4;
        socket.write(
          version === 1
            ? Buffer.from([1, 0, 0, 8, 0, 0, 0, 1])
            : encodeMessage(4, { type: "hello", xid: 1, elements: [{ type: "versionbitmap", bitmaps: [(1 << 1) | (1 << 4)] }] }),
        );
        // The handshake ends with a barrier, then a flow-stats read; fuzz only once both are answered,
        // so that no fuzz message is waiting in line ahead of the last reply the handshake needs.
        if (!(await waitFor((m) => m.type === "barrier_request"))) return finish("closed during the handshake");
        if (!(await waitFor((m) => m.type === "multipart_request" && m.body.kind === "flow"))) return finish("closed during the handshake");
        send({ type: "echo_request", xid: MARKER_BASE - 1, data: Buffer.alloc(0) });
        if (!(await waitFor((m) => m.type === "echo_reply" && m.xid === MARKER_BASE - 1))) return finish("closed during the handshake");

        const fatalEnd = rand() < (o.fatalEnd ?? 0.9);
        let expectedErrors = 0;
        let left = o.messages;
        let marker = MARKER_BASE;
        while (left > 0) {
          const parts: Buffer[] = [];
          let fatalAt = -1;
          const size = Math.min(left, o.batch ?? 64);
          while (parts.length < size) {
            const msg = generate(rand, version);
            const c = classify(msg, version);
            const last = left - parts.length === 1;
            // Fatal only as the connection's last message; then keep drawing until one is.
            if (c.fatal !== (fatalEnd && last) && (c.fatal || last)) continue;
            parts.push(msg);
            expectedErrors += c.errors;
            if (c.fatal) {
              fatalAt = parts.length - 1;
              break;
            }
          }
          left -= parts.length;
          if (fatalAt < 0) {
            const xid = marker++;
            parts.push(encodeMessage(version, { type: "echo_request", xid, data: Buffer.alloc(0) }));
            writeSplit(socket, Buffer.concat(parts), rand);
            const ok = await waitFor((m) => m.type === "echo_reply" && m.xid === xid);
            progress();
            if (!ok) return finish(`controller closed a connection that sent nothing fatal (${result.errorsReceived} ERRORs)`);
            if (result.errorsReceived !== expectedErrors) result.violations.push(`expected ${expectedErrors} ERROR(s) so far, got ${result.errorsReceived}`);
            result.messages += parts.length - 1;
          } else {
            result.bad = true;
            writeSplit(socket, Buffer.concat(parts), rand);
            await expectClose(expectedErrors);
            result.messages += parts.length;
            return finish();
          }
        }
        finish();
      })().catch((e: unknown) => finish(`fuzz client failed: ${(e as Error).message}`));
    });
  });
}

/** Writes in a few random pieces so frames straddle reads on the other side. */
function writeSplit(socket: net.Socket, buf: Buffer, rand: Rand): void {
  if (socket.destroyed) return;
  if (buf.length < 16 || rand() < 0.5) {
    socket.write(buf);
    return;
  }
  let off = 0;
  for (let i = 0; i < 3 && off < buf.length; i++) {
    const n = i === 2 ? buf.length - off : 1 + int(rand, buf.length - off);
    socket.write(buf.subarray(off, off + n));
    off += n;
  }
  if (off < buf.length) socket.write(buf.subarray(off));
}

export interface FuzzRunOptions {
  target: FuzzTarget;
  /** Total fuzz messages to get through. */
  messages: number;
  /** Connections open at once. */
  concurrency: number;
  seed: number;
  /** Messages per connection: uniform in [1, perConnection]. */
  perConnection: number;
  /** Stop starting new connections after this long. */
  maxMs: number;
  onProgress?: (s: FuzzTotals) => void;
}

export interface FuzzTotals {
  messages: number;
  connections: number;
  badConnections: number;
  badConnectionsClosedWithError: number;
  errorsReceived: number;
  violations: string[];
  elapsedMs: number;
}

/** Many fuzz connections, `concurrency` at a time, until `messages` have gone through or time runs out. */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzTotals> {
  const t0 = Date.now();
  const totals: FuzzTotals = { messages: 0, connections: 0, badConnections: 0, badConnectionsClosedWithError: 0, errorsReceived: 0, violations: [], elapsedMs: 0 };
  const rand = prng(o.seed);
  let n = 0;
  const worker = async () => {
    while (totals.messages < o.messages && Date.now() - t0 < o.maxMs) {
      const i = n++;
      const r = await runFuzzConnection(o.target, {
        seed: (o.seed * 7919 + i) >>> 0,
        messages: 1 + int(rand, o.perConnection),
        dpid: `0000fa${(i % 0xffffffff).toString(16).padStart(10, "0")}`,
      });
      totals.connections++;
      totals.messages += r.messages;
      totals.errorsReceived += r.errorsReceived;
      if (r.bad) totals.badConnections++;
      if (r.bad && r.closedWithError) totals.badConnectionsClosedWithError++;
      for (const v of r.violations) if (totals.violations.length < 50) totals.violations.push(`connection ${i} (seed ${(o.seed * 7919 + i) >>> 0}): ${v}`);
      if (totals.connections % 200 === 0) o.onProgress?.({ ...totals, elapsedMs: Date.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  totals.elapsedMs = Date.now() - t0;
  return totals;
}
