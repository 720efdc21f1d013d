/**
 * How fast a saturated queue is served, measured: the time between hand-offs (a permit or a
 * connection passing to the next waiter) while someone waits, as a mean over the last 32, and
 * how long ago the last hand-off was. Nothing is measured while nobody waits, so an
 * uncontended resource pays nothing for it.
 *
 * The expected wait of a newcomer with `ahead` waiters in front of it is
 * `max(interval, stalled) + ahead × interval`: a queue that has served nobody for `stalled` ms
 * (an upstream that hangs) is expected to keep the next waiter at least that long, and the
 * waiters ahead each take one mean interval. With no measurement yet it is `stalled` alone.
 */

/**
 * Hand-offs the mean is taken over. A plain mean of a window, not an exponential one: hand-offs
 * come in bursts (a hung upstream times out a connection's worth of calls at once), and a burst
 * of near-zero intervals must not wipe out the stall just before it.
 */
const WINDOW = 32;

export class ServiceRate {
  /** Made at the first hand-off: a resource that never queues pays nothing for it. */
  #samples: Float64Array | undefined;
  #count = 0;
  #next = 0;
  #sum = 0;
  /** Mean milliseconds between hand-offs while the queue was not empty; NaN before the first. */
  #interval = Number.NaN;
  /** When the last hand-off happened, or when the queue formed; NaN while nobody waits. */
  #since = Number.NaN;

  /** Mean milliseconds between hand-offs under saturation, or NaN before any was measured. */
  get intervalMs(): number {
    return this.#interval;
  }

  /** A waiter joined: when it is the first, the stall clock starts. */
  queued(now: number): void {
    if (Number.isNaN(this.#since)) this.#since = now;
  }

  /** A waiter was served; `left` waiters remain behind it. */
  handedOff(now: number, left: number): void {
    const since = this.#since;
    if (!Number.isNaN(since)) {
      const sample = now - since;
      const samples = (this.#samples ??= new Float64Array(WINDOW));
      if (this.#count === WINDOW) this.#sum -= samples[this.#next]!;
      else this.#count++;
      samples[this.#next] = sample;
      this.#next = (this.#next + 1) % WINDOW;
      this.#sum += sample;
      // Subtracting what leaves the window can drift below zero by rounding; never report that.
      this.#interval = Math.max(0, this.#sum / this.#count);
    }
    this.#since = left > 0 ? now : Number.NaN;
  }

  /** The queue emptied without a hand-off (every waiter gave up or was refused). */
  emptied(): void {
    this.#since = Number.NaN;
  }

  /** Expected milliseconds until a newcomer with `ahead` live waiters in front of it is served. */
  expectedWait(ahead: number, now: number): number {
    const interval = Number.isNaN(this.#interval) ? 0 : this.#interval;
    const stalled = Number.isNaN(this.#since) ? 0 : now - this.#since;
    return Math.max(interval, stalled) + ahead * interval;
  }
}
