import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateCommand, type MigrateReport } from '../../cli/commands/migrate.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
const FANOUT = `export async function all(urls: string[]) {\n  return Promise.all(urls.map((url) => load(url)));\n}\ndeclare function load(url: string): Promise<string>;\n`;
const CLEAN = `export const answer = 42;\n`;

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'bounded-migrate-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

async function migrate(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  const code = await migrateCommand(args, io, cwd);
  return { code, stdout, stderr };
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

  it('rewrites files, leaves the others byte-identical, and changes nothing on a second run', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': FANOUT, 'c.ts': CLEAN });
    const first = await migrate(['--json', 'report.json'], root);
    expect(first.code).toBe(0);
    const a = readFileSync(join(root, 'a.ts'), 'utf8');
    expect(a).toContain('AbortSignal.timeout(');
    expect(readFileSync(join(root, 'b.ts'), 'utf8')).toContain('mapBounded(');
    expect(readFileSync(join(root, 'c.ts'), 'utf8')).toBe(CLEAN);
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    expect(report).toMatchObject({ scanned: 3, changed: 2, failed: 0, byTransform: { 'add-timeouts': 1, 'bound-promise-all': 1 } });
    expect(first.stderr).toContain('3 files scanned, 2 candidates, 2 changed');
    const second = await migrate(['--check'], root);
    expect(second.code).toBe(0);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(a);
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

  it('runs only the transforms asked for, and refuses an unknown one', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': FANOUT });
    await migrate(['--transform', 'bound-promise-all'], root);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(HAZARD);
    const unknown = await migrate(['--transform', 'add-timeout'], root);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown transform "add-timeout" (did you mean "add-timeouts"?)');
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
