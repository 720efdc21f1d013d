/**
 * One replica in the Redis store's multi-process tests (test/runtime/store/redis-processes.test.ts).
 * It is bundled by redis-harness.ts and run as a plain `node` child; its job comes as one JSON
 * argument, and it reports over IPC. Times are `process.hrtime` (CLOCK_MONOTONIC), which every
 * process on the machine shares, so the parent can merge the replicas' timelines.
 *
 * Jobs:
 * - `rate`: `workers` loops call `acquire()` on a shared `SlidingWindow` until `durationMs`
 *   has passed since `startAt`; reports every admission time.
 * - `semaphore`: `workers` loops take a lease on the shared semaphore key, hold it a random
 *   1–`holdMs` ms, release it; reports every [acquired, releasing] interval.
 * - `hold`: takes `count` leases, renews them every ttl/3, says `holding`, and waits to be killed.
 * - `take`: waits for `count` leases and says when it has them all.
 */
import { randomUUID } from 'node:crypto';
import { SlidingWindow } from '../../../runtime/rate-limit/index.js';
import { createRedisStore, type RedisStore } from '../../../runtime/store/redis.js';

export type ChildJob =
  | {
      readonly kind: 'rate';
      readonly url: string;
      readonly key: string;
      readonly limit: number;
      readonly perMs: number;
      readonly workers: number;
      /** Milliseconds of Date.now() at which to start, so all replicas start together. */
      readonly startAt: number;
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
      readonly startAt: number;
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
  send({ type: 'ready' });
  await sleep(job.startAt - Date.now());
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

/** Waits for a lease: asks, then sleeps until the store's retry time or a wake-up. */
async function lease(store: RedisStore, job: { key: string; limit: number; ttlMs: number }, holder: string, wake: Set<() => void>): Promise<void> {
  for (;;) {
    const decision = await store.acquire(job.key, job.limit, holder, job.ttlMs);
    if (decision.acquired) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, decision.retryAfterMs + Math.random() * 5);
      wake.add(done);
    });
  }
}

async function semaphore(job: Extract<ChildJob, { kind: 'semaphore' }>): Promise<void> {
  const { store, calls } = counted(await createRedisStore({ url: job.url, operationTimeoutMs: 5_000 }));
  const wake = new Set<() => void>();
  // One wake-up per release: let one sleeper ask (the others keep their timers), in turn.
  await store.subscribe(job.key, () => {
    for (const sleeper of wake) {
      sleeper();
      break;
    }
  });
  send({ type: 'ready' });
  await sleep(job.startAt - Date.now());
  const deadline = monotonicMs() + job.durationMs;
  const times: number[] = [];
  const errors: string[] = [];
  const worker = async (): Promise<void> => {
    while (monotonicMs() < deadline) {
      const holder = randomUUID();
      try {
        await lease(store, job, holder, wake);
        const acquiredAt = monotonicMs();
        await sleep(1 + Math.random() * (job.holdMs - 1));
        times.push(acquiredAt, monotonicMs());
        await store.release(job.key, holder);
      } catch (error) {
        errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: job.workers }, worker));
  send({ type: 'done', times, errors, storeCalls: calls() });
  await store.close();
}

async function hold(job: LeaseJob): Promise<void> {
  const store = await createRedisStore({ url: job.url, operationTimeoutMs: 5_000 });
  const holders = Array.from({ length: job.count }, () => `${process.pid}-${randomUUID()}`);
  for (const holder of holders) await lease(store, job, holder, new Set());
  // Renew well before expiry, as the shared semaphore does, until killed.
  setInterval(() => {
    for (const holder of holders) void store.renew(job.key, holder, job.ttlMs).catch(() => undefined);
  }, job.ttlMs / 3);
  send({ type: 'holding', holders });
}

async function take(job: LeaseJob): Promise<void> {
  const store = await createRedisStore({ url: job.url, operationTimeoutMs: 5_000 });
  const wake = new Set<() => void>();
  await store.subscribe(job.key, () => {
    for (const sleeper of wake) sleeper();
  });
  send({ type: 'ready' });
  await Promise.all(Array.from({ length: job.count }, () => lease(store, job, randomUUID(), wake)));
  send({ type: 'took', at: monotonicMs() });
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
