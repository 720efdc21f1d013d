/** 1,000 callers at once: every one admitted, in the order it called, with exact counts and one timer. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlidingWindow, TokenBucket } from '../../../runtime/index.js';
import { flush } from '../helpers.js';
import { AdmissionLog, fakeClock, type FakeClock } from './fake-clock.js';

let clock: FakeClock;

beforeEach(() => {
  vi.useFakeTimers();
  clock = fakeClock();
});

afterEach(() => {
  vi.useRealTimers();
});

const CALLERS = 1_000;

describe.each([
  {
    kind: 'TokenBucket',
    make: () => new TokenBucket({ rate: 100, per: '1s', now: clock.now }),
    // 100 from the full bucket, then one every 10 ms.
    expectedAt: (i: number) => Math.max(0, i - 99) * 10,
  },
  {
    kind: 'SlidingWindow',
    make: () => new SlidingWindow({ limit: 100, per: '1s', now: clock.now }),
    // 100 per window: the next hundred as the previous hundred leave.
    expectedAt: (i: number) => Math.floor(i / 100) * 1_000,
  },
])('$kind with 1,000 simultaneous acquirers', ({ make, expectedAt }) => {
  it('admits all of them in FIFO order, at the times the limit allows, with exact counts', async () => {
    const limiter = make();
    const log = new AdmissionLog(clock);
    const events = { throttled: 0 };
    limiter.onThrottled(() => events.throttled++);
    for (let i = 0; i < CALLERS; i++) log.admit(i, limiter.acquire());
    await flush();
    expect(log.admitted).toHaveLength(100);
    expect(limiter.stats()).toEqual({ available: 0, waiting: 900, admitted: 100, throttled: 900, rejected: 0 });
    expect(events.throttled).toBe(900);
    expect(vi.getTimerCount()).toBe(1);
    await clock.advance(9_000);
    expect(log.order).toEqual([...Array(CALLERS).keys()]);
    expect(log.times).toEqual(log.order.map(expectedAt));
    expect(limiter.stats()).toMatchObject({ waiting: 0, admitted: CALLERS, throttled: 900, rejected: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('serves the rest in order when every third caller gives up, without losing capacity', async () => {
    const limiter = make();
    const log = new AdmissionLog(clock);
    const controller = new AbortController();
    for (let i = 0; i < CALLERS; i++) {
      log.admit(i, i % 3 === 2 ? limiter.acquire({ signal: controller.signal }) : limiter.acquire());
    }
    await flush();
    controller.abort();
    const quitters = [...Array(CALLERS).keys()].filter((i) => i >= 100 && i % 3 === 2);
    expect(limiter.waiting).toBe(900 - quitters.length);
    await clock.advance(9_000);
    const stayed = [...Array(CALLERS).keys()].filter((i) => !quitters.includes(i));
    expect(log.order).toEqual(stayed);
    // The quitters consumed nothing: the stayers are admitted as if the quitters never came.
    expect(log.times).toEqual(stayed.map((_, k) => expectedAt(k)));
    expect(log.rejected.size).toBe(quitters.length);
    expect(limiter.stats()).toMatchObject({ waiting: 0, admitted: stayed.length, rejected: quitters.length });
    expect(vi.getTimerCount()).toBe(0);
  });
});
