/** 16 MiB: far above any Open_vSwitch reply we expect, low enough to bound memory. */
export const OVSDB_DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface JsonFramerOptions {
  /** Largest accepted single JSON value in bytes (UTF-8). */
  maxMessageBytes?: number;
}

export type JsonFramerErrorCode = 'TOO_LONG' | 'GARBAGE' | 'BAD_JSON' | 'BAD_UTF8';

export interface JsonFramerError {
  code: JsonFramerErrorCode;
  message: string;
  /** Byte offset in the whole stream where the bad value (or byte) starts. */
  offset: number;
}

export interface JsonFramerResult {
  /** Parsed JSON values, in stream order. */
  messages: unknown[];
  /** Set once the stream is unusable; values before the fault are still returned. */
  error?: JsonFramerError;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream of concatenated JSON objects/arrays (OVSDB sends no
 * delimiter) into parsed values. Only structure is scanned here; each complete
 * value is decoded and parsed once. All structural bytes are ASCII, so UTF-8
 * continuation bytes can never be mistaken for them and a split inside a
 * multi-byte character needs no special care.
 *
 * Never throws. After an error every later push returns that same error.
 */
export class JsonFramer {
  private readonly maxBytes: number;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Stream offset of the first byte of the value being collected. */
  private valueStart = 0;
  private consumed = 0;
  private failed: JsonFramerError | undefined;

  constructor(opts: JsonFramerOptions = {}) {
    this.maxBytes = opts.maxMessageBytes ?? OVSDB_DEFAULT_MAX_MESSAGE_BYTES;
  }

  get error(): JsonFramerError | undefined {
    return this.failed;
  }

  /** Bytes held back waiting for the rest of a value. */
  get bufferedBytes(): number {
    return this.partBytes;
  }

  push(chunk: Uint8Array): JsonFramerResult {
    if (this.failed) return { messages: [], error: this.failed };
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const messages: unknown[] = [];
    const base = this.consumed;
    this.consumed += buf.length;
    // Start of the in-progress value inside this chunk (0 when it began in an earlier chunk).
    let start = this.depth > 0 ? 0 : -1;

    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (this.depth === 0) {
        if (isWhitespace(b)) continue;
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          // Bare scalars cannot be delimited in an undelimited stream, so only objects/arrays are framed.
          return this.fail(messages, 'GARBAGE', `unexpected byte 0x${b.toString(16).padStart(2, '0')} between JSON values`, base + i);
        }
        this.depth = 1;
        start = i;
        this.valueStart = base + i;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          const size = this.partBytes + (i + 1 - start);
          if (size > this.maxBytes) return this.tooLong(messages, size);
          const piece = buf.subarray(start, i + 1);
          const whole = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece], size);
          this.parts = [];
          this.partBytes = 0;
          const parsed = this.parse(whole);
          if (!parsed.ok) return this.fail(messages, parsed.code, parsed.message, this.valueStart);
          messages.push(parsed.value);
          start = -1;
        }
      }
    }

    if (this.depth > 0 && start >= 0) {
      const rest = buf.length - start;
      if (this.partBytes + rest > this.maxBytes) return this.tooLong(messages, this.partBytes + rest);
      // Copy: the caller may reuse its buffer after push returns.
      this.parts.push(Buffer.from(buf.subarray(start)));
      this.partBytes += rest;
    }
    return { messages };
  }

  private parse(
    bytes: Buffer,
  ): { ok: true; value: unknown } | { ok: false; code: JsonFramerErrorCode; message: string } {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return { ok: false, code: 'BAD_UTF8', message: 'JSON value is not valid UTF-8' };
    }
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (e) {
      return { ok: false, code: 'BAD_JSON', message: `invalid JSON: ${(e as Error).message}` };
    }
  }

  private tooLong(messages: unknown[], size: number): JsonFramerResult {
    return this.fail(messages, 'TOO_LONG', `JSON value exceeds ${this.maxBytes} bytes (at least ${size})`, this.valueStart);
  }

  private fail(messages: unknown[], code: JsonFramerErrorCode, message: string, offset: number): JsonFramerResult {
    this.failed = { code, message, offset };
    this.parts = [];
    this.partBytes = 0;
    return { messages, error: this.failed };
  }
}
