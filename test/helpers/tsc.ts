/**
 * Runs the project's own tsc on a tsconfig and says what it checked and what it reported.
 *
 * A check built on tsc must be able to fail: a run that timed out, was killed, could not start,
 * exited non-zero without a single diagnostic (a crash), or could not read the project (no
 * tsconfig, no inputs) throws here instead of reading as "no errors", and the files tsc checked are returned so a test can show its own
 * files were among them.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TscRun {
  /** Absolute paths of every file tsc read (its `--listFiles`). */
  readonly files: readonly string[];
  /** Every other line of its output: the diagnostics, paths relative to the repository root. */
  readonly diagnostics: readonly string[];
}

/** `tsc -p project --listFiles`, from the repository root; throws unless tsc ran to its end. */
export function runTsc(project: string, timeoutMs: number): TscRun {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project, '--listFiles', '--pretty', 'false'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().slice(-2_000);
  if (result.error !== undefined || result.signal !== null || result.status === null) {
    throw new Error(`tsc -p ${project} did not finish within ${timeoutMs} ms (${String(result.error ?? result.signal)}):\n${tail}`);
  }
  const lines = result.stdout.split('\n').filter((line) => line.trim() !== '');
  const files = lines.filter((line) => line.startsWith('/') && !/\(\d+,\d+\): /.test(line)).map((line) => resolve(line));
  const listed = new Set(files);
  const diagnostics = lines.filter((line) => !listed.has(resolve(line)));
  if (result.status !== 0 && !diagnostics.some((line) => /\berror TS\d+:/.test(line))) {
    throw new Error(`tsc -p ${project} exited with ${result.status} and no diagnostic:\n${tail}`);
  }
  // An error with no file is about the project itself (no tsconfig, no inputs, a bad option).
  const global = diagnostics.filter((line) => /^error TS\d+:/.test(line));
  if (global.length > 0) throw new Error(`tsc -p ${project} could not check the project:\n${global.join('\n')}`);
  return { files, diagnostics };
}
