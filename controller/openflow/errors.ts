/**
 * Typed errors of the OpenFlow codec.
 *
 * Decoding never lets these escape: `decodeMessage` turns an OfpDecodeError
 * into a `{ type: 'malformed' }` message. Encoding throws OfpEncodeError when
 * a message cannot be expressed in the requested wire version (e.g. an OF1.3
 * instruction in an OF1.0 FLOW_MOD) or a value is out of range.
 */
export class OfpDecodeError extends Error {
  override readonly name = 'OfpDecodeError';
}

export class OfpEncodeError extends Error {
  override readonly name = 'OfpEncodeError';
}
