import { EventEmitter } from 'node:events';

/**
 * Budgets of one duration, in the order they started, which is the order they expire in: one
 * timer, set for the first, serves them all.
 */
interface DeadlineList {
  readonly timeoutMs: number;
  head: Budget | undefined;
  tail: Budget | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** True while expired budgets are being aborted (their listeners may start new budgets). */
  firing: boolean;
}

/**
 * One call's (or one attempt's) time budget. It aborts at the deadline (with the error `expire`
 * makes), when the caller's signal or a parent budget aborts (with their reason), or when the
 * client calls `abort(reason)`. Like `deadline()` in runtime/timeout.ts, tuned for a path that
 * runs once per HTTP request:
 *
 * - It is itself the abort signal undici's `request` listens to: undici accepts an
 *   EventEmitter with `aborted`, `reason` and an `'abort'` event. An `AbortSignal` costs about
 *   10 µs to create on Node 20, more than the rest of the client's work per call, so the real
 *   one behind `signal` is created only when something asks for it (fetch, a waiting limiter
 *   or semaphore).
 * - Budgets of the same duration share one timer (they expire in the order they start), so a
 *   call adds itself to a list instead of creating a timer. The timer is cleared as soon as the
 *   list is empty: no budget, no timer.
 * - `sleep()` waits between attempts under the same budget.
 */
export class Budget extends EventEmitter {
  static readonly #lists = new Map<number, DeadlineList>();

  /** The budget it was created with, in milliseconds. */
  readonly timeoutMs: number;
  /** `performance.now()` value at which the deadline passes. */
  readonly expiresAt: number;
  /** True while the call waits (limiter, semaphore, backoff) rather than talks to the server. */
  waiting = false;
  aborted = false;
  reason: unknown = undefined;
  #controller: AbortController | undefined;
  readonly #outer: AbortSignal | Budget | undefined;
  readonly #expire: () => Error;
  #list: DeadlineList | undefined;
  #prev: Budget | undefined;
  #next: Budget | undefined;
  /** Created only when there is an outer signal to follow. */
  #onOuterAbort: (() => void) | undefined;

  constructor(timeoutMs: number, outer: AbortSignal | Budget | undefined, expire: () => Error) {
    super();
    this.timeoutMs = timeoutMs;
    this.expiresAt = performance.now() + timeoutMs;
    this.#expire = expire;
    if (outer?.aborted) {
      this.aborted = true;
      this.reason = outer.reason;
      return;
    }
    if (outer !== undefined) {
      this.#outer = outer;
      const onOuterAbort = (): void => {
        this.abort(outer.reason);
      };
      this.#onOuterAbort = onOuterAbort;
      if (outer instanceof Budget) outer.once('abort', onOuterAbort);
      else outer.addEventListener('abort', onOuterAbort, { once: true });
    }
    Budget.#enlist(this);
  }

  /** Timers set for budgets right now, across every client: 0 when no call is in progress. */
  static get timers(): number {
    let timers = 0;
    for (const list of Budget.#lists.values()) if (list.timer !== undefined) timers++;
    return timers;
  }

  /** A standard `AbortSignal` that aborts with the budget (created on first use). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Milliseconds left before the deadline (0 once aborted). */
  remaining(): number {
    if (this.aborted) return 0;
    return Math.max(0, this.expiresAt - performance.now());
  }

  /** Aborts with `reason` (the first reason wins) and stops the deadline. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.dispose();
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.emit('abort');
  }

  /** Resolves after `ms`, or rejects with the budget's reason as soon as it aborts. */
  sleep(ms: number): Promise<void> {
    if (this.aborted) return Promise.reject(this.reason);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(this.reason);
      };
      const timer = setTimeout(() => {
        this.off('abort', onAbort);
        resolve();
      }, ms);
      this.once('abort', onAbort);
    });
  }

  /** Stops the deadline and stops following the outer signal. The budget stays as it is. */
  dispose(): void {
    if (this.#list !== undefined) Budget.#delist(this);
    const outer = this.#outer;
    const onOuterAbort = this.#onOuterAbort;
    if (outer === undefined || onOuterAbort === undefined) return;
    if (outer instanceof Budget) outer.off('abort', onOuterAbort);
    else outer.removeEventListener('abort', onOuterAbort);
  }

  static #enlist(budget: Budget): void {
    let list = Budget.#lists.get(budget.timeoutMs);
    if (list === undefined) {
      list = { timeoutMs: budget.timeoutMs, head: undefined, tail: undefined, timer: undefined, firing: false };
      Budget.#lists.set(budget.timeoutMs, list);
    }
    budget.#list = list;
    budget.#prev = list.tail;
    if (list.tail === undefined) list.head = budget;
    else list.tail.#next = budget;
    list.tail = budget;
    if (list.timer === undefined && !list.firing) Budget.#arm(list);
  }

  static #delist(budget: Budget): void {
    const list = budget.#list!;
    const prev = budget.#prev;
    const next = budget.#next;
    if (prev === undefined) list.head = next;
    else prev.#next = next;
    if (next === undefined) list.tail = prev;
    else next.#prev = prev;
    budget.#list = budget.#prev = budget.#next = undefined;
    if (list.head === undefined && !list.firing) {
      if (list.timer !== undefined) clearTimeout(list.timer);
      list.timer = undefined;
      Budget.#lists.delete(list.timeoutMs);
    }
    // Otherwise the timer stays set for a budget that left early; when it fires it finds
    // nothing expired and is set again for the new head.
  }

  /** Sets the list's timer for its first budget, never early: expiry is checked on firing. */
  static #arm(list: DeadlineList): void {
    const delay = Math.max(1, Math.ceil(list.head!.expiresAt - performance.now()));
    list.timer = setTimeout(Budget.#fire, delay, list);
  }

  static #fire(this: void, list: DeadlineList): void {
    list.timer = undefined;
    list.firing = true;
    try {
      const now = performance.now();
      // Bounded: every turn takes the head off the list, and budgets added meanwhile expire later.
      for (let head = list.head; head !== undefined && head.expiresAt <= now; head = list.head) {
        Budget.#delist(head);
        head.abort(head.#expire());
      }
    } finally {
      list.firing = false;
      if (list.head !== undefined) Budget.#arm(list);
      else if (Budget.#lists.get(list.timeoutMs) === list) Budget.#lists.delete(list.timeoutMs);
    }
  }
}
