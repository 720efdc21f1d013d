/**
 * The pool's own failure. Waits and queries that run out of time reject with the shared
 * `TimeoutError`, a closed pool with `ClosedError`, a full wait queue with `QueueFullError`
 * (runtime/errors.ts). What only a database pool has is a connection that could not be opened
 * or was lost mid-operation: `PoolConnectionError`. Errors the server raises about a statement
 * (a syntax error, a unique violation, a serialization failure) pass through as pg reports them.
 */
import { BoundedError, brandError, hasErrorBrand } from '../errors.js';

/** Where the connection failed: while opening it, or while it was in use. */
export type PoolConnectionPhase = 'connect' | 'query';

export interface PoolConnectionDetails {
  /** The pool's name. */
  readonly resource: string;
  readonly phase: PoolConnectionPhase;
  /** pg's error: a socket error, a FATAL from the server (57P01 when a backend is terminated), … */
  readonly cause: unknown;
}

/**
 * A connection could not be opened (the server is down or refuses), or was lost while in use
 * (its backend was terminated, the server stopped, the network failed). A lost client is
 * destroyed, never returned to the pool. Work that was in flight may or may not have been
 * applied: a COMMIT whose answer was lost is the one ambiguous case.
 */
export class PoolConnectionError extends BoundedError {
  readonly phase: PoolConnectionPhase;
  /** The cause's code: a SQLSTATE (`57P01`) or a system error code (`ECONNREFUSED`). */
  readonly code: string | undefined;

  constructor(details: PoolConnectionDetails) {
    const code = codeOf(details.cause);
    const reason = details.cause instanceof Error ? details.cause.message : String(details.cause);
    const what = details.phase === 'connect' ? 'could not open a connection' : 'lost its connection while in use';
    const suffix = code === undefined || reason.includes(code) ? '' : ` (${code})`;
    super(`Pool "${details.resource}" ${what}: ${reason}${suffix}`, details.resource, { cause: details.cause });
    this.name = 'PoolConnectionError';
    this.phase = details.phase;
    this.code = code;
    brandError(this, 'PoolConnectionError');
  }
}

export function isPoolConnectionError(value: unknown): value is PoolConnectionError {
  return hasErrorBrand(value, 'PoolConnectionError');
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}
