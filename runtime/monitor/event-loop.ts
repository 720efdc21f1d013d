import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { EventLoopSnapshot } from './types.js';

/** How often the histogram's own timer measures the delay, in ms. */
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

/**
 * The process's event-loop delay, from `perf_hooks.monitorEventLoopDelay` (whose timer does not
 * keep the process alive). `rollover()` closes a window: later reads show that window until the
 * next one closes, so a scrape between two checks never sees a half-filled histogram.
 */
/**
 * The histogram records the whole interval between two runs of its timer; the delay is what
 * exceeds the timer's period.
 */
function lateness(ns: number): number {
  return Math.max(0, ns / NS_PER_MS - RESOLUTION_MS);
}

export class EventLoopDelay {
  readonly #histogram: IntervalHistogram;
  /** The last closed window. */
  #last: EventLoopSnapshot | null = null;

  constructor() {
    this.#histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.#histogram.enable();
  }

  /** The last closed window, or the figures so far when no window has closed yet. */
  read(): EventLoopSnapshot | null {
    return this.#last ?? this.#current();
  }

  /**
   * Closes the current window and starts the next. A window without a measurement (a check
   * right after the previous one) stays open.
   */
  rollover(): void {
    const current = this.#current();
    if (current === null) return;
    this.#last = current;
    this.#histogram.reset();
  }

  close(): void {
    this.#histogram.disable();
  }

  #current(): EventLoopSnapshot | null {
    const h = this.#histogram;
    if (h.count === 0) return null;
    return {
      p50Ms: lateness(h.percentile(50)),
      p95Ms: lateness(h.percentile(95)),
      p99Ms: lateness(h.percentile(99)),
      maxMs: lateness(h.max),
      meanMs: lateness(h.mean),
      samples: h.count,
    };
  }
}
