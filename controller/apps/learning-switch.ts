// The learning switch of the paper's controller, as plain logic: a PACKET_IN goes in, the
// messages to send come out. Per switch an FDB (MAC → port) with aging; unknown or group
// destinations are flooded; once the destination is known a flow (in_port, eth_src, eth_dst)
// is installed with an idle timeout and SEND_FLOW_REM so the traffic monitor gets its counters.
import { OFPP_FLOOD, OFP_NO_BUFFER, type FlowModMsg, type OfpMessage, type PacketOutMsg } from "../openflow";
import { isMulticast, isReservedMac, parseEthernet, type EthSummary } from "../packet";

export const OFPFF_SEND_FLOW_REM = 1;

export interface LearningSwitchConfig {
  /** FDB entries unused for this long are forgotten. */
  agingMs: number;
  /** idle_timeout of installed flows, seconds. */
  flowIdleTimeout: number;
  flowPriority: number;
  /** Cookie that marks flows as this controller's (removed on reconnect, filtered in views). */
  cookie: bigint;
  /**
   * After a relocation is confirmed, how long frames from the moved MAC arriving on another port
   * are taken for stragglers of its old location rather than a move (default 2000 ms).
   */
  relocationHoldMs?: number;
}

export const DEFAULT_LEARNING_SWITCH: LearningSwitchConfig = {
  agingMs: 300_000,
  flowIdleTimeout: 60,
  flowPriority: 100,
  cookie: 0xfe77_0000_0000_0001n,
};

interface FdbEntry {
  port: number;
  lastSeen: number;
}

export class Fdb {
  private readonly byMac = new Map<string, FdbEntry>();
  constructor(private readonly agingMs: number) {}

  lookup(mac: string, now: number): number | undefined {
    const e = this.byMac.get(mac);
    if (!e) return undefined;
    if (now - e.lastSeen > this.agingMs) {
      this.byMac.delete(mac);
      return undefined;
    }
    return e.port;
  }

  /** Records mac on port; returns the previous port if the MAC moved. */
  learn(mac: string, port: number, now: number): number | undefined {
    const prev = this.lookup(mac, now);
    this.byMac.set(mac, { port, lastSeen: now });
    return prev !== undefined && prev !== port ? prev : undefined;
  }

  /** Places mac on port as if just seen there, without reporting a move (the caller handles the flows). */
  relocate(mac: string, port: number, now: number): void {
    this.byMac.set(mac, { port, lastSeen: now });
  }

  forget(mac: string): boolean {
    return this.byMac.delete(mac);
  }

  /** Drops aged entries; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [mac, e] of this.byMac) {
      if (now - e.lastSeen > this.agingMs) {
        this.byMac.delete(mac);
        n++;
      }
    }
    return n;
  }

  entries(now: number): { mac: string; port: number; ageMs: number }[] {
    this.expire(now);
    return [...this.byMac].map(([mac, e]) => ({ mac, port: e.port, ageMs: now - e.lastSeen }));
  }

  get size(): number {
    return this.byMac.size;
  }
}

export interface PacketInEvent {
  dpid: string;
  in_port: number;
  buffer_id: number;
  data: Buffer;
  now: number;
  /** The frame's headers if the caller already parsed them (saves a second parse per packet). */
  eth?: EthSummary | null;
  /**
   * Split horizon: where to flood a frame that arrived on a tunnel — the switch's local ports.
   * A full mesh of tunnels reaches every host in one hop, so a frame from a tunnel must never be
   * flooded into another tunnel (that is what makes a mesh of more than two hosts loop).
   * Undefined: the frame came from a local port and is flooded everywhere (OFPP_FLOOD).
   */
  floodPorts?: readonly number[];
}

/** A relocated MAC's port, held against stale frames until `until` (ms; Infinity while unconfirmed). */
interface Hold {
  port: number;
  until: number;
}

export const DEFAULT_RELOCATION_HOLD_MS = 2_000;

export class LearningSwitch {
  private readonly fdbs = new Map<string, Fdb>();
  private readonly holds = new Map<string, Map<string, Hold>>();
  constructor(readonly config: LearningSwitchConfig = DEFAULT_LEARNING_SWITCH) {}

  fdb(dpid: string): Fdb {
    let f = this.fdbs.get(dpid);
    if (!f) {
      f = new Fdb(this.config.agingMs);
      this.fdbs.set(dpid, f);
    }
    return f;
  }

  /**
   * A MAC moved by the controller's own decision (a migration): later PACKET_INs for it are
   * forwarded to `port` straight away, and a frame from it on `port` is not taken for a move.
   */
  relocate(dpid: string, mac: string, port: number, now: number): void {
    this.fdb(dpid).relocate(mac, port, now);
  }

  /**
   * Like relocate, and holds the MAC on `port`: frames from it on another port do not move it back
   * until confirmHold() plus the hold time. Frames the MAC sent from its old location before it
   * paused can still reach the controller after the relocation (PACKET_INs queued on the
   * connection, frames in a tunnel); taken for a move they would delete the relocation's flow and
   * send the VM's traffic to where it no longer is, until it happens to speak first.
   */
  relocateAndHold(dpid: string, mac: string, port: number, now: number): void {
    this.relocate(dpid, mac, port, now);
    let byMac = this.holds.get(dpid);
    if (!byMac) this.holds.set(dpid, (byMac = new Map()));
    for (const [m, h] of byMac) if (h.until <= now) byMac.delete(m);
    byMac.set(mac, { port, until: Infinity });
  }

  /**
   * The relocation's flows are in place on the switch (its barrier came back): PACKET_INs read
   * from now on were sent after them, so the hold only has to outlast frames still in flight.
   */
  confirmHold(dpid: string, mac: string, port: number, now: number): void {
    const h = this.holds.get(dpid)?.get(mac);
    if (h && h.port === port) h.until = now + (this.config.relocationHoldMs ?? DEFAULT_RELOCATION_HOLD_MS);
  }

  /** Whether a frame from mac on in_port is a straggler from before a relocation (not a move). */
  private heldElsewhere(dpid: string, mac: string, inPort: number, now: number): boolean {
    const byMac = this.holds.get(dpid);
    const h = byMac?.get(mac);
    if (!h) return false;
    if (h.until <= now) {
      byMac!.delete(mac);
      return false;
    }
    return h.port !== inPort;
  }

  /** The switch went away: its FDB means nothing any more. */
  dropSwitch(dpid: string): void {
    this.fdbs.delete(dpid);
    this.holds.delete(dpid);
  }

  onPacketIn(ev: PacketInEvent): OfpMessage[] {
    const eth = ev.eth === undefined ? parseEthernet(ev.data) : ev.eth;
    if (!eth || isReservedMac(eth.eth_dst) || isMulticast(eth.eth_src)) return [];
    const fdb = this.fdb(ev.dpid);
    const out: OfpMessage[] = [];

    // A straggler is still delivered (it is a real frame) but teaches nothing and gets no flow.
    const straggler = this.heldElsewhere(ev.dpid, eth.eth_src, ev.in_port, ev.now);
    const movedFrom = straggler ? undefined : fdb.learn(eth.eth_src, ev.in_port, ev.now);
    if (movedFrom !== undefined) out.push(...this.forgetFlowsFor(eth.eth_src));

    const dstPort = isMulticast(eth.eth_dst) ? undefined : fdb.lookup(eth.eth_dst, ev.now);
    if (dstPort === undefined) {
      if (ev.floodPorts === undefined) out.push(packetOut(ev, [OFPP_FLOOD]));
      else if (ev.floodPorts.length > 0) out.push(packetOut(ev, ev.floodPorts));
      return out;
    }
    if (dstPort === ev.in_port) return out; // the destination sits behind the ingress port: nothing to do
    if (straggler) {
      out.push(packetOut(ev, [dstPort]));
      return out;
    }
    out.push(this.flowFor(ev.in_port, eth.eth_src, eth.eth_dst, dstPort), packetOut(ev, [dstPort]));
    return out;
  }

  /** FLOW_MODs that remove this controller's flows to or from mac (a moved MAC's stale paths). */
  forgetFlowsFor(mac: string): FlowModMsg[] {
    return [{ eth_dst: mac }, { eth_src: mac }].map((match) => ({
      type: "flow_mod",
      xid: 0,
      command: "delete",
      cookie: this.config.cookie,
      cookie_mask: 0xffff_ffff_ffff_ffffn,
      table_id: 0,
      idle_timeout: 0,
      hard_timeout: 0,
      priority: 0,
      buffer_id: OFP_NO_BUFFER,
      out_port: 0xffffffff,
      out_group: 0xffffffff,
      flags: 0,
      match,
      actions: [],
    }));
  }

  /** The flow this switch installs once both ends are known (also used to pre-install a moved VM's return paths). */
  flowFor(inPort: number, src: string, dst: string, outPort: number): FlowModMsg {
    return {
      type: "flow_mod",
      xid: 0,
      command: "add",
      cookie: this.config.cookie,
      table_id: 0,
      idle_timeout: this.config.flowIdleTimeout,
      hard_timeout: 0,
      priority: this.config.flowPriority,
      buffer_id: OFP_NO_BUFFER,
      out_port: 0xffffffff,
      out_group: 0xffffffff,
      flags: OFPFF_SEND_FLOW_REM,
      match: { in_port: inPort, eth_src: src, eth_dst: dst },
      actions: [{ type: "output", port: outPort }],
    };
  }
}

/** OVS does not buffer packets for the controller, so the frame always travels back with the PACKET_OUT. */
function packetOut(ev: PacketInEvent, ports: readonly number[]): PacketOutMsg {
  const buffered = ev.buffer_id !== OFP_NO_BUFFER;
  return {
    type: "packet_out",
    xid: 0,
    buffer_id: ev.buffer_id,
    in_port: ev.in_port,
    actions: ports.map((port) => ({ type: "output" as const, port })),
    data: buffered ? Buffer.alloc(0) : ev.data,
  };
}
