import { DEFAULT_POLICY } from '@bounded/policy/core';
import { ClosedError, LoadShedError, QueueFullError, TimeoutError } from '../errors.js';
import { Listeners, type Listener, type Subscription } from '../internal/events.js';
import { MAX_TIMER_MS, assertFunction, assertQueueBound, assertSignal, assertTimeoutMs, show } from '../internal/validate.js';
import { WaitTicket, type GiveUpReason } from '../internal/wait-ticket.js';
import { WaiterQueue } from '../internal/waiter-queue.js';
import type { StoreStatusEvent } from '../store/shared-health.js';
import { SharedLimiter, type SharedLimiterSettings } from '../store/shared-limiter.js';
import type { LimiterAlgorithm, SharedStore } from '../store/types.js';
import type {
  RateAcquireOptions,
  RateLimiter,
  RateLimiterEvent,
  RateLimiterAdmission,
  RateLimiterPenalty,
  RateLimiterRejection,
  RateLimiterStats,
} from './types.js';

/** How admissions are spread: as the algorithm allows (`burst`), or one every `per / rate` (`even`). */
export type Spacing = 'burst' | 'even';

/** Shared-mode knobs every limiter accepts next to `store`. */
export interface SharedTuning {
  /** Milliseconds between checks whether an unavailable store is back. Default 1000. */
  probeIntervalMs?: number | undefined;
}

export interface LimiterCoreOptions {
  name?: string | undefined;
  /** Most callers allowed to wait; one more is refused with `QueueFullError`. Default Infinity. */
  maxQueue?: number | undefined;
  spacing?: Spacing | undefined;
  /**
   * Longest pause one `penalize(ms)` imposes, in milliseconds: a longer one is cut to this.
   * Default: the policy's `defaults.rateLimits.maxPenalty` (5 minutes).
   */
  maxPenaltyMs?: number | undefined;
  /** Milliseconds clock; defaults to `performance.now`. Tests may pass a fake one. */
  now?: (() => number) | undefined;
}

/** The longest penalty unless a limiter says otherwise: the policy's `defaults.rateLimits.maxPenalty`. */
export const DEFAULT_MAX_PENALTY_MS: number = DEFAULT_POLICY.defaults.rateLimits.maxPenaltyMs;

const RESOLVED: Promise<void> = Promise.resolve();

let capturedResolve: ((value: void) => void) | undefined;
let capturedReject: ((reason: unknown) => void) | undefined;
function capture(resolve: (value: void) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

const defaultNow = (): number => performance.now();

/**
 * What every limiter shares: the FIFO of waiters, one timer for the head of the queue (never
 * one per call), penalties, even spacing, counters and events. An algorithm supplies how much
 * it can admit now and how long until it can admit a given cost.
 */
export abstract class LimiterCore implements RateLimiter {
  abstract readonly kind: 'TokenBucket' | 'SlidingWindow';
  readonly name: string | undefined;
  protected readonly now: () => number;
  #maxQueue: number;
  #spacing: Spacing;
  #maxPenaltyMs: number;
  /** Even spacing: earliest time of the next admission. */
  #nextEvenAt = Number.NEGATIVE_INFINITY;
  /** When the armed timer is due: the earliest time the head of the queue can be admitted. */
  #due = Number.NEGATIVE_INFINITY;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #closed = false;
  #admitted = 0;
  #throttled = 0;
  #rejected = 0;
  readonly #queue = new WaiterQueue();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #draining = false;
  readonly #throttledEvents = new Listeners<RateLimiterEvent>();
  readonly #rejectedEvents = new Listeners<RateLimiterRejection>();
  readonly #admittedEvents = new Listeners<RateLimiterAdmission>();
  readonly #penalizedEvents = new Listeners<RateLimiterPenalty>();
  /** Set in shared mode (a `store` was given): every public entry point hands over to it. */
  #shared: SharedLimiter | undefined;

  protected constructor(options: LimiterCoreOptions) {
    const {
      maxQueue = Number.POSITIVE_INFINITY,
      spacing = 'burst',
      name,
      now = defaultNow,
      maxPenaltyMs = DEFAULT_MAX_PENALTY_MS,
    } = options;
    assertQueueBound('maxQueue', maxQueue);
    assertSpacing(spacing);
    assertMaxPenalty(maxPenaltyMs);
    this.name = name;
    this.#maxQueue = maxQueue;
    this.#spacing = spacing;
    this.#maxPenaltyMs = maxPenaltyMs;
    this.now = now;
  }

  /** Units the algorithm could admit at `now`, ignoring penalties and spacing. */
  protected abstract capacity(now: number): number;
  /**
   * Consumes `cost` units if the algorithm can admit them now. `now` is NaN when the caller
   * has not read the clock: an algorithm that can decide exactly without it should, since a
   * clock read is the most expensive part of an admission.
   */
  protected abstract tryConsume(cost: number, now: number): boolean;
  /** Milliseconds until the algorithm can admit `cost` (0 when it can now). */
  protected abstract wait(cost: number, now: number): number;
  /** Most units one call may cost: a call costing more could never be admitted. */
  protected abstract get maxCost(): number;
  /** Milliseconds between admissions of one unit under even spacing. */
  protected abstract get interval(): number;

  get available(): number {
    if (this.#shared !== undefined) return this.#shared.available;
    const now = this.now();
    if (now < this.#pausedUntil || this.#queue.size > 0) return 0;
    if (this.#spacing === 'even' && now < this.#nextEvenAt) return 0;
    return Math.max(0, Math.floor(this.capacity(now) + 1e-9));
  }

  get waiting(): number {
    return this.#shared === undefined ? this.#queue.size : this.#shared.waiting;
  }

  get admitted(): number {
    return this.#shared === undefined ? this.#admitted : this.#shared.admitted;
  }

  get throttled(): number {
    return this.#shared === undefined ? this.#throttled : this.#shared.throttled;
  }

  get rejected(): number {
    return this.#shared === undefined ? this.#rejected : this.#shared.rejected;
  }

  /** The store the limit is shared through, or `undefined` for a limit of this process alone. */
  get store(): SharedStore | undefined {
    return this.#shared?.store;
  }

  /** False while a shared limit's store is unavailable (then `onStoreError` decides); always true otherwise. */
  get storeAvailable(): boolean {
    return this.#shared === undefined || !this.#shared.health.down;
  }

  /** Called when a shared limit's store becomes unavailable and when it recovers. */
  onStoreStatus(listener: Listener<StoreStatusEvent>): Subscription {
    if (this.#shared !== undefined) return this.#shared.health.onStatus(listener);
    if (typeof listener !== 'function') throw new TypeError('Expected `listener` to be a function');
    const dispose = (): void => {};
    return { dispose, [Symbol.dispose]: dispose };
  }

  get maxQueue(): number {
    return this.#maxQueue;
  }

  get spacing(): Spacing {
    return this.#spacing;
  }

  /** The longest pause one `penalize` imposes, in milliseconds. */
  get maxPenaltyMs(): number {
    return this.#maxPenaltyMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): RateLimiterStats {
    return {
      available: this.available,
      waiting: this.waiting,
      admitted: this.admitted,
      throttled: this.throttled,
      rejected: this.rejected,
    };
  }

  acquire(options?: RateAcquireOptions): Promise<void> {
    if (this.#shared !== undefined) return this.#acquireShared(this.#shared, options);
    if (options === undefined) {
      // The hot path: nothing to check, nothing allocated when admitted at once.
      if (this.#queue.size === 0 && !this.#closed && this.#admitNow(1, Number.NaN)) return this.#admittedNow();
      return this.#slowAcquire(1, undefined);
    }
    const cost = options.cost ?? 1;
    this.#assertCost(cost);
    assertSignal('signal', options.signal);
    if (options.timeoutMs !== undefined) assertTimeoutMs('timeoutMs', options.timeoutMs);
    if (options.deadlineMs !== undefined && (typeof options.deadlineMs !== 'number' || Number.isNaN(options.deadlineMs))) {
      throw new TypeError(`Expected \`deadlineMs\` to be a number of milliseconds, got ${show(options.deadlineMs)}`);
    }
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason);
    if (this.#queue.size === 0 && !this.#closed && this.#admitNow(cost, Number.NaN)) return this.#admittedNow();
    return this.#slowAcquire(cost, options);
  }

  /** In shared mode always false: the store answers asynchronously, so use `acquire`. */
  tryAcquire(cost = 1): boolean {
    this.#assertCost(cost);
    if (this.#shared !== undefined) return false;
    return this.#queue.size === 0 && !this.#closed && this.#admitNow(cost, Number.NaN);
  }

  schedule<T>(fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>, options?: RateAcquireOptions): Promise<Awaited<T>> {
    assertFunction('fn', fn);
    const signal = options?.signal;
    const admitted = this.acquire(options);
    if (admitted === RESOLVED) {
      try {
        return Promise.resolve(fn(signal));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return admitted.then(() => fn(signal)) as Promise<Awaited<T>>;
  }

  penalize(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`Expected \`ms\` to be a non-negative finite number, got ${show(ms)}`);
    }
    // A provider's (or anyone's) word alone must not stop the limiter for days.
    if (ms > this.#maxPenaltyMs) ms = this.#maxPenaltyMs;
    if (this.#shared !== undefined) {
      this.#shared.penalize(ms);
      return;
    }
    const until = this.now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    if (this.#penalizedEvents.active) {
      this.#penalizedEvents.emit({ ...this.#event(), until: Date.now() + ms });
    }
    this.#arm();
  }

  /** Admissions are paused until this clock time (see `now`); -Infinity when not paused. */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#shared !== undefined) {
      this.#shared.close();
      return;
    }
    this.#disarm();
    const error = new ClosedError(this.kind, this.name);
    const queue = this.#queue;
    while (queue.shift()) {
      (queue.ticket as WaitTicket | undefined)?.settle();
      this.#rejected++;
      if (this.#rejectedEvents.active) this.#rejectedEvents.emit({ ...this.#event(), reason: 'closed' });
      queue.reject!(error);
    }
  }

  onThrottled(listener: Listener<RateLimiterEvent>): Subscription {
    return this.#throttledEvents.add(listener);
  }

  onRejected(listener: Listener<RateLimiterRejection>): Subscription {
    return this.#rejectedEvents.add(listener);
  }

  /**
   * Called for every admission with how long its caller waited (0 when admitted at once).
   * Meant for wait-time percentiles; while nobody listens it costs nothing.
   */
  onAdmitted(listener: Listener<RateLimiterAdmission>): Subscription {
    return this.#admittedEvents.add(listener);
  }

  onPenalized(listener: Listener<RateLimiterPenalty>): Subscription {
    return this.#penalizedEvents.add(listener);
  }

  /** Changes spacing or queue bound live; subclasses call this from `reconfigure`. */
  protected reconfigureCore(options: {
    maxQueue?: number | undefined;
    spacing?: Spacing | undefined;
    maxPenaltyMs?: number | undefined;
  }): void {
    if (options.maxQueue !== undefined) assertQueueBound('maxQueue', options.maxQueue);
    if (options.spacing !== undefined) assertSpacing(options.spacing);
    if (options.maxPenaltyMs !== undefined) assertMaxPenalty(options.maxPenaltyMs);
    if (options.maxQueue !== undefined) this.#maxQueue = options.maxQueue;
    if (options.spacing !== undefined) this.#spacing = options.spacing;
    if (options.maxPenaltyMs !== undefined) {
      this.#maxPenaltyMs = options.maxPenaltyMs;
      // A penalty in force is cut to the new maximum, counted from now.
      const latest = this.now() + options.maxPenaltyMs;
      if (this.#pausedUntil > latest) this.#pausedUntil = latest;
    }
  }

  /** Subclasses call this after changing their numbers: waiters may be admitted sooner or later. */
  protected rearm(): void {
    if (this.#shared !== undefined) this.#shared.reconfigured();
    else this.#arm();
  }

  /**
   * Switches this limiter to shared mode: from now on its state lives in `settings.store`.
   * Subclasses call it at the end of their constructor; `algorithm` reads their numbers live.
   */
  protected shareThrough(
    settings: Omit<SharedLimiterSettings, 'onStoreError' | 'probeIntervalMs'> &
      SharedTuning & { onStoreError?: 'failClosed' | 'failOpen' | undefined },
    algorithm: () => LimiterAlgorithm,
  ): void {
    if (this.#spacing === 'even') {
      throw new TypeError(
        `${this.#label()}: \`spacing: "even"\` paces one process and cannot be shared; leave it out when \`store\` is given`,
      );
    }
    const { onStoreError = 'failClosed', probeIntervalMs = 1_000 } = settings;
    if (onStoreError !== 'failClosed' && onStoreError !== 'failOpen') {
      throw new TypeError(`Expected \`onStoreError\` to be "failClosed" or "failOpen", got ${show(onStoreError)}`);
    }
    assertTimeoutMs('probeIntervalMs', probeIntervalMs);
    this.#shared = new SharedLimiter(
      {
        kind: this.kind,
        name: this.name,
        algorithm,
        describeLimit: () => this.describeLimit(),
        maxQueue: () => this.#maxQueue,
        events: {
          throttled: this.#throttledEvents,
          rejected: this.#rejectedEvents,
          admitted: this.#admittedEvents,
          penalized: this.#penalizedEvents,
        },
      },
      { ...settings, onStoreError, probeIntervalMs },
    );
  }

  #acquireShared(shared: SharedLimiter, options: RateAcquireOptions | undefined): Promise<void> {
    // Bad arguments throw at once, as they do for a limiter of one process.
    const cost = options?.cost ?? 1;
    this.#assertCost(cost);
    assertSignal('signal', options?.signal);
    if (options?.timeoutMs !== undefined) assertTimeoutMs('timeoutMs', options.timeoutMs);
    if (options?.signal?.aborted === true) return Promise.reject(options.signal.reason);
    return shared.acquire(cost, options);
  }

  #assertCost(cost: unknown): asserts cost is number {
    if (typeof cost !== 'number' || !Number.isFinite(cost) || cost <= 0) {
      throw new TypeError(`Expected \`cost\` to be a positive number, got ${show(cost)}`);
    }
    if (cost > this.maxCost) throw this.#costError(cost);
  }

  #costError(cost: number): RangeError {
    return new RangeError(`${this.#label()} can never admit a cost of ${cost}: its capacity is ${this.maxCost}`);
  }

  /** The resolved promise of an at-once admission, telling `onAdmitted` listeners it waited 0 ms. */
  #admittedNow(): Promise<void> {
    if (this.#admittedEvents.active) this.#admittedEvents.emit({ name: this.name, kind: this.kind, waitedMs: 0, at: this.now() });
    return RESOLVED;
  }

  /**
   * Admits `cost` if penalties, spacing and the algorithm all allow it. `now` may be NaN: the
   * clock is then read only if something needs it.
   */
  #admitNow(cost: number, now: number, due = Number.POSITIVE_INFINITY): boolean {
    if (this.#pausedUntil !== Number.NEGATIVE_INFINITY) {
      if (Number.isNaN(now)) now = this.now();
      if (now < this.#pausedUntil) return false;
      this.#pausedUntil = Number.NEGATIVE_INFINITY;
    }
    const even = this.#spacing === 'even';
    if (even) {
      if (Number.isNaN(now)) now = this.now();
      if (now < this.#nextEvenAt) return false;
    }
    if (!this.tryConsume(cost, now)) return false;
    if (even) {
      // Keep to the schedule rather than to the (late) timer: a waiter admitted by the timer
      // counts from when it was due, so timer lateness is caught up and the rate kept. A call
      // that finds nobody waiting was due now: idle time is never banked as a burst.
      const slot = Math.max(this.#nextEvenAt, Math.min(due, now));
      this.#nextEvenAt = slot + this.interval * cost;
    }
    this.#admitted++;
    return true;
  }

  /** Milliseconds until `cost` can be admitted, counting penalties and spacing. */
  #delay(cost: number, now: number): number {
    let delay = this.wait(cost, now);
    if (this.#pausedUntil - now > delay) delay = this.#pausedUntil - now;
    if (this.#spacing === 'even' && this.#nextEvenAt - now > delay) delay = this.#nextEvenAt - now;
    return delay;
  }

  #slowAcquire(cost: number, options: RateAcquireOptions | undefined): Promise<void> {
    if (this.#closed) {
      this.#rejected++;
      if (this.#rejectedEvents.active) this.#rejectedEvents.emit({ ...this.#event(), reason: 'closed' });
      return Promise.reject(new ClosedError(this.kind, this.name));
    }
    if (this.#queue.size >= this.#maxQueue) {
      this.#rejected++;
      if (this.#rejectedEvents.active) this.#rejectedEvents.emit({ ...this.#event(), reason: 'queue-full' });
      return Promise.reject(
        new QueueFullError({
          kind: this.kind,
          resource: this.name,
          limit: this.maxCost,
          maxQueue: this.#maxQueue,
          waiting: this.#queue.size,
        }),
      );
    }
    if (options !== undefined && (options.timeoutMs !== undefined || options.deadlineMs !== undefined)) {
      const shed = this.#shed(cost, Math.min(options.timeoutMs ?? Infinity, options.deadlineMs ?? Infinity));
      if (shed !== undefined) return Promise.reject(shed);
    }
    const promise = new Promise<void>(capture);
    const resolve = capturedResolve!;
    const reject = capturedReject!;
    capturedResolve = capturedReject = undefined;
    let ticket: WaitTicket | undefined;
    if (options !== undefined && (options.signal !== undefined || options.timeoutMs !== undefined)) {
      ticket = new WaitTicket(this.#giveUp, reject, options.signal, options.timeoutMs);
    }
    if (this.#admittedEvents.active) {
      ticket ??= new WaitTicket(this.#giveUp, reject, undefined, undefined);
      ticket.enqueuedAt = this.now();
    }
    const first = this.#queue.size === 0;
    this.#queue.push(cost, resolve, reject, ticket);
    this.#throttled++;
    if (this.#throttledEvents.active) this.#throttledEvents.emit(this.#event());
    if (first) this.#arm();
    return promise;
  }

  /**
   * The error refusing a newcomer of `cost` with `remainingMs` left of its deadline when it
   * cannot be admitted in time, else `undefined`. A limiter knows its wait from its rate: the
   * newcomer's own delay (tokens, penalty, spacing) plus one interval per unit queued ahead of
   * it (counted as one unit per waiter).
   */
  #shed(cost: number, remainingMs: number): LoadShedError | undefined {
    const waiting = this.#queue.size;
    const expectedWaitMs = this.#delay(cost, this.now()) + waiting * this.interval;
    if (expectedWaitMs <= remainingMs) return undefined;
    this.#rejected++;
    if (this.#rejectedEvents.active) this.#rejectedEvents.emit({ ...this.#event(), reason: 'shed' });
    return new LoadShedError({ kind: this.kind, resource: this.name, limit: this.describeLimit(), expectedWaitMs, remainingMs, waiting });
  }

  // Bound on first use, so a limiter that never queues (one of a million per-key ones) pays no
  // closures for them.
  #giveUpFn: ((ticket: WaitTicket, reason: GiveUpReason) => void) | undefined;
  #drainFn: (() => void) | undefined;

  get #giveUp(): (ticket: WaitTicket, reason: GiveUpReason) => void {
    return (this.#giveUpFn ??= (ticket, reason) => this.#gaveUp(ticket, reason));
  }

  get #drain(): () => void {
    return (this.#drainFn ??= () => this.#drainNow());
  }

  #gaveUp(ticket: WaitTicket, reason: GiveUpReason): void {
    this.#queue.cancelled();
    this.#rejected++;
    if (this.#rejectedEvents.active) this.#rejectedEvents.emit({ ...this.#event(), reason });
    ticket.reject(
      reason === 'abort'
        ? ticket.signal!.reason
        : new TimeoutError({
            resource: this.name,
            operation: `Waiting for admission by ${this.#label()} (${this.describeLimit()})`,
            timeoutMs: ticket.timeoutMs!,
          }),
    );
    // The head may have gone: the next waiter may be admitted sooner, or nobody waits at all.
    this.#arm();
  }

  /** "60 per 60000 ms", for messages. */
  protected abstract describeLimit(): string;

  /** Admits waiters from the front while the limits allow, then sets the timer for the next. */
  #drainNow(): void {
    this.#timer = undefined;
    const queue = this.#queue;
    const now = this.now();
    this.#draining = true;
    try {
      while (queue.peek()) {
        if (!this.#admitNow(queue.task as number, now, this.#due)) break;
        queue.shift();
        const ticket = queue.ticket as WaitTicket | undefined;
        ticket?.settle();
        if (ticket?.enqueuedAt !== undefined && this.#admittedEvents.active) {
          this.#admittedEvents.emit({ name: this.name, kind: this.kind, waitedMs: now - ticket.enqueuedAt, at: now });
        }
        queue.resolve!(undefined as never);
      }
      this.#arm();
    } finally {
      this.#draining = false;
    }
  }

  #arm(): void {
    this.#disarm();
    if (this.#closed) return;
    const queue = this.#queue;
    // A reconfigure may have shrunk the capacity below a queued cost: that waiter could never be
    // admitted and would hold up everyone behind it. Refuse it as acquire() would have.
    while (queue.peek() && (queue.task as number) > this.maxCost) {
      queue.shift();
      (queue.ticket as WaitTicket | undefined)?.settle();
      this.#rejected++;
      if (this.#rejectedEvents.active) this.#rejectedEvents.emit({ ...this.#event(), reason: 'capacity' });
      queue.reject!(this.#costError(queue.task as number));
    }
    if (!queue.peek()) return;
    const now = this.now();
    const delay = this.#delay(queue.task as number, now);
    this.#due = now + delay;
    if (delay <= 0 && !this.#draining) {
      this.#drainNow();
      return;
    }
    // Timers fire on whole milliseconds and may fire a little early by the clock; the drain
    // then finds the head not yet admissible and arms again for the rest. A wait longer than a
    // timer can hold (2^31 - 1 ms; setTimeout fires a longer one after 1 ms, with a warning) is
    // chained: the timer is set for the longest it can, and the drain arms it again.
    // Rounding a delay up to whole ms must not count float noise (35.000000000000004 is 35): the
    // algorithms admit within 1e-9 units, so a timer due a hair early still admits.
    this.#timer = setTimeout(this.#drain, Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(delay - 1e-6))));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #label(): string {
    return this.name === undefined ? this.kind : `${this.kind} "${this.name}"`;
  }

  #event(): RateLimiterEvent {
    return { name: this.name, kind: this.kind, waiting: this.#queue.size, available: this.available };
  }
}

function assertMaxPenalty(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`Expected \`maxPenaltyMs\` to be a number of milliseconds in [0, ${MAX_TIMER_MS}], got ${show(value)}`);
  }
}

function assertSpacing(value: unknown): asserts value is Spacing {
  if (value !== 'burst' && value !== 'even') {
    throw new TypeError(`Expected \`spacing\` to be "burst" or "even", got ${show(value)}`);
  }
}
