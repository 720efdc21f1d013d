import type pg from 'pg';
import { loadPg } from './load-pg.js';
import type { PoolClient, PoolConfig, QueryConfig, QueryResult, QueryResultRow } from './pg-types.js';
import { DEFAULT_POLICY } from '@bounded/policy/core';
import { ClosedError, LoadShedError, QueueFullError, TimeoutError } from '../errors.js';
import { Listeners, type Listener, type Subscription } from '../internal/events.js';
import { assertFunction, assertQueueBound, assertSignal, assertTimeoutMs, MAX_TIMER_MS, show } from '../internal/validate.js';
import { ServiceRate } from '../internal/service-rate.js';
import { WaiterQueue, type Ticket } from '../internal/waiter-queue.js';
import { withTimeout } from '../timeout.js';
import { assertQueryOptions, assertStatementTimeout, Lease, type LeaseOwner, type PooledClient, type QueryOptions } from './client.js';
import { isConnectTimeout, isRetryableTransactionError } from './classify.js';
import { DeadlineList, type DeadlineEntry } from './deadlines.js';
import { PoolConnectionError } from './errors.js';
import { SlidingSample } from '../internal/sample.js';
import type {
  AcquireClientOptions,
  BoundedPoolConfig,
  ClientTask,
  IsolationLevel,
  PoolAcquireEvent,
  PoolCloseOptions,
  PoolErrorEvent,
  PoolHealth,
  PoolRejectionEvent,
  PoolReleaseEvent,
  PoolState,
  PoolStats,
  TransactionOptions,
  WithClientOptions,
} from './types.js';

const ISOLATION: Readonly<Record<IsolationLevel, string>> = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

const WAIT_SAMPLE_SIZE = 1024;
const REFILL_BACKOFF_MS = { first: 100, max: 5_000 };

/** Settles a checkout: the lease, or (lease undefined) why there is none. Called once. */
type CheckoutDone = (lease: Lease | undefined, error: unknown) => void;

const noop = (): void => {};

/** A caller waiting for a connection, in the pool's FIFO queue. */
class Waiter implements Ticket {
  cancelled = false;
  readonly done: CheckoutDone;
  readonly started: number;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
  deadline: DeadlineEntry | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;

  constructor(done: CheckoutDone, started: number, signal: AbortSignal | undefined, timeoutMs: number) {
    this.done = done;
    this.started = started;
    this.signal = signal;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A PostgreSQL pool over pg's Pool that stays inside its limits: at most `max` connections,
 * a bounded FIFO wait for one, a timeout on every query, clients released on every path,
 * failed connections destroyed and replaced. Create it with `createPool` or `getPool`.
 *
 * pg's Pool opens, keeps and closes the connections; this class decides who gets one. Callers
 * beyond `max` wait here (never in pg's queue), and a client given back while callers wait
 * goes straight to the first of them.
 *
 * ```ts
 * const db = createPool({ name: 'main', connectionString: process.env.DATABASE_URL });
 * const { rows } = await db.query('select * from users where id = $1', [id]);
 * await db.transaction(async (tx) => { … }, { isolation: 'serializable', retries: 3 });
 * ```
 */
/** What `connectionSettings()` copies: where connections go, never how many or for how long. */
const SERVER_SETTINGS = [
  'connectionString',
  'host',
  'port',
  'user',
  'password',
  'database',
  'ssl',
  'sslnegotiation',
  'enableChannelBinding',
  'stream',
  'options',
  'client_encoding',
] as const;

export class BoundedPool implements AsyncDisposable {
  readonly name: string;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly #pg: pg.Pool;
  readonly #onClose: (pool: BoundedPool) => void;
  /** What leases report back through; kept off the pool's public surface. */
  readonly #owner: LeaseOwner;
  #min: number;
  #max: number;
  readonly #maxQueue: number;
  /**
   * Hand a returned client straight to the next waiter. Off when pg must see every release:
   * its `maxUses` and `maxLifetimeSeconds` are checked there.
   */
  readonly #handOff: boolean;

  /** Connection slots taken: clients checked out, plus connections being handed over or opened. */
  #out = 0;
  /** Clients checked out to callers. */
  readonly #leases = new Set<Lease>();
  /** Callers whose connection pg is handing over or opening. */
  #connecting = 0;
  readonly #queue = new WaiterQueue();
  /** How fast waiters get connections while some wait: the expected wait that sheds a newcomer. */
  readonly #rate = new ServiceRate();
  /** Deadlines of waits under the default `connectionTimeoutMillis`: one timer for them all. */
  readonly #waitDeadlines: DeadlineList;
  /** Connections pg opened and has not finished closing (its 'connect' and 'remove' events). */
  #open = 0;
  #onAllClosed: (() => void) | undefined;
  #closed = false;
  /** Set once close() passed its drain deadline: nothing is handed out any more. */
  #shut = false;
  #closing: Promise<void> | undefined;
  #idleWaiters: (() => void)[] = [];

  #refilling = false;
  #refillTimer: ReturnType<typeof setTimeout> | undefined;
  #refillFailures = 0;

  readonly #waits = new SlidingSample(WAIT_SAMPLE_SIZE);
  #acquired = 0;
  #errors = 0;
  #timeouts = 0;
  #destroyed = 0;
  /** Clients whose connection failure was counted already (a loss can surface more than once). */
  readonly #lost = new WeakSet<PoolClient>();

  readonly #errorListeners = new Listeners<PoolErrorEvent>();
  readonly #acquireListeners = new Listeners<PoolAcquireEvent>();
  readonly #releaseListeners = new Listeners<PoolReleaseEvent>();
  readonly #saturatedListeners = new Listeners<PoolState>();
  readonly #rejectedListeners = new Listeners<PoolRejectionEvent>();

  /** @internal Use `createPool` or `getPool`. */
  constructor(config: BoundedPoolConfig, onClose: (pool: BoundedPool) => void) {
    const defaults = DEFAULT_POLICY.defaults.timeouts;
    const {
      name = 'default',
      max = DEFAULT_POLICY.pool.max,
      maxQueue = Number.POSITIVE_INFINITY,
      connectionTimeoutMillis = defaults.dbConnect,
      idleTimeoutMillis = defaults.dbIdle,
      statement_timeout: statementTimeout = defaults.dbStatement,
      query_timeout: queryTimeout = defaults.dbQuery,
      ...rest
    } = config;
    const min = config.min ?? Math.min(DEFAULT_POLICY.pool.min, max);
    assertName(name);
    assertMax(max);
    if (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > max) {
      throw new TypeError(`Expected \`min\` to be an integer from 0 to max (${max}), got ${show(min)}`);
    }
    assertQueueBound('maxQueue', maxQueue);
    assertTimeoutMs('connectionTimeoutMillis', connectionTimeoutMillis);
    if (idleTimeoutMillis !== 0) assertTimeoutMs('idleTimeoutMillis', idleTimeoutMillis);
    const statementTimeoutMs = statementTimeout === false ? 0 : statementTimeout;
    assertStatementTimeout('statement_timeout', statementTimeoutMs);
    assertTimeoutMs('query_timeout', queryTimeout);

    this.name = name;
    this.#min = min;
    this.#max = max;
    this.#maxQueue = maxQueue;
    this.connectTimeoutMs = connectionTimeoutMillis;
    this.statementTimeoutMs = statementTimeoutMs;
    this.queryTimeoutMs = queryTimeout;
    this.#handOff = !config.maxUses && !config.maxLifetimeSeconds;
    this.#waitDeadlines = new DeadlineList(connectionTimeoutMillis);
    this.#onClose = onClose;
    this.#owner = {
      name,
      queryTimeoutMs: queryTimeout,
      statementTimeoutMs,
      deadlines: new DeadlineList(queryTimeout),
      giveBack: (lease, client, reason) => this.#giveBack(lease, client, reason),
      clientLost: (client, error) => this.#countLoss(client, error, 'in-use'),
      queryTimedOut: () => {
        this.#timeouts++;
      },
    };
    // Callers never wait in pg's queue, so pg's pool needs no connection timeout of its own
    // (it would start a timer for every checkout): the client bounds opening a connection.
    const driver = loadPg('createPool');
    const Base = (rest.Client ?? driver.Client) as unknown as new (options: object) => pg.ClientBase;
    class Client extends Base {
      constructor(options: object) {
        super({ ...options, connectionTimeoutMillis });
      }
    }
    // query_timeout stays with us: pg's own leaves the connection busy with the abandoned query.
    this.#pg = new driver.Pool({
      ...(rest as pg.PoolConfig),
      Client: Client as unknown as new () => pg.ClientBase,
      min,
      max,
      idleTimeoutMillis,
      statement_timeout: statementTimeoutMs === 0 ? false : statementTimeoutMs,
      application_name: config.application_name ?? `bounded:${name}`,
    });
    // Idle clients whose connection fails are removed by pg; without a listener the 'error'
    // event would crash the process.
    this.#pg.on('error', (error, client) => this.#countLoss(client, error, 'idle'));
    this.#pg.on('connect', () => {
      this.#open++;
    });
    this.#pg.on('remove', () => {
      if (--this.#open === 0) this.#onAllClosed?.();
      this.#maybeRefill();
    });
    this.#maybeRefill();
  }

  /**
   * Where the pool's connections go, as pg takes it: the server, database, user and TLS settings
   * it was created with (`connectionString`, `host`, `port`, `user`, `password`, `database`,
   * `ssl`, `options`), and nothing of its sizing or timeouts. For a connection of one's own to the
   * same server, e.g. a LISTEN connection (which must not hold a pooled one).
   */
  connectionSettings(): PoolConfig {
    const options = this.#pg.options as pg.PoolConfig;
    const settings: PoolConfig = {};
    for (const key of SERVER_SETTINGS) {
      if (options[key] !== undefined) (settings as Record<string, unknown>)[key] = options[key];
    }
    return settings;
  }

  /** Most connections open at once. */
  get max(): number {
    return this.#max;
  }

  /** Connections kept open even when idle. */
  get min(): number {
    return this.#min;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Changes `max` live (and lowers `min` to it if needed). Growing lets waiters in at once.
   * Shrinking never takes a checked-out client away: connections above the new max are
   * closed as they come back.
   */
  resize(max: number): void {
    assertMax(max);
    this.#max = max;
    this.#min = Math.min(this.#min, max);
    this.#pg.options.max = max;
    this.#pg.options.min = this.#min;
    this.#pump();
  }

  /**
   * Runs one query on a client checked out for it, and gives the client back however the
   * query ends. Waiting for the client is bounded by `connectionTimeoutMillis`; the query by
   * `options.timeoutMs` (default `query_timeout`) and `statement_timeout`.
   */
  query<R extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>> {
    // One promise for checkout, query and release: this is the hot path.
    return new Promise<QueryResult<R>>((resolve, reject) => {
      // Bad options fail here, before the call takes a place in the queue.
      if (options !== undefined) assertQueryOptions(options);
      this.#checkout(options?.signal, this.connectTimeoutMs, (lease, error) => {
        if (lease === undefined) {
          reject(error);
          return;
        }
        lease.run(text, values, options, (ok, value) => {
          lease.release();
          if (ok) resolve(value as QueryResult<R>);
          else reject(value);
        });
      });
    });
  }

  /**
   * Checks out a client. Give it back with `release()`, or hold it with `await using`.
   * Rejects with `TimeoutError` after `timeoutMs`, `QueueFullError` when `maxQueue` callers
   * already wait, `ClosedError` once the pool is closed, `PoolConnectionError` when no
   * connection can be opened.
   */
  acquire(options?: AcquireClientOptions): Promise<PooledClient> {
    try {
      assertSignal('signal', options?.signal);
      if (options?.timeoutMs !== undefined) assertTimeoutMs('timeoutMs', options.timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lease(options?.signal, options?.timeoutMs ?? this.connectTimeoutMs);
  }

  /** Runs `fn` with a checked-out client and gives the client back however `fn` ends. */
  withClient<T>(fn: ClientTask<T>, options?: WithClientOptions): Promise<Awaited<T>> {
    try {
      assertFunction('fn', fn);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#scoped(fn, options, `withClient on pool "${this.name}"`);
  }

  /**
   * Runs `fn` inside BEGIN … COMMIT on one client. When `fn` throws, or anything fails, the
   * transaction is rolled back and the client given back (or destroyed if it cannot be).
   * With `retries`, serialization failures and deadlocks run the whole transaction again.
   */
  async transaction<T>(fn: ClientTask<T>, options: TransactionOptions = {}): Promise<Awaited<T>> {
    assertFunction('fn', fn);
    const { isolation, readOnly = false, retries = 0, signal, timeoutMs } = options;
    if (isolation !== undefined && !Object.hasOwn(ISOLATION, isolation)) {
      const levels = Object.keys(ISOLATION)
        .map((level) => `"${level}"`)
        .join(', ');
      throw new TypeError(`Expected \`isolation\` to be one of ${levels}, got ${show(isolation)}`);
    }
    if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) {
      throw new TypeError(`Expected \`retries\` to be a non-negative integer, got ${show(retries)}`);
    }
    assertSignal('signal', signal);
    if (timeoutMs !== undefined) assertTimeoutMs('timeoutMs', timeoutMs);
    let begin = 'BEGIN';
    if (isolation !== undefined) begin += ` ISOLATION LEVEL ${ISOLATION[isolation]}`;
    if (readOnly) begin += ' READ ONLY';
    const label = `Transaction on pool "${this.name}"`;
    const expiresAt = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;

    const attempt = async (client: PooledClient, scope: AbortSignal | undefined): Promise<Awaited<T>> => {
      const lease = client as Lease;
      await lease.query(begin);
      let result: Awaited<T>;
      try {
        result = await fn(lease, scope);
      } catch (error) {
        await lease.rollback();
        throw error;
      }
      const commit = await lease.query('COMMIT');
      // COMMIT of a transaction in which a statement failed (and fn caught it) rolls back.
      if (commit.command === 'ROLLBACK') {
        throw new Error(`${label} was rolled back by the server: a statement in it failed and fn carried on`);
      }
      return result;
    };

    for (let tries = 0; ; tries++) {
      let remaining: number | undefined;
      if (expiresAt !== undefined) {
        remaining = Math.ceil(expiresAt - performance.now());
        if (remaining <= 0) {
          throw new TimeoutError({ resource: this.name, operation: label, timeoutMs: timeoutMs! });
        }
      }
      try {
        return await this.#scoped(attempt, { signal, timeoutMs: remaining }, label, timeoutMs);
      } catch (error) {
        if (tries >= retries || !isRetryableTransactionError(error) || signal?.aborted) throw error;
      }
      await delay(Math.min(1_000, 10 * 2 ** tries) * (0.5 + Math.random()), signal);
    }
  }

  /** Counts and wait-time percentiles, for dashboards and the monitor. */
  stats(): PoolStats {
    return {
      ...this.#state(),
      min: this.#min,
      acquireWaitMs: this.#waits.percentiles(),
      acquired: this.#acquired,
      errors: this.#errors,
      timeouts: this.#timeouts,
      destroyed: this.#destroyed,
    };
  }

  /**
   * A `select 1` within `timeoutMs` (default `connectionTimeoutMillis`). Never queues behind
   * other callers: through the pool when a slot is free and nobody waits, else on a connection
   * of its own to the same server, closed right after (so a saturated pool still says whether
   * its server answers; `stats` says how saturated). Never rejects: the result says whether it
   * worked.
   */
  async health(options?: { timeoutMs?: number }): Promise<PoolHealth> {
    const timeoutMs = options?.timeoutMs ?? this.connectTimeoutMs;
    assertTimeoutMs('timeoutMs', timeoutMs);
    const started = performance.now();
    const via = this.#out < this.#max && this.#queue.size === 0 && !this.#closed ? 'pool' : 'connection';
    try {
      await withTimeout(
        async (signal) => {
          if (via === 'pool') await this.query('select 1', undefined, { signal, timeoutMs });
          else await this.#probe(timeoutMs);
        },
        timeoutMs,
        { name: `Health check of pool "${this.name}"` },
      );
      return { ok: true, via, latencyMs: performance.now() - started, stats: this.stats() };
    } catch (error) {
      return { ok: false, via, latencyMs: performance.now() - started, error, stats: this.stats() };
    }
  }

  /** `select 1` on a connection of its own to the pool's server, closed however it ends. */
  async #probe(timeoutMs: number): Promise<void> {
    const options = this.#pg.options as pg.PoolConfig;
    // A health check beside the pool, on purpose: it must not wait for one of its connections.
    // eslint-disable-next-line bounded/no-per-call-connection
    const client = new (loadPg('createPool').Client)({
      ...(this.connectionSettings() as pg.ClientConfig),
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      application_name: `${options.application_name ?? `bounded:${this.name}`}:health`,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Resolves when no client is out, nobody waits and no connection is being opened. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Refuses new work at once (`ClosedError`), lets in-flight work finish for up to `drainMs`,
   * then refuses the callers still waiting, destroys the clients still out, and closes every
   * connection. Calling it again returns the same promise.
   */
  close(options?: PoolCloseOptions): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const drainMs = options?.drainMs ?? this.queryTimeoutMs;
    if (drainMs !== 0) assertTimeoutMs('drainMs', drainMs);
    this.#closed = true;
    this.#onClose(this);
    clearTimeout(this.#refillTimer);
    this.#refillTimer = undefined;
    this.#closing = this.#shutdown(drainMs);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Called for every connection failure: opening one, a checked-out one, an idle one. */
  onError(listener: Listener<PoolErrorEvent>): Subscription {
    return this.#errorListeners.add(listener);
  }

  /** Called for every checkout, with the time the caller waited. */
  onAcquire(listener: Listener<PoolAcquireEvent>): Subscription {
    return this.#acquireListeners.add(listener);
  }

  /** Called for every client given back, destroyed or not. */
  onRelease(listener: Listener<PoolReleaseEvent>): Subscription {
    return this.#releaseListeners.add(listener);
  }

  /** Called each time the last of `max` connections is checked out. */
  onSaturated(listener: Listener<PoolState>): Subscription {
    return this.#saturatedListeners.add(listener);
  }

  /** Called for every caller refused a connection: queue full, shed, timed out, aborted or closed. */
  onRejected(listener: Listener<PoolRejectionEvent>): Subscription {
    return this.#rejectedListeners.add(listener);
  }

  // --- checkout ---------------------------------------------------------------------------

  #lease(signal: AbortSignal | undefined, timeoutMs: number): Promise<Lease> {
    return new Promise<Lease>((resolve, reject) => {
      this.#checkout(signal, timeoutMs, (lease, error) => {
        if (lease === undefined) reject(error);
        else resolve(lease);
      });
    });
  }

  /** Checks out a client for the caller: at once when a slot is free, else after a FIFO wait. */
  #checkout(signal: AbortSignal | undefined, timeoutMs: number, done: CheckoutDone): void {
    if (this.#closed) {
      this.#rejected('closed');
      done(undefined, new ClosedError('Pool', this.name));
      return;
    }
    if (signal?.aborted) {
      done(undefined, signal.reason);
      return;
    }
    const started = performance.now();
    if (this.#out < this.#max && this.#queue.size === 0) {
      // A free slot: pg has an idle client or room to open one (bounded by its own
      // connectionTimeoutMillis), so no timer of ours is needed.
      this.#out++;
      this.#connect(started, signal, undefined, done);
      return;
    }
    if (this.#queue.size >= this.#maxQueue) {
      this.#rejected('queue-full');
      done(
        undefined,
        new QueueFullError({
          kind: 'Pool',
          resource: this.name,
          limit: this.#max,
          maxQueue: this.#maxQueue,
          inUse: this.#leases.size,
          waiting: this.#queue.size,
        }),
      );
      return;
    }
    const expectedWaitMs = this.#rate.expectedWait(this.#queue.size, started);
    if (expectedWaitMs > timeoutMs) {
      this.#rejected('shed');
      done(
        undefined,
        new LoadShedError({
          kind: 'Pool',
          resource: this.name,
          limit: `max ${this.#max}`,
          expectedWaitMs,
          remainingMs: timeoutMs,
          waiting: this.#queue.size,
        }),
      );
      return;
    }
    const waiter = new Waiter(done, started, signal, timeoutMs);
    const expire = (): void => this.#giveUpWaiting(waiter, undefined);
    if (timeoutMs === this.#waitDeadlines.timeoutMs) waiter.deadline = this.#waitDeadlines.add(expire);
    else waiter.timer = setTimeout(expire, timeoutMs);
    if (signal !== undefined) {
      waiter.onAbort = () => this.#giveUpWaiting(waiter, signal);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    this.#queue.push(undefined, noop, noop, waiter);
    this.#rate.queued(started);
  }

  #rejected(reason: PoolRejectionEvent['reason']): void {
    if (this.#rejectedListeners.active) this.#rejectedListeners.emit({ ...this.#state(), reason });
  }

  /** A waiter's deadline passed (`signal` undefined) or its signal aborted. */
  #giveUpWaiting(waiter: Waiter, signal: AbortSignal | undefined): void {
    if (waiter.cancelled) return;
    waiter.cancelled = true;
    this.#stopWaiting(waiter);
    this.#queue.cancelled();
    if (this.#queue.size === 0) this.#rate.emptied();
    this.#rejected(signal === undefined ? 'timeout' : 'abort');
    if (signal !== undefined) {
      waiter.done(undefined, signal.reason);
    } else {
      this.#timeouts++;
      waiter.done(undefined, this.#waitTimeout(waiter.timeoutMs));
    }
    this.#settled();
  }

  #stopWaiting(waiter: Waiter): void {
    if (waiter.deadline !== undefined) this.#waitDeadlines.remove(waiter.deadline);
    else clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
  }

  /** The next live waiter, no longer waiting; undefined when nobody waits. */
  #nextWaiter(): Waiter | undefined {
    if (!this.#queue.shift()) return undefined;
    this.#rate.handedOff(performance.now(), this.#queue.size);
    const waiter = this.#queue.ticket as Waiter;
    this.#stopWaiting(waiter);
    return waiter;
  }

  /** Serves waiters while slots are free (after a release, a failed connect, a resize). */
  #pump(): void {
    while (this.#out < this.#max && this.#queue.size > 0 && !this.#shut) {
      const waiter = this.#nextWaiter()!;
      this.#out++;
      this.#connect(waiter.started, waiter.signal, waiter.timeoutMs, waiter.done);
    }
  }

  /**
   * Gets a client from pg for a caller that holds a slot; frees the slot if that fails or the
   * caller quits. `deadlineMs` (from `started`) bounds it when the caller already waited.
   */
  #connect(started: number, signal: AbortSignal | undefined, deadlineMs: number | undefined, done: CheckoutDone): void {
    if (signal?.aborted) {
      this.#freeSlot();
      done(undefined, signal.reason);
      return;
    }
    // pg hands out an idle client at once; only opening a new one takes time, which pg bounds
    // by connectionTimeoutMillis. After a wait, what is left of the deadline is less than that.
    let remaining: number | undefined;
    if (deadlineMs !== undefined && this.#pg.idleCount === 0) {
      remaining = deadlineMs - (performance.now() - started);
    }
    this.#connecting++;
    if (signal === undefined && remaining === undefined) {
      this.#pg.connect((error, client) => {
        this.#connecting--;
        if (error) done(undefined, this.#connectFailed(error));
        else this.#hand(client!, started, done);
      });
      return;
    }

    let gaveUp = false;
    const giveUp = (reason: unknown): void => {
      if (gaveUp) return;
      gaveUp = true;
      done(undefined, reason);
    };
    const onAbort = (): void => giveUp(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      remaining === undefined
        ? undefined
        : setTimeout(
            () => {
              this.#timeouts++;
              giveUp(this.#waitTimeout(deadlineMs!));
            },
            Math.max(0, remaining),
          );
    this.#pg.connect((error, client) => {
      this.#connecting--;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        const failure = this.#connectFailed(error);
        if (!gaveUp) done(undefined, failure);
      } else if (!gaveUp) {
        this.#hand(client!, started, done);
      } else {
        // The caller left while pg was connecting: the client is healthy, keep it.
        client!.release();
        this.#freeSlot();
      }
    });
  }

  /** Turns pg's client into the caller's lease (or refuses it: the pool shut meanwhile). */
  #hand(client: PoolClient, started: number, done: CheckoutDone): void {
    if (this.#shut) {
      client.release();
      this.#freeSlot();
      done(undefined, new ClosedError('Pool', this.name));
      return;
    }
    const now = performance.now();
    const waitMs = now - started;
    this.#waits.add(waitMs);
    this.#acquired++;
    const lease = new Lease(this.#owner, client, now);
    this.#leases.add(lease);
    if (this.#acquireListeners.active) this.#acquireListeners.emit({ ...this.#state(), waitMs });
    if (this.#leases.size === this.#max && this.#saturatedListeners.active) {
      this.#saturatedListeners.emit(this.#state());
    }
    done(lease, undefined);
  }

  /** A lease gave its client back; `reason` set means destroy it. */
  #giveBack(lease: Lease, client: PoolClient, reason: Error | undefined): void {
    this.#leases.delete(lease);
    if (reason !== undefined) this.#destroyed++;
    if (this.#releaseListeners.active) {
      this.#releaseListeners.emit({
        ...this.#state(),
        heldMs: performance.now() - lease.acquiredAt,
        destroyed: reason !== undefined,
      });
    }
    // After resize() shrank the pool, connections coming back above max are closed.
    if (reason === undefined && this.#pg.totalCount > this.#max) {
      reason = new Error(`Pool "${this.name}" shrank to max ${this.#max}`);
      this.#destroyed++;
    }
    // A healthy client goes straight to the first waiter: no trip through pg's idle list.
    if (reason === undefined && this.#handOff && this.#out <= this.#max && !this.#shut) {
      const waiter = this.#nextWaiter();
      if (waiter !== undefined) {
        this.#hand(client, waiter.started, waiter.done);
        return;
      }
    }
    // pg closes a client released with an error instead of keeping it.
    client.release(reason);
    this.#freeSlot();
  }

  #freeSlot(): void {
    this.#out--;
    this.#pump();
    this.#settled();
  }

  #connectFailed(error: unknown): unknown {
    let failure: unknown;
    if (isConnectTimeout(error)) {
      this.#timeouts++;
      failure = new TimeoutError({
        resource: this.name,
        operation: `Opening a connection for pool "${this.name}" (connectionTimeoutMillis)`,
        timeoutMs: this.connectTimeoutMs,
        cause: error,
      });
    } else {
      failure = new PoolConnectionError({ resource: this.name, phase: 'connect', cause: error });
    }
    this.#errors++;
    if (this.#errorListeners.active) this.#errorListeners.emit({ name: this.name, phase: 'connect', error });
    this.#freeSlot();
    return failure;
  }

  #waitTimeout(timeoutMs: number): TimeoutError {
    return new TimeoutError({
      resource: this.name,
      operation: `Waiting for a connection from pool "${this.name}" (max ${this.#max})`,
      timeoutMs,
    });
  }

  /** Checks out a client for `fn` and gives it back however `fn` ends, within a scope. */
  async #scoped<T>(
    fn: ClientTask<T>,
    options: WithClientOptions | undefined,
    label: string,
    reportedTimeoutMs = options?.timeoutMs,
  ): Promise<Awaited<T>> {
    const signal = options?.signal;
    const timeoutMs = options?.timeoutMs;
    assertSignal('signal', signal);
    if (timeoutMs !== undefined) assertTimeoutMs('timeoutMs', timeoutMs);
    if (signal === undefined && timeoutMs === undefined) {
      const lease = await this.#lease(undefined, this.connectTimeoutMs);
      try {
        return await fn(lease, undefined);
      } finally {
        lease.release();
      }
    }

    // One scope for waiting, connecting and fn: it aborts with the caller or at the deadline.
    const scope = new AbortController();
    const forward = (): void => scope.abort(signal!.reason);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        this.#timeouts++;
        const timeout = new TimeoutError({ resource: this.name, operation: label, timeoutMs: reportedTimeoutMs! });
        scope.abort(timeout);
      }, timeoutMs);
    }
    if (signal?.aborted) scope.abort(signal.reason);
    else signal?.addEventListener('abort', forward, { once: true });
    try {
      const lease = await this.#lease(scope.signal, this.connectTimeoutMs);
      lease.scope(scope.signal);
      return await new Promise<Awaited<T>>((resolve, reject) => {
        const onAbort = (): void => {
          lease.abandon(scope.signal.reason);
          reject(scope.signal.reason);
        };
        scope.signal.addEventListener('abort', onAbort, { once: true });
        const done = (): void => {
          scope.signal.removeEventListener('abort', onAbort);
          lease.release();
        };
        // fn may go on after an abort; what it does then fails fast on the abandoned client.
        Promise.resolve()
          .then(() => fn(lease, scope.signal))
          .then(
            (value) => {
              done();
              resolve(value as Awaited<T>);
            },
            (error: unknown) => {
              done();
              reject(error);
            },
          );
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }

  // --- health of the connections ----------------------------------------------------------

  #countLoss(client: PoolClient, error: unknown, phase: 'in-use' | 'idle'): void {
    if (this.#lost.has(client)) return;
    this.#lost.add(client);
    this.#errors++;
    if (this.#errorListeners.active) this.#errorListeners.emit({ name: this.name, phase, error });
  }

  /** Opens connections until `min` are open (or opening), unless callers are already at it. */
  #maybeRefill(): void {
    if (this.#closed || this.#refilling || this.#refillTimer !== undefined) return;
    if (this.#pg.totalCount >= this.#min) return;
    void this.#refill();
  }

  async #refill(): Promise<void> {
    // pg detaches its own error listener from a checked-out client: hold each one with ours,
    // and hand back a function that gives it back (destroyed if its connection failed).
    const guard = (client: PoolClient): (() => void) => {
      let lost: unknown;
      const onError = (error: unknown): void => {
        lost ??= error;
        this.#countLoss(client, error, 'idle');
      };
      client.on('error', onError);
      return () => {
        const reason = lost === undefined ? undefined : new Error('Connection lost while idle', { cause: lost });
        client.release(reason);
        client.removeListener('error', onError);
      };
    };
    this.#refilling = true;
    try {
      while (!this.#closed) {
        const missing = this.#min - this.#pg.totalCount;
        // Waiting callers open connections themselves.
        if (missing <= 0 || this.#queue.size > 0) return;
        // pg hands out idle clients before it opens new ones: to open `missing` new ones, take
        // every idle client as well, for the moment it takes.
        const wanted = Math.min(this.#pg.idleCount + missing, this.#max - this.#out);
        if (wanted <= 0) return;
        this.#out += wanted;
        // eslint-disable-next-line bounded/no-unbounded-concurrency -- at most max - out: the pool's own limit
        const results = await Promise.allSettled(Array.from({ length: wanted }, () => this.#pg.connect().then(guard)));
        let failure: unknown;
        let failed = false;
        for (const result of results) {
          if (result.status === 'fulfilled') result.value();
          else if (!failed) {
            failed = true;
            failure = result.reason;
          }
        }
        this.#out -= wanted;
        this.#pump();
        if (failed) {
          this.#errors++;
          if (this.#errorListeners.active) {
            this.#errorListeners.emit({ name: this.name, phase: 'connect', error: failure });
          }
          const backoff = Math.min(REFILL_BACKOFF_MS.max, REFILL_BACKOFF_MS.first * 2 ** this.#refillFailures++);
          this.#refillTimer = setTimeout(
            () => {
              this.#refillTimer = undefined;
              this.#maybeRefill();
            },
            backoff * (0.5 + Math.random()),
          );
          this.#refillTimer.unref?.();
          return;
        }
        this.#refillFailures = 0;
      }
    } finally {
      this.#refilling = false;
      this.#settled();
    }
  }

  // --- bookkeeping ------------------------------------------------------------------------

  #state(): PoolState {
    return {
      name: this.name,
      max: this.#max,
      total: this.#pg.totalCount,
      idle: this.#pg.idleCount,
      inUse: this.#leases.size,
      waiting: this.#queue.size + this.#connecting,
    };
  }

  #isIdle(): boolean {
    return this.#out === 0 && this.#queue.size === 0 && !this.#refilling;
  }

  /** Something finished: wake `whenIdle()` callers, top the pool up to `min`. */
  #settled(): void {
    if (this.#idleWaiters.length > 0 && this.#isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
    if (this.#pg.totalCount < this.#min) this.#maybeRefill();
  }

  async #shutdown(drainMs: number): Promise<void> {
    if (!this.#isIdle() && drainMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#shut = true;
    const closed = new ClosedError('Pool', this.name);
    for (let waiter = this.#nextWaiter(); waiter !== undefined; waiter = this.#nextWaiter()) {
      this.#rejected('closed');
      waiter.done(undefined, closed);
    }
    this.#rate.emptied();
    for (const lease of [...this.#leases]) lease.abandon(closed);
    await this.#pg.end();
    // pg's end() resolves once its list is empty; wait for the sockets to close as well
    // (bounded: a connection to a vanished server may never say goodbye).
    if (this.#open > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#onAllClosed = resolve;
        timer = setTimeout(resolve, Math.max(1_000, this.connectTimeoutMs));
      });
      clearTimeout(timer);
    }
  }
}

function assertMax(max: unknown): asserts max is number {
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    throw new TypeError(`Expected \`max\` to be a positive integer, got ${show(max)}`);
  }
}

export function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${show(name)}`);
  }
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
