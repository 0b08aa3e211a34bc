/**
 * Version-neutral entry point of the OpenFlow codec.
 *
 * decodeMessage never throws: a message of a type this library does not
 * handle (or of an unsupported wire version, HELLO excepted) decodes to { type: 'unknown' },
 * and a known message with a bad body (truncated struct, bad TLV length...)
 * decodes to { type: 'malformed', reason }. The connection layer answers the
 * former with OFPET_BAD_REQUEST/OFPBRC_BAD_TYPE (or BAD_VERSION) and the
 * latter with OFPBRC_BAD_LEN. encodeMessage throws OfpEncodeError when the
 * message cannot be expressed in the requested version.
 */
import { decodeFramed, decodeHelloElements, helloBitmapVersions, versionBitmap } from './common';
import { OfpEncodeError } from './errors';
import { OFP10_VERSION, OFP13_VERSION } from './header';
import type { DecodedMessage, HelloMsg, OfpMessage } from './types';
import { decode10, encode10 } from './v1_0/codec';
import { decode13, encode13 } from './v1_3/codec';

export * from './types';
export * from './errors';
export * from './framer';
export * from './multipart';
export * from './ports';
export { OFP_HEADER_SIZE, OFP_MAX_MESSAGE_LENGTH, OFP10_VERSION, OFP13_VERSION, readHeader } from './header';
export { helloBitmapVersions } from './common';
export * as of10 from './v1_0/constants';
export * as of13 from './v1_3/constants';

export const SUPPORTED_VERSIONS: readonly number[] = [OFP10_VERSION, OFP13_VERSION];

const OFPT_HELLO = 0;

export function decodeMessage(buf: Buffer): DecodedMessage {
  const version = buf.length > 0 ? buf[0] : undefined;
  if (version === OFP10_VERSION) return decode10(buf);
  if (version === OFP13_VERSION) return decode13(buf);
  return decodeFramed(buf, (r, v, type, xid): DecodedMessage => {
    // Any peer's HELLO must be readable to negotiate; elements exist from 1.3 on, older bodies are ignored.
    if (type === OFPT_HELLO) {
      return r.remaining === 0 || v < OFP13_VERSION
        ? { type: 'hello', version: v, xid }
        : { type: 'hello', version: v, xid, elements: decodeHelloElements(r) };
    }
    return { type: 'unknown', version: v, xid, msgType: type, raw: Buffer.from(buf) };
  });
}

export function encodeMessage(version: number, msg: OfpMessage): Buffer {
  switch (version) {
    case OFP10_VERSION:
      return encode10(msg);
    case OFP13_VERSION:
      return encode13(msg);
    default:
      throw new OfpEncodeError(`unsupported OpenFlow version ${version}`);
  }
}

/** HELLO a controller sends: highest version in the header plus a bitmap (1.3+) of all of them. */
export function makeHello(xid: number, versions: readonly number[] = SUPPORTED_VERSIONS): { version: number; msg: HelloMsg } {
  const max = Math.max(...versions);
  const msg: HelloMsg = { type: 'hello', xid };
  if (max >= OFP13_VERSION) msg.elements = [{ type: 'versionbitmap', bitmaps: versionBitmap(versions) }];
  return { version: max, msg };
}

/**
 * Version agreed with a peer given its HELLO, per the 1.3 negotiation rules:
 * with bitmaps on both sides the highest common version, otherwise the lower of
 * the two header versions if we support it. Undefined means no common version
 * (answer OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE).
 */
export function negotiateVersion(peer: HelloMsg & { version: number }, ours: readonly number[] = SUPPORTED_VERSIONS): number | undefined {
  const theirs = helloBitmapVersions(peer.elements);
  if (theirs) {
    const common = ours.filter((v) => theirs.includes(v));
    return common.length > 0 ? Math.max(...common) : undefined;
  }
  const v = Math.min(peer.version, Math.max(...ours));
  return ours.includes(v) ? v : undefined;
}

