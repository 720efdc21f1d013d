/**
 * One replica in the Redis store's multi-process tests (test/runtime/store/redis-processes.test.ts).
 * It is bundled by redis-harness.ts and run as a plain `node` child; its job comes as one JSON
 * argument, and it reports over IPC; `rate` and `semaphore` jobs say `ready` and wait for the
 * parent's `go` (a start time), so every replica starts together once the parent watches. Times are `process.hrtime` (CLOCK_MONOTONIC), which every
 * process on the machine shares, so the parent can merge the replicas' timelines.
 *
 * Jobs:
 * - `rate`: `workers` loops call `acquire()` on a shared `SlidingWindow` until `durationMs`
 *   has passed since the start time; reports every admission time.
 * - `semaphore`: `workers` loops take a permit of a shared `Semaphore`, hold it a random
 *   1–`holdMs` ms, release it; reports every [acquired, releasing] interval.
 * - `hold`: takes `count` permits (the semaphore renews their leases every ttl/3), says
 *   `holding`, and waits to be killed.
 * - `take`: waits for `count` permits and says when it has them all.
 */
import { SlidingWindow } from '../../../runtime/rate-limit/index.js';
import { Semaphore } from '../../../runtime/semaphore.js';
import { createRedisStore, type RedisStore } from '../../../runtime/store/redis.js';

export type ChildJob =
  | {
      readonly kind: 'rate';
      readonly url: string;
      readonly key: string;
      readonly limit: number;
      readonly perMs: number;
      readonly workers: number;
      /** How long to keep acquiring after the start time. */
      readonly durationMs: number;
    }
  | {
      readonly kind: 'semaphore';
      readonly url: string;
      readonly key: string;
      readonly limit: number;
      readonly ttlMs: number;
      readonly workers: number;
      readonly holdMs: number;
      readonly durationMs: number;
    }
  | LeaseJob;

/** `hold` or `take` `count` leases of a semaphore of `limit`. */
export interface LeaseJob {
  readonly kind: 'hold' | 'take';
  readonly url: string;
  readonly key: string;
  readonly limit: number;
  readonly ttlMs: number;
  readonly count: number;
}

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'holding'; readonly holders: readonly string[] }
  | { readonly type: 'took'; readonly at: number }
  | {
      readonly type: 'done';
      /** Rate: admission times. Semaphore: flat [acquiredAt, releasingAt, …] pairs. */
      readonly times: readonly number[];
      readonly errors: readonly string[];
      /** Store calls made, for "no hammering" checks. */
      readonly storeCalls: number;
    }
  | { readonly type: 'failed'; readonly error: string };

/** Milliseconds on the clock every process on this machine shares. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the parent sends once every replica is ready: start at this Date.now() time. */
export interface ChildGo {
  readonly type: 'go';
  readonly startAt: number;
}

/** Says `ready`, waits for the parent's go-ahead, then sleeps until its start time. */
async function readyThenGo(): Promise<void> {
  const go = new Promise<ChildGo>((resolve) => {
    process.once('message', (message: ChildGo) => resolve(message));
  });
  send({ type: 'ready' });
  const { startAt } = await go;
  await sleep(startAt - Date.now());
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Counts the store's calls, to show waiters sleep instead of polling. */
function counted(store: RedisStore): { store: RedisStore; calls: () => number } {
  let calls = 0;
  for (const method of ['tryAcquire', 'acquire', 'renew', 'release'] as const) {
    const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls++;
      return original(...args);
    };
  }
  return { store, calls: () => calls };
}

async function rate(job: Extract<ChildJob, { kind: 'rate' }>): Promise<void> {
  const { store, calls } = counted(await createRedisStore({ url: job.url, operationTimeoutMs: 5_000 }));
  const window = new SlidingWindow({ limit: job.limit, per: job.perMs, name: job.key, store });
  await store.ping();
  await readyThenGo();
  const end = new AbortController();
  const stop = setTimeout(() => end.abort(new Error('time is up')), job.durationMs);
  const times: number[] = [];
  const errors: string[] = [];
  const worker = async (): Promise<void> => {
    while (!end.signal.aborted) {
      try {
        await window.acquire({ signal: end.signal });
        times.push(monotonicMs());
      } catch (error) {
        if (!end.signal.aborted) errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: job.workers }, worker));
  clearTimeout(stop);
  window.close();
  send({ type: 'done', times, errors, storeCalls: calls() });
  await store.close();
}

async function semaphore(job: Extract<ChildJob, { kind: 'semaphore' }>): Promise<void> {
  const { store, calls } = counted(await createRedisStore({ url: job.url, operationTimeoutMs: 5_000 }));
  const shared = new Semaphore(job.limit, { name: job.key, store, leaseTtlMs: job.ttlMs });
  await store.ping();
  await readyThenGo();
  const deadline = monotonicMs() + job.durationMs;
  const times: number[] = [];
  const errors: string[] = [];
  const worker = async (): Promise<void> => {
    while (monotonicMs() < deadline) {
      try {
        const permit = await shared.acquire();
        // Counted from the store's grant until just before the release is sent: inside the lease.
        const acquiredAt = monotonicMs();
        await sleep(1 + Math.random() * (job.holdMs - 1));
        times.push(acquiredAt, monotonicMs());
        permit.release();
      } catch (error) {
        errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: job.workers }, worker));
  shared.close();
  // Let the last releases reach the store before the connection closes.
  await sleep(50);
  send({ type: 'done', times, errors, storeCalls: calls() });
  await store.close();
}

async function hold(job: LeaseJob): Promise<void> {
  const store = await createRedisStore({ url: job.url, operationTimeoutMs: 5_000 });
  const shared = new Semaphore(job.limit, { name: job.key, store, leaseTtlMs: job.ttlMs });
  await Promise.all(Array.from({ length: job.count }, () => shared.acquire()));
  const holders = (await store.holders(job.key)).map((lease) => lease.holderId);
  // The semaphore renews the leases every ttl/3 (its timer does not keep a process alive, the
  // work holding the permits does): stay alive until killed.
  setInterval(() => undefined, 60_000);
  send({ type: 'holding', holders });
}

async function take(job: LeaseJob): Promise<void> {
  const store = await createRedisStore({ url: job.url, operationTimeoutMs: 5_000 });
  const shared = new Semaphore(job.limit, { name: job.key, store, leaseTtlMs: job.ttlMs });
  await store.ping();
  send({ type: 'ready' });
  await Promise.all(Array.from({ length: job.count }, () => shared.acquire()));
  send({ type: 'took', at: monotonicMs() });
  setInterval(() => undefined, 60_000);
}

const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
const run = { rate, semaphore, hold, take }[job.kind] as (job: ChildJob) => Promise<void>;
run(job).then(
  () => {
    if (job.kind === 'rate' || job.kind === 'semaphore') process.disconnect?.();
  },
  (error: unknown) => {
    send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
