import type { Listener, Subscription } from '../internal/events.js';

export interface RateAcquireOptions {
  /** Gives up waiting (rejects with `signal.reason`) when it aborts; a waiter that gives up consumes nothing. */
  signal?: AbortSignal;
  /** Units this call consumes (default 1), e.g. tokens for a model call priced by size. */
  cost?: number;
  /**
   * Longest time to wait for admission; past it the call rejects with `TimeoutError`. A caller
   * that the rate cannot admit within it is refused at once with `LoadShedError` instead.
   */
  timeoutMs?: number;
  /**
   * What is left of the deadline of the whole operation this wait is part of, in ms. It never
   * times the wait out; a caller the rate cannot admit within it is refused at once with
   * `LoadShedError`, rather than queueing only to expire.
   */
  deadlineMs?: number;
}

/** Live counters of a limiter since it was created. */
export interface RateLimiterStats {
  /** Units that could be admitted right now without waiting. */
  readonly available: number;
  /** Callers waiting for admission now. */
  readonly waiting: number;
  /** Calls admitted (at once or after waiting). */
  readonly admitted: number;
  /** Calls that had to wait before admission. */
  readonly throttled: number;
  /** Calls refused: queue full, timed out, aborted, closed, or costing more than a reduced capacity. */
  readonly rejected: number;
}

export interface RateLimiterEvent {
  readonly name: string | undefined;
  readonly kind: 'TokenBucket' | 'SlidingWindow';
  readonly waiting: number;
  readonly available: number;
}

export interface RateLimiterRejection extends RateLimiterEvent {
  /**
   * `capacity`: a reconfigure shrank the capacity below the cost of a queued call.
   * `store-unavailable`: a shared limit's store could not be reached (`failClosed`).
   * `store-error`: a shared limit's store refused the call for another reason.
   */
  readonly reason: 'queue-full' | 'shed' | 'timeout' | 'abort' | 'closed' | 'capacity' | 'store-unavailable' | 'store-error';
}

export interface RateLimiterAdmission {
  readonly name: string | undefined;
  readonly kind: 'TokenBucket' | 'SlidingWindow';
  /** Milliseconds the caller waited for admission. */
  readonly waitedMs: number;
  /**
   * When it was admitted, on the limiter's clock (`performance.now()` unless a clock was
   * given): the time the limiter counted, not when a listener happens to run, which a batch of
   * admissions or a GC pause can put later.
   */
  readonly at: number;
}

export interface RateLimiterPenalty extends RateLimiterEvent {
  /** Admissions are paused until this `Date.now()` time. */
  readonly until: number;
}

/**
 * What every bounded rate limiter offers (`TokenBucket`, `SlidingWindow`), and what
 * `createHttpClient`, `throttleClient` and the manager accept as `limiter`.
 */
export interface RateLimiter {
  readonly name: string | undefined;
  readonly kind: 'TokenBucket' | 'SlidingWindow';
  /** Waits until `cost` units are admitted. FIFO: a cheap call never overtakes an earlier costly one. */
  acquire(options?: RateAcquireOptions): Promise<void>;
  /** Admits `cost` units now if that needs no waiting and nobody waits; never waits. */
  tryAcquire(cost?: number): boolean;
  /** Waits for admission, then runs `fn` with the caller's signal. */
  schedule<T>(fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>, options?: RateAcquireOptions): Promise<Awaited<T>>;
  /**
   * Pauses all admissions for `ms` (e.g. a provider's `Retry-After`). Overlapping penalties
   * extend to the latest end; they never shorten one in force.
   */
  penalize(ms: number): void;
  readonly available: number;
  readonly waiting: number;
  readonly admitted: number;
  readonly throttled: number;
  readonly rejected: number;
  stats(): RateLimiterStats;
  onThrottled(listener: Listener<RateLimiterEvent>): Subscription;
  onRejected(listener: Listener<RateLimiterRejection>): Subscription;
  onAdmitted(listener: Listener<RateLimiterAdmission>): Subscription;
  onPenalized(listener: Listener<RateLimiterPenalty>): Subscription;
  /** Rejects every waiter with `ClosedError` and refuses later calls. */
  close(): void;
}
