/**
 * The `runtime` suite: throughput and memory of bounded's fan-out primitives against the npm
 * peers and the raw floors.
 *
 * - `c=1`, `c=10`, `c=100`: one million trivial async tasks through a limit of 1, 10, 100, in
 *   ops/s, each also with its child's peak RSS (`c=10 peak-rss`, MB).
 * - `gen=10M heap-growth`: ten million items from a sync generator, concurrency 10: peak heap
 *   growth in MB, against `Promise.all` over the same items. `gen=2M heap-growth` repeats it
 *   under V8's Promise.all limit, so that the contrast has a number.
 */
import v8 from 'node:v8';
import { Sema } from 'async-sema';
import pLimit from 'p-limit';
import pMap from 'p-map';
import PQueue from 'p-queue';
import { Semaphore, forEachBounded, mapBounded } from '@bounded/runtime';
import { peakRss, type Measurement, type RunContext, type Sample, type Suite, type SuiteOptions, type Target } from '../suite.js';

const LIMITS = [1, 10, 100] as const;
const MiB = 1024 * 1024;

/** The task every contender runs: as cheap as an async function gets. */
const work = async (i: number): Promise<number> => i;

/** Starts a workload of `n` tasks at concurrency `c`; preparation (input arrays) is untimed. */
type Prepare = (n: number, c: number) => () => Promise<unknown>;

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

const throughput: ReadonlyArray<readonly [name: string, prepare: Prepare]> = [
  [
    'Semaphore.run',
    (n, c) => () => {
      const sem = new Semaphore(c);
      const all = new Array<Promise<number>>(n);
      for (let i = 0; i < n; i++) all[i] = sem.run(() => work(i));
      return Promise.all(all);
    },
  ],
  [
    'mapBounded',
    (n, c) => {
      const items = range(n);
      return () => mapBounded(items, work, { concurrency: c });
    },
  ],
  [
    'p-limit',
    (n, c) => () => {
      const limit = pLimit(c);
      const all = new Array<Promise<number>>(n);
      for (let i = 0; i < n; i++) all[i] = limit(() => work(i));
      return Promise.all(all);
    },
  ],
  [
    'p-map',
    (n, c) => {
      const items = range(n);
      return () => pMap(items, work, { concurrency: c });
    },
  ],
  [
    'p-queue',
    (n, c) => () => {
      const queue = new PQueue({ concurrency: c });
      const all = new Array<Promise<number>>(n);
      for (let i = 0; i < n; i++) all[i] = queue.add(() => work(i));
      return Promise.all(all);
    },
  ],
  [
    'async-sema',
    (n, c) => () => {
      const sema = new Sema(c);
      const one = async (i: number): Promise<number> => {
        await sema.acquire();
        try {
          return await work(i);
        } finally {
          sema.release();
        }
      };
      const all = new Array<Promise<number>>(n);
      for (let i = 0; i < n; i++) all[i] = one(i);
      return Promise.all(all);
    },
  ],
  [
    // Sequential awaits: what one task at a time costs with no limiter at all.
    'floor:await-loop',
    (n) => async () => {
      const results = new Array<number>(n);
      for (let i = 0; i < n; i++) results[i] = await work(i);
      return results;
    },
  ],
  [
    // Promise.all over consecutive chunks of `c`: bounded, but each chunk waits for its slowest.
    'floor:promise-all-chunks',
    (n, c) => async () => {
      const results = new Array<number>(n);
      for (let start = 0; start < n; start += c) {
        const end = Math.min(n, start + c);
        const chunk = new Array<Promise<number>>(end - start);
        for (let i = start; i < end; i++) chunk[i - start] = work(i);
        const values = await Promise.all(chunk);
        for (let i = start; i < end; i++) results[i] = values[i - start]!;
      }
      return results;
    },
  ],
  [
    // `c` async workers pulling from a shared index: the ceiling for a lazily fed bounded map.
    'floor:worker-loop',
    (n, c) => async () => {
      const results = new Array<number>(n);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          results[i] = await work(i);
        }
      };
      await Promise.all(Array.from({ length: c }, worker));
      return results;
    },
  ],
];

/** Warms the JIT with a small run, collects, then times the full run. */
async function opsPerSecond(context: RunContext, n: number, c: number, prepare: Prepare): Promise<number> {
  await prepare(Math.max(1_000, Math.floor(n / 50)), c)();
  context.gc();
  const start = prepare(n, c);
  const t0 = performance.now();
  await start();
  return n / ((performance.now() - t0) / 1000);
}

function* numbers(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}

type Consume = (items: Iterable<number>) => Promise<unknown>;

const heap: ReadonlyArray<readonly [name: string, consume: Consume]> = [
  ['mapBounded', (items) => mapBounded(items, work, { concurrency: 10 })],
  ['forEachBounded', (items) => forEachBounded(items, work, { concurrency: 10 })],
  ['floor:promise-all', (items) => Promise.all(Array.from(items, work))],
];

/**
 * Peak heap growth over the run: the most the heap held right after any collection during the
 * run (`v8.GCProfiler`, so microtask-only workloads that never yield to a timer are covered
 * too), or after a final full collection with the result still reachable, minus the heap after
 * a full collection before the run.
 */
async function heapGrowth(context: RunContext, count: number, consume: Consume): Promise<Sample> {
  context.gc();
  const before = v8.getHeapStatistics().used_heap_size;
  const profiler = new v8.GCProfiler();
  profiler.start();
  const t0 = performance.now();
  const result = await consume(numbers(count));
  const seconds = (performance.now() - t0) / 1000;
  context.gc();
  const after = v8.getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  // Read after the collection, so the result array counts as live in `after`.
  const results = Array.isArray(result) ? result.length : 0;
  let peak = after;
  for (const gc of statistics) peak = Math.max(peak, gc.afterGC.heapStatistics.usedHeapSize);
  return {
    value: (peak - before) / MiB,
    extra: { retained: (after - before) / MiB, opsPerSecond: count / seconds, results },
  };
}

/** 10000000 → "10M", 200000 → "200k". */
function shortCount(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** V8 refuses Promise.all over more than 2^21 - 1 elements. */
const PROMISE_ALL_MAX = 2 ** 21 - 1;

function counts({ quick }: SuiteOptions): { tasks: number; generator: number; underLimit: number } {
  return quick
    ? { tasks: 20_000, generator: 200_000, underLimit: 100_000 }
    : { tasks: 1_000_000, generator: 10_000_000, underLimit: 2_000_000 };
}

function measurements(options: SuiteOptions): Measurement[] {
  const { tasks, generator, underLimit } = counts(options);
  const list: Measurement[] = [];

  for (const c of LIMITS) {
    const scenario = `c=${c}`;
    for (const [name, prepare] of throughput) {
      list.push({
        name,
        scenario,
        unit: 'ops/s',
        ratioVs: name === 'mapBounded' ? ['p-limit', 'p-map', 'floor:worker-loop'] : ['p-limit'],
        extra: [peakRss(scenario)],
        execArgv: ['--expose-gc'],
        run: (context) => opsPerSecond(context, tasks, c, prepare),
      });
    }
  }

  for (const count of [generator, underLimit]) {
    const base = `gen=${shortCount(count)}`;
    for (const [name, consume] of heap) {
      const overLimit = name === 'floor:promise-all' && count > PROMISE_ALL_MAX;
      list.push({
        name,
        scenario: `${base} heap-growth`,
        unit: 'MB',
        ratioVs: ['floor:promise-all'],
        extra: [peakRss(base)],
        execArgv: ['--expose-gc', '--max-old-space-size=8192'],
        ...(name === 'floor:promise-all'
          ? {
              mayFail: true,
              timeoutMs: overLimit ? 30_000 : 120_000,
              failureNote: overLimit
                ? `V8 refuses Promise.all over more than ${PROMISE_ALL_MAX.toLocaleString('en-US')} elements ` +
                  '(RangeError), but on Node 20 it does not say so promptly: Promise.all over 2.1M settled ' +
                  'promises was still busy after 9 minutes when we tried. The child is stopped at its time limit; ' +
                  `the ${shortCount(underLimit)} rows give the contrast a number.`
                : 'allowed to fail: an unbounded Promise.all may exhaust memory.',
            }
          : {}),
        run: (context) => heapGrowth(context, count, consume),
      });
    }
  }
  return list;
}

function targets(options: SuiteOptions): Target[] {
  const { generator, underLimit } = counts(options);
  const big = `gen=${shortCount(generator)} heap-growth`;
  const small = `gen=${shortCount(underLimit)} heap-growth`;
  return [
    ...LIMITS.map((c) => ({ name: 'Semaphore.run', scenario: `c=${c}`, ratioVs: 'p-limit', atLeast: 1.2, source: 'issue' })),
    ...LIMITS.map((c) => ({ name: 'mapBounded', scenario: `c=${c}`, ratioVs: 'p-map', atLeast: 1, source: 'proposed' })),
    // O(concurrency): the heap must not grow with the number of items.
    { name: 'forEachBounded', scenario: big, atMost: 16, source: 'proposed' },
    // O(results): the result array holds 8 bytes an item (76 MB for 10M); grown by appending,
    // old backing stores linger until a full collection, so allow 32 bytes an item.
    { name: 'mapBounded', scenario: big, atMost: Math.ceil((32 * generator) / MiB), source: 'proposed' },
    { name: 'mapBounded', scenario: small, ratioVs: 'floor:promise-all', atMost: 0.25, source: 'proposed' },
  ];
}

const suite: Suite = {
  name: 'runtime',
  description:
    '1M trivial async tasks at limits 1, 10, 100 (ops/s, peak RSS); mapBounded / forEachBounded over a 10M-item generator (heap growth)',
  measurements,
  targets,
};

export default suite;
