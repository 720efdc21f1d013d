/**
 * The lint pass of `bounded check`: ESLint over the files, in batches, with two savings and
 * one safety net.
 *
 * - Files the prefilter (cli/check-prefilter.ts) rules out are not parsed by ESLint: they get
 *   the clean result ESLint would give them. TypeScript's scanner-level parser (an eighth of
 *   ESLint's cost) still reads them, so that a file that does not parse is linted after all and
 *   reported as ESLint reports it.
 * - Results come back in the order of `files`, as ESLint returns them for explicit paths.
 * - Should ESLint itself throw on a batch, its files are linted one by one and the one that
 *   throws becomes an internal error, so one file never takes the run down.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { ESLint } from 'eslint';
import ts from 'typescript';
import type { InternalError } from './check-guard.js';
import type { LintPrefilter } from './check-prefilter.js';

export const BATCH = 50;

export interface LintOutcome {
  readonly results: ESLint.LintResult[];
  readonly errors: InternalError[];
  /** Files the prefilter let through (all of them without one). */
  readonly linted: number;
}

/** As @typescript-eslint/typescript-estree picks it, with `ecmaFeatures.jsx` on. */
function scriptKind(file: string): ts.ScriptKind {
  switch (extname(file).toLowerCase()) {
    case '.js':
    case '.mjs':
    case '.cjs':
      return ts.ScriptKind.JS;
    case '.jsx':
      return ts.ScriptKind.JSX;
    case '.ts':
    case '.mts':
    case '.cts':
      return ts.ScriptKind.TS;
    default:
      return ts.ScriptKind.TSX;
  }
}

/** True when TypeScript's parser reports a syntax error in `text` (ESLint would report it as a fatal message). */
export function hasSyntaxError(file: string, text: string): boolean {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, scriptKind(file));
  return (source as unknown as { parseDiagnostics: readonly unknown[] }).parseDiagnostics.length > 0;
}

/** The files among `files` that must go through ESLint: the prefilter passes them, or they do not parse, or cannot be read. */
function mustLint(files: readonly string[], prefilter: LintPrefilter): Set<string> {
  const kept = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // ESLint reports what it cannot read.
      kept.add(file);
      continue;
    }
    if (prefilter(file, text) || hasSyntaxError(file, text)) kept.add(file);
  }
  return kept;
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

/**
 * Lints `files` in batches (`onProgress` after each), skipping what `prefilter` rules out.
 * Results are in the order of `files`.
 */
export async function lintFilesSafely(
  eslint: ESLint,
  files: readonly string[],
  onProgress: (done: number) => void,
  batchSize = BATCH,
  prefilter?: LintPrefilter,
): Promise<LintOutcome> {
  let clean = new Map<string, ESLint.LintResult>();
  if (prefilter !== undefined) {
    const kept = mustLint(files, prefilter);
    clean = (await cleanResults(eslint, files.filter((file) => !kept.has(file)))) ?? clean;
  }
  const toLint = files.filter((file) => !clean.has(file));
  const linted: ESLint.LintResult[] = [];
  const errors: InternalError[] = [];
  for (let start = 0; start < toLint.length; start += batchSize) {
    const batch = toLint.slice(start, start + batchSize);
    try {
      linted.push(...(await eslint.lintFiles(batch)));
    } catch {
      for (const file of batch) {
        try {
          linted.push(...(await eslint.lintFiles([file])));
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
    // Progress counts the skipped files too, in proportion.
    onProgress(Math.min(files.length, Math.round(((start + batch.length) / toLint.length) * files.length)));
  }
  if (toLint.length === 0 && files.length > 0) onProgress(files.length);
  if (clean.size === 0) return { results: linted, errors, linted: toLint.length };
  // Back into the order of `files` (a file ESLint gave no result keeps none).
  const byFile = new Map(linted.map((result) => [result.filePath, result]));
  const results: ESLint.LintResult[] = [];
  for (const file of files) {
    const result = clean.get(file) ?? byFile.get(file);
    if (result !== undefined) results.push(result);
    byFile.delete(file);
  }
  // A result under another spelling of its path: kept, at the end.
  results.push(...byFile.values());
  return { results, errors, linted: toLint.length };
}
