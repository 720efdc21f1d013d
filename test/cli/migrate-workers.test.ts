/**
 * `bounded migrate` in real worker threads. The workers run a compiled entry (see
 * compileWorker in migrate-helpers.ts): the same code the built CLI runs from dist.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { compileWorker, migrate, project, snapshot } from './migrate-helpers.js';

// Worker threads load jscodeshift and the parser each: slow on a busy machine.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 120_000 });

let worker: Awaited<ReturnType<typeof compileWorker>>;
beforeAll(async () => {
  worker = await compileWorker();
});
afterAll(() => worker.dispose());

/** 40 files: hazards of both kinds, skipped sites, files that do not parse, clean files. */
function corpus(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) {
    const dir = `src/m${i % 4}`;
    switch (i % 5) {
      case 0:
        files[`${dir}/fetch${i}.ts`] =
          `export async function load${i}(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;
        break;
      case 1:
        files[`${dir}/fan${i}.ts`] =
          `export async function all${i}(ids: string[]) {\n  return Promise.all(ids.map((id) => get(id)));\n}\ndeclare function get(id: string): Promise<number>;\n`;
        break;
      case 2:
        files[`${dir}/skip${i}.ts`] = `export async function f${i}(url: string, init: RequestInit) {\n  return fetch(url, init);\n}\n`;
        break;
      case 3:
        files[`${dir}/broken${i}.ts`] = `export async function g${i}(u: string) { return fetch(u) +++ ; }\n`;
        break;
      default:
        files[`${dir}/clean${i}.ts`] = `export const value${i} = ${i};\n`;
    }
  }
  return files;
}

function withoutWorkers(report: MigrateReport): Omit<MigrateReport, 'workers'> {
  const { workers: _, ...rest } = report;
  return rest;
}

describe('bounded migrate --workers', () => {
  it('gives the same diff and report with 1 and 4 workers', async () => {
    const root = project(corpus());
    const options = { workerEntry: worker.entry };
    const one = await migrate(['--dry-run', '--workers', '1', '--json', '../one.json'], root, options);
    const four = await migrate(['--dry-run', '--workers', '4', '--json', '../four.json'], root, options);
    const read = (name: string) => JSON.parse(readFileSync(join(root, '..', name), 'utf8')) as MigrateReport;
    const [reportOne, reportFour] = [read('one.json'), read('four.json')];
    expect(reportOne.workers).toBe(0);
    expect(reportFour.workers).toBe(4);
    expect(four.stderr).toContain('(4 worker threads,');
    expect(four.code).toBe(one.code);
    expect(four.stdout).toBe(one.stdout);
    expect(withoutWorkers(reportFour)).toEqual(withoutWorkers(reportOne));
    // It did the work: 8 fetches + 8 fan-outs changed, 8 skipped sites, 8 broken files.
    expect(reportFour).toMatchObject({ scanned: 40, candidates: 32, changed: 16, unchanged: 8, failed: 8 });
    expect(reportFour.byTransform['add-timeouts']).toMatchObject({ changed: 8, skipped: 8, failed: 8 });
    expect(four.stdout.match(/^--- a\//gm)).toHaveLength(16);
  });

  it('writes the same bytes with workers as in the main thread', async () => {
    const files = corpus();
    const inMain = project(files);
    const inWorkers = project(files);
    await migrate(['--workers', '1'], inMain);
    const result = await migrate(['--workers', '3'], inWorkers, { workerEntry: worker.entry });
    expect(result.stderr).toContain('(3 worker threads,');
    expect(snapshot(inWorkers)).toEqual(snapshot(inMain));
  });

  it('uses no more workers than there are candidates, and the main thread for one', async () => {
    const root = project({ 'a.ts': 'export const x = fetch("/a");\n', 'b.ts': 'export const y = fetch("/b");\n', 'c.ts': 'export {};\n' });
    expect((await migrate(['--dry-run', '--workers', '8'], root, { workerEntry: worker.entry })).stderr).toContain('(2 worker threads,');
    const one = project({ 'a.ts': 'export const x = fetch("/a");\n' });
    expect((await migrate(['--dry-run', '--workers', '8'], one, { workerEntry: worker.entry })).stderr).toContain('(main thread,');
  });

  it('falls back to the main thread, saying why, when the workers cannot start', async () => {
    const bad = join(worker.dir, 'broken-worker.mjs');
    writeFileSync(bad, 'throw new Error("cannot load the transforms");\n');
    const root = project(corpus());
    const result = await migrate(['--dry-run', '--workers', '2'], root, { workerEntry: bad });
    expect(result.stderr).toContain(
      'a migrate worker could not start: cannot load the transforms; running the transforms in the main thread',
    );
    expect(result.stderr).toContain('(main thread,');
    expect(result.stdout.match(/^--- a\//gm)).toHaveLength(16);
  });

  it('reports the file a worker died on as failed, replaces the worker, and finishes the rest', async () => {
    // A worker that exits on one file, and otherwise does what the real one does.
    const crashing = join(worker.dir, 'crashing-worker.mjs');
    writeFileSync(
      crashing,
      [
        `import { parentPort } from 'node:worker_threads';`,
        `parentPort.on('message', (request) => { if (request.task.file.endsWith('fetch10.ts')) process.exit(7); });`,
        `await import('./migrate-worker.mjs');`,
        '',
      ].join('\n'),
    );
    const root = project(corpus());
    const result = await migrate(['--workers', '2', '--json', '../crash.json'], root, { workerEntry: crashing });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/src\/m2\/fetch10\.ts: worker thread failed \(exited with code 7\); nothing written \(left untouched\)/);
    const report = JSON.parse(readFileSync(join(root, '..', 'crash.json'), 'utf8')) as MigrateReport;
    expect(report).toMatchObject({ changed: 15, failed: 9 });
    expect(report.files.find((file) => file.file === 'src/m2/fetch10.ts')).toMatchObject({ status: 'failed', changed: [] });
  });
});
