import type { PoolClient, QueryConfig, QueryResult, QueryResultRow } from './pg-types.js';
import { ClosedError, TimeoutError } from '../errors.js';
import { assertSignal, assertTimeoutMs, MAX_TIMER_MS, show } from '../internal/validate.js';
import { cancelBackend } from './cancel.js';
import { isConnectionLoss, isStatementError, isStatementTimeout } from './classify.js';
import type { DeadlineEntry, DeadlineList } from './deadlines.js';
import { PoolConnectionError } from './errors.js';

export interface QueryOptions {
  /**
   * Client-side deadline for this query, in ms. Default: the pool's `query_timeout`. When it
   * passes, the query is cancelled on the server, the connection is destroyed rather than
   * reused, and the call rejects with `TimeoutError`.
   */
  timeoutMs?: number;
  /**
   * Server-side `statement_timeout` for this query only, in ms (0 for none). Default: the
   * pool's. A value that differs from the pool's costs two round trips (SET before, SET back
   * after).
   */
  statementTimeoutMs?: number;
  /** Aborting it cancels the query the same way a client-side timeout does. */
  signal?: AbortSignal;
}

/**
 * A connection checked out of a pool. Give it back exactly once: `release()`, or hold it with
 * `await using` (or `using`). A client that failed (lost connection, timed-out or aborted query,
 * left inside a transaction) is destroyed on release instead of returned.
 *
 * ```ts
 * await using client = await pool.acquire({ signal });
 * await client.query('update jobs set state = $1 where id = $2', ['done', id]);
 * ```
 */
export interface PooledClient extends Disposable, AsyncDisposable {
  /** Name of the pool it came from. */
  readonly pool: string;
  /** The server process serving this connection (`pg_stat_activity.pid`). */
  readonly processId: number | undefined;
  /** True once given back. */
  readonly released: boolean;
  /**
   * Runs one statement, under the pool's (or this call's) client-side and server-side
   * timeouts. Server errors about the statement reject as pg reports them; a lost connection
   * rejects with `PoolConnectionError`; a timeout with `TimeoutError`.
   */
  query<R extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>>;
  /** Gives the connection back. With an `error`, it is closed instead of reused. Later calls do nothing. */
  release(error?: Error): void;
}

/** pg's callback form of `query`, for text or a config object alike (its typings split them). */
interface CallbackQuery {
  query(
    config: string | QueryConfig,
    values: readonly unknown[] | undefined,
    callback: (error: Error | null, result: QueryResult) => void,
  ): void;
}

/** Settles one operation: `ok` with its result, or not with its error. */
export type Done = (ok: boolean, value: unknown) => void;

/** What a lease needs from its pool. */
export interface LeaseOwner {
  readonly name: string;
  /** Client-side query deadline, ms. */
  readonly queryTimeoutMs: number;
  /** Server-side statement_timeout every connection starts with, ms (0: none). */
  readonly statementTimeoutMs: number;
  /** Deadlines of queries under the default `queryTimeoutMs`: one timer for them all. */
  readonly deadlines: DeadlineList;
  /** Takes the client back from a lease; with a `reason` the connection is destroyed. */
  giveBack(lease: Lease, client: PoolClient, reason: Error | undefined): void;
  /** An in-use client's connection failed; `error` is pg's. Called at most once per client. */
  clientLost(client: PoolClient, error: unknown): void;
  /** A query ran out of client-side time. */
  queryTimedOut(): void;
}

/** The pool's `PooledClient`: one checkout of one pg client. */
export class Lease implements PooledClient {
  readonly acquiredAt: number;
  readonly #owner: LeaseOwner;
  readonly #client: PoolClient;
  #released = false;
  /** Default signal for queries: the scope of `withClient` / `transaction`. */
  #scope: AbortSignal | undefined;
  /** Why this connection must not run anything more; set once. */
  #broken: unknown;
  #hasBroken = false;
  /** The client emitted 'error': its connection is gone. */
  #lost = false;
  /** Reusable for queries, but in an unknown state: destroy instead of returning it. */
  #discard = false;
  /** Queries sent to pg that have not settled yet, whoever gave up on them. */
  #inFlight = 0;
  #cancelSent = false;

  readonly #onClientError = (error: Error): void => {
    if (this.#lost || this.#released) return;
    this.#lost = true;
    this.#break(new PoolConnectionError({ resource: this.#owner.name, phase: 'query', cause: error }));
    this.#owner.clientLost(this.#client, error);
  };

  constructor(owner: LeaseOwner, client: PoolClient, acquiredAt: number) {
    this.#owner = owner;
    this.#client = client;
    this.acquiredAt = acquiredAt;
    // pg-pool detaches its own listener while a client is checked out: without one, a
    // connection error on an idle checked-out client would be an uncaught 'error' event.
    client.on('error', this.#onClientError);
  }

  get pool(): string {
    return this.#owner.name;
  }

  get processId(): number | undefined {
    const pid = (this.#client as unknown as { processID?: unknown }).processID;
    return typeof pid === 'number' ? pid : undefined;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Queries default to this signal (the `withClient` scope). */
  scope(signal: AbortSignal): void {
    this.#scope = signal;
  }

  query<R extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>> {
    return new Promise<QueryResult<R>>((resolve, reject) => {
      this.run(text, values, options, (ok, value) => {
        if (ok) resolve(value as QueryResult<R>);
        else reject(value);
      });
    });
  }

  /**
   * `query` without a promise of its own: the pool's `query` builds one promise for the whole
   * checkout, query and release. `done` is called exactly once.
   */
  run(text: string | QueryConfig, values: readonly unknown[] | undefined, options: QueryOptions | undefined, done: Done): void {
    if (this.#released) {
      done(false, new ClosedError('Pool client', this.#owner.name));
      return;
    }
    if (this.#hasBroken) {
      done(false, this.#broken);
      return;
    }
    let timeoutMs = this.#owner.queryTimeoutMs;
    let signal = this.#scope;
    let statementTimeoutMs: number | undefined;
    if (options !== undefined) {
      try {
        assertQueryOptions(options);
      } catch (error) {
        done(false, error);
        return;
      }
      if (options.timeoutMs !== undefined) timeoutMs = options.timeoutMs;
      if (options.signal !== undefined) signal = options.signal;
      if (options.statementTimeoutMs !== this.#owner.statementTimeoutMs) {
        statementTimeoutMs = options.statementTimeoutMs;
      }
    }
    if (signal?.aborted) {
      done(false, signal.reason);
      return;
    }
    if (statementTimeoutMs === undefined) {
      this.#send(text, values, timeoutMs, signal, undefined, done);
      return;
    }
    this.#withStatementTimeout(statementTimeoutMs, timeoutMs, signal, text, values).then(
      (result) => done(true, result),
      (error: unknown) => done(false, error),
    );
  }

  release(error?: Error): void {
    if (this.#released) return;
    this.#released = true;
    const status = this.#client.getTransactionStatus();
    // 'T' / 'E': the client is inside a transaction; handing it on would put the next user in it.
    const destroy = error !== undefined || this.#hasBroken || this.#discard || this.#inFlight > 0 || status === 'T' || status === 'E';
    if (destroy && this.#inFlight > 0) this.#cancel();
    // The pool hands the client on (to a waiter, or pg's idle list), whose error listener
    // takes over in the same tick.
    this.#client.removeListener('error', this.#onClientError);
    const reason = destroy ? toError(error ?? this.#broken, 'Pool client discarded') : undefined;
    this.#owner.giveBack(this, this.#client, reason);
  }

  /** Stops this lease for `reason`: cancels what runs, destroys the connection, gives it back. */
  abandon(reason: unknown): void {
    this.#break(reason);
    this.release();
  }

  /** Rolls back an open transaction; a client that cannot roll back is destroyed on release. */
  async rollback(): Promise<void> {
    const status = this.#client.getTransactionStatus();
    if (this.#hasBroken || this.#released || (status !== 'T' && status !== 'E')) return;
    try {
      await this.#run('ROLLBACK', this.#owner.queryTimeoutMs, undefined);
    } catch {
      this.#discard = true;
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  /** One statement on the wire, under a client-side deadline and the caller's signal. */
  #send(
    text: string | QueryConfig,
    values: readonly unknown[] | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    statementTimeoutMs: number | undefined,
    done: Done,
  ): void {
    let settled = false;
    const deadlines = this.#owner.deadlines;
    // Queries under the pool's default timeout share one timer; others get their own.
    let deadline: DeadlineEntry | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopClock = (): void => {
      if (deadline !== undefined) deadlines.remove(deadline);
      else clearTimeout(timer);
    };
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      stopClock();
      this.#break(signal!.reason);
      done(false, signal!.reason);
    };
    const onTimeout = (): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      const error = new TimeoutError({
        resource: this.#owner.name,
        operation: `Query on pool "${this.#owner.name}" (query_timeout)`,
        timeoutMs,
      });
      this.#owner.queryTimedOut();
      this.#break(error);
      done(false, error);
    };
    if (timeoutMs === deadlines.timeoutMs) deadline = deadlines.add(onTimeout);
    else timer = setTimeout(onTimeout, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    // pg's callback form: no promises of its own. It sets `callback` on a config object, so
    // the caller's object is copied rather than changed.
    const config = typeof text === 'string' ? text : { ...text };
    this.#inFlight++;
    try {
      (this.#client as unknown as CallbackQuery).query(config, values, (error, result) => {
        this.#inFlight--;
        // Given up on already (timeout, abort): the connection was destroyed on purpose.
        if (settled) return;
        settled = true;
        stopClock();
        signal?.removeEventListener('abort', onAbort);
        if (error) done(false, this.#translate(error, statementTimeoutMs));
        else done(true, result);
      });
    } catch (error) {
      // pg throws synchronously only for bad arguments; the connection is untouched.
      this.#inFlight--;
      if (settled) return;
      settled = true;
      stopClock();
      signal?.removeEventListener('abort', onAbort);
      done(false, error);
    }
  }

  /** `#send` as a promise, for the pool's own statements (SET, ROLLBACK). */
  #run(text: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      this.#send(text, undefined, timeoutMs, signal, undefined, (ok, value) => {
        if (ok) resolve(value as QueryResult);
        else reject(value);
      });
    });
  }

  async #withStatementTimeout(
    statementTimeoutMs: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    text: string | QueryConfig,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult> {
    await this.#run(`SET statement_timeout = ${statementTimeoutMs}`, timeoutMs, signal);
    try {
      return await new Promise<QueryResult>((resolve, reject) => {
        this.#send(text, values, timeoutMs, signal, statementTimeoutMs, (ok, value) => {
          if (ok) resolve(value as QueryResult);
          else reject(value);
        });
      });
    } finally {
      // In a failed transaction ('E') SET is refused, and the ROLLBACK that must come next
      // undoes the SET above anyway.
      if (!this.#hasBroken && this.#client.getTransactionStatus() !== 'E') {
        const reset = `SET statement_timeout = ${this.#owner.statementTimeoutMs}`;
        await this.#run(reset, this.#owner.queryTimeoutMs, undefined).catch(() => {
          this.#discard = true;
        });
      }
    }
  }

  /** pg's error as the caller sees it, noting what it means for the connection. */
  #translate(error: unknown, statementTimeoutMs: number | undefined): unknown {
    // Released with this query still running (say `return client.query(…)` without await in
    // an `await using` block): the release closed the connection under it.
    if (this.#released && !this.#lost && isConnectionLoss(error)) {
      return new ClosedError('Pool client', this.#owner.name);
    }
    if (this.#lost || isConnectionLoss(error)) {
      const lost =
        this.#hasBroken && this.#lost
          ? this.#broken
          : new PoolConnectionError({ resource: this.#owner.name, phase: 'query', cause: error });
      this.#break(lost);
      this.#owner.clientLost(this.#client, error);
      return lost;
    }
    if (isStatementTimeout(error)) {
      return new TimeoutError({
        resource: this.#owner.name,
        operation: `Statement on pool "${this.#owner.name}" (statement_timeout)`,
        timeoutMs: statementTimeoutMs ?? this.#owner.statementTimeoutMs,
        cause: error,
      });
    }
    // Anything but a server error about the statement leaves the connection in doubt.
    if (!isStatementError(error)) this.#discard = true;
    return error;
  }

  #break(reason: unknown): void {
    if (!this.#hasBroken) {
      this.#hasBroken = true;
      this.#broken = reason;
    }
    if (this.#inFlight > 0) this.#cancel();
  }

  #cancel(): void {
    if (this.#cancelSent || this.#lost) return;
    this.#cancelSent = true;
    cancelBackend(this.#client);
  }
}

export function assertQueryOptions(options: QueryOptions): void {
  if (options.timeoutMs !== undefined) assertTimeoutMs('timeoutMs', options.timeoutMs);
  assertSignal('signal', options.signal);
  if (options.statementTimeoutMs !== undefined) {
    assertStatementTimeout('statementTimeoutMs', options.statementTimeoutMs);
  }
}

export function assertStatementTimeout(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new TypeError(
      `Expected \`${name}\` to be a whole number of milliseconds in [0, ${MAX_TIMER_MS}] (0 for none), ` + `got ${show(value)}`,
    );
  }
}

function toError(value: unknown, fallback: string): Error {
  return value instanceof Error ? value : new Error(fallback, { cause: value });
}
