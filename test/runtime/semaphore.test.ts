import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Semaphore, type Permit, type SemaphoreRejection, type SemaphoreState } from '../../runtime/index.js';
import { attempt, deferred, flush, full, track } from './helpers.js';

// Permits, run, resize, counts and events. Waiting that ends badly (queue bound, abort,
// timeout, close) is in semaphore-queue.test.ts.

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('argument validation', () => {
  it.each([
    [0, '0'],
    [-1, '-1'],
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
    ['2', '"2"'],
    [undefined, 'undefined'],
  ])('refuses limit %s', (limit, shown) => {
    expect(() => new Semaphore(limit as number)).toThrow(
      new TypeError(`Expected \`limit\` to be a positive integer or Infinity, got ${shown}`),
    );
  });

  it('accepts Infinity and exposes limit, maxQueue and name', () => {
    const sem = new Semaphore(Number.POSITIVE_INFINITY, { maxQueue: 0, name: 'db' });
    expect(sem.limit).toBe(Number.POSITIVE_INFINITY);
    expect(sem.maxQueue).toBe(0);
    expect(sem.name).toBe('db');
    expect(new Semaphore(1).maxQueue).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([-1, 1.5, Number.NaN])('refuses maxQueue %s', (maxQueue) => {
    expect(() => new Semaphore(1, { maxQueue })).toThrow(
      new TypeError(`Expected \`maxQueue\` to be a non-negative integer or Infinity, got ${maxQueue}`),
    );
  });

  it('refuses a run without a function', () => {
    const sem = new Semaphore(1);
    return expect(attempt(() => sem.run(42 as never))).rejects.toThrow(new TypeError('Expected `fn` to be a function, got 42'));
  });

  // The options must be checked whether or not a permit is free, or a bad call only fails under load.
  describe.each([
    ['free', () => new Semaphore(1)],
    ['full', () => full(1)[0]],
  ])('acquire and run options, semaphore %s', (_state, make) => {
    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('refuses timeoutMs %s', async (timeoutMs) => {
      const sem = make();
      const message = `Expected \`timeoutMs\` to be a number of milliseconds in (0, 2147483647], got ${timeoutMs}`;
      await expect(attempt(() => sem.acquire({ timeoutMs }))).rejects.toThrow(new TypeError(message));
      const fn = vi.fn();
      await expect(attempt(() => sem.run(fn, { timeoutMs }))).rejects.toThrow(new TypeError(message));
      expect(fn).not.toHaveBeenCalled();
      expect(sem.waiting).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('refuses a signal that is not an AbortSignal', async () => {
      const sem = make();
      const inUse = sem.inUse;
      const signal = { aborted: false } as AbortSignal;
      await expect(attempt(() => sem.acquire({ signal }))).rejects.toThrow(
        new TypeError('Expected `signal` to be an AbortSignal, got an object'),
      );
      expect(sem.inUse).toBe(inUse);
      expect(sem.waiting).toBe(0);
    });
  });

  it('refuses an invalid resize and keeps the old limit', () => {
    const sem = new Semaphore(2);
    expect(() => sem.resize(0)).toThrow(new TypeError('Expected `limit` to be a positive integer or Infinity, got 0'));
    expect(sem.limit).toBe(2);
  });
});

describe('counts', () => {
  it('tracks limit, inUse, waiting, available and peakInUse', async () => {
    const sem = new Semaphore(2);
    expect([sem.inUse, sem.waiting, sem.available, sem.peakInUse]).toEqual([0, 0, 2, 0]);
    const a = await sem.acquire();
    expect([sem.inUse, sem.waiting, sem.available, sem.peakInUse]).toEqual([1, 0, 1, 1]);
    const b = await sem.acquire();
    const c = sem.acquire();
    expect([sem.inUse, sem.waiting, sem.available, sem.peakInUse]).toEqual([2, 1, 0, 2]);
    a.release();
    (await c).release();
    b.release();
    expect([sem.inUse, sem.waiting, sem.available, sem.peakInUse]).toEqual([0, 0, 2, 2]);
  });

  it('has read-only counts', () => {
    const sem = new Semaphore(3);
    for (const key of ['limit', 'inUse', 'waiting', 'available', 'peakInUse', 'maxQueue', 'closed']) {
      expect(Reflect.set(sem, key, 99), key).toBe(false);
    }
    expect(sem.limit).toBe(3);
    expect(sem.inUse).toBe(0);
  });
});

describe('permits', () => {
  it('releases exactly once: a second release neither frees a permit nor serves a waiter', async () => {
    const [sem, [permit]] = full(1);
    const first = track(sem.acquire());
    const second = track(sem.acquire());
    expect(permit!.released).toBe(false);
    permit!.release();
    permit!.release();
    expect(permit!.released).toBe(true);
    await flush();
    expect(first.current().state).toBe('fulfilled');
    expect(second.current().state).toBe('pending');
    expect([sem.inUse, sem.waiting]).toEqual([1, 1]);
  });

  it('releases at the end of a `using` block', async () => {
    const sem = new Semaphore(1);
    {
      using permit = await sem.acquire();
      expect(permit.released).toBe(false);
      expect(sem.inUse).toBe(1);
    }
    expect(sem.inUse).toBe(0);
  });

  it('treats Symbol.dispose after release() as a no-op', () => {
    const sem = new Semaphore(2);
    const a = sem.tryAcquire()!;
    sem.tryAcquire();
    a.release();
    a[Symbol.dispose]();
    expect(sem.inUse).toBe(1);
  });

  it('serves waiters in the order they called, for acquire and run alike', async () => {
    const [sem, [holder]] = full(1);
    const order: string[] = [];
    // Whoever holds the permit leaves `giveBack`, so a wrong order fails instead of hanging.
    let giveBack = (): void => holder!.release();
    const viaAcquire = (label: string) =>
      sem.acquire().then((permit) => {
        order.push(label);
        giveBack = () => permit.release();
      });
    const viaRun = (label: string) =>
      sem.run(() => {
        order.push(label);
        const gate = deferred();
        giveBack = () => gate.resolve();
        return gate.promise;
      });
    const calls = [viaAcquire('acquire 0'), viaRun('run 1'), viaAcquire('acquire 2'), viaRun('run 3')];
    for (let i = 0; i <= calls.length; i++) {
      giveBack();
      await flush();
    }
    await Promise.all(calls);
    expect(order).toEqual(['acquire 0', 'run 1', 'acquire 2', 'run 3']);
    expect(sem.inUse).toBe(0);
  });

  it('hands a released permit to the next waiter, so a newcomer cannot jump the queue', async () => {
    const [sem, [holder]] = full(1);
    const waiter = track(sem.acquire());
    holder!.release();
    expect(sem.tryAcquire()).toBeUndefined();
    const late = track(sem.acquire());
    await flush();
    expect(waiter.current().state).toBe('fulfilled');
    expect(late.current().state).toBe('pending');
    expect(sem.inUse).toBe(1);
  });
});

describe('tryAcquire', () => {
  it('gives a permit while one is free, then undefined', () => {
    const sem = new Semaphore(2);
    expect(sem.tryAcquire()).toBeDefined();
    expect(sem.tryAcquire()).toBeDefined();
    expect(sem.tryAcquire()).toBeUndefined();
    expect(sem.inUse).toBe(2);
  });

  it('gives undefined while anyone waits, even right after a release', () => {
    const [sem, [holder]] = full(1);
    void sem.acquire();
    void sem.acquire();
    holder!.release();
    expect(sem.waiting).toBe(1);
    expect(sem.tryAcquire()).toBeUndefined();
    expect(sem.inUse).toBe(1);
  });
});

describe('run', () => {
  // Each case runs once with a free permit (fn called at once) and once queued behind a holder.
  describe.each([
    ['with a free permit', false],
    ['after waiting', true],
  ])('%s', (_label, queued) => {
    const setup = (): [Semaphore, Permit | undefined] => {
      const sem = new Semaphore(1);
      return [sem, queued ? sem.tryAcquire() : undefined];
    };

    const boom = new Error('boom');
    it.each([
      ['resolves', () => Promise.resolve('value')],
      ['rejects', () => Promise.reject(boom)],
      [
        'throws synchronously',
        () => {
          throw boom;
        },
      ],
    ])('settles as fn %s and releases', async (how, fn) => {
      const [sem, holder] = setup();
      const result = sem.run(fn);
      holder?.release();
      if (how === 'resolves') await expect(result).resolves.toBe('value');
      else await expect(result).rejects.toBe(boom);
      expect([sem.inUse, sem.waiting]).toEqual([0, 0]);
    });

    it("passes the caller's signal to fn, or undefined", async () => {
      const [sem, holder] = setup();
      const { signal } = new AbortController();
      const seen: (AbortSignal | undefined)[] = [];
      const calls = [
        sem.run((s) => seen.push(s), { signal }),
        sem.run((s) => seen.push(s)),
        sem.run((s) => seen.push(s), { timeoutMs: 1_000 }),
      ];
      holder?.release();
      await Promise.all(calls);
      expect(seen).toEqual([signal, undefined, undefined]);
    });
  });

  it('runs at most `limit` tasks at once and starts the next as one finishes', async () => {
    const sem = new Semaphore(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) => sem.run(() => (started.push(i), gate.promise)));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await flush();
    expect(started).toEqual([0, 1, 2]);
    expect(sem.inUse).toBe(2);
    for (const gate of gates) gate.resolve();
    await Promise.all(runs);
    expect(sem.inUse).toBe(0);
  });

  it('passes the permit on when a queued task throws synchronously', async () => {
    const [sem, [holder]] = full(1);
    const boom = new Error('sync');
    const throwing = sem.run(() => {
      throw boom;
    });
    const next = track(sem.acquire());
    holder!.release();
    await expect(throwing).rejects.toBe(boom);
    expect(next.current().state).toBe('fulfilled');
    expect([sem.inUse, sem.waiting]).toEqual([1, 0]);
  });
});

describe('resize', () => {
  it('growing serves waiters at once, in FIFO order', async () => {
    const [sem] = full(1);
    const started: number[] = [];
    const gate = deferred();
    for (let i = 0; i < 4; i++) void sem.run(() => (started.push(i), gate.promise));
    sem.resize(3);
    expect(started).toEqual([0, 1]);
    expect([sem.limit, sem.inUse, sem.waiting, sem.peakInUse]).toEqual([3, 3, 2, 3]);
    sem.resize(Number.POSITIVE_INFINITY);
    expect(started).toEqual([0, 1, 2, 3]);
    expect([sem.inUse, sem.waiting]).toEqual([5, 0]);
  });

  it('shrinking keeps held permits and delays new ones until inUse < limit', async () => {
    const [sem, permits] = full(3);
    const waiter = track(sem.acquire());
    sem.resize(1);
    expect([sem.inUse, sem.available]).toEqual([3, 0]);
    expect(sem.tryAcquire()).toBeUndefined();
    expect(permits.every((p) => !p.released)).toBe(true);
    permits[0]!.release();
    permits[1]!.release();
    await flush();
    expect(waiter.current().state).toBe('pending');
    expect(sem.tryAcquire()).toBeUndefined();
    expect([sem.inUse, sem.waiting]).toEqual([1, 1]);
    permits[2]!.release();
    await flush();
    expect(waiter.current().state).toBe('fulfilled');
    expect([sem.inUse, sem.waiting, sem.peakInUse]).toEqual([1, 0, 3]);
  });
});

describe('events', () => {
  it('onSaturated fires each time the last free permit is taken', () => {
    const sem = new Semaphore(2, { name: 'db' });
    const events: SemaphoreState[] = [];
    sem.onSaturated((e) => events.push(e));
    const a = sem.tryAcquire()!;
    expect(events).toEqual([]);
    sem.tryAcquire();
    expect(events).toEqual([{ name: 'db', limit: 2, inUse: 2, waiting: 0 }]);
    void sem.acquire();
    a.release(); // handed straight to the waiter: still saturated, no new event
    expect(events).toHaveLength(1);
  });

  it('onIdle fires when the last permit comes back with nobody waiting', async () => {
    const [sem, [a, b]] = full(2);
    const idle = vi.fn();
    sem.onIdle(idle);
    const waiter = sem.acquire();
    a!.release();
    b!.release();
    expect(idle).not.toHaveBeenCalled();
    (await waiter).release();
    expect(idle).toHaveBeenCalledTimes(1);
    expect(idle).toHaveBeenCalledWith({ name: undefined, limit: 2, inUse: 0, waiting: 0 });
  });

  it('onRejected reports every refused caller with a reason', async () => {
    const [sem] = full(1, { maxQueue: 4 });
    const events: SemaphoreRejection[] = [];
    sem.onRejected((e) => events.push(e));
    const controller = new AbortController();
    const calls = [sem.acquire({ signal: controller.signal }), sem.acquire({ timeoutMs: 10 }), sem.acquire(), sem.acquire()].map(track);
    sem.acquire().catch(() => {}); // queue full
    controller.abort();
    vi.advanceTimersByTime(10);
    sem.close();
    await flush();
    expect(events.map((e) => e.reason)).toEqual(['queue-full', 'abort', 'timeout', 'closed', 'closed']);
    expect(events[0]).toMatchObject({ limit: 1, inUse: 1, waiting: 4 });
    expect(calls.every((c) => c.current().state === 'rejected')).toBe(true);
  });

  it('stops calling a listener once its subscription is disposed', () => {
    const sem = new Semaphore(1);
    const saturated = vi.fn();
    const idle = vi.fn();
    const subscription = sem.onSaturated(saturated);
    sem.onIdle(idle)[Symbol.dispose]();
    sem.tryAcquire()!.release();
    subscription.dispose();
    subscription.dispose();
    sem.tryAcquire()!.release();
    expect(saturated).toHaveBeenCalledTimes(1);
    expect(idle).not.toHaveBeenCalled();
  });

  it('refuses a listener that is not a function', () => {
    expect(() => new Semaphore(1).onIdle(null as never)).toThrow(TypeError);
  });

  it('survives a throwing listener, calls the others, and rethrows the error later', () => {
    const later: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      later.push(callback);
    });
    const sem = new Semaphore(1);
    const boom = new Error('listener');
    const other = vi.fn();
    sem.onSaturated(() => {
      throw boom;
    });
    sem.onSaturated(other);
    const permit = sem.tryAcquire();
    spy.mockRestore();
    expect(permit).toBeDefined();
    expect(other).toHaveBeenCalledTimes(1);
    expect([sem.inUse, sem.available]).toEqual([1, 0]);
    permit!.release();
    expect(sem.inUse).toBe(0);
    expect(later).toHaveLength(1);
    expect(later[0]!).toThrow(boom);
  });
});

describe('whenIdle', () => {
  it('resolves at once when idle', async () => {
    await expect(new Semaphore(1).whenIdle()).resolves.toBeUndefined();
  });

  it('waits for held permits and for waiters', async () => {
    const [sem, [holder]] = full(1);
    const waiter = sem.acquire();
    const idle = track(sem.whenIdle());
    holder!.release();
    await flush();
    expect(idle.current().state).toBe('pending');
    (await waiter).release();
    await flush();
    expect(idle.current().state).toBe('fulfilled');
  });
});
