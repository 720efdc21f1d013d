/**
 * A fake clock for the rate limiter tests: a mutable millisecond count the limiter reads through
 * its `now` option, advanced together with vitest's fake timers so that a timer due at t fires
 * when the clock reads exactly t.
 */
import { vi } from 'vitest';
import { flush } from '../helpers.js';

export interface FakeClock {
  /** Pass as the limiter's `now` option. */
  readonly now: () => number;
  /** The clock's current reading. */
  readonly time: number;
  /**
   * Moves the clock and the fake timers forward by `ms` (a whole number), one millisecond at a
   * time while timers are pending (timers fire on whole milliseconds), in one jump when none is.
   * Promise jobs run after every step, so awaiting code resumes at the time it was admitted.
   */
  advance(ms: number): Promise<void>;
  /** Advances to absolute time `t`. */
  advanceTo(t: number): Promise<void>;
  /**
   * Moves the clock forward by `ms` without running the timers: the next timer then fires that
   * much late by the clock, as after a blocked event loop.
   */
  stall(ms: number): void;
}

export function fakeClock(start = 0): FakeClock {
  let time = start;
  const clock: FakeClock = {
    now: () => time,
    get time() {
      return time;
    },
    async advance(ms: number): Promise<void> {
      if (!Number.isInteger(ms) || ms < 0) throw new Error(`advance by a whole number of ms, got ${ms}`);
      const target = time + ms;
      await flush();
      while (time < target) {
        if (vi.getTimerCount() === 0) {
          const step = target - time;
          time = target;
          await vi.advanceTimersByTimeAsync(step);
        } else {
          time += 1;
          await vi.advanceTimersByTimeAsync(1);
        }
        await flush();
      }
    },
    advanceTo(t: number): Promise<void> {
      return clock.advance(t - time);
    },
    stall(ms: number): void {
      time += ms;
    },
  };
  return clock;
}

/**
 * Records when each call is admitted, by the fake clock: `admit(label, promise)` notes
 * `[label, time]` as the promise fulfils, and the rejection reason when it rejects.
 */
export class AdmissionLog<L = number> {
  readonly admitted: [L, number][] = [];
  readonly rejected = new Map<L, unknown>();
  readonly #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  admit(label: L, promise: Promise<unknown>): void {
    promise.then(
      () => {
        this.admitted.push([label, this.#clock.time]);
      },
      (reason: unknown) => {
        this.rejected.set(label, reason);
      },
    );
  }

  /** Labels in the order they were admitted. */
  get order(): L[] {
    return this.admitted.map(([label]) => label);
  }

  /** Admission time of each label, in admission order. */
  get times(): number[] {
    return this.admitted.map(([, t]) => t);
  }

  timeOf(label: L): number | undefined {
    return this.admitted.find(([l]) => l === label)?.[1];
  }
}
