/**
 * Issue 21, item 9: the uncommitted-changes guard asked the current directory's repository,
 * not the target's, and left untracked files out: `cd repoA && bounded migrate ../repoB`
 * rewrote repoB's uncommitted work. Each file is now checked in its own repository, untracked
 * files included; `--force` still writes.
 */
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, migrate, project, repository } from '../cli/migrate-helpers.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
const WORK = `${HAZARD}// uncommitted work\n`;
const isRoot = process.getuid?.() === 0;

describe("migrate guards the target's own repository (issue 21, item 9)", () => {
  it("cd repoA && migrate ../repoB refuses repoB's uncommitted changes", async () => {
    const repoA = repository({ 'a.ts': 'export const a = 1;\n' });
    const repoB = repository({ 'b.ts': HAZARD });
    writeFileSync(join(repoB, 'b.ts'), WORK);
    const result = await migrate([relative(repoA, repoB)], repoA);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('uncommitted changes');
    expect(result.stderr).toContain(join(relative(repoA, repoB), 'b.ts'));
    expect(readFileSync(join(repoB, 'b.ts'), 'utf8')).toBe(WORK);
  });

  it('refuses an untracked file in the target repository (git has no copy of it)', async () => {
    const repo = repository({ 'committed.ts': 'export const c = 1;\n' });
    writeFileSync(join(repo, 'new.ts'), HAZARD);
    const result = await migrate([], repo);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('uncommitted changes (new.ts)');
    expect(readFileSync(join(repo, 'new.ts'), 'utf8')).toBe(HAZARD);
  });

  it('refuses from a folder that is no repository at all, pointed at one with work in it', async () => {
    const outside = project({});
    const repo = repository({ 'src/b.ts': HAZARD });
    writeFileSync(join(repo, 'src/b.ts'), WORK);
    const result = await migrate([join(repo, 'src')], outside);
    expect(result.code).toBe(1);
    expect(readFileSync(join(repo, 'src/b.ts'), 'utf8')).toBe(WORK);
  });

  it('checks each repository of a run by its own status: one dirty repository stops the whole run', async () => {
    const clean = repository({ 'c.ts': HAZARD });
    const dirty = repository({ 'd.ts': HAZARD });
    writeFileSync(join(dirty, 'd.ts'), WORK);
    const cwd = project({});
    const result = await migrate([clean, dirty], cwd);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`uncommitted changes (${relative(cwd, join(dirty, 'd.ts'))})`);
    expect(readFileSync(join(clean, 'c.ts'), 'utf8')).toBe(HAZARD);
    expect(readFileSync(join(dirty, 'd.ts'), 'utf8')).toBe(WORK);
  });

  it('a nested repository (a submodule-like folder) answers for its own files', async () => {
    const outer = repository({ 'o.ts': 'export const o = 1;\n' });
    const inner = join(outer, 'vendor', 'inner');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(inner, 'i.ts'), HAZARD);
    git(inner, 'init', '-q');
    git(inner, 'add', '-A');
    git(inner, 'commit', '-qm', 'inner');
    writeFileSync(join(inner, 'i.ts'), WORK);
    // The outer repository sees vendor/inner as an untracked folder; the file's own repository sees a change.
    const result = await migrate([join('vendor', 'inner')], outer);
    expect(result.code).toBe(1);
    expect(readFileSync(join(inner, 'i.ts'), 'utf8')).toBe(WORK);
  });

  it('writes when the target repository is clean, whatever the current one holds', async () => {
    const repoA = repository({ 'a.ts': 'export const a = 1;\n' });
    writeFileSync(join(repoA, 'a.ts'), 'export const a = 2;\n');
    writeFileSync(join(repoA, 'untracked.ts'), 'export const u = 1;\n');
    const repoB = repository({ 'b.ts': HAZARD });
    const result = await migrate([relative(repoA, repoB)], repoA);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(repoB, 'b.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('--force still writes over uncommitted and untracked work', async () => {
    const repo = repository({ 'b.ts': HAZARD });
    writeFileSync(join(repo, 'b.ts'), WORK);
    writeFileSync(join(repo, 'new.ts'), HAZARD);
    const result = await migrate(['--force'], repo);
    expect(result.code).toBe(0);
    expect(readFileSync(join(repo, 'b.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(readFileSync(join(repo, 'new.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('--dry-run and --check are not guarded (they write nothing)', async () => {
    const repo = repository({ 'b.ts': HAZARD });
    writeFileSync(join(repo, 'b.ts'), WORK);
    expect((await migrate(['--dry-run'], repo)).code).toBe(0);
    expect((await migrate(['--check'], repo)).code).toBe(1);
    expect(readFileSync(join(repo, 'b.ts'), 'utf8')).toBe(WORK);
  });

  it.skipIf(!isRoot)(
    'refuses a repository whose status git will not read (dubious ownership), rather than taking it as clean',
    async () => {
      const repo = repository({ 'b.ts': HAZARD });
      writeFileSync(join(repo, 'b.ts'), WORK);
      // Owned by someone else: git refuses to read it for root unless it is marked safe.
      const chownAll = (uid: number): void => {
        const walk = (path: string): void => {
          chownSync(path, uid, uid);
          if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
        };
        walk(repo);
      };
      chownAll(4321);
      const result = await migrate([], repo);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/cannot read the git status of .*dubious ownership/);
      expect(readFileSync(join(repo, 'b.ts'), 'utf8')).toBe(WORK);
    },
  );
});
