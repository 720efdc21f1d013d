/**
 * `bounded migrate --format`: the target repository's Prettier, on the changed lines only.
 * bounded installs no Prettier; each project here carries a stand-in under its own
 * node_modules that records its calls and collapses runs of spaces after code inside the range it is
 * given, so what lies outside that range shows whether only the edited lines were handed over.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedRanges } from '../../cli/migrate-format.js';
import { migrate, project } from './migrate-helpers.js';

const STAND_IN = `
const fs = require('node:fs');
const path = require('node:path');
const log = path.join(__dirname, 'calls.log');
exports.resolveConfig = async (file) => {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const config = path.join(dir, '.prettierrc.json');
    if (fs.existsSync(config)) return JSON.parse(fs.readFileSync(config, 'utf8'));
    if (path.dirname(dir) === dir) return null;
  }
};
exports.getFileInfo = async (file) => ({ ignored: file.endsWith('ignored.ts') });
exports.format = async (text, options) => {
  fs.appendFileSync(log, JSON.stringify({ file: path.basename(options.filepath), rangeStart: options.rangeStart, rangeEnd: options.rangeEnd, semi: options.semi }) + '\\n');
  const { rangeStart: start, rangeEnd: end } = options;
  return text.slice(0, start) + text.slice(start, end).replace(/(\\S) {2,}/g, '$1 ') + text.slice(end);
};
`;

const SOURCE = [
  'export const  untouched = 1',
  '',
  'export async function load(url: string) {',
  '  const res = await fetch(url,  { method: "GET" })',
  '  return res.json()',
  '}',
  '',
].join('\n');

function withPrettier(files: Record<string, string>): string {
  return project({
    'node_modules/prettier/package.json': JSON.stringify({ name: 'prettier', version: '3.0.0', main: 'index.cjs' }),
    'node_modules/prettier/index.cjs': STAND_IN,
    ...files,
  });
}

const calls = (root: string): { file: string; rangeStart: number; rangeEnd: number; semi: boolean }[] =>
  readFileSync(join(root, 'node_modules/prettier/calls.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { file: string; rangeStart: number; rangeEnd: number; semi: boolean });

describe('bounded migrate --format', () => {
  it("runs the repository's Prettier, with its config, on the changed lines only", async () => {
    const root = withPrettier({ '.prettierrc.json': '{ "semi": false }', 'src/load.ts': SOURCE });
    const result = await migrate(['--format', '--force', '--transform', 'add-timeouts', 'src'], root);
    expect(result.code).toBe(0);
    const after = readFileSync(join(root, 'src/load.ts'), 'utf8');
    // The edited line was formatted; the untouched line with the same double space was not.
    expect(after).toContain('  const res = await fetch(url, { method: "GET", signal: AbortSignal.timeout(60_000) })\n');
    expect(after.startsWith('export const  untouched = 1\n')).toBe(true);
    const [call, ...more] = calls(root);
    expect(more).toEqual([]);
    expect(call).toMatchObject({ file: 'load.ts', semi: false });
    const unformatted = SOURCE.replace('{ method: "GET" }', '{ method: "GET", signal: AbortSignal.timeout(60_000) }');
    expect(unformatted.slice(call!.rangeStart, call!.rangeEnd)).toBe(
      '  const res = await fetch(url,  { method: "GET", signal: AbortSignal.timeout(60_000) })',
    );
  });

  it('leaves a file alone (and says why) without a Prettier config, when Prettier ignores it, or with no Prettier installed', async () => {
    const noConfig = withPrettier({ 'src/load.ts': SOURCE });
    const first = await migrate(['--format', '--force', '--dry-run', 'src'], noConfig);
    expect(first.stderr).toContain('src/load.ts: not formatted: no Prettier config applies to it');
    expect(first.stdout).toContain('+  const res = await fetch(url,  { method: "GET", signal: AbortSignal.timeout(60_000) })');

    const ignored = withPrettier({ '.prettierrc.json': '{}', 'src/ignored.ts': SOURCE });
    expect((await migrate(['--format', '--force', '--dry-run', 'src'], ignored)).stderr).toContain(
      'src/ignored.ts: not formatted: Prettier ignores it',
    );

    const none = project({ '.prettierrc.json': '{}', 'src/load.ts': SOURCE });
    expect((await migrate(['--format', '--force', '--dry-run', 'src'], none)).stderr).toContain(
      'not formatted: no Prettier installed for it',
    );
  });

  it('--dry-run shows the formatted change and writes nothing', async () => {
    const root = withPrettier({ '.prettierrc.json': '{}', 'src/load.ts': SOURCE });
    const result = await migrate(['--format', '--dry-run', 'src'], root);
    expect(result.stdout).toContain('+  const res = await fetch(url, { method: "GET", signal: AbortSignal.timeout(60_000) })');
    expect(readFileSync(join(root, 'src/load.ts'), 'utf8')).toBe(SOURCE);
  });
});

describe('changedRanges', () => {
  it('gives each changed block of lines, from its first line start to its last line end', () => {
    const before = 'a\nb\nc\nd\n';
    const after = 'a\nB\nc\nD\nE\n';
    expect(changedRanges(before, after).map((range) => after.slice(range.start, range.end))).toEqual(['B', 'D\nE']);
  });
});
