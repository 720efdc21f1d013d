/**
 * Issue 21, item 8: `migrate` read every file, then wrote every file: an edit saved in
 * between (an editor, a formatter, a `git checkout`) was overwritten. Each file is now
 * compared with the bytes read right before it is replaced; one that changed is skipped and
 * reported as changed during the run.
 *
 * The edit is made when the run says, on a terminal, that it has started transforming: every
 * file has been read by then, and none written.
 */
import { readFileSync, lstatSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateCommand, type MigrateReport } from '../../cli/commands/migrate.js';
import { project } from '../cli/migrate-helpers.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
const EDITED = `${HAZARD}// the user's edit, saved while migrate ran\n`;

/** Runs migrate with a terminal on standard error, calling `meanwhile` once the transforms start. */
async function migrateWhile(args: string[], cwd: string, meanwhile: () => void): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  let done = false;
  const io = {
    stdout: { write: () => true },
    stderr: {
      isTTY: true,
      write: (text: string) => {
        stderr += text;
        if (!done && text.includes('transforming')) {
          done = true;
          meanwhile();
        }
        return true;
      },
    },
  };
  const code = await migrateCommand(args, io, cwd);
  expect(done, 'the edit was made').toBe(true);
  return { code, stderr };
}

describe('migrate and files edited while it runs (issue 21, item 8)', () => {
  it('keeps an edit saved between reading and writing, reports it as changed-during-run, and writes the rest', async () => {
    const root = project({ 'a.ts': HAZARD, 'b.ts': HAZARD });
    const result = await migrateWhile(['--json', 'report.json'], root, () => writeFileSync(join(root, 'a.ts'), EDITED));
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(EDITED);
    expect(readFileSync(join(root, 'b.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/a\.ts: changed during the run .*nothing written/);
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    expect(report.files.find((file) => file.file === 'a.ts')).toMatchObject({ status: 'failed', reason: 'changed-during-run' });
    expect(report.files.find((file) => file.file === 'b.ts')).toMatchObject({ status: 'changed' });
  });

  it('an edit of the same size, within the same second, is still seen (bytes are compared, not only size and mtime)', async () => {
    const root = project({ 'a.ts': HAZARD });
    const same = HAZARD.replace('url', 'uri').replace('(url)', '(uri)');
    expect(same.length).toBe(HAZARD.length);
    const before = lstatSync(join(root, 'a.ts'));
    await migrateWhile([], root, () => writeFileSync(join(root, 'a.ts'), same));
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(same);
    expect(lstatSync(join(root, 'a.ts')).size).toBe(before.size);
  });

  it("a file replaced by a symbolic link meanwhile keeps the link, and the link's target is untouched", async () => {
    const root = project({ 'a.ts': HAZARD, 'elsewhere/target.ts': HAZARD });
    const result = await migrateWhile(['a.ts'], root, () => {
      renameSync(join(root, 'a.ts'), join(root, 'a.ts.old'));
      symlinkSync(join(root, 'elsewhere/target.ts'), join(root, 'a.ts'));
    });
    expect(lstatSync(join(root, 'a.ts')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(root, 'a.ts'))).toBe(join(root, 'elsewhere/target.ts'));
    expect(readFileSync(join(root, 'elsewhere/target.ts'), 'utf8')).toBe(HAZARD);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/a\.ts: changed during the run/);
  });

  it('a file deleted meanwhile is not brought back', async () => {
    const root = project({ 'a.ts': HAZARD });
    const { rmSync, existsSync } = await import('node:fs');
    const result = await migrateWhile([], root, () => rmSync(join(root, 'a.ts')));
    expect(existsSync(join(root, 'a.ts'))).toBe(false);
    expect(result.stderr).toMatch(/a\.ts: changed during the run \(it is gone\)/);
  });
});
