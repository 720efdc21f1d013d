import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { migrate, project, snapshot } from './migrate-helpers.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
const FANOUT = `export async function all(urls: string[]) {\n  return Promise.all(urls.map((url) => load(url)));\n}\ndeclare function load(url: string): Promise<string>;\n`;
const CLEAN = `export const answer = 42;\n`;
// Both transforms change it; add-timeouts also skips one site (a non-literal init).
const MIXED = [
  `export async function both(urls: string[], init: RequestInit) {`,
  `  await fetch(urls[0]!, init);`,
  `  const pages = await Promise.all(urls.map((url) => fetch(url)));`,
  `  return pages;`,
  `}`,
  ``,
].join('\n');

function readReport(root: string, name = 'report.json'): MigrateReport {
  return JSON.parse(readFileSync(join(root, name), 'utf8')) as MigrateReport;
}

describe('bounded migrate', () => {
  it('--dry-run prints a diff and changes nothing', async () => {
    const root = project({ 'src/a.ts': HAZARD });
    const result = await migrate(['--dry-run'], root);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--- a/src/a.ts');
    expect(result.stdout).toMatch(/^\+.*AbortSignal\.timeout\(60_?000\)/m);
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).toBe(HAZARD);
  });

  it('--check exits 1 when something would change, 0 when nothing would', async () => {
    expect((await migrate(['--check'], project({ 'a.ts': HAZARD }))).code).toBe(1);
    expect((await migrate(['--check'], project({ 'a.ts': CLEAN }))).code).toBe(0);
  });

  it('--option passes transform options through: usingDeclarations=true holds a bounded client with await using', async () => {
    const source = [
      `import { getPool } from '@bounded/runtime';`,
      `export async function plan(id: number) {`,
      `  const client = await getPool('main').acquire();`,
      `  await client.query('select $1::int', [id]);`,
      `  client.release();`,
      `}`,
      ``,
    ].join('\n');
    const plain = await migrate(['--dry-run', '--transform', 'release-clients'], project({ 'a.ts': source }));
    expect(plain.stdout).toMatch(/^\+\s*\} finally \{/m);
    const using = await migrate(
      ['--dry-run', '--transform', 'release-clients', '--option', 'usingDeclarations=true'],
      project({ 'a.ts': source }),
    );
    expect(using.code).toBe(0);
    expect(using.stdout).toMatch(/^\+\s*await using client = await getPool\('main'\)\.acquire\(\);$/m);
    expect(using.stdout).not.toMatch(/finally/);
    const bad = await migrate(['--dry-run', '--option', 'usingDeclarations'], project({ 'a.ts': source }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--option takes name=value/);
  });

  it('rewrites files and leaves the others byte-identical', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': FANOUT, 'c.ts': CLEAN });
    const first = await migrate(['--json', 'report.json'], root);
    expect(first.code).toBe(0);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(readFileSync(join(root, 'b.ts'), 'utf8')).toContain('mapBounded(');
    expect(readFileSync(join(root, 'c.ts'), 'utf8')).toBe(CLEAN);
    const report = readReport(root);
    expect(report).toMatchObject({ version: 1, scanned: 3, candidates: 2, changed: 2, unchanged: 0, failed: 0, reverted: 0 });
    expect(report.byTransform['add-timeouts']).toMatchObject({ candidates: 1, changed: 1, edits: 1 });
    expect(report.byTransform['bound-promise-all']).toMatchObject({ candidates: 1, changed: 1 });
    expect(first.stderr).toContain('3 files scanned, 2 candidates, 2 changed, 0 unchanged, 0 failed');
  });

  it('is idempotent: a second run changes nothing and says so', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': FANOUT, 'c.ts': CLEAN, 'd.ts': MIXED });
    expect((await migrate([], root)).code).toBe(0);
    const after = snapshot(root);
    const second = await migrate(['--json', '../second.json'], join(root));
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(' 0 changed, ');
    const report = readReport(root, '../second.json');
    expect(report.changed).toBe(0);
    expect(report.files.every((file) => file.status === 'unchanged')).toBe(true);
    expect(snapshot(root)).toEqual(after);
  });

  it('--json reports per file and per transform: rewritten lines, skipped sites with line:col and reason, failures', async () => {
    const broken = 'export async function f(u: string) { return fetch(u) +++ ; }\n';
    const root = project({ 'mixed.ts': MIXED, 'broken.ts': broken, 'clean.ts': CLEAN });
    const result = await migrate(['--dry-run', '--json', 'report.json'], root);
    expect(result.code).toBe(1);
    const report = readReport(root);
    expect(report).toMatchObject({ dryRun: true, scanned: 3, candidates: 2, changed: 1, failed: 1 });
    // Candidates only, in path order.
    expect(report.files.map((file) => [file.file, file.status])).toEqual([
      ['broken.ts', 'failed'],
      ['mixed.ts', 'changed'],
    ]);
    const [failed, mixed] = report.files;
    expect(failed).toMatchObject({ failedTransform: 'add-timeouts', changed: [] });
    expect(failed!.error).toMatch(/^cannot be parsed or transformed by add-timeouts/);
    expect(mixed!.changed).toEqual(['add-timeouts', 'bound-promise-all']);
    const timeouts = mixed!.transforms['add-timeouts']!;
    expect(timeouts.skipped).toEqual([
      { line: 2, column: 9, reason: 'fetch init is not an object literal; add `signal: AbortSignal.timeout(ms)` by hand' },
    ]);
    expect(timeouts.rewritten).toEqual([{ line: 3, endLine: 3 }]);
    // bound-promise-all ran on add-timeouts' output, which gained no lines: its edits (the import
    // at the top, the fan-out on line 3) are in lines of the original file.
    expect(mixed!.transforms['bound-promise-all']!.rewritten).toEqual([
      { line: 1, endLine: 1 },
      { line: 3, endLine: 3 },
    ]);
    expect(report.byTransform['add-timeouts']).toEqual({ candidates: 2, changed: 1, edits: 1, skipped: 1, failed: 1, reverted: 0 });
    expect(report.byTransform['bound-promise-all']).toEqual({ candidates: 1, changed: 1, edits: 2, skipped: 0, failed: 0, reverted: 0 });
    expect(readFileSync(join(root, 'broken.ts'), 'utf8')).toBe(broken);
  });

  it("maps a later transform's skipped sites back to lines of the original file", async () => {
    // add-timeouts adds no line, bound-promise-all adds an import line above the refused fan-out.
    const text = [
      `export async function f(urls: string[], xs: { map(fn: (x: string) => Promise<string>): Promise<string>[] }) {`,
      `  await Promise.all(urls.map((url) => fetch(url)));`,
      `  return Promise.all(xs.map(async function (x, i, all) { return x; }));`,
      `}`,
      ``,
    ].join('\n');
    const root = project({ 'a.ts': text });
    await migrate(['--dry-run', '--json', 'report.json'], root);
    const file = readReport(root).files[0]!;
    expect(file.transforms['bound-promise-all']!.skipped).toEqual([
      { line: 3, column: 10, reason: 'callback takes more than two parameters; mapBounded passes (item, index, signal)' },
    ]);
  });

  it('reports a file that does not parse and leaves it untouched', async () => {
    const broken = 'export async function f(u: string) { return fetch(u) +++ ; }\n';
    const root = project({ 'broken.ts': broken, 'a.ts': HAZARD });
    const result = await migrate([], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken\.ts: cannot be parsed or transformed by add-timeouts/);
    expect(readFileSync(join(root, 'broken.ts'), 'utf8')).toBe(broken);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('runs only the transforms asked for, in registry order, and refuses an unknown one', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': FANOUT, 'd.ts': MIXED });
    const forward = await migrate(['--dry-run', '--transform', 'add-timeouts,bound-promise-all'], root);
    const backward = await migrate(['--dry-run', '--transform', 'bound-promise-all,add-timeouts'], root);
    expect(backward.stdout).toBe(forward.stdout);
    await migrate(['--transform', 'bound-promise-all'], root);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(HAZARD);
    expect(readFileSync(join(root, 'b.ts'), 'utf8')).toContain('mapBounded(');
    const unknown = await migrate(['--transform', 'add-timeout'], root);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown transform "add-timeout" (did you mean "add-timeouts"?)');
  });

  it('refuses a --workers value that is not a positive whole number', async () => {
    const root = project({ 'a.ts': HAZARD });
    for (const value of ['0', '-1', '1.5', 'all']) {
      const result = await migrate([`--workers=${value}`], root);
      expect(result.code, value).toBe(2);
      expect(result.stderr).toContain(`--workers takes a positive whole number, got "${value}"`);
    }
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(HAZARD);
  });

  it('keeps standard output for the diff: the summary table goes to standard error', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': FANOUT, 'c.ts': CLEAN });
    const result = await migrate(['--dry-run'], root);
    expect(result.stdout.split('\n').every((line) => line === '' || /^(---|\+\+\+|@@|[ +-])/.test(line))).toBe(true);
    expect(result.stderr).toMatch(
      /^bounded migrate: 3 files scanned, 2 candidates, 2 would change, 0 unchanged, 0 failed \(main thread, \d+\.\d s\)$/m,
    );
    expect(result.stderr).toMatch(/^ {2}transform +candidates +changed +edits +skipped +failed$/m);
    expect(result.stderr).toMatch(/^ {2}add-timeouts +1 +1 +1 +0 +0$/m);
    expect(result.stderr).toMatch(/^ {2}bound-promise-all +1 +1 +2 +0 +0$/m);
    expect((await migrate(['--dry-run', '--quiet'], root)).stderr).toBe('');
  });

  it('draws a progress bar on standard error only when it is a terminal', async () => {
    const root = project({ 'a.ts': HAZARD, 'c.ts': CLEAN });
    const tty = await migrate(['--dry-run'], root, { tty: true });
    expect(tty.stderr).toContain('\r\x1b[Kbounded migrate: scanning [');
    expect(tty.stderr).toContain('transforming [########################] 1/1');
    // Cleared before the summary, which starts on a clean line.
    expect(tty.stderr).toContain('\r\x1b[Kbounded migrate: 2 files scanned');
    const pipe = await migrate(['--dry-run'], root);
    expect(pipe.stderr).not.toContain('\r');
    expect((await migrate(['--dry-run', '--quiet'], root, { tty: true })).stderr).toBe('');
  });

  it('refuses to write over uncommitted changes in a git work tree unless --force', async () => {
    const root = project({ 'a.ts': HAZARD });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    git('init', '-q');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'init');
    writeFileSync(join(root, 'a.ts'), `${HAZARD}// edited\n`);
    const refused = await migrate([], root);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('uncommitted changes (a.ts)');
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(`${HAZARD}// edited\n`);
    expect((await migrate(['--force'], root)).code).toBe(0);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('never follows a symlink or touches node_modules', async () => {
    const outside = project({ 'victim.ts': HAZARD });
    const root = project({ 'node_modules/dep/index.ts': HAZARD, 'src/ok.ts': CLEAN });
    symlinkSync(join(outside, 'victim.ts'), join(root, 'src', 'link.ts'));
    await migrate([], root);
    expect(readFileSync(join(outside, 'victim.ts'), 'utf8')).toBe(HAZARD);
    expect(readFileSync(join(root, 'node_modules/dep/index.ts'), 'utf8')).toBe(HAZARD);
  });
});
