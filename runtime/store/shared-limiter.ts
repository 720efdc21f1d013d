/**
 * Shared mode of `TokenBucket` and `SlidingWindow`: the limiter's state lives in a store, so
 * every process that names the same limit shares it.
 *
 * A process keeps its own FIFO of callers and only the head asks the store. When the store
 * says no, the head sleeps until the time the store reported (plus a little jitter), or until
 * the store's wake channel says room may have appeared; it never polls in a tight loop. A
 * wake-up that comes while the head is asking, or before the channel is live, is not lost: the
 * head asks again instead of sleeping on an answer that may predate it. When the store is
 * unreachable, the limiter follows its `onStoreError` policy (see shared-health.ts).
 */
import { ClosedError, QueueFullError, TimeoutError, isStoreUnavailableError, type StoreUnavailableError } from '../errors.js';
import type { Listeners } from '../internal/events.js';
import { WaitTicket, type GiveUpReason } from '../internal/wait-ticket.js';
import type {
  RateAcquireOptions,
  RateLimiter,
  RateLimiterAdmission,
  RateLimiterEvent,
  RateLimiterPenalty,
  RateLimiterRejection,
} from '../rate-limit/types.js';
import { StoreHealth } from './shared-health.js';
import { WakeChannel } from './shared-wake.js';
import type { LimiterAlgorithm, SharedStore, StoreErrorPolicy } from './types.js';

/** What the limiter that owns a shared engine gives it. */
export interface SharedLimiterHost {
  readonly kind: 'TokenBucket' | 'SlidingWindow';
  readonly name: string | undefined;
  /** The limiter's numbers now (they change with `reconfigure`). */
  algorithm(): LimiterAlgorithm;
  /** "60 per 60000 ms", for messages. */
  describeLimit(): string;
  maxQueue(): number;
  readonly events: {
    readonly throttled: Listeners<RateLimiterEvent>;
    readonly rejected: Listeners<RateLimiterRejection>;
    readonly admitted: Listeners<RateLimiterAdmission>;
    readonly penalized: Listeners<RateLimiterPenalty>;
  };
}

export interface SharedLimiterSettings {
  readonly store: SharedStore;
  readonly key: string;
  readonly onStoreError: StoreErrorPolicy;
  /** The local limit used under `failOpen` while the store is unavailable. */
  readonly fallback: RateLimiter;
  readonly probeIntervalMs: number;
  /** For tests: jitter source. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/** A caller waiting for admission: the shared wait ticket (signal, timer) plus its cost. */
class Waiter extends WaitTicket {
  readonly cost: number;
  readonly resolve: () => void;
  readonly queuedAt: number;
  /** Admitted, refused or given up: it no longer waits. */
  done = false;
  /** Counted as throttled once the store first said "not yet". */
  throttled = false;

  constructor(
    giveUp: (ticket: WaitTicket, reason: GiveUpReason) => void,
    cost: number,
    resolve: () => void,
    reject: (reason: unknown) => void,
    options: RateAcquireOptions | undefined,
  ) {
    super(giveUp, reject, options?.signal, options?.timeoutMs);
    this.cost = cost;
    this.resolve = resolve;
    this.queuedAt = performance.now();
  }
}

export class SharedLimiter {
  readonly #host: SharedLimiterHost;
  readonly #settings: SharedLimiterSettings;
  readonly #health: StoreHealth;
  readonly #wakes: WakeChannel;
  readonly #queue: Waiter[] = [];
  #live = 0;
  #pumping = false;
  #remaining = 0;
  #admitted = 0;
  #throttled = 0;
  #rejected = 0;
  #closed = false;

  constructor(host: SharedLimiterHost, settings: SharedLimiterSettings) {
    this.#host = host;
    this.#settings = settings;
    this.#wakes = new WakeChannel({
      store: settings.store,
      key: settings.key,
      random: settings.random,
      closed: () => this.#closed,
      pumping: () => this.#pumping,
      resume: () => {
        if (this.#live > 0 && !this.#closed) void this.#pump();
      },
    });
    this.#health = new StoreHealth({
      store: settings.store,
      kind: host.kind,
      name: host.name,
      policy: settings.onStoreError,
      probeIntervalMs: settings.probeIntervalMs,
      onRecovered: () => this.#wakes.replaceAfterRecovery(),
    });
    const numbers = host.algorithm();
    this.#remaining = numbers.kind === 'token-bucket' ? numbers.burst : numbers.limit;
  }

  get store(): SharedStore {
    return this.#settings.store;
  }

  get key(): string {
    return this.#settings.key;
  }

  get health(): StoreHealth {
    return this.#health;
  }

  get fallback(): RateLimiter {
    return this.#settings.fallback;
  }

  /** Last count the store reported, or the fallback's while it stands in. */
  get available(): number {
    if (this.#health.down && this.#settings.onStoreError === 'failOpen') return this.#settings.fallback.available;
    return this.#live > 0 ? 0 : this.#remaining;
  }

  get waiting(): number {
    return this.#live;
  }

  get admitted(): number {
    return this.#admitted;
  }

  get throttled(): number {
    return this.#throttled;
  }

  get rejected(): number {
    return this.#rejected;
  }

  acquire(cost: number, options: RateAcquireOptions | undefined): Promise<void> {
    if (this.#closed) return this.#refuse('closed', new ClosedError(this.#host.kind, this.#host.name));
    if (this.#health.down) {
      if (this.#settings.onStoreError === 'failClosed') return this.#refuse('store-unavailable', this.#health.error!);
      return this.#viaFallback(cost, options, performance.now());
    }
    const maxQueue = this.#host.maxQueue();
    if (this.#live >= maxQueue) {
      return this.#refuse(
        'queue-full',
        new QueueFullError({
          kind: this.#host.kind,
          resource: this.#host.name,
          limit: this.#capacity(),
          maxQueue,
          waiting: this.#live,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter(this.#onGiveUp, cost, resolve, reject, options);
      this.#queue.push(waiter);
      this.#live++;
      this.#wakes.subscribe();
      void this.#pump();
    });
  }

  /**
   * Pauses admissions for `ms` in every process sharing the limit (the store keeps the
   * penalty) and in the local fallback.
   */
  penalize(ms: number): void {
    this.#settings.fallback.penalize(ms);
    if (this.#host.events.penalized.active) {
      this.#host.events.penalized.emit({
        name: this.#host.name,
        kind: this.#host.kind,
        waiting: this.#live,
        available: this.available,
        until: Date.now() + ms,
      });
    }
    this.#settings.store.penalize(this.#settings.key, ms).then(
      () => this.#health.succeeded(),
      (error: unknown) => {
        if (isStoreUnavailableError(error)) this.#failed(error);
      },
    );
  }

  /** The limiter's numbers changed: the head asks again with them. */
  reconfigured(): void {
    this.#wakes.wake();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.close();
    const error = new ClosedError(this.#host.kind, this.#host.name);
    for (const waiter of this.#queue.splice(0)) {
      if (waiter.done) continue;
      this.#settle(waiter);
      this.#countRejection('closed');
      waiter.reject(error);
    }
    this.#wakes.wake();
    this.#wakes.close();
    this.#settings.fallback.close();
  }

  // --- the queue -----------------------------------------------------------------------------

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed && !this.#health.down) {
        const head = this.#head();
        if (head === undefined) return;
        let decision;
        this.#wakes.beginAsk();
        try {
          decision = await this.#settings.store.tryAcquire(this.#settings.key, this.#host.algorithm(), head.cost);
        } catch (error) {
          if (isStoreUnavailableError(error)) {
            this.#failed(error);
            return;
          }
          // Not an outage (a bug, a misconfiguration): the head gets the error, the rest go on.
          if (!head.done) {
            this.#settle(head);
            this.#countRejection('store-error');
            head.reject(error);
          }
          continue;
        }
        this.#health.succeeded();
        this.#remaining = decision.remaining;
        if (decision.admitted) {
          // The head may have given up while the store decided: the units are taken, so give
          // them to the next caller of the same cost, if there is one.
          const taker = head.done ? this.#queue.find((waiter) => !waiter.done && waiter.cost === head.cost) : head;
          if (taker !== undefined) this.#admit(taker);
          continue;
        }
        if (head.done) continue;
        if (!Number.isFinite(decision.retryAfterMs)) {
          // Another process configured a smaller capacity for the same key.
          this.#settle(head);
          this.#countRejection('capacity');
          head.reject(
            new RangeError(`${this.#label()} can never admit a cost of ${head.cost}: the store says it exceeds the shared capacity`),
          );
          continue;
        }
        if (!head.throttled) {
          head.throttled = true;
          this.#throttled++;
          if (this.#host.events.throttled.active) this.#host.events.throttled.emit(this.#event());
        }
        if (this.#wakes.wokenDuringAsk()) continue;
        await this.#wakes.sleep(decision.retryAfterMs);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** The first waiter still waiting; drops the ones that gave up from the front. */
  #head(): Waiter | undefined {
    const queue = this.#queue;
    while (queue.length > 0 && queue[0]!.done) queue.shift();
    return queue[0];
  }

  #admit(waiter: Waiter): void {
    this.#settle(waiter);
    this.#admitted++;
    if (this.#host.events.admitted.active) {
      const at = performance.now();
      this.#host.events.admitted.emit({ name: this.#host.name, kind: this.#host.kind, waitedMs: at - waiter.queuedAt, at });
    }
    waiter.resolve();
  }

  /** A waiter's signal aborted or its `timeoutMs` passed (its ticket already stopped listening). */
  readonly #onGiveUp = (ticket: WaitTicket, reason: GiveUpReason): void => {
    const waiter = ticket as Waiter;
    if (waiter.done) return;
    this.#settle(waiter);
    this.#countRejection(reason);
    waiter.reject(
      reason === 'abort'
        ? waiter.signal!.reason
        : new TimeoutError({
            resource: this.#host.name,
            operation: `Waiting for admission by ${this.#label()} (${this.#host.describeLimit()}, shared in ${this.#settings.store.description})`,
            timeoutMs: waiter.timeoutMs!,
          }),
    );
    // The next waiter may cost less and fit now.
    this.#wakes.wake();
  };

  #settle(waiter: Waiter): void {
    waiter.done = true;
    this.#live--;
    waiter.settle();
  }

  // --- the store is unavailable --------------------------------------------------------------

  #failed(error: StoreUnavailableError): void {
    const named = this.#health.failed(error);
    const waiters = this.#queue.splice(0).filter((waiter) => !waiter.done);
    for (const waiter of waiters) {
      this.#settle(waiter);
      if (this.#settings.onStoreError === 'failClosed') {
        this.#countRejection('store-unavailable');
        waiter.reject(named);
      } else {
        const left = waiter.timeoutMs === undefined ? undefined : waiter.timeoutMs - (performance.now() - waiter.queuedAt);
        if (left !== undefined && left <= 0) {
          this.#countRejection('timeout');
          waiter.reject(
            new TimeoutError({
              resource: this.#host.name,
              operation: `Waiting for admission by ${this.#label()}`,
              timeoutMs: waiter.timeoutMs!,
            }),
          );
          continue;
        }
        const options: RateAcquireOptions = { cost: waiter.cost };
        if (waiter.signal !== undefined) options.signal = waiter.signal;
        if (left !== undefined) options.timeoutMs = Math.max(1, Math.ceil(left));
        this.#viaFallback(waiter.cost, options, waiter.queuedAt).then(waiter.resolve, waiter.reject);
      }
    }
  }

  /** Admission by the local fallback limit (failOpen while the store is unavailable). */
  #viaFallback(cost: number, options: RateAcquireOptions | undefined, since: number): Promise<void> {
    const fallback = this.#settings.fallback;
    const forwarded: RateAcquireOptions = { ...options, cost };
    return fallback.acquire(forwarded).then(
      () => {
        this.#admitted++;
        if (this.#host.events.admitted.active) {
          const at = performance.now();
          this.#host.events.admitted.emit({ name: this.#host.name, kind: this.#host.kind, waitedMs: at - since, at });
        }
      },
      (error: unknown) => {
        this.#countRejection(reasonOf(error));
        throw error;
      },
    );
  }

  #refuse(reason: RateLimiterRejection['reason'], error: Error): Promise<never> {
    this.#countRejection(reason);
    return Promise.reject(error);
  }

  #countRejection(reason: RateLimiterRejection['reason']): void {
    this.#rejected++;
    if (this.#host.events.rejected.active) this.#host.events.rejected.emit({ ...this.#event(), reason });
  }

  #capacity(): number {
    const numbers = this.#host.algorithm();
    return numbers.kind === 'token-bucket' ? numbers.burst : numbers.limit;
  }

  #label(): string {
    return this.#host.name === undefined ? this.#host.kind : `${this.#host.kind} "${this.#host.name}"`;
  }

  #event(): RateLimiterEvent {
    return { name: this.#host.name, kind: this.#host.kind, waiting: this.#live, available: this.available };
  }
}

function reasonOf(error: unknown): RateLimiterRejection['reason'] {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'QueueFullError') return 'queue-full';
  if (name === 'ClosedError') return 'closed';
  return 'abort';
}
