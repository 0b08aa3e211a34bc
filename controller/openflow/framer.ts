import { OFP_HEADER_SIZE, OFP_MAX_MESSAGE_LENGTH } from './header';

export interface OfpFramerOptions {
  /** Largest accepted message length; capped at 65535 (the 16-bit length field). */
  maxLength?: number;
  /** If given, frames whose header version is not listed are a protocol error. */
  versions?: readonly number[];
}

export type OfpFramerErrorCode = 'BAD_LEN' | 'TOO_LONG' | 'BAD_VERSION';

/**
 * A protocol error found in the byte stream. Carries the offending header so
 * the connection layer can answer with an OFPT_ERROR that echoes the xid.
 */
export interface OfpFramerError {
  code: OfpFramerErrorCode;
  message: string;
  version: number;
  msgType: number;
  length: number;
  xid: number;
  /** The header bytes that caused the error (8 bytes). */
  header: Buffer;
}

export interface OfpFramerResult {
  /** Complete frames, each exactly one OpenFlow message (header included). */
  frames: Buffer[];
  /** Set once the stream is unusable; frames before the bad header are still returned. */
  error?: OfpFramerError;
}

/**
 * Splits one TCP byte stream into OpenFlow messages using the length at
 * offset 2 of each header. Never throws: errors are returned, and after an
 * error every later push returns the same error with no frames, because the
 * stream position can no longer be trusted.
 */
export class OfpFramer {
  private pending: Buffer = Buffer.alloc(0);
  private failed: OfpFramerError | undefined;
  private readonly maxLength: number;
  private readonly versions: readonly number[] | undefined;

  constructor(opts: OfpFramerOptions = {}) {
    this.maxLength = Math.min(opts.maxLength ?? OFP_MAX_MESSAGE_LENGTH, OFP_MAX_MESSAGE_LENGTH);
    this.versions = opts.versions;
  }

  get error(): OfpFramerError | undefined {
    return this.failed;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Uint8Array): OfpFramerResult {
    if (this.failed) return { frames: [], error: this.failed };
    // The one copy of the input: frames are views into `data`, which nothing else references or
    // modifies, so they never alias the caller's chunk.
    const data = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    let off = 0;
    while (data.length - off >= OFP_HEADER_SIZE) {
      const version = data.readUInt8(off);
      const msgType = data.readUInt8(off + 1);
      const length = data.readUInt16BE(off + 2);
      const xid = data.readUInt32BE(off + 4);
      const code: OfpFramerErrorCode | undefined =
        length < OFP_HEADER_SIZE
          ? 'BAD_LEN'
          : length > this.maxLength
            ? 'TOO_LONG'
            : this.versions && !this.versions.includes(version)
              ? 'BAD_VERSION'
              : undefined;
      if (code) {
        this.failed = {
          code,
          message:
            code === 'BAD_VERSION'
              ? `unsupported OpenFlow version 0x${version.toString(16).padStart(2, '0')}`
              : `bad OpenFlow message length ${length} (allowed ${OFP_HEADER_SIZE}..${this.maxLength})`,
          version,
          msgType,
          length,
          xid,
          header: Buffer.from(data.subarray(off, off + OFP_HEADER_SIZE)),
        };
        this.pending = Buffer.alloc(0);
        return { frames, error: this.failed };
      }
      if (data.length - off < length) break;
      frames.push(data.subarray(off, off + length));
      off += length;
    }
    this.pending = off === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(off));
    return { frames };
  }
}
