import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ClosedError,
  QueueFullError,
  Semaphore,
  isClosedError,
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
    expect(reason.message).toBe(
      'Waiting for a permit of Semaphore "db" (limit 1, 1 in use) timed out after 50 ms (timeoutMs 50)',
    );
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
    const calls = [
      sem.acquire({ signal: aborted.signal, timeoutMs: 100 }),
      sem.acquire({ signal: timed.signal, timeoutMs: 10 }),
    ].map(track);
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
