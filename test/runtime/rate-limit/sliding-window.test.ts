import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlidingWindow } from '../../../runtime/index.js';
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

describe('SlidingWindow bursts and the window', () => {
  it('admits `limit` at once, then each next call as an earlier admission leaves the window', async () => {
    const window = new SlidingWindow({ limit: 3, per: '1s', now: clock.now });
    const log = new AdmissionLog(clock);
    log.admit(0, window.acquire());
    await clock.advance(300);
    log.admit(1, window.acquire());
    await clock.advance(300);
    log.admit(2, window.acquire());
    for (let i = 3; i < 7; i++) log.admit(i, window.acquire());
    await flush();
    expect([window.available, window.waiting]).toEqual([0, 4]);
    await clock.advance(2_000);
    // Admissions at 0, 300 and 600 leave at 1000, 1300 and 1600; the next round follows them.
    expect(log.admitted).toEqual([
      [0, 0],
      [1, 300],
      [2, 600],
      [3, 1_000],
      [4, 1_300],
      [5, 1_600],
      [6, 2_000],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts an admission at t in [t, t + per): present at t + per - 1, gone at t + per', async () => {
    const window = new SlidingWindow({ limit: 2, per: 1_000, now: clock.now });
    expect(window.tryAcquire()).toBe(true);
    await clock.advance(400);
    expect(window.tryAcquire()).toBe(true);
    expect(window.available).toBe(0);
    await clock.advance(599);
    expect(window.available).toBe(0);
    expect(window.tryAcquire()).toBe(false);
    await clock.advance(1);
    expect(window.available).toBe(1);
    await clock.advance(399);
    expect(window.available).toBe(1);
    await clock.advance(1);
    expect(window.available).toBe(2);
  });

  it('lets no second burst through at a fixed-window edge', async () => {
    // A fixed window counting per whole second would admit 5 at 0.9 s and 5 more at 1.0 s.
    const window = new SlidingWindow({ limit: 5, per: '1s', now: clock.now });
    await clock.advance(900);
    for (let i = 0; i < 5; i++) expect(window.tryAcquire()).toBe(true);
    await clock.advance(100);
    expect(window.tryAcquire()).toBe(false);
    const log = new AdmissionLog(clock);
    for (let i = 0; i < 5; i++) log.admit(i, window.acquire());
    await clock.advance(899);
    expect(log.admitted).toEqual([]);
    await clock.advance(1);
    expect(log.times).toEqual([1_900, 1_900, 1_900, 1_900, 1_900]);
  });

  it('accepts `per` as a duration string or milliseconds', () => {
    expect(new SlidingWindow({ limit: 60, per: '1m' }).perMs).toBe(60_000);
    expect(new SlidingWindow({ limit: 60, per: 1_500 }).perMs).toBe(1_500);
    expect(new SlidingWindow({ limit: 60 }).perMs).toBe(1_000);
    expect(new SlidingWindow({ limit: 7 }).limit).toBe(7);
  });

  it('keeps working through a long run: the log is trimmed as entries leave', async () => {
    const window = new SlidingWindow({ limit: 50, per: 100, now: clock.now });
    let admitted = 0;
    for (let ms = 0; ms < 5_000; ms++) {
      while (window.tryAcquire()) admitted++;
      await clock.advance(1);
    }
    // 50 every 100 ms: the first at 0, the last round at 4900.
    expect(admitted).toBe(50 * 50);
    expect(window.admitted).toBe(2_500);
  });
});

describe('SlidingWindow cost', () => {
  it('counts cost against the limit and waits until enough has left the window', async () => {
    const window = new SlidingWindow({ limit: 10, per: '1s', now: clock.now });
    const log = new AdmissionLog<string>(clock);
    log.admit('6@0', window.acquire({ cost: 6 }));
    await clock.advance(200);
    log.admit('3@200', window.acquire({ cost: 3 }));
    log.admit('4', window.acquire({ cost: 4 }));
    log.admit('1', window.acquire({ cost: 1 }));
    await clock.advance(2_000);
    // 6 + 3 = 9 in the window; 4 more needs the 6 gone (1000); then 3 + 4 + 1 = 8 fits at once.
    expect(log.admitted).toEqual([
      ['6@0', 0],
      ['3@200', 200],
      ['4', 1_000],
      ['1', 1_000],
    ]);
  });

  it('keeps FIFO: a cheap call never overtakes an earlier costly one, and tryAcquire waits its turn', async () => {
    const window = new SlidingWindow({ limit: 10, per: '1s', now: clock.now });
    expect(window.tryAcquire(3)).toBe(true);
    const log = new AdmissionLog<string>(clock);
    log.admit('costly', window.acquire({ cost: 8 }));
    log.admit('cheap', window.acquire({ cost: 1 }));
    await flush();
    expect(window.tryAcquire(1)).toBe(false);
    expect(window.available).toBe(0);
    await clock.advance(999);
    expect(log.admitted).toEqual([]);
    await clock.advance(1);
    expect(log.admitted).toEqual([
      ['costly', 1_000],
      ['cheap', 1_000],
    ]);
    expect(window.tryAcquire(1)).toBe(true);
    expect(window.tryAcquire(1)).toBe(false);
  });

  it('admits fractional costs exactly', () => {
    const window = new SlidingWindow({ limit: 1, now: clock.now });
    expect(window.tryAcquire(0.25)).toBe(true);
    expect(window.tryAcquire(0.5)).toBe(true);
    expect(window.tryAcquire(0.5)).toBe(false);
    expect(window.tryAcquire(0.25)).toBe(true);
    expect(window.tryAcquire(0.001)).toBe(false);
  });

  it('refuses a cost above the limit with a RangeError naming the capacity', () => {
    const window = new SlidingWindow({ limit: 10, name: 'openai' });
    expect(() => window.tryAcquire(11)).toThrow(new RangeError('SlidingWindow "openai" can never admit a cost of 11: its capacity is 10'));
    expect(() => window.acquire({ cost: 10.01 })).toThrow(RangeError);
    expect(window.tryAcquire(10)).toBe(true);
    expect([window.admitted, window.rejected, window.waiting]).toEqual([1, 0, 0]);
  });
});

describe('SlidingWindow reconfigure under load', () => {
  it('admits queued waiters at once when the limit rises, in FIFO order', async () => {
    const window = new SlidingWindow({ limit: 2, per: '1s', now: clock.now });
    const log = new AdmissionLog(clock);
    for (let i = 0; i < 6; i++) log.admit(i, window.acquire());
    await clock.advance(100);
    expect(log.order).toEqual([0, 1]);
    window.reconfigure({ limit: 5 });
    expect(window.limit).toBe(5);
    await flush();
    expect(log.admitted.slice(2)).toEqual([
      [2, 100],
      [3, 100],
      [4, 100],
    ]);
    await clock.advance(2_000);
    expect(log.admitted.slice(5)).toEqual([[5, 1_000]]);
  });

  it('holds queued waiters back when the limit falls: the past log counts against the new limit', async () => {
    const window = new SlidingWindow({ limit: 4, per: '1s', now: clock.now });
    const log = new AdmissionLog(clock);
    log.admit(0, window.acquire());
    await clock.advance(100);
    log.admit(1, window.acquire());
    await clock.advance(100);
    log.admit(2, window.acquire());
    log.admit(3, window.acquire());
    await clock.advance(100);
    for (let i = 4; i < 7; i++) log.admit(i, window.acquire());
    window.reconfigure({ limit: 2 });
    await clock.advance(3_000);
    // Four in the log (0, 100, 200, 200): room under the new limit only once all have left at
    // 1200, and then for two; the third waits for those two to leave.
    expect(log.admitted.slice(4)).toEqual([
      [4, 1_200],
      [5, 1_200],
      [6, 2_200],
    ]);
  });

  it('re-times waiters when the window shortens or lengthens', async () => {
    const window = new SlidingWindow({ limit: 1, per: '1s', now: clock.now });
    const log = new AdmissionLog(clock);
    for (let i = 0; i < 3; i++) log.admit(i, window.acquire());
    await clock.advance(100);
    window.reconfigure({ per: 200 });
    expect(window.perMs).toBe(200);
    await clock.advance(100);
    expect(log.admitted).toEqual([
      [0, 0],
      [1, 200],
    ]);
    window.reconfigure({ per: '1s' });
    await clock.advance(2_000);
    expect(log.admitted[2]).toEqual([2, 1_200]);
  });

  it('refuses a queued waiter whose cost a lowered limit can never cover, and serves the rest', async () => {
    const window = new SlidingWindow({ limit: 4, per: '1s', name: 'w', now: clock.now });
    expect(window.tryAcquire(4)).toBe(true);
    const log = new AdmissionLog<string>(clock);
    log.admit('1', window.acquire({ cost: 1 }));
    log.admit('3', window.acquire({ cost: 3 }));
    log.admit('2', window.acquire({ cost: 2 }));
    window.reconfigure({ limit: 2 });
    await clock.advance(3_000);
    expect(log.admitted).toEqual([
      ['1', 1_000],
      ['2', 2_000],
    ]);
    const reason = log.rejected.get('3');
    expect(reason).toBeInstanceOf(RangeError);
    expect((reason as Error).message).toBe('SlidingWindow "w" can never admit a cost of 3: its capacity is 2');
    expect([window.waiting, window.rejected]).toEqual([0, 1]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('validates before changing anything', () => {
    const window = new SlidingWindow({ limit: 3 });
    expect(() => window.reconfigure({ limit: 0 })).toThrow(new TypeError('Expected `limit` to be a positive number, got 0'));
    expect(() => window.reconfigure({ per: '0s' })).toThrow(new TypeError('Expected `per` to be a positive duration, got "0s"'));
    expect(() => window.reconfigure({ maxQueue: -1 })).toThrow(TypeError);
    expect([window.limit, window.perMs, window.maxQueue]).toEqual([3, 1_000, Number.POSITIVE_INFINITY]);
  });
});

describe('SlidingWindow argument validation', () => {
  it.each([
    [{ limit: 0 }, 'Expected `limit` to be a positive number, got 0'],
    [{ limit: -1 }, 'Expected `limit` to be a positive number, got -1'],
    [{ limit: Number.NaN }, 'Expected `limit` to be a positive number, got NaN'],
    [{ limit: '5' }, 'Expected `limit` to be a positive number, got "5"'],
    [{}, 'Expected `limit` to be a positive number, got undefined'],
    [{ limit: 5, per: 0 }, 'Expected `per` to be a positive duration, got 0'],
    [{ limit: 5, per: '1d' }, 'Expected `per` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got "1d"'],
    [{ limit: 5, spacing: 'fast' }, 'Expected `spacing` to be "burst" or "even", got "fast"'],
    [{ limit: 5, maxQueue: Number.NaN }, 'Expected `maxQueue` to be a non-negative integer or Infinity, got NaN'],
  ])('refuses %o', (options, message) => {
    expect(() => new SlidingWindow(options as never)).toThrow(new TypeError(message));
  });
});
