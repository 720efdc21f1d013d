/**
 * Issue 21, item 12: one file that could not be written aborted `migrate` half-way, with a
 * stack trace and no report. It is now reported (file and reason, such as EACCES or EPERM)
 * and the run goes on; the summary, the JSON report and the exit code say a file failed.
 *
 * Root can write anything a permission bit forbids, so as root the file is made immutable
 * (`chattr +i`: even root gets EPERM replacing it); otherwise its folder is made read-only
 * (EACCES). When neither can deny a write here, the test says so and is skipped.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { migrate, project } from '../cli/migrate-helpers.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
const isRoot = process.getuid?.() === 0;

/** Undo list: every lock is lifted after each test, so the temp folders can be removed. */
const unlocks: (() => void)[] = [];
afterEach(() => {
  for (const unlock of unlocks.splice(0)) unlock();
});

/**
 * Makes `file` impossible to replace or write, for whoever runs the tests. Returns the error
 * code a write gets, or undefined when this machine cannot deny one (then the test is skipped).
 */
function lock(file: string): string | undefined {
  if (isRoot) {
    try {
      execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
    } catch {
      return undefined;
    }
    unlocks.push(() => execFileSync('chattr', ['-i', file], { stdio: 'ignore' }));
    return 'EPERM';
  }
  const dir = join(file, '..');
  chmodSync(file, 0o444);
  chmodSync(dir, 0o555);
  unlocks.push(() => chmodSync(dir, 0o755));
  return 'EACCES';
}

/** Whether root can be denied a write here at all (chattr works on this file system). */
function canLock(): boolean {
  const root = project({ 'probe.ts': '' });
  const code = lock(join(root, 'probe.ts'));
  let denied = false;
  if (code !== undefined) {
    try {
      writeFileSync(join(root, 'probe.ts'), 'x');
    } catch {
      denied = true;
    }
  }
  for (const unlock of unlocks.splice(0)) unlock();
  return denied;
}
const lockable = canLock();
if (!lockable)
  console.warn('migrate-unwritable: skipped: this machine cannot deny the test process a write (root without a working chattr)');

describe.skipIf(!lockable)('migrate and a file it cannot write (issue 21, item 12)', () => {
  it('reports the file with the reason, writes the others, says so in the summary, the JSON report and the exit code', async () => {
    const root = project({ 'a.ts': HAZARD, 'locked/b.ts': HAZARD, 'z.ts': HAZARD });
    const code = lock(join(root, 'locked/b.ts'))!;
    const result = await migrate(['--json', 'report.json'], root);
    expect(result.code).toBe(1);
    // No stack trace: one line naming the file and the reason.
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toMatch(new RegExp(`locked/b\\.ts: cannot be written: ${code}\\b`));
    expect(result.stderr).toContain('2 changed, 0 unchanged, 1 failed');
    // The files before and after it in path order were both written.
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(readFileSync(join(root, 'z.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(readFileSync(join(root, 'locked/b.ts'), 'utf8')).toBe(HAZARD);
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    expect(report.failed).toBe(1);
    expect(report.files.find((file) => file.file === join('locked', 'b.ts'))).toMatchObject({ status: 'failed', reason: 'write-failed' });
    expect(report.files.find((file) => file.file === join('locked', 'b.ts'))!.error).toContain(code);
    // Its temporary copy is gone too.
    expect(readdirSync(join(root, 'locked')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a hard-linked file (written in place) that cannot be written is reported the same way', async () => {
    const root = project({ 'locked/b.ts': HAZARD });
    const { linkSync } = await import('node:fs');
    linkSync(join(root, 'locked/b.ts'), join(root, 'b-link.ts.txt'));
    const code = lock(join(root, 'locked/b.ts'))!;
    const result = await migrate(['locked'], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`b\\.ts: cannot be written.*${code}`));
    expect(readFileSync(join(root, 'locked/b.ts'), 'utf8')).toBe(HAZARD);
  });

  it('a --json report that cannot be written is reported without a stack trace, exit 1, after the files are written', async () => {
    const root = project({ 'a.ts': HAZARD });
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'out', 'report.json'), '');
    const code = lock(join(root, 'out', 'report.json'))!;
    const result = await migrate(['--json', join('out', 'report.json')], root);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toMatch(new RegExp(`--json out/report\\.json: cannot be written: ${code}`));
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });
});
