import type { StressLevel } from './types.js';

/** What a level asks of the workload. */
export interface LevelSpec {
  readonly level: StressLevel;
  /** Operations kept in flight in normal running (the closed-loop workers). */
  readonly concurrency: number;
  /** The default length of the load phase, in ms (`--duration` replaces it). */
  readonly defaultDurationMs: number;
  /**
   * `spike` only: the share of the duration at 10× the normal load, and where it starts
   * (fractions of the duration).
   */
  readonly spike?: { readonly factor: number; readonly startAt: number; readonly length: number };
  readonly description: string;
}

export const LEVELS: Readonly<Record<StressLevel, LevelSpec>> = {
  light: {
    level: 'light',
    concurrency: 100,
    defaultDurationMs: 10_000,
    description: '100 concurrent operations',
  },
  medium: {
    level: 'medium',
    concurrency: 500,
    defaultDurationMs: 30_000,
    description: '500 concurrent operations',
  },
  heavy: {
    level: 'heavy',
    concurrency: 1_000,
    defaultDurationMs: 60_000,
    description: '1,000 concurrent operations',
  },
  spike: {
    level: 'spike',
    concurrency: 100,
    defaultDurationMs: 60_000,
    spike: { factor: 10, startAt: 0.4, length: 0.2 },
    description: '100 concurrent operations, then 10× (1,000) suddenly for a fifth of the run, then back',
  },
  soak: {
    level: 'soak',
    concurrency: 200,
    defaultDurationMs: 300_000,
    description: '200 concurrent operations held steady for as long as asked',
  },
};

/** Operations the level wants in flight at `t` ms into a load phase of `durationMs`. */
export function targetConcurrency(spec: LevelSpec, t: number, durationMs: number): number {
  const spike = spec.spike;
  if (spike === undefined) return spec.concurrency;
  const start = durationMs * spike.startAt;
  const end = start + durationMs * spike.length;
  return t >= start && t < end ? spec.concurrency * spike.factor : spec.concurrency;
}

/** Most operations the level ever wants in flight. */
export function peakConcurrency(spec: LevelSpec): number {
  return spec.concurrency * (spec.spike?.factor ?? 1);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same workload choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
