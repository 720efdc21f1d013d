/**
 * Hostile probes of the runtime's timers (issue 21, item 13, runtime side): `setTimeout` holds
 * at most 2^31 - 1 ms and fires a longer timer after 1 ms, with a TimeoutOverflowWarning. A
 * limiter of `rate: 0.000001, per: 1h` waits 3.6e12 ms for its next token, and used to re-arm
 * its timer every millisecond (about 3,800 warnings in 4.5 s, 11–20 % of a core per waiter).
 * Waits that long are now chained: one timer of the longest length, then the next.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisStore } from '../../runtime/store/redis.js';
import { MAX_TIMER_MS } from '../../runtime/internal/validate.js';
import { SlidingWindow, TokenBucket, createHttpClient, throttleClient } from '../../runtime/index.js';

/** Collects every process warning emitted while a test runs. */
function warnings(): { readonly list: Error[]; stop(): void } {
  const list: Error[] = [];
  const onWarning = (warning: Error): void => {
    list.push(warning);
  };
  process.on('warning', onWarning);
  return { list, stop: () => process.off('warning', onWarning) };
}

describe('hostile: a limiter whose next admission is further away than a timer can hold', () => {
  let seen: ReturnType<typeof warnings>;

  beforeEach(() => {
    seen = warnings();
  });

  afterEach(() => {
    seen.stop();
    vi.restoreAllMocks();
  });

  it('rate 0.000001 per 1h: a waiter arms one timer, not one per millisecond, and no TimeoutOverflowWarning', async () => {
    const limiter = new TokenBucket({ rate: 0.000001, per: '1h', burst: 1 });
    expect(limiter.tryAcquire()).toBe(true);
    const armed: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const arm = realSetTimeout as (fn: () => void, ms?: number, ...args: unknown[]) => ReturnType<typeof setTimeout>;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation((fn: () => void, ms?: number, ...args: unknown[]) => {
      armed.push(ms ?? 0);
      return arm(fn, ms, ...args);
    });
    const controller = new AbortController();
    const waiting = limiter.acquire({ signal: controller.signal });
    await new Promise((resolve) => realSetTimeout(resolve, 150));
    const limiterTimers = armed.filter((ms) => ms >= 1_000_000);
    expect(limiterTimers).toEqual([MAX_TIMER_MS]);
    // The spin re-armed a 1 ms-late timer about every millisecond: dozens in 150 ms.
    expect(armed.length).toBeLessThan(5);
    controller.abort(new Error('done'));
    await expect(waiting).rejects.toThrow('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.list.filter((warning) => warning.name === 'TimeoutOverflowWarning')).toEqual([]);
    limiter.close();
  });

  it('SlidingWindow of 1 per 2^32 ms: the second caller waits chained timers too', async () => {
    const limiter = new SlidingWindow({ limit: 1, per: 2 ** 32 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new Error('done'));
    await expect(waiting).rejects.toThrow('done');
    expect(limiter.admitted).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.list.filter((warning) => warning.name === 'TimeoutOverflowWarning')).toEqual([]);
    limiter.close();
  });
});

describe('hostile: chained waits still end exactly when due (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('a wait of 3 × 2^31 ms is admitted at its time, not before, after a handful of timers', async () => {
    const wait = 3 * 2 ** 31;
    // 1 token per `wait` ms: the second call waits `wait` ms.
    const limiter = new TokenBucket({ rate: 1, per: wait, burst: 1, now: () => Date.now() });
    const start = Date.now();
    expect(limiter.tryAcquire()).toBe(true);
    let admittedAt: number | undefined;
    void limiter.acquire().then(() => {
      admittedAt = Date.now();
    });
    let fired = 0;
    for (let step = 0; step < 10 && admittedAt === undefined; step++) {
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersToNextTimerAsync();
      fired++;
    }
    // The bucket counts tokens with a 1e-9 tolerance, a few ms at this rate: at its time.
    expect(admittedAt).toBeGreaterThanOrEqual(start + wait - 10);
    expect(admittedAt).toBeLessThanOrEqual(start + wait);
    // At most ceil(wait / MAX_TIMER_MS) = 4 timers, one at a time: no spin.
    expect(fired).toBeGreaterThanOrEqual(3);
    expect(fired).toBeLessThanOrEqual(Math.ceil(wait / MAX_TIMER_MS));
    limiter.close();
  });

  it('a penalty as long as the longest maxPenaltyMs is chained and honoured to the millisecond', async () => {
    const limiter = new SlidingWindow({ limit: 1, per: '1s', maxPenaltyMs: MAX_TIMER_MS, now: () => Date.now() });
    const start = Date.now();
    limiter.penalize(MAX_TIMER_MS);
    let admittedAt: number | undefined;
    void limiter.acquire().then(() => {
      admittedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS - 1);
    expect(admittedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(admittedAt).toBe(start + MAX_TIMER_MS);
    limiter.close();
  });
});

describe('hostile: runtime options in milliseconds are checked where they arm a timer', () => {
  it('RedisStore refuses an operationTimeoutMs beyond the timer maximum (it fired after 1 ms)', () => {
    const client = { on() {}, options: {}, status: 'wait' } as unknown as ConstructorParameters<typeof RedisStore>[0]['client'];
    for (const bad of [2 ** 31, 1e300, Number.POSITIVE_INFINITY, 0, -1]) {
      expect(() => new RedisStore({ client, operationTimeoutMs: bad }), String(bad)).toThrow(TypeError);
      expect(() => new RedisStore({ client, operationTimeoutMs: bad })).toThrow(/operationTimeoutMs/);
    }
    expect(() => new RedisStore({ client, operationTimeoutMs: MAX_TIMER_MS })).not.toThrow();
  });

  it('the HTTP client, throttleClient and the limiters refuse timer lengths they cannot keep', () => {
    expect(() => createHttpClient({ timeoutMs: 2 ** 31 })).toThrow(/timeoutMs/);
    expect(() => createHttpClient({ maxRetryAfterMs: 2 ** 31 })).toThrow(/maxRetryAfterMs/);
    expect(() => createHttpClient({ retries: { maxDelayMs: 2 ** 31 } })).toThrow(/maxDelayMs/);
    expect(() => throttleClient({}, { timeoutMs: 2 ** 31 })).toThrow(/timeoutMs/);
    expect(() => throttleClient({}, { maxRetryAfterMs: 2 ** 31 })).toThrow(/maxRetryAfterMs/);
    expect(() => new TokenBucket({ rate: 1, maxPenaltyMs: 2 ** 31 })).toThrow(/maxPenaltyMs/);
    const limiter = new TokenBucket({ rate: 1 });
    expect(() => limiter.acquire({ timeoutMs: 2 ** 31 })).toThrow(/timeoutMs/);
    limiter.close();
  });
});
