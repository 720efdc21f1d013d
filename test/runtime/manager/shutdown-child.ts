/**
 * A child process for the SIGTERM test. Closed-loop workers until a SIGTERM: 20 run 100 ms
 * tasks through a manager's semaphore (limit 4, so most wait in its queue), 10 insert rows
 * through its pool (max 3) and remember the ids the database acknowledged. shutdownOn closes the
 * manager with drainMs from argv; the counts and the acknowledged ids go to stdout as one JSON
 * line before exit.
 */
import { writeFileSync } from 'node:fs';
import { ConcurrencyManager, shutdownOn } from '../../../runtime/index.js';

const [policyFile, drainArg, table] = process.argv.slice(2);
const drainMs = Number(drainArg);
const manager = ConcurrencyManager.fromPolicy(policyFile);
const counts = { started: 0, succeeded: 0, failed: 0, inFlight: 0, errors: {} as Record<string, number>, tasksFinishedAfterSignal: 0 };
const acknowledged: number[] = [];
let signalAt: number | undefined;
let nextId = 0;

shutdownOn(['SIGTERM'], [manager], {
  drainMs,
  onSignal: () => {
    signalAt = performance.now();
  },
  onClosed: (errors) => {
    // Synchronous: the process exits right after this returns.
    const report = { ...counts, acknowledged, closeErrors: errors.length, closedAfterMs: performance.now() - signalAt! };
    writeFileSync(1, `${JSON.stringify(report)}\n`);
  },
});

async function worker(kind: 'task' | 'write'): Promise<void> {
  for (;;) {
    counts.started++;
    counts.inFlight++;
    try {
      if (kind === 'task') {
        await manager.semaphore('work').run(() => new Promise((resolve) => setTimeout(resolve, 100)));
        if (signalAt !== undefined) counts.tasksFinishedAfterSignal++;
      } else {
        const id = nextId++;
        await manager.pool('main').query(`insert into ${table} (id) values ($1)`, [id]);
        acknowledged.push(id);
      }
      counts.succeeded++;
    } catch (error) {
      counts.failed++;
      const name = error instanceof Error ? error.name : String(error);
      counts.errors[name] = (counts.errors[name] ?? 0) + 1;
      if (name === 'ClosedError') return;
    } finally {
      counts.inFlight--;
    }
  }
}

for (let i = 0; i < 20; i++) void worker('task');
for (let i = 0; i < 10; i++) void worker('write');
setTimeout(() => writeFileSync(1, 'ready\n'), 500);
