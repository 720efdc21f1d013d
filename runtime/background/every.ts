import { assertFunction, assertSignal, assertTimeoutMs } from '../internal/validate.js';

export interface EveryOptions {
  /** Aborting it stops the interval, as `stop()` does. */
  signal?: AbortSignal;
  /** Runs once at once instead of waiting `ms` first. Default false. */
  immediate?: boolean;
  /**
   * Called with what a run threw or rejected with; the interval goes on. Without it the error
   * is rethrown on a later microtask, where it surfaces as an uncaught exception, as an error
   * thrown from a `setInterval` callback does.
   */
  onError?: (error: unknown) => void;
  /** Node only: do not keep the process alive for the interval's timer. Default false. */
  unref?: boolean;
}

/** A run of `every`: it gets a signal that aborts when the interval is stopped. */
export type EveryTask = (signal: AbortSignal) => unknown;

/** A running interval started by `every`. */
export interface Interval extends AsyncDisposable {
  /**
   * Stops the interval: no run starts after it, the signal of a run in progress aborts, and
   * the promise resolves once that run has ended (at once when none is in progress).
   */
  stop(): Promise<void>;
  /** True until `stop()` is called or the signal aborts. */
  readonly active: boolean;
  /** True while a run is in progress. */
  readonly running: boolean;
  /** Runs started so far. */
  readonly runs: number;
}

/**
 * Calls `fn` every `ms` milliseconds without ever overlapping two runs: a run starts `ms` after
 * the previous one started, or when it ends if it took longer. Unlike `setInterval(async …)`,
 * a slow run delays the next instead of piling runs up, and `stop()` waits for the run in
 * progress, so shutdown does not cut it off mid-write.
 *
 * ```ts
 * const refresh = every(30_000, (signal) => cache.refresh({ signal }), { onError: log.error });
 * await refresh.stop();
 * ```
 */
export function every(ms: number, fn: EveryTask, options: EveryOptions = {}): Interval {
  assertTimeoutMs('ms', ms);
  assertFunction('fn', fn);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `options` to be an object');
  }
  const { signal, immediate = false, onError, unref = false } = options;
  assertSignal('signal', signal);
  if (onError !== undefined) assertFunction('onError', onError);
  return new RepeatingTask(ms, fn, signal, onError, unref, immediate);
}

class RepeatingTask implements Interval {
  readonly #ms: number;
  readonly #fn: EveryTask;
  readonly #outer: AbortSignal | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #unref: boolean;
  readonly #controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #current: Promise<void> | undefined;
  #runs = 0;
  #active = true;

  constructor(
    ms: number,
    fn: EveryTask,
    outer: AbortSignal | undefined,
    onError: ((error: unknown) => void) | undefined,
    unref: boolean,
    immediate: boolean,
  ) {
    this.#ms = ms;
    this.#fn = fn;
    this.#outer = outer;
    this.#onError = onError;
    this.#unref = unref;
    if (outer?.aborted) {
      this.#active = false;
      return;
    }
    outer?.addEventListener('abort', this.#onAbort, { once: true });
    if (immediate) this.#schedule(0);
    else this.#schedule(ms);
  }

  get active(): boolean {
    return this.#active;
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  get runs(): number {
    return this.#runs;
  }

  stop(): Promise<void> {
    if (this.#active) {
      this.#active = false;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#outer?.removeEventListener('abort', this.#onAbort);
      this.#controller.abort(this.#outer?.aborted === true ? this.#outer.reason : undefined);
    }
    return this.#current ?? Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  readonly #onAbort = (): void => {
    void this.stop();
  };

  #schedule(delay: number): void {
    this.#timer = setTimeout(this.#tick, delay);
    if (this.#unref) (this.#timer as { unref?: () => void }).unref?.();
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    if (!this.#active) return;
    const started = Date.now();
    this.#runs++;
    this.#current = this.#run().then(() => {
      this.#current = undefined;
      if (!this.#active) return;
      // Keep the period when runs are short; start at once (never overlapping) when one overran it.
      const elapsed = Date.now() - started;
      this.#schedule(Math.min(this.#ms, Math.max(0, this.#ms - elapsed)));
    });
  };

  async #run(): Promise<void> {
    try {
      await this.#fn(this.#controller.signal);
    } catch (error) {
      this.#report(error);
    }
  }

  #report(error: unknown): void {
    if (this.#onError === undefined) {
      queueMicrotask(() => {
        throw error;
      });
      return;
    }
    try {
      this.#onError(error);
    } catch (handlerError) {
      queueMicrotask(() => {
        throw handlerError;
      });
    }
  }
}
