import { relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import tsParser from '@typescript-eslint/parser';
import { ESLint, type Linter } from 'eslint';
import plugin from 'eslint-plugin-bounded';
import { resolvePolicyPath } from '@bounded/policy';
import { createCheckLinter } from '../check-index.js';
import { BATCH, lintBatches, lintChecked, rulesMetaFor } from '../check-lint.js';
import { SOURCE_EXTENSIONS, checkSources } from '../files.js';
import { loadPolicyFor } from '../load-policy.js';
import type { Io } from '../io.js';
import { classifyFiles, formatContexts, skipUnlinted, skippedSummary, unknownSkippedRules } from '../check-contexts.js';
import { keepOwnDirectiveMessages } from '../check-directives.js';
import { formatInternalError, guardPlugin, takeInternalErrors, type InternalError } from '../check-guard.js';
import { filesOutsideProjects, withDefaultProject } from '../check-typed.js';
import { toSarif } from './sarif.js';

export const CHECK_USAGE = `Usage: bounded check [paths...] [options]

Lint code with bounded's rules, with or without an ESLint config of your own.

Options:
  --format stylish|json|sarif   Output format (default stylish). json is ESLint's own JSON
                                formatter output; sarif is SARIF 2.1.0 for code scanning.
  --policy FILE                 The policy file (default: BOUNDED_POLICY, else the nearest
                                bounded.policy.yaml, else the embedded defaults)
  --config recommended|strict|all
                                Which rule set (default recommended)
  --typed                       Use the TypeScript type checker (slower, more precise)
  --output FILE                 Write the report to FILE instead of standard output (an
                                existing FILE only when it is a report of that format, or
                                empty; never a source file)
  --max-file-size SIZE          Skip (and report) files larger than SIZE (default 1MB;
                                e.g. 500KB, 4MB, none)
  --force                       Overwrite an --output FILE of another kind
  --quiet                       No progress or summary on standard error
  --list-contexts               Print where each file's code runs (service, test, script,
                                example, browser, vendored, generated) and why, then exit 0
  --report-unused-disable-directives
                                Report eslint-disable comments for bounded's rules that
                                suppress nothing (comments for other plugins' rules are
                                never reported)
  --debug                       Print the stack of each internal error
  --concurrency auto|off|N      Lint on N worker threads (default off: on 2 busy cores the
                                threads' start-up cost more than they saved; auto is one
                                per core when at least 100 files per worker are left to
                                lint after the prefilter, else this thread)
  --no-index                    Skip the index pass (which records what exported functions
                                do, so a call of an imported wrapper counts as its calls)

Vendored and generated files (policy lint.contexts) are skipped and counted as skipped.
Files that hold nothing the rules act on are not parsed (only syntax-checked): see
docs/check.md.

Exit codes: 0 no findings, 1 findings (or an invalid policy), 2 a usage error or an
internal error (a rule that threw on a file: reported with file and rule; the other files
are still checked).
`;

function parseCheckArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'stylish' },
      policy: { type: 'string' },
      config: { type: 'string', default: 'recommended' },
      typed: { type: 'boolean', default: false },
      output: { type: 'string' },
      'max-file-size': { type: 'string' },
      force: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'list-contexts': { type: 'boolean', default: false },
      'report-unused-disable-directives': { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: 'off' },
      'no-index': { type: 'boolean', default: false },
    },
  });
}

type CheckArgs = ReturnType<typeof parseCheckArgs>;

/** The linter with the index pass; when that pass fails, one without it and the failure in `setupErrors`. */
async function createLinterOrWithoutIndex(
  linterOptions: Parameters<typeof createCheckLinter>[0],
  base: string,
  setupErrors: InternalError[],
): Promise<Awaited<ReturnType<typeof createCheckLinter>>> {
  try {
    return await createCheckLinter(linterOptions);
  } catch (error) {
    // The index pass must not take the run down: report it (exit 2) and lint without the index.
    if (!linterOptions.index) throw error;
    setupErrors.push({
      file: base,
      rule: undefined,
      line: 1,
      message: `the index pass failed, so the files were checked without it (imported wrappers are not followed): ${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)}`,
      stack: error instanceof Error ? error.stack : undefined,
    });
    return createCheckLinter({ ...linterOptions, index: false });
  }
}

async function formatReport(
  eslint: ESLint,
  results: ESLint.LintResult[],
  format: 'stylish' | 'json' | 'sarif',
  cwd: string,
): Promise<string> {
  if (format === 'sarif') return `${JSON.stringify(toSarif(results, await rulesMetaFor(eslint, results), cwd), null, 2)}\n`;
  const formatter = await eslint.loadFormatter(format);
  const report = await formatter.format(results);
  return format === 'json' ? `${report}\n` : report;
}

// eslint-disable-next-line max-lines-per-function -- the run's sequence (parse, index, lint, report); each step is already a function of its own, and what is left is their order and the exit code
export async function checkCommand(args: readonly string[], io: Io, cwd = process.cwd()): Promise<number> {
  let parsed: CheckArgs;
  try {
    parsed = parseCheckArgs(args);
  } catch (error) {
    io.stderr.write(`bounded check: ${(error as Error).message}\n\n${CHECK_USAGE}`);
    return 2;
  }
  const { format, config, typed, quiet, debug } = parsed.values;
  if (format !== 'stylish' && format !== 'json' && format !== 'sarif') {
    io.stderr.write(`bounded check: unknown format "${format}"; use stylish, json or sarif\n`);
    return 2;
  }
  if (config !== 'recommended' && config !== 'strict' && config !== 'all') {
    io.stderr.write(`bounded check: unknown config "${config}"; use recommended, strict or all\n`);
    return 2;
  }

  const policyPath = resolvePolicyPath({ path: parsed.values.policy, cwd });
  const policy = loadPolicyFor('check', io, policyPath, cwd);
  if (policy === undefined) return 1;
  const concurrency =
    parsed.values.concurrency === 'auto' || parsed.values.concurrency === 'off'
      ? parsed.values.concurrency
      : Number(parsed.values.concurrency);
  if (typeof concurrency === 'number' && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    io.stderr.write(`bounded check: --concurrency takes auto, off or a whole number of workers, got "${parsed.values.concurrency}"\n`);
    return 2;
  }
  // Paths, --max-file-size (files over it skipped and reported), --output FILE's kind (cli/files.ts).
  const sources = await checkSources(parsed.positionals, parsed.values, io, cwd);
  if (typeof sources === 'number') return sources;
  for (const warning of unknownSkippedRules(policy, Object.keys(plugin.rules))) io.stderr.write(warning);
  const classified = classifyFiles(sources.files, policy, cwd);
  if (parsed.values['list-contexts']) {
    io.stdout.write(formatContexts(classified, cwd, format === 'json'));
    return 0;
  }
  const enabled = Object.keys(plugin.configs[config].rules ?? {}).map((rule) => rule.replace(/^bounded\//, ''));
  const { lint: files, skipped } = skipUnlinted(classified, enabled);

  // ESLint ignores files outside its base path: use the common ancestor when a path lies outside cwd.
  const base = files.every((file) => !relative(cwd, file).startsWith('..')) ? cwd : commonDir(files);
  const options = { reportUnusedDisableDirectives: parsed.values['report-unused-disable-directives'] };
  // The index pass (what exported functions call, request or connect), the prefilter and the
  // linter (cli/check-index.ts); the lint itself, on worker threads with --concurrency (cli/check-lint.ts).
  const linterOptions: Parameters<typeof createCheckLinter>[0] = {
    cwd: base,
    files,
    policy,
    policyPath,
    config,
    typed,
    concurrency,
    index: !parsed.values['no-index'],
    reportUnusedDisableDirectives: options.reportUnusedDisableDirectives,
  };
  const setupErrors: InternalError[] = [];
  const created = await createLinterOrWithoutIndex(linterOptions, base, setupErrors);
  const { eslint, indexPath, dispose } = created;
  const progress = !quiet && files.length > BATCH && (io.stderr as { isTTY?: boolean }).isTTY === true;
  const onProgress = (done: number): void => {
    if (progress) io.stderr.write(`\rbounded check: ${done}/${files.length} files (${Math.round((done / files.length) * 100)} %)`);
  };
  let linted: { results: ESLint.LintResult[]; errors: InternalError[] };
  try {
    // Files that hold nothing a loaded rule acts on are not parsed (cli/check-prefilter.ts, cli/check-lint.ts).
    linted = await lintChecked(created, files, onProgress);
    if (progress) io.stderr.write('\n');
    if (typed) {
      const withProgram = (tsconfig: string): ESLint =>
        new ESLint({
          cwd: base,
          overrideConfigFile: true,
          overrideConfig: lintConfig(config, typed, policyPath, { ...options, tsconfig, index: indexPath }),
          errorOnUnmatchedPattern: false,
        });
      await relintOutsideProjects(linted.results, linted.errors, withProgram, base);
    }
  } finally {
    dispose();
  }
  const { results, errors } = linted;
  errors.unshift(...setupErrors);
  errors.push(...takeInternalErrors(results));
  keepOwnDirectiveMessages(results, new Set(Object.keys(plugin.rules).map((rule) => `bounded/${rule}`)));

  const report = await formatReport(eslint, results, format, cwd);
  if (parsed.values.output === undefined) io.stdout.write(report);
  else {
    const { writeFileAtomic } = await import('../write-file.js');
    writeFileAtomic(resolve(cwd, parsed.values.output), report);
  }

  return reportOutcome({
    io,
    cwd,
    results,
    errors,
    found: sources.files.length,
    linted: files.length,
    positionals: parsed.positionals,
    skipped,
    quiet,
    debug,
  });
}

/** The internal errors and the summary on stderr; the exit code. */
function reportOutcome(outcome: {
  readonly io: Io;
  readonly cwd: string;
  readonly results: ESLint.LintResult[];
  readonly errors: readonly InternalError[];
  /** Files found under the paths, and of those, the ones linted. */
  readonly found: number;
  readonly linted: number;
  readonly positionals: readonly string[];
  readonly skipped: Parameters<typeof skippedSummary>[0];
  readonly quiet: boolean;
  readonly debug: boolean;
}): number {
  const { io, cwd, results, errors, positionals, skipped, quiet, debug } = outcome;
  for (const error of errors) io.stderr.write(formatInternalError(error, relative(cwd, error.file), debug));
  const findings = results.reduce((sum, result) => sum + result.errorCount + result.warningCount, 0);
  const unparsed = results.filter((result) => result.messages.some((message) => message.fatal === true));
  if (quiet) {
    // Nothing to say.
  } else if (outcome.found === 0) {
    // The report (empty JSON or SARIF) still went out above, for tools that read it.
    const where = positionals.length === 0 ? '.' : positionals.join(', ');
    io.stderr.write(
      `bounded check: no JavaScript or TypeScript files to check in ${where} (looked for ${[...SOURCE_EXTENSIONS].join(' ')}; node_modules, dist, .d.ts, git-ignored and oversized files are skipped)\n`,
    );
  } else io.stderr.write(summary(results, outcome.linted, unparsed.length, cwd, skippedSummary(skipped), errors.length, debug));
  return errors.length > 0 ? 2 : findings > 0 ? 1 : 0;
}

/**
 * `--typed`: the files no tsconfig.json includes failed to parse in the project service;
 * lint them again in one program of default options (cli/check-typed.ts), in place.
 */
async function relintOutsideProjects(
  results: ESLint.LintResult[],
  errors: InternalError[],
  eslintFor: (tsconfig: string) => ESLint,
  base: string,
): Promise<void> {
  const outside = filesOutsideProjects(results);
  if (outside.length === 0) return;
  const relinted = await withDefaultProject(outside, base, (tsconfig) => lintBatches(eslintFor(tsconfig), outside, () => {}));
  const byFile = new Map(relinted.results.map((result) => [result.filePath, result]));
  results.forEach((result, index) => (results[index] = byFile.get(result.filePath) ?? result));
  errors.push(...relinted.errors);
}

export interface LintConfigOptions {
  /** Report eslint-disable comments for bounded's rules that suppress nothing. */
  readonly reportUnusedDisableDirectives?: boolean;
  /** With `typed`: one program from this tsconfig.json instead of the project service. */
  readonly tsconfig?: string;
  /** The index pass's file (cli/check-index.ts), given to the rules as `settings.bounded.index`. */
  readonly index?: string;
}

/**
 * The flat config `bounded check` lints with: bounded's rules on every JS/TS file, guarded
 * so that a rule that throws reports an internal error on its file instead of ending the run.
 */
export function lintConfig(
  config: 'recommended' | 'strict' | 'all',
  typed: boolean,
  policy: string | undefined,
  options: LintConfigOptions = {},
): Linter.Config[] {
  const guarded = guardPlugin(plugin);
  const typeInformation = !typed ? {} : options.tsconfig === undefined ? { projectService: true } : { project: [options.tsconfig] };
  return [
    {
      files: ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'],
      languageOptions: {
        parser: tsParser,
        parserOptions: {
          ecmaVersion: 'latest',
          sourceType: 'module',
          ecmaFeatures: { jsx: true },
          ...typeInformation,
        },
      },
      linterOptions: { reportUnusedDisableDirectives: options.reportUnusedDisableDirectives === true ? 'error' : 'off' },
      settings: {
        bounded: { ...(policy === undefined ? {} : { policy }), ...(options.index === undefined ? {} : { index: options.index }) },
      },
    },
    { ...plugin.configs[config], plugins: { bounded: guarded } },
  ];
}

function summary(
  results: readonly ESLint.LintResult[],
  fileCount: number,
  unparsed: number,
  cwd: string,
  skipped: string | undefined,
  internalErrors: number,
  debug: boolean,
): string {
  const byRule = new Map<string, number>();
  const byFile: [string, number][] = [];
  for (const result of results) {
    // Unused eslint-disable comments (reported on request) have no rule of their own.
    const named = result.messages.filter((message) => message.fatal !== true).map((message) => message.ruleId ?? 'unused eslint-disable');
    if (named.length > 0) byFile.push([relative(cwd, result.filePath), named.length]);
    for (const rule of named) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
  }
  const total = [...byRule.values()].reduce((a, b) => a + b, 0);
  const found = total === 0 ? 'no findings' : `${total} finding${total === 1 ? '' : 's'}`;
  const lines = [`bounded check: ${fileCount} file${fileCount === 1 ? '' : 's'} checked, ${found}`];
  if (skipped !== undefined) lines.push(skipped);
  if (unparsed > 0)
    lines.push(`  ${unparsed} file${unparsed === 1 ? '' : 's'} could not be parsed (reported above; the rest were checked)`);
  if (internalErrors > 0) {
    lines.push(
      `  ${internalErrors} internal error${internalErrors === 1 ? '' : 's'} (reported above${debug ? '' : '; --debug prints the stacks'}): a rule stopped on that file, the rest was checked`,
    );
  }
  if (total > 0) {
    lines.push('  by rule:');
    for (const [rule, count] of [...byRule].sort((a, b) => b[1] - a[1])) lines.push(`    ${String(count).padStart(5)}  ${rule}`);
    lines.push('  by file:');
    for (const [file, count] of byFile.sort((a, b) => b[1] - a[1]).slice(0, 10)) lines.push(`    ${String(count).padStart(5)}  ${file}`);
    if (byFile.length > 10) lines.push(`    … and ${byFile.length - 10} more files`);
  }
  return `${lines.join('\n')}\n`;
}

function commonDir(files: readonly string[]): string {
  if (files.length === 0) return sep;
  let parts = resolve(files[0]!, '..').split(sep);
  for (const file of files.slice(1)) {
    const other = resolve(file, '..').split(sep);
    let i = 0;
    while (i < parts.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}
