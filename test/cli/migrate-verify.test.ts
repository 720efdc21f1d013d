/**
 * `bounded migrate --verify` on a real project: a rewrite that adds a type error is kept out
 * (the file stays as it was, byte for byte) and named with the error; the others go through.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { migrate, project } from './migrate-helpers.js';

// ts-morph loads the lib files per project: seconds on a busy machine.
vi.setConfig({ testTimeout: 90_000 });

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022', 'DOM'],
    types: [],
    noEmit: true,
  },
});
// A stand-in for the installed package: the runtime's signatures the rewrites use.
const BOUNDED = {
  'node_modules/@bounded/runtime/package.json': JSON.stringify({
    name: '@bounded/runtime',
    type: 'module',
    exports: { '.': { types: './index.d.ts' } },
  }),
  'node_modules/@bounded/runtime/index.d.ts': [
    'export declare function mapBounded<T, R>(items: Iterable<T> | AsyncIterable<T>, fn: (item: T, index: number, signal: AbortSignal) => R | PromiseLike<R>, options?: { concurrency?: number }): Promise<Awaited<R>[]>;',
    '',
  ].join('\n'),
};
// An array: mapBounded takes it. Fine after the rewrite.
const ARRAY = `export async function all(ids: string[]): Promise<number[]> {\n  return Promise.all(ids.map((id) => get(id)));\n}\ndeclare function get(id: string): Promise<number>;\n`;
// Something with a .map that is not iterable: Promise.all(batch.map(…)) type-checks,
// mapBounded(batch, …) does not (TS2345).
const BATCH = [
  `class Batch {`,
  `  constructor(private readonly ids: string[]) {}`,
  `  map<R>(fn: (id: string) => R): R[] {`,
  `    return this.ids.map(fn);`,
  `  }`,
  `}`,
  `export async function all(batch: Batch): Promise<number[]> {`,
  `  return Promise.all(batch.map((id) => get(id)));`,
  `}`,
  `declare function get(id: string): Promise<number>;`,
  ``,
].join('\n');

describe('bounded migrate --verify', () => {
  it('keeps out the change that adds a type error, names it, and writes the rest', async () => {
    const root = project({
      'package.json': '{ "type": "module" }\n',
      'tsconfig.json': TSCONFIG,
      ...BOUNDED,
      'src/array.ts': ARRAY,
      'src/batch.ts': BATCH,
    });
    const result = await migrate(['src', '--verify', '--json', 'report.json'], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /src\/batch\.ts: kept as it was: the change by bound-promise-all adds 2 type errors, first TS2345 at 8:\d+: Argument of type 'Batch' is not assignable/,
    );
    expect(result.stderr).toContain('1 changed, 0 unchanged, 0 failed, 1 reverted by --verify');
    expect(readFileSync(join(root, 'src/batch.ts'), 'utf8')).toBe(BATCH);
    expect(readFileSync(join(root, 'src/array.ts'), 'utf8')).toContain('mapBounded(ids, ');
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    expect(report).toMatchObject({ verify: true, changed: 1, reverted: 1 });
    expect(report.byTransform['bound-promise-all']).toMatchObject({ changed: 1, reverted: 1 });
    const batch = report.files.find((file) => file.file === 'src/batch.ts')!;
    expect(batch.status).toBe('reverted');
    expect(batch.changed).toEqual([]);
    expect(batch.diagnostics).toMatchObject([
      { line: 8, code: 2345, message: expect.stringContaining("Argument of type 'Batch'") as string },
      { line: 8, code: 2345 },
    ]);
  });

  it('with --dry-run, leaves the kept-out file out of the diff', async () => {
    const root = project({ 'tsconfig.json': TSCONFIG, ...BOUNDED, 'src/array.ts': ARRAY, 'src/batch.ts': BATCH });
    const result = await migrate(['src', '--verify', '--dry-run'], root);
    expect(result.stdout).toContain('--- a/src/array.ts');
    expect(result.stdout).not.toContain('src/batch.ts');
    expect(readFileSync(join(root, 'src/array.ts'), 'utf8')).toBe(ARRAY);
  });

  it('keeps out every rewrite when bounded is not installed (the new import does not resolve)', async () => {
    const root = project({ 'tsconfig.json': TSCONFIG, 'src/array.ts': ARRAY });
    const result = await migrate(['src', '--verify'], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/src\/array\.ts: kept as it was: .* TS2307 at 1:\d+: Cannot find module '@bounded\/runtime'/);
    expect(readFileSync(join(root, 'src/array.ts'), 'utf8')).toBe(ARRAY);
  });
});
