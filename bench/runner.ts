import os from 'node:os';
import type { BenchOptions } from './args.js';
import { runChild, type ChildOptions, type ChildOutcome, type ChildRequest } from './child.js';
import { buildFigures, checkTargets, formatNumber, type Figure, type RepResult, type TargetResult } from './report.js';
import { measurementId, suiteTargets, type Measurement, type Suite } from './suite.js';

export const DEFAULT_TIMEOUT_MS = 120_000;

export interface Slot<T> {
  readonly item: T;
  /** 1-based. */
  readonly rep: number;
}

/** Interleaved order: repetition 1 of every item, then repetition 2 of every item, and so on. */
export function interleave<T>(items: readonly T[], reps: number): Slot<T>[] {
  const slots: Slot<T>[] = [];
  for (let rep = 1; rep <= reps; rep++) for (const item of items) slots.push({ item, rep });
  return slots;
}

/**
 * The measurements whose `name @ scenario` contains `filter`, plus the baselines they are
 * compared with in the same scenario (so their ratios stay defined). All without a filter.
 */
export function selectMeasurements(measurements: readonly Measurement[], filter: string | undefined): Measurement[] {
  if (filter === undefined) return [...measurements];
  const chosen = new Set(measurements.filter((m) => measurementId(m).includes(filter)));
  for (const m of [...chosen]) {
    for (const other of measurements) {
      if (other.scenario === m.scenario && m.ratioVs.includes(other.name)) chosen.add(other);
    }
  }
  return measurements.filter((m) => chosen.has(m));
}

export interface RunResult {
  readonly measurements: readonly Measurement[];
  readonly figures: readonly Figure[];
  readonly targets: readonly TargetResult[];
  /** Measurements that failed although they are not allowed to. */
  readonly unexpectedFailures: readonly Measurement[];
  /** Node version, CPU count and load average before → after: context for the figures. */
  readonly host: string;
}

/** One-minute load average, rounded. */
function load(): number {
  return Math.round(os.loadavg()[0]! * 10) / 10;
}

export interface RunnerDeps {
  /** The child entry, dist/bench/worker.js in a build. */
  readonly workerPath: string;
  /** Progress lines (standard error in the CLI). */
  readonly log: (line: string) => void;
  /** Replaceable for tests. */
  readonly runChild?: (workerPath: string, request: ChildRequest, options: ChildOptions) => Promise<ChildOutcome>;
}

/**
 * Runs every selected measurement `options.reps` times, interleaved, one child at a time, and
 * computes the figures. A measurement that fails is not run again in later repetitions:
 * failures (out of memory, a V8 limit, a timeout) repeat, and retrying only costs time.
 */
export async function runSuite(suite: Suite, options: BenchOptions, deps: RunnerDeps): Promise<RunResult> {
  const measurements = selectMeasurements(suite.measurements({ quick: options.quick }), options.filter);
  if (measurements.length === 0) throw new Error(`No measurement of suite '${suite.name}' matches '${options.filter}'`);
  const run = deps.runChild ?? runChild;
  const results = new Map<string, RepResult[]>(measurements.map((m) => [measurementId(m), []]));
  const slots = interleave(measurements, options.reps);
  const width = String(slots.length).length;
  const cpus = os.availableParallelism();
  const loadBefore = load();
  deps.log(
    `${suite.name}: ${slots.length} runs (${measurements.length} measurements × ${options.reps} reps), one child at a time; ` +
      `Node ${process.version}, ${cpus} CPUs, load average ${loadBefore}`,
  );
  if (loadBefore > cpus) {
    deps.log(`warning: the load average (${loadBefore}) exceeds the CPU count (${cpus}); other processes will distort the figures`);
  }

  for (const [index, { item: m, rep }] of slots.entries()) {
    const id = measurementId(m);
    const reps = results.get(id)!;
    const prefix = `[${String(index + 1).padStart(width)}/${slots.length}] rep ${rep}/${options.reps}  ${id}`;
    const earlier = reps.find((r) => !r.ok);
    if (earlier !== undefined) {
      deps.log(`${prefix}: skipped (failed before)`);
      continue;
    }
    const outcome = await run(
      deps.workerPath,
      { suite: suite.name, name: m.name, scenario: m.scenario, quick: options.quick },
      { timeoutMs: m.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(m.execArgv === undefined ? {} : { execArgv: m.execArgv }) },
    );
    const seconds = `${(outcome.wallMs / 1000).toFixed(1)} s`;
    if (outcome.ok) {
      reps.push({ ok: true, sample: outcome.sample });
      deps.log(`${prefix}: ${formatNumber(outcome.sample.value)} ${m.unit} (${seconds})`);
    } else {
      reps.push({ ok: false, error: outcome.error });
      deps.log(`${prefix}: FAILED, ${outcome.error} (${seconds})${m.mayFail === true ? ' [allowed]' : ''}`);
      const tail = outcome.output.trimEnd().split('\n').slice(-12);
      if (tail.length > 0 && tail[0] !== '') for (const line of tail) deps.log(`    | ${line}`);
    }
  }

  const figures = buildFigures(suite.name, measurements, results);
  const targets = checkTargets(suiteTargets(suite, { quick: options.quick }), figures);
  const unexpectedFailures = measurements.filter((m) => m.mayFail !== true && results.get(measurementId(m))!.some((r) => !r.ok));
  const host = `Node ${process.version}, ${cpus} CPUs, load average ${loadBefore} → ${load()}`;
  return { measurements, figures, targets, unexpectedFailures, host };
}
