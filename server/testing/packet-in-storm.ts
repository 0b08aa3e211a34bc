// Test double: a packet-in storm. A scripted OpenFlow switch (not OVS) connects to a controller's
// socket and sends PACKET_INs, each from a source MAC never seen before, at a paced rate and for a
// bounded count. Nothing leaves the process but OpenFlow messages on that one socket.
import { encodeMessage } from "../../controller/openflow";
import { ethFrame } from "../../controller/testing/frames";
import { port, ScriptedSwitch } from "../../controller/testing/scripted-switch";

export interface StormOptions {
  /** Datapath id the scripted switch announces (must not be a real switch's). */
  dpid: string;
  /** Packet-ins per second to aim for. */
  ratePerSecond: number;
  /** Hard bound on how many are sent. */
  count: number;
  /** Pacing slice (ms): every slice sends its share in one write. */
  sliceMs?: number;
}

export interface StormResult {
  sent: number;
  /** From the first to the last write. */
  sendMs: number;
  /** From the first write to the echo reply that follows the last packet-in. */
  drainedMs: number;
}

/** The n-th storm MAC: locally administered, 02:5e:xx:xx:xx:xx. */
export function stormMac(n: number): string {
  const b = [0x02, 0x5e, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

export class PacketInStorm {
  private stopped = false;

  private constructor(
    readonly sw: ScriptedSwitch,
    private readonly opts: StormOptions,
  ) {}

  /** Connects the scripted switch (OpenFlow 1.3, two ports) to the controller at `target`. */
  static async connect(target: { path: string } | { port: number }, opts: StormOptions): Promise<PacketInStorm> {
    const sw = await ScriptedSwitch.connect(target, { dpid: opts.dpid, version: 4, bitmapVersions: [4], ports: [port(1, "storm1"), port(2, "storm2")] });
    return new PacketInStorm(sw, opts);
  }

  /**
   * Sends up to `count` packet-ins paced at `ratePerSecond`, then an ECHO_REQUEST, and resolves when
   * its reply comes back: the controller handles one connection's messages in order, so by then it
   * has handled every packet-in. `stop()` ends the sending early (the echo still follows).
   */
  async run(): Promise<StormResult> {
    const sliceMs = this.opts.sliceMs ?? 10;
    const perSlice = Math.max(1, Math.round((this.opts.ratePerSecond * sliceMs) / 1000));
    const dst = "ff:ff:ff:ff:ff:ff";
    const t0 = performance.now();
    let sent = 0;
    let slice = 0;
    while (sent < this.opts.count && !this.stopped && !this.sw.closed) {
      const n = Math.min(perSlice, this.opts.count - sent);
      const frames: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const data = ethFrame(dst, stormMac(sent + i), 0x0800);
        frames.push(encodeMessage(4, { type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: data.length, reason: 0, table_id: 0, cookie: 0n, match: { in_port: 1 + ((sent + i) % 2) }, data }));
      }
      this.sw.sendRaw(Buffer.concat(frames));
      sent += n;
      slice++;
      // Absolute deadlines: a late slice is followed at once by the next, not by a full pause.
      const wait = t0 + slice * sliceMs - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    }
    const sendMs = performance.now() - t0;
    const xid = 0x5707_0001;
    this.sw.send({ type: "echo_request", xid, data: Buffer.alloc(0) });
    await this.sw.waitFor((m) => m.type === "echo_reply" && m.xid === xid, 300_000);
    return { sent, sendMs, drainedMs: performance.now() - t0 };
  }

  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.stopped = true;
    this.sw.close();
  }
}
