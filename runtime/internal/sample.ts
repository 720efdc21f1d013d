/** The last `capacity` values of a measurement, for percentiles over a sliding window. */
export class SlidingSample {
  readonly #values: Float64Array;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#values = new Float64Array(capacity);
  }

  /** Values held now (at most the capacity). */
  get size(): number {
    return this.#size;
  }

  add(value: number): void {
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#size < this.#values.length) this.#size++;
  }

  /** Nearest-rank percentiles of the values held; zeros when there are none. */
  percentiles(): { p50: number; p95: number; p99: number } {
    if (this.#size === 0) return { p50: 0, p95: 0, p99: 0 };
    const sorted = this.#values.slice(0, this.#size).sort();
    const at = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}
