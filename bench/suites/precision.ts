/**
 * `npm run bench -- precision [--json] [--verbose] [--typed] [--filter TEXT]`: recall and
 * precision of bounded's rules on the labelled corpus in test/corpus/ (its README holds the
 * labelling rules and the scoring, which this module implements).
 *
 * The corpus files are written, without their `.txt`, under their original paths into a
 * temporary folder (one folder per repository, so relative imports resolve), and linted there by
 * the built CLI, `bounded check . --config all --format json`, as a user would lint them: with
 * whatever index pass and file contexts the check engine has. `--typed` adds `--typed`, a
 * tsconfig.json with allowJs and a link to this repository's node_modules (so the installed
 * SDKs resolve). Findings are matched to the labelled sites per family and per rule.
 *
 * Figures are ratios, computed once (no repetitions): `<family> @ recall`, `<family> @
 * precision`, the same per rule (`bounded/require-timeout @ recall`…), and `all`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvaluatedFigure, Evaluation, EvaluateOptions, Suite } from '../suite.js';

export const FAMILIES = ['fan-out', 'connection', 'deadline', 'provider', 'background', 'timer'] as const;
export type Family = (typeof FAMILIES)[number];

/** The scored rules, their family, and the labelling rules whose hazards each is expected to find. */
export const RULES: Readonly<Record<string, { readonly family: Family; readonly finds?: readonly string[] }>> = {
  'bounded/no-unbounded-concurrency': { family: 'fan-out' },
  'bounded/no-per-call-connection': { family: 'connection', finds: ['C1', 'C3'] },
  'bounded/require-release': { family: 'connection', finds: ['C2'] },
  'bounded/require-timeout': { family: 'deadline' },
  'bounded/no-unthrottled-provider-call': { family: 'provider' },
  'bounded/no-unmanaged-background-work': { family: 'background' },
  'bounded/no-handmade-timeout': { family: 'timer' },
};

/** Targets from issues 14 and 15, for every family. */
export const TARGETS = { recall: 0.85, precision: 0.9 } as const;

export interface Site {
  readonly file: string;
  readonly line: number;
  readonly family: Family;
  readonly hazard: boolean;
  readonly rule: string;
  readonly reason: string;
  /** Text that must appear on the anchor line (guards against line drift). */
  readonly text: string;
  readonly accept?: readonly [number, number];
}

export interface NeutralLine {
  readonly file: string;
  readonly line: number;
  readonly family: Family;
  readonly reason: string;
  readonly text: string;
}

export interface Labels {
  readonly files: Readonly<Record<string, { readonly exhaustive: readonly Family[] }>>;
  readonly sites: readonly Site[];
  readonly neutral: readonly NeutralLine[];
}

export interface Finding {
  /** Corpus path relative to test/corpus/files/. */
  readonly file: string;
  readonly line: number;
  readonly ruleId: string;
  readonly message: string;
}

/** The repository root: the nearest folder above this module that has node_modules/eslint. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'node_modules', 'eslint'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('precision bench: no node_modules/eslint above bench/suites');
    dir = parent;
  }
}

export function corpusDir(root = repositoryRoot()): string {
  return join(root, 'test', 'corpus');
}

/**
 * `labels.json` and every `labels.d/*.json` (same shape), merged: sets of sites added together
 * live in a file of their own, so two changes to the corpus do not edit the same JSON.
 */
export function readLabels(dir = corpusDir()): Labels {
  const parts = readJsonParts<Labels>(dir, 'labels');
  const files: Record<string, Labels['files'][string]> = {};
  for (const part of parts) {
    for (const [file, entry] of Object.entries(part.files)) {
      if (files[file] !== undefined) throw new Error(`precision bench: ${file} is labelled twice`);
      files[file] = entry;
    }
  }
  return {
    files,
    sites: parts.flatMap((part) => part.sites),
    neutral: parts.flatMap((part) => part.neutral ?? []),
  };
}

export interface Sources {
  readonly repositories: Readonly<Record<string, { licence: string; evidence: string; copyright: string }>>;
  readonly files: Readonly<
    Record<string, { repo: string; path: string; commit: string; licence: string; derivation: string; notes: string[] }>
  >;
}

/** `sources.json` and every `sources.d/*.json`, merged (a repository may be named in several). */
export function readSources(dir = corpusDir()): Sources {
  const parts = readJsonParts<Sources>(dir, 'sources');
  return {
    repositories: Object.assign({}, ...parts.map((part) => part.repositories ?? {})) as Sources['repositories'],
    files: Object.assign({}, ...parts.map((part) => part.files)) as Sources['files'],
  };
}

function readJsonParts<T>(dir: string, name: string): T[] {
  const extra = join(dir, `${name}.d`);
  const names = existsSync(extra)
    ? readdirSync(extra)
        .filter((file) => file.endsWith('.json'))
        .sort()
        .map((file) => join(extra, file))
    : [];
  return [join(dir, `${name}.json`), ...names].map((path) => JSON.parse(readFileSync(path, 'utf8')) as T);
}

/** `owner__repo/src__lib__a.ts.txt` → `owner__repo/src/lib/a.ts`: where the file is linted. */
export function lintPath(file: string): string {
  const [repo, name] = file.split('/');
  if (repo === undefined || name === undefined || !name.endsWith('.txt')) throw new Error(`Not a corpus path: ${file}`);
  return [repo, ...name.slice(0, -'.txt'.length).split('__')].join('/');
}

export function acceptRange(site: Site): readonly [number, number] {
  return site.accept ?? [site.line - 1, site.line + 1];
}

// ---------------------------------------------------------------------------------------------
// Scoring (test/corpus/README.md, "Scoring")

export interface FalsePositive {
  readonly file: string;
  readonly line: number;
  readonly ruleId: string;
  readonly message: string;
  /** The non-hazard site it hit, if any (else an unlabelled line of an exhaustive file). */
  readonly site?: Site;
}

export interface Tally {
  readonly hazards: number;
  readonly found: number;
  /** Hazard sites of the family hit (for a rule: also sites another rule of the family is meant for). */
  readonly truePositives: number;
  readonly missed: readonly Site[];
  readonly falsePositives: readonly FalsePositive[];
  /** Findings on neutral lines, and on unlabelled lines of files not exhaustive for the family. */
  readonly unscored: number;
  readonly recall: number | null;
  readonly precision: number;
}

export interface Score {
  readonly files: number;
  readonly families: Readonly<Record<Family, Tally>>;
  readonly rules: Readonly<Record<string, Tally>>;
  readonly all: Tally;
}

/**
 * Scores `findings` (of any rules) against the labels of `files`: per family, per scored rule,
 * and over all families.
 */
export function score(labels: Labels, findings: readonly Finding[], files: readonly string[]): Score {
  const inScope = new Set(files);
  const sites = labels.sites.filter((s) => inScope.has(s.file));
  const scored = findings.filter((f) => inScope.has(f.file) && RULES[f.ruleId] !== undefined);
  const tally = (family: Family | undefined, ruleFindings: readonly Finding[], expected: (s: Site) => boolean) =>
    tallyOf(
      labels,
      sites.filter((s) => family === undefined || s.family === family),
      ruleFindings,
      expected,
    );
  const families = Object.fromEntries(
    FAMILIES.map((family) => [
      family,
      tally(
        family,
        scored.filter((f) => RULES[f.ruleId]!.family === family),
        () => true,
      ),
    ]),
  ) as Record<Family, Tally>;
  const rules = Object.fromEntries(
    Object.entries(RULES).map(([ruleId, { family, finds }]) => [
      ruleId,
      tally(
        family,
        scored.filter((f) => f.ruleId === ruleId),
        (s) => finds === undefined || finds.includes(s.rule),
      ),
    ]),
  );
  return { files: inScope.size, families, rules, all: tally(undefined, scored, () => true) };
}

function tallyOf(labels: Labels, sites: readonly Site[], findings: readonly Finding[], expected: (s: Site) => boolean): Tally {
  const hit = new Set<Site>();
  const falsePositives = new Map<string, FalsePositive>();
  let unscored = 0;
  for (const finding of findings) {
    const family = RULES[finding.ruleId]!.family;
    let nearest: Site | undefined;
    for (const site of sites) {
      if (site.file !== finding.file || site.family !== family) continue;
      const [from, to] = acceptRange(site);
      if (finding.line < from || finding.line > to) continue;
      if (nearest === undefined || Math.abs(site.line - finding.line) < Math.abs(nearest.line - finding.line)) nearest = site;
    }
    if (nearest?.hazard === true) hit.add(nearest);
    else if (nearest !== undefined) {
      falsePositives.set(`site ${nearest.file}:${nearest.line}:${family}`, { ...finding, site: nearest });
    } else if (
      labels.neutral.some((n) => n.file === finding.file && n.line === finding.line && n.family === family) ||
      !(labels.files[finding.file]?.exhaustive ?? []).includes(family)
    ) {
      unscored++;
    } else {
      falsePositives.set(`line ${finding.file}:${finding.line}:${family}`, finding);
    }
  }
  const hazards = sites.filter((s) => s.hazard && expected(s));
  const found = hazards.filter((s) => hit.has(s)).length;
  const truePositives = hit.size;
  return {
    hazards: hazards.length,
    found,
    truePositives,
    missed: hazards.filter((s) => !hit.has(s)),
    falsePositives: [...falsePositives.values()],
    unscored,
    recall: hazards.length === 0 ? null : found / hazards.length,
    precision: truePositives + falsePositives.size === 0 ? 1 : truePositives / (truePositives + falsePositives.size),
  };
}

// ---------------------------------------------------------------------------------------------
// Linting

/** Writes the corpus files under their lint paths into `dir`; with `typed`, what a program needs. */
export function materialize(files: readonly string[], dir: string, typed: boolean, root = repositoryRoot()): void {
  for (const file of files) {
    const target = join(dir, ...lintPath(file).split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, readFileSync(join(corpusDir(root), 'files', file)));
  }
  if (typed) {
    const compilerOptions = { allowJs: true, checkJs: false, jsx: 'preserve', target: 'ES2022', module: 'ESNext' };
    const options = { ...compilerOptions, moduleResolution: 'Bundler', noEmit: true, skipLibCheck: true, strict: false };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, include: ['**/*'] }, null, 2));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }
}

interface EslintJsonResult {
  readonly filePath: string;
  readonly messages: ReadonlyArray<{ ruleId: string | null; line?: number; message: string; fatal?: boolean }>;
}

export interface CheckRun {
  readonly findings: readonly Finding[];
  /** Files the parser refused, with its message. */
  readonly unparsed: readonly string[];
  /** What `bounded check` wrote to standard error when it exited with an error code. */
  readonly errors: string;
}

/** Lints the materialized corpus with the built CLI: `bounded check . --config all --format json`. */
export async function runCheck(dir: string, files: readonly string[], typed: boolean, root = repositoryRoot()): Promise<CheckRun> {
  const bin = join(root, 'cli', 'dist', 'bin.js');
  if (!existsSync(bin)) throw new Error(`precision bench: ${bin} is missing; run npm run build`);
  const args = [bin, 'check', '.', '--config', 'all', '--format', 'json', '--quiet', ...(typed ? ['--typed'] : [])];
  const env = { ...process.env };
  delete env.BOUNDED_POLICY;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, args, { cwd: dir, env, maxBuffer: 256 * 1024 * 1024, timeout: 600_000 }, (error, out, err) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
      if (status === undefined) reject(new Error(`bounded check failed: ${error?.message ?? ''}\n${err}`));
      else resolve({ code: status, stdout: out, stderr: err });
    });
  });
  let results: EslintJsonResult[];
  try {
    results = JSON.parse(stdout) as EslintJsonResult[];
  } catch {
    throw new Error(`bounded check exited ${code} without a JSON report:\n${stderr.slice(0, 2000)}`);
  }
  const byLintPath = new Map(files.map((file) => [lintPath(file), file]));
  const findings: Finding[] = [];
  const unparsed: string[] = [];
  for (const result of results) {
    const file = byLintPath.get(relative(dir, result.filePath).split(sep).join('/'));
    if (file === undefined) continue;
    for (const message of result.messages) {
      if (message.fatal === true) unparsed.push(`${file}: ${message.message}`);
      else if (message.ruleId !== null && message.line !== undefined) {
        findings.push({ file, line: message.line, ruleId: message.ruleId, message: message.message });
      }
    }
  }
  return { findings, unparsed, errors: code === 0 || code === 1 ? '' : stderr };
}

export interface PrecisionRun {
  readonly score: Score;
  readonly check: CheckRun;
}

/** Lints `files` (corpus paths; default all labelled files) and scores the findings. */
export async function runPrecision(options: { files?: readonly string[]; typed?: boolean } = {}): Promise<PrecisionRun> {
  const root = repositoryRoot();
  const labels = readLabels(corpusDir(root));
  const files = options.files ?? Object.keys(labels.files);
  const dir = mkdtempSync(join(tmpdir(), 'bounded-precision-'));
  try {
    materialize(files, dir, options.typed === true, root);
    const check = await runCheck(dir, files, options.typed === true, root);
    return { score: score(labels, check.findings, files), check };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Figures and report

export function figuresOf(result: Score): EvaluatedFigure[] {
  const rows: [string, Tally][] = [
    ...FAMILIES.map((f): [string, Tally] => [f, result.families[f]]),
    ...Object.entries(result.rules),
    ['all', result.all],
  ];
  return rows.flatMap(([name, tally]): EvaluatedFigure[] => [
    {
      name,
      scenario: 'recall',
      unit: 'ratio',
      value: tally.recall === null ? null : round(tally.recall),
      ...(tally.recall === null ? { note: 'no hazard sites in scope' } : {}),
    },
    { name, scenario: 'precision', unit: 'ratio', value: round(tally.precision) },
  ]);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Three places: a rounded 0.846 printed as 0.85 beside "FAIL ≥ 0.85" reads as a pass. */
function percent(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

export function renderReport(run: PrecisionRun, verbose: boolean, typed: boolean): string {
  const { score: result, check } = run;
  const header = ['', 'hazards', 'found', 'missed', 'FP', 'unscored', 'recall', 'precision'];
  const row = (name: string, t: Tally) => [
    name,
    String(t.hazards),
    String(t.found),
    String(t.missed.length),
    String(t.falsePositives.length),
    String(t.unscored),
    percent(t.recall),
    percent(t.precision),
  ];
  const rows = [
    header,
    ...FAMILIES.map((f) => row(f, result.families[f])),
    ['', '', '', '', '', '', '', ''],
    ...Object.entries(result.rules).map(([r, t]) => row(r, t)),
    ['', '', '', '', '', '', '', ''],
    row('all', result.all),
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = [
    `precision: bounded check --config all${typed ? ' --typed' : ''} on the labelled corpus (test/corpus), ${result.files} files`,
    'a hazard is found when a finding of its family falls in its accept range; FP: findings on non-hazard sites,',
    'or on unlabelled lines of files exhaustive for the family; unscored: neutral lines and non-exhaustive files',
    '',
    ...rows.map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    ),
    '',
    'Targets (issues 14 and 15)',
    ...FAMILIES.flatMap((f) => {
      const t = result.families[f];
      const status = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
      return [
        `  ${status(t.recall !== null && t.recall >= TARGETS.recall)}  ${f} recall ≥ ${TARGETS.recall}  (${percent(t.recall)})`,
        `  ${status(t.precision >= TARGETS.precision)}  ${f} precision ≥ ${TARGETS.precision}  (${percent(t.precision)})`,
      ];
    }),
  ];
  if (check.unparsed.length > 0) lines.push('', `${check.unparsed.length} file(s) did not parse:`, ...check.unparsed.map((u) => `  ${u}`));
  if (check.errors !== '')
    lines.push(
      '',
      'bounded check reported errors:',
      ...check.errors
        .trimEnd()
        .split('\n')
        .slice(0, 20)
        .map((l) => `  ${l}`),
    );
  if (verbose) {
    for (const family of FAMILIES) {
      const t = result.families[family];
      lines.push('', `${family}: missed hazards (${t.missed.length})`);
      for (const s of t.missed) lines.push(`  ${s.file}:${s.line}  [${s.rule}] ${s.reason}`);
      lines.push(`${family}: false positives (${t.falsePositives.length})`);
      for (const fp of t.falsePositives) {
        const why = fp.site === undefined ? 'unlabelled line of an exhaustive file' : `non-hazard [${fp.site.rule}] ${fp.site.reason}`;
        lines.push(`  ${fp.file}:${fp.line}  ${fp.ruleId}: ${fp.message.split('\n')[0]}`, `      ${why}`);
      }
    }
  } else {
    lines.push('', 'npm run bench -- precision --verbose lists every miss and false positive.');
  }
  return lines.join('\n');
}

async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  const labels = readLabels();
  const files = Object.keys(labels.files).filter((file) => options.filter === undefined || file.includes(options.filter));
  if (files.length === 0) throw new Error(`No corpus file matches '${options.filter}'`);
  options.log(`precision: linting ${files.length} corpus files with bounded check --config all${options.typed ? ' --typed' : ''}`);
  const run = await runPrecision({ files, typed: options.typed });
  return { figures: figuresOf(run.score), report: renderReport(run, options.verbose, options.typed) };
}

/** Every corpus file on disk, relative to test/corpus/files/ (for the corpus test). */
export function corpusFiles(dir = corpusDir()): string[] {
  const base = join(dir, 'files');
  return readdirSync(base)
    .filter((repo) => statSync(join(base, repo)).isDirectory())
    .flatMap((repo) => readdirSync(join(base, repo)).map((name) => `${repo}/${name}`))
    .sort();
}

const suite: Suite = {
  name: 'precision',
  description: 'recall and precision of bounded check --config all per family and rule on the labelled corpus (test/corpus)',
  measurements: () => [],
  evaluate,
};

export default suite;
