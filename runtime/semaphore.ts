import { ClosedError, LoadShedError, QueueFullError, TimeoutError } from './errors.js';
import { Listeners, type Listener, type Subscription } from './internal/events.js';
import { assertFunction, assertLimit, assertQueueBound, assertSignal, assertTimeoutMs, show } from './internal/validate.js';
import { ServiceRate } from './internal/service-rate.js';
import { WaitTicket, type GiveUpReason } from './internal/wait-ticket.js';
import { WaiterQueue, type Reject, type Resolve } from './internal/waiter-queue.js';
import type { StoreStatusEvent } from './store/shared-health.js';
import { SharedSemaphore } from './store/shared-semaphore.js';
import type { LeaseInfo, SharedModeOptions, SharedStore } from './store/types.js';

/** The local limit a shared `Semaphore` falls back to under `failOpen`. Default: the shared limit. */
export interface SemaphoreFallback {
  limit?: number;
}

/**
 * Options of a `Semaphore`. With `store`, its permits are leases in the store, shared by every
 * process that uses the same store and key (see docs/shared-limits.md); `tryAcquire` then
 * always returns `undefined`, and `inUse` counts this process's holders (`sharedInUse` all).
 */
export interface SemaphoreOptions extends SharedModeOptions<SemaphoreFallback> {
  /** Shared mode: how long a lease lives without renewal, in ms (renewed every third of it). Default 30 s. */
  leaseTtlMs?: number;
  /** Shared mode: milliseconds between checks whether an unavailable store is back. Default 1000. */
  probeIntervalMs?: number;
  /**
   * Most callers allowed to wait for a permit; one more is refused at once with
   * `QueueFullError`. Default: Infinity.
   */
  maxQueue?: number;
  /** Shown in errors and events, and used by the monitor. */
  name?: string;
}

export interface AcquireOptions {
  /** Gives up waiting (the call rejects with `signal.reason`) when it aborts. */
  signal?: AbortSignal;
  /**
   * Longest time to wait for a permit; past it the call rejects with `TimeoutError`. A caller
   * whose expected wait (measured, see docs) is already longer is refused at once with
   * `LoadShedError` instead.
   */
  timeoutMs?: number;
  /**
   * What is left of the deadline of the whole operation this wait is part of, in ms. It never
   * times the wait out (`timeoutMs` and `signal` do); a caller whose expected wait is longer is
   * refused at once with `LoadShedError`, rather than queueing only to expire.
   */
  deadlineMs?: number;
}

/** A held permit. Release it exactly once: `release()`, or hold it with `using`. */
export interface Permit extends Disposable {
  /** Gives the permit back. Later calls do nothing. */
  release(): void;
  readonly released: boolean;
}

/** The semaphore's counts at the moment of an event. */
export interface SemaphoreState {
  readonly name: string | undefined;
  readonly limit: number;
  readonly inUse: number;
  readonly waiting: number;
}

export interface SemaphoreGrant {
  readonly name: string | undefined;
  /** Milliseconds the caller waited for the permit. */
  readonly waitedMs: number;
}

export interface SemaphoreRejection extends SemaphoreState {
  /** `store-unavailable` / `store-error`: a shared semaphore's store could not be reached / refused. */
  readonly reason: 'queue-full' | 'shed' | 'timeout' | 'abort' | 'closed' | 'store-unavailable' | 'store-error';
}

/** What `run` calls: it receives the caller's signal, to pass on to the work it starts. */
export type SemaphoreTask<T> = (signal: AbortSignal | undefined) => T | PromiseLike<T>;

/** Marks a waiter that wants a `Permit` rather than to have a task run for it. */
const ACQUIRE = Symbol('acquire');

// One shared executor instead of a closure per queued task: `new Promise(capture)` leaves the
// resolving functions here, to be read synchronously right after.
let capturedResolve: Resolve | undefined;
let capturedReject: Reject | undefined;
function capture(resolve: Resolve, reject: Reject): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in FIFO order.
 *
 * ```ts
 * const db = new Semaphore(10, { maxQueue: 1_000, name: 'db' });
 * const rows = await db.run((signal) => query(sql, { signal }));
 * ```
 */
export class Semaphore {
  readonly name: string | undefined;
  #limit: number;
  #maxQueue: number;
  #inUse = 0;
  #peakInUse = 0;
  #closed = false;
  readonly #queue = new WaiterQueue();
  /** Made when the first caller waits: a semaphore that never queues pays nothing for it. */
  #rate: ServiceRate | undefined;
  readonly #saturated = new Listeners<SemaphoreState>();
  readonly #idle = new Listeners<SemaphoreState>();
  readonly #rejected = new Listeners<SemaphoreRejection>();
  readonly #granted = new Listeners<SemaphoreGrant>();
  /** Set in shared mode (a `store` was given): every public entry point hands over to it. */
  readonly #shared: SharedSemaphore | undefined;

  // Shared settle handlers, so a task costs no closures of its own; each made on first use, so a
  // semaphore that is never used that way (one of a million per-key ones) pays nothing for it.
  #settlers: [(value: unknown) => unknown, (error: unknown) => never] | undefined;
  #releaseOnlyFn: (() => void) | undefined;
  #giveUpFn: ((ticket: WaitTicket, reason: GiveUpReason) => void) | undefined;

  get #releaseOnly(): () => void {
    return (this.#releaseOnlyFn ??= () => this.#release());
  }

  get #giveUp(): (ticket: WaitTicket, reason: GiveUpReason) => void {
    return (this.#giveUpFn ??= (ticket, reason) => this.#gaveUp(ticket, reason));
  }

  constructor(limit: number, options: SemaphoreOptions = {}) {
    assertLimit('limit', limit);
    const { maxQueue = Number.POSITIVE_INFINITY, name } = options;
    assertQueueBound('maxQueue', maxQueue);
    this.#limit = limit;
    this.#maxQueue = maxQueue;
    this.name = name;
    if (options.store !== undefined) this.#shared = this.#shareThrough(options);
  }

  /** Most permits held at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Permits held now (in shared mode: by this process). Above `limit` only for a while after `resize` shrank it. */
  get inUse(): number {
    return this.#shared === undefined ? this.#inUse : this.#shared.inUse;
  }

  /** Callers waiting for a permit now. */
  get waiting(): number {
    return this.#shared === undefined ? this.#queue.size : this.#shared.waiting;
  }

  /** Permits free now (in shared mode: as the store last reported). */
  get available(): number {
    if (this.#shared !== undefined) return Math.max(0, this.#limit - this.#shared.sharedInUse);
    return Math.max(0, this.#limit - this.#inUse);
  }

  /** The most permits ever held at once (in shared mode: by this process). */
  get peakInUse(): number {
    return this.#shared === undefined ? this.#peakInUse : this.#shared.peakInUse;
  }

  /** The store the permits are shared through, or `undefined` for a semaphore of this process alone. */
  get store(): SharedStore | undefined {
    return this.#shared?.store;
  }

  /** Shared mode: holders across all processes as the store last reported; otherwise `inUse`. */
  get sharedInUse(): number {
    return this.#shared === undefined ? this.#inUse : this.#shared.sharedInUse;
  }

  /** Shared mode: leases that expired before this process could renew them. 0 otherwise. */
  get leasesLost(): number {
    return this.#shared?.leasesLost ?? 0;
  }

  /** False while a shared semaphore's store is unavailable (then `onStoreError` decides); always true otherwise. */
  get storeAvailable(): boolean {
    return this.#shared === undefined || !this.#shared.health.down;
  }

  /** Shared mode: the store's own list of live leases. Rejects for a semaphore of one process. */
  leases(): Promise<readonly LeaseInfo[]> {
    if (this.#shared === undefined) return Promise.reject(new TypeError(`${this.#label()} has no store`));
    return this.#shared.leases();
  }

  /** Called when a shared semaphore's store becomes unavailable and when it recovers. */
  onStoreStatus(listener: Listener<StoreStatusEvent>): Subscription {
    if (this.#shared !== undefined) return this.#shared.health.onStatus(listener);
    assertFunction('listener', listener);
    const dispose = (): void => {};
    return { dispose, [Symbol.dispose]: dispose };
  }

  get maxQueue(): number {
    return this.#maxQueue;
  }

  /** Changes the queue bound live. Callers already waiting stay; only new ones see the bound. */
  setMaxQueue(maxQueue: number): void {
    assertQueueBound('maxQueue', maxQueue);
    this.#maxQueue = maxQueue;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` once a permit is free and releases the permit when it settles, however it
   * settles. `timeoutMs` bounds the wait for a permit, not `fn` itself: wrap `fn` in
   * `withTimeout` for that.
   */
  run<T>(fn: SemaphoreTask<T>, options?: AcquireOptions): Promise<Awaited<T>> {
    assertFunction('fn', fn);
    assertAcquireOptions(options);
    const signal = options?.signal;
    if (this.#shared !== undefined) return this.#runShared(this.#shared, fn, options);
    if (this.#closed) return this.#refuse('closed');
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#inUse < this.#limit) {
      // A free permit means nobody waits: waiters are handed permits the moment one frees up.
      this.#take();
      if (this.#granted.active) this.#granted.emit({ name: this.name, waitedMs: 0 });
      let result: T | PromiseLike<T>;
      try {
        result = fn(signal);
      } catch (error) {
        this.#release();
        return Promise.reject(error);
      }
      const settlers = (this.#settlers ??= [
        (value) => {
          this.#release();
          return value;
        },
        (error) => {
          this.#release();
          throw error;
        },
      ]);
      return Promise.resolve(result).then(settlers[0], settlers[1]) as Promise<Awaited<T>>;
    }
    return this.#wait(fn, options);
  }

  /** Waits for a permit. Release it exactly once, or hold it with `using`. */
  acquire(options?: AcquireOptions): Promise<Permit> {
    assertAcquireOptions(options);
    const signal = options?.signal;
    if (this.#closed) return this.#refuse('closed');
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#shared !== undefined) return this.#shared.acquire(options);
    if (this.#inUse < this.#limit) {
      this.#take();
      if (this.#granted.active) this.#granted.emit({ name: this.name, waitedMs: 0 });
      return Promise.resolve(new HeldPermit(this.#releaseOnly));
    }
    return this.#wait(ACQUIRE, options);
  }

  /** A permit if one is free now and nobody waits; otherwise `undefined`. Never waits. */
  tryAcquire(): Permit | undefined {
    // Shared mode: the store answers asynchronously, so there is never a permit without waiting.
    if (this.#shared !== undefined || this.#closed || this.#inUse >= this.#limit) return undefined;
    this.#take();
    if (this.#granted.active) this.#granted.emit({ name: this.name, waitedMs: 0 });
    return new HeldPermit(this.#releaseOnly);
  }

  /**
   * Changes the limit live. Growing it starts waiters at once; shrinking it never revokes a
   * held permit, it only delays new ones until enough have been released.
   */
  resize(limit: number): void {
    assertLimit('limit', limit);
    this.#limit = limit;
    if (this.#shared !== undefined) {
      this.#shared.resized();
      return;
    }
    while (this.#inUse < this.#limit && this.#queue.size > 0) {
      this.#take();
      if (!this.#handOff()) {
        this.#inUse--;
        break;
      }
    }
  }

  /**
   * Refuses new callers and rejects every waiter with `ClosedError`. Permits already held
   * stay valid and are released as usual; `whenIdle()` tells when the last one is back.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#shared !== undefined) {
      this.#shared.close();
      return;
    }
    const error = new ClosedError('Semaphore', this.name);
    const queue = this.#queue;
    while (queue.shift()) {
      (queue.ticket as WaitTicket | undefined)?.settle();
      if (this.#rejected.active) this.#rejected.emit({ ...this.#state(), reason: 'closed' });
      rejectWaiter(queue.resolve!, queue.reject, error);
    }
    this.#rate?.emptied();
  }

  /** Resolves when no permit is held and nobody waits (at once if that is so now). */
  whenIdle(): Promise<void> {
    if (this.inUse === 0 && this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const subscription = this.#idle.add(() => {
        subscription.dispose();
        resolve();
      });
    });
  }

  /** Called each time the last free permit is taken. */
  onSaturated(listener: Listener<SemaphoreState>): Subscription {
    return this.#saturated.add(listener);
  }

  /** Called each time the last permit is released with nobody waiting. */
  onIdle(listener: Listener<SemaphoreState>): Subscription {
    return this.#idle.add(listener);
  }

  /**
   * Called for every permit granted, with how long its caller waited (0 when a permit was
   * free). Meant for wait-time percentiles; while nobody listens it costs nothing.
   */
  onGranted(listener: Listener<SemaphoreGrant>): Subscription {
    return this.#granted.add(listener);
  }

  /** Called for every caller refused: queue full, wait timed out, aborted, or closed. */
  onRejected(listener: Listener<SemaphoreRejection>): Subscription {
    return this.#rejected.add(listener);
  }

  #shareThrough(options: SemaphoreOptions): SharedSemaphore {
    const { store, onStoreError = 'failClosed', leaseTtlMs = 30_000, probeIntervalMs = 1_000 } = options;
    const candidate = store as Partial<Record<keyof SharedStore, unknown>>;
    if (typeof candidate !== 'object' || typeof candidate.acquire !== 'function' || typeof candidate.renew !== 'function') {
      throw new TypeError(`Expected \`store\` of Semaphore to be a store (createPostgresStore, createRedisStore…), got ${show(store)}`);
    }
    const key = options.key ?? this.name;
    if (typeof key !== 'string' || key === '') {
      throw new TypeError(
        `Expected \`key\` or \`name\` of a Semaphore with a \`store\`: it names the shared semaphore in the store, got ${show(key)}`,
      );
    }
    if (onStoreError !== 'failClosed' && onStoreError !== 'failOpen') {
      throw new TypeError(`Expected \`onStoreError\` to be "failClosed" or "failOpen", got ${show(onStoreError)}`);
    }
    if (this.#limit === Number.POSITIVE_INFINITY) throw new TypeError('A Semaphore with a `store` needs a finite `limit`');
    assertTimeoutMs('leaseTtlMs', leaseTtlMs);
    assertTimeoutMs('probeIntervalMs', probeIntervalMs);
    const fallbackLimit = options.fallback?.limit ?? this.#limit;
    return new SharedSemaphore(
      {
        name: this.name,
        limit: () => this.#limit,
        maxQueue: () => this.#maxQueue,
        events: { granted: this.#granted, rejected: this.#rejected, saturated: this.#saturated, idle: this.#idle },
      },
      {
        store: store as SharedStore,
        key,
        onStoreError,
        fallback: new Semaphore(fallbackLimit, { maxQueue: this.#maxQueue, ...(this.name === undefined ? {} : { name: this.name }) }),
        probeIntervalMs,
        leaseTtlMs,
      },
    );
  }

  async #runShared<T>(shared: SharedSemaphore, fn: SemaphoreTask<T>, options: AcquireOptions | undefined): Promise<Awaited<T>> {
    if (this.#closed) return this.#refuse<Awaited<T>>('closed');
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    const permit = await shared.acquire(options);
    try {
      return await fn(signal);
    } finally {
      permit.release();
    }
  }

  #take(): void {
    const inUse = ++this.#inUse;
    if (inUse > this.#peakInUse) this.#peakInUse = inUse;
    if (inUse === this.#limit && this.#saturated.active) this.#saturated.emit(this.#state());
  }

  #release(): void {
    // Hand the permit straight to the next waiter when the limit allows, so a busy semaphore
    // never looks free to a newcomer who would jump the queue.
    if (this.#inUse <= this.#limit && this.#queue.size > 0 && this.#handOff()) return;
    if (--this.#inUse === 0 && this.#queue.size === 0 && this.#idle.active) {
      this.#idle.emit(this.#state());
    }
  }

  /**
   * Gives one held permit to the next waiter. Returns false when no waiter took it, so the
   * caller still owns the permit.
   */
  #handOff(): boolean {
    const queue = this.#queue;
    while (queue.shift()) {
      this.#rate!.handedOff(performance.now(), queue.size);
      const task = queue.task;
      const resolve = queue.resolve!;
      const reject = queue.reject;
      const ticket = queue.ticket as WaitTicket | undefined;
      if (ticket !== undefined) {
        ticket.settle();
        if (ticket.enqueuedAt !== undefined && this.#granted.active) {
          this.#granted.emit({ name: this.name, waitedMs: performance.now() - ticket.enqueuedAt });
        }
      }
      if (task === ACQUIRE) {
        resolve(new HeldPermit(this.#releaseOnly) as never);
        return true;
      }
      let result: unknown;
      try {
        result = (task as SemaphoreTask<unknown>)(ticket?.signal);
      } catch (error) {
        rejectWaiter(resolve, reject, error);
        continue;
      }
      const settled = Promise.resolve(result);
      settled.then(this.#releaseOnly, this.#releaseOnly);
      resolve(settled as never);
      return true;
    }
    return false;
  }

  #wait<T>(task: unknown, options: AcquireOptions | undefined): Promise<T> {
    if (this.#queue.size >= this.#maxQueue) {
      if (this.#rejected.active) this.#rejected.emit({ ...this.#state(), reason: 'queue-full' });
      return Promise.reject(
        new QueueFullError({
          kind: 'Semaphore',
          resource: this.name,
          limit: this.#limit,
          maxQueue: this.#maxQueue,
          inUse: this.#inUse,
          waiting: this.#queue.size,
        }),
      );
    }
    if (options !== undefined && (options.timeoutMs !== undefined || options.deadlineMs !== undefined)) {
      const shed = this.#shed(Math.min(options.timeoutMs ?? Infinity, options.deadlineMs ?? Infinity));
      if (shed !== undefined) return Promise.reject(shed);
    }
    const promise = new Promise<T>(capture);
    const resolve = capturedResolve!;
    const reject = capturedReject!;
    capturedResolve = capturedReject = undefined;
    let ticket: WaitTicket | undefined;
    if (options !== undefined && (options.signal !== undefined || options.timeoutMs !== undefined)) {
      ticket = new WaitTicket(this.#giveUp, reject, options.signal, options.timeoutMs);
    }
    if (this.#granted.active) {
      ticket ??= new WaitTicket(this.#giveUp, reject, undefined, undefined);
      ticket.enqueuedAt = performance.now();
    }
    // Only a waiter that can give up keeps its reject function (in its ticket); the others are
    // refused through resolve(Promise.reject(…)), so a million queued tasks do not each hold one.
    this.#queue.push(task, resolve, ticket === undefined ? undefined : reject, ticket);
    // The stall clock starts when the queue forms; later waiters need no clock read.
    if (this.#queue.size === 1) (this.#rate ??= new ServiceRate()).queued(performance.now());
    return promise;
  }

  /**
   * The error refusing a newcomer with `remainingMs` left of its deadline when its expected wait
   * is longer, else `undefined`.
   */
  #shed(remainingMs: number): LoadShedError | undefined {
    const waiting = this.#queue.size;
    const expectedWaitMs = this.#rate === undefined ? 0 : this.#rate.expectedWait(waiting, performance.now());
    if (expectedWaitMs <= remainingMs) return undefined;
    if (this.#rejected.active) this.#rejected.emit({ ...this.#state(), reason: 'shed' });
    return new LoadShedError({
      kind: 'Semaphore',
      resource: this.name,
      limit: `limit ${this.#limit}`,
      expectedWaitMs,
      remainingMs,
      waiting,
    });
  }

  /** Called by a ticket that gave up: its slot is already marked cancelled. */
  #gaveUp(ticket: WaitTicket, reason: GiveUpReason): void {
    this.#queue.cancelled();
    if (this.#queue.size === 0) this.#rate?.emptied();
    if (this.#rejected.active) this.#rejected.emit({ ...this.#state(), reason });
    if (reason === 'timeout') {
      ticket.reject(
        new TimeoutError({
          resource: this.name,
          operation: `Waiting for a permit of ${this.#label()} (limit ${this.#limit}, ${this.#inUse} in use)`,
          timeoutMs: ticket.timeoutMs!,
        }),
      );
    } else {
      ticket.reject(ticket.signal!.reason);
    }
  }

  #refuse<T>(reason: 'closed'): Promise<T> {
    if (this.#rejected.active) this.#rejected.emit({ ...this.#state(), reason });
    return Promise.reject(new ClosedError('Semaphore', this.name));
  }

  #label(): string {
    return this.name === undefined ? 'Semaphore' : `Semaphore "${this.name}"`;
  }

  #state(): SemaphoreState {
    return { name: this.name, limit: this.#limit, inUse: this.#inUse, waiting: this.#queue.size };
  }
}

/** Checked on every call, not only when the caller has to wait, so a bad option fails at once. */
function assertAcquireOptions(options: AcquireOptions | undefined): void {
  if (options === undefined) return;
  assertSignal('signal', options.signal);
  if (options.timeoutMs !== undefined) assertTimeoutMs('timeoutMs', options.timeoutMs);
  if (options.deadlineMs !== undefined) assertDeadlineMs(options.deadlineMs);
}

function assertDeadlineMs(value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected \`deadlineMs\` to be a number of milliseconds, got ${show(value)}`);
  }
}

/** Rejects a waiter, with its reject function when it kept one, else through its resolve. */
function rejectWaiter(resolve: Resolve, reject: Reject | undefined, error: unknown): void {
  if (reject !== undefined) reject(error);
  else resolve(Promise.reject(error) as never);
}

class HeldPermit implements Permit {
  #release: (() => void) | undefined;

  constructor(release: () => void) {
    this.#release = release;
  }

  get released(): boolean {
    return this.#release === undefined;
  }

  release(): void {
    const release = this.#release;
    if (release === undefined) return;
    this.#release = undefined;
    release();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
