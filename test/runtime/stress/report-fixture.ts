import type { IntervalFigures, OperationFigures, OperationKind, StressResult } from '../../../runtime/stress/types.js';

export interface SampleOptions {
  readonly throughput?: number;
  readonly p99?: number;
  readonly reference?: number;
  readonly dbReference?: number | null;
  readonly level?: StressResult['meta']['level'];
  readonly chaos?: StressResult['meta']['chaos'];
  readonly digest?: string;
  readonly succeeded?: number;
}

function op(kind: OperationKind, throughput: number, p99: number, succeeded: number): OperationFigures {
  return {
    kind,
    started: succeeded + 2,
    succeeded,
    failed: 2,
    unsettled: 0,
    untyped: 0,
    throughput,
    latency: { p50: p99 / 4, p95: p99 / 2, p99, max: p99 * 2, mean: p99 / 3 },
    failureLatency: { p50: 5, p95: 9, p99: 10, max: 10, mean: 6 },
    errors: { TimeoutError: 1, QueueFullError: 1 },
  };
}

/** A small but complete StressResult whose figures scale with the options. */
export function sampleResult(options: SampleOptions = {}): StressResult {
  const throughput = options.throughput ?? 100;
  const p99 = options.p99 ?? 40;
  const succeeded = options.succeeded ?? 1000;
  const samples = [0, 500, 1000, 1500, 2000].map((t, i) => ({
    t,
    inFlight: [0, 8, 10, 6, 0][i]!,
    limit: 10,
    waiting: [0, 3, 12, 1, 0][i]!,
  }));
  return {
    schemaVersion: 1,
    meta: {
      level: options.level ?? 'light',
      chaos: options.chaos ?? null,
      durationMs: 2000,
      elapsedMs: 2100,
      seed: 7,
      targetConcurrency: 100,
      node: 'v20.0.0',
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      startedAt: '2026-11-28T12:00:00.000Z',
      policy: { file: null, digest: options.digest ?? 'a'.repeat(64) },
      database: 'throwaway',
      version: '0.1.0',
    },
    totals: { started: succeeded * 2 + 4, succeeded: succeeded * 2, failed: 4, unsettled: 0, untyped: 0, throughput: throughput * 2 },
    operations: [op('db-read', throughput, p99, succeeded), op('http', throughput, p99 * 2, succeeded)],
    resources: [
      { kind: 'pool', name: 'default', limit: 10, maxInFlight: 10, maxWaiting: 12, peakUtilization: 1, samples, sampleIntervalMs: 500 },
      {
        kind: 'limiter',
        name: 'openai',
        limit: null,
        maxInFlight: 3,
        maxWaiting: 0,
        peakUtilization: null,
        samples: [],
        sampleIntervalMs: 500,
      },
    ],
    database: {
      maxServerConnections: 10,
      poolMax: 10,
      samples: samples.map((s) => ({ t: s.t, connections: s.inFlight })),
      acknowledgedWrites: 50,
      writesFound: 50,
    },
    provider: { requests: 120, accepted: 100, rejected429: 20, limit: { start: 60, end: 30, perMs: 1000 }, maxInFlight: 5 },
    process: {
      peakRss: 200 * 1024 * 1024,
      peakHeapUsed: 80 * 1024 * 1024,
      heapLimitMb: null,
      eventLoop: { p50Ms: 1, p99Ms: 12, maxMs: 40, meanMs: 2 },
      samples: samples.map((s) => ({ t: s.t, rss: 150e6, heapUsed: 60e6, heapTotal: 90e6, eventLoopP99Ms: 10, eventLoopMaxMs: 20 })),
    },
    warnings: [
      { at: 900, level: 'warning', kind: 'pool', name: 'default', utilization: 1, message: 'pool default at 100 % of 10 <script>' },
      { at: 1800, level: 'recovered', kind: 'pool', name: 'default', utilization: 0.2, message: 'pool default back to 20 %' },
    ],
    faults: [{ name: 'db-kill', startMs: 800, endMs: 1200, recoveredAfterMs: 150 }],
    checks: [
      { name: 'limits-held', ok: true, detail: 'pool default peaked at 10 of 10' },
      { name: 'all-accounted', ok: true, detail: 'started = succeeded + failed' },
    ],
    ok: true,
    reference: {
      inProcessOpsPerSec: 1_000_000,
      loopbackHttpReqPerSec: options.reference ?? 5000,
      dbSelectPerSec: options.dbReference === undefined ? 2000 : options.dbReference,
    },
    timeline: [500, 1000, 1500, 2000].map(
      (t, i): IntervalFigures => ({
        t,
        intervalMs: 500,
        succeeded: 50 + i,
        failed: i === 1 ? 3 : 0,
        p50: 10,
        p95: 20,
        p99: i === 0 ? null : 30,
        errors: i === 1 ? { TimeoutError: 2, PoolConnectionError: 1 } : {},
      }),
    ),
  };
}
