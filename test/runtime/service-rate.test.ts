/**
 * The measured wait behind load shedding (internal/service-rate.ts), on explicit times.
 */
import { describe, expect, it } from 'vitest';
import { ServiceRate } from '../../runtime/internal/service-rate.js';

describe('ServiceRate', () => {
  it('expects nothing before anyone waited, then the stall alone until a first hand-off', () => {
    const rate = new ServiceRate();
    expect(rate.expectedWait(5, 1_000)).toBe(0);
    rate.queued(1_000);
    expect(rate.expectedWait(0, 1_250)).toBe(250);
    // The stall counts once; with no interval measured, waiters ahead add nothing yet.
    expect(rate.expectedWait(3, 1_250)).toBe(250);
  });

  it('expects max(interval, stalled) + ahead × interval once hand-offs are measured', () => {
    const rate = new ServiceRate();
    rate.queued(0);
    for (let t = 10; t <= 100; t += 10) rate.handedOff(t, 5);
    expect(rate.intervalMs).toBe(10);
    expect(rate.expectedWait(4, 100)).toBe(50);
    // Served nobody for 30 ms: the next waiter is expected no sooner than that.
    expect(rate.expectedWait(4, 130)).toBe(30 + 40);
  });

  it('keeps a stall in the mean through a burst of hand-offs (a mean over 32, not an exponential one)', () => {
    const rate = new ServiceRate();
    rate.queued(0);
    rate.handedOff(2_000, 20); // a hung upstream: nothing for 2 s
    for (let i = 0; i < 10; i++) rate.handedOff(2_000, 19 - i); // then its calls time out together
    // 2000 ms over 11 hand-offs: still about 182 ms each, so 20 waiters ahead are not admitted
    // to a 2 s deadline (an exponential mean, weight 0.2, seeded by 1 ms intervals of normal
    // running, falls to about 43 ms here, and admits them all to expire).
    expect(rate.intervalMs).toBeCloseTo(2_000 / 11, 6);
    expect(rate.expectedWait(20, 2_000)).toBeGreaterThan(2_000);
    // 32 quick hand-offs later the stall has left the window.
    for (let i = 1; i <= 32; i++) rate.handedOff(2_000 + i, 5);
    expect(rate.intervalMs).toBe(1);
  });

  it('forgets the stall when the queue empties, and starts a fresh one when it forms again', () => {
    const rate = new ServiceRate();
    rate.queued(0);
    rate.handedOff(100, 0); // the last waiter: nobody left
    expect(rate.expectedWait(0, 5_000)).toBe(100);
    rate.queued(5_000);
    rate.emptied(); // the waiter gave up
    expect(rate.expectedWait(0, 9_000)).toBe(100);
  });
});
