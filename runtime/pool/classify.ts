/** How the pool reads pg's errors: which leave the session usable, which mean it is gone. */

const SQLSTATE = /^[0-9A-Z]{5}$/;

interface PgErrorFields {
  readonly code?: unknown;
  readonly severity?: unknown;
  readonly message?: unknown;
}

function fields(error: unknown): PgErrorFields {
  return typeof error === 'object' && error !== null ? error : {};
}

/**
 * SQLSTATEs the server sends as it ends the session: connection exceptions (08), operator
 * intervention (57P01 terminated by an administrator, 57P02 crash, 57P03 cannot connect now,
 * 57P04 database dropped, 57P05 idle session timeout), idle-in-transaction and transaction
 * timeouts (25P03, 25P04).
 */
function endsSession(code: string): boolean {
  return code.startsWith('08') || code.startsWith('57P') || code === '25P03' || code === '25P04';
}

function fatal(severity: unknown): boolean {
  return severity === 'FATAL' || severity === 'PANIC';
}

/** The server refused one statement and the session lives on: the client may be reused. */
export function isStatementError(error: unknown): boolean {
  const { code, severity } = fields(error);
  return typeof code === 'string' && SQLSTATE.test(code) && !endsSession(code) && !fatal(severity);
}

/** The connection itself failed: a socket error, the server ended the session, pg gave up on it. */
export function isConnectionLoss(error: unknown): boolean {
  const { code, severity, message } = fields(error);
  if (typeof code === 'string' && SQLSTATE.test(code)) return endsSession(code) || fatal(severity);
  if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return true; // ECONNRESET, EPIPE, …
  return typeof message === 'string' && /Connection terminated|not queryable|socket hang up|timeout expired/i.test(message);
}

/** pg-pool gave up opening a connection within `connectionTimeoutMillis`. */
export function isConnectTimeout(error: unknown): boolean {
  const { message } = fields(error);
  return typeof message === 'string' && /connection timeout|timeout exceeded when trying to connect|timeout expired/i.test(message);
}

/** `statement_timeout` cancelled the statement (57014 is also a cancel on request: check the text). */
export function isStatementTimeout(error: unknown): boolean {
  const { code, message } = fields(error);
  return code === '57014' && typeof message === 'string' && /statement timeout/i.test(message);
}

/** A transaction that failed only because of concurrent ones: serialization failure, deadlock. */
export function isRetryableTransactionError(error: unknown): boolean {
  const { code } = fields(error);
  return code === '40001' || code === '40P01';
}
