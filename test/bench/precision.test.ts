// The labelled corpus (test/corpus) is well-formed, the precision bench scores by the corpus
// README's rules, and the suite runs end to end on a slice. Nothing here asserts how well the
// rules do: that is the bench's figure, not a test's.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluatedFigures, jsonLines } from '../../bench/report.js';
import {
  FAMILIES,
  RULES,
  acceptRange,
  corpusDir,
  corpusFiles,
  figuresOf,
  lintPath,
  readLabels,
  readSources,
  repositoryRoot,
  runPrecision,
  score,
  type Finding,
  type Labels,
  type Site,
} from '../../bench/suites/precision.js';

const DIR = corpusDir();
const labels = readLabels(DIR);
const sources = readSources(DIR);
const PERMISSIVE = new Set(['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC']);
const text = (file: string): string[] => readFileSync(join(DIR, 'files', file), 'utf8').split('\n');

describe('the labelled corpus', () => {
  it('labels every corpus file on disk and only those', () => {
    expect(Object.keys(labels.files).sort()).toEqual(corpusFiles(DIR));
    for (const [file, { exhaustive }] of Object.entries(labels.files)) {
      expect(file).toMatch(/^[\w.-]+__[\w.-]+\/[\w.-]+\.(ts|tsx|js|mjs|cjs)\.txt$/);
      expect(
        lintPath(file)
          .split('/')
          .every((segment) => segment !== ''),
        file,
      ).toBe(true);
      for (const family of exhaustive) expect(FAMILIES).toContain(family);
    }
  });

  it('anchors every site and neutral line on an existing line that holds its text', () => {
    for (const entry of [...labels.sites, ...labels.neutral]) {
      const where = `${entry.file}:${entry.line}`;
      expect(labels.files[entry.file], where).toBeDefined();
      const lines = text(entry.file);
      expect(entry.line, where).toBeGreaterThanOrEqual(1);
      expect(entry.line, where).toBeLessThanOrEqual(lines.length);
      expect(lines[entry.line - 1], where).toContain(entry.text);
      expect(FAMILIES, where).toContain(entry.family);
      expect(entry.reason.length, where).toBeGreaterThan(0);
    }
  });

  it('gives every site a labelling rule and an accept range that holds its anchor and no other site of its family', () => {
    for (const site of labels.sites) {
      expect(site.rule, `${site.file}:${site.line}`).toMatch(/^(G[12]|[FCDPBT]\d|[FCDPBT]-N\d)$/);
      expect(site.rule.includes('-N') || site.rule.startsWith('G') ? !site.hazard : site.hazard, `${site.file}:${site.line}`).toBe(true);
      const [from, to] = acceptRange(site);
      expect(from <= site.line && site.line <= to, `${site.file}:${site.line}`).toBe(true);
    }
    const groups = new Map<string, Site[]>();
    for (const s of labels.sites) groups.set(`${s.file} ${s.family}`, [...(groups.get(`${s.file} ${s.family}`) ?? []), s]);
    for (const [group, sites] of groups) {
      const ranges = sites.map(acceptRange).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0], group).toBeGreaterThan(ranges[i - 1]![1]);
    }
  });

  it('records repository, path, commit and a permissive licence for every file', () => {
    expect(Object.keys(sources.files).sort()).toEqual(corpusFiles(DIR));
    const notice = readFileSync(join(DIR, 'NOTICE'), 'utf8');
    for (const [file, source] of Object.entries(sources.files)) {
      expect(file.split('/')[0], file).toBe(source.repo.replace('/', '__'));
      expect(source.path.length, file).toBeGreaterThan(0);
      expect(source.commit, file).toMatch(/^[0-9a-f]{40}$/);
      expect(PERMISSIVE.has(source.licence), `${file}: ${source.licence}`).toBe(true);
      expect(sources.repositories[source.repo]?.licence, file).toBe(source.licence);
      expect(source.derivation, file).toBe('rewritten');
      expect(source.notes.length, file).toBeGreaterThan(0);
    }
    for (const repo of Object.keys(sources.repositories)) expect(notice).toContain(repo);
  });

  it('holds at least 150 sites from 10 repositories, 30 per family, 40 % non-hazards', () => {
    expect(labels.sites.length).toBeGreaterThanOrEqual(150);
    expect(new Set(Object.keys(labels.files).map((file) => file.split('/')[0])).size).toBeGreaterThanOrEqual(10);
    for (const family of FAMILIES) {
      const sites = labels.sites.filter((s) => s.family === family);
      expect(sites.length, family).toBeGreaterThanOrEqual(30);
      expect(sites.some((s) => s.hazard) && sites.some((s) => !s.hazard), family).toBe(true);
    }
    expect(labels.sites.filter((s) => !s.hazard).length / labels.sites.length).toBeGreaterThanOrEqual(0.4);
  });
});

describe('scoring', () => {
  const a = 'o__r/a.ts.txt';
  const b = 'o__r/b.ts.txt';
  const site = (file: string, line: number, family: Site['family'], hazard: boolean, rule: string, accept?: [number, number]): Site => ({
    file,
    line,
    family,
    hazard,
    rule,
    reason: 'test',
    text: '',
    ...(accept === undefined ? {} : { accept }),
  });
  const fixture: Labels = {
    files: { [a]: { exhaustive: ['fan-out', 'connection'] }, [b]: { exhaustive: [] } },
    sites: [
      site(a, 10, 'fan-out', true, 'F1'),
      site(a, 20, 'fan-out', false, 'F-N3'),
      site(a, 30, 'provider', true, 'P1', [27, 31]),
      site(a, 40, 'connection', true, 'C1'),
      site(a, 50, 'connection', true, 'C2'),
      site(b, 5, 'fan-out', true, 'F2'),
    ],
    neutral: [{ file: a, line: 60, family: 'fan-out', reason: 'test', text: '' }],
  };
  const finding = (file: string, line: number, rule: string): Finding => ({ file, line, ruleId: `bounded/${rule}`, message: '' });

  it('counts a hazard once when a finding falls in its range, and misses the rest', () => {
    const result = score(fixture, [finding(a, 11, 'no-unbounded-concurrency'), finding(a, 9, 'no-unbounded-concurrency')], [a, b]);
    const fanOut = result.families['fan-out'];
    expect([fanOut.hazards, fanOut.found, fanOut.falsePositives.length]).toEqual([2, 1, 0]);
    expect(fanOut.recall).toBe(0.5);
    expect(fanOut.precision).toBe(1);
    expect(fanOut.missed.map((s) => s.file)).toEqual([b]);
  });

  it('counts non-hazard sites and unlabelled lines of exhaustive files as false positives, neutral lines and other files not', () => {
    const findings = [
      finding(a, 20, 'no-unbounded-concurrency'), // non-hazard site
      finding(a, 35, 'no-unbounded-concurrency'), // unlabelled, exhaustive
      finding(a, 35, 'no-unbounded-concurrency'), // the same line again
      finding(a, 60, 'no-unbounded-concurrency'), // neutral
      finding(b, 40, 'no-unbounded-concurrency'), // not exhaustive
      finding(a, 28, 'no-unthrottled-provider-call'), // provider, in the widened range
      finding(a, 70, 'no-unthrottled-provider-call'), // provider is not exhaustive in a
      finding(a, 70, 'no-sync-io-in-async'), // not scored
    ];
    const result = score(fixture, findings, [a, b]);
    expect(result.families['fan-out'].falsePositives.map((fp) => fp.line)).toEqual([20, 35]);
    expect(result.families['fan-out'].unscored).toBe(2);
    expect(result.families['fan-out'].precision).toBe(0);
    expect(result.families.provider.found).toBe(1);
    expect(result.families.provider.unscored).toBe(1);
  });

  it('holds each connection rule to its own hazards for recall, and to all of the family for precision', () => {
    const result = score(fixture, [finding(a, 40, 'require-release'), finding(a, 50, 'require-release')], [a, b]);
    expect(result.families.connection.recall).toBe(1);
    expect(result.rules['bounded/require-release']).toMatchObject({ hazards: 1, found: 1, truePositives: 2, recall: 1, precision: 1 });
    expect(result.rules['bounded/no-per-call-connection']).toMatchObject({ hazards: 1, found: 0, recall: 0, precision: 1 });
  });

  it('scores only the files asked for', () => {
    const result = score(fixture, [finding(b, 5, 'no-unbounded-concurrency')], [a]);
    expect(result.families['fan-out'].hazards).toBe(1);
    expect(result.families['fan-out'].found).toBe(0);
  });
});

describe('npm run bench -- precision', () => {
  it('lints a two-file slice with the built CLI and emits a recall and a precision figure per family and rule', async () => {
    expect(existsSync(join(repositoryRoot(), 'cli', 'dist', 'bin.js')), 'cli/dist/bin.js is missing: run npm run build').toBe(true);
    const files = [
      'brianc__node-postgres/examples__transactions.js.txt',
      'vercel__ai/examples__next-openai__app__api__summaries__route.ts.txt',
    ];
    const run = await runPrecision({ files });
    expect(run.score.files).toBe(2);
    expect(run.check.unparsed).toEqual([]);
    expect(run.check.findings.every((f) => files.includes(f.file))).toBe(true);
    const lines = jsonLines(evaluatedFigures('precision', figuresOf(run.score))).map((line) => JSON.parse(line) as Record<string, unknown>);
    const names = [...FAMILIES, ...Object.keys(RULES), 'all'];
    expect(lines).toHaveLength(names.length * 2);
    for (const name of names) {
      for (const scenario of ['recall', 'precision']) {
        const line = lines.find((l) => l.name === name && l.scenario === scenario);
        expect(line, `${name} @ ${scenario}`).toMatchObject({ suite: 'precision', unit: 'ratio' });
        const value = line!.value;
        expect(value === null || (typeof value === 'number' && value >= 0 && value <= 1), `${name} @ ${scenario}`).toBe(true);
      }
    }
  }, 60_000);
});
