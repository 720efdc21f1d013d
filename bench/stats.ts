export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many samples the figures come from. */
  readonly n: number;
}

/** Median (mean of the middle two for an even count), min and max; undefined when empty. */
export function summarize(values: readonly number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** `value / baseline`, or null when either is missing or the baseline is zero. */
export function ratio(value: number | undefined, baseline: number | undefined): number | null {
  if (value === undefined || baseline === undefined || baseline === 0) return null;
  return value / baseline;
}

/**
 * Rounds a figure for output: whole numbers from 1000 up (throughputs), four significant
 * digits below (MB, ms, ns).
 */
export function roundValue(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(4));
}

/** Ratios keep three significant digits: 1.17, 0.00412. */
export function roundRatio(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(3)) : value;
}
