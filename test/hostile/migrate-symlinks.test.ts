/**
 * Issue 21, item 10: `migrate` given a symbolic link replaced the link with a regular file;
 * given a linked folder, it rewrote files outside the tree; and `bounded migrate /` had no
 * guard. Links are now never followed or replaced (skipped and reported), and the root of the
 * file system and home folders are refused without `--force`.
 */
import { lstatSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { sweepingTarget } from '../../cli/migrate-guard.js';
import { migrate, project } from '../cli/migrate-helpers.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;

describe('migrate never follows or replaces a symbolic link (issue 21, item 10)', () => {
  it('a link given as the argument stays a link, its target untouched, and is reported as skipped', async () => {
    const outside = project({ 'victim.ts': HAZARD });
    const root = project({});
    symlinkSync(join(outside, 'victim.ts'), join(root, 'link.ts'));
    const result = await migrate(['link.ts', '--json', 'report.json'], root);
    expect(lstatSync(join(root, 'link.ts')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(root, 'link.ts'))).toBe(join(outside, 'victim.ts'));
    expect(readFileSync(join(outside, 'victim.ts'), 'utf8')).toBe(HAZARD);
    expect(result.stderr).toContain('link.ts: skipped: a symbolic link (never followed or replaced)');
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    expect(report.files).toEqual([expect.objectContaining({ file: 'link.ts', status: 'skipped', reason: 'symlink' })]);
    expect(report.skipped).toBe(1);
  });

  it('a linked folder given as the argument is not entered: files outside the tree stay as they were', async () => {
    const outside = project({ 'src/victim.ts': HAZARD });
    const root = project({});
    symlinkSync(join(outside, 'src'), join(root, 'linked'));
    const result = await migrate(['linked'], root);
    expect(readFileSync(join(outside, 'src/victim.ts'), 'utf8')).toBe(HAZARD);
    expect(result.stderr).toContain('linked: skipped: a symbolic link');
  });

  it('a linked folder inside the tree is not entered, and is reported', async () => {
    const outside = project({ 'victim.ts': HAZARD });
    const root = project({ 'src/own.ts': HAZARD });
    symlinkSync(outside, join(root, 'src', 'vendor'));
    const result = await migrate([], root);
    expect(readFileSync(join(outside, 'victim.ts'), 'utf8')).toBe(HAZARD);
    expect(readFileSync(join(root, 'src/own.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(result.stderr).toContain(`${join('src', 'vendor')}: skipped: a symbolic link to a folder (never followed)`);
    expect(result.code).toBe(0);
  });

  it('a linked file inside the tree stays a link', async () => {
    const root = project({ 'real.ts': HAZARD });
    symlinkSync('real.ts', join(root, 'alias.ts'));
    await migrate([], root);
    expect(lstatSync(join(root, 'alias.ts')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(root, 'real.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });
});

/**
 * These tests must stay harmless if the guard ever regresses: a write run on `/` rewrites every
 * source file on the machine (this happened once, running these very tests against the old
 * code). So a real system folder is only ever named with `--dry-run --max-file-size 1` (which
 * reads no file even when the guard is gone), and the write-mode refusal is shown on a fake
 * home folder (HOME pointed at a throwaway project).
 */
describe('migrate refuses / and home folders without --force (issue 21, item 10)', () => {
  const home = process.env.HOME;
  afterEach(() => {
    if (home === undefined) delete process.env.HOME;
    else process.env.HOME = home;
  });
  /** Reads nothing, writes nothing, whatever the guard does. */
  const SAFE = ['--dry-run', '--max-file-size', '1', '--quiet'];

  it('sweepingTarget names / and the home folders, and nothing below them', () => {
    const cwd = project({});
    expect(sweepingTarget(['/'], cwd)).toBe('/ is the root of the file system');
    expect(sweepingTarget(['/home'], cwd)).toMatch(/^\/home is a home folder/);
    expect(sweepingTarget(['/Users'], cwd)).toMatch(/^\/Users is a home folder/);
    expect(sweepingTarget(['/root'], cwd)).toMatch(/^\/root is a home folder/);
    expect(sweepingTarget(['src', '/'], cwd)).toBe('/ is the root of the file system');
    expect(sweepingTarget(['/home/someone/project', join(cwd, 'src')], cwd)).toBeUndefined();
    expect(sweepingTarget([], cwd)).toBeUndefined();
  });

  it('bounded migrate / is refused at once, with a clear message', async () => {
    const started = performance.now();
    const result = await migrate([...SAFE, '/'], project({}));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refusing to run on / is the root of the file system');
    expect(result.stderr).toContain('pass --force');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('/home, /root and /Users are refused', async () => {
    for (const folder of ['/home', '/root', '/Users']) {
      const result = await migrate([...SAFE, folder], project({}));
      // A folder that does not exist here is a usage error too; either way nothing is read.
      expect(result.code, folder).toBe(2);
      expect(result.stderr, folder).toMatch(/is a home folder|no such file or folder/);
    }
  });

  it("the user's home folder (os.homedir()) is refused, also as the default path `.`, when writing; --force runs", async () => {
    const root = project({ 'a.ts': HAZARD });
    process.env.HOME = root;
    const refused = await migrate([], root);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`. is a home folder (${root})`);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(HAZARD);
    const forced = await migrate(['--force'], root);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('a link to a home folder counts as the home folder', async () => {
    const fakeHome = project({ 'a.ts': HAZARD });
    process.env.HOME = fakeHome;
    const root = project({});
    symlinkSync(fakeHome, join(root, 'me'));
    const result = await migrate(['me'], root);
    expect(result.code).toBe(2);
    expect(readFileSync(join(fakeHome, 'a.ts'), 'utf8')).toBe(HAZARD);
  });
});
