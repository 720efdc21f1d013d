import type { Duration } from '@bounded/policy/core';
import type { SharedModeOptions } from '../store/types.js';
import { LimiterCore, type SharedTuning, type Spacing } from './core.js';
import { assertPositive, assertStore, positiveDuration, sharedKey } from './token-bucket.js';

/** The local limit a shared `SlidingWindow` falls back to under `failOpen`; unset numbers are the shared ones. */
export interface SlidingWindowFallback {
  limit?: number;
  per?: Duration;
}

/**
 * Options of a `SlidingWindow`. With `store`, the window is shared by every process that uses
 * the same store and key (see docs/shared-limits.md): `spacing: 'even'` is then refused and
 * `tryAcquire` always returns false.
 */
export interface SlidingWindowOptions extends SharedModeOptions<SlidingWindowFallback>, SharedTuning {
  /** Most units admitted in any window of length `per`. */
  limit: number;
  /** Window length: `1s` (default), `1m`, or milliseconds. */
  per?: Duration;
  /** `even` admits one unit every `per / limit` instead of the whole window at once. */
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

export type SlidingWindowReconfigure = Partial<Pick<SlidingWindowOptions, 'limit' | 'per' | 'spacing' | 'maxQueue' | 'maxPenaltyMs'>>;

/**
 * An exact sliding window: it keeps a log of the admissions of the last `per` and admits a
 * call only while the log's total plus the call's cost stays within `limit`. No window of
 * length `per`, wherever it starts, ever holds more than `limit`: the guarantee a provider's
 * "60 requests per minute" needs, with no edge where twice the limit slips through.
 *
 * The trade-off, chosen deliberately: the log costs memory in proportion to the admissions of
 * one window (two numbers each; 60/min keeps at most 60 entries), where a weighted two-bucket
 * counter costs O(1) but only approximates the window and can overshoot. For limits of
 * thousands of units per window priced by size (tokens per minute), prefer `TokenBucket`.
 *
 * ```ts
 * const openai = new SlidingWindow({ limit: 60, per: '1m', name: 'openai' });
 * const reply = await openai.schedule((signal) => client.chat.completions.create(body, { signal }));
 * ```
 */
export class SlidingWindow extends LimiterCore {
  readonly kind = 'SlidingWindow' as const;
  #limit: number;
  #perMs: number;
  /** Admission log, oldest first from `#head`: times and costs. */
  #times: number[] = [];
  #costs: number[] = [];
  #head = 0;
  /** Total cost of the entries in the log. */
  #sum = 0;

  constructor(options: SlidingWindowOptions) {
    super(options);
    assertPositive('limit', options.limit);
    this.#limit = options.limit;
    this.#perMs = positiveDuration('per', options.per ?? 1_000);
    if (options.store !== undefined) {
      const store = assertStore(options.store, 'SlidingWindow');
      const fallback = options.fallback ?? {};
      this.shareThrough(
        {
          store,
          key: sharedKey('SlidingWindow', options.key, options.name),
          fallback: new SlidingWindow({
            limit: fallback.limit ?? options.limit,
            per: fallback.per ?? this.#perMs,
            maxQueue: options.maxQueue,
            maxPenaltyMs: options.maxPenaltyMs,
            ...(options.name === undefined ? {} : { name: options.name }),
            ...(options.now === undefined ? {} : { now: options.now }),
          }),
          onStoreError: options.onStoreError,
          probeIntervalMs: options.probeIntervalMs,
        },
        () => ({ kind: 'sliding-window', limit: this.#limit, perMs: this.#perMs }),
      );
    }
  }

  get limit(): number {
    return this.#limit;
  }

  get perMs(): number {
    return this.#perMs;
  }

  /** Changes the numbers live; the log of past admissions is kept and counts against the new limit. */
  reconfigure(options: SlidingWindowReconfigure): void {
    const limit = options.limit ?? this.#limit;
    assertPositive('limit', limit);
    const perMs = options.per === undefined ? this.#perMs : positiveDuration('per', options.per);
    this.reconfigureCore(options);
    this.#limit = limit;
    this.#perMs = perMs;
    this.rearm();
  }

  protected describeLimit(): string {
    return `limit ${this.#limit} per ${this.#perMs} ms`;
  }

  protected capacity(now: number): number {
    this.#expire(now);
    return this.#limit - this.#sum;
  }

  protected wait(cost: number, now: number): number {
    this.#expire(now);
    let excess = this.#sum + cost - this.#limit;
    if (excess <= 1e-9) return 0;
    // Walk the log from the oldest entry until enough cost will have left the window.
    const times = this.#times;
    const costs = this.#costs;
    for (let i = this.#head; i < times.length; i++) {
      excess -= costs[i]!;
      if (excess <= 1e-9) return times[i]! + this.#perMs - now;
    }
    return this.#perMs;
  }

  protected tryConsume(cost: number, now: number): boolean {
    if (Number.isNaN(now)) now = this.now();
    // Drop what has left the window on every admission (one comparison when nothing has), not
    // only when room is needed: otherwise a limit far above the traffic keeps up to `limit`
    // stale entries, and a limit used as "practically unlimited" grows the log without end.
    this.#expire(now);
    if (this.#sum + cost - this.#limit > 1e-9) return false;
    this.#times.push(now);
    this.#costs.push(cost);
    this.#sum += cost;
    return true;
  }

  protected get maxCost(): number {
    return this.#limit;
  }

  protected get interval(): number {
    return this.#perMs / this.#limit;
  }

  /** Drops entries that left the window: an entry at t counts in [t, t + per). */
  #expire(now: number): void {
    const times = this.#times;
    let head = this.#head;
    const cutoff = now - this.#perMs;
    while (head < times.length && times[head]! <= cutoff) {
      this.#sum -= this.#costs[head]!;
      head++;
    }
    if (head === times.length) {
      if (head > 0) {
        times.length = 0;
        this.#costs.length = 0;
        this.#sum = 0;
      }
      head = 0;
    } else if (head > 1024 && head * 2 > times.length) {
      times.splice(0, head);
      this.#costs.splice(0, head);
      head = 0;
    }
    this.#head = head;
  }
}
