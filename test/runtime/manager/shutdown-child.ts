/**
 * A child process for the SIGTERM test: 20 closed-loop workers run 100 ms tasks through a
 * manager's semaphore (limit 4, so most wait in its queue) until a SIGTERM; shutdownOn closes the
 * manager with drainMs from argv, and the counts go to stdout as one JSON line before exit.
 */
import { writeFileSync } from 'node:fs';
import { ConcurrencyManager, shutdownOn } from '../../../runtime/index.js';

const [policyFile, drainArg] = process.argv.slice(2);
const drainMs = Number(drainArg);
const manager = ConcurrencyManager.fromPolicy(policyFile);
const counts = { started: 0, succeeded: 0, failed: 0, inFlight: 0, errors: {} as Record<string, number>, finishedAfterSignal: 0 };
let signalAt: number | undefined;

shutdownOn(['SIGTERM'], [manager], {
  drainMs,
  onSignal: () => {
    signalAt = performance.now();
  },
  onClosed: (errors) => {
    // Synchronous: the process exits right after this returns.
    writeFileSync(1, `${JSON.stringify({ ...counts, closeErrors: errors.length, closedAfterMs: performance.now() - signalAt! })}\n`);
  },
});

async function worker(): Promise<void> {
  for (;;) {
    counts.started++;
    counts.inFlight++;
    try {
      await manager.semaphore('work').run(() => new Promise((resolve) => setTimeout(resolve, 100)));
      counts.succeeded++;
      if (signalAt !== undefined) counts.finishedAfterSignal++;
    } catch (error) {
      counts.failed++;
      const name = error instanceof Error ? error.name : String(error);
      counts.errors[name] = (counts.errors[name] ?? 0) + 1;
      if (name === 'ClosedError' || name === 'Error') return;
    } finally {
      counts.inFlight--;
    }
  }
}

for (let i = 0; i < 20; i++) void worker();
setTimeout(() => writeFileSync(1, 'ready\n'), 300);
