import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BaselineFileError,
  compareToBaseline,
  createBaseline,
  figuresOf,
  formatComparison,
  readBaseline,
  writeBaseline,
} from '../../../runtime/stress/baseline.js';
import { sampleResult } from './report-fixture.js';

const NOW = new Date('2026-11-28T12:00:00Z');

describe('figuresOf', () => {
  it('normalizes throughput and p99 by the reference: database kinds by SELECT 1, others by loopback HTTP', () => {
    const figures = new Map(figuresOf(sampleResult({ throughput: 100, p99: 40, reference: 5000 })).map((f) => [f.name, f]));
    expect(figures.get('throughput:db-read')!.normalized).toBeCloseTo(100 / 2000);
    expect(figures.get('p99:db-read')!.normalized).toBeCloseTo((40 * 2000) / 1000);
    expect(figures.get('throughput:http')!.normalized).toBeCloseTo(100 / 5000);
    expect(figures.get('p99:http')!.normalized).toBeCloseTo((80 * 5000) / 1000);
    // overall: totals throughput and the worst kind's p99, against loopback HTTP
    expect(figures.get('throughput:all')!.normalized).toBeCloseTo(200 / 5000);
    expect(figures.get('p99:all')!.raw).toBe(80);
  });

  it('falls back to the HTTP reference for database kinds when the database was unreachable', () => {
    const figures = new Map(figuresOf(sampleResult({ dbReference: null, reference: 4000 })).map((f) => [f.name, f]));
    expect(figures.get('throughput:db-read')!.normalized).toBeCloseTo(100 / 4000);
  });
});

describe('createBaseline', () => {
  it('takes the median over repetitions and records their spread as noise', () => {
    const baseline = createBaseline(
      [sampleResult({ throughput: 90 }), sampleResult({ throughput: 100 }), sampleResult({ throughput: 104 })],
      NOW,
    );
    const figure = baseline.figures.find((f) => f.name === 'throughput:http')!;
    expect(figure.rawMedian).toBe(100);
    expect(figure.median).toBeCloseTo(100 / 5000);
    expect(figure.noise).toBeCloseTo(0.1); // 90 is 10 % from the median
    expect(baseline.runs).toBe(3);
    expect(baseline.createdAt).toBe('2026-11-28T12:00:00.000Z');
  });

  it('refuses to mix levels in one baseline', () => {
    expect(() => createBaseline([sampleResult(), sampleResult({ level: 'heavy' })])).toThrow(/one level and scenario/);
  });
});

describe('compareToBaseline', () => {
  const base = createBaseline([sampleResult({ throughput: 100, p99: 40 })], NOW);

  it('passes a run within 5 %', () => {
    const cmp = compareToBaseline(base, [sampleResult({ throughput: 96, p99: 41.6 })]);
    expect(cmp.ok).toBe(true);
    expect(cmp.figures.every((f) => f.status === 'ok')).toBe(true);
  });

  it('fails throughput worse by more than 5 %', () => {
    const cmp = compareToBaseline(base, [sampleResult({ throughput: 94 })]);
    expect(cmp.ok).toBe(false);
    const figure = cmp.figures.find((f) => f.name === 'throughput:http')!;
    expect(figure.status).toBe('regressed');
    expect(figure.worseBy).toBeCloseTo(0.06);
  });

  it('fails p99 worse by more than 5 %, and marks a better p99 as improved', () => {
    expect(compareToBaseline(base, [sampleResult({ p99: 42.4 })]).figures.find((f) => f.name === 'p99:db-read')!.status).toBe('regressed');
    expect(compareToBaseline(base, [sampleResult({ p99: 30 })]).figures.find((f) => f.name === 'p99:db-read')!.status).toBe('improved');
  });

  it('does not read a uniformly slower machine as a regression', () => {
    // half the reference speed and half the throughput, latencies doubled: same normalized figures
    const slower = sampleResult({ throughput: 50, p99: 80, reference: 2500, dbReference: 1000 });
    const cmp = compareToBaseline(base, [slower]);
    expect(cmp.ok).toBe(true);
    for (const figure of cmp.figures) expect(Math.abs(figure.worseBy!)).toBeLessThan(1e-9);
  });

  it('widens the allowance by the noise the repetitions measured', () => {
    const noisy = createBaseline(
      [sampleResult({ throughput: 92 }), sampleResult({ throughput: 100 }), sampleResult({ throughput: 108 })],
      NOW,
    );
    const cmp = compareToBaseline(noisy, [sampleResult({ throughput: 90 })]);
    const figure = cmp.figures.find((f) => f.name === 'throughput:http')!;
    expect(figure.threshold).toBeCloseTo(0.13);
    expect(figure.status).toBe('ok');
    expect(compareToBaseline(noisy, [sampleResult({ throughput: 85 })]).ok).toBe(false);
  });

  it('does not fail a p99 measured on too few operations', () => {
    const few = createBaseline([sampleResult({ succeeded: 10 })], NOW);
    const figure = compareToBaseline(few, [sampleResult({ succeeded: 10, p99: 400 })]).figures.find((f) => f.name === 'p99:http')!;
    expect(figure.status).toBe('insufficient');
  });

  it('warns when the level, scenario or policy differ and when noise is unmeasured', () => {
    const cmp = compareToBaseline(base, [sampleResult({ digest: 'b'.repeat(64), chaos: 'db-kill' })]);
    expect(cmp.warnings.join('\n')).toMatch(/chaos scenario differs/);
    expect(cmp.warnings.join('\n')).toMatch(/policy differs/);
    expect(cmp.warnings.join('\n')).toMatch(/noise unmeasured/);
  });

  it('reports a figure the current run lacks as missing without failing', () => {
    const current = sampleResult();
    const withoutHttp = { ...current, operations: current.operations.filter((o) => o.kind !== 'http') };
    const cmp = compareToBaseline(base, [withoutHttp]);
    expect(cmp.figures.find((f) => f.name === 'throughput:http')!.status).toBe('missing');
    expect(cmp.ok).toBe(true);
  });

  it('formats a table that names each regressed figure', () => {
    const text = formatComparison(compareToBaseline(base, [sampleResult({ throughput: 80 })]));
    expect(text).toMatch(/throughput:http\s+100\.0\/s\s+80\.0\/s\s+\+20\.0 %\s+5\.0 %\s+REGRESSED/);
    expect(text).toMatch(/figures? regressed beyond 5 % plus noise/);
  });
});

describe('baseline files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bounded-baseline-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips through a file written atomically', async () => {
    const file = join(dir, 'baseline.json');
    const baseline = createBaseline([sampleResult()], NOW);
    await writeBaseline(file, baseline);
    expect(await readBaseline(file)).toEqual(baseline);
    expect(await readdir(dir)).toEqual(['baseline.json']);
    expect((await readFile(file, 'utf8')).endsWith('\n')).toBe(true);
  });

  it('names the file, line and column of invalid JSON', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{\n  "kind": "bounded-stress-baseline",\n  oops\n}\n');
    await expect(readBaseline(file)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:3: not valid JSON`));
  });

  it('rejects a file that is not a baseline, saying how to make one', async () => {
    const file = join(dir, 'result.json');
    await writeFile(file, JSON.stringify(sampleResult()));
    const error = await readBaseline(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BaselineFileError);
    expect(String(error)).toMatch(/not a stress baseline.*--save-baseline/);
  });

  it('rejects a figure with a missing number', async () => {
    const file = join(dir, 'bad.json');
    const baseline = createBaseline([sampleResult()], NOW);
    await writeFile(file, JSON.stringify({ ...baseline, figures: [{ ...baseline.figures[0], median: 'x' }] }));
    await expect(readBaseline(file)).rejects.toThrow(/figures\[0\]\.median must be a finite number/);
  });

  it('says the file is missing', async () => {
    await expect(readBaseline(join(dir, 'nope.json'))).rejects.toThrow(/nope\.json: cannot read the baseline \(ENOENT\)/);
  });
});
