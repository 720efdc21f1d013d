import type { WaitPercentiles } from './types.js';

/** The last `capacity` values of a measurement, for percentiles over a sliding window. */
export class RecentValues {
  readonly #values: Float64Array;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#values = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  add(value: number): void {
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#size < this.#values.length) this.#size++;
  }

  /** Nearest-rank percentiles of the values held; null when there are none. */
  percentiles(): WaitPercentiles | null {
    if (this.#size === 0) return null;
    // A typed array sorts numerically.
    const sorted = this.#values.slice(0, this.#size).sort();
    const at = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}
