import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../../runtime/index.js';
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

/** `count` calls of `acquire(options)` made at once, logged under labels 0..count-1. */
function queue(bucket: TokenBucket, count: number, log: AdmissionLog, from = 0): void {
  for (let i = from; i < from + count; i++) log.admit(i, bucket.acquire());
}

describe('TokenBucket bursts and refill', () => {
  it('admits `burst` at once from a full bucket, then one every per/rate', async () => {
    const bucket = new TokenBucket({ rate: 10, per: '1s', burst: 4, now: clock.now });
    const log = new AdmissionLog(clock);
    queue(bucket, 8, log);
    await flush();
    expect(log.admitted).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect([bucket.available, bucket.waiting]).toEqual([0, 4]);
    await clock.advance(1_000);
    expect(log.admitted.slice(4)).toEqual([
      [4, 100],
      [5, 200],
      [6, 300],
      [7, 400],
    ]);
    expect(bucket.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refills continuously up to burst and no further', async () => {
    const bucket = new TokenBucket({ rate: 5, per: 1_000, now: clock.now });
    expect(bucket.burst).toBe(5);
    for (let i = 0; i < 5; i++) expect(bucket.tryAcquire()).toBe(true);
    expect(bucket.tryAcquire()).toBe(false);
    await clock.advance(199);
    expect(bucket.available).toBe(0);
    await clock.advance(1);
    expect(bucket.available).toBe(1);
    await clock.advance(600);
    expect(bucket.available).toBe(4);
    await clock.advance(10_000);
    expect(bucket.available).toBe(5);
    for (let i = 0; i < 5; i++) expect(bucket.tryAcquire()).toBe(true);
    expect(bucket.tryAcquire()).toBe(false);
  });

  it('starts with `initial` tokens', async () => {
    const empty = new TokenBucket({ rate: 10, burst: 10, initial: 0, now: clock.now });
    const three = new TokenBucket({ rate: 10, burst: 10, initial: 3, now: clock.now });
    expect([empty.available, three.available]).toEqual([0, 3]);
    const log = new AdmissionLog<string>(clock);
    log.admit('empty', empty.acquire());
    for (let i = 0; i < 4; i++) log.admit(`three ${i}`, three.acquire());
    await clock.advance(200);
    expect(log.admitted).toEqual([
      ['three 0', 0],
      ['three 1', 0],
      ['three 2', 0],
      ['empty', 100],
      ['three 3', 100],
    ]);
  });

  it('admits on fractional intervals without drifting: timers round up, the schedule does not', async () => {
    const bucket = new TokenBucket({ rate: 3, per: '1s', burst: 3, initial: 0, now: clock.now });
    const log = new AdmissionLog(clock);
    queue(bucket, 3, log);
    await clock.advance(1_100);
    // Tokens arrive at 333.3, 666.7 and 1000 ms. Each admission lands within the timer's 1 ms
    // rounding of its ideal time, and the fraction a timer overshot is not lost: no drift.
    const ideal = [1_000 / 3, 2_000 / 3, 1_000];
    expect(log.times).toHaveLength(3);
    log.times.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(ideal[i]!);
      expect(t).toBeLessThanOrEqual(ideal[i]! + 1);
    });
  });

  it('never admits more than burst at one instant, however long it sat idle', async () => {
    // A full bucket must not earn tokens while full: calls taken from it without a clock read
    // must not be credited back for the idle time that preceded them.
    const bucket = new TokenBucket({ rate: 5, per: '1s', now: clock.now });
    await clock.advance(10_000);
    let admitted = 0;
    while (bucket.tryAcquire()) admitted++;
    expect(admitted).toBe(5);
    const log = new AdmissionLog(clock);
    queue(bucket, 1, log);
    await clock.advance(199);
    expect(log.admitted).toEqual([]);
    await clock.advance(1);
    expect(log.admitted).toEqual([[0, 10_200]]);
  });

  it('accepts `per` as a duration string or milliseconds', () => {
    expect(new TokenBucket({ rate: 60, per: '1m' }).perMs).toBe(60_000);
    expect(new TokenBucket({ rate: 60, per: 250 }).perMs).toBe(250);
    expect(new TokenBucket({ rate: 60 }).perMs).toBe(1_000);
  });
});

describe('TokenBucket cost', () => {
  it('takes `cost` tokens per call and waits until that many have accrued', async () => {
    const bucket = new TokenBucket({ rate: 10, burst: 10, now: clock.now });
    const log = new AdmissionLog<string>(clock);
    log.admit('7', bucket.acquire({ cost: 7 }));
    log.admit('5', bucket.acquire({ cost: 5 }));
    log.admit('2.5', bucket.acquire({ cost: 2.5 }));
    await clock.advance(1_000);
    // 3 tokens remain after the first; 5 need 200 ms more; then 2.5 need 250 ms.
    expect(log.admitted).toEqual([
      ['7', 0],
      ['5', 200],
      ['2.5', 450],
    ]);
    expect(bucket.admitted).toBe(3);
  });

  it('keeps FIFO: a cheap call never overtakes an earlier costly one, and tryAcquire waits its turn', async () => {
    const bucket = new TokenBucket({ rate: 10, burst: 10, initial: 4, now: clock.now });
    const log = new AdmissionLog<string>(clock);
    log.admit('costly', bucket.acquire({ cost: 8 }));
    log.admit('cheap', bucket.acquire({ cost: 1 }));
    await flush();
    // Four tokens are there, but the costly call is first in line.
    expect(log.admitted).toEqual([]);
    expect(bucket.tryAcquire()).toBe(false);
    expect(bucket.available).toBe(0);
    await clock.advance(400);
    expect(log.admitted).toEqual([['costly', 400]]);
    await clock.advance(100);
    expect(log.admitted).toEqual([
      ['costly', 400],
      ['cheap', 500],
    ]);
    expect(bucket.tryAcquire()).toBe(false);
    await clock.advance(100);
    expect(bucket.tryAcquire()).toBe(true);
  });

  it('refuses a cost above the bucket size with a RangeError naming the capacity', () => {
    const bucket = new TokenBucket({ rate: 100, burst: 10, name: 'tpm' });
    expect(() => bucket.tryAcquire(11)).toThrow(new RangeError('TokenBucket "tpm" can never admit a cost of 11: its capacity is 10'));
    expect(() => bucket.acquire({ cost: 10.5 })).toThrow(RangeError);
    expect(bucket.tryAcquire(10)).toBe(true);
    expect([bucket.admitted, bucket.rejected, bucket.waiting]).toEqual([1, 0, 0]);
  });
});

describe('TokenBucket reconfigure under load', () => {
  it('re-times queued waiters when the rate rises, keeping FIFO', async () => {
    const bucket = new TokenBucket({ rate: 1, per: '1s', burst: 1, now: clock.now });
    const log = new AdmissionLog(clock);
    queue(bucket, 5, log);
    await clock.advance(500);
    expect(log.order).toEqual([0]);
    // Half a token was earned at the old rate; at 10/s the other half takes 50 ms.
    bucket.reconfigure({ rate: 10 });
    expect([bucket.rate, bucket.burst]).toEqual([10, 1]);
    await clock.advance(500);
    expect(log.admitted).toEqual([
      [0, 0],
      [1, 550],
      [2, 650],
      [3, 750],
      [4, 850],
    ]);
  });

  it('re-times queued waiters when the rate falls', async () => {
    const bucket = new TokenBucket({ rate: 10, per: '1s', burst: 1, now: clock.now });
    const log = new AdmissionLog(clock);
    queue(bucket, 4, log);
    await clock.advance(150);
    expect(log.admitted).toEqual([
      [0, 0],
      [1, 100],
    ]);
    // 0.5 token earned by 150 ms; at 1/s the other half takes 500 ms.
    bucket.reconfigure({ rate: 1, burst: 1 });
    await clock.advance(2_000);
    expect(log.admitted.slice(2)).toEqual([
      [2, 650],
      [3, 1_650],
    ]);
  });

  it('fills up to a raised burst, and caps the tokens at a lowered one', async () => {
    const bucket = new TokenBucket({ rate: 10, per: '1s', burst: 2, now: clock.now });
    await clock.advance(1_000);
    expect(bucket.available).toBe(2);
    bucket.reconfigure({ burst: 4 });
    expect(bucket.available).toBe(2);
    await clock.advance(200);
    expect(bucket.available).toBe(4);
    expect(bucket.tryAcquire(4)).toBe(true);
    await clock.advance(1_000);
    bucket.reconfigure({ burst: 1 });
    expect(bucket.available).toBe(1);
    expect(() => bucket.tryAcquire(2)).toThrow(RangeError);
  });

  it('refuses a queued waiter whose cost a lowered burst can never cover, and serves the rest', async () => {
    const bucket = new TokenBucket({ rate: 10, per: '1s', burst: 4, initial: 0, now: clock.now });
    const log = new AdmissionLog<string>(clock);
    log.admit('1', bucket.acquire({ cost: 1 }));
    log.admit('4', bucket.acquire({ cost: 4 }));
    log.admit('2', bucket.acquire({ cost: 2 }));
    bucket.reconfigure({ burst: 2 });
    await clock.advance(1_000);
    expect(log.admitted).toEqual([
      ['1', 100],
      ['2', 300],
    ]);
    const reason = log.rejected.get('4');
    expect(reason).toBeInstanceOf(RangeError);
    expect((reason as Error).message).toBe('TokenBucket can never admit a cost of 4: its capacity is 2');
    expect([bucket.waiting, bucket.admitted, bucket.rejected]).toEqual([0, 2, 1]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets burst follow rate when burst was never given, and keeps a burst that was', () => {
    const follows = new TokenBucket({ rate: 5, now: clock.now });
    follows.reconfigure({ rate: 20 });
    expect(follows.burst).toBe(20);
    const fixed = new TokenBucket({ rate: 5, burst: 2, now: clock.now });
    fixed.reconfigure({ rate: 20 });
    expect(fixed.burst).toBe(2);
    const later = new TokenBucket({ rate: 5, now: clock.now });
    later.reconfigure({ burst: 3 });
    later.reconfigure({ rate: 30 });
    expect(later.burst).toBe(3);
  });

  it('changes per live', async () => {
    const bucket = new TokenBucket({ rate: 1, per: '1s', burst: 1, now: clock.now });
    const log = new AdmissionLog(clock);
    queue(bucket, 3, log);
    bucket.reconfigure({ per: 100 });
    expect(bucket.perMs).toBe(100);
    await clock.advance(300);
    expect(log.times).toEqual([0, 100, 200]);
  });

  it('validates every number before changing any', () => {
    const bucket = new TokenBucket({ rate: 5, burst: 5 });
    expect(() => bucket.reconfigure({ rate: 0 })).toThrow(new TypeError('Expected `rate` to be a positive number, got 0'));
    expect(() => bucket.reconfigure({ burst: -1 })).toThrow(new TypeError('Expected `burst` to be a positive number, got -1'));
    expect(() => bucket.reconfigure({ per: 'soon' })).toThrow(TypeError);
    expect(() => bucket.reconfigure({ spacing: 'smooth' as never })).toThrow(
      new TypeError('Expected `spacing` to be "burst" or "even", got "smooth"'),
    );
    expect([bucket.rate, bucket.burst, bucket.perMs, bucket.spacing]).toEqual([5, 5, 1_000, 'burst']);
  });
});

describe('TokenBucket argument validation', () => {
  it.each([
    [{ rate: 0 }, 'Expected `rate` to be a positive number, got 0'],
    [{ rate: -2 }, 'Expected `rate` to be a positive number, got -2'],
    [{ rate: Number.NaN }, 'Expected `rate` to be a positive number, got NaN'],
    [{ rate: Number.POSITIVE_INFINITY }, 'Expected `rate` to be a positive number, got Infinity'],
    [{ rate: '5' }, 'Expected `rate` to be a positive number, got "5"'],
    [{ rate: 5, burst: 0 }, 'Expected `burst` to be a positive number, got 0'],
    [{ rate: 5, per: 0 }, 'Expected `per` to be a positive duration, got 0'],
    [{ rate: 5, per: -5 }, 'Expected `per` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got -5'],
    [{ rate: 5, per: '1 week' }, 'Expected `per` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got "1 week"'],
    [{ rate: 5, initial: 6 }, 'Expected `initial` to be a number from 0 to burst (5), got 6'],
    [{ rate: 5, initial: -1 }, 'Expected `initial` to be a number from 0 to burst (5), got -1'],
    [{ rate: 5, spacing: 'smooth' }, 'Expected `spacing` to be "burst" or "even", got "smooth"'],
    [{ rate: 5, maxQueue: -1 }, 'Expected `maxQueue` to be a non-negative integer or Infinity, got -1'],
    [{ rate: 5, maxQueue: 1.5 }, 'Expected `maxQueue` to be a non-negative integer or Infinity, got 1.5'],
  ])('refuses %o', (options, message) => {
    expect(() => new TokenBucket(options as never)).toThrow(new TypeError(message));
  });
});

describe('TokenBucket conformance (property)', () => {
  // Whatever the arrivals and costs, the admissions of a bucket that starts full conform to its
  // arrival curve: at most burst + rate * T / per units in any window of length T.
  it('never admits more than burst + rate * T / per in any window of length T', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rate: fc.integer({ min: 1, max: 8 }),
          per: fc.integer({ min: 20, max: 200 }),
          burst: fc.integer({ min: 1, max: 8 }),
          calls: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), cost: fc.integer({ min: 1, max: 8 }), probe: fc.boolean() }), {
            minLength: 1,
            maxLength: 25,
          }),
        }),
        async ({ rate, per, burst, calls }) => {
          const local = fakeClock();
          const bucket = new TokenBucket({ rate, per, burst, now: local.now });
          const admitted: { at: number; cost: number; id: number }[] = [];
          let id = 0;
          for (const { gap, cost: raw, probe } of calls) {
            await local.advance(gap);
            const cost = Math.min(raw, burst);
            const me = id++;
            // Reading `available` makes the bucket read the clock; leaving it out lets the
            // no-clock path run. Both must keep the bound.
            if (probe) void bucket.available;
            void bucket.acquire({ cost }).then(() => admitted.push({ at: local.time, cost, id: me }));
          }
          await local.advance(calls.length * 8 * per);
          expect(admitted.map((a) => a.id)).toEqual([...Array(calls.length).keys()]);
          for (const a of admitted) {
            for (const b of admitted) {
              if (b.at < a.at) continue;
              const T = b.at - a.at;
              const sum = admitted.filter((c) => c.at >= a.at && c.at <= b.at).reduce((s, c) => s + c.cost, 0);
              expect(sum).toBeLessThanOrEqual(burst + (rate * T) / per + 1e-9);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
