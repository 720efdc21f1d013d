/**
 * The lint pass of `bounded check`: ESLint over the files, with two savings and one safety net.
 *
 * - Files the prefilter (cli/check-prefilter.ts) rules out are not parsed by ESLint: they get
 *   the clean result ESLint would give them. TypeScript's parser alone still reads them
 *   (cli/check-syntax.ts, beside the lint on a thread of its own), so that a file that does not
 *   parse is linted after all and reported as ESLint reports it.
 * - ESLint's worker threads only when enough files are left to lint to pay for starting them.
 * - Should ESLint itself throw on a batch, its files are linted one by one and the one that
 *   throws becomes an internal error, so one file never takes the run down.
 *
 * Results come back in the order of `files`, as ESLint returns them for explicit paths.
 */
import { readFileSync } from 'node:fs';
import type { ESLint } from 'eslint';
import { workerCount, type CheckLinter } from './check-index.js';
import type { InternalError } from './check-guard.js';

export const BATCH = 50;

export interface LintOutcome {
  readonly results: ESLint.LintResult[];
  readonly errors: InternalError[];
  /** Files ESLint linted (the prefilter let them through, or they do not parse). */
  readonly linted: number;
  /** ESLint's worker threads (0: this thread). */
  readonly workers: number;
}

/**
 * Lints `files` in batches of `batchSize`, calling `onProgress` with the count done after each.
 * A batch ESLint throws on is linted file by file; a file it throws on is an internal error.
 */
export async function lintBatches(
  eslint: ESLint,
  files: readonly string[],
  onProgress: (done: number) => void,
  batchSize = BATCH,
): Promise<{ results: ESLint.LintResult[]; errors: InternalError[] }> {
  const results: ESLint.LintResult[] = [];
  const errors: InternalError[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    try {
      results.push(...(await eslint.lintFiles(batch)));
    } catch {
      for (const file of batch) {
        try {
          results.push(...(await eslint.lintFiles([file])));
        } catch (error) {
          const rule = (error as { ruleId?: unknown }).ruleId;
          errors.push({
            file,
            rule: typeof rule === 'string' ? rule : undefined,
            line: 1,
            message: error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error),
            stack: error instanceof Error ? error.stack : undefined,
          });
        }
      }
    }
    onProgress(Math.min(files.length, start + batchSize));
  }
  return { results, errors };
}

/** A clean result for each of `files`, shaped as ESLint shapes it (its own result for an empty text, with the path changed). */
async function cleanResults(eslint: ESLint, files: readonly string[]): Promise<Map<string, ESLint.LintResult> | undefined> {
  const clean = new Map<string, ESLint.LintResult>();
  let template: ESLint.LintResult | undefined;
  for (const file of files) {
    // ESLint says so for a file its config ignores: let it.
    if (await eslint.isPathIgnored(file)) continue;
    if (template === undefined) {
      template = (await eslint.lintText('', { filePath: file }))[0];
      if (template === undefined || template.messages.length > 0 || template.suppressedMessages.length > 0) return undefined;
    }
    const result = Object.defineProperties({}, Object.getOwnPropertyDescriptors(template)) as ESLint.LintResult;
    result.filePath = file;
    result.messages = [];
    result.suppressedMessages = [];
    clean.set(file, result);
  }
  return clean;
}

/** Splits `files` into those the prefilter lets through (or that cannot be read: ESLint reports them) and the rest. */
function split(linter: CheckLinter, files: readonly string[]): { kept: string[]; skipped: string[] } {
  const prefilter = linter.prefilter;
  if (prefilter === undefined) return { kept: [...files], skipped: [] };
  const kept: string[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = undefined;
    }
    (text === undefined || prefilter(file, text) ? kept : skipped).push(file);
  }
  return { kept, skipped };
}

/**
 * Lints `files` (absolute paths) with what createCheckLinter made: the prefilter's candidates
 * through ESLint (on its worker threads when `concurrency` allows and they are enough), the
 * rest checked for syntax errors only. `onProgress` gets the count of files done.
 */
export async function lintChecked(linter: CheckLinter, files: readonly string[], onProgress: (done: number) => void): Promise<LintOutcome> {
  const { concurrency } = linter;
  const { kept, skipped } = split(linter, files);
  const unparsed = linter.syntax.start(skipped);
  const workers = workerCount(concurrency, kept.length, linter.workersLoadable);
  const eslint = workers > 0 ? await linter.withWorkers(workers) : linter.eslint;
  // Workers take their files in one go (batches would restart them).
  const share = (done: number): number => Math.round((done / Math.max(1, kept.length)) * files.length);
  const linted = await lintBatches(eslint, kept, (done) => onProgress(share(done)), workers > 0 ? kept.length : BATCH);
  const bad = await unparsed.finish();
  const unparseable = new Set(bad);
  if (bad.length > 0) {
    const more = await lintBatches(linter.eslint, bad, () => {});
    linted.results.push(...more.results);
    linted.errors.push(...more.errors);
  }
  const clean =
    (await cleanResults(
      linter.eslint,
      skipped.filter((file) => !unparseable.has(file)),
    )) ?? new Map<string, ESLint.LintResult>();
  // The files cleanResults left to ESLint (ignored ones, or all when ESLint reports on an empty text).
  const rest = skipped.filter((file) => !unparseable.has(file) && !clean.has(file));
  if (rest.length > 0) {
    const more = await lintBatches(linter.eslint, rest, () => {});
    linted.results.push(...more.results);
    linted.errors.push(...more.errors);
  }
  if (files.length > 0) onProgress(files.length);
  const lintedCount = kept.length + bad.length + rest.length;
  if (clean.size === 0 && bad.length === 0 && rest.length === 0) return { ...linted, linted: lintedCount, workers };
  // Back into the order of `files` (a file ESLint gave no result keeps none).
  const byFile = new Map(linted.results.map((result) => [result.filePath, result]));
  const results: ESLint.LintResult[] = [];
  for (const file of files) {
    const result = clean.get(file) ?? byFile.get(file);
    if (result !== undefined) results.push(result);
    byFile.delete(file);
  }
  // A result under another spelling of its path: kept, at the end.
  results.push(...byFile.values());
  return { results, errors: linted.errors, linted: lintedCount, workers };
}

/**
 * `eslint.getRulesMetaForResults(results)` for results some of which ESLint's worker threads
 * made: this instance looks up each file's config first (it only answers for files it has).
 */
export async function rulesMetaFor(
  eslint: ESLint,
  results: readonly ESLint.LintResult[],
): Promise<ReturnType<ESLint['getRulesMetaForResults']>> {
  for (const result of results) {
    if (result.messages.length > 0 || result.suppressedMessages.length > 0) await eslint.isPathIgnored(result.filePath);
  }
  return eslint.getRulesMetaForResults([...results]);
}
