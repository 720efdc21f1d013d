/**
 * Setup file of `npm run test:unit` (vitest.unit.config.ts): the inner loop starts no server and
 * no child process, and this keeps it so. Every way to start a child process, to listen on a
 * port or to open a connection throws here, so a test that needs one fails at once with this
 * message instead of slowing the loop: list it in UNIT_EXCLUDE there (the whole suite,
 * `npm test`, still runs it).
 *
 * The unit run shares modules between test files (`isolate: false`), and this setup file, which
 * runs before every test file, puts back what a fresh module graph would have given it:
 * typescript-eslint's parser state (one TypeScript project service per process, made with the
 * options of the first typed lint: another file's typed RuleTester would find its files missing),
 * and the removal of test/helpers/temp.ts's folders, whose own `afterAll` is registered only
 * when that module first loads.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { clearCaches } from '@typescript-eslint/parser';
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

clearCaches();
afterAll(removeTempDirs);

function refuse(what: string): never {
  throw new Error(
    `${what} in a unit test: npm run test:unit starts no server and no child process; list this file in UNIT_EXCLUDE of vitest.unit.config.ts`,
  );
}

const spawning = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
for (const name of spawning) {
  Object.defineProperty(childProcess, name, { value: () => refuse(`child_process.${name}()`), writable: true, configurable: true });
}
net.Server.prototype.listen = function listen(): never {
  return refuse('Listening on a port');
};
net.Socket.prototype.connect = function connect(): never {
  return refuse('Opening a connection');
};
// `import { spawn } from 'node:child_process'` reads the patched functions from here on.
syncBuiltinESMExports();
