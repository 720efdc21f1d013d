/**
 * Worker thread entry for `bounded migrate` (compiled to dist/cli/migrate-worker.js): runs
 * files through the transforms for cli/migrate-pool.ts, one at a time. The policy comes once,
 * in `workerData`; every request is one file's task and gets exactly one reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Policy } from '@bounded/policy';
import { migrateSource, type TransformOptions } from './migrate-source.js';
import type { WorkerReply, WorkerRequest } from './migrate-pool.js';

const port = parentPort;
if (port === null) throw new Error('cli/migrate-worker runs as a worker thread of `bounded migrate`');
const { policy, options } = workerData as { policy: Policy; options: TransformOptions };

port.on('message', (request: WorkerRequest) => {
  const reply: WorkerReply = { id: request.id, outcome: migrateSource(request.task, policy, options) };
  port.postMessage(reply);
});
// The transforms and the parser are loaded: the pool may count on this worker now.
port.postMessage({ ready: true } satisfies WorkerReply);
