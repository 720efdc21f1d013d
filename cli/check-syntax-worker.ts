/** The thread of cli/check-syntax.ts: takes chunks of the files it is sent and answers with those that do not parse. */
import { parentPort } from 'node:worker_threads';
import { takeChunks, type SyntaxChunkDone, type SyntaxWork } from './check-syntax.js';

parentPort?.on('message', ({ files, next }: SyntaxWork) => {
  takeChunks(files, next, (chunk, bad) => parentPort?.postMessage({ chunk, bad } satisfies SyntaxChunkDone));
});
