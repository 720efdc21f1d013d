/**
 * The Redis store: shared state for `TokenBucket`, `SlidingWindow` and `Semaphore` on Redis
 * (ioredis), the usual engine for distributed rate limiting. Every decision is one Lua script
 * (runtime/store/redis-scripts.ts) run atomically by the server on the server's clock; every
 * key of one limit carries a `{name}` hash tag, so the store works on one server and on Redis
 * Cluster alike. Waiters are woken through pub/sub on a dedicated subscriber connection.
 *
 * ioredis stays optional: this module imports its types only, and `createRedisStore({ url })`
 * loads it when called. A client created from a URL fails fast while the server is away (no
 * offline queue, no retried commands) and reconnects by itself; every call is bounded by
 * `operationTimeoutMs` and rejects with `StoreUnavailableError` when the server cannot be
 * reached in time, whoever made the client.
 *
 * ```ts
 * const store = await createRedisStore({ url: process.env.REDIS_URL! });
 * const openai = new SlidingWindow({ limit: 60, per: '1m', name: 'openai', store });
 * ```
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { ClosedError, StoreUnavailableError } from '../errors.js';
import { assertTimeoutMs, show } from '../internal/validate.js';
import {
  PENALIZE,
  RESET,
  SEMAPHORE_ACQUIRE,
  SEMAPHORE_HOLDERS,
  SEMAPHORE_RELEASE,
  SEMAPHORE_RENEW,
  SLIDING_WINDOW,
  TOKEN_BUCKET,
  redisLimitKeys,
  type RedisLimitKeys,
  type RedisScript,
} from './redis-scripts.js';
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

/**
 * An ioredis client: a single server (`Redis`) or a Redis Cluster (`Cluster`). Written as the
 * shape bounded checks, so that these declarations need no ioredis types (ioredis is an
 * optional peer); both ioredis classes satisfy it.
 */
export interface RedisClient {
  readonly status: string;
  duplicate(): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ioredis's listeners take varied arguments
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** The ioredis client this module drives (what `RedisClient` is at run time). */
type IoClient = Redis | Cluster;

export interface RedisStoreOptions {
  /**
   * The client to run the scripts on. The caller keeps owning it (`close()` leaves it open).
   * Configure it to fail fast when the server is away (`enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0`), or calls wait out `operationTimeoutMs` during an outage.
   */
  readonly client: RedisClient;
  /**
   * Connection for wake-up subscriptions. Default: `client.duplicate()` on the first
   * `subscribe`, closed by `close()`. A connection in subscriber mode can run nothing else.
   */
  readonly subscriber?: RedisClient | undefined;
  /**
   * Key prefix; every key is `<namespace>:{<name>}:<part>` (the name with `%`, `{`, `}`
   * escaped, so the hash tag is always the whole name). Default `bounded`. No braces.
   */
  readonly namespace?: string | undefined;
  /** Longest wait for one call before it rejects with `StoreUnavailableError`. Default 1000 ms. */
  readonly operationTimeoutMs?: number | undefined;
}

export interface CreateRedisStoreOptions extends StoreConnectionOptions {
  /**
   * Extra ioredis options for the clients created from `url` (TLS, username, `db`…). bounded's
   * fail-fast settings apply unless overridden here.
   */
  readonly redisOptions?: Readonly<Record<string, unknown>> | undefined;
}

const DEFAULT_NAMESPACE = 'bounded';
const DEFAULT_TIMEOUT_MS = 1_000;
/** Reconnect delays while the server is away: quick at first, then every half second. */
const RECONNECT_MAX_MS = 500;

/** Replies that mean "not available now" rather than "bug": a restarting or failing-over server. */
const UNAVAILABLE_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|BUSY|NOREPLICAS)\b/;

/**
 * Creates a Redis store from a URL (`redis://`, `rediss://`), loading ioredis on demand. The
 * store owns its connections and closes them in `close()`. It does not wait for the server:
 * a store made while Redis is down works (`failOpen` limits fall back locally) and picks the
 * server up when it comes.
 */
export async function createRedisStore(options: CreateRedisStoreOptions): Promise<RedisStore> {
  if (typeof options?.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
    throw new TypeError(`Expected \`url\` to be a redis:// or rediss:// URL, got ${show(options?.url)}`);
  }
  const timeoutMs = options.operationTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  assertTimeoutMs('operationTimeoutMs', timeoutMs);
  const { Redis: RedisClass } = await loadIoredis();
  // A factory: the caller builds one store per process and owns it (and the client, through it).
  // eslint-disable-next-line bounded/no-per-call-connection -- the client is handed to the store this returns
  const client = new RedisClass(options.url, {
    // Fail fast while the server is away: a command is refused at once instead of waiting in a
    // queue for a reconnect, and a command in flight when the connection drops is not re-sent
    // (a re-sent acquire could take a second permit).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    retryStrategy: (attempt: number) => Math.min(50 * attempt, RECONNECT_MAX_MS),
    ...options.redisOptions,
  });
  // The store listens for the client's connection errors from here on (synchronously, before
  // the first one can be emitted), so ioredis never reports them as unhandled.
  const store = new RedisStore({
    client,
    namespace: options.namespace,
    operationTimeoutMs: timeoutMs,
  });
  OWNED.add(store);
  return store;
}

/** Stores that created their client themselves, and so close it. */
const OWNED = new WeakSet<RedisStore>();

/** What this module takes from ioredis at run time. */
interface IoredisModule {
  readonly Redis: typeof Redis;
}

let ioredisModule: Promise<IoredisModule> | undefined;

function loadIoredis(): Promise<IoredisModule> {
  ioredisModule ??= import('ioredis').then(
    (module): IoredisModule => ({ Redis: module.Redis }),
    (error: unknown) => {
      ioredisModule = undefined;
      throw new Error('The Redis store needs the `ioredis` package (an optional peer dependency of bounded): npm install ioredis', {
        cause: error,
      });
    },
  );
  return ioredisModule;
}

/** A `SharedStore` on Redis. See the module comment. */
export class RedisStore implements SharedStore {
  readonly kind = 'redis' as const;
  readonly description: string;
  readonly namespace: string;
  readonly operationTimeoutMs: number;
  readonly #client: IoClient;
  #subscriber: IoClient | undefined;
  readonly #ownsSubscriber: boolean;
  readonly #keys = new Map<string, RedisLimitKeys>();
  /** Wake-up listeners by channel. */
  readonly #listeners = new Map<string, Set<() => void>>();
  /** SUBSCRIBE in flight or done, by channel. */
  readonly #subscribed = new Map<string, Promise<void>>();
  #closed = false;
  /** The last connection error since the client was last ready: the server is away. */
  #down: unknown;
  /** The subscriber lost its connection: wake everyone when it is back. */
  #subscriberLost = false;

  constructor(options: RedisStoreOptions) {
    if (options === null || typeof options !== 'object' || options.client === undefined) {
      throw new TypeError('Expected `client` to be an ioredis client (Redis or Cluster)');
    }
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    if (typeof namespace !== 'string' || namespace === '' || /[{}]/.test(namespace)) {
      throw new TypeError(`Expected \`namespace\` to be a non-empty string without braces, got ${show(namespace)}`);
    }
    const timeoutMs = options.operationTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    assertTimeoutMs('operationTimeoutMs', timeoutMs);
    this.namespace = namespace;
    this.operationTimeoutMs = timeoutMs;
    this.#client = options.client as unknown as IoClient;
    this.#subscriber = options.subscriber as unknown as IoClient | undefined;
    this.#ownsSubscriber = options.subscriber === undefined;
    this.description = `redis ${describeClient(this.#client)} prefix ${namespace}`;
    this.#client.on('error', this.#onError);
    this.#client.on('ready', this.#onReady);
    if (this.#subscriber !== undefined) this.#watchSubscriber(this.#subscriber);
  }

  /** The key names of a limit, for operators and tests: `<namespace>:{<key>}:<part>`. */
  keys(key: string): RedisLimitKeys {
    assertKey(key);
    let keys = this.#keys.get(key);
    if (keys === undefined) {
      keys = redisLimitKeys(this.namespace, key);
      if (this.#keys.size >= 10_000) this.#keys.clear();
      this.#keys.set(key, keys);
    }
    return keys;
  }

  async tryAcquire(key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions): Promise<LimiterDecision> {
    const keys = this.keys(key);
    assertPositive('cost', cost);
    let reply: unknown;
    if (algorithm.kind === 'token-bucket') {
      assertPositive('rate', algorithm.rate);
      assertPositive('perMs', algorithm.perMs);
      assertPositive('burst', algorithm.burst);
      reply = await this.#run('tryAcquire', key, options, () =>
        this.#eval(TOKEN_BUCKET, [keys.bucket, keys.penalty], [algorithm.rate, algorithm.perMs, algorithm.burst, cost]),
      );
    } else if (algorithm.kind === 'sliding-window') {
      assertPositive('limit', algorithm.limit);
      assertPositive('perMs', algorithm.perMs);
      reply = await this.#run('tryAcquire', key, options, () =>
        this.#eval(SLIDING_WINDOW, [keys.window, keys.windowMeta, keys.penalty], [algorithm.limit, algorithm.perMs, cost]),
      );
    } else {
      throw new TypeError(`Unknown limiter algorithm ${show((algorithm as { kind?: unknown }).kind)}`);
    }
    const [admitted, retryAfter, remaining] = reply as [number, string, number];
    const retryAfterMs = Number(retryAfter);
    return {
      admitted: admitted === 1,
      retryAfterMs: retryAfterMs < 0 ? Number.POSITIVE_INFINITY : retryAfterMs,
      remaining: Number(remaining),
    };
  }

  async penalize(key: string, ms: number, options?: StoreCallOptions): Promise<void> {
    const keys = this.keys(key);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`Expected \`ms\` to be a non-negative finite number, got ${show(ms)}`);
    }
    if (ms === 0) return;
    await this.#run('penalize', key, options, () => this.#eval(PENALIZE, [keys.penalty], [ms]));
  }

  async reset(key: string, options?: StoreCallOptions): Promise<void> {
    const keys = this.keys(key);
    await this.#run('reset', key, options, () => this.#eval(RESET, [keys.bucket, keys.window, keys.windowMeta, keys.penalty], [keys.wake]));
  }

  async acquire(key: string, limit: number, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<LeaseDecision> {
    const keys = this.keys(key);
    if (!Number.isInteger(limit) || limit <= 0) {
      throw new TypeError(`Expected \`limit\` to be a positive integer, got ${show(limit)}`);
    }
    assertHolder(holderId);
    assertPositive('ttlMs', ttlMs);
    const reply = await this.#run('acquire', key, options, () => this.#eval(SEMAPHORE_ACQUIRE, [keys.leases], [limit, holderId, ttlMs]));
    const [acquired, holders, retryAfter] = reply as [number, number, string];
    return { acquired: acquired === 1, holders: Number(holders), retryAfterMs: Number(retryAfter) };
  }

  async renew(key: string, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<boolean> {
    const keys = this.keys(key);
    assertHolder(holderId);
    assertPositive('ttlMs', ttlMs);
    const reply = await this.#run('renew', key, options, () => this.#eval(SEMAPHORE_RENEW, [keys.leases], [holderId, ttlMs]));
    return reply === 1;
  }

  async release(key: string, holderId: string, options?: StoreCallOptions): Promise<void> {
    const keys = this.keys(key);
    assertHolder(holderId);
    await this.#run('release', key, options, () => this.#eval(SEMAPHORE_RELEASE, [keys.leases], [holderId, keys.wake]));
  }

  async holders(key: string, options?: StoreCallOptions): Promise<readonly LeaseInfo[]> {
    const keys = this.keys(key);
    const reply = (await this.#run('holders', key, options, () => this.#eval(SEMAPHORE_HOLDERS, [keys.leases], []))) as string[];
    const leases: LeaseInfo[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      leases.push({ holderId: reply[i]!, expiresInMs: Number(reply[i + 1]) });
    }
    return leases;
  }

  async ping(options?: StoreCallOptions): Promise<void> {
    await this.#run('ping', undefined, options, () => this.#client.ping());
  }

  async subscribe(key: string, onWake: () => void): Promise<StoreSubscription> {
    const channel = this.keys(key).wake;
    if (typeof onWake !== 'function') {
      throw new TypeError(`Expected \`onWake\` to be a function, got ${show(onWake)}`);
    }
    if (this.#closed) throw new ClosedError('RedisStore');
    // A wrapper per call, so the same function subscribed twice is two subscriptions.
    const listener = (): void => onWake();
    let listeners = this.#listeners.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
    }
    listeners.add(listener);
    const unsubscribe = async (): Promise<void> => {
      const current = this.#listeners.get(channel);
      if (current === undefined || !current.delete(listener) || current.size > 0) return;
      this.#listeners.delete(channel);
      this.#subscribed.delete(channel);
      const subscriber = this.#subscriber;
      if (subscriber !== undefined && subscriber.status === 'ready') {
        await subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
    try {
      let subscribed = this.#subscribed.get(channel);
      if (subscribed === undefined) {
        const subscriber = this.#subscriberConnection();
        subscribed = subscriber.subscribe(channel).then(() => undefined);
        subscribed.catch(() => this.#subscribed.delete(channel));
        this.#subscribed.set(channel, subscribed);
      }
      await this.#run('subscribe', key, undefined, () => subscribed);
    } catch (error) {
      await unsubscribe();
      throw error;
    }
    return { unsubscribe };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.off('error', this.#onError);
    this.#client.off('ready', this.#onReady);
    this.#listeners.clear();
    this.#subscribed.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber !== undefined && this.#ownsSubscriber) await quit(subscriber, this.operationTimeoutMs);
    if (OWNED.has(this)) await quit(this.#client, this.operationTimeoutMs);
  }

  // -------------------------------------------------------------------------------- internals

  readonly #onError = (error: unknown): void => {
    this.#down = error;
  };

  readonly #onReady = (): void => {
    this.#down = undefined;
  };

  /**
   * Runs one store call within `operationTimeoutMs`: connection trouble (refused, dropped, no
   * answer in time, a server loading or failing over) becomes `StoreUnavailableError`; an
   * aborted signal rejects with its reason; anything else is thrown as is.
   */
  async #run<T>(
    operation: string,
    resource: string | undefined,
    options: StoreCallOptions | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw new ClosedError('RedisStore');
    const signal = options?.signal;
    signal?.throwIfAborted();
    const timeoutMs = this.operationTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const limits = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError({ store: this.description, operation, resource, timeoutMs, cause: this.#down })),
        timeoutMs,
      );
      if (signal !== undefined) {
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    const attempt = (async () => {
      await this.#connected(operation, resource);
      return call();
    })();
    try {
      return await Promise.race([attempt, limits]);
    } catch (error) {
      if (signal?.aborted === true && error === signal.reason) throw error;
      if (isStoreFailure(error)) {
        throw error instanceof StoreUnavailableError
          ? error
          : new StoreUnavailableError({ store: this.description, operation, resource, cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
      // The losing side of the race must not surface as an unhandled rejection.
      attempt.catch(() => undefined);
    }
  }

  /**
   * Resolves once the client can take commands. While the server is known to be away (a
   * connection error since the client was last ready) it rejects at once instead of waiting:
   * failClosed callers learn of an outage in one round of the event loop, not one timeout.
   */
  async #connected(operation: string, resource: string | undefined): Promise<void> {
    const client = this.#client;
    if (client.status === 'ready') return;
    if (client.status === 'end' || client.status === 'close') {
      throw new StoreUnavailableError({
        store: this.description,
        operation,
        resource,
        cause: this.#down ?? new Error(`the connection is ${client.status === 'end' ? 'closed for good' : 'closed'}`),
      });
    }
    if (this.#down !== undefined && client.status === 'reconnecting') {
      throw new StoreUnavailableError({ store: this.description, operation, resource, cause: this.#down });
    }
    if (client.status === 'wait') client.connect().catch(() => undefined);
    // Connecting for the first time, or reconnecting after a clean close: wait for it (the
    // caller's timeout bounds the wait).
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: unknown): void => {
        cleanup();
        reject(new StoreUnavailableError({ store: this.description, operation, resource, cause: error }));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', onError);
      };
      // The caller's race has given up by then; never run the call after it did.
      const timer = setTimeout(() => {
        cleanup();
        reject(new StoreUnavailableError({ store: this.description, operation, resource, timeoutMs: this.operationTimeoutMs }));
      }, this.operationTimeoutMs);
      client.once('ready', onReady);
      client.once('error', onError);
    });
  }

  /** EVALSHA, falling back to EVAL (which also caches the script) when the server lacks it. */
  async #eval(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const client = this.#client;
    const argv = [...keys, ...args.map(String)];
    try {
      return await client.evalsha(sha1(script), script.keys, ...argv);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(script.lua, script.keys, ...argv);
    }
  }

  #subscriberConnection(): IoClient {
    if (this.#subscriber !== undefined) return this.#subscriber;
    const client = this.#client;
    // The subscriber queues SUBSCRIBE while (re)connecting and re-subscribes after a reconnect:
    // a wake-up channel should come back by itself. Calls on it are still bounded by #run.
    const subscriber: IoClient = isCluster(client)
      ? client.duplicate(undefined, { enableOfflineQueue: true })
      : client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.#subscriber = subscriber;
    this.#watchSubscriber(subscriber);
    return subscriber;
  }

  #watchSubscriber(subscriber: IoClient): void {
    subscriber.on('error', () => {
      // Connection trouble shows on the main client's calls; the subscriber reconnects itself.
    });
    subscriber.on('close', () => {
      this.#subscriberLost = true;
    });
    subscriber.on('ready', () => {
      if (!this.#subscriberLost) return;
      this.#subscriberLost = false;
      // Back after an outage: wake-ups sent meanwhile were lost, so wake every waiter once.
      for (const listeners of this.#listeners.values()) for (const listener of listeners) listener();
    });
    subscriber.on('message', (channel: string) => {
      const listeners = this.#listeners.get(channel);
      if (listeners === undefined) return;
      for (const listener of listeners) listener();
    });
  }
}

/** True for failures of reaching the store, as opposed to errors in what was asked of it. */
function isStoreFailure(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  // Redis answered: a script error or a wrong key type is a bug, except the replies of a server
  // that is loading, failing over or down.
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLY.test(error.message);
  return true;
}

const SHAS = new WeakMap<RedisScript, string>();

function sha1(script: RedisScript): string {
  let sha = SHAS.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script.lua).digest('hex');
    SHAS.set(script, sha);
  }
  return sha;
}

/** QUIT politely, or drop the connection when the server does not answer in time. */
async function quit(client: IoClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([client.quit().catch(() => undefined), timedOut]);
  } finally {
    clearTimeout(timer);
    if ((client.status as string) !== 'end') client.disconnect();
  }
}

/** "127.0.0.1:6379", or the cluster's startup nodes; never credentials. */
function describeClient(client: IoClient): string {
  if (isCluster(client)) {
    const nodes = client.nodes().map((node) => `${node.options.host ?? '?'}:${node.options.port ?? '?'}`);
    return `cluster ${nodes.length > 0 ? nodes.join(',') : '(no nodes yet)'}`;
  }
  const { host, port, path } = client.options;
  return path ? `unix:${path}` : `${host ?? 'localhost'}:${port ?? 6379}`;
}

function isCluster(client: IoClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`Expected \`key\` to be a non-empty string, got ${show(key)}`);
  }
}

function assertHolder(holderId: unknown): asserts holderId is string {
  if (typeof holderId !== 'string' || holderId === '') {
    throw new TypeError(`Expected \`holderId\` to be a non-empty string, got ${show(holderId)}`);
  }
}

function assertPositive(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`Expected \`${name}\` to be a positive number, got ${show(value)}`);
  }
}
