/**
 * Throwaway folders for tests, removed when the test file ends.
 *
 * Loading this module from a test file registers one `afterAll` on that file (vitest isolates
 * each test file, so every file that uses it gets its own); it removes every folder `tempDir`
 * made for the file. Import it only from test files and the helpers they load, never from code
 * a child process runs. A folder that must go sooner (a large copy, a locked file) can still be
 * removed by the test itself: removing a folder twice is harmless.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();

/** A new empty folder `<os temp dir>/<prefix>XXXXXX`, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes every folder made so far (the `afterAll` does this; exported for its test). */
export function removeTempDirs(): void {
  const failed: string[] = [];
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch (error) {
      failed.push(`${dir}: ${(error as Error).message}`);
    }
    made.delete(dir);
  }
  // A folder left behind is litter, not a test failure: say so and go on.
  if (failed.length > 0) process.stderr.write(`test/helpers/temp.ts could not remove:\n${failed.join('\n')}\n`);
}

afterAll(removeTempDirs);
