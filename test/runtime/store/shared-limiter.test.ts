/**
 * Shared-mode rate limiters against the in-memory store, on a fake clock: several limiter
 * objects with one store and key behave as one limit, waiters sleep until the time the store
 * reports (no polling), and an unavailable store follows the failClosed / failOpen policy.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MemoryStore,
  SlidingWindow,
  StoreUnavailableError,
  TokenBucket,
  isStoreUnavailableError,
  isTimeoutError,
  type LimiterAlgorithm,
  type LimiterDecision,
  type StoreCallOptions,
  type StoreStatusEvent,
} from '../../../runtime/index.js';
import { fakeClock, type FakeClock } from '../rate-limit/fake-clock.js';
import { flush, track } from '../helpers.js';

let clock: FakeClock;
let store: CountingStore;

/** The memory store, counting the decisions it is asked for. */
class CountingStore extends MemoryStore {
  calls = 0;
  override tryAcquire(key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions): Promise<LimiterDecision> {
    this.calls++;
    return super.tryAcquire(key, algorithm, cost, options);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0);
  clock = fakeClock(1_000_000);
  store = new CountingStore({ now: clock.now });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** Starts `count` acquires on `limiter` and records the clock when each is admitted. */
function admitTimes(limiter: TokenBucket | SlidingWindow, count: number, into: number[]): void {
  for (let i = 0; i < count; i++) void limiter.acquire().then(() => into.push(clock.time - 1_000_000));
}

describe('shared TokenBucket', () => {
  it('two limiter objects with one store and key share one bucket', async () => {
    const a = new TokenBucket({ rate: 10, per: '1s', burst: 2, name: 'api', store });
    const b = new TokenBucket({ rate: 10, per: '1s', burst: 2, name: 'api', store });
    const times: number[] = [];
    admitTimes(a, 3, times);
    admitTimes(b, 3, times);
    await clock.advance(500);
    // 2 from the full bucket, then one every 100 ms, whichever object asks.
    expect(times).toEqual([0, 0, 100, 200, 300, 400]);
    expect(a.admitted + b.admitted).toBe(6);
    expect(a.throttled + b.throttled).toBe(4);
    a.close();
    b.close();
  });

  it('sleeps until the time the store reports instead of polling', async () => {
    const bucket = new TokenBucket({ rate: 1, per: '1s', burst: 1, name: 'slow', store });
    const times: number[] = [];
    admitTimes(bucket, 5, times);
    await clock.advance(4_000);
    expect(times).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    // One decision per admission plus one "not yet" per wait: no tight loop.
    expect(store.calls).toBeLessThanOrEqual(10);
    bucket.close();
  });

  it('a different key is a different limit', async () => {
    const a = new TokenBucket({ rate: 1, burst: 1, name: 'a', store });
    const b = new TokenBucket({ rate: 1, burst: 1, name: 'a', key: 'other', store });
    const times: number[] = [];
    admitTimes(a, 1, times);
    admitTimes(b, 1, times);
    await clock.advance(1);
    expect(times).toEqual([0, 0]);
  });

  it('penalize pauses every object sharing the limit', async () => {
    const a = new TokenBucket({ rate: 100, name: 'p', store });
    const b = new TokenBucket({ rate: 100, name: 'p', store });
    a.penalize(500);
    await flush();
    const times: number[] = [];
    admitTimes(b, 1, times);
    await clock.advance(600);
    expect(times).toEqual([500]);
  });

  it('reconfigure applies to the next decision', async () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1, name: 'r', store });
    const times: number[] = [];
    admitTimes(bucket, 2, times);
    await clock.advance(10);
    bucket.reconfigure({ rate: 10 });
    await clock.advance(200);
    expect(times).toEqual([0, 100]);
  });

  it('times out and aborts waiters like a local limiter', async () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1, name: 't', store });
    await bucket.acquire();
    const timedOut = track(bucket.acquire({ timeoutMs: 50 }));
    const controller = new AbortController();
    const aborted = track(bucket.acquire({ signal: controller.signal }));
    await clock.advance(50);
    expect(isTimeoutError((timedOut.current() as { reason?: unknown }).reason)).toBe(true);
    controller.abort(new Error('stop'));
    await flush();
    expect(aborted.current()).toEqual({ state: 'rejected', reason: new Error('stop') });
    expect(bucket.rejected).toBe(2);
    expect(bucket.waiting).toBe(0);
  });

  it('refuses past maxQueue with QueueFullError', async () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1, name: 'q', store, maxQueue: 1 });
    void bucket.acquire();
    void bucket.acquire().catch(() => undefined);
    await expect(bucket.acquire()).rejects.toMatchObject({ name: 'QueueFullError' });
    bucket.close();
  });

  it('tryAcquire never admits in shared mode; acquire does', async () => {
    const bucket = new TokenBucket({ rate: 5, name: 'try', store });
    expect(bucket.tryAcquire()).toBe(false);
    await expect(bucket.acquire()).resolves.toBeUndefined();
    expect(bucket.store).toBe(store);
  });

  it('validates the shared options up front', () => {
    expect(() => new TokenBucket({ rate: 1, store })).toThrow(/`key` or `name`/);
    expect(() => new TokenBucket({ rate: 1, name: 'x', store, spacing: 'even' })).toThrow(/cannot be shared/);
    expect(() => new TokenBucket({ rate: 1, name: 'x', store, onStoreError: 'maybe' as never })).toThrow(/onStoreError/);
    expect(() => new TokenBucket({ rate: 1, name: 'x', store: {} as never })).toThrow(/to be a store/);
    expect(() => new SlidingWindow({ limit: 1, name: 'x', store }).acquire({ cost: 2 })).toThrow(RangeError);
  });

  it('close rejects waiters with ClosedError', async () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1, name: 'c', store });
    await bucket.acquire();
    const waiting = bucket.acquire();
    bucket.close();
    await expect(waiting).rejects.toMatchObject({ name: 'ClosedError' });
    await expect(bucket.acquire()).rejects.toMatchObject({ name: 'ClosedError' });
  });

  it('a reset in the store wakes the waiter at once (wake channel)', async () => {
    const bucket = new TokenBucket({ rate: 1, per: '1m', burst: 1, name: 'w', store });
    await bucket.acquire();
    const times: number[] = [];
    admitTimes(bucket, 1, times);
    await clock.advance(100);
    await store.reset('w');
    await clock.advance(10);
    // Not the minute the bucket would have taken to refill: the notification (delivered on the
    // next timer tick, like a remote one) woke it.
    expect(times).toHaveLength(1);
    expect(times[0]).toBeLessThanOrEqual(101);
  });
});

describe('shared SlidingWindow', () => {
  it('never admits more than the limit in any window across objects', async () => {
    const a = new SlidingWindow({ limit: 3, per: '1s', name: 'sw', store });
    const b = new SlidingWindow({ limit: 3, per: '1s', name: 'sw', store });
    const times: number[] = [];
    admitTimes(a, 4, times);
    admitTimes(b, 4, times);
    await clock.advance(3_000);
    expect(times).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000, 2_000]);
  });

  it('costs count whole', async () => {
    const window = new SlidingWindow({ limit: 10, per: '1s', name: 'cost', store });
    const times: number[] = [];
    void window.acquire({ cost: 7 }).then(() => times.push(clock.time - 1_000_000));
    void window.acquire({ cost: 7 }).then(() => times.push(clock.time - 1_000_000));
    await clock.advance(1_500);
    expect(times).toEqual([0, 1_000]);
  });
});

describe('store unavailable', () => {
  it('failClosed rejects with StoreUnavailableError, alerts once, and recovers', async () => {
    const bucket = new TokenBucket({ rate: 100, name: 'fc', store, probeIntervalMs: 200 });
    const events: StoreStatusEvent[] = [];
    bucket.onStoreStatus((event) => events.push(event));
    await bucket.acquire();
    store.simulateOutage(new Error('connection refused'));
    const error = await bucket.acquire().catch((caught: unknown) => caught);
    expect(isStoreUnavailableError(error)).toBe(true);
    expect((error as StoreUnavailableError).resource).toBe('fc');
    expect((error as Error).message).toMatch(/Store memory unavailable for "fc": tryAcquire failed \(connection refused\)/);
    // While down, later calls fail at once, without waiting for the store.
    await expect(bucket.acquire()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(bucket.storeAvailable).toBe(false);
    expect(events.map((event) => event.state)).toEqual(['unavailable']);
    store.simulateOutage(undefined);
    await clock.advance(200);
    expect(bucket.storeAvailable).toBe(true);
    expect(events.map((event) => [event.state, event.policy])).toEqual([
      ['unavailable', 'failClosed'],
      ['recovered', 'failClosed'],
    ]);
    await expect(bucket.acquire()).resolves.toBeUndefined();
  });

  it('failClosed rejects callers already waiting', async () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1, name: 'fcw', store });
    await bucket.acquire();
    const waiting = track(bucket.acquire());
    await clock.advance(10);
    store.simulateOutage(new Error('down'));
    await clock.advance(1_000);
    expect(isStoreUnavailableError((waiting.current() as { reason?: unknown }).reason)).toBe(true);
  });

  it('failOpen falls back to the local limit, then returns to the shared one', async () => {
    const bucket = new TokenBucket({
      rate: 100,
      name: 'fo',
      store,
      onStoreError: 'failOpen',
      fallback: { rate: 2, burst: 2 },
      probeIntervalMs: 500,
    });
    const other = new TokenBucket({ rate: 100, name: 'fo', store });
    store.simulateOutage(new Error('down'));
    const times: number[] = [];
    admitTimes(bucket, 4, times);
    await clock.advance(400);
    // The fallback: 2 per second, burst 2.
    expect(times).toEqual([0, 0]);
    expect(bucket.storeAvailable).toBe(false);
    store.simulateOutage(undefined);
    await clock.advance(600);
    expect(bucket.storeAvailable).toBe(true);
    // Callers already in the fallback finish there; new ones use the shared limit again.
    expect(times).toEqual([0, 0, 500, 1_000]);
    await other.acquire();
    await bucket.acquire();
    expect(bucket.admitted).toBe(5);
  });
});
