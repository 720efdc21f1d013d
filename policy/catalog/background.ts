import { BLOCKING_CALLS } from './blocking.js';

/**
 * Work that outlives the call that started it, and the timeouts written by hand around it:
 * `no-unmanaged-background-work` and `no-handmade-timeout` find with these lists, and the
 * `track-background-work` and `modernize-timeouts` transforms rewrite with them.
 */

/** A callback API whose promise twin takes the same arguments (after the callback) and gives the same result. */
export interface PromiseTwin {
  /** The module the callback form is imported from (`node:` dropped). */
  readonly module: string;
  /** The callback form's export (`readFile`). */
  readonly name: string;
  /** The promise form, as code reaches it from the module object (`promises.readFile`). */
  readonly promises: string;
  /** The module the promise form can be imported from instead (`fs/promises`). */
  readonly promisesModule: string;
}

/** `fs` (and graceful-fs) callback methods with an `fs.promises` twin, from the blocking-call catalog's list. */
export const PROMISE_TWINS: readonly PromiseTwin[] = BLOCKING_CALLS.flatMap((call) =>
  call.module === 'fs' && call.promises !== undefined
    ? [{ module: 'fs', name: call.promises, promises: `promises.${call.promises}`, promisesModule: 'fs/promises' }]
    : [],
);

/** Modules whose callback APIs `PROMISE_TWINS` covers (graceful-fs re-exports fs's). */
export const PROMISE_TWIN_MODULES: readonly string[] = ['fs', 'graceful-fs'];

/** Something that starts a thread or a process, which a per-call function should take from a pool instead. */
export interface ThreadStarter {
  readonly module: string;
  /** The export; `new` for a class (`Worker`), a call otherwise (`fork`). */
  readonly name: string;
  readonly construct: boolean;
  /** What to use instead, as the rule's message says it. */
  readonly instead: string;
}

const POOL = 'a worker pool made once (piscina: `new Piscina({ filename, maxThreads })`, then `pool.run(task)`)';
const PROCESS = 'a bounded number of child processes (a Semaphore around the call, or a pool of long-lived processes)';

export const THREAD_STARTERS: readonly ThreadStarter[] = [
  { module: 'worker_threads', name: 'Worker', construct: true, instead: POOL },
  { module: 'child_process', name: 'fork', construct: false, instead: PROCESS },
  { module: 'child_process', name: 'spawn', construct: false, instead: PROCESS },
  { module: 'child_process', name: 'exec', construct: false, instead: PROCESS },
  { module: 'child_process', name: 'execFile', construct: false, instead: PROCESS },
  { module: 'cluster', name: 'fork', construct: false, instead: 'forking the cluster once at startup' },
];

/** Worker pools: a file that imports one is taken to pool its workers. */
export const WORKER_POOLS: readonly string[] = ['piscina', 'workerpool', 'tinypool', 'threads', 'poolifier', 'node-worker-threads-pool'];

/**
 * Tracked runners: a call handed to one of these is not fire-and-forget. `module` and `name`
 * as imported; `method` for a runner object's method (`queue.add`), matched by the method name
 * on an object built from `name` or, without that trace, by the names below. The policy's and
 * the rule's `runners` option add to it.
 */
export interface BackgroundRunnerEntry {
  readonly module: string;
  /** The export: a function that takes the task (`background`), or a class or factory of runner objects. */
  readonly name: string;
  /** For a runner object: the method that takes the task. */
  readonly method?: string;
}

export const BACKGROUND_RUNNERS: readonly BackgroundRunnerEntry[] = [
  { module: '@bounded/runtime', name: 'background' },
  { module: '@bounded/runtime/core', name: 'background' },
  { module: '@bounded/runtime', name: 'createBackgroundRunner', method: 'run' },
  { module: '@bounded/runtime/core', name: 'createBackgroundRunner', method: 'run' },
  { module: '@bounded/runtime', name: 'BackgroundRunner', method: 'run' },
  { module: 'p-queue', name: 'default', method: 'add' },
  { module: 'bullmq', name: 'Queue', method: 'add' },
  { module: 'bull', name: 'default', method: 'add' },
  { module: '@vercel/functions', name: 'waitUntil' },
  { module: 'next/server', name: 'after' },
];

/** Calls on `this` or a parameter named so are taken to go to a tracked runner when the trace ends (waitUntil, ctx.waitUntil). */
export const RUNNER_METHOD_NAMES: readonly string[] = ['waitUntil', 'background', 'runInBackground', 'enqueue'];

/**
 * Functions that run once per process, at start-up or shutdown (B-N3): work started in them, or
 * in a closure they return (`onTerminate() { return async () => … }`), is not per-call work.
 */
export const ONCE_HOOK_NAMES: readonly string[] = [
  'main',
  'bootstrap',
  'boot',
  'start',
  'startServer',
  'startWorker',
  'launch',
  'init',
  'initialize',
  'setup',
  'onModuleInit',
  'onApplicationBootstrap',
  'shutdown',
  'gracefulShutdown',
  'onTerminate',
  'onShutdown',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
];

/** Process events whose listeners run once, at shutdown: `process.on('SIGTERM', fn)`. */
export const SHUTDOWN_EVENTS: readonly string[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'beforeExit', 'exit'];

/**
 * Calls known to return a promise, for the untyped check of `no-unmanaged-background-work`:
 * module exports (`*` for every export), or globals with no module.
 */
export interface PromiseApi {
  readonly module?: string;
  readonly name: string;
}

export const PROMISE_APIS: readonly PromiseApi[] = [
  { name: 'fetch' },
  { module: 'fs/promises', name: '*' },
  { module: 'timers/promises', name: '*' },
  { module: 'dns/promises', name: '*' },
  { module: 'stream/promises', name: '*' },
  { module: 'readline/promises', name: '*' },
];
