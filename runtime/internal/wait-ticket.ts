import type { Reject, Ticket } from './waiter-queue.js';

export type GiveUpReason = 'timeout' | 'abort';

/**
 * A queued waiter that can give up before its turn: it listens to the caller's signal, a
 * timer, or both. On giving up it marks itself cancelled (its queue slot is then skipped) and
 * calls `giveUp`, which rejects it with the right error. `settle()` stops listening when its
 * turn comes, so no timer or listener outlives the wait.
 */
export class WaitTicket implements Ticket {
  cancelled = false;
  readonly reject: Reject;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number | undefined;
  /** `performance.now()` when the waiter joined the queue, when someone measures waits. */
  enqueuedAt: number | undefined;
  readonly #giveUp: (ticket: WaitTicket, reason: GiveUpReason) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    giveUp: (ticket: WaitTicket, reason: GiveUpReason) => void,
    reject: Reject,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    this.#giveUp = giveUp;
    this.reject = reject;
    this.signal = signal;
    this.timeoutMs = timeoutMs;
    if (signal !== undefined) {
      this.#onAbort = () => this.#cancel('abort');
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.#cancel('timeout'), timeoutMs);
    }
  }

  /** The waiter's turn came (or it was refused): stop listening. */
  settle(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onAbort !== undefined) this.signal!.removeEventListener('abort', this.#onAbort);
  }

  #cancel(reason: GiveUpReason): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.settle();
    this.#giveUp(this, reason);
  }
}
