/**
 * Baselines and regression detection for `bounded stress`.
 *
 * A baseline holds, for each figure that can regress (throughput and p99 latency, overall
 * and per operation kind), the median over one or more repeated runs and the run-to-run
 * noise those repetitions showed. Figures are stored as ratios against the reference
 * workload measured in the same run (`StressResult.reference`), so a slower or busier
 * machine scales both sides alike and does not read as a regression:
 *
 * - throughput: `throughput / reference rate` (operations per reference operation);
 * - p99 latency: `p99 × reference rate / 1000` (p99 in units of one reference operation).
 *
 * Database kinds are divided by the reference `SELECT 1` rate, everything else by the
 * loopback HTTP rate. A comparison fails a figure when it is worse than the baseline's
 * median by more than {@link REGRESSION_THRESHOLD} plus the noise measured on both sides.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { OperationKind, StressLevel, StressResult } from './types.js';

export const BASELINE_SCHEMA_VERSION = 1;

/** A figure worse than the baseline by more than this (plus noise) is a regression: 5 %. */
export const REGRESSION_THRESHOLD = 0.05;

/** Below this many succeeded operations a kind's p99 is too noisy to judge; it is reported, not failed. */
export const MIN_OPERATIONS_FOR_P99 = 50;

export type FigureDirection = 'higher-is-better' | 'lower-is-better';

export interface BaselineFigure {
  /** `throughput` or `p99`, then `:all` or `:<kind>`, e.g. `p99:db-read`. */
  readonly name: string;
  readonly direction: FigureDirection;
  /** Median of the normalized values over the runs. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Largest relative distance of a run from the median: `max |v − median| / median`; 0 for one run. */
  readonly noise: number;
  /** Median of the raw values (ops/s or ms), for people reading the file. */
  readonly rawMedian: number;
  readonly unit: 'ops/s' | 'ms';
  /** Fewest operations behind the figure in any run. */
  readonly operations: number;
}

export interface StressBaseline {
  readonly schemaVersion: typeof BASELINE_SCHEMA_VERSION;
  readonly kind: 'bounded-stress-baseline';
  readonly createdAt: string;
  readonly level: StressLevel;
  readonly chaos: string | null;
  readonly durationMs: number;
  readonly policyDigest: string;
  readonly node: string;
  readonly runs: number;
  readonly figures: readonly BaselineFigure[];
}

export type FigureStatus = 'ok' | 'regressed' | 'improved' | 'insufficient' | 'missing';

export interface FigureComparison {
  readonly name: string;
  readonly direction: FigureDirection;
  readonly unit: 'ops/s' | 'ms';
  readonly baseline: number;
  /** null when the current runs lack the figure. */
  readonly current: number | null;
  readonly rawBaseline: number;
  readonly rawCurrent: number | null;
  /** Relative change of the normalized figure, signed so that a positive value is worse. */
  readonly worseBy: number | null;
  /** The threshold this figure was judged against: 5 % plus the noise of both sides. */
  readonly threshold: number;
  readonly status: FigureStatus;
}

export interface BaselineComparison {
  /** False when any figure regressed. */
  readonly ok: boolean;
  readonly figures: readonly FigureComparison[];
  /** Differences in what was run (level, chaos, duration, policy) that make the comparison weaker. */
  readonly warnings: readonly string[];
}

/** Thrown for a baseline file that cannot be read as one. */
export class BaselineFileError extends Error {
  override readonly name = 'BaselineFileError';
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

interface RawFigure {
  readonly name: string;
  readonly direction: FigureDirection;
  readonly unit: 'ops/s' | 'ms';
  readonly raw: number;
  readonly normalized: number;
  readonly operations: number;
}

const DB_KINDS: ReadonlySet<OperationKind> = new Set<OperationKind>(['db-read', 'db-write']);

function referenceRate(result: StressResult, kind: OperationKind | 'all'): number {
  const { reference } = result;
  if (kind !== 'all' && DB_KINDS.has(kind) && reference.dbSelectPerSec !== null && reference.dbSelectPerSec > 0) {
    return reference.dbSelectPerSec;
  }
  return reference.loopbackHttpReqPerSec;
}

/** The comparable figures of one run, normalized by its reference workload. */
export function figuresOf(result: StressResult): RawFigure[] {
  const figures: RawFigure[] = [];
  const add = (kind: OperationKind | 'all', throughput: number, p99: number | null, succeeded: number): void => {
    const rate = referenceRate(result, kind);
    if (!(rate > 0)) return;
    figures.push({
      name: `throughput:${kind}`,
      direction: 'higher-is-better',
      unit: 'ops/s',
      raw: throughput,
      normalized: throughput / rate,
      operations: succeeded,
    });
    if (p99 !== null) {
      figures.push({
        name: `p99:${kind}`,
        direction: 'lower-is-better',
        unit: 'ms',
        raw: p99,
        normalized: (p99 * rate) / 1000,
        operations: succeeded,
      });
    }
  };
  const allP99 = result.operations.reduce<number | null>(
    (worst, op) => (op.latency.p99 === null ? worst : Math.max(worst ?? 0, op.latency.p99)),
    null,
  );
  add('all', result.totals.throughput, allP99, result.totals.succeeded);
  for (const op of result.operations) add(op.kind, op.throughput, op.latency.p99, op.succeeded);
  return figures;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function noiseOf(values: readonly number[], center: number): number {
  if (values.length < 2 || center === 0) return 0;
  return Math.max(...values.map((v) => Math.abs(v - center) / Math.abs(center)));
}

interface Aggregate {
  readonly name: string;
  readonly direction: FigureDirection;
  readonly unit: 'ops/s' | 'ms';
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly noise: number;
  readonly rawMedian: number;
  readonly operations: number;
}

function aggregate(results: readonly StressResult[]): Map<string, Aggregate> {
  const byName = new Map<string, RawFigure[]>();
  for (const result of results) {
    for (const figure of figuresOf(result)) {
      const list = byName.get(figure.name) ?? [];
      list.push(figure);
      byName.set(figure.name, list);
    }
  }
  const out = new Map<string, Aggregate>();
  for (const [name, list] of byName) {
    const values = list.map((f) => f.normalized);
    const center = median(values);
    out.set(name, {
      name,
      direction: list[0]!.direction,
      unit: list[0]!.unit,
      median: center,
      min: Math.min(...values),
      max: Math.max(...values),
      noise: noiseOf(values, center),
      rawMedian: median(list.map((f) => f.raw)),
      operations: Math.min(...list.map((f) => f.operations)),
    });
  }
  return out;
}

function assertComparable(results: readonly StressResult[]): void {
  if (results.length === 0) throw new TypeError('Expected at least one stress result');
  const [first] = results;
  for (const result of results) {
    if (result.meta.level !== first!.meta.level || result.meta.chaos !== first!.meta.chaos) {
      throw new TypeError(
        `Expected repeated runs of one level and scenario, got ${first!.meta.level}/${first!.meta.chaos ?? 'none'} and ${result.meta.level}/${result.meta.chaos ?? 'none'}`,
      );
    }
  }
}

/** Builds a baseline from one or more runs of the same level (more runs measure the noise). */
export function createBaseline(results: readonly StressResult[], now: Date = new Date()): StressBaseline {
  assertComparable(results);
  const first = results[0]!;
  return {
    schemaVersion: BASELINE_SCHEMA_VERSION,
    kind: 'bounded-stress-baseline',
    createdAt: now.toISOString(),
    level: first.meta.level,
    chaos: first.meta.chaos,
    durationMs: first.meta.durationMs,
    policyDigest: first.meta.policy.digest,
    node: first.meta.node,
    runs: results.length,
    figures: [...aggregate(results).values()].map(({ name, direction, unit, median: m, min, max, noise, rawMedian, operations }) => ({
      name,
      direction,
      unit,
      median: m,
      min,
      max,
      noise,
      rawMedian,
      operations,
    })),
  };
}

/**
 * Compares one or more runs against a baseline. A figure regresses when it is worse than the
 * baseline median by more than 5 % plus the noise of the baseline and of the current runs.
 */
export function compareToBaseline(baseline: StressBaseline, results: readonly StressResult[]): BaselineComparison {
  assertComparable(results);
  const first = results[0]!;
  const warnings: string[] = [];
  if (first.meta.level !== baseline.level) {
    warnings.push(`level differs: baseline ${baseline.level}, this run ${first.meta.level}`);
  }
  if (first.meta.chaos !== baseline.chaos) {
    warnings.push(`chaos scenario differs: baseline ${baseline.chaos ?? 'none'}, this run ${first.meta.chaos ?? 'none'}`);
  }
  if (first.meta.durationMs !== baseline.durationMs) {
    warnings.push(`duration differs: baseline ${baseline.durationMs} ms, this run ${first.meta.durationMs} ms`);
  }
  if (first.meta.policy.digest !== baseline.policyDigest) {
    warnings.push('policy differs from the baseline’s (limits changed): figures may move for that reason');
  }
  if (baseline.runs < 2 && results.length < 2) {
    warnings.push('noise unmeasured: neither side was repeated (use --repeat 3 for both)');
  }
  const current = aggregate(results);
  const figures: FigureComparison[] = baseline.figures.map((base) => {
    const now = current.get(base.name);
    const threshold = REGRESSION_THRESHOLD + base.noise + (now?.noise ?? 0);
    if (now === undefined) {
      return {
        name: base.name,
        direction: base.direction,
        unit: base.unit,
        baseline: base.median,
        current: null,
        rawBaseline: base.rawMedian,
        rawCurrent: null,
        worseBy: null,
        threshold,
        status: 'missing',
      };
    }
    const change = base.median === 0 ? 0 : (now.median - base.median) / base.median;
    const worseBy = base.direction === 'higher-is-better' ? -change : change;
    const tooFew = base.name.startsWith('p99:') && Math.min(base.operations, now.operations) < MIN_OPERATIONS_FOR_P99;
    let status: FigureStatus = 'ok';
    if (tooFew) status = 'insufficient';
    else if (worseBy > threshold) status = 'regressed';
    else if (-worseBy > threshold) status = 'improved';
    return {
      name: base.name,
      direction: base.direction,
      unit: base.unit,
      baseline: base.median,
      current: now.median,
      rawBaseline: base.rawMedian,
      rawCurrent: now.rawMedian,
      worseBy,
      threshold,
      status,
    };
  });
  return { ok: figures.every((f) => f.status !== 'regressed'), figures, warnings };
}

function formatNumber(value: number | null, unit: 'ops/s' | 'ms'): string {
  if (value === null) return '—';
  return unit === 'ms' ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : `${value.toFixed(value < 10 ? 2 : 1)}/s`;
}

function formatPercent(value: number | null): string {
  if (value === null) return '—';
  const sign = value > 0 ? '+' : value < 0 ? '−' : '±';
  return `${sign}${(Math.abs(value) * 100).toFixed(1)} %`;
}

/** A plain-text table of a comparison, one figure a row, for the terminal. */
export function formatComparison(comparison: BaselineComparison): string {
  const header = ['figure', 'baseline', 'now', 'worse by', 'allowed', 'status'];
  const rows = comparison.figures.map((f) => [
    f.name,
    formatNumber(f.rawBaseline, f.unit),
    formatNumber(f.rawCurrent, f.unit),
    formatPercent(f.worseBy),
    `${(f.threshold * 100).toFixed(1)} %`,
    f.status === 'regressed' ? 'REGRESSED' : f.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const warning of comparison.warnings) out.push(`warning: ${warning}`);
  const regressed = comparison.figures.filter((f) => f.status === 'regressed').length;
  out.push(
    regressed === 0
      ? 'baseline: no regression beyond 5 % plus noise (figures normalized by the in-run reference workload)'
      : `baseline: ${regressed} figure${regressed === 1 ? '' : 's'} regressed beyond 5 % plus noise`,
  );
  return out.join('\n');
}

/** Writes a baseline atomically (temporary file, then rename). */
export async function writeBaseline(file: string, baseline: StressBaseline): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(baseline, null, 2)}\n`, { flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

/** Reads and checks a baseline file, with errors that name the file and what is wrong. */
export async function readBaseline(file: string): Promise<StressBaseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BaselineFileError(file, `cannot read the baseline (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      cause: error,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const match = /position (\d+)/.exec(String((error as Error).message));
    const where = match ? `:${lineAndColumn(text, Number(match[1]))}` : '';
    throw new BaselineFileError(`${file}${where}`, `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateBaseline(file, data);
}

function validateBaseline(file: string, data: unknown): StressBaseline {
  const fail = (message: string): never => {
    throw new BaselineFileError(file, message);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('expected a JSON object');
  const record = data as Record<string, unknown>;
  if (record.kind !== 'bounded-stress-baseline') {
    return fail(`not a stress baseline (kind is ${JSON.stringify(record.kind)}); write one with \`bounded stress --save-baseline FILE\``);
  }
  if (record.schemaVersion !== BASELINE_SCHEMA_VERSION) {
    return fail(`baseline schemaVersion ${JSON.stringify(record.schemaVersion)} is not ${BASELINE_SCHEMA_VERSION}; save a new baseline`);
  }
  if (!Array.isArray(record.figures)) return fail('`figures` must be an array');
  record.figures.forEach((figure: unknown, index) => {
    const f = figure as Record<string, unknown> | null;
    if (typeof f !== 'object' || f === null) return fail(`figures[${index}] must be an object`);
    if (typeof f.name !== 'string') fail(`figures[${index}].name must be a string`);
    for (const key of ['median', 'min', 'max', 'noise', 'rawMedian', 'operations'] as const) {
      if (typeof f[key] !== 'number' || !Number.isFinite(f[key])) fail(`figures[${index}].${key} must be a finite number`);
    }
    if (f.direction !== 'higher-is-better' && f.direction !== 'lower-is-better') {
      fail(`figures[${index}].direction must be higher-is-better or lower-is-better`);
    }
    if (f.unit !== 'ops/s' && f.unit !== 'ms') fail(`figures[${index}].unit must be ops/s or ms`);
    return undefined;
  });
  for (const key of ['level', 'policyDigest', 'node', 'createdAt'] as const) {
    if (typeof record[key] !== 'string') fail(`\`${key}\` must be a string`);
  }
  for (const key of ['durationMs', 'runs'] as const) {
    if (typeof record[key] !== 'number') fail(`\`${key}\` must be a number`);
  }
  return record as unknown as StressBaseline;
}
