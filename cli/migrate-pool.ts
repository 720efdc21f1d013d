/**
 * Where `bounded migrate` runs the transforms: a pool of worker threads (one file at a time
 * per worker, fed through bounded's own Semaphore), or the main thread.
 *
 * The workers load the compiled entry, dist/cli/migrate-worker.js, next to this module. Run
 * from the TypeScript sources (as the tests do under vitest) there is no compiled entry, and
 * `defaultWorkerEntry()` says so; the command then uses the main thread, and tests that want
 * real threads compile the entry themselves (test/cli/migrate-workers.test.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Policy } from '@bounded/policy';
import { mapBounded } from '@bounded/runtime';
import { Semaphore } from '@bounded/runtime';
import { migrateSource, type SourceOutcome, type SourceTask, type TransformOptions } from './migrate-source.js';

/** Main thread → worker: one file. */
export interface WorkerRequest {
  readonly id: number;
  readonly task: SourceTask;
}

/** Worker → main thread: once `ready` after loading, then one reply per request. */
export type WorkerReply = { readonly ready: true } | { readonly id: number; readonly outcome: SourceOutcome };

export interface SourceRunner {
  /** Worker threads in use; 0 when the transforms run in the main thread. */
  readonly threads: number;
  /** Never rejects: a crashed worker comes back as a failed file. */
  run(task: SourceTask): Promise<SourceOutcome>;
  close(): Promise<void>;
}

/** The compiled worker entry beside this module, or undefined when running from sources. */
export function defaultWorkerEntry(): URL | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  const entry = new URL('./migrate-worker.js', import.meta.url);
  return existsSync(fileURLToPath(entry)) ? entry : undefined;
}

export function mainThreadRunner(policy: Policy, options: TransformOptions = {}): SourceRunner {
  return {
    threads: 0,
    run: (task) => Promise.resolve(migrateSource(task, policy, options)),
    close: () => Promise.resolve(),
  };
}

interface Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  pending: { readonly id: number; resolve(outcome: SourceOutcome): void } | undefined;
  dead: boolean;
}

function crashed(reason: string): SourceOutcome {
  return { ran: [], changed: [], transforms: {}, error: { message: `worker thread failed (${reason}); nothing written` } };
}

/** Stops the workers, all at once: there are never more than the pool's size and its replacements. */
async function stopAll(slots: readonly Slot[]): Promise<void> {
  await mapBounded(slots, (slot) => slot.worker.terminate(), { concurrency: Math.max(1, slots.length) });
}

/**
 * Starts `size` workers and waits until each has loaded the transforms. Rejects (after
 * stopping them) when one cannot start, so the caller can fall back to the main thread.
 */
// eslint-disable-next-line max-lines-per-function -- spawn, die and run share the pool's state (idle, all, replacements, closing) in one closure; splitting it out means a class for a few lines
export async function startWorkerPool(
  size: number,
  entry: URL | string,
  policy: Policy,
  options: TransformOptions = {},
): Promise<SourceRunner> {
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`Expected \`size\` to be a positive integer, got ${size}`);
  const idle: Slot[] = [];
  const all = new Set<Slot>();
  // A worker that dies is replaced, but only so many times: a worker that cannot live must
  // not respawn forever. Files it was given are reported as failed.
  let replacements = size + 2;
  let closing = false;
  let nextId = 0;

  const spawn = (): Slot => {
    const worker = new Worker(entry, { workerData: { policy, options } });
    let markReady!: () => void;
    let failReady!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // Only startup awaits it; a later failure is handled by `die`.
    ready.catch(() => {});
    const slot: Slot = { worker, ready, pending: undefined, dead: false };
    all.add(slot);
    const die = (reason: string): void => {
      if (slot.dead) return;
      slot.dead = true;
      all.delete(slot);
      failReady(new Error(`a migrate worker could not start: ${reason}`));
      const pending = slot.pending;
      slot.pending = undefined;
      if (!closing && replacements > 0) {
        replacements--;
        idle.push(spawn());
      }
      pending?.resolve(crashed(reason));
    };
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        markReady();
        return;
      }
      const pending = slot.pending;
      if (pending === undefined || pending.id !== reply.id) return;
      slot.pending = undefined;
      pending.resolve(reply.outcome);
    });
    worker.on('error', (error) => die(error.message.split('\n')[0]!));
    worker.on('exit', (code) => die(`exited with code ${code}`));
    return slot;
  };

  for (let i = 0; i < size; i++) idle.push(spawn());
  try {
    await Promise.all(idle.map((slot) => slot.ready));
  } catch (error) {
    closing = true;
    await stopAll([...all]);
    throw error;
  }

  // At most `size` files in flight, so a free worker is always waiting when a permit is granted.
  const permits = new Semaphore(size, { name: 'migrate-workers' });
  return {
    threads: size,
    run: (task) =>
      permits.run(async () => {
        const slot = idle.pop();
        if (slot === undefined) return crashed('no worker left after repeated crashes');
        try {
          // A replacement may still be loading; it gets work once it has said it is ready.
          await slot.ready;
        } catch (error) {
          return crashed((error as Error).message);
        }
        try {
          return await new Promise<SourceOutcome>((resolve) => {
            const id = nextId++;
            slot.pending = { id, resolve };
            slot.worker.postMessage({ id, task } satisfies WorkerRequest);
          });
        } finally {
          if (!slot.dead) idle.push(slot);
        }
      }),
    async close() {
      closing = true;
      permits.close();
      await stopAll([...all]);
    },
  };
}
