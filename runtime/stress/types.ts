/**
 * The shape of one `bounded stress` run: every figure it measured, as plain JSON
 * (`JSON.stringify(result)` keeps all of it; `--json FILE` writes exactly that).
 *
 * Times inside a run (`t`, `at`, `startMs`, `endMs`) are milliseconds since the run's start,
 * so two runs line up on one axis. Latencies are milliseconds; memory is bytes.
 *
 * The HTML report and the baseline comparison read this type only; bump `schemaVersion`
 * when a field changes meaning or disappears (adding a field does not need it).
 */

export const STRESS_SCHEMA_VERSION = 1;

export type StressLevel = 'light' | 'medium' | 'heavy' | 'spike' | 'soak';

export const STRESS_LEVELS: readonly StressLevel[] = ['light', 'medium', 'heavy', 'spike', 'soak'];

export type ChaosName =
  | 'db-kill'
  | 'db-restart'
  | 'db-exhaust'
  | 'http-hang'
  | 'http-reset'
  | 'partition'
  | 'provider-429'
  | 'memory'
  | 'cpu';

export const CHAOS_NAMES: readonly ChaosName[] = [
  'db-kill',
  'db-restart',
  'db-exhaust',
  'http-hang',
  'http-reset',
  'partition',
  'provider-429',
  'memory',
  'cpu',
];

/** The kinds of operation the workload mixes. */
export type OperationKind = 'db-read' | 'db-write' | 'http' | 'model' | 'fanout';

export const OPERATION_KINDS: readonly OperationKind[] = ['db-read', 'db-write', 'http', 'model', 'fanout'];

export interface StressResult {
  readonly schemaVersion: typeof STRESS_SCHEMA_VERSION;
  readonly meta: StressMeta;
  /** Every operation of the run, all kinds together. */
  readonly totals: OperationTotals;
  /** One entry per operation kind the workload ran. */
  readonly operations: readonly OperationFigures[];
  /** One entry per bounded resource the workload went through (pool, HTTP client, limiters, fan-out semaphore). */
  readonly resources: readonly ResourceFigures[];
  readonly database: DatabaseFigures;
  readonly provider: ProviderFigures;
  readonly process: ProcessFigures;
  /** Alerts the `ConcurrencyMonitor` raised during the run, in order. */
  readonly warnings: readonly MonitorWarning[];
  /** When each injected fault was active. Empty without `--chaos`. */
  readonly faults: readonly FaultWindow[];
  /** What the level and scenario require; the command exits non-zero when any is not ok. */
  readonly checks: readonly MustHoldCheck[];
  /** True when every check is ok. */
  readonly ok: boolean;
  /**
   * A fixed reference workload measured in the same process during the same run, so a
   * comparison can divide by it: a slower machine then does not read as a regression.
   */
  readonly reference: ReferenceFigures;
  /**
   * Operations settled per sampling interval, all kinds together, for the report's charts
   * over time (throughput, latency percentiles, errors by type). Optional: a run that did
   * not record it still renders and compares.
   */
  readonly timeline?: readonly IntervalFigures[];
}

/** What settled during one sampling interval ending at `t`. */
export interface IntervalFigures {
  /** ms since the run's start (end of the interval). */
  readonly t: number;
  /** Length of the interval, ms. */
  readonly intervalMs: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Latency percentiles of the operations that succeeded in the interval; null when none did. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Failures in the interval by error `name`. */
  readonly errors: Readonly<Record<string, number>>;
}

export interface StressMeta {
  readonly level: StressLevel;
  /** null without `--chaos`. */
  readonly chaos: ChaosName | null;
  /** Requested duration of the load phase. */
  readonly durationMs: number;
  /** Measured wall time from the first operation started to the last one settled. */
  readonly elapsedMs: number;
  /** Seed of the workload's pseudo-random choices (kinds, fan-out sizes, latencies). */
  readonly seed: number;
  /** Operations kept in flight by the arrival process (the level's concurrency target). */
  readonly targetConcurrency: number;
  /** `process.version`. */
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  /** `os.availableParallelism()`. */
  readonly cpus: number;
  /** ISO time the run started. */
  readonly startedAt: string;
  readonly policy: {
    /** The policy file used; null for the embedded defaults. */
    readonly file: string | null;
    /** sha256 (hex) of the policy as loaded (canonical JSON), so runs under different limits are told apart. */
    readonly digest: string;
  };
  /** `throwaway` when the harness started its own PostgreSQL, `DATABASE_URL` otherwise. */
  readonly database: 'throwaway' | 'DATABASE_URL';
  /** bounded's version (package.json). */
  readonly version: string;
}

/** Latency percentiles and extremes, in milliseconds. null fields when nothing was measured. */
export interface LatencyFigures {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export interface OperationTotals {
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Started but never settled when the run ended: must be 0 (a hang). */
  readonly unsettled: number;
  /** Failures that were not one of bounded's typed errors: must be 0. */
  readonly untyped: number;
  /** Succeeded operations per second over `meta.elapsedMs`. */
  readonly throughput: number;
}

export interface OperationFigures extends OperationTotals {
  readonly kind: OperationKind;
  /** Latency of the operations that succeeded. */
  readonly latency: LatencyFigures;
  /** Latency of the operations that failed (how long a failure took to surface). */
  readonly failureLatency: LatencyFigures;
  /** Failures by error `name` (`TimeoutError`, `QueueFullError`, `PoolConnectionError`…). */
  readonly errors: Readonly<Record<string, number>>;
}

export type ResourceKindName = 'pool' | 'http' | 'limiter' | 'semaphore';

/** One sample of a resource, taken by the harness every `sampleIntervalMs`. */
export interface ResourceSample {
  /** ms since the run's start. */
  readonly t: number;
  readonly inFlight: number;
  /** The limit at that moment (it may change, e.g. when the provider's limit is halved). */
  readonly limit: number | null;
  readonly waiting: number;
}

export interface ResourceFigures {
  readonly kind: ResourceKindName;
  readonly name: string;
  /** The configured limit; null when unbounded. */
  readonly limit: number | null;
  /** Most units in flight at once (the resource's own peak when it tracks one, else the samples' max). */
  readonly maxInFlight: number;
  /** Most callers waiting at once in the samples. */
  readonly maxWaiting: number;
  /** `maxInFlight / limit`; null when unbounded. Must never pass 1. */
  readonly peakUtilization: number | null;
  readonly samples: readonly ResourceSample[];
  readonly sampleIntervalMs: number;
}

export interface DatabaseFigures {
  /** Most connections from the harness's pool the server itself reported (pg_stat_activity, by application_name). */
  readonly maxServerConnections: number;
  /** The pool's `max`. */
  readonly poolMax: number;
  /** Server-side connection counts over time. */
  readonly samples: readonly { readonly t: number; readonly connections: number }[];
  /** Writes the pool acknowledged (the INSERT returned). */
  readonly acknowledgedWrites: number;
  /** Of those, rows found in the table after the run: must equal `acknowledgedWrites`. */
  readonly writesFound: number;
}

export interface ProviderFigures {
  /** Model requests the fake provider received, accepted, and answered 429. */
  readonly requests: number;
  readonly accepted: number;
  /** 429s received by the clients (each one retried or surfaced as RateLimitedError). */
  readonly rejected429: number;
  /** The provider's limit at the start and at the end of the run, per its window. */
  readonly limit: { readonly start: number; readonly end: number; readonly perMs: number };
  /** Most requests the provider answered at once. */
  readonly maxInFlight: number;
}

export interface MemorySample {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** Event-loop delay p99 over the interval ending at `t`, ms. */
  readonly eventLoopP99Ms: number;
  readonly eventLoopMaxMs: number;
}

export interface ProcessFigures {
  readonly peakRss: number;
  readonly peakHeapUsed: number;
  /** `--max-old-space-size` the run used, in MB; null when unlimited (only the `memory` chaos sets it). */
  readonly heapLimitMb: number | null;
  /** Event-loop delay over the whole run, ms. */
  readonly eventLoop: {
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly meanMs: number;
  };
  readonly samples: readonly MemorySample[];
}

export interface MonitorWarning {
  /** ms since the run's start. */
  readonly at: number;
  readonly level: 'warning' | 'recovered';
  readonly kind: ResourceKindName;
  readonly name: string;
  readonly utilization: number;
  readonly message: string;
}

export interface FaultWindow {
  /** The fault injected (`db-kill`, `partition`, `event-loop-block`…). */
  readonly name: string;
  readonly startMs: number;
  /** null when the fault lasted to the end of the run. */
  readonly endMs: number | null;
  /** Time from `endMs` until operations of the affected kinds succeeded again; null when not measured or never. */
  readonly recoveredAfterMs: number | null;
}

export interface MustHoldCheck {
  /** Stable id, e.g. `limits-held`, `all-accounted`, `writes-durable`, `recovered`, `alerts-accurate`. */
  readonly name: string;
  readonly ok: boolean;
  /** What was measured against what was required, in one line. */
  readonly detail: string;
}

export interface ReferenceFigures {
  /** A trivial in-process async operation (`Semaphore.run` of a resolved promise), ops/s. */
  readonly inProcessOpsPerSec: number;
  /** Trivial loopback HTTP GETs through an undici client (no added latency), req/s. */
  readonly loopbackHttpReqPerSec: number;
  /** A trivial `SELECT 1` through the pool, queries/s; null when the database was not reachable. */
  readonly dbSelectPerSec: number | null;
}
