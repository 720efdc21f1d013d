import { DEFAULT_POLICY } from '@bounded/policy/core';
import { assertFunction, assertLimit, assertSignal } from './internal/validate.js';

export interface MapBoundedOptions {
  /** Most tasks running at once. Default: the policy's fan-out concurrency (10). */
  concurrency?: number;
  /** Aborting stops new starts, aborts running tasks, and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * true (default): the first failure stops new starts, aborts the signal the running tasks
   * got, and rejects with that failure. false: every item runs, and failures are reported
   * together in an `AggregateError` at the end.
   */
  stopOnError?: boolean;
}

/** Called once per item with its input index and a signal that aborts when the map stops. */
export type Mapper<T, R> = (item: T, index: number, signal: AbortSignal) => R | PromiseLike<R>;

export type Items<T> = Iterable<T> | AsyncIterable<T>;

/**
 * Maps `items` through `fn` with at most `concurrency` calls in flight; results keep input
 * order. `items` is read lazily, one item per free slot, so a generator of ten million items
 * holds only `concurrency` of them at a time. It never settles while a task it started is
 * still running, so a failed map leaves nothing behind it.
 *
 * ```ts
 * const pages = await mapBounded(urls, (url, _i, signal) => fetchPage(url, { signal }), {
 *   concurrency: 10,
 * });
 * ```
 */
export function mapBounded<T, R>(items: Items<T>, fn: Mapper<T, R>, options?: MapBoundedOptions): Promise<Awaited<R>[]> {
  const results: Awaited<R>[] = [];
  return drive(items, fn, options, 'map', results).then(() => results);
}

/**
 * Like `mapBounded`, in the shape of `Promise.allSettled`: every item runs and each result
 * says whether it was fulfilled or rejected. Rejects only when `signal` aborts.
 */
export function mapBoundedSettled<T, R>(
  items: Items<T>,
  fn: Mapper<T, R>,
  options?: Omit<MapBoundedOptions, 'stopOnError'>,
): Promise<PromiseSettledResult<Awaited<R>>[]> {
  const results: PromiseSettledResult<Awaited<R>>[] = [];
  return drive(items, fn, options, 'settle', results).then(() => results);
}

/** `mapBounded` for side effects: no result array, so memory stays O(concurrency). */
export function forEachBounded<T>(items: Items<T>, fn: Mapper<T, unknown>, options?: MapBoundedOptions): Promise<void> {
  return drive(items, fn, options, 'each', undefined);
}

/** A task for `allBounded`: receives a signal that aborts when the batch stops. */
export type Thunk<R> = (signal: AbortSignal) => R | PromiseLike<R>;

/** `Promise.all` over functions that start work, with at most `concurrency` running at once. */
export function allBounded<R>(thunks: Items<Thunk<R>>, options?: MapBoundedOptions): Promise<Awaited<R>[]> {
  return mapBounded<Thunk<R>, R>(thunks, callThunk, options);
}

function callThunk<R>(thunk: Thunk<R>, index: number, signal: AbortSignal): R | PromiseLike<R> {
  if (typeof thunk !== 'function') {
    throw new TypeError(`Expected every item of \`thunks\` to be a function, got ${typeof thunk} at index ${index}`);
  }
  return thunk(signal);
}

type Mode = 'map' | 'settle' | 'each';

/** The state every worker of one run shares. */
class Run {
  readonly controller = new AbortController();
  stopped = false;
  /** Set when the run stops early: the failure, the caller's abort reason, or a source error. */
  stopReason: { readonly error: unknown } | undefined;
  /** Failures when not stopping on error: [index, error]. */
  failures: [number, unknown][] | undefined;

  constructor(readonly stopOnError: boolean) {}

  stop(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopReason = { error };
    this.controller.abort(error);
  }

  fail(index: number, error: unknown): void {
    if (this.stopOnError) this.stop(error);
    else if (!this.stopped) (this.failures ??= []).push([index, error]);
  }
}

async function drive<T, R>(
  items: Items<T>,
  fn: Mapper<T, R>,
  options: MapBoundedOptions | undefined,
  mode: Mode,
  results: unknown[] | undefined,
): Promise<void> {
  const concurrency = options?.concurrency ?? DEFAULT_POLICY.defaults.concurrency;
  assertLimit('concurrency', concurrency);
  assertFunction('fn', fn);
  const outer = options?.signal;
  assertSignal('signal', outer);
  if (items === null || items === undefined || (typeof items !== 'object' && typeof items !== 'string')) {
    throw new TypeError(`Expected \`items\` to be an iterable or async iterable, got ${String(items)}`);
  }
  outer?.throwIfAborted();

  const run = new Run(mode === 'settle' ? false : (options?.stopOnError ?? true));
  const onAbort = (): void => run.stop(outer!.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  const store = makeStore(mode, results);
  try {
    if (Array.isArray(items)) {
      await runArray(items as T[], fn, concurrency, run, store);
    } else if (typeof (items as Iterable<T>)[Symbol.iterator] === 'function') {
      if (concurrency === Number.POSITIVE_INFINITY) {
        // Unbounded means every item at once: there is no laziness to keep.
        await runArray(Array.from(items as Iterable<T>), fn, concurrency, run, store);
      } else {
        await runIterator((items as Iterable<T>)[Symbol.iterator](), fn, concurrency, run, store);
      }
    } else if (typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') {
      if (concurrency === Number.POSITIVE_INFINITY) {
        throw new TypeError('Expected `concurrency` to be finite when `items` is an async iterable, got Infinity');
      }
      await runAsyncIterator((items as AsyncIterable<T>)[Symbol.asyncIterator](), fn, concurrency, run, store);
    } else {
      throw new TypeError('Expected `items` to be an iterable or async iterable, got an object');
    }
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  if (run.stopReason !== undefined) throw run.stopReason.error;
  const failures = run.failures;
  if (failures !== undefined) {
    failures.sort((a, b) => a[0] - b[0]);
    throw new AggregateError(
      failures.map(([, error]) => error),
      `${failures.length} of the tasks failed (first at index ${failures[0]![0]})`,
    );
  }
}

/** Where a task's outcome goes: into `results`, or nowhere. */
interface Store {
  value(index: number, value: unknown): void;
  /** Returns true when the failure was recorded as a result (settled mode). */
  error(index: number, error: unknown): boolean;
}

function makeStore(mode: Mode, results: unknown[] | undefined): Store | undefined {
  if (mode === 'each') return undefined;
  if (mode === 'map') {
    return {
      value: (index, value) => {
        results![index] = value;
      },
      error: () => false,
    };
  }
  return {
    value: (index, value) => {
      results![index] = { status: 'fulfilled', value };
    },
    error: (index, reason) => {
      results![index] = { status: 'rejected', reason };
      return true;
    },
  };
}

function runArray<T, R>(items: readonly T[], fn: Mapper<T, R>, concurrency: number, run: Run, store: Store | undefined): Promise<unknown> {
  const length = items.length;
  const signal = run.controller.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!run.stopped) {
      const index = next++;
      if (index >= length) return;
      try {
        const value = await fn(items[index]!, index, signal);
        store?.value(index, value);
      } catch (error) {
        if (store === undefined || !store.error(index, error)) run.fail(index, error);
      }
    }
  };
  return startWorkers(worker, Math.min(concurrency, length));
}

function runIterator<T, R>(
  iterator: Iterator<T>,
  fn: Mapper<T, R>,
  concurrency: number,
  run: Run,
  store: Store | undefined,
): Promise<unknown> {
  const signal = run.controller.signal;
  let next = 0;
  let done = false;
  const worker = async (grow: () => void): Promise<void> => {
    while (!run.stopped && !done) {
      let step: IteratorResult<T>;
      try {
        step = iterator.next();
      } catch (error) {
        done = true;
        run.stop(error);
        return;
      }
      if (step.done === true) {
        done = true;
        return;
      }
      grow();
      const index = next++;
      try {
        const value = await fn(step.value, index, signal);
        store?.value(index, value);
      } catch (error) {
        if (store === undefined || !store.error(index, error)) run.fail(index, error);
      }
    }
  };
  return startOnDemand(worker, concurrency).finally(() => {
    // Close a source we did not read to the end, so a generator's `finally` runs.
    if (!done) iterator.return?.();
  });
}

async function runAsyncIterator<T, R>(
  iterator: AsyncIterator<T>,
  fn: Mapper<T, R>,
  concurrency: number,
  run: Run,
  store: Store | undefined,
): Promise<unknown> {
  const signal = run.controller.signal;
  let next = 0;
  let done = false;
  let pending = 0;
  // Pulls are chained so that `next()` is never called again before the last call settled:
  // an async iterator need not support overlapping calls.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<T>> => {
    pending++;
    const step = pulling.then(() => (done || run.stopped ? DONE : iterator.next()));
    pulling = step.then(
      () => void pending--,
      () => void pending--,
    );
    return step;
  };
  // A source whose next() never settles must not hold the map once it stopped.
  const stopped = new Promise<typeof STOPPED>((resolve) => {
    if (signal.aborted) resolve(STOPPED);
    else signal.addEventListener('abort', () => resolve(STOPPED), { once: true });
  });
  const worker = async (grow: () => void): Promise<void> => {
    while (!run.stopped && !done) {
      let step: IteratorResult<T> | typeof STOPPED;
      try {
        step = await Promise.race([pull(), stopped]);
      } catch (error) {
        done = true;
        run.stop(error);
        return;
      }
      if (step === STOPPED || run.stopped) return;
      if (step.done === true) {
        done = true;
        return;
      }
      grow();
      const index = next++;
      try {
        const value = await fn(step.value, index, signal);
        store?.value(index, value);
      } catch (error) {
        if (store === undefined || !store.error(index, error)) run.fail(index, error);
      }
    }
  };
  try {
    return await startOnDemand(worker, concurrency);
  } finally {
    if (!done) {
      // Close the source so a generator's `finally` runs; wait for it unless a pull is still
      // pending, which `return()` would queue behind, possibly forever.
      const closing = pulling.then(() => iterator.return?.()).catch(noop);
      if (pending === 0) await closing;
    }
  }
}

const STOPPED = Symbol('stopped');
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function noop(): void {}

function startWorkers(worker: () => Promise<void>, count: number): Promise<unknown> {
  if (count <= 0) return Promise.resolve();
  if (count === 1) return worker();
  const workers: Promise<void>[] = [];
  for (let i = 0; i < count; i++) workers.push(worker());
  // eslint-disable-next-line bounded/no-unbounded-concurrency -- count is the concurrency itself
  return Promise.all(workers);
}

/**
 * Starts one worker, and another each time a worker takes an item, up to `max`: a source of
 * 3 items under a concurrency of 1,000,000 starts 3 workers, not a million. Workers never
 * reject. Spawning is a loop, not recursion, so a large `max` cannot overflow the stack.
 */
function startOnDemand(worker: (grow: () => void) => Promise<void>, max: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let wanted = 1;
    let started = 0;
    let active = 0;
    let pumping = false;
    const exit = (): void => {
      if (--active === 0 && started >= wanted) resolve();
    };
    const pump = (): void => {
      pumping = true;
      while (started < wanted && started < max) {
        started++;
        active++;
        void worker(grow).then(exit);
      }
      pumping = false;
    };
    const grow = (): void => {
      if (wanted >= max) return;
      wanted++;
      if (!pumping) pump();
    };
    pump();
  });
}
