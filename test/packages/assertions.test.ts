/**
 * scripts/check-assertions.mjs (run by `npm run lint`) finds tests that assert nothing: here on
 * small trees written for the purpose, and on the repository itself.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without declarations
import { findUnassertedTests } from '../../scripts/check-assertions.mjs';

interface Problem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}
const find = findUnassertedTests as (root: string, files?: string[]) => Problem[];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let copy: string | undefined;
afterEach(() => {
  if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
  copy = undefined;
});

/** A tree with `files` written into it; the findings for its test/ folder, as `file:line`. */
function findings(files: Record<string, string>): string[] {
  copy = mkdtempSync(join(tmpdir(), 'bounded-assertions-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(copy, path)), { recursive: true });
    writeFileSync(join(copy, path), text);
  }
  return find(copy).map((problem) => `${problem.file}:${problem.line}`);
}

const HEAD = "import { describe, expect, it, test } from 'vitest';\n";

describe('check-assertions', () => {
  it('the repository has no test that asserts nothing', () => {
    expect(find(ROOT)).toEqual([]);
  });

  it('finds a test with no assertion, in it(), test() and it.each()()', () => {
    const source = `${HEAD}it('a', () => { const x = 1; void x; });\ntest('b', async () => { await Promise.resolve(); });\nit.each([1, 2])('c %i', (n) => { void n; });\nit('d', () => { expect(1).toBe(1); });\n`;
    expect(findings({ 'test/a.test.ts': source })).toEqual(['test/a.test.ts:2', 'test/a.test.ts:3', 'test/a.test.ts:4']);
  });

  it('counts expect chains, assert calls and expect/assert-named helpers, nested in callbacks', () => {
    const source = `${HEAD}import assert from 'node:assert';
declare const fc: { assert(x: unknown): void };
declare const harness: { expectFindings(): void };
it('a', async () => { await expect(Promise.reject(new Error('x'))).rejects.toThrow('x'); });
it('b', () => { assert.equal(1, 1); });
it('c', () => { fc.assert(1); });
it('d', () => { [1].forEach((n) => expect(n).toBe(1)); });
it('e', () => { harness.expectFindings(); });
`;
    expect(findings({ 'test/a.test.ts': source })).toEqual([]);
  });

  it('follows helpers of the same file and of modules under test/, to any depth, but not product code', () => {
    const helper =
      "import { expect } from 'vitest';\nexport function check(n: number) { expect(n).toBe(1); }\nexport const indirect = (n: number) => check(n);\n";
    const product =
      'export function assertPositive(n: number) { if (n <= 0) throw new TypeError(); }\nexport function work() { assertPositive(1); }\n';
    const source = `${HEAD}import { indirect } from './helpers.js';
import * as helpers from './helpers.js';
import { work } from '../lib/work.js';
function local() { indirect(1); }
it('a', () => { local(); });
it('b', () => { helpers.check(1); });
it('c', local);
it('d', () => { work(); });
`;
    expect(findings({ 'test/helpers.ts': helper, 'lib/work.ts': product, 'test/a.test.ts': source })).toEqual(['test/a.test.ts:9']);
  });

  it('accepts an opt-out comment with a reason, inside or above the test, and not without one', () => {
    const source = `${HEAD}// no-assertion: the helper throws when the server does not answer
it('a', () => { void 0; });
it('b', () => {
  // no-assertion: reaching the end without a throw is the check
  void 0;
});
// no-assertion:
it('c', () => { void 0; });
`;
    expect(findings({ 'test/a.test.ts': source })).toEqual(['test/a.test.ts:9']);
  });

  it('leaves out it.skip and it.todo, and files under test/corpus and fixtures', () => {
    const empty = `${HEAD}it('a', () => {});\n`;
    const source = `${HEAD}it.skip('a', () => {});\nit.todo('b');\ndescribe('c', () => { it('d', () => { expect(1).toBe(1); }); });\n`;
    expect(
      findings({ 'test/a.test.ts': source, 'test/corpus/files/x.test.ts': empty, 'test/eslint-plugin/fixture/y.test.ts': empty }),
    ).toEqual([]);
  });
});
