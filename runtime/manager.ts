import { realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import {
  defaultPolicy,
  parsePolicy,
  readPolicyText,
  resolvePolicyPath,
  type LoadPolicyOptions,
  type Policy,
  type PolicyProblem,
  type PoolPolicy,
  type HttpPolicy,
  type RateLimitPolicy,
  type SemaphorePolicy,
  type StorePolicy,
  PolicyError,
} from '@bounded/policy';
import { own } from '@bounded/policy';
import { describeConnection } from '@bounded/policy';
import { suggest } from '@bounded/policy/core';
import { closeDefaultBackgroundRunner } from './background/runner.js';
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
import { MAX_TIMER_MS } from './internal/validate.js';
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

export interface ManagerOptions extends Omit<LoadPolicyOptions, 'path' | 'requireEnv'> {
  /**
   * Re-read the policy file when it changes and apply it live. Default false. The file is
   * followed through symlinks, including a Kubernetes ConfigMap's `..data` swap.
   */
  watch?: boolean;
  /**
   * How long the file must stay unchanged before an edit applies, in milliseconds: a save
   * still being written is never applied half-way. Default 250.
   */
  quietMs?: number;
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
  /** Every problem, with file, line and column; one at 1:1 when the file could not be read or applied. */
  readonly problems: readonly PolicyProblem[];
}

const DEFAULT_QUIET_MS = 250;

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
  /**
   * The entry each built resource runs with, by "section.name": what a reload compares against,
   * even after the entry left the file (the resource keeps running) and came back.
   */
  readonly #entries = new Map<string, Entry>();
  /** Shared stores named by the policy, one per distinct connection, closed with the manager. */
  readonly #stores = new Map<string, SharedStore>();
  readonly #created = new Listeners<ManagedResource>();
  readonly #reloaded = new Listeners<ReloadEvent>();
  readonly #reloadFailed = new Listeners<ReloadFailure>();
  #watcher: PolicyFileWatcher | undefined;
  /** The text of the file as last read for a reload (applied or not): the same text is not read as a change. */
  #lastText: string | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(policy: Policy, file: string | undefined, options: ManagerOptions, text?: string) {
    this.#policy = policy;
    this.#file = file;
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    this.#lastText = text;
    if (options.watch === true && file !== undefined) {
      const quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
      if (!Number.isInteger(quietMs) || quietMs < 0 || quietMs > 2_147_483_647) {
        throw new TypeError(`Expected \`quietMs\` to be a whole number of milliseconds from 0 to 2147483647, got ${String(quietMs)}`);
      }
      this.#watcher = new PolicyFileWatcher(file, quietMs, (read) => this.#settled(read), this.#logger);
    }
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
    const text = readPolicyText(file);
    return new ConcurrencyManager(parsed(text, file, options), file, options, text);
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
      const entry = own(this.#policy.semaphores, name)!;
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
      const entry = own(this.#policy.rateLimits, name)!;
      const store = entry.store === undefined ? undefined : this.#store(entry.store, `rateLimits.${name}`);
      return buildLimiter(name, entry, store);
    });
  }

  pool(name: string): BoundedPool {
    return this.#get(this.#pools, 'pool', name, () => {
      const entry = own(this.#policy.pools, name)!;
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
      const entry = own(this.#policy.http, name)!;
      // Without its base URL a client would accept any origin: refuse to build it instead.
      if (entry.baseUrl === undefined && entry.baseUrlRef !== undefined) {
        throw new Error(
          `http.${name}.baseUrl is ${entry.baseUrlRef}, which is not set in this environment` +
            (this.#file === undefined ? '' : ` (policy ${this.#file})`),
        );
      }
      return createHttpClient({
        name,
        baseUrl: entry.baseUrl,
        timeoutMs: entry.timeoutMs,
        connections: entry.connections,
        retries: entry.retries,
        limiter: entry.limiter === undefined ? undefined : this.limiter(entry.limiter),
        semaphore: entry.semaphore === undefined ? undefined : this.semaphore(entry.semaphore),
        maxBodyBytes: entry.maxBodyBytes,
        maxRetryAfterMs: entry.maxRetryAfterMs,
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

  /**
   * Called after a reload applied a new policy. A listener that throws is reported to the
   * logger; it stops neither the reload nor the other listeners.
   */
  onReload(listener: Listener<ReloadEvent>): Subscription {
    return this.#reloaded.add(this.#guarded('onReload', listener));
  }

  /** Called when a changed file could not be applied; the last good policy stays in force. */
  onReloadError(listener: Listener<ReloadFailure>): Subscription {
    return this.#reloadFailed.add(this.#guarded('onReloadError', listener));
  }

  /**
   * Re-reads the policy file and applies it live: semaphores are resized, limiters
   * reconfigured, without dropping in-flight work. Any failure — a file that cannot be read,
   * parsed or validated, or a resource that refuses the new numbers — changes nothing (what
   * was changed is put back); its problems go to the logger and `onReloadError`. Never
   * throws. Returns whether the new policy applied.
   */
  reload(): boolean {
    if (this.#file === undefined || this.#closed) return false;
    let text: string;
    try {
      text = readPolicyText(this.#file);
    } catch (error) {
      return this.#failed(error);
    }
    return this.#reloadText(text);
  }

  /**
   * Graceful shutdown of every resource the manager built: stops admitting at once (new calls and
   * callers still queued are refused with `ClosedError`), lets work in flight finish for up to
   * `drainMs` (default 5 s; at most the timer maximum, 2^31 - 1 ms), then cuts what is left
   * (HTTP requests still on the wire are aborted, pool clients still out destroyed) and closes
   * the pools, HTTP agents and stores. Resolves within about `drainMs`; calling it again returns
   * the same promise. Tasks `background()` accepted are drained first (they may still need the
   * pools and clients), within the same `drainMs`.
   */
  close(options: { drainMs?: number } = {}): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const drainMs = options.drainMs ?? 5_000;
    if (typeof drainMs !== 'number' || !Number.isFinite(drainMs) || drainMs < 0 || drainMs > MAX_TIMER_MS) {
      throw new TypeError(`Expected \`drainMs\` to be a number of milliseconds in [0, ${MAX_TIMER_MS}], got ${String(drainMs)}`);
    }
    this.#closed = true;
    this.#closing = this.#shutDown(drainMs);
    return this.#closing;
  }

  async #shutDown(drainMs: number): Promise<void> {
    this.#watcher?.close();
    const deadline = performance.now() + drainMs;
    const left = (): number => Math.max(0, deadline - performance.now());
    await closeDefaultBackgroundRunner({ drainMs: left() });
    for (const semaphore of this.#semaphores.values()) semaphore.close();
    for (const limiter of this.#limiters.values()) limiter.close();
    await forEachBounded<HttpClient | BoundedPool>(
      [...this.#http.values(), ...this.#pools.values()],
      async (resource) => {
        if ('query' in resource) {
          await resource.close({ drainMs: left() });
          return;
        }
        // Requests on the wire may finish until the deadline; then they are aborted.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const cut = new Promise<'cut'>((resolve) => {
          timer = setTimeout(() => resolve('cut'), left());
        });
        const closed = await Promise.race([resource.close().then(() => 'closed' as const), cut]);
        clearTimeout(timer);
        if (closed === 'cut') await resource.destroy();
      },
      // One failing close must not leave the others open.
      { stopOnError: false },
    );
    // Work holding a permit may finish until the deadline (and a shared permit's release land
    // in its store) before the stores close.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      forEachBounded([...this.#semaphores.values()], (semaphore) => semaphore.whenIdle()),
      new Promise((resolve) => {
        timer = setTimeout(resolve, left());
      }),
    ]);
    clearTimeout(timer);
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
      store = deferredStore('redis', `redis ${describeConnection(url)}`, async () => {
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
    // Own names only: manager.semaphore('constructor') is unknown unless the policy defines it.
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
    this.#entries.set(`${section}.${name}`, own<Entry>(this.#policy[section], name)!);
    this.#created.emit({ kind, name, resource });
    return resource;
  }

  #reloadText(text: string): boolean {
    this.#lastText = text;
    const file = this.#file!;
    let next: Policy;
    try {
      next = parsed(text, file, this.#options);
    } catch (error) {
      return this.#failed(error);
    }
    let event: ReloadEvent;
    try {
      event = this.#apply(next);
    } catch (error) {
      return this.#failed(error);
    }
    this.#policy = next;
    if (event.changes.length > 0) this.#logger.info(`bounded: policy reloaded: ${event.changes.join('; ')}`);
    for (const note of event.pending) this.#logger.warn(`bounded: ${note}`);
    this.#reloaded.emit(event);
    return true;
  }

  /** Reports a reload that did not apply; the policy in force stays. Always false. */
  #failed(error: unknown): false {
    const file = this.#file!;
    const failure: ReloadFailure =
      error instanceof PolicyError
        ? { file: error.file, problems: error.problems }
        : { file, problems: [{ file, line: 1, column: 1, path: '', message: error instanceof Error ? error.message : String(error) }] };
    const message = error instanceof PolicyError ? error.message : `${file}: ${failure.problems[0]!.message}`;
    this.#logger.error(`bounded: kept the last good policy; ${message}`);
    this.#reloadFailed.emit(failure);
    return false;
  }

  /** The watcher found the file settled: apply it unless it is the text already seen. */
  #settled(read: { text: string } | { error: unknown }): void {
    if (this.#closed) return;
    try {
      if ('error' in read) {
        this.#lastText = undefined;
        this.#failed(read.error);
      } else if (read.text !== this.#lastText) {
        this.#reloadText(read.text);
      }
    } catch (error) {
      // Nothing on this path may escape into the timer that called it and end the process.
      this.#logger.error(`bounded: policy reload failed: ${(error as Error).message}`);
    }
  }

  #guarded<T>(what: string, listener: Listener<T>): Listener<T> {
    if (typeof listener !== 'function') return listener;
    return (event) => {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error(
          `bounded: an ${what} listener threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
    };
  }

  /**
   * Brings every resource built so far to `next`'s settings. All or nothing: when a resource
   * refuses its new numbers, the ones already changed are put back and the error is thrown.
   */
  #apply(next: Policy): ReloadEvent {
    const reload: ApplyStep = { changes: [], pending: [], undo: [], applied: new Map<string, Entry>() };
    const { changes, pending, undo, applied } = reload;
    try {
      this.#applySemaphores(next, reload);
      this.#applyLimiters(next, reload);
      this.#applyPools(next, reload);
      for (const name of this.#http.keys()) {
        const was = this.#entries.get(`http.${name}`) as HttpPolicy;
        const entry = own(next.http, name);
        if (entry === undefined || JSON.stringify(entry) !== JSON.stringify(was)) {
          pending.push(`http.${name} changed; it applies after a restart`);
        }
      }
    } catch (error) {
      for (const step of undo.reverse()) {
        try {
          step();
        } catch (failed) {
          this.#logger.error(`bounded: could not put a resource back after a failed reload: ${(failed as Error).message}`);
        }
      }
      throw error;
    }
    for (const [key, entry] of applied) this.#entries.set(key, entry);
    return { policy: next, changes, pending };
  }

  #applySemaphores(next: Policy, step: ApplyStep): void {
    const { changes, pending, undo, applied } = step;
    for (const [name, semaphore] of this.#semaphores) {
      const was = this.#entries.get(`semaphores.${name}`) as SemaphorePolicy;
      const entry = own(next.semaphores, name);
      if (entry === undefined) {
        pending.push(`semaphores.${name} was removed from the policy; the running one keeps limit ${semaphore.limit}`);
        continue;
      }
      if (sharingOf(entry) !== sharingOf(was)) pending.push(`semaphores.${name} store settings changed; they apply after a restart`);
      const { limit, maxQueue } = semaphore;
      undo.push(() => {
        semaphore.resize(limit);
        semaphore.setMaxQueue(maxQueue);
      });
      if (entry.limit !== limit) {
        changes.push(`semaphores.${name}.limit ${limit} → ${entry.limit}`);
        semaphore.resize(entry.limit);
      }
      if (entry.maxQueue !== maxQueue) {
        changes.push(`semaphores.${name}.maxQueue ${maxQueue} → ${entry.maxQueue}`);
        semaphore.setMaxQueue(entry.maxQueue);
      }
      applied.set(`semaphores.${name}`, entry);
    }
  }

  #applyLimiters(next: Policy, step: ApplyStep): void {
    const { changes, pending, undo, applied } = step;
    for (const [name, limiter] of this.#limiters) {
      const was = this.#entries.get(`rateLimits.${name}`) as RateLimitPolicy;
      const entry = own(next.rateLimits, name);
      if (entry === undefined) {
        pending.push(`rateLimits.${name} was removed from the policy; the running limiter keeps its limits`);
        continue;
      }
      if (sharingOf(entry) !== sharingOf(was)) pending.push(`rateLimits.${name} store settings changed; they apply after a restart`);
      if (entry.algorithm !== was.algorithm) {
        pending.push(`rateLimits.${name}.algorithm ${was.algorithm} → ${entry.algorithm} applies after a restart`);
        continue;
      }
      for (const key of ['rate', 'perMs', 'burst', 'spacing', 'maxQueue', 'maxPenaltyMs'] as const) {
        if (entry[key] !== was[key]) changes.push(`rateLimits.${name}.${key} ${String(was[key])} → ${String(entry[key])}`);
      }
      undo.push(() => reconfigure(limiter, was));
      reconfigure(limiter, entry);
      applied.set(`rateLimits.${name}`, entry);
    }
  }

  #applyPools(next: Policy, step: ApplyStep): void {
    const { changes, pending, undo, applied } = step;
    for (const [name, pool] of this.#pools) {
      const was = this.#entries.get(`pools.${name}`) as PoolPolicy;
      const entry = own(next.pools, name);
      if (entry === undefined) {
        pending.push(`pools.${name} was removed from the policy; the running pool stays open`);
        continue;
      }
      if (entry.max !== was.max) {
        changes.push(`pools.${name}.max ${was.max} → ${entry.max}`);
        undo.push(() => pool.resize(was.max));
        pool.resize(entry.max);
      }
      for (const key of ['connectionString', 'min', 'connectTimeoutMs', 'idleTimeoutMs', 'statementTimeoutMs', 'queryTimeoutMs'] as const) {
        if (entry[key] !== was[key]) pending.push(`pools.${name}.${key} changed; it applies after a restart`);
      }
      // Only max changed live: the pool still runs with the rest of what it was built with.
      applied.set(`pools.${name}`, { ...was, max: entry.max });
    }
  }
}

/** What one reload has changed so far, what waits for a restart, and how to put it back. */
interface ApplyStep {
  readonly changes: string[];
  readonly pending: string[];
  readonly undo: (() => void)[];
  readonly applied: Map<string, Entry>;
}

function buildLimiter(name: string, entry: RateLimitPolicy, store: SharedStore | undefined): SlidingWindow | TokenBucket {
  const common = { name, spacing: entry.spacing, maxQueue: entry.maxQueue, maxPenaltyMs: entry.maxPenaltyMs, per: entry.perMs };
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

type Entry = SemaphorePolicy | RateLimitPolicy | PoolPolicy | HttpPolicy;

function reconfigure(limiter: SlidingWindow | TokenBucket, entry: RateLimitPolicy): void {
  if (limiter instanceof SlidingWindow) {
    limiter.reconfigure({
      limit: entry.rate,
      per: entry.perMs,
      spacing: entry.spacing,
      maxQueue: entry.maxQueue,
      maxPenaltyMs: entry.maxPenaltyMs,
    });
  } else {
    limiter.reconfigure({
      rate: entry.rate,
      per: entry.perMs,
      burst: entry.burst,
      spacing: entry.spacing,
      maxQueue: entry.maxQueue,
      maxPenaltyMs: entry.maxPenaltyMs,
    });
  }
}

/** The store settings of an entry, comparable: they cannot change on a running limit. */
function sharingOf(entry: RateLimitPolicy | SemaphorePolicy): string {
  const { store, onStoreError, fallback } = entry;
  return JSON.stringify([store, onStoreError, fallback, 'leaseTtlMs' in entry ? entry.leaseTtlMs : undefined]);
}

/** Policy text parsed for the runtime, which uses every value: an unset `env:` reference is a problem. */
function parsed(text: string, file: string, options: ManagerOptions): Policy {
  const result = parsePolicy(text, file, { ...options, requireEnv: true });
  if (result.policy === undefined) throw new PolicyError(file, result.problems);
  return result.policy;
}

/**
 * Watches a policy file for edits that have settled, through symlinks: the folder of the path
 * itself (editors replace a file on save; a ConfigMap swaps its `..data` link there) and the
 * folder of the file it resolves to (a link to a file elsewhere, edited in place), re-resolved
 * after every change. `settled` is called once the file has stayed the same for `quietMs`,
 * with its text or why it could not be read.
 */
class PolicyFileWatcher {
  readonly #file: string;
  readonly #quietMs: number;
  readonly #settled: (read: { text: string } | { error: unknown }) => void;
  readonly #logger: ManagerLogger;
  readonly #watchers = new Map<string, FSWatcher>();
  /** What the file looked like when last checked: identity, size, times, or an error code. */
  #seen: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(file: string, quietMs: number, settled: (read: { text: string } | { error: unknown }) => void, logger: ManagerLogger) {
    this.#file = file;
    this.#quietMs = quietMs;
    this.#settled = settled;
    this.#logger = logger;
    this.#seen = this.#look();
    this.#follow();
    if (!this.#watchers.has(dirname(file))) this.#logger.warn(`bounded: cannot watch ${file} for changes`);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  /** Something changed in a watched folder: if the file looks different, wait for it to settle. */
  #changed(): void {
    if (this.#closed) return;
    const now = this.#look();
    if (now !== this.#seen) {
      this.#seen = now;
      this.#wait();
    }
  }

  #wait(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#check(), this.#quietMs);
    this.#timer.unref();
  }

  /** The quiet period passed: read the file, unless it changed in the meantime (with or without an event). */
  #check(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#follow();
    const before = this.#look();
    if (before !== this.#seen) {
      this.#seen = before;
      this.#wait();
      return;
    }
    let read: { text: string } | { error: unknown };
    try {
      read = { text: readPolicyText(this.#file) };
    } catch (error) {
      read = { error };
    }
    const after = this.#look();
    if (after !== before) {
      // Written to while it was read: what was read may be half of it.
      this.#seen = after;
      this.#wait();
      return;
    }
    this.#settled(read);
  }

  #look(): string {
    try {
      const stat = statSync(this.#file, { bigint: true });
      return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
    } catch (error) {
      return `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
    }
  }

  /** Watches the folder of the path and of the file it resolves to now, and no others. */
  #follow(): void {
    const folders = new Set([dirname(this.#file)]);
    try {
      folders.add(dirname(realpathSync(this.#file)));
    } catch {
      // A dangling link or a missing file: the path's own folder still sees it come back.
    }
    for (const [folder, watcher] of this.#watchers) {
      if (!folders.has(folder)) {
        watcher.close();
        this.#watchers.delete(folder);
      }
    }
    for (const folder of folders) {
      if (this.#watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, () => this.#changed());
        // A watched folder that goes away (a ConfigMap's old ..2026_… folder) must not end the process.
        watcher.on('error', () => {
          watcher.close();
          if (this.#watchers.get(folder) === watcher) this.#watchers.delete(folder);
        });
        this.#watchers.set(folder, watcher);
      } catch {
        // Not watchable (gone already); the next change re-resolves.
      }
    }
  }
}

const consoleLogger: ManagerLogger = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};
