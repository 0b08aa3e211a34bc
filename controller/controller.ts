// The embedded OpenFlow controller: listens on TCP (optionally TLS) and UNIX sockets, runs one
// Datapath per switch, feeds PACKET_INs to the learning switch and FLOW_REMOVEDs / flow stats to
// the traffic monitor, and publishes everything on one event hub. It remembers a switch's flows
// for a while after it disconnects, so a switch that comes back empty (ovs-vswitchd restarted)
// gets them again, and one that kept them (secure mode, controller restarted) keeps them.
import fs from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { Datapath, type DatapathOptions, type ReconcileResult, type ReconcileView } from "./datapath";
import type { FlowEntry } from "./flow-table";
import { reconcile } from "./apps/reconcile";
import { EventHub } from "./events";
import { DEFAULT_LEARNING_SWITCH, LearningSwitch, type LearningSwitchConfig } from "./apps/learning-switch";
import { TrafficMonitor } from "./apps/traffic-monitor";
import {
  announcementPacketOuts,
  normaliseRelocation,
  relocationFlowMods,
  returnPathFlowMods,
  sendConfirmed,
  type PeerLocation,
  type RelocationReport,
  type RelocationRequest,
} from "./apps/relocation";
import { parseEthernet } from "./packet";
import { formatMatch, formatActions, formatInstructions } from "./openflow/ofctl";
import { OFPP_MAX, type FlowModMsg, type PortDesc } from "./openflow";

export type { RelocationReport, RelocationRequest, RelocationRoute } from "./apps/relocation";

export const TUNNEL_PORT_NAME = /^(gre|vxlan|geneve|stt)[-_]/i;

export type ListenSpec =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "tls"; host: string; port: number; key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean }
  | { kind: "unix"; path: string };

export interface OpenFlowControllerOptions {
  listen: ListenSpec[];
  datapath?: Partial<Omit<DatapathOptions, "cookie" | "reconcile">>;
  /** How long a disconnected switch's flows are remembered for re-sync (default 120 s). */
  resyncWindowMs?: number;
  /** At most this many disconnected switches are remembered (the oldest are forgotten first). */
  maxRememberedSwitches?: number;
  learningSwitch?: Partial<LearningSwitchConfig>;
  /** Recent events kept in memory. */
  eventCapacity?: number;
  /** Which switch ports are tunnels (split-horizon flooding); default: names like gre-…, vxlan-…, geneve-…. */
  isTunnelPort?: (port: PortDesc) => boolean;
  log?: (line: string) => void;
}

export class OpenFlowController {
  readonly events: EventHub;
  readonly learning: LearningSwitch;
  /** Whether a port is a tunnel (split horizon, peers' locations); decided once, asked per PACKET_IN. */
  private readonly isTunnel: (port: PortDesc) => boolean;
  readonly monitor: TrafficMonitor;
  /** Switches that finished the handshake, by datapath id. */
  readonly switches = new Map<string, Datapath>();
  /** Every open connection, including those still in the handshake. */
  private readonly connections = new Set<Datapath>();
  private readonly servers: { spec: ListenSpec; server: net.Server }[] = [];
  private readonly log: (line: string) => void;
  /** Flows of switches that disconnected recently, by dpid, oldest first (Map order). */
  private readonly remembered = new Map<string, { flows: FlowEntry[]; until: number }>();

  constructor(private readonly opts: OpenFlowControllerOptions) {
    this.events = new EventHub(opts.eventCapacity ?? 10_000);
    this.learning = new LearningSwitch({ ...DEFAULT_LEARNING_SWITCH, ...opts.learningSwitch });
    this.isTunnel = opts.isTunnelPort ?? ((p) => TUNNEL_PORT_NAME.test(p.name));
    this.monitor = new TrafficMonitor(this.learning.config.cookie);
    this.log = opts.log ?? (() => {});
  }

  async start(): Promise<void> {
    for (const spec of this.opts.listen) {
      const server = this.createServer(spec);
      if (spec.kind === "unix") removeStaleSocket(spec.path);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        const done = () => {
          server.off("error", reject);
          resolve();
        };
        if (spec.kind === "unix") server.listen(spec.path, done);
        else server.listen(spec.port, spec.host, done);
      });
      server.on("error", (err) => this.events.emit({ type: "error", at: Date.now(), dpid: null, message: `listener: ${err.message}` }));
      this.servers.push({ spec, server });
      this.log(`OpenFlow controller listening on ${describe(spec, server)}`);
    }
  }

  /** Where the controller listens, as OVS `set-controller` targets (tcp:…, ssl:…, unix:…). */
  targets(): string[] {
    return this.servers.map(({ spec, server }) => {
      if (spec.kind === "unix") return `unix:${spec.path}`;
      const port = (server.address() as net.AddressInfo).port;
      return `${spec.kind === "tls" ? "ssl" : "tcp"}:${spec.host}:${port}`;
    });
  }

  async stop(): Promise<void> {
    for (const dp of this.connections) dp.close("controller stopping");
    await Promise.all(
      this.servers.map(({ spec, server }) =>
        new Promise<void>((resolve) => server.close(() => resolve())).then(() => {
          if (spec.kind === "unix") removeStaleSocket(spec.path);
        }),
      ),
    );
    this.servers.length = 0;
  }

  switch(dpid: string): Datapath | undefined {
    return this.switches.get(dpid);
  }

  /**
   * Makes the network follow a moved MAC now (a migration's commitment): on every connected switch
   * in `routes`, in parallel, deletes our flows to and from the MAC, moves its FDB entry, installs
   * eth_dst = mac → port (priority 90) and waits for a barrier; then, if asked, sends a RARP and a
   * gratuitous ARP from the VM's new port. A switch that is disconnected, refuses or times out is
   * reported and does not hold up the others. Rejects only on a malformed request.
   */
  async relocate(req: RelocationRequest): Promise<RelocationReport> {
    const t0 = performance.now();
    const r = normaliseRelocation(req);
    const { cookie } = this.learning.config;
    // The VM's return paths, worked out from what the switches know before its flows are deleted.
    const back = r.announce ? returnPathFlowMods(this.learning, r.mac, r.announce, r.routes, r.tunnelsFromDestination, this.peersOf(r.mac)) : null;
    const switches = await Promise.all(
      r.routes.map(async ({ dpid, port }): Promise<RelocationReport["switches"][number]> => {
        const dp = this.switches.get(dpid);
        if (!dp?.isReady) return { dpid, deletedFlows: 0, installed: false, error: "not connected" };
        // What the deletes will remove, as the mirror knows it (it follows every FLOW_REMOVED).
        const deletedFlows = dp.flows
          .entries()
          .filter((f) => f.table_id === 0 && f.cookie === cookie && (f.match.eth_dst === r.mac || f.match.eth_src === r.mac)).length;
        // Before the flows, and in the same tick: a PACKET_IN handled from now on already sees the
        // new port, and one the MAC sent from its old place does not move it back.
        this.learning.relocateAndHold(dpid, r.mac, port, Date.now());
        if (dpid === r.announce?.dpid) for (const e of back?.destinationFdb ?? []) this.learning.relocate(dpid, e.mac, e.port, Date.now());
        try {
          // The deletes come first in the batch, so the return paths added after them stay.
          await sendConfirmed(dp, [...relocationFlowMods(this.learning, r.mac, port, r.idleTimeout), ...(back?.flows.get(dpid) ?? [])]);
          return { dpid, deletedFlows, installed: true };
        } catch (err) {
          return { dpid, deletedFlows, installed: false, error: errorText(err) };
        } finally {
          this.learning.confirmHold(dpid, r.mac, port, Date.now());
        }
      }),
    );

    // After the routes: a switch the announcement reaches must already know where the MAC is.
    let announced = false;
    if (r.announce) {
      const { dpid, port } = r.announce;
      const dp = this.switches.get(dpid);
      try {
        if (!dp?.isReady) throw new Error("not connected");
        await sendConfirmed(dp, announcementPacketOuts(r.mac, r.ip, port));
        announced = true;
      } catch (err) {
        this.events.emit({ type: "error", at: Date.now(), dpid, message: `could not announce ${r.mac} on port ${port}: ${errorText(err)}` });
      }
    }

    const elapsedMs = Math.round((performance.now() - t0) * 100) / 100;
    const applied = switches.filter((s) => s.installed).length;
    this.events.emit({ type: "relocation", at: Date.now(), dpid: null, mac: r.mac, switches: applied, elapsedMs });
    this.log(`relocated ${r.mac} on ${applied}/${switches.length} switch(es) in ${elapsedMs} ms${announced ? ", announced" : ""}`);
    return { switches, announced, elapsedMs };
  }

  /**
   * The reconciliation of a switch that just connected: what the controller knows of it is the
   * live connection it replaces, or the flows it had when it last disconnected (if recent).
   * The FDB is pointed at the ports the kept and re-installed flows use, so that later
   * PACKET_INs agree with them.
   */
  private reconcile(view: ReconcileView): ReconcileResult {
    const now = Date.now();
    const live = this.switches.get(view.dpid);
    const past = this.remembered.get(view.dpid);
    const remembered = live ? live.flows.entries() : past && past.until > now ? past.flows : undefined;
    const plan = reconcile({
      cookie: this.learning.config.cookie,
      learnedPriority: this.learning.config.flowPriority,
      version: view.version,
      ports: new Set(view.ports.keys()),
      switchFlows: view.flows,
      remembered,
    });
    for (const { mac, port } of plan.locations) this.learning.relocate(view.dpid, mac, port, now);
    return plan;
  }

  private remember(dp: Datapath): void {
    const now = Date.now();
    const cookie = this.learning.config.cookie;
    const flows = dp.flows.entries().filter((f) => f.cookie === cookie);
    for (const [dpid, r] of this.remembered) if (r.until <= now) this.remembered.delete(dpid);
    this.remembered.delete(dp.dpid);
    if (flows.length === 0) return;
    this.remembered.set(dp.dpid, { flows, until: now + (this.opts.resyncWindowMs ?? 120_000) });
    const max = this.opts.maxRememberedSwitches ?? 1024;
    for (const dpid of this.remembered.keys()) {
      if (this.remembered.size <= max) break;
      this.remembered.delete(dpid);
    }
  }

  /**
   * The MACs `mac` has live flows with (its conversations, from the flow mirrors), each where some
   * switch's FDB places it on a local, non-tunnel port. At most 64.
   */
  private peersOf(mac: string): PeerLocation[] {
    const cookie = this.learning.config.cookie;
    const talked = new Set<string>();
    for (const dp of this.switches.values()) {
      for (const f of dp.flows.entries()) {
        if (f.cookie !== cookie) continue;
        if (f.match.eth_src === mac && f.match.eth_dst) talked.add(f.match.eth_dst);
        else if (f.match.eth_dst === mac && f.match.eth_src) talked.add(f.match.eth_src);
      }
    }
    talked.delete(mac);
    const now = Date.now();
    const out: PeerLocation[] = [];
    for (const peer of talked) {
      for (const dp of this.switches.values()) {
        const port = this.learning.fdb(dp.dpid).lookup(peer, now);
        const desc = port === undefined ? undefined : dp.ports.get(port);
        if (port !== undefined && desc && !this.isTunnel(desc)) {
          out.push({ mac: peer, dpid: dp.dpid, port });
          break;
        }
      }
      if (out.length >= 64) break;
    }
    return out;
  }

  /** Local (non-tunnel) ports to flood to when a frame came in on a tunnel; undefined otherwise. */
  private floodPortsFrom(dp: Datapath, inPort: number): number[] | undefined {
    const ingress = dp.ports.get(inPort);
    if (!ingress || !this.isTunnel(ingress)) return undefined;
    const out: number[] = [];
    for (const p of dp.ports.values()) if (p.port_no !== inPort && p.port_no <= OFPP_MAX && !this.isTunnel(p)) out.push(p.port_no);
    return out;
  }

  private createServer(spec: ListenSpec): net.Server {
    const onSocket = (socket: net.Socket) => this.accept(socket, remoteOf(spec, socket));
    if (spec.kind === "tls") {
      return tls.createServer({ key: spec.key, cert: spec.cert, ca: spec.ca, requestCert: spec.requestCert ?? false }, onSocket);
    }
    return net.createServer(onSocket);
  }

  private accept(socket: net.Socket, remote: string): void {
    const dp = new Datapath(socket, remote, {
      ...this.opts.datapath,
      cookie: this.learning.config.cookie,
      reconcile: (view) => this.reconcile(view),
    });
    this.connections.add(dp);

    dp.on("ready", () => {
      const previous = this.switches.get(dp.dpid);
      if (previous && previous !== dp) previous.close("replaced by a new connection from the same switch");
      this.switches.set(dp.dpid, dp);
      this.remembered.delete(dp.dpid);
      const r = dp.reconciliation ?? undefined;
      this.events.emit({ type: "switch_connected", at: Date.now(), dpid: dp.dpid, version: dp.version, remote, ports: [...dp.ports.values()], reconciliation: r });
      const summary = r ? `; flows: ${r.adopted} kept, ${r.removed} stale removed, ${r.reinstalled} re-installed in ${r.elapsedMs} ms` : "";
      this.log(`switch ${dp.dpid} connected (OpenFlow ${dp.version === 1 ? "1.0" : "1.3"}, ${remote})${summary}`);
    });

    dp.on("message", (msg) => {
      const at = Date.now();
      switch (msg.type) {
        case "packet_in": {
          if (!dp.isReady) return;
          const inPort = msg.in_port ?? msg.match?.in_port ?? 0;
          const eth = parseEthernet(msg.data);
          this.events.emit({
            type: "packet_in",
            at,
            dpid: dp.dpid,
            in_port: inPort,
            reason: msg.reason,
            eth_src: eth?.eth_src ?? "",
            eth_dst: eth?.eth_dst ?? "",
            eth_type: eth?.eth_type ?? 0,
            length: msg.total_len,
          });
          const out = this.learning.onPacketIn({
            dpid: dp.dpid,
            in_port: inPort,
            buffer_id: msg.buffer_id,
            data: msg.data,
            now: at,
            eth,
            floodPorts: this.floodPortsFrom(dp, inPort),
          });
          try {
            dp.sendAll(out);
          } catch (err) {
            this.events.emit({ type: "error", at, dpid: dp.dpid, message: `could not answer a packet-in: ${errorText(err)}` });
          }
          return;
        }
        case "flow_removed":
          this.monitor.onFlowRemoved(dp.dpid, msg);
          this.events.emit({
            type: "flow_removed",
            at,
            dpid: dp.dpid,
            reason: msg.reason,
            priority: msg.priority,
            cookie: msg.cookie,
            packets: msg.packet_count,
            bytes: msg.byte_count,
            summary: formatMatch(msg.match, msg.priority, dp.version),
          });
          return;
        case "port_status":
          this.events.emit({ type: "port_status", at, dpid: dp.dpid, reason: (["add", "delete", "modify"] as const)[msg.reason] ?? "modify", port: msg.desc });
          return;
        default:
          return;
      }
    });

    dp.on("flowModSent", (fm) => {
      if (!dp.isReady) return;
      this.events.emit(new FlowModEvent(Date.now(), dp.dpid, fm, dp.version));
    });
    dp.on("flowTable", (changes) => this.events.emit({ type: "flow_table", at: Date.now(), dpid: dp.dpid, changes }));
    dp.on("flowStats", (flows) => this.monitor.onFlowStats(dp.dpid, flows));
    dp.on("switchError", (err) =>
      this.events.emit({ type: "error", at: Date.now(), dpid: dp.dpid, message: `switch reported error type ${err.error_type} code ${err.code}` }),
    );
    dp.on("close", (reason) => {
      this.connections.delete(dp);
      if (dp.dpid && this.switches.get(dp.dpid) === dp) {
        this.switches.delete(dp.dpid);
        this.remember(dp);
        this.learning.dropSwitch(dp.dpid);
        this.monitor.dropSwitch(dp.dpid);
        this.events.emit({ type: "switch_disconnected", at: Date.now(), dpid: dp.dpid, reason });
        this.log(`switch ${dp.dpid} disconnected: ${reason}`);
      } else if (!dp.isReady) {
        this.events.emit({ type: "error", at: Date.now(), dpid: dp.dpid || null, message: `connection from ${remote} closed before it was ready: ${reason}` });
        this.log(`connection from ${remote}${dp.dpid ? ` (switch ${dp.dpid})` : ""} closed before it was ready: ${reason}`);
      }
    });
  }
}

function flowModSummary(fm: FlowModMsg, version: number): string {
  const actions = fm.instructions ? formatInstructions(fm.instructions) : formatActions(fm.actions ?? []);
  return `${formatMatch(fm.match, fm.priority, version)} actions=${actions}`;
}

/**
 * The "flow_mod" controller event. Its ovs-ofctl `summary` is rendered on first read, not when
 * the event is emitted: one FLOW_MOD goes out for most PACKET_INs, and most of these events are
 * only counted and kept in the ring, never shown.
 */
class FlowModEvent {
  readonly type = "flow_mod" as const;
  readonly command: string;
  readonly priority: number;
  readonly cookie: bigint;
  private rendered: string | undefined;

  constructor(
    readonly at: number,
    readonly dpid: string,
    private readonly fm: FlowModMsg,
    private readonly version: number,
  ) {
    this.command = fm.command;
    this.priority = fm.priority;
    this.cookie = fm.cookie;
  }

  get summary(): string {
    this.rendered ??= flowModSummary(this.fm, this.version);
    return this.rendered;
  }
}

function removeStaleSocket(path: string): void {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}

function remoteOf(spec: ListenSpec, socket: net.Socket): string {
  return spec.kind === "unix" ? `unix:${spec.path}` : `${socket.remoteAddress}:${socket.remotePort}`;
}

function describe(spec: ListenSpec, server: net.Server): string {
  if (spec.kind === "unix") return `unix:${spec.path}`;
  return `${spec.kind}:${spec.host}:${(server.address() as net.AddressInfo).port}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
