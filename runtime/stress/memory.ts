/**
 * The `memory` chaos: heavy load in a child process whose V8 heap is capped
 * (`--max-old-space-size`), with arrivals far above what the system can serve. Each arrival
 * carries a heap-resident payload, so a queue without a bound would grow until the child dies
 * of "JavaScript heap out of memory"; bounded's admission semaphore (limit and `maxQueue`)
 * must refuse the excess with `QueueFullError` instead, and the child must finish its run.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultPolicy } from '@bounded/policy';
import type { StressOptions } from './harness.js';
import { LEVELS, peakConcurrency } from './levels.js';
import { openStressDatabase } from './postgres.js';
import type { MustHoldCheck, StressResult } from './types.js';

/** What the parent hands the child (JSON in an environment variable). */
export interface MemoryChildInput {
  readonly databaseUrl: string;
  readonly options: Omit<StressOptions, 'database' | 'onProgress' | 'childExecArgv' | 'policy'> & {
    readonly policy: unknown;
  };
}

export type MemoryChildMessage =
  | { readonly type: 'progress'; readonly line: string }
  | { readonly type: 'result'; readonly result: StressResult };

export const CHILD_ENV = 'BOUNDED_STRESS_CHILD';
const MB = 1024 * 1024;
/** Room for the workload at heavy load with its queues full; an unbounded queue outgrows it in seconds. */
export const DEFAULT_HEAP_LIMIT_MB = 256;
/** Arrivals per second: several times what the workload serves on a small machine. */
const FLOOD_RATE = 4_000;
const PAYLOAD_BYTES = 16 * 1024;

// eslint-disable-next-line max-lines-per-function -- one child-process run: build the input, spawn, read its result, and clean up in one try/finally
export async function runMemoryChaos(options: StressOptions): Promise<StressResult> {
  const heapLimitMb = options.heapLimitMb ?? DEFAULT_HEAP_LIMIT_MB;
  const progress = options.onProgress ?? (() => undefined);
  const ownsDatabase = options.database === undefined;
  const db = options.database ?? (await openStressDatabase());
  const heavy = LEVELS.heavy;
  const level = peakConcurrency(LEVELS[options.level ?? 'heavy']) >= heavy.concurrency ? (options.level ?? 'heavy') : 'heavy';
  const durationMs = options.durationMs ?? heavy.defaultDurationMs;
  const input: MemoryChildInput = {
    databaseUrl: db.url,
    options: {
      level,
      durationMs,
      chaos: 'memory',
      seed: options.seed,
      policy: options.policy ?? defaultPolicy(),
      httpLatencyMs: options.httpLatencyMs,
      providerLatencyMs: options.providerLatencyMs,
      maxTimeoutMs: options.maxTimeoutMs,
      providerTimeScale: options.providerTimeScale,
      sampleIntervalMs: options.sampleIntervalMs,
      // A short line in front of the level's concurrency: callers beyond it are told at once.
      flood: { ratePerSec: FLOOD_RATE, payloadBytes: PAYLOAD_BYTES, maxQueue: Math.ceil(peakConcurrency(LEVELS[level]) / 10) },
    },
  };
  const here = fileURLToPath(import.meta.url);
  const script = here.replace(/memory\.(ts|js)$/, 'child.$1');
  progress(`memory: child with --max-old-space-size=${heapLimitMb}, ${FLOOD_RATE} arrivals/s of ${PAYLOAD_BYTES / 1024} KB each`);
  try {
    // eslint-disable-next-line bounded/no-unmanaged-background-work -- one child per measurement, awaited below
    const child = fork(script, [], {
      execArgv: [...(options.childExecArgv ?? []), `--max-old-space-size=${heapLimitMb}`],
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(input) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_384);
    });
    let result: StressResult | undefined;
    child.on('message', (message: MemoryChildMessage) => {
      if (message.type === 'progress') progress(`[child] ${message.line}`);
      else result = message.result;
    });
    const limitMs = durationMs * 4 + 120_000;
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: null, signal: 'SIGKILL', timedOut: true });
      }, limitMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, timedOut: false });
      });
    });
    const outOfMemory = /heap out of memory|Allocation failed/i.test(stderr);
    if (result === undefined) {
      throw new Error(
        `memory chaos: the child ended without a result (exit ${exit.code ?? exit.signal}${exit.timedOut ? ', killed after ' + limitMs + ' ms' : ''}` +
          `${outOfMemory ? ', out of memory' : ''})\n${stderr.slice(-4_000)}`,
      );
    }
    const rejected = result.operations.reduce((n, op) => n + (op.errors.QueueFullError ?? 0), 0);
    const checks: MustHoldCheck[] = [
      ...result.checks,
      {
        name: 'child-survived',
        ok: exit.code === 0 && !outOfMemory,
        detail: `child under a ${heapLimitMb} MB heap exited ${exit.code ?? exit.signal}${outOfMemory ? ' out of memory' : ''}`,
      },
      {
        name: 'queue-full-rejections',
        ok: rejected > 0,
        detail: `${rejected} of ${result.totals.started} arrivals refused with QueueFullError (expected many: arrivals far above capacity)`,
      },
      {
        name: 'heap-within-limit',
        ok: result.process.peakHeapUsed < heapLimitMb * MB,
        detail: `peak heap ${Math.round(result.process.peakHeapUsed / MB)} MB of the ${heapLimitMb} MB limit`,
      },
    ];
    return {
      ...result,
      meta: { ...result.meta, database: db.origin },
      process: { ...result.process, heapLimitMb },
      checks,
      ok: checks.every((check) => check.ok),
    };
  } finally {
    if (ownsDatabase) await db.close();
  }
}
