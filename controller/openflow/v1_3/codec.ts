import { Reader, Writer } from '../buf';
import { decodeAggregateBody, decodeDescBody, decodeFramed, decodeHelloElements, dpidFromString, dpidToString, encodeAggregateBody, encodeDescBody, encodeHelloElements, expectEnd, frame } from '../common';
import { OfpDecodeError, OfpEncodeError } from '../errors';
import {
  assertNever,
  type Action,
  type DecodedMessage,
  type FlowModCommand,
  type FlowStats,
  type FlowStatsRequestBody,
  type Instruction,
  type MultipartReplyBody,
  type MultipartRequestBody,
  type OfpMessage,
  type PortDesc,
  type PortStats,
  type TableStats,
} from '../types';
import { decodeActions13, encodeActions13 } from './actions';
import * as C from './constants';
import { decodeInstructions13, encodeInstructions13 } from './instructions';
import { decodeMatch13, encodeMatch13 } from './oxm';

const V = C.OFP_VERSION;

const COMMANDS: readonly FlowModCommand[] = ['add', 'modify', 'modify_strict', 'delete', 'delete_strict'];

export function decodePort13(r: Reader): PortDesc {
  const s = r.sub(C.OFP_PORT_SIZE, 'ofp_port');
  const port_no = s.u32();
  s.skip(4);
  const hw_addr = s.mac();
  s.skip(2);
  return {
    port_no,
    hw_addr,
    name: s.str(C.OFP_MAX_PORT_NAME_LEN),
    config: s.u32(),
    state: s.u32(),
    curr: s.u32(),
    advertised: s.u32(),
    supported: s.u32(),
    peer: s.u32(),
    curr_speed: s.u32(),
    max_speed: s.u32(),
  };
}

export function encodePort13(w: Writer, p: PortDesc): void {
  w.u32(p.port_no).zeros(4).mac(p.hw_addr).zeros(2).str(p.name, C.OFP_MAX_PORT_NAME_LEN);
  w.u32(p.config).u32(p.state).u32(p.curr).u32(p.advertised).u32(p.supported).u32(p.peer);
  w.u32(p.curr_speed ?? 0).u32(p.max_speed ?? 0);
}

function readCounters(e: Reader, port_no: number): PortStats {
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
    duration_sec: e.u32(),
    duration_nsec: e.u32(),
  };
}

/** Instructions of a neutral message: a bare action list becomes one apply_actions. */
function toInstructions(actions: Action[] | undefined, instructions: Instruction[] | undefined): Instruction[] {
  if (instructions !== undefined) {
    if (actions !== undefined && actions.length > 0) throw new OfpEncodeError('give either actions or instructions, not both');
    return instructions;
  }
  return actions && actions.length > 0 ? [{ type: 'apply_actions', actions }] : [];
}

function decodeFlowStatsRequest13(r: Reader, kind: 'flow' | 'aggregate'): MultipartRequestBody {
  const table_id = r.u8();
  r.skip(3);
  const out_port = r.u32();
  const out_group = r.u32();
  r.skip(4);
  const cookie = r.u64();
  const cookie_mask = r.u64();
  const match = decodeMatch13(r);
  expectEnd(r, 'flow stats request');
  return { kind, table_id, out_port, out_group, cookie, cookie_mask, match };
}

function decodeMultipartRequest13(r: Reader): { flags: number; body: MultipartRequestBody } {
  const type = r.u16();
  const flags = r.u16();
  r.skip(4);
  const empty = (kind: 'desc' | 'table' | 'port_desc'): { flags: number; body: MultipartRequestBody } => {
    expectEnd(r, `${kind} request`);
    return { flags, body: { kind } };
  };
  switch (type) {
    case C.OFPMP_DESC:
      return empty('desc');
    case C.OFPMP_TABLE:
      return empty('table');
    case C.OFPMP_PORT_DESC:
      return empty('port_desc');
    case C.OFPMP_FLOW:
      return { flags, body: decodeFlowStatsRequest13(r, 'flow') };
    case C.OFPMP_AGGREGATE:
      return { flags, body: decodeFlowStatsRequest13(r, 'aggregate') };
    case C.OFPMP_PORT_STATS: {
      const port_no = r.u32();
      r.skip(4);
      expectEnd(r, 'port stats request');
      return { flags, body: { kind: 'port_stats', port_no } };
    }
    default:
      return { flags, body: { kind: 'unknown', mp_type: type, body: r.rest() } };
  }
}

function decodeFlowStats13(r: Reader): FlowStats[] {
  const flows: FlowStats[] = [];
  while (r.remaining > 0) {
    r.need(2, 'flow stats length');
    const len = r.buf.readUInt16BE(r.pos);
    if (len < C.OFP_FLOW_STATS_SIZE) throw new OfpDecodeError(`flow stats entry length ${len} too short`);
    const e = r.sub(len, 'ofp_flow_stats');
    e.skip(2);
    const table_id = e.u8();
    e.skip(1);
    const duration_sec = e.u32();
    const duration_nsec = e.u32();
    const priority = e.u16();
    const idle_timeout = e.u16();
    const hard_timeout = e.u16();
    const flags = e.u16();
    e.skip(4);
    const cookie = e.u64();
    const packet_count = e.u64();
    const byte_count = e.u64();
    const match = decodeMatch13(e);
    const instructions = decodeInstructions13(e);
    flows.push({ table_id, duration_sec, duration_nsec, priority, idle_timeout, hard_timeout, flags, cookie, packet_count, byte_count, match, instructions });
  }
  return flows;
}

function decodeMultipartReply13(r: Reader): { flags: number; body: MultipartReplyBody } {
  const type = r.u16();
  const flags = r.u16();
  r.skip(4);
  switch (type) {
    case C.OFPMP_DESC: {
      return { flags, body: decodeDescBody(r) };
    }
    case C.OFPMP_FLOW:
      return { flags, body: { kind: 'flow', flows: decodeFlowStats13(r) } };
    case C.OFPMP_AGGREGATE: {
      return { flags, body: decodeAggregateBody(r) };
    }
    case C.OFPMP_TABLE: {
      const tables: TableStats[] = [];
      while (r.remaining > 0) {
        const e = r.sub(C.OFP_TABLE_STATS_SIZE, 'ofp_table_stats');
        const table_id = e.u8();
        e.skip(3);
        tables.push({ table_id, active_count: e.u32(), lookup_count: e.u64(), matched_count: e.u64() });
      }
      return { flags, body: { kind: 'table', tables } };
    }
    case C.OFPMP_PORT_STATS: {
      const ports: PortStats[] = [];
      while (r.remaining > 0) {
        const e = r.sub(C.OFP_PORT_STATS_SIZE, 'ofp_port_stats');
        const port_no = e.u32();
        e.skip(4);
        ports.push(readCounters(e, port_no));
      }
      return { flags, body: { kind: 'port_stats', ports } };
    }
    case C.OFPMP_PORT_DESC: {
      const ports: PortDesc[] = [];
      while (r.remaining > 0) ports.push(decodePort13(r));
      return { flags, body: { kind: 'port_desc', ports } };
    }
    default:
      return { flags, body: { kind: 'unknown', mp_type: type, body: r.rest() } };
  }
}

/** Decodes one OpenFlow 1.3 message. Never throws for any input; see decodeFramed. */
export function decode13(buf: Buffer): DecodedMessage {
  return decodeFramed(buf, decodeBody13);
}

/*
 * Every case builds its result as one literal listing all fields. Spreading a shared
 * `{ version, xid }` into each literal reads the same but is about 100x slower on
 * Node 20 (the object takes V8's slow path), and this runs for every message received.
 */
function decodeBody13(r: Reader, version: number, type: number, xid: number): DecodedMessage {
  switch (type) {
    case C.OFPT_HELLO:
      return r.remaining === 0 ? { version, xid, type: 'hello' } : { version, xid, type: 'hello', elements: decodeHelloElements(r) };
    case C.OFPT_ERROR: {
      const error_type = r.u16();
      const code = r.u16();
      if (error_type === C.OFPET_EXPERIMENTER) {
        return { version, xid, type: 'error', error_type, code, experimenter: r.u32(), data: r.rest() };
      }
      return { version, xid, type: 'error', error_type, code, data: r.rest() };
    }
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
      const auxiliary_id = r.u8();
      r.skip(2);
      const capabilities = r.u32();
      const reserved = r.u32();
      expectEnd(r, 'features reply');
      return { version, xid, type: 'features_reply', datapath_id, n_buffers, n_tables, auxiliary_id, capabilities, reserved };
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
      const reason = r.u8();
      const table_id = r.u8();
      const cookie = r.u64();
      const match = decodeMatch13(r);
      r.skip(2);
      const msg: DecodedMessage = { version, xid, type: 'packet_in', buffer_id, total_len, reason, table_id, cookie, match, data: r.rest() };
      if (match.in_port !== undefined) msg.in_port = match.in_port;
      return msg;
    }
    case C.OFPT_PACKET_OUT: {
      const buffer_id = r.u32();
      const in_port = r.u32();
      const actionsLen = r.u16();
      r.skip(6);
      const actions = decodeActions13(r, actionsLen);
      return { version, xid, type: 'packet_out', buffer_id, in_port, actions, data: r.rest() };
    }
    case C.OFPT_FLOW_MOD: {
      const cookie = r.u64();
      const cookie_mask = r.u64();
      const table_id = r.u8();
      const cmd = r.u8();
      const command = COMMANDS[cmd];
      if (!command) throw new OfpDecodeError(`unknown flow mod command ${cmd}`);
      const idle_timeout = r.u16();
      const hard_timeout = r.u16();
      const priority = r.u16();
      const buffer_id = r.u32();
      const out_port = r.u32();
      const out_group = r.u32();
      const flags = r.u16();
      r.skip(2);
      const match = decodeMatch13(r);
      const instructions = decodeInstructions13(r);
      return {
        version, xid, type: 'flow_mod', command, cookie, cookie_mask, table_id, idle_timeout, hard_timeout, priority,
        buffer_id, out_port, out_group, flags, match, instructions,
      };
    }
    case C.OFPT_FLOW_REMOVED: {
      const cookie = r.u64();
      const priority = r.u16();
      const reason = r.u8();
      const table_id = r.u8();
      const duration_sec = r.u32();
      const duration_nsec = r.u32();
      const idle_timeout = r.u16();
      const hard_timeout = r.u16();
      const packet_count = r.u64();
      const byte_count = r.u64();
      const match = decodeMatch13(r);
      expectEnd(r, 'flow removed');
      return {
        version, xid, type: 'flow_removed', cookie, priority, reason, table_id, duration_sec, duration_nsec, idle_timeout,
        hard_timeout, packet_count, byte_count, match,
      };
    }
    case C.OFPT_PORT_STATUS: {
      const reason = r.u8();
      r.skip(7);
      const desc = decodePort13(r);
      expectEnd(r, 'port status');
      return { version, xid, type: 'port_status', reason, desc };
    }
    case C.OFPT_MULTIPART_REQUEST: {
      const { flags, body } = decodeMultipartRequest13(r);
      return { version, xid, type: 'multipart_request', flags, body };
    }
    case C.OFPT_MULTIPART_REPLY: {
      const { flags, body } = decodeMultipartReply13(r);
      return { version, xid, type: 'multipart_reply', flags, body };
    }
    case C.OFPT_BARRIER_REQUEST:
      expectEnd(r, 'barrier request');
      return { version, xid, type: 'barrier_request' };
    case C.OFPT_BARRIER_REPLY:
      expectEnd(r, 'barrier reply');
      return { version, xid, type: 'barrier_reply' };
    case C.OFPT_ROLE_REQUEST:
    case C.OFPT_ROLE_REPLY: {
      const role = r.u32();
      r.skip(4);
      const generation_id = r.u64();
      expectEnd(r, 'role message');
      return { version, xid, type: type === C.OFPT_ROLE_REQUEST ? 'role_request' : 'role_reply', role, generation_id };
    }
    default:
      return { version, xid, type: 'unknown', msgType: type, raw: Buffer.from(r.buf) };
  }
}

function encodeFlowStatsRequest13(w: Writer, b: FlowStatsRequestBody): void {
  w.u8(b.table_id).zeros(3).u32(b.out_port).u32(b.out_group ?? C.OFPG_ANY).zeros(4);
  w.u64(b.cookie ?? 0n).u64(b.cookie_mask ?? 0n);
  encodeMatch13(w, b.match);
}

function encodeMultipartRequest13(w: Writer, flags: number, b: MultipartRequestBody): void {
  const head = (t: number): void => {
    w.u16(t).u16(flags).zeros(4);
  };
  switch (b.kind) {
    case 'desc':
      return head(C.OFPMP_DESC);
    case 'table':
      return head(C.OFPMP_TABLE);
    case 'port_desc':
      return head(C.OFPMP_PORT_DESC);
    case 'flow':
    case 'aggregate':
      head(b.kind === 'flow' ? C.OFPMP_FLOW : C.OFPMP_AGGREGATE);
      return encodeFlowStatsRequest13(w, b);
    case 'port_stats':
      head(C.OFPMP_PORT_STATS);
      w.u32(b.port_no).zeros(4);
      return;
    case 'unknown':
      head(b.mp_type);
      w.bytes(b.body);
      return;
    default:
      assertNever(b, 'multipart request');
  }
}

function encodeMultipartReply13(w: Writer, flags: number, b: MultipartReplyBody): void {
  const head = (t: number): void => {
    w.u16(t).u16(flags).zeros(4);
  };
  switch (b.kind) {
    case 'desc':
      head(C.OFPMP_DESC);
      encodeDescBody(w, b);
      return;
    case 'flow':
      head(C.OFPMP_FLOW);
      for (const f of b.flows) {
        const e = new Writer();
        e.u8(f.table_id).zeros(1).u32(f.duration_sec).u32(f.duration_nsec).u16(f.priority);
        e.u16(f.idle_timeout).u16(f.hard_timeout).u16(f.flags ?? 0).zeros(4);
        e.u64(f.cookie).u64(f.packet_count).u64(f.byte_count);
        encodeMatch13(e, f.match);
        encodeInstructions13(e, toInstructions(f.actions, f.instructions));
        w.u16(2 + e.length).bytes(e.toBuffer());
      }
      return;
    case 'aggregate':
      head(C.OFPMP_AGGREGATE);
      encodeAggregateBody(w, b);
      return;
    case 'table':
      head(C.OFPMP_TABLE);
      for (const t of b.tables) w.u8(t.table_id).zeros(3).u32(t.active_count).u64(t.lookup_count).u64(t.matched_count);
      return;
    case 'port_stats':
      head(C.OFPMP_PORT_STATS);
      for (const p of b.ports) {
        w.u32(p.port_no).zeros(4);
        w.u64(p.rx_packets).u64(p.tx_packets).u64(p.rx_bytes).u64(p.tx_bytes);
        w.u64(p.rx_dropped).u64(p.tx_dropped).u64(p.rx_errors).u64(p.tx_errors);
        w.u64(p.rx_frame_err).u64(p.rx_over_err).u64(p.rx_crc_err).u64(p.collisions);
        w.u32(p.duration_sec ?? 0).u32(p.duration_nsec ?? 0);
      }
      return;
    case 'port_desc':
      head(C.OFPMP_PORT_DESC);
      for (const p of b.ports) encodePort13(w, p);
      return;
    case 'unknown':
      head(b.mp_type);
      w.bytes(b.body);
      return;
    default:
      assertNever(b, 'multipart reply');
  }
}

/** Encodes one message as OpenFlow 1.3. Throws OfpEncodeError for what 1.3 cannot express. */
export function encode13(msg: OfpMessage): Buffer {
  switch (msg.type) {
    case 'hello':
      return frame(V, C.OFPT_HELLO, msg.xid, (w) => encodeHelloElements(w, msg.elements ?? []));
    case 'error':
      return frame(V, C.OFPT_ERROR, msg.xid, (w) => {
        w.u16(msg.error_type).u16(msg.code);
        if (msg.error_type === C.OFPET_EXPERIMENTER) w.u32(msg.experimenter ?? 0);
        else if (msg.experimenter !== undefined) throw new OfpEncodeError('experimenter id needs error_type OFPET_EXPERIMENTER');
        w.bytes(msg.data);
      });
    case 'echo_request':
      return frame(V, C.OFPT_ECHO_REQUEST, msg.xid, (w) => w.bytes(msg.data));
    case 'echo_reply':
      return frame(V, C.OFPT_ECHO_REPLY, msg.xid, (w) => w.bytes(msg.data));
    case 'features_request':
      return frame(V, C.OFPT_FEATURES_REQUEST, msg.xid);
    case 'features_reply':
      if (msg.ports && msg.ports.length > 0) throw new OfpEncodeError('OpenFlow 1.3 FEATURES_REPLY carries no ports; use OFPMP_PORT_DESC');
      return frame(V, C.OFPT_FEATURES_REPLY, msg.xid, (w) => {
        w.u64(dpidFromString(msg.datapath_id)).u32(msg.n_buffers).u8(msg.n_tables).u8(msg.auxiliary_id ?? 0).zeros(2);
        w.u32(msg.capabilities).u32(msg.reserved ?? 0);
      });
    case 'get_config_request':
      return frame(V, C.OFPT_GET_CONFIG_REQUEST, msg.xid);
    case 'get_config_reply':
      return frame(V, C.OFPT_GET_CONFIG_REPLY, msg.xid, (w) => w.u16(msg.flags).u16(msg.miss_send_len));
    case 'set_config':
      return frame(V, C.OFPT_SET_CONFIG, msg.xid, (w) => w.u16(msg.flags).u16(msg.miss_send_len));
    case 'packet_in':
      return frame(V, C.OFPT_PACKET_IN, msg.xid, (w) => {
        w.u32(msg.buffer_id).u16(msg.total_len).u8(msg.reason).u8(msg.table_id ?? 0).u64(msg.cookie ?? 0n);
        encodeMatch13(w, msg.match ?? (msg.in_port !== undefined ? { in_port: msg.in_port } : {}));
        w.zeros(2).bytes(msg.data);
      });
    case 'packet_out':
      return frame(V, C.OFPT_PACKET_OUT, msg.xid, (w) => {
        w.u32(msg.buffer_id).u32(msg.in_port);
        const actionsLenAt = w.length;
        w.u16(0).zeros(6); // actions_len, set once the actions are written
        encodeActions13(w, msg.actions);
        w.setU16(actionsLenAt, w.length - actionsLenAt - 8);
        w.bytes(msg.data);
      });
    case 'flow_mod':
      return frame(V, C.OFPT_FLOW_MOD, msg.xid, (w) => {
        const cmd = COMMANDS.indexOf(msg.command);
        if (cmd < 0) throw new OfpEncodeError(`unknown flow mod command ${String(msg.command)}`);
        w.u64(msg.cookie).u64(msg.cookie_mask ?? 0n).u8(msg.table_id ?? 0).u8(cmd);
        w.u16(msg.idle_timeout).u16(msg.hard_timeout).u16(msg.priority).u32(msg.buffer_id);
        w.u32(msg.out_port).u32(msg.out_group ?? C.OFPG_ANY).u16(msg.flags).zeros(2);
        encodeMatch13(w, msg.match);
        encodeInstructions13(w, toInstructions(msg.actions, msg.instructions));
      });
    case 'flow_removed':
      return frame(V, C.OFPT_FLOW_REMOVED, msg.xid, (w) => {
        w.u64(msg.cookie).u16(msg.priority).u8(msg.reason).u8(msg.table_id ?? 0);
        w.u32(msg.duration_sec).u32(msg.duration_nsec).u16(msg.idle_timeout).u16(msg.hard_timeout ?? 0);
        w.u64(msg.packet_count).u64(msg.byte_count);
        encodeMatch13(w, msg.match);
      });
    case 'port_status':
      return frame(V, C.OFPT_PORT_STATUS, msg.xid, (w) => {
        w.u8(msg.reason).zeros(7);
        encodePort13(w, msg.desc);
      });
    case 'barrier_request':
      return frame(V, C.OFPT_BARRIER_REQUEST, msg.xid);
    case 'barrier_reply':
      return frame(V, C.OFPT_BARRIER_REPLY, msg.xid);
    case 'multipart_request':
      return frame(V, C.OFPT_MULTIPART_REQUEST, msg.xid, (w) => encodeMultipartRequest13(w, msg.flags, msg.body));
    case 'multipart_reply':
      return frame(V, C.OFPT_MULTIPART_REPLY, msg.xid, (w) => encodeMultipartReply13(w, msg.flags, msg.body));
    case 'role_request':
    case 'role_reply':
      return frame(V, msg.type === 'role_request' ? C.OFPT_ROLE_REQUEST : C.OFPT_ROLE_REPLY, msg.xid, (w) =>
        w.u32(msg.role).zeros(4).u64(msg.generation_id),
      );
    case 'unknown':
    case 'malformed':
      return Buffer.from(msg.raw);
    default:
      return assertNever(msg, 'message');
  }
}
