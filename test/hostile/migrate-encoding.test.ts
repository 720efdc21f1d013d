/**
 * Issue 21, item 7: `migrate` decoded files leniently, so the bytes of a Latin-1 (or any non
 * UTF-8) file — string literals included — came back as U+FFFD, with no warning. A file that
 * is not valid UTF-8 is now refused, reported with where, and left byte for byte; a UTF-8 byte
 * order mark stays as it was.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { migrate, project } from '../cli/migrate-helpers.js';

const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
/** `café` in Latin-1: 0xE9 is not valid UTF-8 on its own. */
const LATIN1 = Buffer.concat([Buffer.from(`export const greeting = "caf`), Buffer.from([0xe9]), Buffer.from(`";\n${HAZARD}`)]);

describe('migrate and file encodings (issue 21, item 7)', () => {
  it('refuses a file that is not valid UTF-8: reports file and reason, writes nothing, exit 1', async () => {
    const root = project({ 'ok.ts': HAZARD });
    writeFileSync(join(root, 'latin1.ts'), LATIN1);
    const result = await migrate(['--json', 'report.json'], root);
    expect(result.code).toBe(1);
    // Byte for byte: no U+FFFD (EF BF BD) anywhere.
    expect(readFileSync(join(root, 'latin1.ts')).equals(LATIN1)).toBe(true);
    expect(result.stderr).toMatch(/latin1\.ts: is not valid UTF-8 \(byte 0xe9 at offset 28, line 1\)/);
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    expect(report.files.find((file) => file.file === 'latin1.ts')).toMatchObject({ status: 'failed', reason: 'not-utf8' });
    expect(report.failed).toBe(1);
    // The rest of the run goes on.
    expect(readFileSync(join(root, 'ok.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('--dry-run shows no diff for it, and never a replacement character', async () => {
    const root = project({});
    writeFileSync(join(root, 'latin1.ts'), LATIN1);
    const result = await migrate(['--dry-run'], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stdout + result.stderr).not.toContain('\uFFFD');
  });

  it('keeps a UTF-8 byte order mark, once, and the rest of the bytes as they were', async () => {
    const root = project({});
    const text = `// \u00e9t\u00e9 \u{1F600}\nexport const s = "\u00fc\u00df";\n${HAZARD}`;
    writeFileSync(join(root, 'bom.ts'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    const result = await migrate([], root);
    expect(result.code).toBe(0);
    const after = readFileSync(join(root, 'bom.ts'));
    expect([...after.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect([...after.subarray(3, 6)]).not.toEqual([0xef, 0xbb, 0xbf]);
    const written = after.subarray(3).toString('utf8');
    expect(written).toContain('AbortSignal.timeout(');
    expect(written.startsWith(`// \u00e9t\u00e9 \u{1F600}\nexport const s = "\u00fc\u00df";\n`)).toBe(true);
  });

  it('a file without a byte order mark gets none', async () => {
    const root = project({ 'plain.ts': HAZARD });
    await migrate([], root);
    expect(readFileSync(join(root, 'plain.ts'))[0]).toBe('e'.charCodeAt(0));
  });

  it('a non-UTF-8 file no transform would touch is not reported (it is never written either way)', async () => {
    const root = project({});
    writeFileSync(join(root, 'quiet.ts'), Buffer.concat([Buffer.from('export const s = "caf'), Buffer.from([0xe9]), Buffer.from('";\n')]));
    const result = await migrate(['--dry-run'], root);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('quiet.ts');
  });
});
