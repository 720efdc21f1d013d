import { BoundedError, brandError, hasErrorBrand } from './errors.js';
import { Listeners, type Listener, type Subscription } from './internal/events.js';
import { assertFunction, assertQueueBound, assertTimeoutMs, show } from './internal/validate.js';

/**
 * What `perKey` can hold: a Semaphore, a TokenBucket or SlidingWindow, or anything that says
 * when it is idle (see `PerKeyOptions.isIdle`). Closed when evicted, when it has `close()`.
 */
export interface KeyedResource {
  readonly waiting: number;
  close?(): void;
}

export interface PerKeyOptions<T extends KeyedResource> {
  /**
   * Most keys held at once. A new key past it evicts the least recently used idle one; when every
   * key is in use the call is refused with `TooManyKeysError`. Default 10,000.
   */
  maxKeys?: number;
  /** A key unused for this long (ms) is evicted once idle. Default 60 s. */
  idleTtlMs?: number;
  /**
   * Whether a key's resource can be dropped without changing what callers see. Default: nobody
   * waits and, for a Semaphore, no permit is held; for a TokenBucket or SlidingWindow, it is
   * back to its full capacity (dropping a half-spent one would hand out a fresh burst early);
   * for one with a `store`, the state is in the store, so nobody waiting is enough.
   */
  isIdle?: (resource: T) => boolean;
  /** Names the group in errors and events. */
  name?: string;
}

export interface PerKeyEviction<T> {
  readonly name: string | undefined;
  readonly key: string;
  readonly resource: T;
  readonly reason: 'idle' | 'capacity' | 'deleted' | 'closed';
}

export interface TooManyKeysDetails {
  readonly resource?: string | undefined;
  readonly maxKeys: number;
}

/** A `perKey` group holds `maxKeys` keys and every one is in use: a new key was refused. */
export class TooManyKeysError extends BoundedError {
  readonly maxKeys: number;

  constructor(details: TooManyKeysDetails) {
    const label = details.resource === undefined ? 'perKey' : `perKey "${details.resource}"`;
    super(`${label} holds maxKeys ${details.maxKeys} keys, all in use: a new key was refused`, details.resource);
    this.name = 'TooManyKeysError';
    this.maxKeys = details.maxKeys;
    brandError(this, 'TooManyKeysError');
  }
}

export function isTooManyKeysError(value: unknown): value is TooManyKeysError {
  return hasErrorBrand(value, 'TooManyKeysError');
}

interface Entry<T> {
  readonly resource: T;
  /** `performance.now()` of the last `get`. */
  usedAt: number;
}

/**
 * One limit per key (tenant, API key, host), made on first use by `create(key)` and dropped once
 * idle: memory stays bounded by `maxKeys` however many keys come and go.
 *
 * ```ts
 * const tenants = perKey((tenant) => new TokenBucket({ rate: 60, per: '1m', name: `openai:${tenant}` }), {
 *   maxKeys: 100_000,
 *   idleTtlMs: 10 * 60_000,
 * });
 * await tenants.get(req.tenantId).acquire({ signal });
 * ```
 *
 * With a `store`, make the key part of the resource's own key, and every replica shares each
 * tenant's limit: `perKey((t) => new TokenBucket({ store, key: `openai:${t}`, rate: 60, per: '1m' }))`.
 */
export function perKey<T extends KeyedResource>(create: (key: string) => T, options: PerKeyOptions<T> = {}): PerKey<T> {
  return new PerKey(create, options);
}

export class PerKey<T extends KeyedResource> {
  readonly name: string | undefined;
  readonly maxKeys: number;
  readonly idleTtlMs: number;
  readonly #create: (key: string) => T;
  readonly #isIdle: (resource: T) => boolean;
  /** In order of last use: the least recently used first (`get` moves a key to the end). */
  readonly #entries = new Map<string, Entry<T>>();
  readonly #evicted = new Listeners<PerKeyEviction<T>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(create: (key: string) => T, options: PerKeyOptions<T> = {}) {
    assertFunction('create', create);
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object, got ${show(options)}`);
    }
    const { maxKeys = 10_000, idleTtlMs = 60_000, isIdle = defaultIsIdle, name } = options;
    assertQueueBound('maxKeys', maxKeys);
    if (maxKeys < 1) throw new TypeError(`Expected \`maxKeys\` to be a positive integer or Infinity, got ${show(maxKeys)}`);
    assertTimeoutMs('idleTtlMs', idleTtlMs);
    assertFunction('isIdle', isIdle);
    this.#create = create;
    this.#isIdle = isIdle;
    this.maxKeys = maxKeys;
    this.idleTtlMs = idleTtlMs;
    this.name = name;
  }

  /** Keys held now. */
  get size(): number {
    return this.#entries.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The resource of `key`, made now if there is none. */
  get(key: string): T {
    if (typeof key !== 'string') throw new TypeError(`Expected \`key\` to be a string, got ${show(key)}`);
    if (this.#closed) throw new TypeError(`${this.#label()} is closed`);
    const now = performance.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.usedAt = now;
      // Move to the end: the map stays in order of last use.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      return entry.resource;
    }
    if (this.#entries.size >= this.maxKeys && !this.#evictOne()) {
      throw new TooManyKeysError({ resource: this.name, maxKeys: this.maxKeys });
    }
    const resource = this.#create(key);
    if (typeof resource !== 'object' || resource === null || typeof resource.waiting !== 'number') {
      throw new TypeError(`Expected \`create\` to return a Semaphore or a limiter, got ${show(resource)}`);
    }
    this.#entries.set(key, { resource, usedAt: now });
    this.#arm();
    return resource;
  }

  /** The resource of `key` if one is held, without making one or counting a use. */
  peek(key: string): T | undefined {
    return this.#entries.get(key)?.resource;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Drops `key` now if it is idle; returns whether it was dropped. */
  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined || !this.#isIdle(entry.resource)) return false;
    this.#drop(key, entry, 'deleted');
    return true;
  }

  /** Drops every idle key unused for `idleTtlMs`; also runs on its own timer. Returns how many went. */
  sweep(now = performance.now()): number {
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      // In order of last use: past the first recent one, all are recent.
      if (now - entry.usedAt < this.idleTtlMs) break;
      if (!this.#isIdle(entry.resource)) continue;
      this.#drop(key, entry, 'idle');
      dropped++;
    }
    return dropped;
  }

  /** Refuses new keys and closes every resource (their waiters are refused as each `close()` says). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [key, entry] of this.#entries) this.#drop(key, entry, 'closed');
  }

  /** Called for every key dropped: idle, to make room, deleted, or on close. */
  onEvicted(listener: Listener<PerKeyEviction<T>>): Subscription {
    return this.#evicted.add(listener);
  }

  /** Makes room for one key: drops the least recently used idle one. */
  #evictOne(): boolean {
    for (const [key, entry] of this.#entries) {
      if (!this.#isIdle(entry.resource)) continue;
      this.#drop(key, entry, 'capacity');
      return true;
    }
    return false;
  }

  #drop(key: string, entry: Entry<T>, reason: PerKeyEviction<T>['reason']): void {
    this.#entries.delete(key);
    entry.resource.close?.();
    if (this.#evicted.active) this.#evicted.emit({ name: this.name, key, resource: entry.resource, reason });
  }

  /** One timer for the whole group, while it holds keys; it never keeps the process alive. */
  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(this.#tick, this.idleTtlMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    this.sweep();
    if (this.#entries.size > 0) this.#arm();
  };

  #label(): string {
    return this.name === undefined ? 'perKey' : `perKey "${this.name}"`;
  }
}

/** See `PerKeyOptions.isIdle`. */
function defaultIsIdle(resource: KeyedResource): boolean {
  if (resource.waiting !== 0) return false;
  const r = resource as KeyedResource & { inUse?: unknown; store?: unknown; available?: unknown; burst?: unknown; limit?: unknown };
  if (typeof r.inUse === 'number') return r.inUse === 0;
  if (r.store !== undefined) return true;
  if (typeof r.available === 'number') {
    const full = typeof r.burst === 'number' ? r.burst : typeof r.limit === 'number' ? r.limit : undefined;
    return full === undefined || r.available >= Math.floor(full);
  }
  return true;
}
