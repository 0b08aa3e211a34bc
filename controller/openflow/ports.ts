/** Neutral (OpenFlow 1.3, 32-bit) reserved port numbers and their 1.0 (16-bit) counterparts. */
export const OFPP_MAX = 0xffffff00;
export const OFPP_IN_PORT = 0xfffffff8;
export const OFPP_TABLE = 0xfffffff9;
export const OFPP_NORMAL = 0xfffffffa;
export const OFPP_FLOOD = 0xfffffffb;
export const OFPP_ALL = 0xfffffffc;
export const OFPP_CONTROLLER = 0xfffffffd;
export const OFPP_LOCAL = 0xfffffffe;
/** 1.3 "any port"; the 1.0 equivalent is OFPP_NONE (0xffff). */
export const OFPP_ANY = 0xffffffff;
export const OFPP_NONE = OFPP_ANY;

/** OFP_NO_BUFFER: buffer_id meaning "packet data is included". Same value in both versions. */
export const OFP_NO_BUFFER = 0xffffffff;
/** OFPCML_NO_BUFFER (1.3): controller max_len meaning "send the whole packet". */
export const OFPCML_NO_BUFFER = 0xffff;

const OF10_RESERVED_BASE = 0xff00;
const OF13_RESERVED_BASE = 0xffffff00;

/** 16-bit 1.0 port → neutral 32-bit port: reserved ports 0xff00..0xffff move to 0xffffff00.. */
export function portFrom10(p: number): number {
  return p >= OF10_RESERVED_BASE ? (OF13_RESERVED_BASE + (p - OF10_RESERVED_BASE)) >>> 0 : p;
}

/** Neutral 32-bit port → 16-bit 1.0 port, or undefined if it has no 1.0 form. */
export function portTo10(p: number): number | undefined {
  if (!Number.isInteger(p) || p < 0 || p > 0xffffffff) return undefined;
  if (p >= OF13_RESERVED_BASE) return OF10_RESERVED_BASE + (p - OF13_RESERVED_BASE);
  return p < OF10_RESERVED_BASE ? p : undefined;
}
