/**
 * `npm run bench -- lint`: what bounded's ESLint rules cost on top of parsing, on the largest
 * real TypeScript available locally: the sources that installed packages ship (every `.ts`
 * file under node_modules that is not a declaration file, in path order; .js files join in only
 * if that is under 100,000 lines; above 150,000 lines an evenly spread sample of the files, to
 * keep a run within minutes). The scenario names give the corpus size. Figures are
 * milliseconds for the whole corpus (lower is better).
 *
 * - `untyped …`: ESLint's `Linter` with @typescript-eslint/parser over the whole corpus, with
 *   no rules (`floor:parse`) and with bounded's `all` config (`bounded:untyped`). Target
 *   (issue): bounded adds under 15 % to the parse floor. `bounded:check` is the whole
 *   `bounded check` run on the same files written to a temporary folder, as the CLI runs it
 *   with `--concurrency auto`: the index pass, the prefilter (files that hold nothing the rules
 *   act on are only syntax-checked, on a thread of its own), then ESLint on one worker thread
 *   per core when enough files are left, else on this one (target: at most 0.7× the
 *   single-thread floor on 2 cores); `bounded:check-1-thread` the same on one thread
 *   (`--concurrency off`, the default). The child's sample counts the files ESLint linted
 *   (`linted`) and its workers.
 * - `typed-subset …`: a fixed spread-out subset of the corpus (typed linting of all of it
 *   would take minutes), linted with a TypeScript program: no rules (`floor:parse-typed`),
 *   bounded's `all` config (`bounded:typed`) and, for contrast, typescript-eslint's
 *   `no-floating-promises` alone. The time includes building the program (roots: the subset;
 *   the program also loads whatever they import), as a CI run pays it.
 *
 * Each child imports its modules and reads the corpus into memory before the clock starts,
 * then lints every file once (cold, as a CI run does). Files are linted under virtual paths
 * outside node_modules (ESLint ignores node_modules) and with inline config off (their
 * eslint-disable comments name plugins that are not loaded). Each run checks that it measured
 * something: no file may go unlinted, at most 1 % may fail to parse, the floors report
 * nothing, and the rule sets report a known hazard in a probe file linted with the same config
 * (in the typed runs, a root of the same program). Findings on the corpus are counted in the
 * child's sample (`findings`), not shown as figures.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import ts from 'typescript';
import { createCheckLinter, lintChecked as lintWithCheck, type LintOutcome } from 'bounded';
import plugin from 'eslint-plugin-bounded';
import { defaultPolicy } from '@bounded/policy';
import { peakRss, type Measurement, type RunContext, type Sample, type Suite, type SuiteOptions, type Target } from '../suite.js';

const NAMES = {
  floor: 'floor:parse',
  untyped: 'bounded:untyped',
  check: 'bounded:check',
  checkOneThread: 'bounded:check-1-thread',
  typedFloor: 'floor:parse-typed',
  typed: 'bounded:typed',
  floating: '@typescript-eslint/no-floating-promises',
} as const;

/** Below this, .js files join the corpus. */
const MIN_LINES = 100_000;
/**
 * Above this, the untyped corpus is a spread-out sample, so that a full run (5 measurements × 3
 * reps) stays within about five minutes on a busy 2-CPU machine.
 */
const MAX_LINES = 150_000;
/** Bigger files are generated data, not code. */
const MAX_FILE_BYTES = 1024 * 1024;
/** The typed subset: this share of the TypeScript files (a quarter of it with --quick). */
const TYPED_SHARE = 1 / 8;
/** With --quick, this share of the untyped corpus. */
const QUICK_SHARE = 1 / 12;

/** The repository root: the nearest folder above this module that has node_modules/eslint. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (statSync(join(dir, 'node_modules', 'eslint')).isDirectory()) return dir;
    } catch {
      // not here; go up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('lint bench: no node_modules/eslint above bench/suites');
    dir = parent;
  }
}

const DECLARATION = /\.d\.[mc]?ts$/;

function listFiles(dir: string, extensions: readonly string[], out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '.bin' && entry.name !== '.cache') listFiles(full, extensions, out);
    } else if (entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext)) && !DECLARATION.test(entry.name)) {
      out.push(full);
    }
  }
}

/**
 * A fixed, evenly spread sample of about `share` of the items (0 < share ≤ 1), starting with
 * the first: item i is kept when ⌊(i + 1)·share⌋ passes a whole number.
 */
export function spread<T>(items: readonly T[], share: number): T[] {
  if (share >= 1) return [...items];
  return items.filter((_, i) => i === 0 || Math.floor((i + 1) * share) > Math.floor(i * share));
}

export interface CorpusFile {
  /** Where the text came from, relative to the repository root. */
  readonly source: string;
  /** Where it is linted: outside node_modules, always `.ts`. */
  readonly path: string;
  readonly text: string;
  readonly lines: number;
}

export interface Corpus {
  readonly files: readonly CorpusFile[];
  readonly lines: number;
}

/** `node_modules/openai/src/x.mjs` → `<root>/virtual/nm/openai/src/x.ts`. */
export function virtualPath(root: string, source: string): string {
  const parts = relative(root, source)
    .split(sep)
    .map((part) => (part === 'node_modules' ? 'nm' : part));
  return join(root, 'virtual', ...parts).replace(/\.[mc]?[jt]s$/, '.ts');
}

function countLines(text: string): number {
  let lines = text.length > 0 && !text.endsWith('\n') ? 1 : 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

function corpusOf(files: readonly CorpusFile[]): Corpus {
  return { files, lines: linesOf(files) };
}

function read(root: string, sources: readonly string[]): CorpusFile[] {
  const files: CorpusFile[] = [];
  for (const source of sources) {
    if (statSync(source).size > MAX_FILE_BYTES) continue;
    const text = readFileSync(source, 'utf8');
    files.push({ source: relative(root, source), path: virtualPath(root, source), text, lines: countLines(text) });
  }
  return files;
}

function linesOf(files: readonly CorpusFile[]): number {
  return files.reduce((sum, file) => sum + file.lines, 0);
}

interface Corpora {
  /** Linted untyped. */
  readonly untyped: Corpus;
  /** Linted with a program; the program's roots. */
  readonly typed: Corpus;
  /** Every file found, the virtual tree the program imports from. */
  readonly all: Corpus;
}

let cached: { quick: boolean; corpora: Corpora } | undefined;

/**
 * The corpus, read once per process (the runner and every child list the same files, so the
 * scenario names agree). Sorted paths, fixed sampling: the same node_modules gives the same
 * corpus.
 */
function corpora(quick: boolean): Corpora {
  if (cached?.quick === quick) return cached.corpora;
  const root = findRoot();
  const modules = join(root, 'node_modules');
  const tsSources: string[] = [];
  listFiles(modules, ['.ts', '.mts', '.cts'], tsSources);
  tsSources.sort();
  const tsFiles = read(root, tsSources);
  let all = tsFiles;
  if (linesOf(all) < MIN_LINES) {
    // Not enough TypeScript installed: top up with JavaScript, spread over every package.
    const jsSources: string[] = [];
    listFiles(modules, ['.js', '.mjs', '.cjs'], jsSources);
    jsSources.sort();
    const js = read(
      root,
      jsSources.filter((file) => !file.endsWith('.min.js')),
    );
    const missing = MIN_LINES - linesOf(all);
    // x.js next to x.ts would get the same virtual path: the TypeScript one wins.
    const taken = new Set(all.map((file) => file.path));
    const fresh = js.filter((file) => !taken.has(file.path));
    all = [...all, ...spread(fresh, Math.min(1, (1.05 * missing) / Math.max(1, linesOf(fresh))))];
  }
  const total = linesOf(all);
  const full = total > MAX_LINES ? spread(all, MAX_LINES / total) : all;
  const untyped = quick ? spread(full, QUICK_SHARE) : full;
  // Only real TypeScript goes into the program.
  const typed = spread(tsFiles, quick ? TYPED_SHARE / 4 : TYPED_SHARE);
  const result: Corpora = { untyped: corpusOf(untyped), typed: corpusOf(typed), all: corpusOf(all) };
  cached = { quick, corpora: result };
  return result;
}

/** 208172 → "208k". */
function thousands(n: number): string {
  return n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
}

function scenarios(quick: boolean): { untyped: string; typed: string } {
  const { untyped, typed } = corpora(quick);
  return {
    untyped: `untyped ${untyped.files.length} files ${thousands(untyped.lines)} lines`,
    typed: `typed-subset ${typed.files.length} files ${thousands(typed.lines)} lines`,
  };
}

// ---------------------------------------------------------------------------------------------
// Linting

type RuleSet = 'none' | 'bounded' | 'floating';

function rulesFor(set: RuleSet): Linter.Config[] {
  switch (set) {
    case 'none':
      return [];
    case 'bounded':
      return [plugin.configs.all];
    case 'floating':
      return [
        {
          plugins: { '@typescript-eslint': tseslint.plugin as unknown as NonNullable<Linter.Config['plugins']>[string] },
          rules: { '@typescript-eslint/no-floating-promises': 'error' },
        },
      ];
  }
}

function configFor(set: RuleSet, parserOptions: Linter.ParserOptions): Linter.Config[] {
  return [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module', ...parserOptions } },
      // Their eslint-disable comments name plugins we do not load: ignore inline config.
      linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
    },
    ...rulesFor(set).map((config) => ({ ...config, files: ['**/*.ts'] })),
  ];
}

/** A known hazard for every rule set that has rules: a quiet corpus must mean quiet code. */
const PROBE = `
export async function fetchAll(urls: string[]): Promise<Response[]> {
  return Promise.all(urls.map((url) => fetch(url)));
}
export async function save(write: () => Promise<void>): Promise<void> {
  write();
}
`;
const PROBE_EXPECTS: Record<RuleSet, readonly string[]> = {
  none: [],
  bounded: ['bounded/no-unbounded-concurrency'],
  floating: ['@typescript-eslint/no-floating-promises'],
};

interface Tally {
  findings: number;
  /** Files the parser refused (a fatal message): the rules never saw them. */
  unparsed: string[];
  /** Files no config applied to. */
  unlinted: string[];
}

function newTally(): Tally {
  return { findings: 0, unparsed: [], unlinted: [] };
}

function tally(into: Tally, file: CorpusFile, messages: readonly Linter.LintMessage[]): void {
  for (const message of messages) {
    if (message.fatal === true) into.unparsed.push(`${file.source}: ${message.message}`);
    else if (message.ruleId !== null) into.findings++;
    // Other notes without a rule (an eslint-disable comment that noInlineConfig voids) are not findings.
    else if (/^(No matching configuration|File ignored)/.test(message.message)) into.unlinted.push(`${file.source}: ${message.message}`);
  }
}

/**
 * Throws unless the run linted (nearly) every file, and its rules report the probe's hazard
 * (for a floor: nothing at all). A typed run whose files were missing from the program would
 * show up here as unparsed files.
 */
function check(set: RuleSet, run: Tally, files: number, probe: readonly Linter.LintMessage[]): void {
  if (run.unlinted.length > 0) throw new Error(`lint bench: files not linted: ${run.unlinted.slice(0, 3).join('; ')}`);
  if (run.unparsed.length > files / 100) {
    throw new Error(`lint bench: ${run.unparsed.length} of ${files} files did not parse: ${run.unparsed.slice(0, 3).join('; ')}`);
  }
  const probeRules = probe.map((message) => message.ruleId ?? `(${message.message})`);
  for (const expected of PROBE_EXPECTS[set]) {
    if (!probeRules.includes(expected))
      throw new Error(`lint bench: the probe did not get ${expected}, only ${JSON.stringify(probeRules)}`);
  }
  if (set === 'none' && (run.findings > 0 || probe.length > 0)) throw new Error(`lint bench: the floor reported ${run.findings} findings`);
}

/** Untyped: the parser alone, no program. */
async function lintUntyped(context: RunContext, set: RuleSet): Promise<Sample> {
  const { untyped: corpus } = corpora(context.quick);
  const root = findRoot();
  const linter = new Linter({ cwd: root });
  const config = configFor(set, {});
  context.gc();
  const run = newTally();
  const t0 = performance.now();
  for (const file of corpus.files) tally(run, file, linter.verify(file.text, config, file.path));
  const ms = performance.now() - t0;
  check(set, run, corpus.files.length, linter.verify(PROBE, config, join(root, 'virtual', 'probe.ts')));
  return { value: ms, extra: { findings: run.findings, unparsed: run.unparsed.length, files: corpus.files.length, lines: corpus.lines } };
}

/**
 * The whole `bounded check` run over the untyped corpus written to a temporary folder (outside
 * the clock): the index pass, the prefilter, then ESLint with bounded's `all` config, with
 * `--concurrency auto` or on one thread. The files are the same as the floor's.
 */
async function lintChecked(context: RunContext, concurrency: 'auto' | 'off'): Promise<Sample> {
  const { untyped: corpus } = corpora(context.quick);
  const root = findRoot();
  const dir = mkdtempSync(join(tmpdir(), 'bounded-lint-bench-'));
  try {
    const files = corpus.files.map((file) => {
      const path = join(dir, relative(join(root, 'virtual'), file.path));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.text);
      return path;
    });
    const probePath = join(dir, 'probe.ts');
    writeFileSync(probePath, PROBE);
    context.gc();
    const t0 = performance.now();
    const all = [...files, probePath];
    const linter = await createCheckLinter({
      cwd: dir,
      files: all,
      policy: defaultPolicy(),
      policyPath: undefined,
      config: 'all',
      typed: false,
      concurrency,
      index: true,
    });
    let outcome: LintOutcome;
    try {
      outcome = await lintWithCheck(linter, all, () => {});
    } finally {
      linter.dispose();
    }
    if (outcome.errors.length > 0) throw new Error(`lint bench: ${outcome.errors[0]!.file}: ${outcome.errors[0]!.message}`);
    const { results, linted, workers } = outcome;
    const stats = linter.stats;
    const ms = performance.now() - t0;
    const run = newTally();
    const byPath = new Map(results.map((result) => [result.filePath, result]));
    for (const [i, file] of corpus.files.entries()) {
      const result = byPath.get(files[i]!);
      if (result === undefined) run.unlinted.push(`${file.source}: no result`);
      else
        tally(
          run,
          file,
          result.messages.filter((message) => message.ruleId === null || message.ruleId.startsWith('bounded/') || message.fatal === true),
        );
    }
    check('bounded', run, corpus.files.length, byPath.get(probePath)?.messages ?? []);
    return {
      value: ms,
      extra: {
        findings: run.findings,
        files: corpus.files.length,
        linted,
        workers,
        indexParsed: stats?.parsed ?? 0,
        indexed: stats?.indexed ?? 0,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  strict: true,
  skipLibCheck: true,
  noEmit: true,
};

/**
 * A compiler host that serves the virtual tree from memory and everything else (lib files,
 * real node_modules) from disk.
 */
function virtualHost(files: ReadonlyMap<string, string>): ts.CompilerHost {
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const dirs = new Set<string>();
  for (const path of files.keys()) for (let dir = dirname(path); !dirs.has(dir) && dir !== dirname(dir); dir = dirname(dir)) dirs.add(dir);
  // The original host is left as it is; the copy answers for the virtual tree first.
  return {
    ...host,
    fileExists: (path) => files.has(path) || host.fileExists(path),
    readFile: (path) => files.get(path) ?? host.readFile(path),
    directoryExists: (dir) => dirs.has(dir) || (host.directoryExists?.(dir) ?? true),
    realpath: (path) => (files.has(path) || dirs.has(path) ? path : (host.realpath?.(path) ?? path)),
    getSourceFile(path, languageVersion, onError, shouldCreate) {
      const text = files.get(path);
      return text === undefined
        ? host.getSourceFile(path, languageVersion, onError, shouldCreate)
        : ts.createSourceFile(path, text, languageVersion, true);
    },
  };
}

/** Typed: one program over the subset (plus what it imports), built inside the clock. */
async function lintTyped(context: RunContext, set: RuleSet): Promise<Sample> {
  const { typed: corpus, all } = corpora(context.quick);
  const root = findRoot();
  const probePath = join(root, 'virtual', 'probe.ts');
  const files = new Map<string, string>(all.files.map((file) => [file.path, file.text]));
  files.set(probePath, PROBE);
  const linter = new Linter({ cwd: root });
  context.gc();
  const run = newTally();
  const t0 = performance.now();
  const program = ts.createProgram([...corpus.files.map((file) => file.path), probePath], COMPILER_OPTIONS, virtualHost(files));
  // Creating the checker binds every file; the parser would do it on the first file anyway.
  program.getTypeChecker();
  const programMs = performance.now() - t0;
  const config = configFor(set, { programs: [program] });
  for (const file of corpus.files) tally(run, file, linter.verify(file.text, config, file.path));
  const ms = performance.now() - t0;
  check(set, run, corpus.files.length, linter.verify(PROBE, config, probePath));
  return {
    value: ms,
    extra: {
      programMs,
      lintMs: ms - programMs,
      findings: run.findings,
      unparsed: run.unparsed.length,
      files: corpus.files.length,
      lines: corpus.lines,
      programFiles: program.getSourceFiles().length,
    },
  };
}

// ---------------------------------------------------------------------------------------------

const TIMEOUT_MS = 240_000;

function measurements({ quick }: SuiteOptions): Measurement[] {
  const scenario = scenarios(quick);
  const common = { unit: 'ms', execArgv: ['--expose-gc', '--max-old-space-size=4096'], timeoutMs: TIMEOUT_MS } as const;
  const untyped = (name: string, set: RuleSet): Measurement => ({
    ...common,
    name,
    scenario: scenario.untyped,
    ratioVs: [NAMES.floor],
    extra: [peakRss(scenario.untyped)],
    run: (context) => lintUntyped(context, set),
  });
  const typed = (name: string, set: RuleSet, ratioVs: readonly string[]): Measurement => ({
    ...common,
    name,
    scenario: scenario.typed,
    ratioVs,
    // The time split in two: building the program and binding its files, then linting.
    extra: [
      { key: 'programMs', scenario: `${scenario.typed} program-build`, unit: 'ms' },
      { key: 'lintMs', scenario: `${scenario.typed} lint-only`, unit: 'ms' },
      peakRss(scenario.typed),
    ],
    run: (context) => lintTyped(context, set),
  });
  return [
    untyped(NAMES.floor, 'none'),
    untyped(NAMES.untyped, 'bounded'),
    { ...untyped(NAMES.check, 'bounded'), run: (context) => lintChecked(context, 'auto') },
    { ...untyped(NAMES.checkOneThread, 'bounded'), run: (context) => lintChecked(context, 'off') },
    typed(NAMES.typedFloor, 'none', [NAMES.typedFloor]),
    typed(NAMES.typed, 'bounded', [NAMES.typedFloor, NAMES.floating]),
    typed(NAMES.floating, 'floating', [NAMES.typedFloor]),
  ];
}

function targets({ quick }: SuiteOptions): Target[] {
  // Time in ms: bounded's rules may take at most 1.15× the parse floor (under 15 % added).
  return [
    { name: NAMES.untyped, scenario: scenarios(quick).untyped, ratioVs: NAMES.floor, atMost: 1.15, source: 'issue' },
    // The whole check run, index pass included, on every core: at most 0.7× the single-thread parse floor (issue 14, 2 cores).
    { name: NAMES.check, scenario: scenarios(quick).untyped, ratioVs: NAMES.floor, atMost: 0.7, source: 'issue' },
  ];
}

const suite: Suite = {
  name: 'lint',
  description:
    'ESLint over the .ts sources shipped in node_modules, ms for the whole corpus: parse floor vs bounded/all untyped; ' +
    'on a typed subset (program build included): floor vs bounded/all and no-floating-promises',
  measurements,
  targets,
};

export default suite;
