import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import {
  defaultPolicy,
  loadPolicy,
  resolvePolicyPath,
  type LoadPolicyOptions,
  type Policy,
  type PolicyProblem,
  type RateLimitPolicy,
  type SemaphorePolicy,
  type StorePolicy,
  PolicyError,
} from '@bounded/policy';
import { suggest } from '@bounded/policy/core';
import { Listeners, type Listener, type Subscription } from './internal/events.js';
import { createHttpClient, type HttpClient } from './http/client.js';
import { createPool } from './pool/registry.js';
import type { BoundedPool } from './pool/pool.js';
import { SlidingWindow } from './rate-limit/sliding-window.js';
import { TokenBucket } from './rate-limit/token-bucket.js';
import type { RateLimiter } from './rate-limit/types.js';
import { Semaphore } from './semaphore.js';
import type { ResourceKind } from './monitor/types.js';
import { forEachBounded } from './map-bounded.js';
import { createPostgresStore } from './store/postgres.js';
import { deferredStore } from './store/shared-deferred.js';
import type { SharedStore } from './store/types.js';

/** The kinds of resource the manager builds (the monitor's kinds, so it can watch them all). */
export type { ResourceKind } from './monitor/types.js';

/** One resource the manager built, as the monitor sees it. */
export interface ManagedResource {
  readonly kind: ResourceKind;
  readonly name: string;
  readonly resource: Semaphore | RateLimiter | BoundedPool | HttpClient;
}

/** Where the manager reports what a reload did; console by default. */
export interface ManagerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ManagerOptions extends Omit<LoadPolicyOptions, 'path'> {
  /** Re-read the policy file when it changes and apply it live. Default false. */
  watch?: boolean;
  /** Milliseconds to wait for a burst of file events to settle before reloading. Default 100. */
  debounceMs?: number;
  logger?: ManagerLogger;
}

export interface ReloadEvent {
  readonly policy: Policy;
  /** What changed, in words: "semaphores.agents.limit 10 → 50". */
  readonly changes: readonly string[];
  /** What could not be applied live and waits for a restart. */
  readonly pending: readonly string[];
}

export interface ReloadFailure {
  readonly file: string;
  readonly problems: readonly PolicyProblem[];
}

const KIND_SECTION = { semaphore: 'semaphores', limiter: 'rateLimits', pool: 'pools', http: 'http' } as const;

/**
 * Builds every named resource of the policy on first use, one instance per name, and keeps
 * them in line with the policy file when it changes.
 *
 * ```ts
 * const manager = ConcurrencyManager.fromPolicy(undefined, { watch: true }); // nearest bounded.policy.yaml
 * await manager.semaphore('agents').run(() => runAgent(task));
 * await manager.limiter('openai').acquire();
 * const rows = await manager.pool('main').query('select 1');
 * ```
 */
export class ConcurrencyManager implements AsyncDisposable {
  #policy: Policy;
  readonly #file: string | undefined;
  readonly #options: ManagerOptions;
  readonly #logger: ManagerLogger;
  readonly #semaphores = new Map<string, Semaphore>();
  readonly #limiters = new Map<string, SlidingWindow | TokenBucket>();
  readonly #pools = new Map<string, BoundedPool>();
  readonly #http = new Map<string, HttpClient>();
  /** Shared stores named by the policy, one per distinct connection, closed with the manager. */
  readonly #stores = new Map<string, SharedStore>();
  readonly #created = new Listeners<ManagedResource>();
  readonly #reloaded = new Listeners<ReloadEvent>();
  readonly #reloadFailed = new Listeners<ReloadFailure>();
  #watcher: FSWatcher | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(policy: Policy, file: string | undefined, options: ManagerOptions) {
    this.#policy = policy;
    this.#file = file;
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    if (options.watch === true && file !== undefined) this.#watch(file);
  }

  /**
   * A manager for `policy`: a loaded Policy, a file path, or undefined for the nearest
   * bounded.policy.yaml (or BOUNDED_POLICY), falling back to the embedded defaults. An invalid
   * file throws `PolicyError` with every problem.
   */
  static fromPolicy(policy?: Policy | string, options: ManagerOptions = {}): ConcurrencyManager {
    if (typeof policy === 'object') return new ConcurrencyManager(policy, policy.source, options);
    const file = resolvePolicyPath({ ...options, path: policy });
    if (file === undefined) return new ConcurrencyManager(defaultPolicy(), undefined, options);
    return new ConcurrencyManager(loadPolicy({ ...options, path: file }), file, options);
  }

  /** The policy in force. */
  get policy(): Policy {
    return this.#policy;
  }

  /** The file the policy came from, if any. */
  get file(): string | undefined {
    return this.#file;
  }

  semaphore(name: string): Semaphore {
    return this.#get(this.#semaphores, 'semaphore', name, () => {
      const entry = this.#policy.semaphores[name]!;
      if (entry.store === undefined) return new Semaphore(entry.limit, { maxQueue: entry.maxQueue, name });
      return new Semaphore(entry.limit, {
        maxQueue: entry.maxQueue,
        name,
        store: this.#store(entry.store, `semaphores.${name}`),
        onStoreError: entry.onStoreError,
        ...(entry.leaseTtlMs === undefined ? {} : { leaseTtlMs: entry.leaseTtlMs }),
        ...(entry.fallback === undefined ? {} : { fallback: entry.fallback }),
      });
    });
  }

  limiter(name: string): RateLimiter {
    return this.#get(this.#limiters, 'limiter', name, () => {
      const entry = this.#policy.rateLimits[name]!;
      const store = entry.store === undefined ? undefined : this.#store(entry.store, `rateLimits.${name}`);
      return buildLimiter(name, entry, store);
    });
  }

  pool(name: string): BoundedPool {
    return this.#get(this.#pools, 'pool', name, () => {
      const entry = this.#policy.pools[name]!;
      if (entry.connectionString === undefined && entry.connectionStringRef !== undefined) {
        throw new Error(
          `pools.${name}.connectionString is ${entry.connectionStringRef}, which is not set in this environment` +
            (this.#file === undefined ? '' : ` (policy ${this.#file})`),
        );
      }
      return createPool({
        name,
        connectionString: entry.connectionString,
        min: entry.min,
        max: entry.max,
        connectionTimeoutMillis: entry.connectTimeoutMs,
        idleTimeoutMillis: entry.idleTimeoutMs,
        statement_timeout: entry.statementTimeoutMs,
        query_timeout: entry.queryTimeoutMs,
        maxQueue: entry.maxQueue,
      });
    });
  }

  http(name: string): HttpClient {
    return this.#get(this.#http, 'http', name, () => {
      const entry = this.#policy.http[name]!;
      return createHttpClient({
        name,
        baseUrl: entry.baseUrl,
        timeoutMs: entry.timeoutMs,
        connections: entry.connections,
        retries: entry.retries,
        limiter: entry.limiter === undefined ? undefined : this.limiter(entry.limiter),
        semaphore: entry.semaphore === undefined ? undefined : this.semaphore(entry.semaphore),
      });
    });
  }

  /** Every resource built so far. */
  *resources(): Iterable<ManagedResource> {
    for (const [name, resource] of this.#semaphores) yield { kind: 'semaphore', name, resource };
    for (const [name, resource] of this.#limiters) yield { kind: 'limiter', name, resource };
    for (const [name, resource] of this.#pools) yield { kind: 'pool', name, resource };
    for (const [name, resource] of this.#http) yield { kind: 'http', name, resource };
  }

  /** Called for each resource when it is first built. */
  onResource(listener: Listener<ManagedResource>): Subscription {
    return this.#created.add(listener);
  }

  /** Called after a reload applied a new policy. */
  onReload(listener: Listener<ReloadEvent>): Subscription {
    return this.#reloaded.add(listener);
  }

  /** Called when a changed file was invalid; the last good policy stays in force. */
  onReloadError(listener: Listener<ReloadFailure>): Subscription {
    return this.#reloadFailed.add(listener);
  }

  /**
   * Re-reads the policy file and applies it live: semaphores are resized, limiters
   * reconfigured, without dropping in-flight work. An invalid file changes nothing; its
   * problems go to the logger and `onReloadError`. Returns whether the new policy applied.
   */
  reload(): boolean {
    if (this.#file === undefined || this.#closed) return false;
    let next: Policy;
    try {
      next = loadPolicy({ ...this.#options, path: this.#file });
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      this.#logger.error(`bounded: kept the last good policy; ${error.message}`);
      this.#reloadFailed.emit({ file: error.file, problems: error.problems });
      return false;
    }
    const event = this.#apply(next);
    this.#policy = next;
    if (event.changes.length > 0) this.#logger.info(`bounded: policy reloaded: ${event.changes.join('; ')}`);
    for (const note of event.pending) this.#logger.warn(`bounded: ${note}`);
    this.#reloaded.emit(event);
    return true;
  }

  /** Stops watching, then drains and closes every resource the manager built. */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    const drainMs = options.drainMs ?? 5_000;
    for (const semaphore of this.#semaphores.values()) semaphore.close();
    for (const limiter of this.#limiters.values()) limiter.close();
    await forEachBounded<HttpClient | BoundedPool>([...this.#http.values(), ...this.#pools.values()], (resource) =>
      'query' in resource ? resource.close({ drainMs }) : resource.close(),
      // One failing close must not leave the others open.
      { stopOnError: false },
    );
    // Held shared permits are released as their work ends; give those releases time to land.
    const shared = [...this.#semaphores.values()].filter((semaphore) => semaphore.store !== undefined);
    await Promise.race([
      forEachBounded(shared, (semaphore) => semaphore.whenIdle()),
      new Promise((resolve) => setTimeout(resolve, drainMs).unref()),
    ]);
    await forEachBounded([...this.#stores.values()], (store) => store.close(), { stopOnError: false });
  }

  /** The store a policy entry names: one per distinct connection, shared by its limits. */
  #store(spec: StorePolicy, where: string): SharedStore {
    if (spec.url === undefined) {
      throw new Error(
        `${where}.store.url is ${spec.urlRef ?? 'missing'}, which is not set in this environment` +
          (this.#file === undefined ? '' : ` (policy ${this.#file})`),
      );
    }
    const id = JSON.stringify([spec.kind, spec.url, spec.schema, spec.keyPrefix, spec.operationTimeoutMs]);
    let store = this.#stores.get(id);
    if (store !== undefined) return store;
    const url = spec.url;
    if (spec.kind === 'postgres') {
      store = createPostgresStore({ url, schema: spec.schema, operationTimeoutMs: spec.operationTimeoutMs });
    } else {
      // The Redis store loads ioredis (an optional peer) on demand, so it is created asynchronously.
      store = deferredStore('redis', `redis ${redactUrl(url)}`, async () => {
        const { createRedisStore } = await import('./store/redis.js');
        return createRedisStore({ url, namespace: spec.keyPrefix, operationTimeoutMs: spec.operationTimeoutMs });
      });
    }
    this.#stores.set(id, store);
    return store;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #get<T extends ManagedResource['resource']>(map: Map<string, T>, kind: ResourceKind, name: string, build: () => T): T {
    const existing = map.get(name);
    if (existing !== undefined) return existing;
    if (this.#closed) throw new Error(`ConcurrencyManager is closed; cannot build ${kind} "${name}"`);
    const section = KIND_SECTION[kind];
    const known = Object.keys(this.#policy[section]);
    if (!known.includes(name)) {
      const hint = suggest(name, known);
      throw new Error(
        `No ${kind} named "${name}" in ${section} of ${this.#file ?? 'the embedded default policy'}` +
          `${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; ` +
          (known.length === 0 ? `none are defined: add it under ${section}:` : `known: ${known.join(', ')}`),
      );
    }
    const resource = build();
    map.set(name, resource);
    this.#created.emit({ kind, name, resource });
    return resource;
  }

  #apply(next: Policy): ReloadEvent {
    const changes: string[] = [];
    const pending: string[] = [];
    for (const [name, semaphore] of this.#semaphores) {
      const entry = next.semaphores[name];
      if (entry === undefined) {
        pending.push(`semaphores.${name} was removed from the policy; the running one keeps limit ${semaphore.limit}`);
        continue;
      }
      if (sharingOf(entry) !== sharingOf(this.#policy.semaphores[name]!)) {
        pending.push(`semaphores.${name} store settings changed; they apply after a restart`);
      }
      if (entry.limit !== semaphore.limit) {
        changes.push(`semaphores.${name}.limit ${semaphore.limit} → ${entry.limit}`);
        semaphore.resize(entry.limit);
      }
      if (entry.maxQueue !== semaphore.maxQueue) {
        changes.push(`semaphores.${name}.maxQueue ${semaphore.maxQueue} → ${entry.maxQueue}`);
        semaphore.setMaxQueue(entry.maxQueue);
      }
    }
    for (const [name, limiter] of this.#limiters) {
      const before = this.#policy.rateLimits[name]!;
      const entry = next.rateLimits[name];
      if (entry === undefined) {
        pending.push(`rateLimits.${name} was removed from the policy; the running limiter keeps its limits`);
        continue;
      }
      if (sharingOf(entry) !== sharingOf(before)) {
        pending.push(`rateLimits.${name} store settings changed; they apply after a restart`);
      }
      if (entry.algorithm !== before.algorithm) {
        pending.push(`rateLimits.${name}.algorithm ${before.algorithm} → ${entry.algorithm} applies after a restart`);
        continue;
      }
      for (const key of ['rate', 'perMs', 'burst', 'spacing', 'maxQueue'] as const) {
        if (entry[key] !== before[key]) changes.push(`rateLimits.${name}.${key} ${String(before[key])} → ${String(entry[key])}`);
      }
      if (limiter instanceof SlidingWindow) {
        limiter.reconfigure({ limit: entry.rate, per: entry.perMs, spacing: entry.spacing, maxQueue: entry.maxQueue });
      } else {
        limiter.reconfigure({ rate: entry.rate, per: entry.perMs, burst: entry.burst, spacing: entry.spacing, maxQueue: entry.maxQueue });
      }
    }
    for (const [name, pool] of this.#pools) {
      const before = this.#policy.pools[name]!;
      const entry = next.pools[name];
      if (entry === undefined) {
        pending.push(`pools.${name} was removed from the policy; the running pool stays open`);
        continue;
      }
      if (entry.max !== before.max) {
        changes.push(`pools.${name}.max ${before.max} → ${entry.max}`);
        pool.resize(entry.max);
      }
      for (const key of ['connectionString', 'min', 'connectTimeoutMs', 'idleTimeoutMs', 'statementTimeoutMs', 'queryTimeoutMs'] as const) {
        if (entry[key] !== before[key]) pending.push(`pools.${name}.${key} changed; it applies after a restart`);
      }
    }
    for (const name of this.#http.keys()) {
      const before = this.#policy.http[name]!;
      const entry = next.http[name];
      if (entry === undefined || JSON.stringify(entry) !== JSON.stringify(before)) {
        pending.push(`http.${name} changed; it applies after a restart`);
      }
    }
    return { policy: next, changes, pending };
  }

  #watch(file: string): void {
    // Watch the folder, not the file: editors replace a file on save, which ends a file watch.
    try {
      this.#watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== basename(file)) return;
        if (this.#debounce !== undefined) clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => {
          this.#debounce = undefined;
          this.reload();
        }, this.#options.debounceMs ?? 100);
        this.#debounce.unref();
      });
    } catch (error) {
      this.#logger.warn(`bounded: cannot watch ${file} for changes: ${(error as Error).message}`);
    }
  }
}


function buildLimiter(name: string, entry: RateLimitPolicy, store: SharedStore | undefined): SlidingWindow | TokenBucket {
  const common = { name, spacing: entry.spacing, maxQueue: entry.maxQueue, per: entry.perMs };
  const shared = store === undefined ? {} : { store, onStoreError: entry.onStoreError };
  const fallback = entry.fallback;
  return entry.algorithm === 'token-bucket'
    ? new TokenBucket({
        ...common,
        ...shared,
        rate: entry.rate,
        burst: entry.burst,
        ...(fallback === undefined ? {} : { fallback: { rate: fallback.rate, burst: fallback.burst } }),
      })
    : new SlidingWindow({
        ...common,
        ...shared,
        limit: entry.rate,
        ...(fallback === undefined ? {} : { fallback: { limit: fallback.rate } }),
      });
}

/** The store settings of an entry, comparable: they cannot change on a running limit. */
function sharingOf(entry: RateLimitPolicy | SemaphorePolicy): string {
  const { store, onStoreError, fallback } = entry;
  return JSON.stringify([store, onStoreError, fallback, 'leaseTtlMs' in entry ? entry.leaseTtlMs : undefined]);
}

/** A connection string without its credentials, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}`;
  } catch {
    return '(connection string)';
  }
}

const consoleLogger: ManagerLogger = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

