import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICY } from '../../policy/defaults.js';
import { allBounded, forEachBounded, mapBounded, mapBoundedSettled, type Items } from '../../runtime/index.js';
import { Gauge, deferred, flush, reasonOf, track, type Deferred } from './helpers.js';

/** A mapper whose calls wait until the test settles them by index. */
function controlled<R = number>() {
  const gates = new Map<number, Deferred<R>>();
  const signals = new Map<number, AbortSignal>();
  const started: number[] = [];
  const settled: number[] = [];
  const gauge = new Gauge();
  const fn = async (_item: unknown, index: number, signal: AbortSignal): Promise<R> => {
    started.push(index);
    signals.set(index, signal);
    gauge.enter();
    const gate = deferred<R>();
    gates.set(index, gate);
    try {
      return await gate.promise;
    } finally {
      gauge.leave();
      settled.push(index);
    }
  };
  return {
    fn,
    started,
    settled,
    signals,
    gauge,
    resolve: (index: number, value: R) => gates.get(index)!.resolve(value),
    reject: (index: number, error: unknown) => gates.get(index)!.reject(error),
  };
}

/** A source that counts what was pulled from it and notes when its `finally` ran. */
class Source {
  pulled = 0;
  closed = false;
  /** What the source throws when it reaches `failAt`. */
  readonly error = new Error('source failed');

  constructor(
    readonly length: number,
    readonly failAt = Number.POSITIVE_INFINITY,
  ) {}

  *sync(): Generator<number> {
    try {
      for (let i = 0; i < this.length; i++) {
        if (i === this.failAt) throw this.error;
        this.pulled++;
        yield i;
      }
    } finally {
      this.closed = true;
    }
  }

  async *async(): AsyncGenerator<number> {
    yield* this.sync();
  }
}

const kinds: [string, (n: number) => Items<number>][] = [
  ['an array', (n) => Array.from({ length: n }, (_, i) => i)],
  ['a Set', (n) => new Set(Array.from({ length: n }, (_, i) => i))],
  ['a generator', (n) => new Source(n).sync()],
  ['an async generator', (n) => new Source(n).async()],
];

describe('inputs', () => {
  it.each(kinds)('maps %s', async (_kind, make) => {
    await expect(mapBounded(make(7), async (x) => x * 2, { concurrency: 3 })).resolves.toEqual([0, 2, 4, 6, 8, 10, 12]);
  });

  it.each(kinds)('maps empty %s without calling fn', async (_kind, make) => {
    const fn = vi.fn();
    await expect(mapBounded(make(0), fn)).resolves.toEqual([]);
    expect(fn).not.toHaveBeenCalled();
  });

  it.each([
    [null, 'Expected `items` to be an iterable or async iterable, got null'],
    [42, 'Expected `items` to be an iterable or async iterable, got 42'],
    [{}, 'Expected `items` to be an iterable or async iterable, got an object'],
  ])('rejects items %s', async (items, message) => {
    await expect(mapBounded(items as never, vi.fn())).rejects.toThrow(new TypeError(message));
  });
});

describe('laziness', () => {
  it.each(['sync', 'async'] as const)('pulls one item per free slot from a %s generator', async (kind) => {
    const source = new Source(10);
    const tasks = controlled();
    const result = mapBounded(source[kind](), tasks.fn, { concurrency: 3 });
    await flush();
    expect(source.pulled).toBe(3);
    expect(tasks.started).toEqual([0, 1, 2]);
    tasks.resolve(1, 1);
    await flush();
    expect(source.pulled).toBe(4);
    expect(tasks.started).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 10; i++) {
      tasks.resolve(i, i);
      await flush();
      expect(source.pulled - tasks.settled.length).toBeLessThanOrEqual(3);
    }
    await expect(result).resolves.toHaveLength(10);
    expect(source.closed).toBe(true);
  });
});

describe('order and concurrency', () => {
  it('keeps input order when tasks finish out of order', async () => {
    const tasks = controlled<string>();
    const result = mapBounded(['a', 'b', 'c', 'd'], tasks.fn, { concurrency: 4 });
    for (const i of [3, 1, 0, 2]) {
      tasks.resolve(i, `result ${i}`);
      await flush();
    }
    await expect(result).resolves.toEqual(['result 0', 'result 1', 'result 2', 'result 3']);
  });

  it('never runs more than `concurrency` at once, and does reach it', async () => {
    const tasks = controlled();
    const result = mapBounded(Array.from({ length: 10 }), tasks.fn, { concurrency: 3 });
    await flush();
    while (tasks.settled.length < 10) {
      // Finish the newest running task first, so tasks end out of order.
      const running = tasks.started.filter((i) => !tasks.settled.includes(i));
      tasks.resolve(running.at(-1)!, running.at(-1)!);
      await flush();
      expect(tasks.gauge.current).toBeLessThanOrEqual(3);
    }
    await expect(result).resolves.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(tasks.gauge.max).toBe(3);
  });

  it('calls fn with the item, its index and a live signal, and takes plain values', async () => {
    const calls: [string, number, boolean][] = [];
    const result = await mapBounded(['x', 'y'], (item, index, signal) => {
      calls.push([item, index, signal.aborted]);
      return item.toUpperCase();
    });
    expect(result).toEqual(['X', 'Y']);
    expect(calls).toEqual([
      ['x', 0, false],
      ['y', 1, false],
    ]);
  });
});

describe('stopOnError (default)', () => {
  it('stops new starts, aborts running tasks with the error, and waits for them before rejecting', async () => {
    const tasks = controlled();
    const result = track(mapBounded(Array.from({ length: 10 }), tasks.fn, { concurrency: 3 }));
    const boom = new Error('boom');
    tasks.reject(1, boom);
    await flush();
    expect(tasks.started).toEqual([0, 1, 2]);
    expect(tasks.signals.get(0)!.aborted).toBe(true);
    expect(tasks.signals.get(0)!.reason).toBe(boom);
    expect(result.current().state).toBe('pending');
    tasks.reject(0, new Error('second failure'));
    await flush();
    expect(result.current().state).toBe('pending');
    tasks.resolve(2, 2);
    await flush();
    expect(reasonOf(result)).toBe(boom);
    expect(tasks.started).toEqual([0, 1, 2]);
  });

  it('counts a synchronous throw as a failure', async () => {
    const boom = new Error('sync');
    const fn = vi.fn((x: number) => {
      if (x === 0) throw boom;
      return x;
    });
    await expect(mapBounded([0, 1, 2, 3], fn, { concurrency: 1 })).rejects.toBe(boom);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it.each(['sync', 'async'] as const)('closes a %s generator it stops reading', async (kind) => {
    const source = new Source(100);
    const tasks = controlled();
    const result = track(mapBounded(source[kind](), tasks.fn, { concurrency: 2 }));
    await flush();
    tasks.reject(0, new Error('boom'));
    await flush();
    expect(source.closed).toBe(false); // task 1 still runs
    tasks.resolve(1, 1);
    await flush();
    expect(result.current().state).toBe('rejected');
    expect(source.closed).toBe(true);
    expect(source.pulled).toBe(2);
  });
});

describe('stopOnError: false', () => {
  it('runs every item and rejects with an AggregateError of all failures in input order', async () => {
    const tasks = controlled();
    const result = track(mapBounded(Array.from({ length: 5 }), tasks.fn, { concurrency: 2, stopOnError: false }));
    const [late, early] = [new Error('index 3'), new Error('index 1')];
    tasks.resolve(0, 0);
    await flush();
    tasks.resolve(2, 2);
    await flush();
    tasks.reject(3, late);
    await flush();
    tasks.reject(1, early);
    await flush();
    expect(tasks.signals.get(4)!.aborted).toBe(false);
    expect(result.current().state).toBe('pending');
    tasks.resolve(4, 4);
    await flush();
    expect(tasks.started).toEqual([0, 1, 2, 3, 4]);
    const reason = reasonOf(result) as AggregateError;
    expect(reason).toBeInstanceOf(AggregateError);
    expect(reason.errors).toEqual([early, late]);
    expect(reason.errors[0]).toBe(early);
    expect(reason.message).toBe('2 of the tasks failed (first at index 1)');
  });

  it('resolves with every result when nothing fails', async () => {
    await expect(mapBounded([1, 2, 3], async (x) => x + 1, { stopOnError: false })).resolves.toEqual([2, 3, 4]);
  });
});

describe('source errors', () => {
  it.each(['sync', 'async'] as const)('rejects with the error a %s source throws, after running tasks settle', async (kind) => {
    const source = new Source(10, 2);
    const tasks = controlled();
    const result = track(mapBounded(source[kind](), tasks.fn, { concurrency: 2 }));
    await flush();
    tasks.resolve(0, 0);
    await flush();
    expect(tasks.signals.get(1)!.reason).toBe(source.error);
    expect(result.current().state).toBe('pending');
    tasks.resolve(1, 1);
    await flush();
    expect(reasonOf(result)).toBe(source.error);
    expect(tasks.started).toEqual([0, 1]);
  });
});

describe("the caller's signal", () => {
  it('stops starts, aborts running tasks with its reason, and rejects once they settle', async () => {
    const controller = new AbortController();
    const source = new Source(10);
    const tasks = controlled();
    const result = track(mapBounded(source.sync(), tasks.fn, { concurrency: 2, signal: controller.signal }));
    const reason = new Error('caller gone');
    controller.abort(reason);
    expect(tasks.signals.get(0)!.reason).toBe(reason);
    expect(tasks.signals.get(1)!.reason).toBe(reason);
    tasks.resolve(0, 0);
    await flush();
    expect(tasks.started).toEqual([0, 1]);
    expect(result.current().state).toBe('pending');
    tasks.resolve(1, 1);
    await flush();
    expect(result.current()).toEqual({ state: 'rejected', reason });
    expect(source.closed).toBe(true);
  });

  it('rejects on abort even while an async source never answers next()', async () => {
    const controller = new AbortController();
    const hanging: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<number>>(() => {}) }),
    };
    const result = track(mapBounded(hanging, vi.fn(), { concurrency: 3, signal: controller.signal }));
    await flush();
    expect(result.current().state).toBe('pending');
    const reason = new Error('gave up');
    controller.abort(reason);
    await flush();
    expect(result.current()).toEqual({ state: 'rejected', reason });
  });

  it('starts workers only as items arrive: a huge concurrency over 3 items calls fn 3 times', async () => {
    const fn = vi.fn(async (n: number) => n * 2);
    await expect(mapBounded(new Set([1, 2, 3]), fn, { concurrency: 1_000_000 })).resolves.toEqual([2, 4, 6]);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('rejects at once with the reason of an already aborted signal, without reading items', async () => {
    const reason = new Error('already');
    const source = new Source(3);
    const fn = vi.fn();
    await expect(mapBounded(source.sync(), fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(source.pulled).toBe(0);
  });

  it.each([
    ['success', () => Promise.resolve(1)],
    ['failure', () => Promise.reject(new Error('boom'))],
  ])('removes its abort listener after a %s', async (_outcome, fn) => {
    const { signal } = new AbortController();
    await mapBounded([1, 2], fn, { signal }).catch(() => {});
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('refuses a signal that is not an AbortSignal', async () => {
    await expect(mapBounded([1], vi.fn(), { signal: {} as AbortSignal })).rejects.toThrow(
      new TypeError('Expected `signal` to be an AbortSignal, got an object'),
    );
  });
});

describe('options', () => {
  it('defaults concurrency to the policy (10)', async () => {
    expect(DEFAULT_POLICY.defaults.concurrency).toBe(10);
    const tasks = controlled();
    const result = mapBounded(Array.from({ length: 25 }), tasks.fn);
    await flush();
    expect(tasks.started).toHaveLength(DEFAULT_POLICY.defaults.concurrency);
    for (let i = 0; i < 25; i++) {
      tasks.resolve(i, i);
      await flush();
    }
    await result;
    expect(tasks.gauge.max).toBe(10);
  });

  it.each(['array', 'generator'] as const)('with concurrency Infinity starts every item of an %s at once', async (kind) => {
    const tasks = controlled();
    const items = kind === 'array' ? Array.from({ length: 50 }, (_, i) => i) : new Source(50).sync();
    const result = mapBounded(items, tasks.fn, { concurrency: Number.POSITIVE_INFINITY });
    await flush();
    expect(tasks.started).toHaveLength(50);
    for (let i = 0; i < 50; i++) tasks.resolve(i, -i);
    await expect(result).resolves.toEqual(Array.from({ length: 50 }, (_, i) => -i));
  });

  it('refuses concurrency Infinity over an async iterable', async () => {
    await expect(mapBounded(new Source(1).async(), vi.fn(), { concurrency: Number.POSITIVE_INFINITY })).rejects.toThrow(
      new TypeError('Expected `concurrency` to be finite when `items` is an async iterable, got Infinity'),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses concurrency %s', async (concurrency) => {
    await expect(mapBounded([1], vi.fn(), { concurrency })).rejects.toThrow(
      new TypeError(`Expected \`concurrency\` to be a positive integer or Infinity, got ${concurrency}`),
    );
  });

  it('refuses a fn that is not a function', async () => {
    await expect(mapBounded([1], 'nope' as never)).rejects.toThrow(new TypeError('Expected `fn` to be a function, got "nope"'));
  });
});

describe('mapBoundedSettled', () => {
  it('reports every outcome in input order and never aborts on failure', async () => {
    const boom = new Error('boom');
    const signals: AbortSignal[] = [];
    const result = await mapBoundedSettled(
      [1, 2, 3],
      async (x, _i, signal) => {
        signals.push(signal);
        if (x === 2) throw boom;
        return x * 10;
      },
      { concurrency: 1 },
    );
    expect(result).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: boom },
      { status: 'fulfilled', value: 30 },
    ]);
    expect(signals.some((s) => s.aborted)).toBe(false);
  });

  it("rejects when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const tasks = controlled();
    const result = mapBoundedSettled([1, 2, 3], tasks.fn, { signal: controller.signal, concurrency: 1 });
    controller.abort(new Error('stop'));
    tasks.resolve(0, 0);
    await expect(result).rejects.toThrow('stop');
    expect(tasks.started).toEqual([0]);
  });
});

describe('allBounded', () => {
  it('runs thunks with a signal, at most `concurrency` at once, results in order', async () => {
    const gauge = new Gauge();
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    const signals: AbortSignal[] = [];
    const thunks = gates.map((gate) => async (signal: AbortSignal) => {
      signals.push(signal);
      gauge.enter();
      try {
        return await gate.promise;
      } finally {
        gauge.leave();
      }
    });
    const result = allBounded(thunks, { concurrency: 2 });
    await flush();
    expect(signals).toHaveLength(2);
    gates[2]!.resolve('c');
    gates[0]!.resolve('a');
    await flush();
    gates[1]!.resolve('b');
    await expect(result).resolves.toEqual(['a', 'b', 'c']);
    expect(gauge.max).toBe(2);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
  });

  it('rejects an item that is not a function, and stops the others', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const result = track(allBounded([(s) => ((signal = s), gate.promise), 42 as never], { concurrency: 2 }));
    await flush();
    expect(signal!.aborted).toBe(true);
    expect(result.current().state).toBe('pending');
    gate.resolve();
    await flush();
    expect(result.current()).toEqual({
      state: 'rejected',
      reason: new TypeError('Expected every item of `thunks` to be a function, got number at index 1'),
    });
  });
});

describe('forEachBounded', () => {
  it('visits every item and resolves with undefined', async () => {
    const seen: number[] = [];
    await expect(forEachBounded(new Source(5).sync(), (x) => void seen.push(x), { concurrency: 2 })).resolves.toBeUndefined();
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops at the first failure by default', async () => {
    const boom = new Error('boom');
    const fn = vi.fn(async (x: number) => {
      if (x === 1) throw boom;
    });
    await expect(forEachBounded([0, 1, 2, 3], fn, { concurrency: 1 })).rejects.toBe(boom);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('with stopOnError false runs all and aggregates the failures', async () => {
    const fn = vi.fn(async (x: number) => {
      if (x % 2 === 1) throw new Error(`odd ${x}`);
    });
    const error = await forEachBounded([0, 1, 2, 3], fn, { stopOnError: false }).catch((e: unknown) => e);
    expect(fn).toHaveBeenCalledTimes(4);
    expect((error as AggregateError).errors).toEqual([new Error('odd 1'), new Error('odd 3')]);
  });
});
