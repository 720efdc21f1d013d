/**
 * The in-memory store: the store contract (types.ts) kept in this process's memory.
 *
 * It is not how a limiter without `store` works: those (`new TokenBucket({ rate })`) keep
 * their numbers in their own fields and decide synchronously, the fast path. This store exists
 * to run the shared-mode code path without a server: unit tests with a fake clock, a reference
 * the PostgreSQL and Redis stores are checked against, and limits shared by several limiter
 * objects of one process. `kind: memory` in the policy builds plain limiters instead.
 */
import { ClosedError, StoreUnavailableError } from '../errors.js';
import { show } from '../internal/validate.js';
import type {
  LeaseDecision,
  LeaseInfo,
  LimiterAlgorithm,
  LimiterDecision,
  SharedStore,
  StoreCallOptions,
  StoreSubscription,
} from './types.js';

export interface MemoryStoreOptions {
  /** Milliseconds clock, the store's "now". Default `Date.now`. Tests pass a fake one. */
  readonly now?: (() => number) | undefined;
}

interface RateState {
  tokens: number | undefined;
  tokensAt: number;
  times: number[];
  costs: number[];
  pausedUntil: number;
}

const EPSILON = 1e-9;

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}

export class MemoryStore implements SharedStore {
  readonly kind = 'memory' as const;
  readonly description = 'memory';
  readonly #now: () => number;
  readonly #rates = new Map<string, RateState>();
  readonly #leases = new Map<string, Map<string, number>>();
  readonly #subscribers = new Map<string, Set<() => void>>();
  #last = Number.NEGATIVE_INFINITY;
  #closed = false;
  #down: Error | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * For tests of failure handling: while set, every call rejects with `StoreUnavailableError`
   * caused by `error`; `undefined` brings the store back.
   */
  simulateOutage(error: Error | undefined): void {
    this.#down = error;
    if (error === undefined) this.#wakeAll();
  }

  tryAcquire(key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions): Promise<LimiterDecision> {
    return this.#call('tryAcquire', options, () => {
      const now = this.#clock();
      const state = this.#rate(key, now);
      const pausedMs = Math.max(0, state.pausedUntil - now);
      if (algorithm.kind === 'token-bucket') {
        const { rate, perMs, burst } = algorithm;
        const tokens =
          state.tokens === undefined ? burst : Math.min(burst, state.tokens + (Math.max(0, now - state.tokensAt) * rate) / perMs);
        const admitted = pausedMs === 0 && tokens >= cost - EPSILON;
        state.tokens = admitted ? Math.max(0, tokens - cost) : tokens;
        state.tokensAt = now;
        if (admitted) return { admitted, retryAfterMs: 0, remaining: floor(state.tokens), storeTime: now };
        const refillMs = cost > burst ? Number.POSITIVE_INFINITY : ((cost - tokens) * perMs) / rate;
        return { admitted, retryAfterMs: Math.max(pausedMs, refillMs), remaining: pausedMs > 0 ? 0 : floor(tokens), storeTime: now };
      }
      const { limit, perMs } = algorithm;
      // Drop what left the window: an entry at t counts in [t, t + per).
      let head = 0;
      while (head < state.times.length && state.times[head]! <= now - perMs) head++;
      if (head > 0) {
        state.times.splice(0, head);
        state.costs.splice(0, head);
      }
      let used = 0;
      for (const c of state.costs) used += c;
      const admitted = pausedMs === 0 && used + cost <= limit + EPSILON;
      if (admitted) {
        state.times.push(now);
        state.costs.push(cost);
        return { admitted, retryAfterMs: 0, remaining: floor(limit - used - cost), storeTime: now };
      }
      let windowMs = cost > limit ? Number.POSITIVE_INFINITY : 0;
      if (Number.isFinite(windowMs)) {
        let excess = used + cost - limit;
        for (let i = 0; i < state.times.length; i++) {
          excess -= state.costs[i]!;
          if (excess <= EPSILON) {
            windowMs = state.times[i]! + perMs - now;
            break;
          }
        }
      }
      return { admitted, retryAfterMs: Math.max(pausedMs, windowMs), remaining: pausedMs > 0 ? 0 : floor(limit - used), storeTime: now };
    });
  }

  penalize(key: string, ms: number, options?: StoreCallOptions): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new TypeError(`Expected \`ms\` to be a non-negative finite number, got ${show(ms)}`));
    }
    return this.#call('penalize', options, () => {
      const now = this.#clock();
      const state = this.#rate(key, now);
      state.pausedUntil = Math.max(state.pausedUntil, now + ms);
    });
  }

  reset(key: string, options?: StoreCallOptions): Promise<void> {
    return this.#call('reset', options, () => {
      this.#rates.delete(key);
      this.#wake(key);
    });
  }

  acquire(key: string, limit: number, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<LeaseDecision> {
    return this.#call('acquire', options, () => {
      const now = this.#clock();
      const leases = this.#live(key, now);
      const acquired = leases.has(holderId) || leases.size < limit;
      if (acquired) {
        leases.delete(holderId);
        leases.set(holderId, now + ttlMs);
        return { acquired, holders: leases.size, retryAfterMs: 0 };
      }
      let earliest = Number.POSITIVE_INFINITY;
      for (const expires of leases.values()) earliest = Math.min(earliest, expires);
      return { acquired, holders: leases.size, retryAfterMs: Number.isFinite(earliest) ? earliest - now : 0 };
    });
  }

  renew(key: string, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<boolean> {
    return this.#call('renew', options, () => {
      const now = this.#clock();
      const leases = this.#live(key, now);
      if (!leases.has(holderId)) return false;
      leases.set(holderId, now + ttlMs);
      return true;
    });
  }

  release(key: string, holderId: string, options?: StoreCallOptions): Promise<void> {
    return this.#call('release', options, () => {
      const leases = this.#live(key, this.#clock());
      if (leases.delete(holderId)) this.#wake(key);
    });
  }

  holders(key: string, options?: StoreCallOptions): Promise<readonly LeaseInfo[]> {
    return this.#call('holders', options, () => {
      const now = this.#clock();
      return [...this.#live(key, now)].map(([holderId, expires]) => ({ holderId, expiresInMs: expires - now }));
    });
  }

  ping(options?: StoreCallOptions): Promise<void> {
    return this.#call('ping', options, () => undefined);
  }

  async subscribe(key: string, onWake: () => void): Promise<StoreSubscription> {
    if (typeof onWake !== 'function') throw new TypeError(`Expected \`onWake\` to be a function, got ${show(onWake)}`);
    await this.ping();
    let set = this.#subscribers.get(key);
    if (set === undefined) this.#subscribers.set(key, (set = new Set()));
    const entry = (): void => onWake();
    set.add(entry);
    return {
      unsubscribe: () => {
        this.#subscribers.get(key)?.delete(entry);
        return Promise.resolve();
      },
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#subscribers.clear();
    return Promise.resolve();
  }

  /** Runs `step` as one atomic decision, asynchronously like a remote store would answer. */
  #call<T>(operation: string, options: StoreCallOptions | undefined, step: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new ClosedError('MemoryStore'));
    if (options?.signal?.aborted === true) return Promise.reject(options.signal.reason);
    if (this.#down !== undefined) {
      return Promise.reject(new StoreUnavailableError({ store: this.description, operation, cause: this.#down }));
    }
    try {
      return Promise.resolve(step());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The store's clock, never running backwards. */
  #clock(): number {
    const now = this.#now();
    if (now > this.#last) this.#last = now;
    return this.#last;
  }

  #rate(key: string, now: number): RateState {
    let state = this.#rates.get(key);
    if (state === undefined) {
      state = { tokens: undefined, tokensAt: now, times: [], costs: [], pausedUntil: Number.NEGATIVE_INFINITY };
      this.#rates.set(key, state);
    }
    return state;
  }

  /** The key's leases with the expired ones dropped. */
  #live(key: string, now: number): Map<string, number> {
    let leases = this.#leases.get(key);
    if (leases === undefined) {
      leases = new Map();
      this.#leases.set(key, leases);
    }
    for (const [holder, expires] of leases) if (expires <= now) leases.delete(holder);
    return leases;
  }

  #wake(key: string): void {
    const set = this.#subscribers.get(key);
    if (set === undefined) return;
    // Like a remote notification: delivered after the step that caused it has answered.
    for (const onWake of [...set]) setTimeout(onWake, 0);
  }

  #wakeAll(): void {
    for (const key of this.#subscribers.keys()) this.#wake(key);
  }
}

function floor(value: number): number {
  return Math.max(0, Math.floor(value + EPSILON));
}
