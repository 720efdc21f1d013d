import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareToBaseline, createBaseline } from '../../../runtime/stress/baseline.js';
import { chartSvg, renderHtmlReport, writeHtmlReport } from '../../../runtime/stress/report-html.js';
import { sampleResult } from './report-fixture.js';

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(sampleResult());

  it('is one self-contained page: no scripts, no external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(?:src|href)=/i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('escapes text that came from the run', () => {
    expect(html).toContain('10 &#60;script&#62;');
    expect(html).not.toContain('10 <script>');
  });

  it('charts in-flight versus limit for every resource, and the timeline series', () => {
    const captions = [...html.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions).toEqual(
      expect.arrayContaining([
        'Throughput (operations settled per second)',
        'Latency percentiles of succeeded operations',
        'Errors by type (per interval)',
        'pool “default”: in flight vs limit 10 (peak 10, 100 %)',
        'limiter “openai”: in flight vs limit unbounded (peak 3)',
        'Connections the server reports (pg_stat_activity)',
        'Memory',
        'Event-loop delay',
      ]),
    );
  });

  it('marks each fault window on the charts and lists monitor warnings with their times', () => {
    expect((html.match(/<rect class="fault"/g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(html).toContain('<title>fault: db-kill</title>');
    expect(html).toMatch(/<tr><td>0\.90 s<\/td><td>warning<\/td>/);
    expect(html).toContain('warning: pool default at 100 %');
  });

  it('shows the verdict and every check', () => {
    expect(html).toContain('every check held');
    const failed = sampleResult();
    const bad = renderHtmlReport({
      ...failed,
      ok: false,
      checks: [...failed.checks, { name: 'writes-durable', ok: false, detail: '49 of 50 acknowledged writes found' }],
    });
    expect(bad).toContain('a check failed');
    expect(bad).toMatch(/<code>writes-durable<\/code><\/td><td>.*FAILED.*49 of 50 acknowledged writes found/);
  });

  it('renders without a timeline and with nothing sampled', () => {
    const bare = sampleResult();
    const page = renderHtmlReport({ ...bare, timeline: undefined, resources: [], process: { ...bare.process, samples: [] } });
    expect(page).not.toContain('Throughput (operations settled per second)');
    expect(page).toContain('<h2>Operations</h2>');
  });

  it('includes a baseline comparison when given one', () => {
    const baseline = createBaseline([sampleResult({ throughput: 100 })]);
    const page = renderHtmlReport(sampleResult({ throughput: 80 }), {
      comparison: compareToBaseline(baseline, [sampleResult({ throughput: 80 })]),
    });
    expect(page).toContain('<h2>Against the baseline</h2>');
    expect(page).toMatch(/<code>throughput:http<\/code>.*regressed/);
  });
});

describe('chartSvg', () => {
  it('places points on a shared time axis and draws a limit as a step line', () => {
    const svg = chartSvg({
      title: 't',
      yLabel: 'y',
      endMs: 1000,
      faults: [{ name: 'partition', startMs: 250, endMs: null, recoveredAfterMs: null }],
      series: [
        {
          name: 'a',
          points: [
            [0, 0],
            [1000, 10],
          ],
        },
        {
          name: 'limit',
          points: [
            [0, 5],
            [500, 10],
          ],
          step: true,
        },
      ],
    });
    // x axis: 56 px left pad, 692 px plot; y: 12 px top, 178 px plot, max rounds 10.5 up to 20
    expect(svg).toContain('d="M56.0,190.0L748.0,101.0"');
    expect(svg).toContain('d="M56.0,145.5H402.0V101.0"');
    // a fault without an end is shaded to the end of the run
    expect(svg).toMatch(/<rect class="fault" x="229\.0" y="12" width="519\.0"/);
  });
});

describe('writeHtmlReport', () => {
  it('writes the page atomically and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bounded-report-'));
    try {
      const file = join(dir, 'report.html');
      await writeHtmlReport(file, sampleResult());
      expect(await readFile(file, 'utf8')).toBe(renderHtmlReport(sampleResult()));
      expect(await readdir(dir)).toEqual(['report.html']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
