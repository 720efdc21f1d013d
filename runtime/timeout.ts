import { TimeoutError } from './errors.js';
import { MAX_TIMER_MS, assertFunction, assertSignal, assertTimeoutMs } from './internal/validate.js';

export interface WithTimeoutOptions {
  /** The caller's signal: aborting it aborts the work and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Names the work in the `TimeoutError` message, e.g. "openai chat.completions.create". */
  name?: string;
}

/** Work under a deadline: it gets a signal that aborts at the deadline or with the caller's. */
export type TimedTask<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/**
 * Calls `fn(signal)` and settles with its outcome, unless `timeoutMs` passes first: then the
 * signal aborts with a `TimeoutError` and the call rejects with it, even if `fn` ignores the
 * signal. No timer or listener outlives the call.
 *
 * ```ts
 * const res = await withTimeout((signal) => fetch(url, { signal }), 5_000, { name: 'GET /users' });
 * ```
 */
export function withTimeout<T>(fn: TimedTask<T>, timeoutMs: number, options?: WithTimeoutOptions): Promise<Awaited<T>> {
  try {
    assertFunction('fn', fn);
    assertTimeoutMs('timeoutMs', timeoutMs);
    assertSignal('signal', options?.signal);
  } catch (error) {
    return Promise.reject(error);
  }
  const outer = options?.signal;
  if (outer?.aborted) return Promise.reject(outer.reason as Error);
  const operation = options?.name ?? 'Operation';

  return new Promise<Awaited<T>>((resolve, reject) => {
    const controller = new AbortController();
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (!finish()) return;
      controller.abort(outer!.reason);
      reject(outer!.reason);
    };
    const timer = setTimeout(() => {
      if (!finish()) return;
      const error = new TimeoutError({ operation, timeoutMs });
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    outer?.addEventListener('abort', onAbort, { once: true });

    let result: T | PromiseLike<T>;
    try {
      result = fn(controller.signal);
    } catch (error) {
      if (finish()) reject(error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}

export interface DeadlineOptions {
  /** The caller's signal: the deadline's signal aborts with it too. */
  signal?: AbortSignal;
  /** Names the deadline in the `TimeoutError` message. */
  name?: string;
}

/**
 * One deadline for several steps. Pass `signal` to every call, or run steps through
 * `run(fn)`, which gives each step whatever time is left. Dispose it (or hold it with
 * `using`) to clear its timer when the work finishes early.
 *
 * ```ts
 * using budget = deadline(10_000, { signal: req.signal, name: 'handle /answer' });
 * const docs = await budget.run((signal) => search(query, { signal }));
 * const answer = await budget.run((signal) => llm.complete(docs, { signal }), { timeoutMs: 8_000 });
 * ```
 */
export interface Deadline extends Disposable {
  /** Aborts with a `TimeoutError` at the deadline, or with the caller's reason. */
  readonly signal: AbortSignal;
  /** The budget the deadline was created with, in milliseconds. */
  readonly timeoutMs: number;
  /** `performance.now()` value at which the deadline passes. */
  readonly expiresAt: number;
  /** True once the deadline passed or the caller aborted. */
  readonly expired: boolean;
  /** Milliseconds left (0 once expired). */
  remaining(): number;
  /** Throws the deadline's abort reason once it has expired. */
  throwIfExpired(): void;
  /**
   * Runs one step within the time left, or within `timeoutMs` if that is sooner. Rejects with
   * the deadline's `TimeoutError` when the whole budget runs out, or with a step's own
   * `TimeoutError` when only the step's limit does.
   */
  run<T>(fn: TimedTask<T>, options?: { timeoutMs?: number; name?: string }): Promise<Awaited<T>>;
  /** Clears the timer. The signal stays as it is. */
  dispose(): void;
}

export function deadline(timeoutMs: number, options?: DeadlineOptions): Deadline {
  assertTimeoutMs('timeoutMs', timeoutMs);
  assertSignal('signal', options?.signal);
  return new DeadlineImpl(timeoutMs, options?.signal, options?.name ?? 'Deadline');
}

class DeadlineImpl implements Deadline {
  readonly timeoutMs: number;
  readonly expiresAt: number;
  readonly #controller = new AbortController();
  readonly #name: string;
  readonly #outer: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = (): void => {
    this.dispose();
    this.#controller.abort(this.#outer!.reason);
  };

  constructor(timeoutMs: number, outer: AbortSignal | undefined, name: string) {
    this.timeoutMs = timeoutMs;
    this.expiresAt = performance.now() + timeoutMs;
    this.#name = name;
    this.#outer = outer;
    if (outer?.aborted) {
      this.#controller.abort(outer.reason);
      return;
    }
    outer?.addEventListener('abort', this.#onAbort, { once: true });
    this.#timer = setTimeout(() => {
      this.dispose();
      this.#controller.abort(new TimeoutError({ operation: this.#name, timeoutMs }));
    }, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#controller.signal.aborted;
  }

  remaining(): number {
    if (this.expired) return 0;
    return Math.max(0, this.expiresAt - performance.now());
  }

  throwIfExpired(): void {
    this.#controller.signal.throwIfAborted();
  }

  run<T>(fn: TimedTask<T>, options?: { timeoutMs?: number; name?: string }): Promise<Awaited<T>> {
    if (this.expired) return Promise.reject(this.#controller.signal.reason as Error);
    const left = this.remaining();
    if (left <= 0) {
      return Promise.reject(new TimeoutError({ operation: this.#name, timeoutMs: this.timeoutMs }));
    }
    const step = options?.timeoutMs;
    if (step !== undefined) assertTimeoutMs('timeoutMs', step);
    const stepName = options?.name ?? this.#name;
    if (step !== undefined && step < left) {
      return withTimeout(fn, step, { signal: this.signal, name: stepName });
    }
    // The deadline's own timer fires first (or together), so its TimeoutError is the one seen;
    // the step's timer is a backstop a few milliseconds later (never past the largest delay a
    // timer accepts, which a budget close to it would otherwise exceed).
    const backstop = Math.min(Math.ceil(left) + 1, MAX_TIMER_MS);
    return withTimeout(fn, backstop, { signal: this.signal, name: this.#name });
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#outer?.removeEventListener('abort', this.#onAbort);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
