import { OfpDecodeError } from './errors';

/** struct ofp_header: version, type, length, xid. Identical in every OpenFlow version. */
export const OFP_HEADER_SIZE = 8;
/** The length field is 16 bits, so no OpenFlow message can be longer. */
export const OFP_MAX_MESSAGE_LENGTH = 0xffff;

export const OFP10_VERSION = 0x01;
export const OFP13_VERSION = 0x04;

export interface OfpHeader {
  version: number;
  type: number;
  length: number;
  xid: number;
}

/** Reads the 8-byte header; throws OfpDecodeError if fewer than 8 bytes are given. */
export function readHeader(buf: Buffer, offset = 0): OfpHeader {
  if (buf.length - offset < OFP_HEADER_SIZE) {
    throw new OfpDecodeError(`need ${OFP_HEADER_SIZE} header bytes, have ${buf.length - offset}`);
  }
  return {
    version: buf.readUInt8(offset),
    type: buf.readUInt8(offset + 1),
    length: buf.readUInt16BE(offset + 2),
    xid: buf.readUInt32BE(offset + 4),
  };
}

export function writeHeader(buf: Buffer, h: OfpHeader, offset = 0): void {
  buf.writeUInt8(h.version, offset);
  buf.writeUInt8(h.type, offset + 1);
  buf.writeUInt16BE(h.length, offset + 2);
  buf.writeUInt32BE(h.xid >>> 0, offset + 4);
}
