/**
 * Runs replicas (postgres-child.ts) as real OS processes for the PostgreSQL store's
 * multi-process tests. Node 20 cannot run TypeScript, so the child is bundled once per test
 * file with esbuild (vite's, already installed) into node_modules/.cache; bare imports (pg)
 * stay external and resolve from the project's node_modules, while bounded's own code is
 * bundled in, so the child runs exactly the source under test (no stale dist/).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PostgresChildGo, PostgresChildJob, PostgresChildMessage } from './postgres-child.js';
import { bundleForNode } from '../../helpers/bundle.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

let bundled: Promise<string> | undefined;

function childScript(): Promise<string> {
  bundled ??= (async () => {
    const outdir = join(root, 'node_modules', '.cache', 'bounded-test');
    await mkdir(outdir, { recursive: true });
    const outfile = join(outdir, `postgres-child-${process.pid}.mjs`);
    await bundleForNode(join(here, 'postgres-child.ts'), outfile);
    return outfile;
  })();
  return bundled;
}

export interface PostgresReplica {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The first message of this type; rejects if the child fails or exits first. */
  next<T extends PostgresChildMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<PostgresChildMessage, { type: T }>>;
  /** Sends the go-ahead (rate and semaphore jobs wait for it after "ready"). */
  go(startEpochMs: number, untilEpochMs: number): void;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts one replica with `job`; it is killed at the latest when the test process exits. */
export async function startPostgresReplica(job: PostgresChildJob): Promise<PostgresReplica> {
  const script = await childScript();
  const child = fork(script, [JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });
  const inbox: PostgresChildMessage[] = [];
  const waiting = new Set<() => void>();
  child.on('message', (message: PostgresChildMessage) => {
    inbox.push(message);
    for (const wake of waiting) wake();
  });
  child.once('exit', () => {
    for (const wake of waiting) wake();
  });
  return {
    child,
    pid: child.pid!,
    next(type, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const index = inbox.findIndex((message) => message.type === type);
          const failed = inbox.find((message) => message.type === 'failed');
          if (index !== -1) {
            done();
            resolve(inbox.splice(index, 1)[0] as Extract<PostgresChildMessage, { type: typeof type }>);
          } else if (failed !== undefined) {
            done();
            reject(new Error(`replica ${child.pid} failed: ${failed.error}\n${output}`));
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`replica ${child.pid} exited (${child.signalCode ?? child.exitCode}) before "${type}"\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`replica ${child.pid} sent no "${type}" within ${timeoutMs} ms\n${output}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiting.delete(check);
        };
        waiting.add(check);
        check();
      });
    },
    go(startEpochMs, untilEpochMs) {
      const message: PostgresChildGo = { type: 'go', startEpochMs, untilEpochMs };
      child.send(message);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The most intervals [start, end) open at once; `pairs` is flat: start, end, start, end… */
export function mostAtOnce(pairs: readonly number[]): number {
  const events: [number, number][] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) events.push([pairs[i]!, 1], [pairs[i + 1]!, -1]);
  // At equal times an end comes first: [a, b) and [b, c) do not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, step] of events) {
    open += step;
    most = Math.max(most, open);
  }
  return most;
}

/** The most times in any window [t, t + windowMs). */
export function mostInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
