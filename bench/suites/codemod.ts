/**
 * `npm run bench -- codemod`: `bounded migrate --dry-run` against the parse-and-print floor,
 * jscodeshift's own runner with a no-op transform, over the same large local corpus.
 *
 * - Corpus: `CORPUS_FILES` (2,400) distinct files, all as `.ts`, built deterministically in a
 *   temporary folder (reused while its sources are unchanged): every TypeScript source that
 *   installed packages ship (as the lint bench reads them), fixtures/agent-service and the
 *   codemod fixtures, then JavaScript sources of the installed packages, evenly spread, to fill
 *   up. A mix: most files hold nothing a transform rewrites, some hold targets (fetch,
 *   fan-outs, SDK clients, pg), and the SDK sources are full of provider calls in their doc
 *   examples. `--quick` uses an evenly spread tenth of it.
 * - `bounded:migrate`: the built CLI, `node cli/dist/bin.js migrate --dry-run --quiet --json F`
 *   (every core: os.availableParallelism() worker threads); `bounded:migrate-1-worker` is the
 *   same with `--workers 1` (the main thread), to show what the threads add over the prefilter.
 * - `floor:jscodeshift-noop`: `jscodeshift -t noop.cjs --parser ts --extensions ts --dry
 *   --no-babel`: its runner parses every file and prints it back (`j(source).toSource()`). It
 *   forks os.cpus().length − 1 worker processes (at least 1), and its `--cpus` cannot raise
 *   that: on a 2-core machine, one worker.
 *
 * Each figure is files/s for the whole corpus (corpus files ÷ the tool's wall time, process
 * start to exit). Peak memory is the largest resident set of the tool's whole process tree (the
 * CLI with its threads; jscodeshift's parent and its worker processes together), sampled from
 * /proc every 20 ms, in MB, under `<scenario> peak-rss`; the CPU time (user + system, GNU
 * time's, which counts the worker processes and threads) under `<scenario> cpu-time`, in ms.
 * A run fails rather than measure nothing: each tool must report that it saw every file.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measurement, RunContext, Sample, Suite, SuiteOptions, Target } from '../suite.js';

const NAMES = {
  bounded: 'bounded:migrate',
  boundedOne: 'bounded:migrate-1-worker',
  floor: 'floor:jscodeshift-noop',
} as const;

/** Files in the full corpus (the issue asks for at least 2,000). */
export const CORPUS_FILES = 2_400;
/** Bigger files are generated data, not code. */
const MAX_FILE_BYTES = 256 * 1024;
const FILES_PER_FOLDER = 100;
const TIMEOUT_MS = 600_000;

/** The repository root: the nearest folder above this module with node_modules/jscodeshift. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'node_modules', 'jscodeshift', 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('codemod bench: no node_modules/jscodeshift above bench/suites');
    dir = parent;
  }
}

function listSources(dir: string, out: string[], pattern: RegExp, skip: (name: string) => boolean = () => false): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip(entry.name)) listSources(full, out, pattern, skip);
    } else if (entry.isFile() && pattern.test(entry.name) && !/\.d\.[mc]?ts$|\.min\.js$/.test(entry.name)) {
      out.push(full);
    }
  }
}

/**
 * An evenly spread `count` of `items` (all of them when there are fewer), ending with the
 * last: item i is kept when ⌊(i + 1)·count/n⌋ passes a whole number.
 */
export function spread<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  const share = count / items.length;
  return items.filter((_, i) => Math.floor((i + 1) * share) > Math.floor(i * share));
}

export interface PlannedFile {
  /** Absolute path of the source. */
  readonly source: string;
  /** Where it goes, relative to the corpus folder. */
  readonly target: string;
}

/**
 * Where each of `count` corpus files comes from: the sources in order (again as set 2, 3… if
 * there are fewer), `FILES_PER_FOLDER` to a folder, each named `<index>-<basename>.ts` (so two
 * sources with one name never collide, and no folder is called node_modules, dist or build).
 */
export function planCorpus(sources: readonly string[], count: number): PlannedFile[] {
  if (sources.length === 0) throw new Error('codemod bench: no source files for the corpus');
  const planned: PlannedFile[] = [];
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length]!;
    const set = Math.floor(i / sources.length) + 1;
    const folder = String(Math.floor(i / FILES_PER_FOLDER)).padStart(3, '0');
    const name = `${String(i).padStart(5, '0')}-${basename(source).replace(/\.[mc]?[jt]s$/, '')}.ts`;
    planned.push({ source, target: join(`set${set}`, folder, name) });
  }
  return planned;
}

export interface Corpus {
  readonly dir: string;
  readonly files: number;
  readonly lines: number;
}

/**
 * The corpus, built once per run: the runner builds it (in `measurements`) and hands its folder
 * to the children in the environment, so every repetition measures the same files even when
 * the sources change during the run (fixtures being edited, packages installed).
 */
function corpus(quick: boolean): Corpus {
  const key = `BOUNDED_BENCH_CODEMOD_CORPUS${quick ? '_QUICK' : ''}`;
  const given = process.env[key];
  if (given !== undefined && existsSync(join(given, '..', '.complete'))) {
    const { files, lines } = JSON.parse(readFileSync(join(given, '..', '.complete'), 'utf8')) as { files: number; lines: number };
    return { dir: given, files, lines };
  }
  const dir = buildCorpus(plan(quick));
  process.env[key] = dir;
  return corpus(quick);
}

/**
 * Every TypeScript source installed packages ship (today 80 % of them the OpenAI and Anthropic
 * SDKs, the very code the provider transforms look for), agent-service and the codemod
 * fixtures, then JavaScript sources of the other installed packages, evenly spread over them,
 * up to `CORPUS_FILES`; all as `.ts`. `--quick` takes an evenly spread tenth of it.
 */
function plan(quick: boolean): PlannedFile[] {
  const root = findRoot();
  const modules = join(root, 'node_modules');
  const skip = (name: string): boolean => name === '.bin' || name === '.cache';
  const usable = (files: string[]): string[] => files.sort().filter((file) => statSync(file).size <= MAX_FILE_BYTES);
  const ts: string[] = [];
  listSources(modules, ts, /\.[mc]?ts$/, skip);
  const fixtures: string[] = [];
  listSources(join(root, 'fixtures', 'agent-service', 'src'), fixtures, /\.ts$/);
  listSources(join(root, 'fixtures', 'codemods'), fixtures, /\.ts$/);
  const js: string[] = [];
  listSources(modules, js, /\.[mc]?js$/, skip);
  const first = [...usable(ts), ...usable(fixtures)];
  const sources = [...first, ...spread(usable(js), Math.max(0, CORPUS_FILES - first.length))];
  const full = planCorpus(sources, CORPUS_FILES);
  return quick ? spread(full, CORPUS_FILES / 10) : full;
}

/**
 * Writes the corpus once into a temporary folder named after its content (sources, sizes,
 * modification times) and reuses it after that; built beside and renamed into place, so a
 * half-written corpus is never used. Returns the corpus folder; its parent holds the no-op
 * transform and `.complete` (the file and line counts, as JSON).
 */
export function buildCorpus(files: readonly PlannedFile[], parent = os.tmpdir()): string {
  const hash = createHash('sha256');
  for (const file of files) {
    const stat = statSync(file.source);
    hash.update(`${file.source}\0${file.target}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  const dir = join(parent, `bounded-bench-codemod-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, '.complete'))) return join(dir, 'corpus');
  const building = `${dir}.${process.pid}.tmp`;
  rmSync(building, { recursive: true, force: true });
  let lines = 0;
  for (const file of files) {
    const target = join(building, 'corpus', file.target);
    mkdirSync(dirname(target), { recursive: true });
    const text = readFileSync(file.source);
    lines += text.toString('utf8').split('\n').length;
    writeFileSync(target, text);
  }
  // The floor's transform: parse and print every file, change nothing.
  writeFileSync(
    join(building, 'noop-transform.cjs'),
    'module.exports = function noop(file, api) {\n  return api.jscodeshift(file.source).toSource();\n};\n',
  );
  writeFileSync(join(building, '.complete'), `${JSON.stringify({ files: files.length, lines })}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return join(dir, 'corpus');
}

/** Resident set of `pid` and all its descendants, in kB; 0 when /proc cannot tell. */
export function treeRssKb(pid: number): number {
  let total = 0;
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${at}/status`, 'utf8'));
      if (match !== null) total += Number(match[1]);
      for (const task of readdirSync(`/proc/${at}/task`)) {
        for (const child of readFileSync(`/proc/${at}/task/${task}/children`, 'utf8').split(' ')) {
          if (child.trim() !== '') stack.push(Number(child));
        }
      }
    } catch {
      // The process ended between two reads.
    }
  }
  return total;
}

interface ToolRun {
  readonly ms: number;
  readonly peakMb: number;
  /** User + system CPU time of the tool and the processes it waited for; NaN without /usr/bin/time. */
  readonly cpuMs: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const TIME = '/usr/bin/time';

/**
 * Runs a tool to its exit, timing it and sampling its process tree's memory. Under GNU time
 * when there is one, for the CPU time as well (on a busy machine, the wall time alone says
 * little); its own cost is a fork and a wait.
 */
function runTool(args: readonly string[], cwd: string, keepStdout: boolean): Promise<ToolRun> {
  const timeFile = join(os.tmpdir(), `bounded-bench-time-${process.pid}-${Date.now()}.txt`);
  const timed = existsSync(TIME);
  const [command, commandArgs] = timed ? [TIME, ['-f', '%U %S', '-o', timeFile, process.execPath, ...args]] : [process.execPath, [...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, {
      cwd,
      stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-8_000)));
    let peakKb = 0;
    const sample = (): void => {
      if (child.pid !== undefined) peakKb = Math.max(peakKb, treeRssKb(child.pid));
    };
    const timer = setInterval(sample, 20);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      const ms = performance.now() - started;
      let cpuMs = Number.NaN;
      if (timed) {
        const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
        cpuMs = ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000;
        rmSync(timeFile, { force: true });
      }
      resolve({ ms, peakMb: peakKb / 1024, cpuMs, code, stdout, stderr });
    });
  });
}

function corpusOf(context: RunContext): Corpus {
  return corpus(context.quick);
}

async function runBounded(context: RunContext, workers: number | undefined): Promise<Sample> {
  const corpus = corpusOf(context);
  const root = findRoot();
  const cli = join(root, 'cli', 'dist', 'bin.js');
  if (!existsSync(join(root, 'cli', 'dist', 'migrate-worker.js')))
    throw new Error('codemod bench: cli/dist/migrate-worker.js is missing; run `npm run build`');
  const report = join(dirname(corpus.dir), `report-${process.pid}.json`);
  const args = [
    cli,
    'migrate',
    '.',
    '--dry-run',
    '--quiet',
    '--json',
    report,
    ...(workers === undefined ? [] : ['--workers', String(workers)]),
  ];
  const run = await runTool(args, corpus.dir, false);
  if (run.code !== 0 && run.code !== 1)
    throw new Error(`bounded migrate exited with ${run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const result = JSON.parse(readFileSync(report, 'utf8')) as {
    scanned: number;
    candidates: number;
    changed: number;
    failed: number;
    workers: number;
  };
  rmSync(report, { force: true });
  if (result.scanned !== corpus.files) throw new Error(`bounded migrate scanned ${result.scanned} of ${corpus.files} files`);
  return {
    value: corpus.files / (run.ms / 1000),
    extra: {
      toolPeakRss: run.peakMb,
      cpuMs: run.cpuMs,
      ms: run.ms,
      candidates: result.candidates,
      changed: result.changed,
      failed: result.failed,
      threads: result.workers,
    },
  };
}

async function runFloor(context: RunContext): Promise<Sample> {
  const corpus = corpusOf(context);
  const root = findRoot();
  const bin = join(root, 'node_modules', 'jscodeshift', 'bin', 'jscodeshift.js');
  const transform = join(dirname(corpus.dir), 'noop-transform.cjs');
  const args = [bin, '-t', transform, '--parser', 'ts', '--extensions', 'ts', '--dry', '--no-babel', '.'];
  const run = await runTool(args, corpus.dir, true);
  const count = (label: string): number => Number(new RegExp(`^(\\d+) ${label}$`, 'm').exec(run.stdout)?.[1] ?? Number.NaN);
  const seen = count('errors') + count('unmodified') + count('skipped') + count('ok');
  if (run.code !== 0 || seen !== corpus.files) {
    throw new Error(
      `jscodeshift exited with ${run.code} having reported ${seen} of ${corpus.files} files: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  const workers = Number(/^Spawning (\d+) workers/m.exec(run.stdout)?.[1] ?? 1);
  return {
    value: corpus.files / (run.ms / 1000),
    extra: { toolPeakRss: run.peakMb, cpuMs: run.cpuMs, ms: run.ms, errors: count('errors'), threads: workers },
  };
}

function scenarioName(quick: boolean): string {
  const { files, lines } = corpus(quick);
  return `dry-run ${files} files ${Math.round(lines / 1000)}k lines`;
}

function measurements({ quick }: SuiteOptions): Measurement[] {
  const scenario = scenarioName(quick);
  const common = {
    scenario,
    unit: 'files/s',
    timeoutMs: TIMEOUT_MS,
    extra: [
      { key: 'toolPeakRss', scenario: `${scenario} peak-rss`, unit: 'MB' },
      { key: 'cpuMs', scenario: `${scenario} cpu-time`, unit: 'ms' },
    ],
  } as const;
  return [
    { ...common, name: NAMES.floor, ratioVs: [NAMES.floor], run: (context) => runFloor(context) },
    { ...common, name: NAMES.bounded, ratioVs: [NAMES.floor], run: (context) => runBounded(context, undefined) },
    { ...common, name: NAMES.boundedOne, ratioVs: [NAMES.floor], run: (context) => runBounded(context, 1) },
  ];
}

function targets({ quick }: SuiteOptions): Target[] {
  return [{ name: NAMES.bounded, scenario: scenarioName(quick), ratioVs: NAMES.floor, atLeast: 3, source: 'issue' }];
}

const suite: Suite = {
  name: 'codemod',
  description:
    `bounded migrate --dry-run (prefilter, every core; and --workers 1) vs jscodeshift's runner with a no-op ` +
    `parse-and-print transform, files/s over a local corpus, with the peak RSS of each tool's process tree`,
  measurements,
  targets,
};

export default suite;
