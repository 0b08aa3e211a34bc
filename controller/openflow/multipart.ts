import type { MultipartReplyBody, MultipartReplyMsg } from './types';

/** OFPSF_REPLY_MORE (1.0) and OFPMPF_REPLY_MORE (1.3) are both bit 0. */
export const REPLY_MORE = 1;

export function hasMore(msg: MultipartReplyMsg): boolean {
  return (msg.flags & REPLY_MORE) !== 0;
}

/** Joins the bodies of a multipart sequence; array bodies are concatenated, others must not repeat. */
export function mergeReplyBodies(a: MultipartReplyBody, b: MultipartReplyBody): MultipartReplyBody | string {
  if (a.kind !== b.kind) return `multipart body kind changed from ${a.kind} to ${b.kind}`;
  switch (a.kind) {
    case 'flow':
      return { kind: 'flow', flows: [...a.flows, ...(b as typeof a).flows] };
    case 'table':
      return { kind: 'table', tables: [...a.tables, ...(b as typeof a).tables] };
    case 'port_stats':
      return { kind: 'port_stats', ports: [...a.ports, ...(b as typeof a).ports] };
    case 'port_desc':
      return { kind: 'port_desc', ports: [...a.ports, ...(b as typeof a).ports] };
    case 'unknown': {
      const u = b as typeof a;
      if (u.mp_type !== a.mp_type) return `multipart type changed from ${a.mp_type} to ${u.mp_type}`;
      return { kind: 'unknown', mp_type: a.mp_type, body: Buffer.concat([a.body, u.body]) };
    }
    case 'desc':
    case 'aggregate':
      return `${a.kind} replies cannot span several messages`;
  }
}

export type AssemblerResult =
  | { status: 'partial' }
  | { status: 'complete'; reply: MultipartReplyMsg }
  | { status: 'error'; xid: number; reason: string };

/**
 * Collects multipart (1.3) / stats (1.0) replies per xid until one arrives
 * without the MORE flag, then yields a single reply with the joined body and
 * flags cleared. Pure bookkeeping: the caller owns any timeout.
 */
export class MultipartAssembler {
  private readonly pending = new Map<number, MultipartReplyMsg>();

  push(msg: MultipartReplyMsg): AssemblerResult {
    const prev = this.pending.get(msg.xid);
    let merged: MultipartReplyMsg;
    if (prev) {
      const body = mergeReplyBodies(prev.body, msg.body);
      if (typeof body === 'string') {
        this.pending.delete(msg.xid);
        return { status: 'error', xid: msg.xid, reason: body };
      }
      merged = { ...prev, flags: msg.flags, body };
    } else {
      merged = msg;
    }
    if (hasMore(msg)) {
      this.pending.set(msg.xid, merged);
      return { status: 'partial' };
    }
    this.pending.delete(msg.xid);
    return { status: 'complete', reply: { ...merged, flags: merged.flags & ~REPLY_MORE } };
  }

  /** Drops a sequence, e.g. when the caller's timeout for that xid fires. */
  discard(xid: number): boolean {
    return this.pending.delete(xid);
  }

  get pendingXids(): number[] {
    return [...this.pending.keys()];
  }
}
