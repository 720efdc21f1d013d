import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { EventLoopSnapshot } from './types.js';

/** How often the sampler's timer measures the delay, in ms. */
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

/**
 * The process's event-loop delay, per window. A timer (which does not keep the process alive)
 * runs every `RESOLUTION_MS` and records how late it ran; `rollover()` closes a window: later
 * reads show that window until the next one closes, so a scrape between two checks never sees a
 * half-filled histogram.
 *
 * Not `perf_hooks.monitorEventLoopDelay`: its timer is native, so after a block a check can run
 * before that timer records the blocked interval, and `reset()` also forgets when the timer last
 * ran, so the block was never recorded at all (a monitor checking during 250 ms blocks reported
 * only the 140 ms stalls around them). Here the timer is ours, and `rollover()` first records
 * the interval still open (a block that just ended), so a block always lands, whole, in the
 * window that was open when it ended.
 */
export class EventLoopDelay {
  readonly #histogram: RecordableHistogram = createHistogram();
  readonly #timer: ReturnType<typeof setInterval>;
  /** When the sampler last ran, or the window last closed (`performance.now()`). */
  #last = performance.now();
  /** The last closed window. */
  #closed: EventLoopSnapshot | null = null;

  constructor() {
    this.#timer = setInterval(() => this.#sample(), RESOLUTION_MS);
    this.#timer.unref();
  }

  /** The last closed window, or the figures so far when no window has closed yet. */
  read(): EventLoopSnapshot | null {
    return this.#closed ?? this.#current();
  }

  /**
   * Closes the current window and starts the next. A window without a measurement (a check
   * right after the previous one) stays open.
   */
  rollover(): void {
    // The interval since the sampler last ran: a block that just ended, when the check's timer
    // runs before the sampler's. Shorter than a period, it is no delay and no measurement.
    if (performance.now() - this.#last > RESOLUTION_MS) this.#sample();
    const current = this.#current();
    if (current === null) return;
    this.#closed = current;
    this.#histogram.reset();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** Records how far the interval since the last sample overran the period. */
  #sample(): void {
    const now = performance.now();
    const lateMs = Math.max(0, now - this.#last - RESOLUTION_MS);
    this.#last = now;
    // A RecordableHistogram takes integers ≥ 1: nanoseconds, plus one.
    this.#histogram.record(Math.round(lateMs * NS_PER_MS) + 1);
  }

  #current(): EventLoopSnapshot | null {
    const h = this.#histogram;
    if (h.count === 0) return null;
    const ms = (ns: number): number => Math.max(0, (ns - 1) / NS_PER_MS);
    return {
      p50Ms: ms(h.percentile(50)),
      p95Ms: ms(h.percentile(95)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      meanMs: ms(h.mean),
      samples: h.count,
    };
  }
}
