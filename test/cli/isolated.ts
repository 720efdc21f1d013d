/**
 * Runs a piece of the project's own code in a child process with a deadline, for the hostile
 * input tests: code that spins (a backtracking RegExp) blocks the thread it runs in, so a test
 * in the same thread could not even time it out. The module is bundled from the sources (with
 * bounded's own packages, test/helpers/bundle.ts) into node_modules/.cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { bundleForNodeSync } from '../helpers/bundle.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface IsolatedRun {
  /** Finished within the deadline. */
  readonly finished: boolean;
  /** What `body` returned (JSON), when it finished. */
  readonly value?: unknown;
  /** Milliseconds the body took (as the child measured it), or the deadline when killed. */
  readonly ms: number;
  readonly stderr: string;
}

/**
 * Imports `entry` (a .ts path relative to the repository) as `m` in a fresh Node process and
 * runs `body` (the text of an async function body; `return` a JSON value). Killed after
 * `timeoutMs`.
 */
export function runIsolated(entry: string, body: string, timeoutMs: number): IsolatedRun {
  const dir = join(ROOT, 'node_modules', '.cache', `bounded-isolated-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  try {
    mkdirSync(dir, { recursive: true });
    const bundled = bundleForNodeSync(join(ROOT, entry), join(dir, 'entry.mjs'), buildSync);
    const url = pathToFileURL(bundled).href;
    const script = `const m = await import(${JSON.stringify(url)});\nconst started = performance.now();\nconst value = await (async () => {\n${body}\n})();\nprocess.stdout.write(JSON.stringify({ value, ms: performance.now() - started }));\n`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const timedOut = result.signal === 'SIGKILL' || /ETIMEDOUT/.test(String(result.error));
    if (timedOut) return { finished: false, ms: timeoutMs, stderr: result.stderr ?? '' };
    if (result.status !== 0 || result.stdout === '')
      throw new Error(`the isolated run of ${entry} failed (exit ${result.status}):\n${result.stderr}`);
    const parsed = JSON.parse(result.stdout) as { value: unknown; ms: number };
    return { finished: true, value: parsed.value, ms: parsed.ms, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
