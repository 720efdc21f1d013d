/** The pool's public option, event and stats types. */
import type { PoolConfig } from './pg-types.js';
import type { PooledClient } from './client.js';

/**
 * pg's pool options, plus bounded's. Defaults come from the policy: `min` 5, `max` 20,
 * `connectionTimeoutMillis` 10 s, `idleTimeoutMillis` 30 s, `statement_timeout` 30 s,
 * `query_timeout` 35 s.
 */
export interface BoundedPoolConfig extends PoolConfig {
  /**
   * Names the pool in errors, events, the registry and `application_name`. Creating a pool with
   * a name already in use returns the existing pool. Default "default".
   */
  name?: string;
  /** Connections kept open even when idle; the pool reopens them after failures. */
  min?: number;
  /** Most connections open at once. */
  max?: number;
  /**
   * Longest wait for a connection, in ms: waiting for one to free up plus opening one. Past it
   * the call rejects with `TimeoutError`.
   */
  connectionTimeoutMillis?: number;
  /** How long a connection above `min` may sit idle before it is closed, in ms (0: never). */
  idleTimeoutMillis?: number;
  /** Server-side limit on every statement, in ms; `false` or 0 for none. Override per query. */
  statement_timeout?: false | number;
  /**
   * Client-side deadline for every query, in ms: when it passes the query is cancelled and its
   * connection destroyed. Keep it above `statement_timeout`, which fails the statement cleanly
   * and keeps the connection. Override per query.
   */
  query_timeout?: number;
  /**
   * Most callers allowed to wait for a connection; one more is refused at once with
   * `QueueFullError`. Default Infinity.
   */
  maxQueue?: number;
  /** Default `bounded:<name>`, so the server's pg_stat_activity shows whose connections these are. */
  application_name?: string;
}

export interface AcquireClientOptions {
  /** Gives up waiting (rejects with `signal.reason`) when it aborts. */
  signal?: AbortSignal;
  /** Longest wait for a connection, in ms. Default: the pool's `connectionTimeoutMillis`. */
  timeoutMs?: number;
}

export interface WithClientOptions {
  /** Aborting it rejects the call at once with `signal.reason`; the client is destroyed. */
  signal?: AbortSignal;
  /**
   * Deadline for the whole call (waiting for a client and running `fn`), in ms. When it passes
   * the call rejects with `TimeoutError` and the client is destroyed, even if `fn` goes on.
   */
  timeoutMs?: number;
}

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions extends WithClientOptions {
  isolation?: IsolationLevel;
  readOnly?: boolean;
  /**
   * How many times to run the transaction again after a serialization failure (40001) or a
   * deadlock (40P01), with a short jittered backoff. Default 0. `fn` must be safe to re-run.
   * `timeoutMs` covers every attempt together.
   */
  retries?: number;
}

/**
 * Work done with a client checked out of the pool. `signal` (present when the call has a
 * `signal` or `timeoutMs`) aborts when the call gives up; the client's queries already use it.
 */
export type ClientTask<T> = (client: PooledClient, signal: AbortSignal | undefined) => Promise<T> | T;

/** The pool's counts at the moment of an event. */
export interface PoolState {
  readonly name: string;
  readonly max: number;
  /** Connections open or opening. */
  readonly total: number;
  /** Open connections nobody uses. */
  readonly idle: number;
  /** Connections checked out. */
  readonly inUse: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

export interface PoolStats extends PoolState {
  readonly min: number;
  /** Time callers waited for a connection, in ms, over the last 1,024 checkouts. */
  readonly acquireWaitMs: { readonly p50: number; readonly p95: number; readonly p99: number };
  /** Checkouts so far. */
  readonly acquired: number;
  /** Connection failures so far: connections that could not be opened or were lost. */
  readonly errors: number;
  /** Waits and queries that ran out of time so far. */
  readonly timeouts: number;
  /** Clients destroyed on release instead of returned (failed, timed out, left in a transaction). */
  readonly destroyed: number;
}

export interface PoolAcquireEvent extends PoolState {
  /** How long this caller waited for its connection, in ms. */
  readonly waitMs: number;
}

export interface PoolRejectionEvent extends PoolState {
  /**
   * Why a caller got no connection: its wait queue was full, its deadline was shorter than the
   * expected wait (`shed`), it timed out or aborted while waiting, or the pool closed on it.
   */
  readonly reason: 'queue-full' | 'shed' | 'timeout' | 'abort' | 'closed';
}

export interface PoolReleaseEvent extends PoolState {
  /** How long the connection was checked out, in ms. */
  readonly heldMs: number;
  /** True when the connection was closed instead of returned to the pool. */
  readonly destroyed: boolean;
}

export interface PoolErrorEvent {
  readonly name: string;
  /** Opening a connection, a checked-out connection, or an idle one in the pool. */
  readonly phase: 'connect' | 'in-use' | 'idle';
  /** What pg reported. */
  readonly error: unknown;
}

export interface PoolHealth {
  /** True when a `select 1` came back within the time allowed. */
  readonly ok: boolean;
  /**
   * How it was checked: through the pool (a slot was free), or on a connection of its own
   * (the pool was saturated or closed: a health check never queues behind other callers).
   */
  readonly via: 'pool' | 'connection';
  /** Time the check took, in ms. */
  readonly latencyMs: number;
  /** Why the check failed. */
  readonly error?: unknown;
  readonly stats: PoolStats;
}

export interface PoolCloseOptions {
  /**
   * How long in-flight work (checked-out clients and callers already waiting) may take to
   * finish, in ms. Then waiters are refused with `ClosedError` and the clients still out are
   * destroyed. Default: the pool's `query_timeout`.
   */
  drainMs?: number;
}
