/**
 * What both limiters share (the RateLimiter contract): abort, timeouts, maxQueue, penalties,
 * even spacing, close, schedule, counters, events, validation and timers. Each case runs
 * against a TokenBucket and a SlidingWindow with the same capacity: `units` per second, all
 * available at the start, one unit back every 1000 / units ms (bucket) or each unit back
 * 1000 ms after it was used (window).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ClosedError,
  QueueFullError,
  SlidingWindow,
  TimeoutError,
  TokenBucket,
  isClosedError,
  isLoadShedError,
  isQueueFullError,
  isTimeoutError,
  type RateLimiterEvent,
  type RateLimiterPenalty,
  type RateLimiterRejection,
  type Spacing,
} from '../../../runtime/index.js';
import { flush, reasonOf, track } from '../helpers.js';
import { AdmissionLog, fakeClock, type FakeClock } from './fake-clock.js';

let clock: FakeClock;

beforeEach(() => {
  vi.useFakeTimers();
  clock = fakeClock();
});

afterEach(() => {
  vi.useRealTimers();
});

interface Extra {
  name?: string;
  maxQueue?: number;
  spacing?: Spacing;
}

type Limiter = TokenBucket | SlidingWindow;

const kinds = [
  {
    kind: 'TokenBucket',
    make: (units: number, extra: Extra = {}): Limiter => new TokenBucket({ rate: units, per: '1s', now: clock.now, ...extra }),
    limit: (units: number) => `rate ${units} per 1000 ms, burst ${units}`,
  },
  {
    kind: 'SlidingWindow',
    make: (units: number, extra: Extra = {}): Limiter => new SlidingWindow({ limit: units, per: '1s', now: clock.now, ...extra }),
    limit: (units: number) => `limit ${units} per 1000 ms`,
  },
] as const;

/** Calls `call` and turns a synchronous throw into a rejection, so either way of failing passes. */
function attempt(call: () => unknown): Promise<unknown> {
  return new Promise((resolve) => resolve(call()));
}

describe.each(kinds)('$kind', ({ kind, make, limit }) => {
  /** A limiter of one unit per second whose unit was just used. */
  function spent(extra?: Extra): Limiter {
    const limiter = make(1, extra);
    expect(limiter.tryAcquire()).toBe(true);
    return limiter;
  }

  it('has its kind and name', () => {
    const limiter = make(1, { name: 'api' });
    expect([limiter.kind, limiter.name]).toEqual([kind, 'api']);
    expect(make(1).name).toBeUndefined();
  });

  describe('abort while queued', () => {
    it('rejects with signal.reason, stops counting at once, and leaves the capacity to the next waiter', async () => {
      const limiter = spent();
      const controller = new AbortController();
      const log = new AdmissionLog<string>(clock);
      log.admit('aborted', limiter.acquire({ signal: controller.signal }));
      log.admit('next', limiter.acquire());
      expect(limiter.waiting).toBe(2);
      const reason = new Error('user went away');
      await clock.advance(500);
      controller.abort(reason);
      expect(limiter.waiting).toBe(1);
      await flush();
      expect(log.rejected.get('aborted')).toBe(reason);
      await clock.advance(499);
      expect(log.admitted).toEqual([]);
      await clock.advance(1);
      expect(log.admitted).toEqual([['next', 1_000]]);
      expect(limiter.stats()).toEqual({ available: 0, waiting: 0, admitted: 2, throttled: 2, rejected: 1 });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('lets a cheaper waiter in at once when the costly head gives up', async () => {
      const limiter = make(4);
      expect(limiter.tryAcquire(2)).toBe(true);
      const controller = new AbortController();
      const log = new AdmissionLog<string>(clock);
      log.admit('costly', limiter.acquire({ cost: 4, signal: controller.signal }));
      log.admit('cheap', limiter.acquire({ cost: 2 }));
      await clock.advance(10);
      expect(log.admitted).toEqual([]);
      controller.abort();
      await flush();
      expect(log.admitted).toEqual([['cheap', 10]]);
      expect(log.rejected.get('costly')).toBeInstanceOf(DOMException);
      expect(limiter.tryAcquire()).toBe(false);
    });

    it('rejects at once with the reason of an already aborted signal, consuming nothing', async () => {
      const limiter = make(2);
      const reason = new Error('too late');
      const fn = vi.fn();
      await expect(limiter.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      await expect(limiter.schedule(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(fn).not.toHaveBeenCalled();
      expect([limiter.available, limiter.admitted, limiter.waiting]).toEqual([2, 0, 0]);
    });

    it('removes its abort listener once admitted', async () => {
      const limiter = spent();
      const controller = new AbortController();
      const waiter = track(limiter.acquire({ signal: controller.signal }));
      await clock.advance(1_000);
      expect(waiter.current().state).toBe('fulfilled');
      controller.abort();
      await flush();
      expect([limiter.rejected, limiter.admitted]).toEqual([0, 2]);
    });
  });

  describe('timeoutMs', () => {
    it('rejects a waiter past its deadline with a TimeoutError naming the limit, consuming nothing', async () => {
      const limiter = spent({ name: 'api' });
      const log = new AdmissionLog<string>(clock);
      // Admission is due at 1000 ms, within both deadlines; a penalty then pushes it past the first.
      log.admit('impatient', limiter.acquire({ timeoutMs: 1_000 }));
      log.admit('patient', limiter.acquire({ timeoutMs: 5_000 }));
      limiter.penalize(1_500);
      await clock.advance(999);
      expect(log.rejected.size).toBe(0);
      await clock.advance(1);
      const error = log.rejected.get('impatient');
      expect(error).toBeInstanceOf(TimeoutError);
      expect(isTimeoutError(error)).toBe(true);
      expect(error).toMatchObject({
        name: 'TimeoutError',
        message: `Waiting for admission by ${kind} "api" (${limit(1)}) timed out after 1 s (timeoutMs 1000)`,
        resource: 'api',
        timeoutMs: 1_000,
      });
      expect(limiter.waiting).toBe(1);
      await clock.advance(500);
      expect(log.admitted).toEqual([['patient', 1_500]]);
      expect([limiter.rejected, limiter.admitted]).toEqual([1, 2]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('sheds at once, consuming nothing, a waiter whose deadline is shorter than its expected wait', async () => {
      const limiter = spent({ name: 'api' });
      const log = new AdmissionLog<string>(clock);
      const rejected: RateLimiterRejection[] = [];
      limiter.onRejected((event) => rejected.push(event));
      log.admit('first', limiter.acquire());
      // One unit a second, one waiter ahead: admission expected in 2000 ms.
      log.admit('late', limiter.acquire({ deadlineMs: 1_999 }));
      log.admit('short', limiter.acquire({ timeoutMs: 1_999, deadlineMs: 60_000 }));
      log.admit('fits', limiter.acquire({ deadlineMs: 2_000 }));
      await clock.advance(0);
      const error = log.rejected.get('late');
      expect(isLoadShedError(error)).toBe(true);
      expect(isTimeoutError(error)).toBe(false);
      expect(error).toMatchObject({
        name: 'LoadShedError',
        kind,
        resource: 'api',
        limit: limit(1),
        expectedWaitMs: 2_000,
        remainingMs: 1_999,
        waiting: 1,
        message: `${kind} "api" shed the call: its expected wait of 2000 ms (1 waiting, ${limit(1)}) is longer than the 1999 ms left of its deadline`,
      });
      expect(isLoadShedError(log.rejected.get('short'))).toBe(true);
      expect(rejected.map((event) => event.reason)).toEqual(['shed', 'shed']);
      expect([limiter.waiting, limiter.rejected]).toEqual([2, 2]);
      await clock.advance(2_000);
      expect(log.admitted).toEqual([
        ['first', 1_000],
        ['fits', 2_000],
      ]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('sets no timer for a call admitted at once', async () => {
      const limiter = make(1);
      await limiter.acquire({ timeoutMs: 100 });
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('maxQueue', () => {
    it('refuses a caller beyond maxQueue with a QueueFullError', async () => {
      const limiter = spent({ name: 'api', maxQueue: 2 });
      const rejections: RateLimiterRejection[] = [];
      limiter.onRejected((event) => rejections.push(event));
      const waiters = [track(limiter.acquire()), track(limiter.acquire())];
      const refused = track(limiter.acquire());
      await flush();
      const error = reasonOf(refused);
      expect(error).toBeInstanceOf(QueueFullError);
      expect(isQueueFullError(error)).toBe(true);
      expect(error).toMatchObject({
        name: 'QueueFullError',
        message: `${kind} "api" queue is full: 2 waiting (maxQueue 2)`,
        kind,
        limit: 1,
        maxQueue: 2,
        waiting: 2,
      });
      expect(rejections).toEqual([{ name: 'api', kind, waiting: 2, available: 0, reason: 'queue-full' }]);
      expect(limiter.maxQueue).toBe(2);
      await clock.advance(2_000);
      expect(waiters.map((w) => w.current().state)).toEqual(['fulfilled', 'fulfilled']);
      expect(limiter.stats()).toMatchObject({ admitted: 3, throttled: 2, rejected: 1 });
    });

    it('with maxQueue 0, admits only what needs no wait', async () => {
      const limiter = make(1, { maxQueue: 0 });
      await limiter.acquire();
      await expect(limiter.acquire()).rejects.toBeInstanceOf(QueueFullError);
      await expect(limiter.schedule(() => 1)).rejects.toBeInstanceOf(QueueFullError);
      limiter.reconfigure({ maxQueue: 1 });
      const waiter = track(limiter.acquire());
      await clock.advance(1_000);
      expect(waiter.current().state).toBe('fulfilled');
    });
  });

  describe('penalize', () => {
    it('pauses admissions for ms, consuming nothing', async () => {
      const limiter = make(3);
      limiter.penalize(500);
      expect(limiter.pausedUntil).toBe(500);
      expect(limiter.tryAcquire()).toBe(false);
      expect(limiter.available).toBe(0);
      const log = new AdmissionLog(clock);
      for (let i = 0; i < 4; i++) log.admit(i, limiter.acquire());
      await clock.advance(499);
      expect(log.admitted).toEqual([]);
      await clock.advance(1);
      expect(log.times.slice(0, 3)).toEqual([500, 500, 500]);
      expect(limiter.pausedUntil).toBe(Number.NEGATIVE_INFINITY);
      await clock.advance(1_000);
      expect(log.admitted).toHaveLength(4);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('extends with an overlapping penalty and never shortens one in force', async () => {
      const limiter = make(1, { name: 'openai' });
      const penalties: RateLimiterPenalty[] = [];
      limiter.onPenalized((event) => penalties.push(event));
      const start = Date.now();
      limiter.penalize(500);
      await clock.advance(100);
      limiter.penalize(200);
      expect(limiter.pausedUntil).toBe(500);
      limiter.penalize(700);
      expect(limiter.pausedUntil).toBe(800);
      expect(penalties).toEqual([
        { name: 'openai', kind, waiting: 0, available: 0, until: start + 500 },
        { name: 'openai', kind, waiting: 0, available: 0, until: start + 800 },
      ]);
      const waiter = new AdmissionLog(clock);
      waiter.admit(0, limiter.acquire());
      await clock.advance(699);
      expect(waiter.admitted).toEqual([]);
      await clock.advance(1);
      expect(waiter.admitted).toEqual([[0, 800]]);
    });

    it('re-times the head waiter when a penalty lands while it waits', async () => {
      const limiter = spent();
      const log = new AdmissionLog(clock);
      log.admit(0, limiter.acquire());
      await clock.advance(900);
      limiter.penalize(300);
      await clock.advance(299);
      expect(log.admitted).toEqual([]);
      await clock.advance(1);
      expect(log.admitted).toEqual([[0, 1_200]]);
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '100'])('refuses ms %s', (ms) => {
      const limiter = make(1);
      expect(() => limiter.penalize(ms as number)).toThrow(
        new TypeError(`Expected \`ms\` to be a non-negative finite number, got ${typeof ms === 'string' ? `"${ms}"` : ms}`),
      );
      expect(limiter.pausedUntil).toBe(Number.NEGATIVE_INFINITY);
    });
  });

  describe("spacing: 'even'", () => {
    it('admits exactly per / rate apart, from the first call on', async () => {
      const limiter = make(10, { spacing: 'even' });
      expect(limiter.spacing).toBe('even');
      const log = new AdmissionLog(clock);
      for (let i = 0; i < 6; i++) log.admit(i, limiter.acquire());
      await clock.advance(1_000);
      expect(log.times).toEqual([0, 100, 200, 300, 400, 500]);
    });

    it('banks no idle time as a burst', async () => {
      const limiter = make(10, { spacing: 'even' });
      expect(limiter.tryAcquire()).toBe(true);
      await clock.advance(5_000);
      expect(limiter.tryAcquire()).toBe(true);
      expect(limiter.tryAcquire()).toBe(false);
      expect(limiter.available).toBe(0);
      await clock.advance(99);
      expect(limiter.tryAcquire()).toBe(false);
      await clock.advance(1);
      expect(limiter.tryAcquire()).toBe(true);
    });

    it('catches up after a late timer, keeping the schedule and so the rate', async () => {
      const limiter = make(10, { spacing: 'even' });
      const log = new AdmissionLog(clock);
      for (let i = 0; i < 8; i++) log.admit(i, limiter.acquire());
      await clock.advance(150);
      expect(log.times).toEqual([0, 100]);
      // The event loop is blocked for 250 ms: the timer due at 200 fires at 450 by the clock.
      clock.stall(250);
      await clock.advance(50);
      // 200, 300 and 400 were due: admitted at once; 500 onwards on the original schedule.
      expect(log.times).toEqual([0, 100, 450, 450, 450]);
      await clock.advance(350);
      expect(log.times).toEqual([0, 100, 450, 450, 450, 500, 600, 700]);
    });

    it('resumes evenly, with no catch-up burst, after a penalty', async () => {
      const limiter = make(10, { spacing: 'even' });
      const log = new AdmissionLog(clock);
      for (let i = 0; i < 4; i++) log.admit(i, limiter.acquire());
      await flush();
      limiter.penalize(1_000);
      await clock.advance(1_500);
      expect(log.times).toEqual([0, 1_000, 1_100, 1_200]);
    });

    it('spaces by cost: a call of cost 3 takes three intervals', async () => {
      const limiter = make(10, { spacing: 'even' });
      const log = new AdmissionLog(clock);
      log.admit(0, limiter.acquire({ cost: 3 }));
      log.admit(1, limiter.acquire());
      log.admit(2, limiter.acquire());
      await clock.advance(1_000);
      expect(log.times).toEqual([0, 300, 400]);
    });

    it('switches between burst and even live', async () => {
      const limiter = make(10);
      const log = new AdmissionLog(clock);
      for (let i = 0; i < 3; i++) log.admit(i, limiter.acquire());
      await flush();
      expect(log.times).toEqual([0, 0, 0]);
      limiter.reconfigure({ spacing: 'even' });
      for (let i = 3; i < 6; i++) log.admit(i, limiter.acquire());
      await clock.advance(500);
      expect(log.times).toEqual([0, 0, 0, 0, 100, 200]);
    });
  });

  describe('close', () => {
    it('rejects every waiter with ClosedError and refuses later calls', async () => {
      const limiter = spent({ name: 'api' });
      const rejections: string[] = [];
      limiter.onRejected((event) => rejections.push(event.reason));
      const controller = new AbortController();
      const waiters = [track(limiter.acquire()), track(limiter.acquire({ signal: controller.signal, timeoutMs: 5_000 }))];
      limiter.close();
      expect(limiter.closed).toBe(true);
      expect(limiter.waiting).toBe(0);
      await flush();
      for (const waiter of waiters) {
        const error = reasonOf(waiter);
        expect(error).toBeInstanceOf(ClosedError);
        expect(isClosedError(error)).toBe(true);
        expect(error).toMatchObject({ name: 'ClosedError', message: `${kind} "api" is closed`, kind });
      }
      expect(vi.getTimerCount()).toBe(0);
      controller.abort();
      await clock.advance(10_000);
      expect(limiter.tryAcquire()).toBe(false);
      await expect(limiter.acquire()).rejects.toBeInstanceOf(ClosedError);
      const fn = vi.fn();
      await expect(limiter.schedule(fn)).rejects.toBeInstanceOf(ClosedError);
      expect(fn).not.toHaveBeenCalled();
      expect(rejections).toEqual(['closed', 'closed', 'closed', 'closed']);
      expect(limiter.stats()).toMatchObject({ admitted: 1, rejected: 4, waiting: 0 });
      limiter.close();
      expect(limiter.rejected).toBe(4);
    });
  });

  describe('schedule', () => {
    it('runs fn once admitted and passes it the caller’s signal', async () => {
      const limiter = spent();
      const controller = new AbortController();
      const seen: [AbortSignal | undefined, number][] = [];
      const result = limiter.schedule(
        (signal) => {
          seen.push([signal, clock.time]);
          return 'done';
        },
        { signal: controller.signal },
      );
      await clock.advance(999);
      expect(seen).toEqual([]);
      await clock.advance(1);
      expect(seen).toEqual([[controller.signal, 1_000]]);
      await expect(result).resolves.toBe('done');
    });

    it('passes undefined as the signal when the caller gave none, and unwraps promises', async () => {
      const limiter = make(1);
      const fn = vi.fn((signal: AbortSignal | undefined) => Promise.resolve(signal === undefined));
      await expect(limiter.schedule(fn)).resolves.toBe(true);
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('rejects with what fn throws or rejects with, after admission', async () => {
      const limiter = make(2);
      const error = new Error('boom');
      await expect(
        limiter.schedule(() => {
          throw error;
        }),
      ).rejects.toBe(error);
      await expect(limiter.schedule(() => Promise.reject(error))).rejects.toBe(error);
      expect(limiter.admitted).toBe(2);
    });

    it('never calls fn for a waiter that gave up', async () => {
      const limiter = spent();
      const controller = new AbortController();
      const fn = vi.fn();
      const scheduled = track(limiter.schedule(fn, { signal: controller.signal }));
      controller.abort(new Error('stop'));
      await clock.advance(2_000);
      expect((reasonOf(scheduled) as Error).message).toBe('stop');
      expect(fn).not.toHaveBeenCalled();
    });

    it('refuses a missing fn', async () => {
      const limiter = make(1);
      await expect(attempt(() => limiter.schedule(undefined as never))).rejects.toThrow(
        new TypeError('Expected `fn` to be a function, got undefined'),
      );
      expect(limiter.admitted).toBe(0);
    });
  });

  describe('counters and events', () => {
    it('keeps available, waiting, admitted, throttled and rejected exact', async () => {
      const limiter = make(3, { maxQueue: 2 });
      expect(limiter.stats()).toEqual({ available: 3, waiting: 0, admitted: 0, throttled: 0, rejected: 0 });
      expect(limiter.tryAcquire()).toBe(true);
      await limiter.acquire();
      expect(limiter.stats()).toEqual({ available: 1, waiting: 0, admitted: 2, throttled: 0, rejected: 0 });
      await limiter.acquire({ cost: 1 });
      expect(limiter.tryAcquire()).toBe(false);
      const controller = new AbortController();
      const a = track(limiter.acquire({ signal: controller.signal }));
      const b = track(limiter.acquire({ cost: 2 }));
      const c = track(limiter.acquire());
      expect(limiter.stats()).toEqual({ available: 0, waiting: 2, admitted: 3, throttled: 2, rejected: 1 });
      controller.abort();
      expect(limiter.stats()).toEqual({ available: 0, waiting: 1, admitted: 3, throttled: 2, rejected: 2 });
      await clock.advance(2_000);
      expect([a, c].map((t) => t.current().state)).toEqual(['rejected', 'rejected']);
      expect(b.current().state).toBe('fulfilled');
      expect(limiter.stats()).toEqual({ available: 3, waiting: 0, admitted: 4, throttled: 2, rejected: 2 });
    });

    it('has read-only counts', () => {
      const limiter = make(3);
      for (const key of ['available', 'waiting', 'admitted', 'throttled', 'rejected', 'maxQueue', 'spacing', 'closed']) {
        expect(Reflect.set(limiter, key, 99), key).toBe(false);
      }
    });

    it('reports each throttled and rejected call to its listeners until they are disposed', async () => {
      const limiter = spent({ name: 'm', maxQueue: 2 });
      const throttled: RateLimiterEvent[] = [];
      const rejected: RateLimiterRejection[] = [];
      const onThrottled = limiter.onThrottled((event) => throttled.push(event));
      limiter.onRejected((event) => rejected.push(event));
      const controller = new AbortController();
      const first = track(limiter.acquire({ signal: controller.signal }));
      // Expected in 2000 ms: the rate can admit it within no deadline shorter than that.
      const shed = track(limiter.acquire({ timeoutMs: 1_999 }));
      const waiters = [first, track(limiter.acquire({ timeoutMs: 2_000 })), track(limiter.acquire())];
      expect(throttled).toEqual([
        { name: 'm', kind, waiting: 1, available: 0 },
        { name: 'm', kind, waiting: 2, available: 0 },
      ]);
      controller.abort();
      limiter.penalize(5_000);
      await clock.advance(2_000);
      expect(rejected.map((event) => [event.reason, event.waiting])).toEqual([
        ['shed', 1],
        ['queue-full', 2],
        ['abort', 1],
        ['timeout', 0],
      ]);
      onThrottled.dispose();
      onThrottled.dispose();
      const late = track(limiter.acquire());
      expect(throttled).toHaveLength(2);
      {
        using _scoped = limiter.onRejected((event) => rejected.push(event));
      }
      limiter.close();
      await flush();
      expect(rejected.map((event) => event.reason)).toEqual(['shed', 'queue-full', 'abort', 'timeout', 'closed']);
      expect([...waiters, shed, late].map((w) => w.current().state)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    });

    it('refuses a listener that is not a function', () => {
      const limiter = make(1);
      expect(() => limiter.onThrottled(undefined as never)).toThrow(new TypeError('Expected `listener` to be a function'));
    });
  });

  describe('argument validation', () => {
    // The options must be checked whether or not the call would wait, or a bad call only fails under load.
    describe.each([
      ['with capacity', () => make(2)],
      ['spent', () => spent()],
    ])('%s', (_state, setup) => {
      it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1'])('refuses cost %s', async (cost) => {
        const limiter = setup();
        const shown = typeof cost === 'string' ? `"${cost}"` : String(cost);
        const error = new TypeError(`Expected \`cost\` to be a positive number, got ${shown}`);
        const before = limiter.stats();
        await expect(attempt(() => limiter.acquire({ cost: cost as number }))).rejects.toThrow(error);
        expect(() => limiter.tryAcquire(cost as number)).toThrow(error);
        const fn = vi.fn();
        await expect(attempt(() => limiter.schedule(fn, { cost: cost as number }))).rejects.toThrow(error);
        expect(fn).not.toHaveBeenCalled();
        expect(limiter.stats()).toEqual(before);
      });

      it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('refuses timeoutMs %s', async (timeoutMs) => {
        const limiter = setup();
        await expect(attempt(() => limiter.acquire({ timeoutMs }))).rejects.toThrow(
          new TypeError(`Expected \`timeoutMs\` to be a number of milliseconds in (0, 2147483647], got ${timeoutMs}`),
        );
        expect(limiter.waiting).toBe(0);
        expect(vi.getTimerCount()).toBe(0);
      });

      it('refuses a signal that is not an AbortSignal', async () => {
        const limiter = setup();
        const before = limiter.stats();
        await expect(attempt(() => limiter.acquire({ signal: { aborted: false } as AbortSignal }))).rejects.toThrow(
          new TypeError('Expected `signal` to be an AbortSignal, got an object'),
        );
        expect(limiter.stats()).toEqual(before);
      });
    });
  });

  describe('timers', () => {
    it('uses one timer for the whole queue, never one per call, and none once the queue is empty', async () => {
      const limiter = make(5);
      const waiters = Array.from({ length: 200 }, () => track(limiter.acquire()));
      await flush();
      expect(limiter.waiting).toBe(195);
      expect(vi.getTimerCount()).toBe(1);
      await clock.advance(40_000);
      expect(waiters.every((w) => w.current().state === 'fulfilled')).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('leaves no timer when the last waiter gives up', async () => {
      const limiter = spent();
      const controller = new AbortController();
      const waiter = track(limiter.acquire({ signal: controller.signal }));
      expect(vi.getTimerCount()).toBe(1);
      controller.abort();
      await flush();
      expect(waiter.current().state).toBe('rejected');
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

describe('onAdmitted (wait times for monitoring)', () => {
  it('reports 0 for an at-once admission and the queued time for a waiter', async () => {
    vi.useFakeTimers();
    let now = 0;
    try {
      const limiter = new SlidingWindow({ limit: 1, per: 100, now: () => now });
      const waits: number[] = [];
      const subscription = limiter.onAdmitted((event) => waits.push(event.waitedMs));
      await limiter.acquire();
      const queued = limiter.acquire();
      now = 100;
      await vi.advanceTimersByTimeAsync(100);
      await queued;
      expect(waits).toEqual([0, 100]);
      subscription.dispose();
      now = 200;
      await limiter.acquire();
      expect(waits).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
