/**
 * The store interface behind shared limits. A `TokenBucket`, `SlidingWindow` or `Semaphore`
 * given a `store` keeps its state there instead of in process memory, so every replica that
 * names the same limit with the same store shares one limit.
 *
 * # Semantics every store must honour
 *
 * - **One atomic step per decision.** `tryAcquire`, `acquire`, `renew` and `release` each read
 *   and change the state in one atomic operation on the store (one SQL statement, one Lua
 *   script): two callers racing for the last unit never both get it. No read-modify-write
 *   across round trips.
 * - **The store's clock, not the callers'.** Refill, window expiry, penalties and lease expiry
 *   are computed from the store's own clock (PostgreSQL `clock_timestamp()`, Redis `TIME`), so
 *   replicas with skewed clocks still share one limit. Durations cross the interface as
 *   milliseconds relative to the store's "now" (`retryAfterMs`, `ttlMs`), never as absolute
 *   caller times.
 * - **Parameters travel with every call.** A store keeps state, not configuration: each call
 *   carries the algorithm and its numbers, and the call's numbers apply to that decision.
 *   Replicas configured differently for the same key share state but each decides with its own
 *   numbers; keep them equal (the policy file does).
 * - **Cost.** `cost` units are taken all or nothing; a call is admitted only when the whole
 *   cost fits. Callers never pass a cost above the capacity (`burst` / `limit`); a store may
 *   answer such a call with `admitted: false, retryAfterMs: Infinity`.
 * - **Exactness.** A token bucket never admits more than `burst + rate * T / per` in any span T;
 *   a sliding window never admits more than `limit` in any window of length `per`, wherever it
 *   starts (an exact log of admissions, not a weighted two-bucket estimate).
 * - **FIFO is per process only.** A process queues its own callers in order and only the head
 *   asks the store; across processes the store admits whoever asks first after room appears.
 * - **Leases.** A semaphore permit is a lease owned by a `holderId` unique to that permit (one
 *   holder = one permit). A lease expires `ttlMs` after it was granted or last renewed, by the
 *   store's clock; an expired lease no longer counts, so a crashed holder's permits come back by
 *   themselves. Holders renew well before expiry (the shared semaphore renews every `ttlMs / 3`).
 *   `acquire` for a holder that already holds a live lease renews it and reports `acquired:
 *   true` (idempotent retry after a lost reply). `renew` of a lease that has expired returns
 *   false: the permit is lost and must not be assumed held.
 * - **Wake-ups.** A store announces on `subscribe`'s channel whenever waiters could now be
 *   admitted sooner than the `retryAfterMs` they were told: a lease released, a key reset, a
 *   penalty lifted. Wake-ups are hints (they may be lost or spurious); a waiter always also
 *   sleeps until its `retryAfterMs` (plus jitter) and asks again.
 * - **Failures.** When the store cannot be reached or does not answer within its operation
 *   timeout, a call rejects with `StoreUnavailableError` (runtime/errors.ts) with the cause
 *   set. Anything else that goes wrong is a bug and is thrown as is.
 * - **Keys.** `key` is the limit's name; the store namespaces it itself (PostgreSQL: its own
 *   schema, Redis: `keyPrefix` and a `{key}` hash tag so every key of one limit lands in one
 *   Redis Cluster slot). Token-bucket, sliding-window and semaphore state of the same key are
 *   independent.
 */

/** Which store kinds bounded ships. */
export type StoreKind = 'memory' | 'postgres' | 'redis';

/** The algorithm and numbers of one rate-limit decision. Durations in milliseconds. */
export type LimiterAlgorithm =
  | {
      readonly kind: 'token-bucket';
      /** Tokens added per `perMs`. */
      readonly rate: number;
      readonly perMs: number;
      /** Bucket size; a new (or expired) bucket starts full. */
      readonly burst: number;
    }
  | {
      readonly kind: 'sliding-window';
      /** Most units admitted in any window of `perMs`. */
      readonly limit: number;
      readonly perMs: number;
    };

/** The answer to one `tryAcquire`. */
export interface LimiterDecision {
  readonly admitted: boolean;
  /**
   * When not admitted: milliseconds (by the store's clock) until this cost could be admitted,
   * counting penalties; `Infinity` when it never could. 0 when admitted.
   */
  readonly retryAfterMs: number;
  /** Units that could be admitted right after this decision (floored at 0). */
  readonly remaining: number;
  /**
   * The store's clock when it decided, in milliseconds since the epoch, when the store reports
   * it (optional): lets tests and audits place admissions on one clock across processes.
   */
  readonly storeTime?: number | undefined;
}

export interface StoreCallOptions {
  /** Abandons the call (rejects with `signal.reason`); the store may still have applied it. */
  readonly signal?: AbortSignal | undefined;
}

/** Stops a `subscribe`. */
export interface StoreSubscription {
  unsubscribe(): Promise<void>;
}

interface StoreBase {
  readonly kind: StoreKind;
  /** For messages and alerts, without credentials: "postgres 127.0.0.1:5432 schema bounded". */
  readonly description: string;
  /**
   * Calls `onWake` whenever waiters on `key` might be admitted sooner than they were told
   * (see "Wake-ups" above). Resolves once the subscription is live.
   */
  subscribe(key: string, onWake: () => void): Promise<StoreSubscription>;
  /** Resolves when the store answers; rejects with `StoreUnavailableError` when it does not. */
  ping(options?: StoreCallOptions): Promise<void>;
  /** Releases connections and subscriptions. Stores passed in by the caller are closed by the caller. */
  close(): Promise<void>;
}

/** Shared state of rate limiters. */
export interface LimiterStore extends StoreBase {
  /** Admits `cost` units of `key` now if the algorithm allows, in one atomic step. */
  tryAcquire(key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions): Promise<LimiterDecision>;
  /**
   * Pauses admissions of `key` for `ms` from the store's now (a provider's `Retry-After`);
   * overlapping penalties extend to the latest end, never shorten one in force.
   */
  penalize(key: string, ms: number, options?: StoreCallOptions): Promise<void>;
  /** Forgets the rate-limit state of `key` (a full bucket, an empty window, no penalty). */
  reset(key: string, options?: StoreCallOptions): Promise<void>;
}

/** The answer to one semaphore `acquire`. */
export interface LeaseDecision {
  readonly acquired: boolean;
  /** Live leases of the key after this call, counting this one when acquired. */
  readonly holders: number;
  /**
   * When not acquired: milliseconds until the earliest live lease expires, the latest a
   * waiter should sleep before asking again (a release wakes it sooner). 0 when acquired.
   */
  readonly retryAfterMs: number;
}

/** One live lease, as `holders` lists it. */
export interface LeaseInfo {
  readonly holderId: string;
  /** Milliseconds until it expires unless renewed, by the store's clock. */
  readonly expiresInMs: number;
}

/** Shared state of semaphores: permits as leases that expire. */
export interface SemaphoreStore extends StoreBase {
  /** Grants `holderId` a lease of `ttlMs` if fewer than `limit` live leases exist. Atomic. */
  acquire(key: string, limit: number, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<LeaseDecision>;
  /** Extends a live lease to `ttlMs` from now; false when it had expired (the permit is lost). */
  renew(key: string, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<boolean>;
  /** Ends a lease (nothing when it had expired) and wakes the key's waiters. */
  release(key: string, holderId: string, options?: StoreCallOptions): Promise<void>;
  /** The live leases of `key`: the store's own view of who holds permits. */
  holders(key: string, options?: StoreCallOptions): Promise<readonly LeaseInfo[]>;
}

/** What bounded's stores implement: both halves, over one connection set. */
export interface SharedStore extends LimiterStore, SemaphoreStore {}

/**
 * Options every store factory accepts: `createPostgresStore` (runtime/store/postgres.ts) and
 * `createRedisStore` (runtime/store/redis.ts), each returning a `SharedStore`. The factories
 * take their own extra options too.
 */
export interface StoreConnectionOptions {
  /** Connection string: `postgres://…`, `redis://…` / `rediss://…`. */
  readonly url: string;
  /** Namespace inside the server: PostgreSQL schema name, or Redis key prefix. Default `bounded`. */
  readonly namespace?: string | undefined;
  /** Longest wait for one store call before it rejects with `StoreUnavailableError`. Default 1000 ms. */
  readonly operationTimeoutMs?: number | undefined;
}

/** What a limiter or semaphore does while its store is unreachable. */
export type StoreErrorPolicy = 'failClosed' | 'failOpen';

/**
 * The options that switch a limiter or semaphore to shared mode. `Fallback` is the local limit
 * used under `failOpen` (the primitive's own numbers: `{ rate, per, burst }`, `{ limit, per }`
 * or `{ limit }`).
 */
export interface SharedModeOptions<Fallback> {
  /** Where the state lives. Without it (or with the memory store) the limit is per process. */
  readonly store?: SharedStore | undefined;
  /** Key in the store. Default: the primitive's `name` (then required). */
  readonly key?: string | undefined;
  /**
   * `failClosed` (default): while the store is unreachable every call rejects with
   * `StoreUnavailableError`. `failOpen`: calls go through the local `fallback` limit instead.
   * Either way the monitor alerts, and the shared limit resumes when the store answers again.
   */
  readonly onStoreError?: StoreErrorPolicy | undefined;
  /** The local limit under `failOpen`. Default: the shared numbers, per process. */
  readonly fallback?: Fallback | undefined;
}
