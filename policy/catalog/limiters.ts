/**
 * Concurrency and rate limiters bounded knows: which exports build one, the methods that run a
 * task through one or wait for a slot, and the names people give them. `no-unbounded-concurrency`
 * and `no-unthrottled-provider-call` accept work that goes through one, `bound-promise-all` and
 * `throttle-provider-calls` leave such work alone, and the policy's `lint.limiters` adds a
 * project's own.
 */

export interface LimiterPackage {
  readonly module: string;
  /** Exports that build a limiter; '*' for every export. */
  readonly exports: readonly string[] | '*';
  /** What it bounds: how many run at once, how many start per interval, or both. */
  readonly bounds: 'concurrency' | 'rate' | 'both';
  /** A call of the export bounds its callback only with this option set finite (p-map's `concurrency` defaults to Infinity). */
  readonly knob?: { readonly option: string; readonly optionsIndex: number };
  /** Methods of what it builds that run a task through it, besides LIMITER_RUN_METHODS (AsyncCaller's `call`). */
  readonly runMethods?: readonly string[];
}

/** bounded's own runtime exports that are, or make, a limiter. */
export const BOUNDED_LIMITER_EXPORTS: readonly string[] = [
  'Semaphore',
  'TokenBucket',
  'SlidingWindow',
  'providerLimiter',
  'throttleClient',
  'ConcurrencyManager',
];

/** The specifiers bounded's runtime is imported from. */
export const BOUNDED_RUNTIME_MODULES: readonly string[] = ['@bounded/runtime', '@bounded/runtime/core'];

export const LIMITER_PACKAGES: readonly LimiterPackage[] = [
  { module: 'p-limit', exports: ['default', 'limitFunction'], bounds: 'concurrency' },
  { module: 'p-throttle', exports: '*', bounds: 'rate' },
  { module: 'p-queue', exports: ['default'], bounds: 'both' },
  // pMap(items, fn, { concurrency }) runs fn under its own limit.
  { module: 'p-map', exports: ['default', 'pMapIterable'], bounds: 'concurrency', knob: { option: 'concurrency', optionsIndex: 2 } },
  { module: 'bottleneck', exports: '*', bounds: 'both' },
  { module: 'async-sema', exports: ['Sema', 'RateLimit'], bounds: 'both' },
  { module: 'async-mutex', exports: ['Mutex', 'Semaphore', 'withTimeout'], bounds: 'concurrency' },
  { module: 'limiter', exports: ['RateLimiter', 'TokenBucket'], bounds: 'rate' },
  // LangChain's AsyncCaller (a p-queue inside): `caller.call(fn)` is bounded only by a finite maxConcurrency, Infinity by default.
  {
    module: '@langchain/core/utils/async_caller',
    exports: ['AsyncCaller'],
    bounds: 'concurrency',
    knob: { option: 'maxConcurrency', optionsIndex: 0 },
    runMethods: ['call', 'callWithOptions'],
  },
  ...BOUNDED_RUNTIME_MODULES.map((module): LimiterPackage => ({ module, exports: BOUNDED_LIMITER_EXPORTS, bounds: 'both' })),
];

/** bounded's fan-out helpers whose callback runs once per item, under a concurrency bound: (items, fn, options). */
export const BOUNDED_MAPPERS: readonly string[] = ['mapBounded', 'mapBoundedSettled', 'forEachBounded'];

/** Methods that run a task through a limiter object: `sem.run(fn)`, `queue.add(fn)`, `limiter.schedule(fn)`. */
export const LIMITER_RUN_METHODS: readonly string[] = [
  'run',
  'schedule',
  'add',
  'wrap',
  'submit',
  'runExclusive',
  ...LIMITER_PACKAGES.flatMap((entry) => entry.runMethods ?? []),
];
/** Methods that wait for a slot or a token before the work starts. */
export const LIMITER_WAIT_METHODS: readonly string[] = ['acquire', 'removeTokens', 'waitForToken'];
/** Methods of a manager that hand out a limiter: `manager.semaphore('db')`. */
export const LIMITER_GETTERS: readonly string[] = ['semaphore', 'limiter', 'queue', 'rateLimiter'];
/** Names people give limiters: `sem`, `dbSemaphore`, `openaiLimiter`, `jobQueue`, `this.throttle`. */
export const LIMITER_NAME = /(?:^|[a-z0-9_])(?:sem|sema|semaphore|limit|limiter|queue|throttle|throttler|bottleneck|mutex)$/i;
/** Type names of limiters, when type information is available. */
export const LIMITER_TYPES: readonly string[] = [
  'Semaphore',
  'Sema',
  'PQueue',
  'Bottleneck',
  'LimitFunction',
  'TokenBucket',
  'SlidingWindow',
  'RateLimiter',
  'Mutex',
];
/** Names of helpers that pause: `sleep(ms)`, `delay(ms)`, `wait(ms)`, `backoff(attempt)`. */
export const PAUSE_NAME = /^(?:sleep|delay|wait|pause|backoff)(?:[A-Z_]|$)/;

/** The limiter package a module is, if any. */
export function limiterPackageOf(specifier: string): LimiterPackage | undefined {
  return LIMITER_PACKAGES.find((entry) => entry.module === specifier);
}

/** True when `imported` from `specifier` builds a limiter. */
export function isLimiterExport(specifier: string, imported: string): boolean {
  const entry = limiterPackageOf(specifier);
  return entry !== undefined && (entry.exports === '*' || entry.exports.includes(imported));
}

/**
 * Array methods whose callback runs once per element, all started together when it is async:
 * where the rule and the codemods look for the calls a fan-out repeats.
 */
export const ITERATION_METHODS: ReadonlySet<string> = new Set([
  'map',
  'flatMap',
  'forEach',
  'filter',
  'some',
  'every',
  'reduce',
  'reduceRight',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
]);
