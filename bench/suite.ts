/**
 * What a benchmark suite declares. A suite module (bench/suites/<name>.ts) default-exports a
 * `Suite`; the runner runs every measurement in a fresh child process, several times,
 * interleaved, and turns the samples into figures.
 */

/** Units a figure may carry (DESIGN.md, "Benchmarks"). */
export type Unit = 'ops/s' | 'ns' | 'ms' | 'MB' | 'req/s' | 'files/s' | 'ratio';

/** Options every suite sees, both in the runner and in the child. */
export interface SuiteOptions {
  /** Smaller counts for a smoke test; figures are not comparable with a full run. */
  readonly quick: boolean;
}

/** What a child hands to a measurement. */
export interface RunContext {
  readonly quick: boolean;
  /** Forces a full garbage collection; throws unless the child was started with --expose-gc. */
  gc(): void;
}

/**
 * What one run of a measurement yields: the main value, and optionally more numbers (keyed)
 * that `Measurement.extra` turns into figures of their own. The child always adds `peakRss`
 * (MB, from `process.resourceUsage().maxRSS`).
 */
export interface Sample {
  readonly value: number;
  readonly extra?: Readonly<Record<string, number>>;
}

/** Another figure taken from the same child run, e.g. peak RSS next to throughput. */
export interface ExtraFigure {
  /** Key in `Sample.extra`; `peakRss` is always present. */
  readonly key: string;
  readonly scenario: string;
  readonly unit: Unit;
}

export interface Measurement {
  /** A bounded export (`Semaphore.run`), a peer by npm name (`p-limit`), or `floor:<what>`. */
  readonly name: string;
  /** The workload, e.g. `c=10`. `name` + `scenario` identify the measurement in its suite. */
  readonly scenario: string;
  readonly unit: Unit;
  /**
   * Baseline(s) by name, measured in the same scenario and run. The first is the primary one;
   * each further one yields one more JSON line for the same figure (see bench/README.md).
   */
  readonly ratioVs: readonly string[];
  readonly extra?: readonly ExtraFigure[];
  /** Node flags for the child, e.g. `--expose-gc`, `--max-old-space-size=8192`. */
  readonly execArgv?: readonly string[];
  /** The child is killed past this. Default: 120 s. */
  readonly timeoutMs?: number;
  /**
   * Failure is an expected outcome (e.g. an unbounded baseline that may run out of memory): it
   * is reported, but does not make the run exit non-zero.
   */
  readonly mayFail?: boolean;
  /** Short note shown under the table when this measurement fails. */
  readonly failureNote?: string;
  run(context: RunContext): Promise<number | Sample>;
}

/**
 * A target the suite is held to, checked against the medians of the run.
 * With `ratioVs`, the bound applies to `value(name) / value(ratioVs)`; otherwise to the value.
 */
export interface Target {
  readonly name: string;
  readonly scenario: string;
  readonly ratioVs?: string;
  readonly atLeast?: number;
  readonly atMost?: number;
  /** Where the bound comes from, e.g. "issue" or "proposed". */
  readonly source?: string;
}

/** What a one-shot suite (`Suite.evaluate`) reads from the command line. */
export interface EvaluateOptions {
  readonly quick: boolean;
  /** Restricts the suite's inputs (for `precision`: corpus files whose path contains it). */
  readonly filter: string | undefined;
  /** Lists the details behind the figures (for `precision`: every miss and false positive). */
  readonly verbose: boolean;
  /** Lints with type information. */
  readonly typed: boolean;
  /** Progress lines (standard error in the CLI). */
  readonly log: (line: string) => void;
}

/** One figure of a one-shot suite; `value` is null when it cannot be computed. */
export interface EvaluatedFigure {
  readonly name: string;
  readonly scenario: string;
  readonly unit: Unit;
  readonly value: number | null;
  /** Why `value` is null. */
  readonly note?: string;
}

export interface Evaluation {
  readonly figures: readonly EvaluatedFigure[];
  /** The human-readable report: the table, targets and, with --verbose, the details. */
  readonly report: string;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  measurements(options: SuiteOptions): readonly Measurement[];
  /**
   * A suite whose figures are computed once rather than timed (`precision`): the CLI calls this
   * instead of running measurements in children, and prints its figures and report.
   */
  evaluate?(options: EvaluateOptions): Promise<Evaluation>;
  /**
   * Checked against the medians and shown under the table (never in the JSON lines). A function
   * when the scenarios depend on the options (`--quick` counts).
   */
  readonly targets?: readonly Target[] | ((options: SuiteOptions) => readonly Target[]);
}

export function suiteTargets(suite: Suite, options: SuiteOptions): readonly Target[] {
  return typeof suite.targets === 'function' ? suite.targets(options) : (suite.targets ?? []);
}

export function measurementId(measurement: Pick<Measurement, 'name' | 'scenario'>): string {
  return `${measurement.name} @ ${measurement.scenario}`;
}

/** The extra figure for the child's peak resident set size, under `<scenario> peak-rss`. */
export function peakRss(scenario: string): ExtraFigure {
  return { key: 'peakRss', scenario: `${scenario} peak-rss`, unit: 'MB' };
}
