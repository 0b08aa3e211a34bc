import { Reader, Writer } from '../buf';
import { decodeAggregateBody, decodeDescBody, decodeFramed, decodeHelloElements, dpidFromString, dpidToString, encodeAggregateBody, encodeDescBody, encodeHelloElements, expectEnd, frame } from '../common';
import { OfpDecodeError, OfpEncodeError } from '../errors';
import { portFrom10, portTo10 } from '../ports';
import {
  assertNever,
  type Action,
  type DecodedMessage,
  type FlowModCommand,
  type FlowStats,
  type Instruction,
  type MultipartReplyBody,
  type MultipartRequestBody,
  type OfpMessage,
  type PortDesc,
  type PortStats,
  type TableStats,
} from '../types';
import { decodeActions10, encodeActions10 } from './actions';
import * as C from './constants';
import { decodeMatch10, encodeMatch10 } from './match';

const V = C.OFP_VERSION;

const COMMANDS: readonly FlowModCommand[] = ['add', 'modify', 'modify_strict', 'delete', 'delete_strict'];

function port10(p: number, what: string): number {
  const v = portTo10(p);
  if (v === undefined) throw new OfpEncodeError(`${what} ${p} has no OpenFlow 1.0 form`);
  return v;
}

export function decodePort10(r: Reader): PortDesc {
  const s = r.sub(C.OFP_PHY_PORT_SIZE, 'ofp_phy_port');
  return {
    port_no: portFrom10(s.u16()),
    hw_addr: s.mac(),
    name: s.str(C.OFP_MAX_PORT_NAME_LEN),
    config: s.u32(),
    state: s.u32(),
    curr: s.u32(),
    advertised: s.u32(),
    supported: s.u32(),
    peer: s.u32(),
  };
}

export function encodePort10(w: Writer, p: PortDesc): void {
  w.u16(port10(p.port_no, 'port_no')).mac(p.hw_addr).str(p.name, C.OFP_MAX_PORT_NAME_LEN);
  w.u32(p.config).u32(p.state).u32(p.curr).u32(p.advertised).u32(p.supported).u32(p.peer);
}

/** Actions of a neutral message: 1.3 instructions are accepted only as a single apply_actions. */
function flatActions(actions: Action[] | undefined, instructions: Instruction[] | undefined): Action[] {
  if (instructions === undefined) return actions ?? [];
  if (actions !== undefined && actions.length > 0) throw new OfpEncodeError('give either actions or instructions, not both');
  const out: Action[] = [];
  for (const i of instructions) {
    if (i.type !== 'apply_actions') throw new OfpEncodeError(`instruction ${i.type} does not exist in OpenFlow 1.0`);
    out.push(...i.actions);
  }
  return out;
}

function decodeFlowStats10(r: Reader): FlowStats[] {
  const flows: FlowStats[] = [];
  while (r.remaining > 0) {
    r.need(2, 'flow stats length');
    const len = r.buf.readUInt16BE(r.pos);
    if (len < C.OFP_FLOW_STATS_SIZE) throw new OfpDecodeError(`flow stats entry length ${len} too short`);
    const e = r.sub(len, 'ofp_flow_stats');
    e.skip(2);
    const table_id = e.u8();
    e.skip(1);
    const match = decodeMatch10(e);
    const duration_sec = e.u32();
    const duration_nsec = e.u32();
    const priority = e.u16();
    const idle_timeout = e.u16();
    const hard_timeout = e.u16();
    e.skip(6);
    const cookie = e.u64();
    const packet_count = e.u64();
    const byte_count = e.u64();
    const actions = decodeActions10(e, e.remaining);
    flows.push({ table_id, duration_sec, duration_nsec, priority, idle_timeout, hard_timeout, cookie, packet_count, byte_count, match, actions });
  }
  return flows;
}

function decodeFlowStatsRequest10(r: Reader, kind: 'flow' | 'aggregate'): MultipartRequestBody {
  const match = decodeMatch10(r);
  const table_id = r.u8();
  r.skip(1);
  const out_port = portFrom10(r.u16());
  expectEnd(r, 'flow stats request');
  return { kind, table_id, out_port, match };
}

function decodeStatsRequest10(r: Reader): { flags: number; body: MultipartRequestBody } {
  const type = r.u16();
  const flags = r.u16();
  switch (type) {
    case C.OFPST_DESC:
      expectEnd(r, 'desc request');
      return { flags, body: { kind: 'desc' } };
    case C.OFPST_TABLE:
      expectEnd(r, 'table stats request');
      return { flags, body: { kind: 'table' } };
    case C.OFPST_FLOW:
      return { flags, body: decodeFlowStatsRequest10(r, 'flow') };
    case C.OFPST_AGGREGATE:
      return { flags, body: decodeFlowStatsRequest10(r, 'aggregate') };
    case C.OFPST_PORT: {
      const port_no = portFrom10(r.u16());
      r.skip(6);
      expectEnd(r, 'port stats request');
      return { flags, body: { kind: 'port_stats', port_no } };
    }
    default:
      return { flags, body: { kind: 'unknown', mp_type: type, body: r.rest() } };
  }
}

function decodeStatsReply10(r: Reader): { flags: number; body: MultipartReplyBody } {
  const type = r.u16();
  const flags = r.u16();
  switch (type) {
    case C.OFPST_DESC: {
      return { flags, body: decodeDescBody(r) };
    }
    case C.OFPST_FLOW:
      return { flags, body: { kind: 'flow', flows: decodeFlowStats10(r) } };
    case C.OFPST_AGGREGATE: {
      return { flags, body: decodeAggregateBody(r) };
    }
    case C.OFPST_TABLE: {
      const tables: TableStats[] = [];
      while (r.remaining > 0) {
        const e = r.sub(C.OFP_TABLE_STATS_SIZE, 'ofp_table_stats');
        const table_id = e.u8();
        e.skip(3);
        tables.push({
          table_id,
          name: e.str(C.OFP_MAX_TABLE_NAME_LEN),
          wildcards: e.u32(),
          max_entries: e.u32(),
          active_count: e.u32(),
          lookup_count: e.u64(),
          matched_count: e.u64(),
        });
      }
      return { flags, body: { kind: 'table', tables } };
    }
    case C.OFPST_PORT: {
      const ports: PortStats[] = [];
      while (r.remaining > 0) {
        const e = r.sub(C.OFP_PORT_STATS_SIZE, 'ofp_port_stats');
        const port_no = portFrom10(e.u16());
        e.skip(6);
        ports.push(readPortCounters(e, port_no));
      }
      return { flags, body: { kind: 'port_stats', ports } };
    }
    default:
      return { flags, body: { kind: 'unknown', mp_type: type, body: r.rest() } };
  }
}

export function readPortCounters(e: Reader, port_no: number): PortStats {
  return {
    port_no,
    rx_packets: e.u64(),
    tx_packets: e.u64(),
    rx_bytes: e.u64(),
    tx_bytes: e.u64(),
    rx_dropped: e.u64(),
    tx_dropped: e.u64(),
    rx_errors: e.u64(),
    tx_errors: e.u64(),
    rx_frame_err: e.u64(),
    rx_over_err: e.u64(),
    rx_crc_err: e.u64(),
    collisions: e.u64(),
  };
}

export function writePortCounters(w: Writer, p: PortStats): void {
  w.u64(p.rx_packets).u64(p.tx_packets).u64(p.rx_bytes).u64(p.tx_bytes);
  w.u64(p.rx_dropped).u64(p.tx_dropped).u64(p.rx_errors).u64(p.tx_errors);
  w.u64(p.rx_frame_err).u64(p.rx_over_err).u64(p.rx_crc_err).u64(p.collisions);
}

/** Decodes one OpenFlow 1.0 message. Never throws for any input; see decodeFramed. */
export function decode10(buf: Buffer): DecodedMessage {
  return decodeFramed(buf, decodeBody10);
}

/*
 * Every case builds its result as one literal listing all fields. Spreading a shared
 * `{ version, xid }` into each literal reads the same but is about 100x slower on
 * Node 20 (the object takes V8's slow path), and this runs for every message received.
 */
function decodeBody10(r: Reader, version: number, type: number, xid: number): DecodedMessage {
  switch (type) {
    case C.OFPT_HELLO: {
      // 1.0 says to ignore a hello body; keep elements only if they parse.
      if (r.remaining === 0) return { version, xid, type: 'hello' };
      try {
        return { version, xid, type: 'hello', elements: decodeHelloElements(r) };
      } catch {
        return { version, xid, type: 'hello' };
      }
    }
    case C.OFPT_ERROR:
      return { version, xid, type: 'error', error_type: r.u16(), code: r.u16(), data: r.rest() };
    case C.OFPT_ECHO_REQUEST:
      return { version, xid, type: 'echo_request', data: r.rest() };
    case C.OFPT_ECHO_REPLY:
      return { version, xid, type: 'echo_reply', data: r.rest() };
    case C.OFPT_FEATURES_REQUEST:
      expectEnd(r, 'features request');
      return { version, xid, type: 'features_request' };
    case C.OFPT_FEATURES_REPLY: {
      const datapath_id = dpidToString(r.u64());
      const n_buffers = r.u32();
      const n_tables = r.u8();
      r.skip(3);
      const capabilities = r.u32();
      const actions = r.u32();
      if (r.remaining % C.OFP_PHY_PORT_SIZE !== 0) throw new OfpDecodeError('port list not a multiple of 48 bytes');
      const ports: PortDesc[] = [];
      while (r.remaining > 0) ports.push(decodePort10(r));
      return { version, xid, type: 'features_reply', datapath_id, n_buffers, n_tables, capabilities, actions, ports };
    }
    case C.OFPT_GET_CONFIG_REQUEST:
      expectEnd(r, 'get config request');
      return { version, xid, type: 'get_config_request' };
    case C.OFPT_GET_CONFIG_REPLY:
    case C.OFPT_SET_CONFIG: {
      const flags = r.u16();
      const miss_send_len = r.u16();
      expectEnd(r, 'switch config');
      return { version, xid, type: type === C.OFPT_SET_CONFIG ? 'set_config' : 'get_config_reply', flags, miss_send_len };
    }
    case C.OFPT_PACKET_IN: {
      const buffer_id = r.u32();
      const total_len = r.u16();
      const in_port = portFrom10(r.u16());
      const reason = r.u8();
      r.skip(1);
      return { version, xid, type: 'packet_in', buffer_id, total_len, in_port, reason, data: r.rest() };
    }
    case C.OFPT_PACKET_OUT: {
      const buffer_id = r.u32();
      const in_port = portFrom10(r.u16());
      const actionsLen = r.u16();
      const actions = decodeActions10(r, actionsLen);
      return { version, xid, type: 'packet_out', buffer_id, in_port, actions, data: r.rest() };
    }
    case C.OFPT_FLOW_MOD: {
      const match = decodeMatch10(r);
      const cookie = r.u64();
      const cmd = r.u16();
      const command = COMMANDS[cmd];
      if (!command) throw new OfpDecodeError(`unknown flow mod command ${cmd}`);
      const idle_timeout = r.u16();
      const hard_timeout = r.u16();
      const priority = r.u16();
      const buffer_id = r.u32();
      const out_port = portFrom10(r.u16());
      const flags = r.u16();
      const actions = decodeActions10(r, r.remaining);
      return { version, xid, type: 'flow_mod', command, cookie, idle_timeout, hard_timeout, priority, buffer_id, out_port, flags, match, actions };
    }
    case C.OFPT_FLOW_REMOVED: {
      const match = decodeMatch10(r);
      const cookie = r.u64();
      const priority = r.u16();
      const reason = r.u8();
      r.skip(1);
      const duration_sec = r.u32();
      const duration_nsec = r.u32();
      const idle_timeout = r.u16();
      r.skip(2);
      const packet_count = r.u64();
      const byte_count = r.u64();
      expectEnd(r, 'flow removed');
      return { version, xid, type: 'flow_removed', cookie, priority, reason, duration_sec, duration_nsec, idle_timeout, packet_count, byte_count, match };
    }
    case C.OFPT_PORT_STATUS: {
      const reason = r.u8();
      r.skip(7);
      const desc = decodePort10(r);
      expectEnd(r, 'port status');
      return { version, xid, type: 'port_status', reason, desc };
    }
    case C.OFPT_STATS_REQUEST: {
      const { flags, body } = decodeStatsRequest10(r);
      return { version, xid, type: 'multipart_request', flags, body };
    }
    case C.OFPT_STATS_REPLY: {
      const { flags, body } = decodeStatsReply10(r);
      return { version, xid, type: 'multipart_reply', flags, body };
    }
    case C.OFPT_BARRIER_REQUEST:
      expectEnd(r, 'barrier request');
      return { version, xid, type: 'barrier_request' };
    case C.OFPT_BARRIER_REPLY:
      expectEnd(r, 'barrier reply');
      return { version, xid, type: 'barrier_reply' };
    default:
      return { version, xid, type: 'unknown', msgType: type, raw: Buffer.from(r.buf) };
  }
}

function encodeFlowStatsRequest10(w: Writer, b: Extract<MultipartRequestBody, { kind: 'flow' | 'aggregate' }>): void {
  encodeMatch10(w, b.match);
  w.u8(b.table_id).zeros(1).u16(port10(b.out_port, 'out_port'));
}

function encodeStatsRequestBody10(w: Writer, b: MultipartRequestBody): void {
  switch (b.kind) {
    case 'desc':
      w.u16(C.OFPST_DESC);
      return;
    case 'table':
      w.u16(C.OFPST_TABLE);
      return;
    case 'flow':
    case 'aggregate':
      w.u16(b.kind === 'flow' ? C.OFPST_FLOW : C.OFPST_AGGREGATE);
      return;
    case 'port_stats':
      w.u16(C.OFPST_PORT);
      return;
    case 'unknown':
      w.u16(b.mp_type);
      return;
    case 'port_desc':
      throw new OfpEncodeError('OpenFlow 1.0 has no port-desc stats; ports come in FEATURES_REPLY');
    default:
      assertNever(b, 'stats request');
  }
}

function encodeStatsRequest10(w: Writer, flags: number, b: MultipartRequestBody): void {
  encodeStatsRequestBody10(w, b);
  w.u16(flags);
  switch (b.kind) {
    case 'flow':
    case 'aggregate':
      encodeFlowStatsRequest10(w, b);
      return;
    case 'port_stats':
      w.u16(port10(b.port_no, 'port_no')).zeros(6);
      return;
    case 'unknown':
      w.bytes(b.body);
      return;
    default:
      return;
  }
}

function encodeStatsReply10(w: Writer, flags: number, b: MultipartReplyBody): void {
  const typeOf: Record<MultipartReplyBody['kind'], number | undefined> = {
    desc: C.OFPST_DESC,
    flow: C.OFPST_FLOW,
    aggregate: C.OFPST_AGGREGATE,
    table: C.OFPST_TABLE,
    port_stats: C.OFPST_PORT,
    port_desc: undefined,
    unknown: b.kind === 'unknown' ? b.mp_type : undefined,
  };
  const t = typeOf[b.kind];
  if (t === undefined) throw new OfpEncodeError(`stats reply ${b.kind} does not exist in OpenFlow 1.0`);
  w.u16(t).u16(flags);
  switch (b.kind) {
    case 'desc':
      encodeDescBody(w, b);
      return;
    case 'flow':
      for (const f of b.flows) {
        if (f.instructions !== undefined) throw new OfpEncodeError('OpenFlow 1.0 flow stats carry actions, not instructions');
        const e = new Writer();
        encodeActions10(e, f.actions ?? []);
        const actions = e.toBuffer();
        w.u16(C.OFP_FLOW_STATS_SIZE + actions.length).u8(f.table_id).zeros(1);
        encodeMatch10(w, f.match);
        w.u32(f.duration_sec).u32(f.duration_nsec).u16(f.priority).u16(f.idle_timeout).u16(f.hard_timeout).zeros(6);
        w.u64(f.cookie).u64(f.packet_count).u64(f.byte_count).bytes(actions);
      }
      return;
    case 'aggregate':
      encodeAggregateBody(w, b);
      return;
    case 'table':
      for (const t of b.tables) {
        w.u8(t.table_id).zeros(3).str(t.name ?? '', C.OFP_MAX_TABLE_NAME_LEN);
        w.u32(t.wildcards ?? 0).u32(t.max_entries ?? 0).u32(t.active_count).u64(t.lookup_count).u64(t.matched_count);
      }
      return;
    case 'port_stats':
      for (const p of b.ports) {
        w.u16(port10(p.port_no, 'port_no')).zeros(6);
        writePortCounters(w, p);
      }
      return;
    case 'unknown':
      w.bytes(b.body);
      return;
    case 'port_desc':
      return;
    default:
      assertNever(b, 'stats reply');
  }
}

/** Encodes one message as OpenFlow 1.0. Throws OfpEncodeError for what 1.0 cannot express. */
export function encode10(msg: OfpMessage): Buffer {
  switch (msg.type) {
    case 'hello':
      // A 1.0 peer ignores hello elements, but keep any given so decode/encode round-trips.
      return frame(V, C.OFPT_HELLO, msg.xid, (w) => encodeHelloElements(w, msg.elements ?? []));
    case 'error':
      if (msg.experimenter !== undefined) throw new OfpEncodeError('OpenFlow 1.0 has no experimenter errors');
      return frame(V, C.OFPT_ERROR, msg.xid, (w) => w.u16(msg.error_type).u16(msg.code).bytes(msg.data));
    case 'echo_request':
      return frame(V, C.OFPT_ECHO_REQUEST, msg.xid, (w) => w.bytes(msg.data));
    case 'echo_reply':
      return frame(V, C.OFPT_ECHO_REPLY, msg.xid, (w) => w.bytes(msg.data));
    case 'features_request':
      return frame(V, C.OFPT_FEATURES_REQUEST, msg.xid);
    case 'features_reply':
      return frame(V, C.OFPT_FEATURES_REPLY, msg.xid, (w) => {
        w.u64(dpidFromString(msg.datapath_id)).u32(msg.n_buffers).u8(msg.n_tables).zeros(3);
        w.u32(msg.capabilities).u32(msg.actions ?? 0);
        for (const p of msg.ports ?? []) encodePort10(w, p);
      });
    case 'get_config_request':
      return frame(V, C.OFPT_GET_CONFIG_REQUEST, msg.xid);
    case 'get_config_reply':
      return frame(V, C.OFPT_GET_CONFIG_REPLY, msg.xid, (w) => w.u16(msg.flags).u16(msg.miss_send_len));
    case 'set_config':
      return frame(V, C.OFPT_SET_CONFIG, msg.xid, (w) => w.u16(msg.flags).u16(msg.miss_send_len));
    case 'packet_in':
      return frame(V, C.OFPT_PACKET_IN, msg.xid, (w) => {
        const inPort = msg.in_port ?? msg.match?.in_port;
        if (inPort === undefined) throw new OfpEncodeError('packet_in needs in_port');
        w.u32(msg.buffer_id).u16(msg.total_len).u16(port10(inPort, 'in_port')).u8(msg.reason).zeros(1).bytes(msg.data);
      });
    case 'packet_out':
      return frame(V, C.OFPT_PACKET_OUT, msg.xid, (w) => {
        w.u32(msg.buffer_id).u16(port10(msg.in_port, 'in_port'));
        const actionsLenAt = w.length;
        w.u16(0); // actions_len, set once the actions are written
        encodeActions10(w, msg.actions);
        w.setU16(actionsLenAt, w.length - actionsLenAt - 2);
        w.bytes(msg.data);
      });
    case 'flow_mod':
      return frame(V, C.OFPT_FLOW_MOD, msg.xid, (w) => {
        const cmd = COMMANDS.indexOf(msg.command);
        if (cmd < 0) throw new OfpEncodeError(`unknown flow mod command ${String(msg.command)}`);
        encodeMatch10(w, msg.match);
        w.u64(msg.cookie).u16(cmd).u16(msg.idle_timeout).u16(msg.hard_timeout).u16(msg.priority);
        w.u32(msg.buffer_id).u16(port10(msg.out_port, 'out_port')).u16(msg.flags);
        encodeActions10(w, flatActions(msg.actions, msg.instructions));
      });
    case 'flow_removed':
      return frame(V, C.OFPT_FLOW_REMOVED, msg.xid, (w) => {
        encodeMatch10(w, msg.match);
        w.u64(msg.cookie).u16(msg.priority).u8(msg.reason).zeros(1);
        w.u32(msg.duration_sec).u32(msg.duration_nsec).u16(msg.idle_timeout).zeros(2);
        w.u64(msg.packet_count).u64(msg.byte_count);
      });
    case 'port_status':
      return frame(V, C.OFPT_PORT_STATUS, msg.xid, (w) => {
        w.u8(msg.reason).zeros(7);
        encodePort10(w, msg.desc);
      });
    case 'barrier_request':
      return frame(V, C.OFPT_BARRIER_REQUEST, msg.xid);
    case 'barrier_reply':
      return frame(V, C.OFPT_BARRIER_REPLY, msg.xid);
    case 'multipart_request':
      return frame(V, C.OFPT_STATS_REQUEST, msg.xid, (w) => encodeStatsRequest10(w, msg.flags, msg.body));
    case 'multipart_reply':
      return frame(V, C.OFPT_STATS_REPLY, msg.xid, (w) => encodeStatsReply10(w, msg.flags, msg.body));
    case 'role_request':
    case 'role_reply':
      throw new OfpEncodeError(`${msg.type} does not exist in OpenFlow 1.0`);
    case 'unknown':
    case 'malformed':
      return Buffer.from(msg.raw);
    default:
      return assertNever(msg, 'message');
  }
}
