/**
 * Whether a shared limit's store answers, and what happens when it stops: the limit turns
 * `unavailable` at the first `StoreUnavailableError`, says so once (an event the monitor turns
 * into an alert), probes the store with `ping()` until it answers, then says it recovered.
 */
import { StoreUnavailableError } from '../errors.js';
import { Listeners, type Listener, type Subscription } from '../internal/events.js';
import type { SharedStore, StoreErrorPolicy } from './types.js';

/** A shared limit lost or regained its store. */
export interface StoreStatusEvent {
  readonly name: string | undefined;
  readonly kind: 'TokenBucket' | 'SlidingWindow' | 'Semaphore';
  /** The store, without credentials. */
  readonly store: string;
  readonly state: 'unavailable' | 'recovered';
  /** What callers get meanwhile: the typed error (`failClosed`) or the local fallback (`failOpen`). */
  readonly policy: StoreErrorPolicy;
  /** The failure that made it unavailable (on `unavailable`). */
  readonly error?: StoreUnavailableError | undefined;
  /** Milliseconds it was unavailable (on `recovered`). */
  readonly downMs?: number | undefined;
}

export interface StoreHealthOptions {
  readonly store: SharedStore;
  readonly kind: StoreStatusEvent['kind'];
  readonly name: string | undefined;
  readonly policy: StoreErrorPolicy;
  /** Milliseconds between probes while the store is unavailable. */
  readonly probeIntervalMs: number;
  /** Called once the store answers again. */
  readonly onRecovered: () => void;
}

export class StoreHealth {
  readonly #options: StoreHealthOptions;
  readonly #events = new Listeners<StoreStatusEvent>();
  #error: StoreUnavailableError | undefined;
  #downSince = 0;
  #probe: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #outages = 0;

  constructor(options: StoreHealthOptions) {
    this.#options = options;
  }

  /** True from the first failure until a probe or a call succeeds. */
  get down(): boolean {
    return this.#error !== undefined;
  }

  /** The failure callers see while down, naming the limit. */
  get error(): StoreUnavailableError | undefined {
    return this.#error;
  }

  /** Times the store became unavailable so far. */
  get outages(): number {
    return this.#outages;
  }

  /**
   * A store call failed with `error`: turn unavailable (once) and start probing. Returns the
   * error to hand callers, naming this limit.
   */
  failed(error: StoreUnavailableError): StoreUnavailableError {
    const named =
      error.resource === this.#options.name
        ? error
        : new StoreUnavailableError({
            resource: this.#options.name,
            store: error.store,
            operation: error.operation,
            timeoutMs: error.timeoutMs,
            cause: error.cause,
          });
    if (this.#closed) return named;
    if (this.#error === undefined) {
      this.#error = named;
      this.#downSince = performance.now();
      this.#outages++;
      if (this.#events.active) this.#events.emit({ ...this.#base(), state: 'unavailable', error: named });
      this.#schedule();
    }
    return named;
  }

  /** A store call succeeded: if it was unavailable, it has recovered. */
  succeeded(): void {
    if (this.#error === undefined || this.#closed) return;
    this.#error = undefined;
    if (this.#probe !== undefined) clearTimeout(this.#probe);
    this.#probe = undefined;
    if (this.#events.active) {
      this.#events.emit({ ...this.#base(), state: 'recovered', downMs: performance.now() - this.#downSince });
    }
    this.#options.onRecovered();
  }

  onStatus(listener: Listener<StoreStatusEvent>): Subscription {
    return this.#events.add(listener);
  }

  close(): void {
    this.#closed = true;
    if (this.#probe !== undefined) clearTimeout(this.#probe);
    this.#probe = undefined;
  }

  #schedule(): void {
    if (this.#closed || this.#probe !== undefined) return;
    this.#probe = setTimeout(() => {
      this.#probe = undefined;
      this.#options.store.ping().then(
        () => this.succeeded(),
        () => {
          if (this.#error !== undefined) this.#schedule();
        },
      );
    }, this.#options.probeIntervalMs);
    // A probe alone must not keep the process alive.
    this.#probe.unref?.();
  }

  #base(): Pick<StoreStatusEvent, 'name' | 'kind' | 'store' | 'policy'> {
    const { name, kind, store, policy } = this.#options;
    return { name, kind, store: store.description, policy };
  }
}

/** Jitter added to a store-reported wait, so replicas told the same time do not all ask at once. */
export function jitterMs(waitMs: number, random: () => number): number {
  return random() * Math.min(10, waitMs * 0.1);
}

/** Longest single sleep before asking the store again, even when it said to wait longer. */
export const MAX_SLEEP_MS = 30_000;
