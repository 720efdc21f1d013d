/**
 * DESIGN.md's "never" rules as package boundaries: scripts/check-boundaries.mjs (run by
 * `npm run lint`) finds imports a package does not declare, imports into another package's
 * internals and imports of test/ or bench/ code.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without declarations
import { WORKSPACES, checkBoundaries } from '../../scripts/check-boundaries.mjs';

interface Problem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}
const check = checkBoundaries as (root: string) => Problem[];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let copy: string | undefined;
afterEach(() => {
  if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
  copy = undefined;
});

/** A copy of the five package manifests, with `files` written into it. */
function tree(files: Record<string, string>): string {
  copy = mkdtempSync(join(tmpdir(), 'bounded-boundaries-'));
  for (const folder of WORKSPACES as string[])
    cpSync(join(ROOT, folder, 'package.json'), join(copy, folder, 'package.json'), { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(copy, path), text);
  return copy;
}

describe('package boundaries', () => {
  it('the repository has none to report', () => {
    expect(check(ROOT)).toEqual([]);
  });

  it('reports a relative import into another package', () => {
    const problems = check(tree({ 'runtime/a.ts': `import { loadPolicy } from '../policy/load.js';\n` }));
    expect(problems.map((problem) => [problem.file, problem.line])).toEqual([['runtime/a.ts', 1]]);
    expect(problems[0]?.message).toContain('reaches outside @bounded/runtime (into policy/load.js)');
  });

  it('reports an undeclared package, also from a dynamic import or require', () => {
    const problems = check(
      tree({ 'eslint-plugin/a.ts': `export {};\nconst x = await import('jscodeshift');\nconst y = require('left-pad');\n` }),
    );
    expect(problems.map((problem) => [problem.line, problem.message.split(' is ')[0]])).toEqual([
      [2, "'jscodeshift'"],
      [3, "'left-pad'"],
    ]);
  });

  it("reports a deep import past another package's exports, and accepts its public subpaths", () => {
    const problems = check(
      tree({
        'cli/a.ts': `import '@bounded/runtime/dist/semaphore.js';\nimport '@bounded/runtime/stress';\nimport '@bounded/policy/core';\n`,
      }),
    );
    expect(problems.map((problem) => [problem.file, problem.line])).toEqual([['cli/a.ts', 1]]);
    expect(problems[0]?.message).toContain("not in @bounded/runtime's exports");
  });

  it('reports test and bench code imported into a package', () => {
    const problems = check(tree({ 'runtime/a.ts': `import '../test/helpers/redis.js';\n` }));
    expect(problems[0]?.message).toMatch(/reaches outside/);
  });

  it('accepts builtins with and without node:, and declared optional peers', () => {
    expect(check(tree({ 'runtime/a.ts': `import 'node:fs';\nimport 'os';\nimport type pg from 'pg';\nimport 'undici';\n` }))).toEqual([]);
  });
});
