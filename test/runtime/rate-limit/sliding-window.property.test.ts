/**
 * The SlidingWindow's exactness, over random arrival schedules and costs under the fake clock:
 * no window [t, t + per) ever holds more than `limit`, admissions follow arrival order, and no
 * call waits longer than the window requires (each is admitted at the first instant a FIFO
 * exact window allows it, within the timer's 1 ms rounding: timers fire on whole milliseconds).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlidingWindow } from '../../../runtime/index.js';
import { fakeClock } from './fake-clock.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

interface Call {
  /** Milliseconds after the previous call. */
  gap: number;
  cost: number;
}

interface Admission {
  id: number;
  at: number;
  cost: number;
}

const scenario = fc
  .record({
    limit: fc.integer({ min: 1, max: 6 }),
    // Half-millisecond windows make the timer round up to the next whole millisecond.
    per: fc.integer({ min: 10, max: 120 }).map((halves) => halves / 2),
    calls: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 40 }), cost: fc.integer({ min: 1, max: 6 }) }), {
      minLength: 1,
      maxLength: 30,
    }),
  })
  .map(({ limit, per, calls }) => ({ limit, per, calls: calls.map((c) => ({ ...c, cost: Math.min(c.cost, limit) })) }));

/**
 * The first instant an exact FIFO window could admit each call, given when the calls before it
 * were actually admitted: no earlier than its arrival nor the previous admission, and the first
 * t at which the cost admitted in (t - per, t] leaves room for it.
 */
function earliestAllowed(limit: number, per: number, calls: readonly Call[], actual: readonly number[]): number[] {
  let arrival = 0;
  return calls.map(({ gap, cost }, k) => {
    arrival += gap;
    const before = actual.slice(0, k);
    const earliest = Math.max(arrival, k === 0 ? 0 : before[k - 1]!);
    const candidates = [earliest, ...before.map((t) => t + per).filter((t) => t > earliest)].sort((a, b) => a - b);
    const fits = (t: number): boolean => before.reduce((sum, at, j) => (at > t - per ? sum + calls[j]!.cost : sum), 0) + cost <= limit;
    return candidates.find(fits)!;
  });
}

/** Largest cost admitted in any window [t, t + per). */
function busiestWindow(admissions: readonly Admission[], per: number): number {
  let most = 0;
  for (const { at: start } of admissions) {
    const sum = admissions.filter(({ at }) => at >= start && at < start + per).reduce((s, a) => s + a.cost, 0);
    most = Math.max(most, sum);
  }
  return most;
}

/** Plays `calls` against a SlidingWindow under the fake clock; aborts the calls listed in `abortAfter`. */
async function play(
  limit: number,
  per: number,
  calls: readonly Call[],
  abortAfter: ReadonlyMap<number, number> = new Map(),
): Promise<{ admissions: Admission[]; window: SlidingWindow; aborted: number }> {
  const clock = fakeClock();
  const window = new SlidingWindow({ limit, per, now: clock.now });
  const admissions: Admission[] = [];
  let aborted = 0;
  for (const [id, { gap, cost }] of calls.entries()) {
    await clock.advance(gap);
    const delay = abortAfter.get(id);
    let signal: AbortSignal | undefined;
    if (delay !== undefined) {
      // A fake timer, so the abort lands at a fake time (AbortSignal.timeout runs on real time).
      const controller = new AbortController();
      setTimeout(() => controller.abort(), delay);
      signal = controller.signal;
    }
    window.acquire({ cost, signal }).then(
      () => admissions.push({ id, at: clock.time, cost }),
      () => aborted++,
    );
  }
  await clock.advance(Math.ceil(calls.length * (per + 1)) + 100);
  return { admissions, window, aborted };
}

describe('SlidingWindow exactness (property)', () => {
  it('never exceeds the limit in any window, keeps FIFO, and admits as early as the window allows', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ limit, per, calls }) => {
        const { admissions, window } = await play(limit, per, calls);
        expect(admissions.map((a) => a.id)).toEqual(calls.map((_, id) => id));
        expect(busiestWindow(admissions, per)).toBeLessThanOrEqual(limit);
        const ideal = earliestAllowed(
          limit,
          per,
          calls,
          admissions.map((a) => a.at),
        );
        admissions.forEach(({ at }, k) => {
          expect(at).toBeGreaterThanOrEqual(ideal[k]!);
          expect(at - ideal[k]!).toBeLessThan(1);
        });
        expect(window.stats()).toMatchObject({ admitted: calls.length, waiting: 0, rejected: 0 });
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('stays exact and FIFO when waiters give up: a waiter that aborts consumes nothing', async () => {
    const withAborts = scenario.chain((s) =>
      fc.record({
        s: fc.constant(s),
        aborts: fc.array(fc.tuple(fc.nat({ max: s.calls.length - 1 }), fc.integer({ min: 1, max: 100 })), {
          maxLength: s.calls.length,
        }),
      }),
    );
    let totalAborted = 0;
    await fc.assert(
      fc.asyncProperty(withAborts, async ({ s: { limit, per, calls }, aborts }) => {
        const abortAfter = new Map(aborts);
        const { admissions, window, aborted } = await play(limit, per, calls, abortAfter);
        totalAborted += aborted;
        const ids = admissions.map((a) => a.id);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(busiestWindow(admissions, per)).toBeLessThanOrEqual(limit);
        expect(admissions.length + aborted).toBe(calls.length);
        expect(window.stats()).toMatchObject({ admitted: admissions.length, rejected: aborted, waiting: 0 });
        // Every admitted cost is in the window's log, and nothing an aborted call asked for is:
        // after one more window everything has left, so the full limit is free again.
        expect(window.available).toBe(limit);
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 100 },
    );
    // The schedules did make waiters give up while queued.
    expect(totalAborted).toBeGreaterThan(0);
  });
});
