/**
 * The index pass of `bounded check`: before the rules run, read the files being checked and
 * record what each exported function, class and method does (provider calls, requests with
 * or without a deadline of their own, connections), so that a call of an imported wrapper
 * counts as what it makes. The rules get the index through `settings.bounded.index`.
 *
 * Only files that can hold such a call are parsed: those that name a provider, HTTP or
 * database module, or call `fetch`, then, round by round, the files that import a file
 * already found to export one (a wrapper of a wrapper). Async exports are read from every
 * file's text without parsing it, so that a floating call of an imported async function is seen.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';
import type { Policy } from '@bounded/policy';
import { asyncExportsOfText, factsOfText } from 'eslint-plugin-bounded';
import { resolveImportPath } from 'eslint-plugin-bounded';
import type { ExportFacts, ProjectIndex } from 'eslint-plugin-bounded';
import plugin from 'eslint-plugin-bounded';
import { lintConfig } from './commands/check.js';
import { indexCandidate, lintPrefilter, type LintPrefilter } from './check-prefilter.js';
import { startSyntaxChecker, type SyntaxChecker } from './check-syntax.js';
import { withoutCommentLines } from './migrate-prefilter.js';

/** Wrapper chains are rarely deeper than this. */
const MAX_ROUNDS = 4;

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The project files a file imports by a relative specifier. */
function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(RELATIVE_IMPORT)) {
    const target = resolveImportPath(match[1]!, file);
    if (target !== undefined) found.push(target);
  }
  return found;
}

export interface IndexStats {
  readonly files: number;
  /** Files parsed for the index. */
  readonly parsed: number;
  /** Files with at least one export the index records. */
  readonly indexed: number;
}

/** Builds the index of `files` (absolute paths) under `policy`. */
export function buildProjectIndex(files: readonly string[], policy: Policy): { index: ProjectIndex; stats: IndexStats } {
  const texts = new Map<string, string>();
  const read = (file: string): string | undefined => {
    if (!texts.has(file)) {
      try {
        texts.set(file, readFileSync(file, 'utf8'));
      } catch {
        texts.set(file, '');
      }
    }
    return texts.get(file);
  };
  const facts: Record<string, Record<string, ExportFacts>> = {};
  const index: ProjectIndex = { version: 1, files: facts };
  const candidate = indexCandidate(policy);
  let parsed = 0;
  // Doc comments are full of example imports (an SDK's own sources would all look like clients).
  let round = files.filter((file) => candidate(file, withoutCommentLines(read(file) ?? '')));
  for (let depth = 0; depth < MAX_ROUNDS && round.length > 0; depth++) {
    const found: string[] = [];
    for (const file of round) {
      parsed++;
      const entry = factsOfText(read(file) ?? '', file, policy, index);
      if (entry !== undefined && Object.keys(entry).length > 0) {
        facts[file] = entry;
        found.push(file);
      }
    }
    // The next round: files that import one just found, and have not been read for the index yet.
    const fresh = new Set(found);
    round = files.filter((file) => importsOf(file, read(file) ?? '').some((target) => fresh.has(target)));
  }
  // After the rounds: a file known only for its async exports starts no round of its own.
  for (const file of files) {
    const text = read(file) ?? '';
    if (!text.includes('async')) continue;
    for (const name of asyncExportsOfText(text)) {
      const entry = (facts[file] ??= {});
      entry[name] = { ...entry[name], async: true };
    }
  }
  return { index, stats: { files: files.length, parsed, indexed: Object.keys(facts).length } };
}

export interface CheckLinterOptions {
  readonly cwd: string;
  readonly files: readonly string[];
  readonly policy: Policy;
  readonly policyPath: string | undefined;
  readonly config: 'recommended' | 'strict' | 'all';
  readonly typed: boolean;
  /** 'auto' (one worker per core when there are enough files), 'off', or a number of workers. */
  readonly concurrency: 'auto' | 'off' | number;
  /** False to lint without the index pass. */
  readonly index: boolean;
  /** Report eslint-disable comments for bounded's rules that suppress nothing. */
  readonly reportUnusedDisableDirectives?: boolean;
  /** False to parse every file, even those the prefilter rules out (default true). */
  readonly prefilter?: boolean;
  /**
   * The module ESLint's worker threads load to rebuild the options (default: cli/check-options.js
   * beside this module, which exists only in the compiled CLI). Tests give a bundle of it.
   */
  readonly workerOptionsModule?: URL;
}

/** Below this many files per worker, starting a worker (ESLint, the parser, TypeScript) costs more than it saves. */
const FILES_PER_WORKER = 100;

/**
 * How many lint workers to run: the cores, when there are enough files and the workers have an
 * options module to load (the compiled CLI's, or one given).
 */
export function workerCount(
  concurrency: CheckLinterOptions['concurrency'],
  files: number,
  optionsModule = import.meta.url.endsWith('.js'),
): number {
  if (concurrency === 'off' || !optionsModule) return 0;
  const wanted =
    concurrency === 'auto' ? Math.min(availableParallelism(), Math.floor(files / FILES_PER_WORKER)) : Math.min(concurrency, files);
  return wanted >= 2 ? wanted : 0;
}

export interface CheckLinter {
  /** ESLint on this thread. */
  readonly eslint: ESLint;
  /** ESLint on `workers` worker threads, which load cli/check-options.js to rebuild the same options (a plugin is not cloneable). */
  readonly withWorkers: (workers: number) => Promise<ESLint>;
  /** As the options said: worker threads for ESLint ('auto', 'off' or a number). */
  readonly concurrency: CheckLinterOptions['concurrency'];
  /** Whether worker threads have an options module to load. */
  readonly workersLoadable: boolean;
  /** The syntax check of the files the prefilter spares (cli/check-syntax.ts), on a thread of its own when it pays. */
  readonly syntax: SyntaxChecker;
  /** The text test that spares files from parsing (cli/check-prefilter.ts); undefined when every file is linted. */
  readonly prefilter: LintPrefilter | undefined;
  readonly stats: IndexStats | undefined;
  /** The index's file (given to the rules as `settings.bounded.index`), if it was built. */
  readonly indexPath: string | undefined;
  /** Removes the index's temporary file and ends the syntax thread. */
  readonly dispose: () => void;
}

/**
 * What `bounded check` lints with: the index built first (written to a temporary file the rules
 * read through `settings.bounded.index`), the prefilter, and ESLint in this thread or on worker
 * threads (cli/check-lint.ts decides, once it knows how many files are left to lint).
 * `dispose()` removes the temporary file.
 */
export async function createCheckLinter(options: CheckLinterOptions): Promise<CheckLinter> {
  // Started first: the thread loads TypeScript while this one builds the index.
  const syntax = startSyntaxChecker(options.concurrency !== 'off' && !options.typed && options.prefilter !== false, options.files.length);
  let indexPath: string | undefined;
  let stats: IndexStats | undefined;
  let indexed: string[] = [];
  let asyncIndexed: string[] = [];
  if (options.index) {
    let built: ReturnType<typeof buildProjectIndex>;
    try {
      built = buildProjectIndex(options.files, options.policy);
    } catch (error) {
      syntax.close();
      throw error;
    }
    stats = built.stats;
    // A file known only for its async exports matters to the background rule alone: importing it widens no other rule's prefilter.
    const onlyAsync = (file: string): boolean =>
      Object.values(built.index.files[file]!).every((fact) => Object.keys(fact).every((key) => key === 'async'));
    indexed = Object.keys(built.index.files).filter((file) => !onlyAsync(file));
    asyncIndexed = Object.keys(built.index.files).filter(onlyAsync);
    const dir = await mkdtemp(join(tmpdir(), 'bounded-index-'));
    indexPath = join(dir, 'index.json');
    await writeFile(indexPath, JSON.stringify(built.index));
  }
  const dispose = (): void => {
    syntax.close();
    if (indexPath !== undefined) rmSync(dirname(indexPath), { recursive: true, force: true });
  };
  const eslint = new ESLint({
    cwd: options.cwd,
    overrideConfigFile: true,
    overrideConfig: lintConfig(options.config, options.typed, options.policyPath, {
      index: indexPath,
      reportUnusedDisableDirectives: options.reportUnusedDisableDirectives,
    }),
    errorOnUnmatchedPattern: false,
  });
  const withWorkers = (workers: number): Promise<ESLint> => {
    const url = new URL(options.workerOptionsModule ?? new URL('./check-options.js', import.meta.url));
    const params: Record<string, string> = {
      cwd: options.cwd,
      config: options.config,
      typed: String(options.typed),
      concurrency: String(workers),
    };
    if (options.policyPath !== undefined) params.policy = options.policyPath;
    if (indexPath !== undefined) params.index = indexPath;
    if (options.reportUnusedDisableDirectives === true) params.reportUnused = 'true';
    url.search = new URLSearchParams(params).toString();
    return ESLint.fromOptionsModule(url);
  };
  const rules = Object.keys(plugin.configs[options.config].rules ?? {}).map((rule) => rule.replace(/^bounded\//, ''));
  const prefilter =
    options.prefilter === false
      ? undefined
      : lintPrefilter({
          rules,
          policy: options.policy,
          policyPath: options.policyPath,
          typed: options.typed,
          reportUnusedDisableDirectives: options.reportUnusedDisableDirectives === true,
          indexed,
          asyncIndexed,
        });
  return {
    eslint,
    withWorkers,
    concurrency: options.concurrency,
    workersLoadable: options.workerOptionsModule !== undefined || import.meta.url.endsWith('.js'),
    syntax,
    prefilter,
    stats,
    indexPath,
    dispose,
  };
}
