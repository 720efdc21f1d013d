import { parseDuration, type Duration } from '@bounded/policy/core';
import { show } from '../internal/validate.js';
import type { SharedModeOptions, SharedStore } from '../store/types.js';
import { LimiterCore, type SharedTuning, type Spacing } from './core.js';

/** The local limit a shared `TokenBucket` falls back to under `failOpen`; unset numbers are the shared ones. */
export interface TokenBucketFallback {
  rate?: number;
  per?: Duration;
  burst?: number;
}

/**
 * Options of a `TokenBucket`. With `store`, the bucket is shared by every process that uses
 * the same store and key (see docs/shared-limits.md): `initial` is then ignored (a new shared
 * bucket starts full), `spacing: 'even'` is refused and `tryAcquire` always returns false.
 */
export interface TokenBucketOptions extends SharedModeOptions<TokenBucketFallback>, SharedTuning {
  /** Tokens added per `per`: the sustained rate. */
  rate: number;
  /** The period `rate` refers to: `1s` (default), `1m`, or milliseconds. */
  per?: Duration;
  /** Bucket size: the most tokens one burst may use. Default: `rate`. */
  burst?: number;
  /** Tokens in the bucket at the start. Default: full (`burst`). */
  initial?: number;
  /** `even` admits one token every `per / rate` instead of letting a full bucket go at once. */
  spacing?: Spacing;
  /** Most callers allowed to wait; one more is refused with `QueueFullError`. Default Infinity. */
  maxQueue?: number;
  /**
   * Longest pause one `penalize(ms)` imposes (a provider's `Retry-After`), in milliseconds.
   * Default: the policy's `defaults.rateLimits.maxPenalty` (5 minutes).
   */
  maxPenaltyMs?: number;
  name?: string;
  /** Milliseconds clock; defaults to `performance.now`. */
  now?: () => number;
}

export type TokenBucketReconfigure = Partial<Pick<TokenBucketOptions, 'rate' | 'per' | 'burst' | 'spacing' | 'maxQueue' | 'maxPenaltyMs'>>;

/**
 * A token bucket: tokens refill continuously at `rate` per `per` up to `burst`, and a call
 * takes `cost` tokens. Over any window of length T it admits at most `burst + rate * T / per`,
 * so a full bucket followed by the refill can pass nearly twice `rate` within one `per`; use
 * `SlidingWindow` when a provider counts calls per window, or `spacing: 'even'`.
 *
 * ```ts
 * const embeddings = new TokenBucket({ rate: 1_000_000, per: '1m', burst: 100_000, name: 'embeddings-tpm' });
 * await embeddings.acquire({ cost: tokensIn(batch) });
 * ```
 */
export class TokenBucket extends LimiterCore {
  readonly kind = 'TokenBucket' as const;
  #rate: number;
  #perMs: number;
  #burst: number;
  #tokens: number;
  #last: number;
  /** Burst was never given (neither to the constructor nor to reconfigure): it follows `rate`. */
  #burstFollowsRate: boolean;

  constructor(options: TokenBucketOptions) {
    super(options);
    const { rate, per = 1_000 } = options;
    assertPositive('rate', rate);
    this.#rate = rate;
    this.#perMs = positiveDuration('per', per);
    this.#burstFollowsRate = options.burst === undefined;
    const burst = options.burst ?? rate;
    assertPositive('burst', burst);
    this.#burst = burst;
    const initial = options.initial ?? burst;
    if (typeof initial !== 'number' || !(initial >= 0 && initial <= burst)) {
      throw new TypeError(`Expected \`initial\` to be a number from 0 to burst (${burst}), got ${show(initial)}`);
    }
    this.#tokens = initial;
    this.#last = this.now();
    if (options.store !== undefined) {
      const store = assertStore(options.store, 'TokenBucket');
      const fallback = options.fallback ?? {};
      this.shareThrough(
        {
          store,
          key: sharedKey('TokenBucket', options.key, options.name),
          fallback: new TokenBucket({
            rate: fallback.rate ?? rate,
            per: fallback.per ?? per,
            burst: fallback.burst ?? (fallback.rate === undefined ? burst : undefined),
            maxQueue: options.maxQueue,
            maxPenaltyMs: options.maxPenaltyMs,
            ...(options.name === undefined ? {} : { name: options.name }),
            ...(options.now === undefined ? {} : { now: options.now }),
          }),
          onStoreError: options.onStoreError,
          probeIntervalMs: options.probeIntervalMs,
        },
        () => ({ kind: 'token-bucket', rate: this.#rate, perMs: this.#perMs, burst: this.#burst }),
      );
    }
  }

  get rate(): number {
    return this.#rate;
  }

  get perMs(): number {
    return this.#perMs;
  }

  get burst(): number {
    return this.#burst;
  }

  /**
   * Changes the numbers live. Tokens earned so far are kept (capped at the new burst); waiters
   * are re-timed at once.
   */
  reconfigure(options: TokenBucketReconfigure): void {
    const rate = options.rate ?? this.#rate;
    const perMs = options.per === undefined ? this.#perMs : positiveDuration('per', options.per);
    const burst = options.burst ?? (this.#burstFollowsRate ? rate : this.#burst);
    assertPositive('rate', rate);
    assertPositive('burst', burst);
    this.reconfigureCore(options);
    this.#refill(this.now());
    this.#rate = rate;
    this.#perMs = perMs;
    this.#burst = burst;
    if (options.burst !== undefined) this.#burstFollowsRate = false;
    if (this.#tokens > burst) this.#tokens = burst;
    this.rearm();
  }

  protected describeLimit(): string {
    return `rate ${this.#rate} per ${this.#perMs} ms, burst ${this.#burst}`;
  }

  protected capacity(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  protected wait(cost: number, now: number): number {
    this.#refill(now);
    const deficit = cost - this.#tokens;
    if (deficit <= 1e-9) return 0;
    return (deficit * this.#perMs) / this.#rate;
  }

  protected tryConsume(cost: number, now: number): boolean {
    // The clock must be read even when the last count covers the cost: tokens taken without a
    // time would be taken "at #last", and the next refill would credit them back for time the
    // bucket spent full (capped), letting up to twice `burst` through at one instant.
    this.#refill(Number.isNaN(now) ? this.now() : now);
    if (cost - this.#tokens > 1e-9) return false;
    this.#tokens -= cost;
    if (this.#tokens < 0) this.#tokens = 0;
    return true;
  }

  protected get maxCost(): number {
    return this.#burst;
  }

  protected get interval(): number {
    return this.#perMs / this.#rate;
  }

  #refill(now: number): void {
    const elapsed = now - this.#last;
    if (elapsed <= 0) return;
    this.#last = now;
    const tokens = this.#tokens + (elapsed * this.#rate) / this.#perMs;
    this.#tokens = tokens > this.#burst ? this.#burst : tokens;
  }
}

export function assertPositive(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`Expected \`${name}\` to be a positive number, got ${show(value)}`);
  }
}

/** Checks a `store` option: it must look like a `SharedStore`. */
export function assertStore(store: unknown, kind: string): SharedStore {
  const candidate = store as Partial<Record<keyof SharedStore, unknown>> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.tryAcquire !== 'function' ||
    typeof candidate.acquire !== 'function' ||
    typeof candidate.subscribe !== 'function' ||
    typeof candidate.ping !== 'function'
  ) {
    throw new TypeError(`Expected \`store\` of ${kind} to be a store (createPostgresStore, createRedisStore…), got ${show(store)}`);
  }
  return store as SharedStore;
}

/** The key of a shared limit: `key`, else the name, which is then required. */
export function sharedKey(kind: string, key: string | undefined, name: string | undefined): string {
  const chosen = key ?? name;
  if (typeof chosen !== 'string' || chosen === '') {
    throw new TypeError(
      `Expected \`key\` or \`name\` of a ${kind} with a \`store\`: it names the shared limit in the store, got ${show(chosen)}`,
    );
  }
  return chosen;
}

export function positiveDuration(name: string, value: Duration): number {
  const ms = parseDuration(name, value);
  if (ms <= 0) throw new TypeError(`Expected \`${name}\` to be a positive duration, got ${JSON.stringify(value)}`);
  return ms;
}
