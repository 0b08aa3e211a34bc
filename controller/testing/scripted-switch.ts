// Test double: a scripted OpenFlow switch speaking Ferry's own codec over a real socket. It answers
// the controller's handshake (FEATURES, port descriptions, flow stats, barriers, echoes) and records
// everything it receives, so tests can check what the controller sent. Not an OVS substitute: the
// acceptance tests run against real Open vSwitch.
import net from "node:net";
import {
  decodeMessage,
  encodeMessage,
  OfpFramer,
  type DecodedMessage,
  type FlowStats,
  type HelloMsg,
  type OfpMessage,
  type PortDesc,
} from "../openflow";

export interface ScriptedSwitchOptions {
  dpid: string;
  /** Header version of our HELLO. */
  version: number;
  /** Version bitmap elements for our HELLO (omit for a bare HELLO). */
  bitmapVersions?: number[];
  ports?: PortDesc[];
  /** Flows reported in flow-stats replies. */
  flows?: FlowStats[];
  /** Answer ECHO_REQUESTs (turn off to simulate a hung switch). */
  answerEcho?: boolean;
}

export function port(no: number, name: string, mac = `02:00:00:00:00:${no.toString(16).padStart(2, "0")}`): PortDesc {
  return { port_no: no, hw_addr: mac, name, config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, curr_speed: 0, max_speed: 0 };
}

export class ScriptedSwitch {
  readonly received: DecodedMessage[] = [];
  readonly socket: net.Socket;
  private readonly framer = new OfpFramer();
  private waiters: { pred: (m: DecodedMessage) => boolean; resolve: (m: DecodedMessage) => void }[] = [];
  private closedPromise: Promise<void>;
  closed = false;

  private constructor(socket: net.Socket, private readonly opts: ScriptedSwitchOptions) {
    this.socket = socket;
    this.closedPromise = new Promise((resolve) =>
      socket.on("close", () => {
        this.closed = true;
        resolve();
      }),
    );
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      for (const f of this.framer.push(chunk).frames) this.onMessage(decodeMessage(f));
    });
  }

  static connect(target: { port: number } | { path: string }, opts: ScriptedSwitchOptions): Promise<ScriptedSwitch> {
    return new Promise((resolve, reject) => {
      const socket = "path" in target ? net.connect(target.path) : net.connect(target.port, "127.0.0.1");
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(ScriptedSwitch.over(socket, opts));
      });
    });
  }

  /** Starts the switch side on an already connected socket (plain or TLS) by sending HELLO. */
  static over(socket: net.Socket, opts: ScriptedSwitchOptions): ScriptedSwitch {
    const sw = new ScriptedSwitch(socket, opts);
    const hello: HelloMsg = { type: "hello", xid: 1 };
    if (opts.bitmapVersions) hello.elements = [{ type: "versionbitmap", bitmaps: [opts.bitmapVersions.reduce((b, v) => b | (1 << v), 0)] }];
    // Encoded with a supported codec, then stamped with the version under test (e.g. 2 = OpenFlow 1.1).
    sw.sendRaw(encodeMessage(opts.version === 1 ? 1 : 4, hello).fill(opts.version, 0, 1));
    return sw;
  }

  send(msg: OfpMessage): void {
    this.sendRaw(encodeMessage(this.opts.version, msg));
  }

  sendRaw(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** Resolves with the first received message (past or future) that satisfies pred. */
  waitFor(pred: (m: DecodedMessage) => boolean, timeoutMs = 5000): Promise<DecodedMessage> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`scripted switch ${this.opts.dpid}: nothing matched within ${timeoutMs} ms; got ${this.received.map((m) => m.type).join(",")}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    return Promise.race([this.closedPromise, new Promise<void>((_, reject) => setTimeout(() => reject(new Error("connection still open")), timeoutMs))]);
  }

  close(): void {
    this.socket.destroy();
  }

  private onMessage(m: DecodedMessage): void {
    this.received.push(m);
    this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    const v = this.opts.version;
    switch (m.type) {
      case "features_request":
        this.send({
          type: "features_reply",
          xid: m.xid,
          datapath_id: this.opts.dpid,
          n_buffers: 0,
          n_tables: 254,
          capabilities: 0,
          ...(v === 1 ? { actions: 0xfff, ports: this.opts.ports ?? [] } : { auxiliary_id: 0, reserved: 0 }),
        } as OfpMessage);
        return;
      case "multipart_request":
        if (m.body.kind === "port_desc") this.send({ type: "multipart_reply", xid: m.xid, flags: 0, body: { kind: "port_desc", ports: this.opts.ports ?? [] } });
        else if (m.body.kind === "flow") this.send({ type: "multipart_reply", xid: m.xid, flags: 0, body: { kind: "flow", flows: this.opts.flows ?? [] } });
        return;
      case "barrier_request":
        this.send({ type: "barrier_reply", xid: m.xid });
        return;
      case "echo_request":
        if (this.opts.answerEcho !== false) this.send({ type: "echo_reply", xid: m.xid, data: m.data });
        return;
      default:
        return;
    }
  }
}
