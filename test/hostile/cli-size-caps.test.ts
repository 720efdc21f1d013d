/**
 * Issue 21, item 17 (CLI side): an 8 MB minified file or a 20 MB generated one ran `check` out
 * of memory; and `--output` / `--json FILE` overwrote any file, source files included. Files
 * over a size cap (1 MB unless --max-file-size says otherwise) are now skipped and reported by
 * `check` and `migrate`, and a report is written over an existing file only when that file is
 * a report of the same kind (or empty), unless --force.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { formatSize, parseFileSize } from '../../cli/files.js';
import { migrate, project } from '../cli/migrate-helpers.js';

const LINT_HAZARD = `import fs from 'node:fs';\nexport async function handler(path: string) {\n  return fs.readFileSync(path, 'utf8');\n}\n`;
const SAFE = `export const answer = 42;\n`;
const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;

/** A generated file of about `bytes` bytes, with a finding (or a migrate hazard) at its end. */
function generated(bytes: number, tail: string): string {
  const line = '  "0123456789012345678901234567890123456789012345678901234567890123456789",\n';
  return `export const data = [\n${line.repeat(Math.ceil(bytes / line.length))}];\n${tail}`;
}

async function check(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
  const code = await checkCommand(args, io, cwd);
  return { code, stdout, stderr };
}

describe('size caps for check and migrate (issue 21, item 17)', () => {
  it('check skips a file over 1 MB, says so, and checks the rest', async () => {
    const root = project({ 'src/ok.ts': SAFE, 'src/huge.generated.ts': generated(2 * 1024 * 1024, LINT_HAZARD) });
    const result = await check(['--format', 'json'], root);
    const linted = (JSON.parse(result.stdout) as { filePath: string }[]).map((entry) => entry.filePath);
    expect(linted).toEqual([join(root, 'src/ok.ts')]);
    expect(result.stderr).toMatch(/src\/huge\.generated\.ts: skipped: 2(\.0)? MB, over the 1 MB cap \(--max-file-size\)/);
    expect(result.code).toBe(0);
  });

  it('check skips an 8 MB minified file given by name, at once', async () => {
    const root = project({ 'bundle.min.js': `${'var a=1;'.repeat(1024 * 1024)}\n` });
    const started = performance.now();
    const result = await check(['bundle.min.js', '--format', 'json'], root);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(result.stderr).toContain('bundle.min.js: skipped: 8 MB, over the 1 MB cap');
  });

  it('check --max-file-size raises (or lifts) the cap, and refuses a size it cannot read', async () => {
    const root = project({ 'mid.ts': generated(150 * 1024, LINT_HAZARD) });
    const lowered = await check(['--max-file-size', '100KB', '--format', 'json'], root);
    expect(JSON.parse(lowered.stdout)).toEqual([]);
    expect(lowered.stderr).toMatch(/mid\.ts: skipped: 150(\.\d)? KB, over the 100 KB cap/);
    const raised = await check(['--max-file-size', '200KB', '--format', 'json'], root);
    expect((JSON.parse(raised.stdout) as unknown[]).length).toBe(1);
    expect(raised.code).toBe(1);
    expect((JSON.parse((await check(['--max-file-size', 'none', '--format', 'json'], root)).stdout) as unknown[]).length).toBe(1);
    const bad = await check(['--max-file-size', 'lots'], root);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-file-size takes a size such as 500KB, 2MB or none, got "lots"');
  });

  it('migrate skips and reports a file over the cap, and leaves it untouched; --max-file-size none migrates it', async () => {
    const big = generated(1.2 * 1024 * 1024, HAZARD);
    const root = project({ 'big.ts': big, 'small.ts': HAZARD });
    const result = await migrate(['--json', 'report.json'], root);
    expect(result.code).toBe(0);
    expect(readFileSync(join(root, 'big.ts'), 'utf8')).toBe(big);
    expect(readFileSync(join(root, 'small.ts'), 'utf8')).toContain('AbortSignal.timeout(');
    expect(result.stderr).toMatch(/big\.ts: skipped: 1\.2 MB, over the 1 MB cap/);
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    expect(report.files.find((file) => file.file === 'big.ts')).toMatchObject({ status: 'skipped', reason: 'too-large' });
    expect(report.skipped).toBe(1);
    const lifted = await migrate(['--max-file-size', 'none'], root);
    expect(lifted.code, lifted.stderr).toBe(0);
    expect(readFileSync(join(root, 'big.ts'), 'utf8')).toContain('AbortSignal.timeout(');
  });

  it('reads sizes with units (binary) and prints them back', () => {
    expect(parseFileSize('1MB')).toBe(1024 * 1024);
    expect(parseFileSize('500KB')).toBe(500 * 1024);
    expect(parseFileSize('1.5m')).toBe(1.5 * 1024 * 1024);
    expect(parseFileSize('2048')).toBe(2048);
    expect(parseFileSize('none')).toBe(Number.POSITIVE_INFINITY);
    expect(parseFileSize('0')).toBeUndefined();
    expect(parseFileSize('-1MB')).toBeUndefined();
    expect(formatSize(8 * 1024 * 1024)).toBe('8 MB');
    expect(formatSize(1536)).toBe('1.5 KB');
  });
});

describe('--output and --json never overwrite a file of another kind (issue 21, item 17)', () => {
  it('check --output refuses a source file, and --force overwrites it', async () => {
    const root = project({ 'src/a.ts': LINT_HAZARD });
    const refused = await check(['src', '--output', 'src/a.ts'], root);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--output src/a.ts: is a source file; pass --force to overwrite it');
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).toBe(LINT_HAZARD);
    await check(['src', '--output', 'src/a.ts', '--force'], root);
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).not.toBe(LINT_HAZARD);
  });

  it('check --output refuses a file that is not a report of its format; overwrites a previous one, or an empty one', async () => {
    const root = project({ 'a.ts': LINT_HAZARD, 'notes.txt': 'my notes\n', 'package.json': '{ "name": "x" }\n', 'empty.json': '' });
    for (const [file, format] of [
      ['notes.txt', 'stylish'],
      ['package.json', 'json'],
      ['package.json', 'sarif'],
    ] as const) {
      const refused = await check(['a.ts', '--format', format, '--output', file], root);
      expect(refused.code, `${format} over ${file}`).toBe(2);
      expect(refused.stderr).toMatch(/exists and is not a (bounded check( --format json)? report|SARIF log); pass --force/);
    }
    expect(readFileSync(join(root, 'notes.txt'), 'utf8')).toBe('my notes\n');
    expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe('{ "name": "x" }\n');
    // Its own kind, twice over: each run replaces the previous report.
    for (const format of ['json', 'sarif', 'stylish']) {
      const out = `report.${format}`;
      expect((await check(['a.ts', '--format', format, '--output', out], root)).code, format).toBe(1);
      expect((await check(['a.ts', '--format', format, '--output', out], root)).code, format).toBe(1);
    }
    // JSON over SARIF is not its kind.
    expect((await check(['a.ts', '--format', 'json', '--output', 'report.sarif'], root)).code).toBe(2);
    expect((await check(['a.ts', '--format', 'json', '--output', 'empty.json'], root)).code).toBe(1);
    expect(JSON.parse(readFileSync(join(root, 'empty.json'), 'utf8'))).toHaveLength(1);
  });

  it('migrate --json refuses a source file or a file that is not a migrate report; replaces a previous report', async () => {
    const root = project({ 'a.ts': HAZARD, 'package.json': '{ "name": "x" }\n' });
    const source = await migrate(['--dry-run', '--json', 'a.ts'], root);
    expect(source.code).toBe(2);
    expect(source.stderr).toContain('--json a.ts: is a source file; pass --force to overwrite it');
    expect(readFileSync(join(root, 'a.ts'), 'utf8')).toBe(HAZARD);
    const other = await migrate(['--dry-run', '--json', 'package.json'], root);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--json package.json: exists and is not a bounded migrate --json report');
    expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe('{ "name": "x" }\n');
    expect((await migrate(['--dry-run', '--json', 'report.json'], root)).code).toBe(0);
    expect((await migrate(['--dry-run', '--json', 'report.json'], root)).code).toBe(0);
    expect((await migrate(['--dry-run', '--json', 'package.json', '--force'], root)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))).toMatchObject({ version: 1 });
  });

  it('refuses a symbolic link or a folder as the output', async () => {
    const root = project({ 'a.ts': LINT_HAZARD, 'dir/x.txt': '' });
    const { symlinkSync } = await import('node:fs');
    writeFileSync(join(root, 'target.json'), '[]\n');
    symlinkSync(join(root, 'target.json'), join(root, 'link.json'));
    expect((await check(['a.ts', '--format', 'json', '--output', 'link.json'], root)).stderr).toContain('is a symbolic link');
    expect((await check(['a.ts', '--format', 'json', '--output', 'dir'], root)).stderr).toContain('is a folder');
    // --force replaces the link itself; what it pointed at is untouched.
    await check(['a.ts', '--format', 'json', '--output', 'link.json', '--force'], root);
    const { lstatSync } = await import('node:fs');
    expect(lstatSync(join(root, 'link.json')).isFile()).toBe(true);
    expect(readFileSync(join(root, 'target.json'), 'utf8')).toBe('[]\n');
  });
});
