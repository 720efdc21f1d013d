/** The `memory` chaos's child process: runs the flood and sends its result to the parent. */
import type { Policy } from '@bounded/policy/core';
import { runStress } from './harness.js';
import { CHILD_ENV, type MemoryChildInput, type MemoryChildMessage } from './memory.js';
import { stressDatabase } from './postgres.js';

async function main(): Promise<void> {
  const raw = process.env[CHILD_ENV];
  if (raw === undefined || process.send === undefined) {
    throw new Error(`This is the memory chaos's child: start it through runStress({ chaos: 'memory' })`);
  }
  const input = JSON.parse(raw) as MemoryChildInput;
  const send = (message: MemoryChildMessage): Promise<void> =>
    new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
  const database = stressDatabase(input.databaseUrl);
  const result = await runStress({
    ...input.options,
    policy: input.options.policy as Policy,
    database,
    onProgress: (line) => void send({ type: 'progress', line }),
  });
  await database.close();
  await send({ type: 'result', result });
  process.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
});
