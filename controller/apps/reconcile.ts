// Reconciliation when a switch (re)connects, as plain logic: the switch's flow dump and what the
// controller remembers of it go in; the FLOW_MODs to send and the MAC locations to put back in
// the FDB come out. Working flows are never flushed:
// - a flow with our cookie in a shape this controller installs (learned in_port/eth_src/eth_dst →
//   port, relocation eth_dst → port, the 1.3 table-miss) whose ports exist and which agrees with
//   what the controller knows is adopted as is;
// - a flow with our cookie in another shape, pointing at a missing port, or contradicting the
//   controller (a MAC placed on another port), and a flow with an unknown cookie of Ferry's own
//   range, is stale and deleted strictly;
// - a flow the controller remembers (the switch's previous connection) that the switch lost, e.g.
//   after ovs-vswitchd restarted empty, is installed again (re-sync).
// Flows with foreign cookies (an operator's, another controller's) are left alone.
import { deleteStrict, flowKey, type FlowEntry } from "../flow-table";
import { OFPP_MAX, OFP_NO_BUFFER, OFPP_ANY, OFPP_CONTROLLER, type Action, type FlowModMsg, type FlowStats, type Instruction, type Match } from "../openflow";
import { OFPFF_SEND_FLOW_REM } from "./learning-switch";
import { relocationPriority } from "./relocation";

/** The top 16 bits every Ferry cookie shares; the rest tells the owner apart. */
export const FERRY_COOKIE_PREFIX = 0xfe77n;

export function isFerryCookie(cookie: bigint): boolean {
  return cookie >> 48n === FERRY_COOKIE_PREFIX;
}

export interface ReconcileInput {
  /** Our cookie: flows carrying it are this controller's. */
  cookie: bigint;
  /** Priority of learned flows (the learning switch's flowPriority). */
  learnedPriority: number;
  /** OpenFlow version of the connection (the table-miss flow exists only in 1.3). */
  version: number;
  /** Port numbers the switch has now. */
  ports: ReadonlySet<number>;
  /** The switch's flow table, as dumped on connect. */
  switchFlows: readonly FlowStats[];
  /** What the controller last knew of this switch's flows, if it knows anything (same process, recent disconnect). */
  remembered?: readonly FlowEntry[];
}

export interface MacLocation {
  mac: string;
  port: number;
}

export interface ReconcilePlan {
  /** Deletes of stale flows, then adds of remembered flows the switch lost. */
  mods: FlowModMsg[];
  adopted: number;
  removed: number;
  reinstalled: number;
  /** Where the adopted and re-installed flows place each MAC (for the FDB). */
  locations: MacLocation[];
  /** True if the switch already has our table-miss flow. */
  hasTableMiss: boolean;
}

type Kind = "learned" | "relocation" | "table-miss";

interface Shaped {
  kind: Kind;
  /** MAC → port facts the flow states. */
  facts: MacLocation[];
  outPort?: number;
}

function flowActions(f: { actions?: Action[]; instructions?: Instruction[] }): Action[] | undefined {
  if (f.instructions) {
    if (f.instructions.length !== 1 || f.instructions[0]!.type !== "apply_actions") return undefined;
    return f.instructions[0]!.actions;
  }
  return f.actions ?? [];
}

function matchFields(m: Match): string[] {
  return Object.keys(m)
    .filter((k) => k !== "oxm_order" && (m as Record<string, unknown>)[k] !== undefined)
    .sort();
}

/** The kind of one of our flows, or undefined if this controller never installs such a flow. */
function shapeOf(f: { priority: number; match: Match; table_id?: number; actions?: Action[]; instructions?: Instruction[] }, input: ReconcileInput): Shaped | undefined {
  if ((f.table_id ?? 0) !== 0) return undefined;
  const fields = matchFields(f.match).join(",");
  const actions = flowActions(f);
  if (!actions || actions.length !== 1 || actions[0]!.type !== "output") return undefined;
  const out = actions[0]!.port;
  if (f.priority === 0 && fields === "" && input.version !== 1 && out === OFPP_CONTROLLER) return { kind: "table-miss", facts: [] };
  if (out < 1 || out > OFPP_MAX || !input.ports.has(out)) return undefined;
  const m = f.match;
  if (f.priority === input.learnedPriority && fields === "eth_dst,eth_src,in_port") {
    if (m.in_port === out || !input.ports.has(m.in_port!)) return undefined;
    return { kind: "learned", outPort: out, facts: [{ mac: m.eth_src!, port: m.in_port! }, { mac: m.eth_dst!, port: out }] };
  }
  if (f.priority === relocationPriority(input.learnedPriority) && fields === "eth_dst") {
    return { kind: "relocation", outPort: out, facts: [{ mac: m.eth_dst!, port: out }] };
  }
  return undefined;
}

function reinstall(e: FlowEntry, cookie: bigint, outPort: number): FlowModMsg {
  return {
    type: "flow_mod",
    xid: 0,
    command: "add",
    cookie,
    table_id: 0,
    idle_timeout: e.idle_timeout,
    hard_timeout: e.hard_timeout,
    priority: e.priority,
    buffer_id: OFP_NO_BUFFER,
    out_port: OFPP_ANY,
    out_group: OFPP_ANY,
    flags: OFPFF_SEND_FLOW_REM,
    match: e.match,
    actions: [{ type: "output", port: outPort }],
  };
}

export function reconcile(input: ReconcileInput): ReconcilePlan {
  const stale: FlowStats[] = [];
  let hasTableMiss = false;

  // What the controller knows wins: the remembered flows' facts, first one per MAC.
  const known = new Map<string, number>();
  const remembered: { entry: FlowEntry; shape: Shaped }[] = [];
  for (const e of input.remembered ?? []) {
    if (e.cookie !== input.cookie) continue;
    const shape = shapeOf(e, input);
    if (!shape || shape.kind === "table-miss") continue;
    remembered.push({ entry: e, shape });
    for (const f of shape.facts) if (!known.has(f.mac)) known.set(f.mac, f.port);
  }

  const candidates: { flow: FlowStats; shape: Shaped }[] = [];
  for (const flow of input.switchFlows) {
    if (flow.cookie !== input.cookie) {
      if (isFerryCookie(flow.cookie)) stale.push(flow);
      continue;
    }
    const shape = shapeOf(flow, input);
    if (!shape) stale.push(flow);
    else if (shape.kind === "table-miss") hasTableMiss = true;
    else if (shape.facts.some((f) => known.has(f.mac) && known.get(f.mac) !== f.port)) stale.push(flow);
    else candidates.push({ flow, shape });
  }

  // Among what the controller does not know, a MAC the switch's own flows place on two ports is in doubt.
  const seen = new Map<string, Set<number>>();
  for (const c of candidates) for (const f of c.shape.facts) (seen.get(f.mac) ?? seen.set(f.mac, new Set()).get(f.mac)!).add(f.port);
  const doubtful = new Set([...seen].filter(([, ports]) => ports.size > 1).map(([mac]) => mac));
  const adopted: typeof candidates = [];
  for (const c of candidates) {
    if (c.shape.facts.some((f) => doubtful.has(f.mac))) stale.push(c.flow);
    else adopted.push(c);
  }

  const present = new Map(adopted.map((a) => [flowKey(a.flow), a.shape.outPort]));
  const adds: FlowModMsg[] = [];
  for (const r of remembered) {
    const key = flowKey(r.entry);
    if (present.has(key)) continue;
    present.set(key, r.shape.outPort);
    adds.push(reinstall(r.entry, input.cookie, r.shape.outPort!));
  }

  const locations = new Map<string, number>(known);
  for (const a of adopted) for (const f of a.shape.facts) if (!locations.has(f.mac)) locations.set(f.mac, f.port);

  return {
    mods: [...stale.map(deleteStrict), ...adds],
    adopted: adopted.length,
    removed: stale.length,
    reinstalled: adds.length,
    locations: [...locations].map(([mac, port]) => ({ mac, port })),
    hasTableMiss,
  };
}
