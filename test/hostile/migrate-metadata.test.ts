/**
 * Issue 21, item 11: a rewritten file lost its mode (0664 became 0644; under umask 077, 0755
 * became 0700), its owner (the caller's instead) and its hard links; and an interrupted run
 * left `.tmp` files that nothing removed. The temporary copy now takes the file's mode and
 * owner before it is renamed over it, a hard-linked file is written in place after the
 * checked copy, and each run removes the temporary files (named `.bounded-…tmp`) of runs
 * whose process is gone.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMP_PREFIX, tempPath } from '../../cli/write-file.js';
import { migrate, project } from '../cli/migrate-helpers.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
const isRoot = process.getuid?.() === 0;

function mode(path: string): number {
  return statSync(path).mode & 0o7777;
}

/** A pid that was just in use and is not any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe("migrate keeps a file's mode, owner and hard links (issue 21, item 11)", () => {
  it('keeps mode 0664 (group-writable)', async () => {
    const root = project({ 'a.ts': HAZARD });
    chmodSync(join(root, 'a.ts'), 0o664);
    expect((await migrate([], root)).code).toBe(0);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(mode(join(root, 'a.ts'))).toBe(0o664);
  });

  it('keeps mode 0755 under umask 077', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': HAZARD });
    chmodSync(join(root, 'a.ts'), 0o755);
    chmodSync(join(root, 'b.ts'), 0o640);
    const previous = process.umask(0o077);
    try {
      expect((await migrate([], root)).code).toBe(0);
    } finally {
      process.umask(previous);
    }
    expect(mode(join(root, 'a.ts'))).toBe(0o755);
    expect(mode(join(root, 'b.ts'))).toBe(0o640);
  });

  it('keeps a hard link: both names still share one inode, with the new text', async () => {
    const root = project({ 'src/a.ts': HAZARD });
    const outside = project({});
    linkSync(join(root, 'src/a.ts'), join(outside, 'same.ts'));
    const inode = statSync(join(root, 'src/a.ts')).ino;
    expect((await migrate(['src'], root)).code).toBe(0);
    const after = statSync(join(root, 'src/a.ts'));
    expect(after.ino).toBe(inode);
    expect(after.nlink).toBe(2);
    expect(readFileSync(join(outside, 'same.ts'), 'utf8')).toBe(readFileSync(join(root, 'src/a.ts'), 'utf8'));
    expect(readFileSync(join(outside, 'same.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('two hard links in one run: the file is migrated once, the second name reported as the same file', async () => {
    const root = project({ 'a.ts': HAZARD });
    linkSync(join(root, 'a.ts'), join(root, 'b.ts'));
    const result = await migrate(['--json', 'report.json'], root);
    expect(result.code).toBe(0);
    expect(readFileSync(join(root, 'b.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(statSync(join(root, 'a.ts')).ino).toBe(statSync(join(root, 'b.ts')).ino);
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as {
      files: { file: string; status: string; reason?: string }[];
    };
    expect(report.files).toEqual([
      expect.objectContaining({ file: 'a.ts', status: 'changed' }),
      expect.objectContaining({ file: 'b.ts', status: 'skipped', reason: 'same-file' }),
    ]);
  });

  it.skipIf(!isRoot)('keeps the owner and group (running as root: the new file is chowned back)', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': HAZARD });
    chownSync(join(root, 'a.ts'), 1234, 5678);
    chownSync(join(root, 'b.ts'), 4321, 0);
    chmodSync(join(root, 'b.ts'), 0o2755);
    expect((await migrate([], root)).code).toBe(0);
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(statSync(join(root, 'a.ts'))).toMatchObject({ uid: 1234, gid: 5678 });
    expect(statSync(join(root, 'b.ts'))).toMatchObject({ uid: 4321, gid: 0 });
    // Set-id bits survive the chown (mode is set after it).
    expect(mode(join(root, 'b.ts'))).toBe(0o2755);
  });

  it('leaves no temporary file behind', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': HAZARD });
    await migrate(['--json', 'report.json'], root);
    expect(readdirSync(root).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('migrate removes the temporary files of interrupted runs, and only those (issue 21, item 11)', () => {
  it('names its temporary files recognisably: .bounded-<name>.<pid>.<random>.tmp, short enough for any name', () => {
    const path = tempPath('/x/a.ts');
    expect(path).toMatch(new RegExp(`^/x/${TEMP_PREFIX.replace('.', '\\.')}a\\.ts\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    const long = tempPath(`/x/${'é'.repeat(120)}.ts`);
    expect(Buffer.byteLength(long.slice(3))).toBeLessThan(255);
  });

  it('removes the stale ones of dead processes at the start of a run; keeps those of live processes and anything else', async () => {
    const root = project({ 'src/a.ts': HAZARD });
    const dead = deadPid();
    const stale = join(root, 'src', `.bounded-a.ts.${dead}.0123456789ab.tmp`);
    const live = join(root, 'src', `.bounded-a.ts.${process.ppid}.0123456789ab.tmp`);
    const notOurs = join(root, 'src', `.a.ts.${dead}.1700000000000.tmp`);
    const lookalike = join(root, 'src', `.bounded-notes.txt`);
    for (const file of [stale, live, notOurs, lookalike]) writeFileSync(file, 'half-written');
    const result = await migrate([], root);
    expect(result.code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(notOurs)).toBe(true);
    expect(existsSync(lookalike)).toBe(true);
    expect(result.stderr).toContain('removed 1 temporary file left by an interrupted run');
  });

  it('a dry run removes nothing', async () => {
    const root = project({ 'a.ts': HAZARD });
    const stale = join(root, `.bounded-a.ts.${deadPid()}.0123456789ab.tmp`);
    writeFileSync(stale, 'half-written');
    await migrate(['--dry-run'], root);
    expect(existsSync(stale)).toBe(true);
  });
});
