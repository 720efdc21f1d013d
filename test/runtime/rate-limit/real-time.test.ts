/**
 * REAL-TIME accuracy test: the one test here that runs on the real clock and real timers, to show
 * that the fake-clock guarantees survive real timer jitter. Its timing bounds are deliberately
 * generous; the exact behaviour is pinned down by the fake-clock tests.
 */
import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../../../runtime/index.js';

describe('REAL-TIME accuracy (real clock and timers, generous bounds)', () => {
  it('REAL-TIME: SlidingWindow 20 per 200 ms, 60 calls at t=0: at most 20 in any 200 ms window, done by 400-650 ms', async () => {
    const per = 200;
    const window = new SlidingWindow({ limit: 20, per });
    const start = performance.now();
    const admittedAt: number[] = [];
    // Each admission is stamped with the limiter's own time (`at`, the clock read it decided
    // on), as the stress harness counts them, never in the callback, which a promise job, a batch
    // of admissions or a GC pause can run late. An at-once admission reads the clock again just
    // after its decision, so its `at` can trail by microseconds; 0.5 ms covers that.
    window.onAdmitted((event) => void admittedAt.push(event.at - start));
    const slack = 0.5;
    await Promise.all(Array.from({ length: 60 }, () => window.schedule(() => undefined)));
    expect(admittedAt).toHaveLength(60);
    for (let i = 0; i + 20 < admittedAt.length; i++) {
      expect(admittedAt[i + 20]! - admittedAt[i]!).toBeGreaterThanOrEqual(per - slack);
    }
    const inWindow = (from: number) => admittedAt.filter((t) => t >= from && t < from + per - slack).length;
    expect(Math.max(...admittedAt.map(inWindow))).toBeLessThanOrEqual(20);
    expect(admittedAt.filter((t) => t < 100)).toHaveLength(20);
    const last = admittedAt.at(-1)!;
    expect(last).toBeGreaterThanOrEqual(400);
    expect(last).toBeLessThanOrEqual(400 + 250);
    expect(window.stats()).toMatchObject({ admitted: 60, waiting: 0 });
  });
});
