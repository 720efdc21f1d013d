import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ClosedError,
  QueueFullError,
  Semaphore,
  isClosedError,
  isLoadShedError,
  isQueueFullError,
  isTimeoutError,
  type Permit,
  type TimeoutError,
} from '../../runtime/index.js';
import { flush, full, reasonOf, track } from './helpers.js';

// Waiting that ends without a permit: a full queue, an abort, a timeout, close(); and the
// queue's compaction when thousands of waiters give up.

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('bounded queue', () => {
  it('refuses a caller past maxQueue at once, naming the limits', async () => {
    const [sem] = full(1, { maxQueue: 2, name: 'db' });
    const queued = [track(sem.acquire()), track(sem.acquire())];
    const refused = track(sem.acquire());
    await flush();
    const reason = reasonOf(refused) as QueueFullError;
    expect(reason).toBeInstanceOf(QueueFullError);
    expect(isQueueFullError(reason)).toBe(true);
    expect(reason.message).toBe('Semaphore "db" queue is full: 2 waiting (maxQueue 2), 1 of 1 in use');
    expect(reason).toMatchObject({ limit: 1, maxQueue: 2, waiting: 2, kind: 'Semaphore', resource: 'db' });
    expect(queued.map((q) => q.current().state)).toEqual(['pending', 'pending']);
    expect(sem.waiting).toBe(2);
  });

  it('refuses run too, without calling fn', async () => {
    const [sem] = full(1, { maxQueue: 0 });
    const fn = vi.fn();
    await expect(sem.run(fn)).rejects.toThrow(QueueFullError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('with maxQueue 0 never queues, but still grants free permits', async () => {
    const sem = new Semaphore(1, { maxQueue: 0 });
    const permit = await sem.acquire();
    await expect(sem.acquire()).rejects.toThrow('queue is full: 0 waiting (maxQueue 0), 1 of 1 in use');
    expect(sem.waiting).toBe(0);
    permit.release();
    await expect(sem.acquire()).resolves.toBeDefined();
  });

  it('makes room again when a waiter gives up', async () => {
    const [sem] = full(1, { maxQueue: 1 });
    const controller = new AbortController();
    sem.acquire({ signal: controller.signal }).catch(() => {});
    controller.abort();
    const next = track(sem.acquire());
    await flush();
    expect(next.current().state).toBe('pending');
    expect(sem.waiting).toBe(1);
  });
});

describe('load shedding', () => {
  it('refuses at once a caller whose deadline is shorter than the measured wait, naming the limit', async () => {
    const [sem, permits] = full(2, { name: 'db' });
    const rejected: string[] = [];
    sem.onRejected((event) => rejected.push(event.reason));
    // Measure: while callers wait, a permit comes back every 100 ms.
    const measured = [track(sem.acquire()), track(sem.acquire()), track(sem.acquire())];
    const held = [...permits];
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(100);
      held.shift()!.release();
      await flush();
      held.push(await measured[i]!.promise);
    }
    expect(sem.waiting).toBe(0);
    // Nobody waits, all held: the first newcomer is expected in one interval, the next in two.
    const first = track(sem.acquire({ timeoutMs: 100 }));
    const second = track(sem.acquire({ deadlineMs: 199 }));
    const third = track(sem.acquire({ deadlineMs: 200, timeoutMs: 5_000 }));
    await flush();
    expect(first.current().state).toBe('pending');
    expect(second.current().state).toBe('rejected');
    const error = reasonOf(second);
    expect(isLoadShedError(error)).toBe(true);
    expect(isTimeoutError(error)).toBe(false);
    expect(error).toMatchObject({
      name: 'LoadShedError',
      kind: 'Semaphore',
      resource: 'db',
      limit: 'limit 2',
      expectedWaitMs: 200,
      remainingMs: 199,
      waiting: 1,
      message:
        'Semaphore "db" shed the call: its expected wait of 200 ms (1 waiting, limit 2) is longer than the 199 ms left of its deadline',
    });
    expect(third.current().state).toBe('pending');
    expect([sem.waiting, sem.inUse]).toEqual([2, 2]);
    expect(rejected).toEqual(['shed']);
    // A caller with no deadline is never shed.
    const patient = track(sem.acquire());
    await flush();
    expect(patient.current().state).toBe('pending');
    sem.close();
    await flush();
  });

  it('sheds waiters of a stalled semaphore once it has served nobody for longer than their deadline', async () => {
    const [sem] = full(1, { name: 'upstream' });
    const queued = track(sem.acquire({ signal: new AbortController().signal }));
    vi.advanceTimersByTime(1_000);
    // No hand-off for 1000 ms and no measured interval: the next caller is expected in 1000 ms.
    const short = track(sem.acquire({ timeoutMs: 999 }));
    const long = track(sem.acquire({ timeoutMs: 1_001 }));
    await flush();
    expect(reasonOf(short)).toMatchObject({ name: 'LoadShedError', expectedWaitMs: 1_000, remainingMs: 999 });
    expect(long.current().state).toBe('pending');
    // Once the queue empties the stall is forgotten: a fresh queue starts a fresh clock.
    sem.close();
    await flush();
    expect([queued.current().state, long.current().state]).toEqual(['rejected', 'rejected']);
  });

  it('sheds nothing while a permit is free, whatever the deadline', async () => {
    const sem = new Semaphore(1);
    const permit = await sem.acquire({ timeoutMs: 1, deadlineMs: 0 });
    permit.release();
    expect(() => sem.acquire({ deadlineMs: Number.NaN })).toThrow(
      new TypeError('Expected `deadlineMs` to be a number of milliseconds, got NaN'),
    );
  });
});

describe('giving up', () => {
  it('an aborted waiter leaves at once, rejects with signal.reason and never takes a permit', async () => {
    const [sem, [holder]] = full(1);
    const controller = new AbortController();
    const fn = vi.fn();
    const aborted = track(sem.run(fn, { signal: controller.signal }));
    const next = track(sem.acquire());
    expect(sem.waiting).toBe(2);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(sem.waiting).toBe(1);
    holder!.release();
    await flush();
    expect(aborted.current()).toEqual({ state: 'rejected', reason });
    expect(fn).not.toHaveBeenCalled();
    expect(next.current().state).toBe('fulfilled');
    expect(sem.inUse).toBe(1);
  });

  it('rejects at once when the signal is already aborted, even with a free permit', async () => {
    const sem = new Semaphore(1);
    const reason = new Error('already');
    const fn = vi.fn();
    await expect(sem.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(sem.run(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect([sem.inUse, sem.waiting]).toEqual([0, 0]);
  });

  it('a waiter past timeoutMs leaves at once and rejects with TimeoutError', async () => {
    const [sem, [holder]] = full(1, { name: 'db' });
    const timedOut = track(sem.acquire({ timeoutMs: 50 }));
    vi.advanceTimersByTime(49);
    await flush();
    expect([timedOut.current().state, sem.waiting]).toEqual(['pending', 1]);
    vi.advanceTimersByTime(1);
    expect(sem.waiting).toBe(0);
    await flush();
    const reason = reasonOf(timedOut) as TimeoutError;
    expect(isTimeoutError(reason)).toBe(true);
    expect(reason.timeoutMs).toBe(50);
    expect(reason.message).toBe('Waiting for a permit of Semaphore "db" (limit 1, 1 in use) timed out after 50 ms (timeoutMs 50)');
    holder!.release();
    expect(sem.inUse).toBe(0);
  });

  it('leaves no timer and no abort listener behind once a waiter is served', async () => {
    const [sem, [holder]] = full(1);
    const rejected = vi.fn();
    sem.onRejected(rejected);
    const controller = new AbortController();
    const waiter = sem.acquire({ signal: controller.signal, timeoutMs: 100 });
    expect(vi.getTimerCount()).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    holder!.release();
    const permit = await waiter;
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    vi.advanceTimersByTime(1_000);
    expect(permit.released).toBe(false);
    expect([sem.inUse, sem.waiting]).toEqual([1, 0]);
    expect(rejected).not.toHaveBeenCalled();
  });

  it('clears the timer of an aborted waiter and the listener of a timed-out one', async () => {
    const [sem] = full(1);
    const aborted = new AbortController();
    const timed = new AbortController();
    const calls = [sem.acquire({ signal: aborted.signal, timeoutMs: 100 }), sem.acquire({ signal: timed.signal, timeoutMs: 10 })].map(
      track,
    );
    aborted.abort();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(10);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(timed.signal, 'abort')).toHaveLength(0);
    await flush();
    expect(calls.map((c) => c.current().state)).toEqual(['rejected', 'rejected']);
  });
});

describe('close', () => {
  it('rejects waiters with ClosedError and clears their timers', async () => {
    const [sem] = full(1, { name: 'db' });
    const waiters = [sem.acquire({ timeoutMs: 100 }), sem.run(vi.fn())].map(track);
    sem.close();
    expect(sem.closed).toBe(true);
    expect([sem.waiting, vi.getTimerCount()]).toEqual([0, 0]);
    await flush();
    for (const waiter of waiters) {
      const reason = reasonOf(waiter) as ClosedError;
      expect(isClosedError(reason)).toBe(true);
      expect(reason.message).toBe('Semaphore "db" is closed');
    }
  });

  it('refuses new callers, but held permits still release', async () => {
    const [sem, [a, b]] = full(2);
    const fn = vi.fn();
    sem.close();
    sem.close();
    await expect(sem.acquire()).rejects.toThrow(ClosedError);
    await expect(sem.run(fn)).rejects.toThrow(ClosedError);
    expect(fn).not.toHaveBeenCalled();
    expect(sem.inUse).toBe(2);
    const idle = track(sem.whenIdle());
    a!.release();
    a!.release();
    expect(sem.tryAcquire()).toBeUndefined();
    await flush();
    expect([sem.inUse, idle.current().state]).toEqual([1, 'pending']);
    b!.release();
    await flush();
    expect([sem.inUse, idle.current().state]).toEqual([0, 'fulfilled']);
  });
});

describe('many cancelled waiters', () => {
  it('keeps counts and FIFO order while thousands of waiters give up', async () => {
    const [sem, [holder]] = full(1);
    const served: number[] = [];
    const rejections: unknown[] = [];
    const controllers: AbortController[] = [];
    const live: Promise<Permit>[] = [];
    for (let i = 0; i < 5_000; i++) {
      if (i % 100 === 0) {
        live.push(sem.acquire().then((p) => (served.push(i), p)));
      } else {
        const controller = new AbortController();
        controllers.push(controller);
        sem.acquire({ signal: controller.signal }).catch((error: unknown) => rejections.push(error));
      }
    }
    for (const [n, controller] of controllers.entries()) {
      controller.abort(n);
      if (n % 1_000 === 0) expect(sem.waiting).toBe(5_000 - n - 1);
    }
    expect(sem.waiting).toBe(50);
    live.push(sem.acquire().then((p) => (served.push(5_000), p)));
    holder!.release();
    for (const waiter of live) (await waiter).release();
    expect(served).toEqual([...Array.from({ length: 50 }, (_, i) => i * 100), 5_000]);
    await flush();
    expect(rejections).toEqual(controllers.map((_, n) => n));
    expect([sem.inUse, sem.waiting]).toEqual([0, 0]);
  });
});
