import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPS, parseBenchArgs, usage } from '../../bench/args.js';
import { describeExit, runChild, type ChildOptions, type ChildOutcome, type ChildRequest } from '../../bench/child.js';
import { buildFigures, checkTargets, jsonFigures, jsonLines, ratioOf, renderTable, type RepResult } from '../../bench/report.js';
import { interleave, runSuite, selectMeasurements } from '../../bench/runner.js';
import { ratio, roundRatio, roundValue, summarize } from '../../bench/stats.js';
import { measurementId, peakRss, type Measurement, type Suite } from '../../bench/suite.js';

const SUITES = ['runtime', 'http'];

function measurement(
  name: string,
  scenario: string,
  ratioVs: readonly string[] = ['p-limit'],
  more: Partial<Measurement> = {},
): Measurement {
  return { name, scenario, unit: 'ops/s', ratioVs, run: () => Promise.resolve(0), ...more };
}

function ok(value: number, extra?: Record<string, number>): RepResult {
  return { ok: true, sample: extra === undefined ? { value } : { value, extra } };
}

describe('parseBenchArgs', () => {
  it('takes a suite with the defaults', () => {
    expect(parseBenchArgs(['runtime'], SUITES)).toEqual({
      kind: 'run',
      options: { suite: 'runtime', json: false, reps: DEFAULT_REPS, quick: false, filter: undefined },
    });
  });

  it('reads --json, --reps N, --reps=N, --quick and --filter in any order', () => {
    expect(parseBenchArgs(['--json', 'runtime', '--reps', '5', '--quick', '--filter', 'p-map'], SUITES)).toEqual({
      kind: 'run',
      options: { suite: 'runtime', json: true, reps: 5, quick: true, filter: 'p-map' },
    });
    expect(parseBenchArgs(['runtime', '--reps=7'], SUITES)).toMatchObject({ kind: 'run', options: { reps: 7 } });
  });

  it('asks for help with --help or -h, even next to other arguments', () => {
    expect(parseBenchArgs(['--help'], SUITES)).toEqual({ kind: 'help' });
    expect(parseBenchArgs(['nope', '-h'], SUITES)).toEqual({ kind: 'help' });
  });

  it.each([
    [[], 'Missing the suite to run.'],
    [['nope'], "Unknown suite 'nope'. Available suites: runtime, http."],
    [['pool'], "Suite 'pool' is not implemented yet. Available suites: runtime, http."],
    [['runtime', 'extra'], "Unexpected argument 'extra'."],
    [['runtime', '--reps', '0'], "Expected --reps to be a positive integer, got '0'."],
    [['runtime', '--reps', '2.5'], "Expected --reps to be a positive integer, got '2.5'."],
    [['runtime', '--reps', 'x'], "Expected --reps to be a positive integer, got 'x'."],
  ])('refuses %j', (argv, message) => {
    expect(parseBenchArgs(argv, SUITES, ['pool'])).toEqual({ kind: 'error', message });
  });

  it('refuses unknown options and options missing their value', () => {
    const unknown = parseBenchArgs(['runtime', '--fast'], SUITES);
    expect(unknown.kind === 'error' && unknown.message).toContain("'--fast'");
    const missing = parseBenchArgs(['runtime', '--reps'], SUITES);
    expect(missing.kind === 'error' && missing.message).toContain('--reps');
  });

  it('lists the suites and every flag in the usage', () => {
    const text = usage(SUITES);
    expect(text).toContain('Suites: runtime, http');
    for (const flag of ['--json', '--reps N', '--quick', '--filter', '--help']) expect(text).toContain(flag);
  });
});

describe('stats', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(summarize([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10, n: 4 });
    expect(summarize([7])).toEqual({ median: 7, min: 7, max: 7, n: 1 });
    expect(summarize([])).toBeUndefined();
  });

  it('leaves the input unsorted', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('computes a ratio only when both sides exist and the baseline is not zero', () => {
    expect(ratio(6, 4)).toBe(1.5);
    expect(ratio(undefined, 4)).toBeNull();
    expect(ratio(6, undefined)).toBeNull();
    expect(ratio(6, 0)).toBeNull();
  });

  it('rounds throughputs to whole numbers, small values and ratios to significant digits', () => {
    expect(roundValue(512_000.4)).toBe(512_000);
    expect(roundValue(312.6789)).toBe(312.7);
    expect(roundValue(0.012345)).toBe(0.01235);
    expect(roundRatio(1.16666)).toBe(1.17);
    expect(roundRatio(0.0041234)).toBe(0.00412);
  });
});

describe('interleave', () => {
  it('runs repetition 1 of every measurement before repetition 2 of any', () => {
    expect(interleave(['a', 'b', 'c'], 3).map(({ item, rep }) => `${item}${rep}`)).toEqual([
      'a1',
      'b1',
      'c1',
      'a2',
      'b2',
      'c2',
      'a3',
      'b3',
      'c3',
    ]);
    expect(interleave(['a'], 0)).toEqual([]);
  });
});

describe('selectMeasurements', () => {
  const all = [
    measurement('Semaphore.run', 'c=1'),
    measurement('mapBounded', 'c=1', ['p-limit', 'p-map']),
    measurement('p-limit', 'c=1'),
    measurement('p-map', 'c=1'),
    measurement('mapBounded', 'c=10', ['p-limit', 'p-map']),
    measurement('p-limit', 'c=10'),
    measurement('p-map', 'c=10'),
  ];

  it('keeps everything without a filter', () => {
    expect(selectMeasurements(all, undefined)).toEqual(all);
  });

  it('keeps the matches and their baselines in the same scenario, in suite order', () => {
    expect(selectMeasurements(all, 'mapBounded @ c=10').map(measurementId)).toEqual([
      'mapBounded @ c=10',
      'p-limit @ c=10',
      'p-map @ c=10',
    ]);
    expect(selectMeasurements(all, 'Semaphore').map(measurementId)).toEqual(['Semaphore.run @ c=1', 'p-limit @ c=1']);
  });
});

describe('figures and JSON lines', () => {
  const measurements = [
    measurement('Semaphore.run', 'c=10', ['p-limit'], { extra: [peakRss('c=10')] }),
    measurement('mapBounded', 'c=10', ['p-limit', 'p-map'], { extra: [peakRss('c=10')] }),
    measurement('p-limit', 'c=10', ['p-limit'], { extra: [peakRss('c=10')] }),
    measurement('p-map', 'c=10', ['p-limit'], { extra: [peakRss('c=10')] }),
  ];
  const results = new Map<string, RepResult[]>([
    ['Semaphore.run @ c=10', [ok(500_000, { peakRss: 100 }), ok(512_000, { peakRss: 90 }), ok(530_000, { peakRss: 95 })]],
    ['mapBounded @ c=10', [ok(800_000, { peakRss: 50 }), ok(900_000, { peakRss: 50 }), ok(850_000, { peakRss: 50 })]],
    ['p-limit @ c=10', [ok(440_000, { peakRss: 200 }), ok(437_607, { peakRss: 190 }), ok(420_000, { peakRss: 210 })]],
    ['p-map @ c=10', [{ ok: false, error: 'out of memory (V8 heap limit reached)' }]],
  ]);
  const figures = buildFigures('runtime', measurements, results);

  it('groups figures by scenario: the main figures first, then each extra scenario', () => {
    expect(figures.map((f) => `${f.scenario} | ${f.name}`)).toEqual([
      'c=10 | Semaphore.run',
      'c=10 | mapBounded',
      'c=10 | p-limit',
      'c=10 | p-map',
      'c=10 peak-rss | Semaphore.run',
      'c=10 peak-rss | mapBounded',
      'c=10 peak-rss | p-limit',
      'c=10 peak-rss | p-map',
    ]);
  });

  it('divides medians by the baseline median of the same scenario', () => {
    const semaphore = figures[0]!;
    expect(ratioOf(figures, semaphore, 'p-limit')).toBeCloseTo(512_000 / 437_607, 12);
    const rss = figures[4]!;
    expect(ratioOf(figures, rss, 'p-limit')).toBeCloseTo(95 / 200, 12);
    expect(ratioOf(figures, figures[1]!, 'p-map')).toBeNull();
  });

  it('prints one line per figure in the documented shape and key order', () => {
    expect(jsonLines(figures)[0]).toBe(
      '{"suite":"runtime","name":"Semaphore.run","scenario":"c=10","value":512000,"unit":"ops/s","ratio_vs":"p-limit","ratio":1.17,"min":500000,"max":530000,"reps":3}',
    );
  });

  it('prints one more line per extra baseline, the primary one first', () => {
    const lines = jsonFigures(figures).filter((l) => l.name === 'mapBounded' && l.scenario === 'c=10');
    expect(lines.map((l) => [l.ratio_vs, l.ratio, l.value])).toEqual([
      ['p-limit', 1.94, 850_000],
      ['p-map', null, 850_000],
    ]);
  });

  it('reports a failed figure with a null value and the error', () => {
    const failed = jsonFigures(figures).filter((l) => l.name === 'p-map');
    expect(failed).toEqual([
      expect.objectContaining({
        scenario: 'c=10',
        value: null,
        ratio: null,
        min: null,
        max: null,
        reps: 0,
        error: 'out of memory (V8 heap limit reached)',
      }),
      expect.objectContaining({ scenario: 'c=10 peak-rss', value: null, reps: 0, error: 'out of memory (V8 heap limit reached)' }),
    ]);
  });

  it('keeps every line valid JSON with null ratio_vs when a figure has no baseline', () => {
    const lone = buildFigures('runtime', [measurement('floor:x', 's', [])], new Map([['floor:x @ s', [ok(2)]]]));
    expect(JSON.parse(jsonLines(lone)[0]!)).toMatchObject({ ratio_vs: null, ratio: null, value: 2 });
  });

  it('takes the median over the repetitions that succeeded and keeps the error', () => {
    const partial = buildFigures(
      'runtime',
      [measurement('a', 's', [])],
      new Map([['a @ s', [ok(1), ok(3), { ok: false, error: 'timed out after 60 s' }]]]),
    );
    expect(partial[0]).toMatchObject({ stats: { median: 2, min: 1, max: 3, n: 2 }, error: 'timed out after 60 s' });
  });

  it('checks targets against ratios or values, n/a when the figure is missing', () => {
    const checked = checkTargets(
      [
        { name: 'Semaphore.run', scenario: 'c=10', ratioVs: 'p-limit', atLeast: 1.1, source: 'issue' },
        { name: 'Semaphore.run', scenario: 'c=10', ratioVs: 'p-limit', atLeast: 1.2, atMost: 2 },
        { name: 'mapBounded', scenario: 'c=10 peak-rss', atMost: 64 },
        { name: 'mapBounded', scenario: 'c=10', ratioVs: 'p-map', atLeast: 1 },
      ],
      figures,
    );
    expect(checked.map((t) => [t.label, t.status])).toEqual([
      ['Semaphore.run ≥ 1.1× p-limit @ c=10', 'pass'],
      ['Semaphore.run ≥ 1.2× p-limit and ≤ 2× p-limit @ c=10', 'fail'],
      ['mapBounded ≤ 64 MB @ c=10 peak-rss', 'pass'],
      ['mapBounded ≥ 1× p-map @ c=10', 'n/a'],
    ]);
  });

  it('renders a table with medians, ranges, ratios, failures and targets', () => {
    const table = renderTable(
      { suite: 'runtime', description: 'test', reps: 3, quick: false },
      figures,
      checkTargets([{ name: 'Semaphore.run', scenario: 'c=10', ratioVs: 'p-limit', atLeast: 1.2, source: 'issue' }], figures),
    );
    expect(table).toContain('3 reps, interleaved');
    expect(table).toMatch(/ {2}Semaphore\.run +512,000 +500,000 +530,000 +ops\/s +1\.17× p-limit/);
    expect(table).toMatch(/mapBounded .*1\.94× p-limit, n\/a p-map/);
    expect(table).toMatch(/p-map +FAILED +ops\/s +out of memory/);
    expect(table).toContain('FAIL  Semaphore.run ≥ 1.2× p-limit @ c=10  (1.17×, issue)');
  });
});

describe('runSuite', () => {
  const suite: Suite = {
    name: 'fake',
    description: 'a fake suite',
    measurements: () => [
      measurement('bounded', 's', ['peer']),
      measurement('peer', 's', ['peer']),
      measurement('unbounded', 's', ['peer'], { mayFail: true }),
    ],
    targets: [{ name: 'bounded', scenario: 's', ratioVs: 'peer', atLeast: 1.5 }],
  };

  function fakeChildren(values: Record<string, number | 'fail'>) {
    const calls: string[] = [];
    const run = (_path: string, request: ChildRequest, _options: ChildOptions): Promise<ChildOutcome> => {
      calls.push(request.name);
      const value = values[request.name];
      return Promise.resolve(
        value === 'fail' || value === undefined
          ? { ok: false, error: 'out of memory (V8 heap limit reached)', wallMs: 1, output: '' }
          : { ok: true, sample: { value, extra: { peakRss: 10 } }, wallMs: 1 },
      );
    };
    return { calls, run };
  }

  const options = { suite: 'fake', json: true, reps: 3, quick: true, filter: undefined };

  it('runs the measurements interleaved, skips one that failed, and checks the targets', async () => {
    const { calls, run } = fakeChildren({ bounded: 3, peer: 2, unbounded: 'fail' });
    const log: string[] = [];
    const result = await runSuite(suite, options, { workerPath: 'unused', log: (line) => log.push(line), runChild: run });
    expect(calls).toEqual(['bounded', 'peer', 'unbounded', 'bounded', 'peer', 'bounded', 'peer']);
    expect(log.filter((l) => l.includes('skipped'))).toHaveLength(2);
    expect(result.unexpectedFailures).toEqual([]);
    expect(result.targets.map((t) => [t.status, t.actual])).toEqual([['pass', 1.5]]);
    expect(jsonLines(result.figures)[0]).toBe(
      '{"suite":"fake","name":"bounded","scenario":"s","value":3,"unit":"ops/s","ratio_vs":"peer","ratio":1.5,"min":3,"max":3,"reps":3}',
    );
  });

  it('lists a failure that is not allowed', async () => {
    const { run } = fakeChildren({ bounded: 'fail', peer: 2, unbounded: 1 });
    const result = await runSuite(suite, { ...options, reps: 1 }, { workerPath: 'unused', log: () => {}, runChild: run });
    expect(result.unexpectedFailures.map(measurementId)).toEqual(['bounded @ s']);
    expect(result.targets[0]?.status).toBe('n/a');
  });

  it('refuses a filter that matches nothing', async () => {
    const { run } = fakeChildren({});
    await expect(runSuite(suite, { ...options, filter: 'zzz' }, { workerPath: 'unused', log: () => {}, runChild: run })).rejects.toThrow(
      "No measurement of suite 'fake' matches 'zzz'",
    );
  });
});

describe('runChild (real child processes)', () => {
  const worker = fileURLToPath(new URL('./fixtures/fake-worker.js', import.meta.url));
  const request = (name: string): ChildRequest => ({ suite: 'fake', name, scenario: 's', quick: true });

  it('returns the reply of a child that succeeds', async () => {
    const outcome = await runChild(worker, request('ok'), { timeoutMs: 10_000 });
    expect(outcome).toMatchObject({ ok: true, sample: { value: 42, extra: { peakRss: 12.5 } } });
  });

  it('turns an error reply, an out-of-memory abort, a crash and a timeout into failures', async () => {
    const [error, oom, crash, hang] = await Promise.all([
      runChild(worker, request('error'), { timeoutMs: 10_000 }),
      runChild(worker, request('oom'), { timeoutMs: 10_000 }),
      runChild(worker, request('crash'), { timeoutMs: 10_000 }),
      runChild(worker, request('hang'), { timeoutMs: 1_000 }),
    ]);
    expect(error).toMatchObject({ ok: false, error: 'boom' });
    expect(!error.ok && error.output).toContain('at fake-worker.js');
    expect(oom).toMatchObject({ ok: false, error: 'out of memory (V8 heap limit reached)' });
    expect(crash).toMatchObject({ ok: false, error: 'exited with code 3 without a result' });
    expect(hang).toMatchObject({ ok: false, error: 'timed out after 1 s' });
  });

  it('describes an exit without a reply', () => {
    expect(describeExit(null, 'SIGKILL', '')).toBe('killed by SIGKILL (out of memory?)');
    expect(describeExit(null, 'SIGSEGV', '')).toBe('killed by SIGSEGV');
    expect(describeExit(134, null, 'FATAL ERROR: Reached heap limit')).toBe('out of memory (V8 heap limit reached)');
  });
});
