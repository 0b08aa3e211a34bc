// MAC relocation, for the commitment phase of a live migration: the network must follow the VM
// at once instead of waiting for the learning switch to notice it. Per switch: drop the stale
// learned paths, point the FDB at the new port, install a proactive eth_dst flow, and confirm
// with a barrier; then announce the VM from its new port (RARP, gratuitous ARP) so switches and
// hosts outside our control relearn it too. This module builds the messages; the controller
// sends them (OpenFlowController.relocate).
import { OpenFlowError, type Datapath } from "../datapath";
import { OFPP_FLOOD, OFPP_MAX, OFP_NO_BUFFER, type ErrorMsg, type FlowModMsg, type OfpMessage, type PacketOutMsg } from "../openflow";
import { formatMac, parseIpv4, parseMac } from "../openflow/buf";
import { gratuitousArp, isMulticast, rarpAnnounce } from "../packet";
import { OFPFF_SEND_FLOW_REM, type LearningSwitch } from "./learning-switch";

export interface RelocationRoute {
  dpid: string;
  /** On switch `dpid`, the VM's MAC is now reached via this port. */
  port: number;
}

export interface RelocationRequest {
  /** The VM's MAC. */
  mac: string;
  /** The VM's IPv4, for a gratuitous ARP. */
  ip?: string;
  /** One per switch that should learn the new location: the VM's local port on the destination, the tunnel toward it elsewhere. */
  routes: RelocationRoute[];
  /** Where the VM now is (destination switch and VM port): the announcement frames are sent from there. */
  announce?: RelocationRoute;
  /** idle_timeout of the proactive flows, seconds (default 300). */
  idleTimeout?: number;
  /**
   * On the destination switch (announce.dpid), the tunnel port toward each other switch. With it,
   * the VM's own traffic to the peers it was talking with is pre-installed too, so its first
   * answers after it resumes do not wait for PACKET_IN round trips on two switches.
   */
  tunnelsFromDestination?: RelocationRoute[];
}

/** A MAC the moved VM talks with, and where it sits: a local (non-tunnel) port of switch dpid. */
export interface PeerLocation {
  mac: string;
  dpid: string;
  port: number;
}

export interface RelocationReport {
  switches: { dpid: string; deletedFlows: number; installed: boolean; error?: string }[];
  announced: boolean;
  elapsedMs: number;
}

/** Below the learned (in_port, eth_src, eth_dst) flows, above the table-miss flow. */
export const RELOCATION_PRIORITY = 90;
export const DEFAULT_RELOCATION_IDLE_TIMEOUT = 300;

/** The proactive flow must lose to learned flows, whatever priority those were configured with. */
export function relocationPriority(learnedPriority: number): number {
  return Math.max(1, Math.min(RELOCATION_PRIORITY, learnedPriority - 1));
}

export interface NormalisedRelocation {
  mac: string;
  ip: string | undefined;
  routes: RelocationRoute[];
  announce: RelocationRoute | undefined;
  tunnelsFromDestination: RelocationRoute[];
  idleTimeout: number;
}

/** Checks a request and canonicalises the MAC (lower case, as the FDB and the flow mirror spell it); throws on bad input. */
export function normaliseRelocation(req: RelocationRequest): NormalisedRelocation {
  const mac = formatMac(parseMac(req.mac));
  if (isMulticast(mac)) throw new Error(`cannot relocate group address ${mac}`);
  if (req.ip !== undefined) parseIpv4(req.ip);
  if (!Array.isArray(req.routes)) throw new Error("relocation routes must be an array");
  const seen = new Set<string>();
  for (const r of req.routes) {
    checkRoute(r, "route");
    if (seen.has(r.dpid)) throw new Error(`relocation names switch ${r.dpid} twice`);
    seen.add(r.dpid);
  }
  if (req.announce !== undefined) checkRoute(req.announce, "announce");
  if (req.tunnelsFromDestination !== undefined) {
    if (!Array.isArray(req.tunnelsFromDestination)) throw new Error("relocation tunnels must be an array");
    for (const t of req.tunnelsFromDestination) checkRoute(t, "tunnel");
  }
  const idleTimeout = req.idleTimeout ?? DEFAULT_RELOCATION_IDLE_TIMEOUT;
  if (!Number.isInteger(idleTimeout) || idleTimeout < 0 || idleTimeout > 0xffff) throw new Error(`bad idle timeout ${idleTimeout}`);
  return {
    mac,
    ip: req.ip,
    routes: req.routes.map((r) => ({ dpid: r.dpid, port: r.port })),
    announce: req.announce && { dpid: req.announce.dpid, port: req.announce.port },
    tunnelsFromDestination: (req.tunnelsFromDestination ?? []).map((t) => ({ dpid: t.dpid, port: t.port })),
    idleTimeout,
  };
}

function checkRoute(r: RelocationRoute, what: string): void {
  if (!r || typeof r.dpid !== "string" || r.dpid === "") throw new Error(`relocation ${what} without a dpid`);
  // Physical ports only: a reserved port (FLOOD, CONTROLLER…) is not a location.
  if (!Number.isInteger(r.port) || r.port < 1 || r.port > OFPP_MAX) throw new Error(`relocation ${what} for ${r.dpid}: bad port ${r.port}`);
}

/**
 * For one switch: delete our flows to and from mac (the learned stale paths and any earlier
 * relocation flow), then the proactive eth_dst = mac → port flow. Deletes first, so no learned
 * priority-100 flow toward the old port can shadow the new one.
 */
export function relocationFlowMods(learning: LearningSwitch, mac: string, port: number, idleTimeout: number): FlowModMsg[] {
  const { cookie, flowPriority } = learning.config;
  return [
    ...learning.forgetFlowsFor(mac),
    {
      type: "flow_mod",
      xid: 0,
      command: "add",
      cookie,
      table_id: 0,
      idle_timeout: idleTimeout,
      hard_timeout: 0,
      priority: relocationPriority(flowPriority),
      buffer_id: OFP_NO_BUFFER,
      out_port: 0xffffffff,
      out_group: 0xffffffff,
      flags: OFPFF_SEND_FLOW_REM,
      match: { eth_dst: mac },
      actions: [{ type: "output", port }],
    },
  ];
}

/**
 * The VM's return paths after a move, as the learning switch would install them once traffic
 * flowed: for each peer at a local port of switch Y, on the destination switch
 * (in_port = VM port, eth_src = VM, eth_dst = peer) → the peer's port there or the tunnel toward
 * Y, and on Y (in_port = its tunnel from the destination) → the peer's port. Returns the flows
 * per switch and the FDB entries the destination should hold for the peers. A peer on a switch
 * with no known tunnel either way is left to learning.
 */
export function returnPathFlowMods(
  learning: LearningSwitch,
  vmMac: string,
  destination: RelocationRoute,
  routes: readonly RelocationRoute[],
  tunnelsFromDestination: readonly RelocationRoute[],
  peers: readonly PeerLocation[],
): { flows: Map<string, FlowModMsg[]>; destinationFdb: { mac: string; port: number }[] } {
  const towardVm = new Map(routes.map((r) => [r.dpid, r.port]));
  const tunnelTo = new Map(tunnelsFromDestination.map((t) => [t.dpid, t.port]));
  const flows = new Map<string, FlowModMsg[]>();
  const destinationFdb: { mac: string; port: number }[] = [];
  const add = (dpid: string, fm: FlowModMsg) => {
    const list = flows.get(dpid);
    if (list) list.push(fm);
    else flows.set(dpid, [fm]);
  };
  for (const p of peers) {
    if (p.mac === vmMac || isMulticast(p.mac)) continue;
    if (p.dpid === destination.dpid) {
      if (p.port !== destination.port) add(p.dpid, learning.flowFor(destination.port, vmMac, p.mac, p.port));
      continue;
    }
    const out = tunnelTo.get(p.dpid);
    const inY = towardVm.get(p.dpid);
    if (out === undefined || inY === undefined) continue;
    add(destination.dpid, learning.flowFor(destination.port, vmMac, p.mac, out));
    destinationFdb.push({ mac: p.mac, port: out });
    if (inY !== p.port) add(p.dpid, learning.flowFor(inY, vmMac, p.mac, p.port));
  }
  return { flows, destinationFdb };
}

/** PACKET_OUTs that make the frames look sent by the VM on `port`; FLOOD skips the in_port itself. */
export function announcementPacketOuts(mac: string, ip: string | undefined, port: number): PacketOutMsg[] {
  const frames = [rarpAnnounce(mac), ...(ip === undefined ? [] : [gratuitousArp(mac, ip)])];
  return frames.map((data) => ({ type: "packet_out", xid: 0, buffer_id: OFP_NO_BUFFER, in_port: port, actions: [{ type: "output", port: OFPP_FLOOD }], data }));
}

/**
 * Sends msgs, then a barrier; resolves once the switch has processed them all, rejects if it
 * refused any of them (a switch answers a failed FLOW_MOD or PACKET_OUT with an ERROR, and sends
 * that ERROR before the barrier reply) or if the barrier times out.
 */
export async function sendConfirmed(dp: Datapath, msgs: readonly OfpMessage[]): Promise<void> {
  const sent = new Map<number, OfpMessage>();
  let refused: { err: ErrorMsg; msg: OfpMessage } | undefined;
  const onError = (err: ErrorMsg) => {
    const msg = sent.get(err.xid);
    if (msg && !refused) refused = { err, msg };
  };
  dp.on("switchError", onError);
  try {
    for (const m of msgs) sent.set(dp.send(m), m);
    await dp.barrier();
  } finally {
    dp.off("switchError", onError);
  }
  if (refused) {
    const what = refused.msg.type === "flow_mod" ? `flow_mod ${refused.msg.command}` : refused.msg.type;
    throw new OpenFlowError(refused.err.error_type, refused.err.code, refused.err.data, what);
  }
}
