/**
 * Issue 21, item 4: a `.gitignore` line (or a policy glob) built to make a backtracking RegExp
 * explode — `**a` fourteen times then `**b`, beside a file named with forty `a`s — kept
 * `migrate --dry-run` busy past 120 s and `check` 35 s. Globs are matched by an automaton now,
 * in time linear in the path's length; these tests keep it so, and keep the patterns meaning
 * what they meant.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import { gitignoreMatcher, globMatcher, matchesAnyGlob, MAX_GLOB_LENGTH } from '../../policy/glob.js';
import { runIsolated } from '../cli/isolated.js';
import { migrate } from '../cli/migrate-helpers.js';
import { tempDir } from '../helpers/temp.js';

/** The reproduction from the issue. */
const HOSTILE_LINE = `${'**a'.repeat(14)}**b`;
const LONG_NAME = `${'a'.repeat(40)}.ts`;
const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;

function hostileProject(): string {
  const root = tempDir('bounded-hostile-glob-');
  writeFileSync(join(root, '.gitignore'), `${HOSTILE_LINE}\n`);
  writeFileSync(join(root, LONG_NAME), HAZARD);
  mkdirSync(join(root, 'a'.repeat(40)));
  writeFileSync(join(root, 'a'.repeat(40), LONG_NAME), HAZARD);
  return root;
}

/** The RegExps the matchers replace, kept here as the reference for what patterns mean. */
function oldPolicyGlob(pattern: string): RegExp {
  const escape = (char: string): string => (/[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char);
  const glob = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  let source = '';
  let inGroup = false;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      const atNameStart = i === 0 || glob[i - 1] === '/';
      i++;
      if (atNameStart && glob[i + 1] === '/') {
        source += '(?:.*/)?';
        i++;
      } else source += '.*';
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '{' && !inGroup) {
      source += '(?:';
      inGroup = true;
    } else if (char === '}' && inGroup) {
      source += ')';
      inGroup = false;
    } else if (char === ',' && inGroup) source += '|';
    else source += escape(char);
  }
  return new RegExp(`^${glob.includes('/') ? '' : '(?:.*/)?'}${source}$`);
}

function oldGitignore(line: string): RegExp {
  const anchored = line.startsWith('/') || line.slice(0, -1).includes('/');
  const pattern = line.replace(/^\//, '').replace(/\/$/, '');
  const body = pattern
    .split('')
    .map((char) => (char === '*' ? '[^/]*' : char === '?' ? '[^/]' : /[.+^${}()|[\]\\]/.test(char) ? `\\${char}` : char))
    .join('')
    .replace(/\[\^\/\]\*\[\^\/\]\*/g, '.*');
  return new RegExp(anchored ? `^${body}(/|$)` : `(^|/)${body}(/|$)`);
}

describe('hostile globs (issue 21, item 4)', () => {
  it('collectSources with the **a×14 **b .gitignore line beside a 40-a name finishes at once (child process, killed after 20 s)', () => {
    const root = hostileProject();
    const run = runIsolated('cli/files.ts', `const out = []; m.collectSources(${JSON.stringify(root)}, out); return out.length;`, 20_000);
    expect(run.finished, `still running after 20 s (catastrophic backtracking) ${run.stderr}`).toBe(true);
    expect(run.ms).toBeLessThan(2_000);
    // The line ignores nothing here (no `b`): both files are sources.
    expect(run.value).toBe(2);
  });

  it('a policy glob **a×14 **b against a 40-a path is matched at once (child process, killed after 20 s)', () => {
    const run = runIsolated(
      'policy/glob.ts',
      `return m.matchesAnyGlob(${JSON.stringify(`/base/${'a'.repeat(40)}/${LONG_NAME}`)}, [${JSON.stringify(HOSTILE_LINE)}], '/base');`,
      20_000,
    );
    expect(run.finished, `still running after 20 s (catastrophic backtracking) ${run.stderr}`).toBe(true);
    expect(run.ms).toBeLessThan(2_000);
    expect(run.value).toBe(false);
  });

  it('migrate --dry-run with that .gitignore takes seconds, not minutes', async () => {
    const root = hostileProject();
    const started = performance.now();
    const result = await migrate(['--dry-run', '--quiet'], root);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`--- a/${LONG_NAME}`);
  });

  it('check with that .gitignore takes seconds, not minutes', async () => {
    const root = hostileProject();
    let stdout = '';
    const started = performance.now();
    await checkCommand(
      ['--quiet', '--format', 'json'],
      { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } },
      root,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    const linted = (JSON.parse(stdout) as { filePath: string }[]).map((result) => result.filePath);
    expect(linted.sort()).toEqual([join(root, 'a'.repeat(40), LONG_NAME), join(root, LONG_NAME)].sort());
  });

  it('thousands of hostile patterns and long paths stay linear', () => {
    const patterns = Array.from({ length: 50 }, (_, i) => `${'**a'.repeat(10 + (i % 20))}**b`);
    const path = `${'a/'.repeat(100)}${'a'.repeat(200)}.ts`;
    const started = performance.now();
    for (const pattern of patterns) {
      expect(globMatcher(pattern).test(path)).toBe(false);
      expect(gitignoreMatcher(pattern).matcher.test(path)).toBe(false);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it(`a pattern longer than ${MAX_GLOB_LENGTH} characters matches nothing`, () => {
    const long = `${'*'.repeat(MAX_GLOB_LENGTH)}x`;
    expect(globMatcher(long).test('x')).toBe(false);
    expect(gitignoreMatcher(long).matcher.test('x')).toBe(false);
    expect(globMatcher('*'.repeat(100)).test('x')).toBe(true);
  });

  it('policy globs mean what they meant: the patterns the tests and docs use', () => {
    const cases: [string, string, boolean][] = [
      ['migrations/**', 'migrations/2024/01.ts', true],
      ['migrations/**', 'src/migrations/01.ts', false],
      ['scripts/*.ts', 'scripts/seed.ts', true],
      ['scripts/*.ts', 'scripts/deep/seed.ts', false],
      ['*.seed.ts', 'db/users.seed.ts', true],
      ['*.seed.ts', 'users.seed.ts', true],
      ['**/*.migration.ts', 'a/b/c.migration.ts', true],
      ['**/*.migration.ts', 'c.migration.ts', true],
      ['db/seed-?.ts', 'db/seed-1.ts', true],
      ['db/seed-?.ts', 'db/seed-12.ts', false],
      ['src/{a,b}/*.ts', 'src/b/x.ts', true],
      ['src/{a,b}/*.ts', 'src/c/x.ts', false],
      ['./tools/**', 'tools/x.ts', true],
      ['tools/**', 'tools/x.ts', true],
      ['a.b', 'axb', false],
      ['{a', '{a', true],
    ];
    for (const [pattern, path, expected] of cases) expect(globMatcher(pattern).test(path), `${pattern} ~ ${path}`).toBe(expected);
    expect(matchesAnyGlob('/p/migrations/x.ts', ['migrations/**'], '/p')).toBe(true);
    expect(matchesAnyGlob('/q/migrations/x.ts', ['migrations/**'], '/p')).toBe(false);
    expect(matchesAnyGlob('/abs/x.ts', ['/abs/*.ts'], '/p')).toBe(true);
  });

  it('policy globs agree with the RegExp conversion they replace, on random patterns and paths', () => {
    const pattern = fc.stringMatching(/^[ab/*?{},.]{0,10}$/);
    const path = fc.stringMatching(/^[ab/.{},]{0,12}$/);
    fc.assert(
      fc.property(pattern, path, (glob, file) => {
        let reference: RegExp;
        try {
          reference = oldPolicyGlob(glob);
        } catch {
          return; // The old conversion threw (an unclosed `{`): nothing to agree with.
        }
        expect(globMatcher(glob).test(file), `${glob} ~ ${file}`).toBe(reference.test(file));
      }),
      { numRuns: 3000 },
    );
  });

  it('.gitignore patterns agree with the RegExp conversion they replace, but for **/ (which now matches zero folders, as git does)', () => {
    const pattern = fc.stringMatching(/^\/?[ab/*?.]{1,9}$/).filter((line) => !/\*\*\//.test(line) && line.trim() !== '');
    const path = fc.stringMatching(/^[ab/.]{1,12}$/);
    fc.assert(
      fc.property(pattern, path, (line, file) => {
        expect(gitignoreMatcher(line).matcher.test(file), `${line} ~ ${file}`).toBe(oldGitignore(line).test(file));
      }),
      { numRuns: 3000 },
    );
    // git's reading of **/: any number of folders, none included.
    expect(gitignoreMatcher('**/gen').matcher.test('gen')).toBe(true);
    expect(gitignoreMatcher('**/gen').matcher.test('a/b/gen/x.ts')).toBe(true);
    expect(gitignoreMatcher('a/**/b').matcher.test('a/b')).toBe(true);
    expect(gitignoreMatcher('a/**/b').matcher.test('a/x/y/b')).toBe(true);
    expect(gitignoreMatcher('generated/')).toMatchObject({ directoryOnly: true });
    expect(gitignoreMatcher('/dist').matcher.test('src/dist')).toBe(false);
    expect(gitignoreMatcher('dist').matcher.test('src/dist')).toBe(true);
  });
});
