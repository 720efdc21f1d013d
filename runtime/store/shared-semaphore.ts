/**
 * Shared mode of `Semaphore`: permits are leases in a store, so at most `limit` holders exist
 * across every process that names the same semaphore.
 *
 * A lease expires `leaseTtlMs` after it was granted unless renewed; this process renews the
 * leases it holds every `leaseTtlMs / 3`. A process that dies stops renewing, and its permits
 * come back to the others when their leases run out. A lease that could not be renewed in time
 * (the store was unreachable longer than the TTL) is lost: `permit.lost` turns true and
 * `leasesLost` counts it; the work holding it is not interrupted.
 *
 * The process keeps its own FIFO of callers and only the head asks the store. When the store
 * says no, the head sleeps until the earliest lease expires, or until a release anywhere wakes
 * it through the store's wake channel. A wake-up that comes while the head is asking, or before
 * the channel is live, is not lost: the head asks again instead of sleeping on an answer that
 * may predate it.
 */
import { ClosedError, QueueFullError, TimeoutError, isStoreUnavailableError, type StoreUnavailableError } from '../errors.js';
import type { Listeners } from '../internal/events.js';
import { WaitTicket, type GiveUpReason } from '../internal/wait-ticket.js';
import { forEachBounded } from '../map-bounded.js';
import type { AcquireOptions, Permit, Semaphore, SemaphoreGrant, SemaphoreRejection, SemaphoreState } from '../semaphore.js';
import { StoreHealth } from './shared-health.js';
import { WakeChannel } from './shared-wake.js';
import type { LeaseInfo, SharedStore, StoreErrorPolicy } from './types.js';

export interface SharedSemaphoreHost {
  readonly name: string | undefined;
  limit(): number;
  maxQueue(): number;
  readonly events: {
    readonly granted: Listeners<SemaphoreGrant>;
    readonly rejected: Listeners<SemaphoreRejection>;
    readonly saturated: Listeners<SemaphoreState>;
    readonly idle: Listeners<SemaphoreState>;
  };
}

export interface SharedSemaphoreSettings {
  readonly store: SharedStore;
  readonly key: string;
  readonly onStoreError: StoreErrorPolicy;
  /** The local semaphore used under `failOpen` while the store is unavailable. */
  readonly fallback: Semaphore;
  readonly probeIntervalMs: number;
  readonly leaseTtlMs: number;
  readonly random?: (() => number) | undefined;
}

/** A caller waiting for a lease: the shared wait ticket (signal, timer) plus what the store needs. */
class Waiter extends WaitTicket {
  readonly holderId: string;
  readonly resolve: (permit: Permit) => void;
  /** Granted, refused or given up: it no longer waits. */
  done = false;
  readonly queuedAt: number;

  constructor(
    giveUp: (ticket: WaitTicket, reason: GiveUpReason) => void,
    resolve: (permit: Permit) => void,
    reject: (reason: unknown) => void,
    options: AcquireOptions | undefined,
  ) {
    super(giveUp, reject, options?.signal, options?.timeoutMs);
    this.holderId = `${PROCESS_TAG}:${++holderCount}`;
    this.resolve = resolve;
    this.queuedAt = performance.now();
  }
}

/** Identifies this process in holder ids: host, pid and a random part (pids are reused). */
const PROCESS_TAG = processTag();

/**
 * host:pid:random, so a lease names the process that holds it. Built without a static `node:*`
 * import: the semaphore is part of @bounded/runtime/core, which bundles for browsers too.
 */
function processTag(): string {
  const random = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(3)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const os = proc?.getBuiltinModule?.('node:os');
  return `${os?.hostname() ?? 'host'}:${proc?.pid ?? 0}:${random}`;
}
let holderCount = 0;

export class SharedSemaphore {
  readonly #host: SharedSemaphoreHost;
  readonly #settings: SharedSemaphoreSettings;
  readonly #health: StoreHealth;
  readonly #wakes: WakeChannel;
  readonly #queue: Waiter[] = [];
  /** Leases this process holds, by holder id. */
  readonly #held = new Map<string, SharedPermit>();
  #live = 0;
  #pumping = false;
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #renewing = false;
  #peak = 0;
  #holders = 0;
  #leasesLost = 0;
  #closed = false;

  constructor(host: SharedSemaphoreHost, settings: SharedSemaphoreSettings) {
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
      kind: 'Semaphore',
      name: host.name,
      policy: settings.onStoreError,
      probeIntervalMs: settings.probeIntervalMs,
      onRecovered: () => this.#wakes.replaceAfterRecovery(),
    });
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

  get fallback(): Semaphore {
    return this.#settings.fallback;
  }

  /** Permits this process holds: leases, plus the fallback's permits under `failOpen`. */
  get inUse(): number {
    return this.#held.size + this.#settings.fallback.inUse;
  }

  get waiting(): number {
    return this.#live + this.#settings.fallback.waiting;
  }

  get peakInUse(): number {
    return this.#peak;
  }

  /** Holders across all processes, as the store last reported them. */
  get sharedInUse(): number {
    return this.#holders;
  }

  /** Leases that expired before this process could renew them. */
  get leasesLost(): number {
    return this.#leasesLost;
  }

  /** The store's own list of live leases. */
  leases(): Promise<readonly LeaseInfo[]> {
    return this.#settings.store.holders(this.#settings.key);
  }

  acquire(options: AcquireOptions | undefined): Promise<Permit> {
    if (this.#closed) return this.#refuse('closed', new ClosedError('Semaphore', this.#host.name));
    if (this.#health.down) {
      if (this.#settings.onStoreError === 'failClosed') return this.#refuse('store-unavailable', this.#health.error!);
      return this.#settings.fallback.acquire(options);
    }
    const maxQueue = this.#host.maxQueue();
    if (this.#live >= maxQueue) {
      return this.#refuse(
        'queue-full',
        new QueueFullError({
          kind: 'Semaphore',
          resource: this.#host.name,
          limit: this.#host.limit(),
          maxQueue,
          inUse: this.inUse,
          waiting: this.#live,
        }),
      );
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter = new Waiter(this.#onGiveUp, resolve, reject, options);
      this.#queue.push(waiter);
      this.#live++;
      this.#wakes.subscribe();
      void this.#pump();
    });
  }

  /** The limit changed: the head asks again with it. */
  resized(): void {
    this.#wakes.wake();
  }

  /** Refuses new callers and rejects waiters; held permits stay valid (and renewed) until released. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = new ClosedError('Semaphore', this.#host.name);
    for (const waiter of this.#queue.splice(0)) {
      if (waiter.done) continue;
      this.#settle(waiter);
      this.#countRejection('closed');
      waiter.reject(error);
    }
    this.#wakes.wake();
    this.#settings.fallback.close();
    if (this.#held.size === 0) this.#stop();
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
          decision = await this.#settings.store.acquire(this.#settings.key, this.#host.limit(), head.holderId, this.#settings.leaseTtlMs);
        } catch (error) {
          if (isStoreUnavailableError(error)) {
            this.#failed(error);
            return;
          }
          if (!head.done) {
            this.#settle(head);
            this.#countRejection('store-error');
            head.reject(error);
          }
          continue;
        }
        this.#health.succeeded();
        this.#holders = decision.holders;
        if (decision.acquired) {
          if (head.done) {
            // The caller gave up while the store granted the lease: hand it back.
            this.#releaseLease(head.holderId);
            continue;
          }
          this.#grant(head);
          continue;
        }
        if (head.done) continue;
        if (this.#wakes.wokenDuringAsk()) continue;
        await this.#wakes.sleep(decision.retryAfterMs);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #head(): Waiter | undefined {
    const queue = this.#queue;
    while (queue.length > 0 && queue[0]!.done) queue.shift();
    return queue[0];
  }

  #grant(waiter: Waiter): void {
    this.#settle(waiter);
    const permit = new SharedPermit(waiter.holderId, this.#onRelease);
    this.#held.set(waiter.holderId, permit);
    const inUse = this.inUse;
    if (inUse > this.#peak) this.#peak = inUse;
    if (this.#holders >= this.#host.limit() && this.#host.events.saturated.active) {
      this.#host.events.saturated.emit(this.#state());
    }
    if (this.#host.events.granted.active) {
      this.#host.events.granted.emit({ name: this.#host.name, waitedMs: performance.now() - waiter.queuedAt });
    }
    this.#startRenewing();
    waiter.resolve(permit);
  }

  readonly #onRelease = (permit: SharedPermit): void => {
    if (this.#held.get(permit.holderId) !== permit) return;
    this.#held.delete(permit.holderId);
    if (!permit.lost) this.#releaseLease(permit.holderId);
    if (this.#held.size === 0) {
      this.#stopRenewing();
      if (this.#closed) this.#stop();
      if (this.#live === 0 && this.#host.events.idle.active) this.#host.events.idle.emit(this.#state());
    }
  };

  /** Ends a lease in the store; a failure leaves it to expire by itself. */
  #releaseLease(holderId: string): void {
    this.#settings.store.release(this.#settings.key, holderId).then(
      () => {
        this.#health.succeeded();
        this.#wakes.wake();
      },
      (error: unknown) => {
        if (isStoreUnavailableError(error)) this.#failed(error);
      },
    );
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
            operation: `Waiting for a permit of ${this.#label()} (limit ${this.#host.limit()} shared in ${this.#settings.store.description}, ${this.#holders} held)`,
            timeoutMs: waiter.timeoutMs!,
          }),
    );
  };

  #settle(waiter: Waiter): void {
    waiter.done = true;
    this.#live--;
    waiter.settle();
  }

  // --- lease renewal -------------------------------------------------------------------------

  #startRenewing(): void {
    if (this.#renewTimer !== undefined) return;
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(1, Math.floor(this.#settings.leaseTtlMs / 3)));
    // The work holding the permit keeps the process alive, not the renewal.
    this.#renewTimer.unref?.();
  }

  #stopRenewing(): void {
    if (this.#renewTimer !== undefined) clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  async #renew(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      const { store, key, leaseTtlMs } = this.#settings;
      // Renewals of this process's leases, a few at a time: the pool is small, and so is `limit`.
      await forEachBounded(
        [...this.#held.values()],
        async (permit) => {
          let renewed: boolean;
          try {
            renewed = await store.renew(key, permit.holderId, leaseTtlMs);
          } catch (error) {
            if (isStoreUnavailableError(error)) this.#failed(error);
            return;
          }
          this.#health.succeeded();
          if (renewed || permit.released) return;
          // Expired before we could renew it: another process may hold it now.
          permit.markLost();
          this.#leasesLost++;
          this.#held.delete(permit.holderId);
          if (this.#held.size === 0) this.#stopRenewing();
        },
        { concurrency: 4 },
      );
    } finally {
      this.#renewing = false;
    }
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
        continue;
      }
      const left = waiter.timeoutMs === undefined ? undefined : waiter.timeoutMs - (performance.now() - waiter.queuedAt);
      const options: AcquireOptions = {};
      if (waiter.signal !== undefined) options.signal = waiter.signal;
      if (left !== undefined) options.timeoutMs = Math.max(1, Math.ceil(left));
      this.#settings.fallback.acquire(options).then(waiter.resolve, waiter.reject);
    }
  }

  #stop(): void {
    this.#stopRenewing();
    this.#health.close();
    this.#wakes.close();
  }

  #refuse<T>(reason: SemaphoreRejection['reason'], error: Error): Promise<T> {
    this.#countRejection(reason);
    return Promise.reject(error);
  }

  #countRejection(reason: SemaphoreRejection['reason']): void {
    if (this.#host.events.rejected.active) this.#host.events.rejected.emit({ ...this.#state(), reason });
  }

  #label(): string {
    return this.#host.name === undefined ? 'Semaphore' : `Semaphore "${this.#host.name}"`;
  }

  #state(): SemaphoreState {
    return { name: this.#host.name, limit: this.#host.limit(), inUse: this.inUse, waiting: this.waiting };
  }
}

/** A permit backed by a lease in the store. */
class SharedPermit implements Permit {
  readonly holderId: string;
  #onRelease: ((permit: SharedPermit) => void) | undefined;
  #lost = false;

  constructor(holderId: string, onRelease: (permit: SharedPermit) => void) {
    this.holderId = holderId;
    this.#onRelease = onRelease;
  }

  get released(): boolean {
    return this.#onRelease === undefined;
  }

  /** True when the lease expired before it could be renewed: the store no longer counts it. */
  get lost(): boolean {
    return this.#lost;
  }

  markLost(): void {
    this.#lost = true;
  }

  release(): void {
    const onRelease = this.#onRelease;
    if (onRelease === undefined) return;
    this.#onRelease = undefined;
    onRelease(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
