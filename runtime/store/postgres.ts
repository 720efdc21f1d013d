/**
 * The PostgreSQL store: shared limits for every replica that reaches the same database.
 *
 * - Each limiter's state is one row (`<schema>.rate_limits`, `<schema>.semaphores`), changed by
 *   one atomic `INSERT … ON CONFLICT … DO UPDATE … RETURNING` per decision (postgres-sql.ts).
 * - Time is the server's `clock_timestamp()`.
 * - Semaphore permits are leases with an expiry; a crashed holder's permits come back once
 *   their lease runs out.
 * - Releases and resets `NOTIFY` a channel of the schema; one `LISTEN` connection per store
 *   wakes the waiters of that key.
 * - The schema and tables are created on first use under an advisory lock (or ahead of time by
 *   `bounded db init`), in their own schema (`bounded` by default).
 * - Queries go through a `BoundedPool` (createPool): a bounded number of connections, and a
 *   deadline on every call, past which the call rejects with `StoreUnavailableError`.
 */
import type pg from 'pg';
import { loadPg } from '../pool/load-pg.js';
import { ClosedError, StoreUnavailableError, TimeoutError, isTimeoutError } from '../errors.js';
import { assertTimeoutMs, show } from '../internal/validate.js';
import { isStatementError, isStatementTimeout } from '../pool/classify.js';
import type { BoundedPool } from '../pool/pool.js';
import { createPool } from '../pool/registry.js';
import { buildSql, quoteIdent, type Sql } from './postgres-sql.js';
import type {
  LeaseDecision,
  LeaseInfo,
  LimiterAlgorithm,
  LimiterDecision,
  SharedStore,
  StoreCallOptions,
  StoreConnectionOptions,
  StoreSubscription,
} from './types.js';

export interface PostgresStoreOptions extends Omit<StoreConnectionOptions, 'url'> {
  /** `postgres://…`. Required unless `pool` is given. */
  readonly url?: string | undefined;
  /** Schema that holds the tables. Default `namespace`, else `bounded`. */
  readonly schema?: string | undefined;
  /** Most connections for store calls (the LISTEN connection comes on top). Default 4. */
  readonly max?: number | undefined;
  /**
   * Use this pool instead of opening one (then `close()` leaves it open). Its own timeouts
   * apply under the store's `operationTimeoutMs`.
   */
  readonly pool?: BoundedPool | undefined;
  /** Create the schema and tables on first use when they are missing. Default true. */
  readonly createSchema?: boolean | undefined;
}

const DEFAULT_SCHEMA = 'bounded';
const DEFAULT_OPERATION_TIMEOUT_MS = 1_000;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** SQLSTATEs: the schema or a table is missing (dropped behind our back): create it again. */
const MISSING_OBJECT = new Set(['3F000', '42P01']);
/** SQLSTATE classes that say the server cannot serve now: insufficient resources, operator intervention. */
const UNAVAILABLE_CLASSES = ['53', '57'];

let storeCount = 0;

/**
 * A store on PostgreSQL for `TokenBucket`, `SlidingWindow` and `Semaphore` (`store` option).
 *
 * ```ts
 * const store = createPostgresStore({ url: process.env.DATABASE_URL! });
 * const openai = new SlidingWindow({ limit: 60, per: '1m', name: 'openai', store });
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}

export class PostgresStore implements SharedStore {
  readonly kind = 'postgres' as const;
  readonly description: string;
  readonly schema: string;
  readonly operationTimeoutMs: number;
  readonly #pool: BoundedPool;
  readonly #ownsPool: boolean;
  readonly #url: string | undefined;
  readonly #sql: Sql;
  readonly #channel: string;
  readonly #createSchema: boolean;
  /** Prefix of prepared-statement names; the schema is in it, so two stores never clash. */
  readonly #prepared: string;
  #ready: Promise<void> | undefined;
  #closed = false;

  // LISTEN/NOTIFY
  readonly #subscribers = new Map<string, Set<() => void>>();
  #listener: pg.Client | undefined;
  #listening: Promise<pg.Client> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectDelayMs = 250;

  constructor(options: PostgresStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object, got ${show(options)}`);
    }
    const schema = options.schema ?? options.namespace ?? DEFAULT_SCHEMA;
    if (typeof schema !== 'string' || !IDENTIFIER.test(schema)) {
      throw new TypeError(`Expected \`schema\` to be a lower-case SQL identifier (letters, digits, _; at most 63), got ${show(schema)}`);
    }
    const timeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    assertTimeoutMs('operationTimeoutMs', timeoutMs);
    if (options.pool === undefined && (typeof options.url !== 'string' || options.url === '')) {
      throw new TypeError(`Expected \`url\` (a postgres:// connection string) or \`pool\`, got ${show(options.url)}`);
    }
    const max = options.max ?? 4;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(`Expected \`max\` to be a positive integer, got ${show(max)}`);
    }
    this.schema = schema;
    this.operationTimeoutMs = timeoutMs;
    this.#url = options.url;
    this.#sql = buildSql(schema);
    this.#channel = `${schema}_wake`;
    this.#createSchema = options.createSchema ?? true;
    this.#prepared = `bounded_${schema}_`;
    this.#ownsPool = options.pool === undefined;
    this.#pool =
      options.pool ??
      createPool({
        name: `bounded-store-${schema}-${++storeCount}`,
        connectionString: options.url,
        min: 0,
        max,
        connectionTimeoutMillis: timeoutMs,
        query_timeout: timeoutMs,
        // The server gives up a little before the client does, so the connection survives.
        statement_timeout: Math.max(1, timeoutMs - 50),
        idleTimeoutMillis: 30_000,
        application_name: `bounded-store:${schema}`,
      });
    this.description = `postgres ${describeUrl(options.url)} schema ${schema}`;
  }

  /**
   * Creates the schema and tables when missing, under an advisory lock so that replicas
   * starting together do not race. Called on first use; `bounded db init` calls it ahead.
   */
  ensureSchema(options?: StoreCallOptions): Promise<void> {
    this.#ready ??= this.#create(options).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async tryAcquire(key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions): Promise<LimiterDecision> {
    assertKey(key);
    if (algorithm.kind === 'token-bucket') {
      const { rate, perMs, burst } = algorithm;
      const { rows } = await this.#run<TokenBucketRow>('tryAcquire', 'tb', this.#sql.tokenBucket, [key, rate, perMs, burst, cost], options);
      const row = rows[0]!;
      const pausedMs = Math.max(0, row.paused_until_ms - row.updated_ms);
      if (row.admitted) return { admitted: true, retryAfterMs: 0, remaining: floor(row.level), storeTime: row.updated_ms };
      const refillMs = cost > burst ? Number.POSITIVE_INFINITY : Math.max(0, ((cost - row.level) * perMs) / rate);
      return {
        admitted: false,
        retryAfterMs: Math.max(pausedMs, refillMs),
        remaining: pausedMs > 0 ? 0 : floor(row.level),
        storeTime: row.updated_ms,
      };
    }
    if (algorithm.kind === 'sliding-window') {
      const { limit, perMs } = algorithm;
      const { rows } = await this.#run<SlidingWindowRow>('tryAcquire', 'sw', this.#sql.slidingWindow, [key, limit, perMs, cost], options);
      const row = rows[0]!;
      const pausedMs = Math.max(0, row.paused_until_ms - row.updated_ms);
      const remaining = floor(limit - row.level);
      if (row.admitted) return { admitted: true, retryAfterMs: 0, remaining, storeTime: row.updated_ms };
      const windowMs = cost > limit ? Number.POSITIVE_INFINITY : Math.max(0, row.retry_ms ?? 0);
      return {
        admitted: false,
        retryAfterMs: Math.max(pausedMs, windowMs),
        remaining: pausedMs > 0 ? 0 : remaining,
        storeTime: row.updated_ms,
      };
    }
    throw new TypeError(
      `Expected \`algorithm.kind\` to be "token-bucket" or "sliding-window", got ${show((algorithm as { kind: unknown }).kind)}`,
    );
  }

  async penalize(key: string, ms: number, options?: StoreCallOptions): Promise<void> {
    assertKey(key);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`Expected \`ms\` to be a non-negative finite number, got ${show(ms)}`);
    }
    await this.#run('penalize', 'pen', this.#sql.penalize, [key, ms], options);
  }

  async reset(key: string, options?: StoreCallOptions): Promise<void> {
    assertKey(key);
    await this.#run('reset', 'reset', this.#sql.reset, [key, this.#channel], options);
  }

  async acquire(key: string, limit: number, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<LeaseDecision> {
    assertKey(key);
    assertHolder(holderId);
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`Expected \`limit\` to be a positive integer, got ${show(limit)}`);
    assertTimeoutMs('ttlMs', ttlMs);
    const { rows } = await this.#run<LeaseRow>('acquire', 'sa', this.#sql.semaphoreAcquire, [key, limit, holderId, ttlMs], options);
    const row = rows[0]!;
    return { acquired: row.acquired, holders: row.holders, retryAfterMs: row.acquired ? 0 : Math.max(0, row.retry_ms) };
  }

  async renew(key: string, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<boolean> {
    assertKey(key);
    assertHolder(holderId);
    assertTimeoutMs('ttlMs', ttlMs);
    const { rowCount } = await this.#run('renew', 'sr', this.#sql.semaphoreRenew, [key, holderId, ttlMs], options);
    return rowCount === 1;
  }

  async release(key: string, holderId: string, options?: StoreCallOptions): Promise<void> {
    assertKey(key);
    assertHolder(holderId);
    await this.#run('release', 'sx', this.#sql.semaphoreRelease, [key, holderId, this.#channel], options);
  }

  async holders(key: string, options?: StoreCallOptions): Promise<readonly LeaseInfo[]> {
    assertKey(key);
    const { rows } = await this.#run<{ holder_id: string; expires_in_ms: number }>(
      'holders',
      'sh',
      this.#sql.semaphoreHolders,
      [key],
      options,
    );
    return rows.map((row) => ({ holderId: row.holder_id, expiresInMs: row.expires_in_ms }));
  }

  async ping(options?: StoreCallOptions): Promise<void> {
    await this.#query('ping', undefined, 'SELECT 1', [], options);
  }

  async subscribe(key: string, onWake: () => void): Promise<StoreSubscription> {
    assertKey(key);
    if (typeof onWake !== 'function') throw new TypeError(`Expected \`onWake\` to be a function, got ${show(onWake)}`);
    if (this.#closed) throw new ClosedError('PostgresStore', this.schema);
    await this.#listen();
    let set = this.#subscribers.get(key);
    if (set === undefined) this.#subscribers.set(key, (set = new Set()));
    // A Set would merge two subscriptions of the same function: wrap it so each is its own.
    const entry = (): void => onWake();
    set.add(entry);
    return {
      unsubscribe: async () => {
        const current = this.#subscribers.get(key);
        current?.delete(entry);
        if (current?.size === 0) this.#subscribers.delete(key);
        if (this.#subscribers.size === 0) await this.#unlisten();
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscribers.clear();
    await this.#unlisten();
    if (this.#ownsPool) await this.#pool.close({ drainMs: this.operationTimeoutMs });
  }

  // --- queries -------------------------------------------------------------------------------

  async #run<R extends pg.QueryResultRow>(
    operation: string,
    statement: string,
    text: string,
    values: unknown[],
    options: StoreCallOptions | undefined,
  ): Promise<pg.QueryResult<R>> {
    if (this.#createSchema) await this.ensureSchema(options);
    try {
      return await this.#query<R>(operation, statement, text, values, options);
    } catch (error) {
      // The schema was dropped behind our back (a test, an operator): create it again once.
      if (!this.#createSchema || !MISSING_OBJECT.has(codeOf(error) ?? '')) throw error;
      this.#ready = undefined;
      await this.ensureSchema(options);
      return this.#query<R>(operation, statement, text, values, options);
    }
  }

  /** One query under the store's deadline, with failures to reach the server made `StoreUnavailableError`. */
  async #query<R extends pg.QueryResultRow>(
    operation: string,
    statement: string | undefined,
    text: string,
    values: unknown[],
    options: StoreCallOptions | undefined,
  ): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new ClosedError('PostgresStore', this.schema);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const timeoutMs = this.operationTimeoutMs;
    const config: pg.QueryConfig = statement === undefined ? { text } : { name: this.#prepared + statement, text };
    // One deadline for the whole call (waiting for a connection, opening it, the query): the
    // pool's own timeouts bound each part, this bounds their sum.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const forward = (): void => deadline.abort();
    signal?.addEventListener('abort', forward, { once: true });
    try {
      return await this.#pool.query<R>(config, values, { timeoutMs, signal: deadline.signal });
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      if (deadline.signal.aborted) {
        throw new StoreUnavailableError({ store: this.description, operation, timeoutMs, cause: error });
      }
      throw this.#classify(operation, error);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }

  #classify(operation: string, error: unknown): unknown {
    if (error instanceof StoreUnavailableError || error instanceof ClosedError) return error;
    if (isTimeoutError(error) || isStatementTimeout(error)) {
      return new StoreUnavailableError({ store: this.description, operation, timeoutMs: this.operationTimeoutMs, cause: error });
    }
    const code = codeOf(error);
    const unavailable = !isStatementError(error) || (code !== undefined && UNAVAILABLE_CLASSES.some((prefix) => code.startsWith(prefix)));
    return unavailable ? new StoreUnavailableError({ store: this.description, operation, cause: error }) : error;
  }

  async #create(options: StoreCallOptions | undefined): Promise<void> {
    const s = quoteIdent(this.schema);
    const present = await this.#query<{ ok: boolean }>(
      'create schema',
      undefined,
      `SELECT to_regclass('${s}.rate_limits') IS NOT NULL AND to_regclass('${s}.semaphores') IS NOT NULL AS ok`,
      [],
      options,
    );
    if (present.rows[0]?.ok === true) return;
    try {
      await this.#pool.transaction(
        async (client) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bounded:schema:${this.schema}`]);
          for (const statement of this.#sql.createSchema) await client.query(statement);
        },
        { timeoutMs: this.operationTimeoutMs * 5, ...(options?.signal === undefined ? {} : { signal: options.signal }) },
      );
    } catch (error) {
      if (options?.signal?.aborted === true) throw options.signal.reason;
      if (error instanceof TimeoutError) {
        throw new StoreUnavailableError({
          store: this.description,
          operation: 'create schema',
          timeoutMs: this.operationTimeoutMs * 5,
          cause: error,
        });
      }
      throw this.#classify('create schema', error);
    }
  }

  // --- LISTEN / NOTIFY ------------------------------------------------------------------------

  #listen(): Promise<pg.Client> {
    this.#listening ??= (async () => {
      const client = new (loadPg('createPostgresStore').Client)({
        ...(this.#ownsPool ? { connectionString: this.#url } : this.#poolConnection()),
        connectionTimeoutMillis: this.operationTimeoutMs,
        application_name: `bounded-store:${this.schema}:listen`,
      });
      client.on('error', () => this.#lost(client));
      client.on('end', () => this.#lost(client));
      client.on('notification', (message) => {
        if (message.channel !== this.#channel) return;
        this.#wake(message.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${quoteIdent(this.#channel)}`);
      } catch (error) {
        this.#listening = undefined;
        client.end().catch(() => undefined);
        throw this.#classify('subscribe', error);
      }
      this.#listener = client;
      this.#reconnectDelayMs = 250;
      return client;
    })();
    return this.#listening;
  }

  /**
   * Connection settings for the LISTEN connection beside a pool given by the caller: `url` when
   * given, else the pool's own server (not pg's environment defaults, which may name another).
   */
  #poolConnection(): pg.ClientConfig {
    return this.#url === undefined ? (this.#pool.connectionSettings() as pg.ClientConfig) : { connectionString: this.#url };
  }

  /** The LISTEN connection failed: reconnect while anyone listens, and wake them all (notifications may be lost). */
  #lost(client: pg.Client): void {
    if (this.#listener !== client) return;
    this.#listener = undefined;
    this.#listening = undefined;
    client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#subscribers.size === 0 || this.#reconnectTimer !== undefined) return;
    const delay = this.#reconnectDelayMs;
    this.#reconnectDelayMs = Math.min(5_000, delay * 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#listen().then(
        () => this.#wakeAll(),
        () => this.#scheduleReconnect(),
      );
    }, delay);
    this.#reconnectTimer.unref();
  }

  async #unlisten(): Promise<void> {
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const listening = this.#listening;
    this.#listening = undefined;
    this.#listener = undefined;
    const client = await listening?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  #wake(key: string | undefined): void {
    if (key === undefined) return;
    const set = this.#subscribers.get(key);
    if (set === undefined) return;
    for (const onWake of [...set]) callSafely(onWake);
  }

  #wakeAll(): void {
    for (const set of [...this.#subscribers.values()]) for (const onWake of [...set]) callSafely(onWake);
  }
}

interface TokenBucketRow {
  admitted: boolean;
  level: number;
  paused_until_ms: number;
  updated_ms: number;
}

interface SlidingWindowRow extends TokenBucketRow {
  retry_ms: number | null;
}

interface LeaseRow {
  acquired: boolean;
  holders: number;
  retry_ms: number;
}

function floor(value: number): number {
  return Math.max(0, Math.floor(value + 1e-9));
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw new TypeError(`Expected \`key\` to be a non-empty string, got ${show(key)}`);
}

function assertHolder(holderId: unknown): asserts holderId is string {
  if (typeof holderId !== 'string' || holderId === '') {
    throw new TypeError(`Expected \`holderId\` to be a non-empty string, got ${show(holderId)}`);
  }
}

/** A listener that throws must not stop the others: its error surfaces on a later microtask. */
function callSafely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** host:port/database of a connection string, without credentials. */
function describeUrl(url: string | undefined): string {
  if (url === undefined) return '(pool)';
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, '');
    return `${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}${database === '' ? '' : `/${database}`}`;
  } catch {
    return '(connection string)';
  }
}
