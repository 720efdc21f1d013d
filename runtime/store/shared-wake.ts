/**
 * The wake channel of a shared limit (`SharedLimiter`, `SharedSemaphore`): how the head of a
 * process's queue, refused by the store, waits for its next question without polling. It sleeps
 * until the time the store reported (plus a little jitter), or until the store's wake channel
 * says room may have appeared, whichever comes first. A wake-up that comes while the head is
 * asking, or before the channel is live, is not lost: the head asks again instead of sleeping on
 * an answer that may predate it.
 */
import { MAX_SLEEP_MS, jitterMs } from './shared-health.js';
import type { SharedStore, StoreSubscription } from './types.js';

export interface WakeChannelOptions {
  readonly store: SharedStore;
  readonly key: string;
  /** For tests: jitter source. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /** Whether the owner is closed: a subscription that goes live after that is dropped. */
  readonly closed: () => boolean;
  /** Whether the owner's pump is running (asking the store or sleeping). */
  readonly pumping: () => boolean;
  /** A wake-up found no pump running: start one if anyone is waiting. */
  readonly resume: () => void;
}

export class WakeChannel {
  readonly #options: WakeChannelOptions;
  readonly #random: () => number;
  #wakeSleeper: (() => void) | undefined;
  /**
   * A wake-up came while the head's question to the store was in flight: the answer may predate
   * the room that appeared, so the head asks again instead of sleeping on it.
   */
  #wokenWhileAsking = false;
  #subscription: Promise<StoreSubscription | undefined> | undefined;

  constructor(options: WakeChannelOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Ends the head's sleep now (a wake-up from the store, a waiter gone, new numbers), makes it
   * ask again when its question is in flight, or starts the pump.
   */
  readonly wake = (): void => {
    if (this.#wakeSleeper !== undefined) this.#wakeSleeper();
    else if (this.#options.pumping()) this.#wokenWhileAsking = true;
    else this.#options.resume();
  };

  /** The head is about to ask the store: only a wake-up from now on makes it ask again. */
  beginAsk(): void {
    this.#wokenWhileAsking = false;
  }

  /** Whether a wake-up came since `beginAsk()`: the store's "no" may predate it. */
  wokenDuringAsk(): boolean {
    return this.#wokenWhileAsking;
  }

  /** Sleeps until the store-reported `retryAfterMs` plus jitter (at most `MAX_SLEEP_MS`), or a wake-up. */
  sleep(retryAfterMs: number): Promise<void> {
    const ms = Math.min(MAX_SLEEP_MS, Math.ceil(retryAfterMs + jitterMs(retryAfterMs, this.#random)));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeSleeper = undefined;
        resolve();
      }, ms);
      this.#wakeSleeper = () => {
        clearTimeout(timer);
        this.#wakeSleeper = undefined;
        resolve();
      };
    });
  }

  /** Subscribes to the store's wake channel for the key, once. */
  subscribe(): void {
    if (this.#subscription !== undefined) return;
    this.#subscription = this.#options.store.subscribe(this.#options.key, this.wake).then(
      (subscription) => {
        if (this.#options.closed()) {
          void subscription.unsubscribe().catch(() => undefined);
          return undefined;
        }
        // A release announced before the channel was live never reached us, and the head may
        // have been refused on the state before it: one wake-up makes it ask again.
        this.wake();
        return subscription;
      },
      // No wake channel for now: waiters still wake at the time the store reported. Try
      // again with the next caller after a recovery.
      () => {
        this.#subscription = undefined;
        return undefined;
      },
    );
  }

  /** The store answers again after an outage: the next caller subscribes afresh, and the head asks again. */
  replaceAfterRecovery(): void {
    // A subscription that survived the outage is dropped for a fresh one: unsubscribe it, or
    // every outage would leave one more wake handler behind.
    this.#unsubscribe();
    this.wake();
  }

  /** Unsubscribes from the store's wake channel. */
  close(): void {
    this.#unsubscribe();
  }

  #unsubscribe(): void {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    void subscription?.then((live) => live?.unsubscribe()).catch(() => undefined);
  }
}
