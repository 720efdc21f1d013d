/** The thread of cli/check-syntax.ts: given file lists, answers with the files that do not parse. */
import { parentPort } from 'node:worker_threads';
import { syntaxErrorsIn } from './check-syntax.js';

parentPort?.on('message', (files: string[]) => {
  parentPort?.postMessage(syntaxErrorsIn(files));
});
