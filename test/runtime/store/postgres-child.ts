/**
 * One replica of a service, run as its own OS process by the PostgreSQL multi-process tests
 * (bundled by postgres-harness.ts). It receives a job as JSON in argv[2], talks to the store
 * through bounded's real shared-mode primitives, and reports to the test over IPC.
 *
 * - `rate`: `workers` loops call `SlidingWindow.acquire()` until `untilEpochMs`; reports the
 *   store's clock of every admission (the decision's `storeTime`), so the test checks windows
 *   on one clock across processes.
 * - `semaphore`: `workers` loops hold a shared permit for `holdMs` until `untilEpochMs`;
 *   reports each hold as [start, end) by the wall clock (taken after the grant and before the
 *   release, so inside the lease), and the most holders this process saw at once.
 * - `hold`: takes `count` permits and keeps them (renewing) until killed.
 */
import { createPostgresStore, Semaphore, SlidingWindow, type LimiterAlgorithm, type StoreCallOptions } from '../../../runtime/index.js';

export type PostgresChildJob =
  | {
      readonly mode: 'rate';
      readonly url: string;
      readonly schema: string;
      readonly key: string;
      readonly limit: number;
      readonly perMs: number;
      readonly workers: number;
    }
  | {
      readonly mode: 'semaphore';
      readonly url: string;
      readonly schema: string;
      readonly key: string;
      readonly limit: number;
      readonly workers: number;
      readonly holdMs: number;
      readonly leaseTtlMs: number;
    }
  | {
      readonly mode: 'hold';
      readonly url: string;
      readonly schema: string;
      readonly key: string;
      readonly limit: number;
      readonly count: number;
      readonly leaseTtlMs: number;
    };

export type PostgresChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'rate-done'; readonly admissions: number[]; readonly rejected: number }
  | { readonly type: 'semaphore-done'; readonly holds: number[]; readonly mostHere: number; readonly leasesLost: number }
  | { readonly type: 'holding'; readonly holderIds: string[] }
  | { readonly type: 'failed'; readonly error: string };

function send(message: PostgresChildMessage): Promise<void> {
  return new Promise((resolve) => {
    process.send!(message, () => resolve());
  });
}

/** The test's go-ahead, sent once every replica is ready: when to start and stop (wall clock). */
export interface PostgresChildGo {
  readonly type: 'go';
  readonly startEpochMs: number;
  readonly untilEpochMs: number;
}

function go(): Promise<PostgresChildGo> {
  return new Promise((resolve) => {
    process.once('message', (message: PostgresChildGo) => resolve(message));
  });
}

function sleepUntil(epochMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));
}

async function rate(job: Extract<PostgresChildJob, { mode: 'rate' }>): Promise<void> {
  const store = createPostgresStore({ url: job.url, schema: job.schema, max: job.workers, operationTimeoutMs: 5_000 });
  const admissions: number[] = [];
  // Record the store's clock of every admission the limiter is given.
  const tryAcquire = store.tryAcquire.bind(store);
  store.tryAcquire = async (key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions) => {
    const decision = await tryAcquire(key, algorithm, cost, options);
    if (decision.admitted) admissions.push(decision.storeTime!);
    return decision;
  };
  const window = new SlidingWindow({ limit: job.limit, per: job.perMs, name: job.key, store });
  await store.ensureSchema();
  const started = go();
  await send({ type: 'ready' });
  const { startEpochMs, untilEpochMs } = await started;
  await sleepUntil(startEpochMs);
  let rejected = 0;
  await Promise.all(
    Array.from({ length: job.workers }, async () => {
      while (Date.now() < untilEpochMs) {
        const left = untilEpochMs - Date.now();
        if (left <= 0) break;
        try {
          await window.acquire({ timeoutMs: left });
        } catch {
          rejected++;
        }
      }
    }),
  );
  window.close();
  await store.close();
  await send({ type: 'rate-done', admissions, rejected });
}

async function semaphore(job: Extract<PostgresChildJob, { mode: 'semaphore' }>): Promise<void> {
  const store = createPostgresStore({ url: job.url, schema: job.schema, max: job.workers, operationTimeoutMs: 5_000 });
  const sem = new Semaphore(job.limit, { name: job.key, store, leaseTtlMs: job.leaseTtlMs });
  await store.ensureSchema();
  const started = go();
  await send({ type: 'ready' });
  const { startEpochMs, untilEpochMs } = await started;
  await sleepUntil(startEpochMs);
  const holds: number[] = [];
  let here = 0;
  let mostHere = 0;
  await Promise.all(
    Array.from({ length: job.workers }, async () => {
      while (Date.now() < untilEpochMs) {
        const left = untilEpochMs - Date.now();
        if (left <= 0) break;
        try {
          await sem.run(
            async () => {
              const start = Date.now();
              here++;
              mostHere = Math.max(mostHere, here);
              await new Promise((resolve) => setTimeout(resolve, job.holdMs));
              here--;
              holds.push(start, Date.now());
            },
            { timeoutMs: left },
          );
        } catch {
          // Timed out at the end of the run.
        }
      }
    }),
  );
  await sem.whenIdle();
  sem.close();
  // Let the last releases reach the store before the pool closes.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await store.close();
  await send({ type: 'semaphore-done', holds, mostHere, leasesLost: sem.leasesLost });
}

async function hold(job: Extract<PostgresChildJob, { mode: 'hold' }>): Promise<void> {
  const store = createPostgresStore({ url: job.url, schema: job.schema, operationTimeoutMs: 5_000 });
  const sem = new Semaphore(job.limit, { name: job.key, store, leaseTtlMs: job.leaseTtlMs });
  for (let i = 0; i < job.count; i++) await sem.acquire({ timeoutMs: 10_000 });
  const leases = await sem.leases();
  await send({ type: 'holding', holderIds: leases.map((lease) => lease.holderId) });
  // Hold (and renew) until the test kills this process.
  setInterval(() => undefined, 1_000);
}

const job = JSON.parse(process.argv[2]!) as PostgresChildJob;
const run = job.mode === 'rate' ? rate(job) : job.mode === 'semaphore' ? semaphore(job) : hold(job);
run.then(
  () => {
    if (job.mode !== 'hold') process.exit(0);
  },
  async (error: unknown) => {
    await send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  },
);
