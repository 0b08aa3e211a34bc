/**
 * Every rejection from the OVSDB client is an OvsdbError, so callers can
 * catch one type and branch on `error` (the RFC 7047 error string, or one of
 * the client-side kinds below) when they care.
 */
export class OvsdbError extends Error {
  override name = 'OvsdbError';
  /** RFC 7047 `error` string, e.g. "constraint violation", or a client-side kind. */
  readonly error: string;
  readonly details: string | undefined;
  /** JSON-RPC method of the failed request, when known. */
  readonly method: string | undefined;

  constructor(error: string, details?: string, method?: string, message?: string) {
    super(message ?? (details ? `${error}: ${details}` : error));
    this.error = error;
    this.details = details;
    this.method = method;
  }

  /** Build from an RFC 7047 `<error>` object (or the bare string some servers send). */
  static fromReply(reply: unknown, method?: string): OvsdbError {
    if (reply && typeof reply === 'object' && !Array.isArray(reply)) {
      const r = reply as Record<string, unknown>;
      const err = typeof r.error === 'string' ? r.error : JSON.stringify(reply);
      const details = typeof r.details === 'string' ? r.details : undefined;
      const syntax = typeof r.syntax === 'string' ? ` (syntax: ${r.syntax})` : '';
      const where = method ? `${method}: ` : '';
      const e = new OvsdbError(err, details, method, `${where}${err}${details ? `: ${details}` : ''}${syntax}`);
      return e;
    }
    return new OvsdbError(typeof reply === 'string' ? reply : JSON.stringify(reply), undefined, method);
  }
}

export class OvsdbTimeoutError extends OvsdbError {
  override name = 'OvsdbTimeoutError';
  constructor(method: string, timeoutMs: number) {
    super('timeout', `no reply to ${method} within ${timeoutMs} ms`, method);
  }
}

/** The connection closed (or was closed) before a reply arrived. */
export class OvsdbConnectionError extends OvsdbError {
  override name = 'OvsdbConnectionError';
  constructor(details: string, method?: string) {
    super('connection closed', details, method);
  }
}

/** The peer sent bytes that are not a JSON-RPC stream; the connection is dropped. */
export class OvsdbProtocolError extends OvsdbError {
  override name = 'OvsdbProtocolError';
  constructor(details: string) {
    super('protocol error', details);
  }
}

/** A transact reply in which one operation, or the commit, failed. */
export class OvsdbTransactionError extends OvsdbError {
  override name = 'OvsdbTransactionError';
  /** Index of the failed operation; equals the operation count when the commit itself failed. */
  readonly opIndex: number;
  /** `op` of the failed operation, or "commit". */
  readonly op: string;

  constructor(error: string, details: string | undefined, opIndex: number, op: string, opCount: number) {
    const which = opIndex >= opCount ? 'commit failed' : `operation ${opIndex} (${op}) failed`;
    super(error, details, 'transact', `transact: ${which}: ${error}${details ? `: ${details}` : ''}`);
    this.opIndex = opIndex;
    this.op = op;
  }
}
