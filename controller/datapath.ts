// One switch connection: HELLO and version negotiation, FEATURES, port descriptions, config,
// reconciliation of the switch's flows (stale ones removed, working ones kept, lost ones re-sent)
// and the table-miss flow, then steady state — echo keepalive both ways, requests matched to
// replies by xid, the flow-table mirror, and events for the apps.
// A protocol error from the switch gets an OpenFlow ERROR and closes only this connection; so do a
// peer that trickles a message too slowly and one that stops reading what we send.
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import {
  decodeMessage,
  encodeMessage,
  makeHello,
  MultipartAssembler,
  negotiateVersion,
  of13,
  OfpFramer,
  OFP13_VERSION,
  OFPCML_NO_BUFFER,
  OFPP_ANY,
  OFPP_CONTROLLER,
  OFP_NO_BUFFER,
  SUPPORTED_VERSIONS,
  type DecodedMessage,
  type ErrorMsg,
  type FlowModMsg,
  type FlowStats,
  type MultipartReplyBody,
  type MultipartRequestBody,
  type OfpMessage,
  type PortDesc,
} from "./openflow";
import { deleteStrict, flowKey, FlowTable, type FlowChange } from "./flow-table";

// These error codes and OFPTT_ALL have the same values in OpenFlow 1.0 and 1.3.
const { OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, OFPBRC_BAD_TYPE, OFPBRC_BAD_LEN, OFPTT_ALL } = of13;

/** What the reconciliation hook sees of a switch that just connected. */
export interface ReconcileView {
  dpid: string;
  version: number;
  ports: ReadonlyMap<number, PortDesc>;
  /** The switch's whole flow table, dumped before anything was changed. */
  flows: readonly FlowStats[];
}

/** What the hook decided: the FLOW_MODs to send (deletes of stale flows, re-installs) and counts for the record. */
export interface ReconcileResult {
  mods: FlowModMsg[];
  adopted: number;
  removed: number;
  reinstalled: number;
  /** True if the switch already has our table-miss flow (1.3): it is then not added again. */
  hasTableMiss: boolean;
}

export interface Reconciliation extends Omit<ReconcileResult, "mods" | "hasTableMiss"> {
  /** From the connection being accepted to the switch confirming the reconciled table (barrier). */
  elapsedMs: number;
}

export interface DatapathOptions {
  versions?: readonly number[];
  /** Send ECHO_REQUEST after this much silence from the switch. */
  echoIntervalMs?: number;
  /** Close the connection after this much silence. */
  echoTimeoutMs?: number;
  /**
   * A request fails after this much silence: no reply, or for a multipart request no further part
   * (a big flow table arrives in many parts and may take longer than this as a whole).
   */
  requestTimeoutMs?: number;
  /**
   * Bound on the handshake's exchanges (HELLO, FEATURES, port descriptions). Reading the switch's
   * flow table and reconciling it come after and are bounded per request: their time grows with
   * the table.
   */
  handshakeTimeoutMs?: number;
  /** A multipart reply (e.g. the whole flow table) may take at most this many bytes. */
  maxReplyBytes?: number;
  /** Flows carrying this cookie are the controller's. */
  cookie: bigint;
  /** Poll flow stats this often to keep the mirror true (0 = never). */
  flowStatsIntervalMs?: number;
  /** A message whose first bytes arrived must be complete within this (slow-loris guard). */
  frameTimeoutMs?: number;
  /** Close a switch that leaves more than this many bytes of ours unread. */
  maxOutputBytes?: number;
  /**
   * Decides what to do with the switch's flows on connect. Without it every flow carrying our
   * cookie is deleted (a controller that remembers nothing and trusts nothing).
   */
  reconcile?: (view: ReconcileView) => ReconcileResult;
}

export type DatapathState = "hello" | "features" | "configuring" | "ready" | "closed";

/** An OpenFlow ERROR received in answer to one of our requests. */
export class OpenFlowError extends Error {
  constructor(
    readonly errorType: number,
    readonly code: number,
    readonly data: Buffer,
    what: string,
  ) {
    super(`switch refused ${what}: error type ${errorType} code ${code}`);
  }
}

interface Pending {
  resolve: (m: DecodedMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
  /** Bytes of the multipart reply received so far. */
  bytes: number;
}

export interface DatapathEvents {
  ready: [];
  message: [DecodedMessage];
  flowTable: [FlowChange[]];
  /** A complete flow-stats reply (the switch's whole table). */
  flowStats: [FlowStats[]];
  flowModSent: [FlowModMsg];
  /** An ERROR the switch sent that answers no pending request (e.g. a refused FLOW_MOD). */
  switchError: [ErrorMsg];
  close: [string];
}

export class Datapath extends EventEmitter<DatapathEvents> {
  state: DatapathState = "hello";
  version = 0;
  dpid = "";
  nTables = 0;
  readonly ports = new Map<number, PortDesc>();
  readonly flows = new FlowTable();
  readonly connectedAt = Date.now();
  closeReason: string | null = null;
  /** What the handshake did with the switch's flows; set once ready. */
  reconciliation: Reconciliation | null = null;

  private readonly framer = new OfpFramer();
  private readonly assembler = new MultipartAssembler();
  private readonly pending = new Map<number, Pending>();
  private nextXid = 1;
  /** When the last complete message arrived (bytes of an unfinished one do not count). */
  private lastRx = Date.now();
  /** When the first byte of the unfinished message held by the framer arrived; 0 if none. */
  private partialSince = 0;
  private readonly startedAt = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private handshakeTimer: NodeJS.Timeout | null = null;
  private readonly opts: Required<Omit<DatapathOptions, "reconcile">> & Pick<DatapathOptions, "reconcile">;
  /** While a received chunk is handled: the messages written meanwhile, sent as one write at the end. */
  private outBatch: Buffer[] | null = null;

  constructor(
    private readonly socket: Socket,
    readonly remote: string,
    options: DatapathOptions,
  ) {
    super();
    this.opts = {
      versions: SUPPORTED_VERSIONS,
      echoIntervalMs: 5_000,
      echoTimeoutMs: 15_000,
      requestTimeoutMs: 10_000,
      handshakeTimeoutMs: 10_000,
      maxReplyBytes: 64 * 1024 * 1024,
      flowStatsIntervalMs: 10_000,
      frameTimeoutMs: 10_000,
      maxOutputBytes: 16 * 1024 * 1024,
      ...options,
    };
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("error", (err) => this.close(`socket error: ${err.message}`));
    socket.on("close", () => this.close("connection closed by the switch"));

    const hello = makeHello(this.takeXid(), this.opts.versions);
    this.write(encodeMessage(hello.version, hello.msg));
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== "ready") this.close(`handshake did not finish within ${this.opts.handshakeTimeoutMs} ms (stuck in ${this.state})`);
    }, this.opts.handshakeTimeoutMs);
    this.timers.push(this.handshakeTimer);
  }

  get isReady(): boolean {
    return this.state === "ready";
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────
  private takeXid(): number {
    const x = this.nextXid;
    this.nextXid = this.nextXid >= 0xffffffff ? 1 : this.nextXid + 1;
    return x;
  }

  private write(buf: Buffer): void {
    if (this.state === "closed" || this.socket.destroyed) return;
    if (this.outBatch) this.outBatch.push(buf);
    else {
      this.socket.write(buf);
      this.checkBacklog();
    }
  }

  /** A peer that does not read would make us buffer without bound. */
  private checkBacklog(): void {
    const queued = this.socket.writableLength;
    if (queued > this.opts.maxOutputBytes && this.state !== "closed") this.close(`switch is not reading: ${queued} bytes queued`);
  }

  /**
   * Sends what was batched while handling a chunk, in order, with one socket.write: the answers to
   * a burst of PACKET_INs then cost one syscall instead of one or two per PACKET_IN.
   */
  private flushBatch(): void {
    const batch = this.outBatch;
    this.outBatch = null;
    if (!batch || batch.length === 0 || this.socket.destroyed) return;
    this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    if (this.state !== "closed") this.checkBacklog();
  }

  /** Sends a message (xid assigned when 0); FLOW_MODs also update the mirror. Returns the xid. */
  send(msg: OfpMessage): number {
    if (this.state === "closed") throw new Error(`switch ${this.dpid || this.remote} is disconnected`);
    const xid = msg.xid || this.takeXid();
    const out = { ...msg, xid } as OfpMessage;
    this.write(encodeMessage(this.version, out));
    if (out.type === "flow_mod") {
      const changes = this.flows.applyFlowMod(out, Date.now());
      this.emit("flowModSent", out);
      if (changes.length) this.emit("flowTable", changes);
    }
    return xid;
  }

  sendAll(msgs: readonly OfpMessage[]): void {
    for (const m of msgs) this.send(m);
  }

  /** Sends a request and resolves with its (assembled) reply; rejects on ERROR, timeout or close. */
  request(msg: OfpMessage, what: string = msg.type): Promise<DecodedMessage> {
    if (this.state === "closed") return Promise.reject(new Error(`switch ${this.dpid || this.remote} is disconnected`));
    const xid = this.takeXid();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const partial = this.pending.get(xid)?.bytes ?? 0;
        this.settle(xid);
        reject(new Error(`${what} to ${this.dpid || this.remote}: ${partial ? `no further part of the reply (${partial} bytes so far)` : "no reply"} within ${this.opts.requestTimeoutMs} ms`));
      }, this.opts.requestTimeoutMs);
      this.pending.set(xid, { resolve, reject, timer, what, bytes: 0 });
      this.write(encodeMessage(this.version, { ...msg, xid } as OfpMessage));
    });
  }

  /** Resolves once the switch has processed everything sent before it. */
  async barrier(): Promise<void> {
    await this.request({ type: "barrier_request", xid: 0 }, "barrier");
  }

  async multipart(body: MultipartRequestBody): Promise<MultipartReplyBody> {
    const reply = await this.request({ type: "multipart_request", xid: 0, flags: 0, body }, `${body.kind} stats request`);
    if (reply.type !== "multipart_reply") throw new Error(`expected a ${body.kind} stats reply, got ${reply.type}`);
    return reply.body;
  }

  async flowStats(): Promise<FlowStats[]> {
    const body = await this.multipart({
      kind: "flow",
      table_id: OFPTT_ALL,
      out_port: OFPP_ANY,
      out_group: OFPP_ANY,
      cookie: 0n,
      cookie_mask: 0n,
      match: {},
    });
    if (body.kind !== "flow") throw new Error(`expected flow stats, got ${body.kind}`);
    return body.flows;
  }

  /** Re-reads the switch's flow table into the mirror; emits what differed. */
  async refreshFlows(): Promise<FlowChange[]> {
    const flows = await this.flowStats();
    this.emit("flowStats", flows);
    const changes = this.flows.replaceFromStats(flows, Date.now());
    if (changes.length) this.emit("flowTable", changes);
    return changes;
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────────────
  private onData(chunk: Buffer): void {
    const { frames, error } = this.framer.push(chunk);
    if (frames.length > 0 || this.partialSince === 0 || this.framer.bufferedBytes === 0) {
      const now = Date.now();
      if (frames.length > 0) this.lastRx = now;
      this.partialSince = this.framer.bufferedBytes > 0 ? now : 0;
    }
    this.outBatch = [];
    try {
      for (const f of frames) {
        if (this.state === "closed") return;
        this.onFrame(f);
      }
      if (error && this.state !== "closed") {
        this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, error.xid, error.header);
        this.close(`protocol error: ${error.message}`);
      }
    } finally {
      this.flushBatch();
    }
  }

  private onFrame(frame: Buffer): void {
    const msg = decodeMessage(frame);
    if (this.state === "hello") {
      if (msg.type !== "hello") {
        // As Open vSwitch does: anything but a HELLO first is an incompatible peer.
        const peer = frame[0]!;
        this.version = this.opts.versions.includes(peer) ? peer : Math.max(...this.opts.versions);
        this.sendError(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, msg.xid, Buffer.from(`expected HELLO, got ${msg.type}`));
        this.close(`expected HELLO first, got ${msg.type}`);
        return;
      }
      const v = negotiateVersion(msg, this.opts.versions);
      if (v === undefined) {
        this.version = Math.max(...this.opts.versions);
        this.sendError(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, msg.xid, Buffer.from(`supported versions: ${this.opts.versions.join(",")}`));
        this.close(`no common OpenFlow version (switch offered ${msg.version})`);
        return;
      }
      this.version = v;
      this.state = "features";
      void this.handshake();
      return;
    }
    if (msg.version !== this.version) {
      this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, msg.xid, frame.subarray(0, 64));
      this.close(`message with version ${msg.version} on a ${this.version} connection`);
      return;
    }
    switch (msg.type) {
      case "echo_request":
        this.write(encodeMessage(this.version, { type: "echo_reply", xid: msg.xid, data: msg.data }));
        return;
      case "unknown":
        this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, msg.xid, frame.subarray(0, 64));
        return;
      case "malformed":
        this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg.xid, frame.subarray(0, 64));
        this.close(`malformed ${msg.msgType} message: ${msg.reason}`);
        return;
      case "error": {
        const p = this.pending.get(msg.xid);
        if (p) {
          this.settle(msg.xid);
          p.reject(new OpenFlowError(msg.error_type, msg.code, msg.data, p.what));
        } else {
          this.emit("switchError", msg);
        }
        return;
      }
      case "multipart_reply": {
        const p = this.pending.get(msg.xid);
        if (!p) return;
        p.bytes += frame.length;
        if (p.bytes > this.opts.maxReplyBytes) {
          this.settle(msg.xid);
          p.reject(new Error(`${p.what}: reply larger than ${this.opts.maxReplyBytes} bytes`));
          return;
        }
        const r = this.assembler.push(msg);
        if (r.status === "complete") this.resolvePending(msg.xid, r.reply as DecodedMessage);
        else if (r.status === "error") {
          this.settle(msg.xid);
          p.reject(new Error(`bad multipart reply: ${r.reason}`));
        } else {
          // A part arrived: the request is making progress, its silence bound starts again.
          p.timer.refresh();
        }
        return;
      }
      case "port_status":
        if (msg.reason === 1) this.ports.delete(msg.desc.port_no);
        else this.ports.set(msg.desc.port_no, msg.desc);
        this.emit("message", msg);
        return;
      case "flow_removed": {
        const changes = this.flows.applyFlowRemoved(msg);
        if (changes.length) this.emit("flowTable", changes);
        this.emit("message", msg);
        return;
      }
      default:
        if (this.pending.has(msg.xid)) this.resolvePending(msg.xid, msg);
        else this.emit("message", msg);
    }
  }

  private resolvePending(xid: number, msg: DecodedMessage): void {
    const p = this.pending.get(xid);
    if (!p) return;
    this.settle(xid);
    p.resolve(msg);
  }

  private settle(xid: number): void {
    const p = this.pending.get(xid);
    if (p) clearTimeout(p.timer);
    this.pending.delete(xid);
    // Parts of an abandoned multipart reply must not stay buffered.
    this.assembler.discard(xid);
  }

  private sendError(errorType: number, code: number, xid: number, data: Buffer): void {
    try {
      this.write(encodeMessage(this.version || Math.max(...this.opts.versions), { type: "error", xid, error_type: errorType, code, data }));
    } catch {
      // Nothing useful to do if even the error cannot be encoded; the connection closes anyway.
    }
  }

  // ── handshake and steady state ─────────────────────────────────────────────────────────────
  private async handshake(): Promise<void> {
    try {
      const features = await this.request({ type: "features_request", xid: 0 }, "features request");
      if (features.type !== "features_reply") throw new Error(`expected FEATURES_REPLY, got ${features.type}`);
      this.dpid = features.datapath_id;
      this.nTables = features.n_tables;
      for (const p of features.ports ?? []) this.ports.set(p.port_no, p);
      this.state = "configuring";

      // Whole packets to the controller (OVS does not buffer them anyway).
      this.send({ type: "set_config", xid: 0, flags: 0, miss_send_len: 0xffff });
      if (this.version === OFP13_VERSION) {
        const body = await this.multipart({ kind: "port_desc" });
        if (body.kind === "port_desc") for (const p of body.ports) this.ports.set(p.port_no, p);
      }
      // The handshake's exchanges are done. Reading the flow table takes as long as the table's
      // size and the link make it (a switch that times out here would read it again on every
      // retry), so from here each request is bounded by its own progress (requestTimeoutMs of silence).
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      if (this.state !== "configuring") return;

      // One read of the table: the mirror starts from it and follows the reconciliation's own
      // FLOW_MODs (the periodic poll corrects anything the switch did otherwise).
      const flows = await this.flowStats();
      const plan = this.opts.reconcile
        ? this.opts.reconcile({ dpid: this.dpid, version: this.version, ports: this.ports, flows })
        : this.deleteAllOurs(flows);
      const loaded = this.flows.replaceFromStats(flows, Date.now());
      if (loaded.length) this.emit("flowTable", loaded);
      this.sendAll(plan.mods);
      if (this.version === OFP13_VERSION && !plan.hasTableMiss) this.send(this.tableMissFlow());
      await this.barrier();
      const elapsedMs = Math.round((performance.now() - this.startedAt) * 100) / 100;
      this.reconciliation = { adopted: plan.adopted, removed: plan.removed, reinstalled: plan.reinstalled, elapsedMs };
      this.emit("flowStats", withoutDeleted(flows, plan.mods));
      if (this.state !== "configuring") return;
      this.state = "ready";
      this.startTimers();
      this.emit("ready");
    } catch (err) {
      this.close(`handshake failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Without a reconciliation hook: every flow with our cookie goes, each deleted exactly. */
  private deleteAllOurs(flows: readonly FlowStats[]): ReconcileResult {
    const mods: FlowModMsg[] = flows
      .filter((f) => f.cookie === this.opts.cookie)
      .map(deleteStrict);
    return { mods, adopted: 0, removed: mods.length, reinstalled: 0, hasTableMiss: false };
  }

  /** 1.3 switches drop unmatched packets unless a priority-0 flow sends them to us. */
  private tableMissFlow(): FlowModMsg {
    return {
      type: "flow_mod",
      xid: 0,
      command: "add",
      cookie: this.opts.cookie,
      table_id: 0,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 0,
      buffer_id: OFP_NO_BUFFER,
      out_port: OFPP_ANY,
      out_group: OFPP_ANY,
      flags: 0,
      match: {},
      instructions: [{ type: "apply_actions", actions: [{ type: "output", port: OFPP_CONTROLLER, max_len: OFPCML_NO_BUFFER }] }],
    };
  }

  private startTimers(): void {
    const { echoIntervalMs, echoTimeoutMs, frameTimeoutMs } = this.opts;
    const echo = setInterval(() => {
      const now = Date.now();
      const silent = now - this.lastRx;
      if (this.partialSince > 0 && now - this.partialSince >= frameTimeoutMs) {
        this.close(`a message from the switch stayed incomplete for ${now - this.partialSince} ms (${this.framer.bufferedBytes} bytes)`);
      } else if (silent >= echoTimeoutMs) this.close(`no message from the switch for ${silent} ms`);
      else if (silent >= echoIntervalMs) this.write(encodeMessage(this.version, { type: "echo_request", xid: this.takeXid(), data: Buffer.alloc(0) }));
    }, Math.max(50, Math.min(echoIntervalMs, echoTimeoutMs, frameTimeoutMs) / 2));
    this.timers.push(echo);
    if (this.opts.flowStatsIntervalMs > 0) {
      const poll = setInterval(() => {
        this.refreshFlows().catch(() => {
          // A missed poll is retried at the next interval; a dead switch is caught by the echo timer.
        });
      }, this.opts.flowStatsIntervalMs);
      this.timers.push(poll);
    }
  }

  close(reason: string): void {
    if (this.state === "closed") return;
    // What was written before the close (e.g. the ERROR explaining it) still goes out first.
    this.flushBatch();
    this.state = "closed";
    this.closeReason = reason;
    for (const t of this.timers) clearTimeout(t);
    for (const [xid, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.what}: connection to ${this.dpid || this.remote} closed (${reason})`));
      this.pending.delete(xid);
    }
    this.socket.end();
    // Give the last ERROR a moment to leave, then make sure the socket is gone.
    setTimeout(() => this.socket.destroy(), 200).unref();
    this.emit("close", reason);
  }
}

/** The dumped flows the reconciliation kept (its strict deletes taken out). */
function withoutDeleted(flows: FlowStats[], mods: readonly FlowModMsg[]): FlowStats[] {
  const gone = new Set<string>();
  for (const m of mods) if (m.command === "delete_strict") gone.add(flowKey(m));
  return gone.size === 0 ? flows : flows.filter((f) => !gone.has(flowKey(f)));
}
