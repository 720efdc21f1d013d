import { relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import tsParser from '@typescript-eslint/parser';
import type { ESLint, Linter } from 'eslint';
import plugin from '../../eslint-plugin/index.js';
import { resolvePolicyPath } from '../../policy/load.js';
import { createCheckLinter, workerCount } from '../check-index.js';
import { resolveSources } from '../files.js';
import { loadPolicyFor } from '../load-policy.js';
import type { Io } from '../io.js';
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
  --output FILE                 Write the report to FILE instead of standard output
  --quiet                       No progress or summary on standard error
  --concurrency auto|off|N      Lint on N worker threads (default auto: one per core when
                                there are at least 100 files per worker)
  --no-index                    Skip the index pass (which records what exported functions
                                do, so a call of an imported wrapper counts as its calls)

Exit codes: 0 no findings, 1 findings (or an invalid policy), 2 usage error.
`;

const BATCH = 50;

export async function checkCommand(args: readonly string[], io: Io, cwd = process.cwd()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'stylish' },
        policy: { type: 'string' },
        config: { type: 'string', default: 'recommended' },
        typed: { type: 'boolean', default: false },
        output: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        concurrency: { type: 'string', default: 'auto' },
        'no-index': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`bounded check: ${(error as Error).message}\n\n${CHECK_USAGE}`);
    return 2;
  }
  const { format, config, typed, quiet } = parsed.values;
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
  const concurrency = parsed.values.concurrency === 'auto' || parsed.values.concurrency === 'off' ? parsed.values.concurrency : Number(parsed.values.concurrency);
  if (typeof concurrency === 'number' && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    io.stderr.write(`bounded check: --concurrency takes auto, off or a whole number of workers, got "${parsed.values.concurrency}"\n`);
    return 2;
  }
  const sources = await resolveSources(parsed.positionals, cwd);
  if ('missing' in sources) {
    io.stderr.write(`bounded check: no such file or folder: ${sources.missing}\n`);
    return 2;
  }
  const files = sources.files;

  // ESLint ignores files outside its base path: use the common ancestor when a path lies outside cwd.
  const base = files.every((file) => !relative(cwd, file).startsWith('..')) ? cwd : commonDir(files);
  const { eslint, dispose } = await createCheckLinter({ cwd: base, files, policy, policyPath, config, typed, concurrency, index: !parsed.values['no-index'] });

  const results: ESLint.LintResult[] = [];
  // Workers take the files in one go (batches would restart them); one thread reports progress per batch.
  const batch = workerCount(concurrency, files.length) > 0 ? files.length : BATCH;
  const progress = !quiet && files.length > batch && (io.stderr as { isTTY?: boolean }).isTTY === true;
  try {
    for (let start = 0; start < files.length; start += batch) {
      results.push(...(await eslint.lintFiles(files.slice(start, start + batch))));
      if (progress) {
        const done = Math.min(files.length, start + batch);
        io.stderr.write(`\rbounded check: ${done}/${files.length} files (${Math.round((done / files.length) * 100)} %)`);
      }
    }
  } finally {
    dispose();
  }
  if (progress) io.stderr.write('\n');

  let report: string;
  if (format === 'sarif') {
    report = `${JSON.stringify(toSarif(results, eslint.getRulesMetaForResults(results), cwd), null, 2)}\n`;
  } else {
    const formatter = await eslint.loadFormatter(format);
    report = await formatter.format(results);
    if (format === 'json') report = `${report}\n`;
  }
  if (parsed.values.output === undefined) io.stdout.write(report);
  else {
    const { writeFileAtomic } = await import('../write-file.js');
    writeFileAtomic(resolve(cwd, parsed.values.output), report);
  }

  const findings = results.reduce((sum, result) => sum + result.errorCount + result.warningCount, 0);
  const unparsed = results.filter((result) => result.messages.some((message) => message.fatal === true));
  if (!quiet) io.stderr.write(summary(results, files.length, unparsed.length, cwd));
  return findings > 0 ? 1 : 0;
}

/** The flat config `bounded check` lints with: bounded's rules on every JS/TS file. */
export function lintConfig(config: 'recommended' | 'strict' | 'all', typed: boolean, policy: string | undefined, index?: string): Linter.Config[] {
  return [
    {
      files: ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'],
      languageOptions: {
        parser: tsParser,
        parserOptions: {
          ecmaVersion: 'latest',
          sourceType: 'module',
          ecmaFeatures: { jsx: true },
          ...(typed ? { projectService: true } : {}),
        },
      },
      linterOptions: { reportUnusedDisableDirectives: 'off' },
      settings: { bounded: { ...(policy === undefined ? {} : { policy }), ...(index === undefined ? {} : { index }) } },
    },
    plugin.configs[config],
  ];
}

function summary(results: readonly ESLint.LintResult[], fileCount: number, unparsed: number, cwd: string): string {
  const byRule = new Map<string, number>();
  const byFile: [string, number][] = [];
  for (const result of results) {
    const count = result.messages.filter((message) => message.ruleId !== null).length;
    if (count > 0) byFile.push([relative(cwd, result.filePath), count]);
    for (const message of result.messages) {
      if (message.ruleId !== null) byRule.set(message.ruleId, (byRule.get(message.ruleId) ?? 0) + 1);
    }
  }
  const total = [...byRule.values()].reduce((a, b) => a + b, 0);
  const lines = [`bounded check: ${fileCount} file${fileCount === 1 ? '' : 's'} checked, ${total} finding${total === 1 ? '' : 's'}`];
  if (unparsed > 0) lines.push(`  ${unparsed} file${unparsed === 1 ? '' : 's'} could not be parsed (reported above; the rest were checked)`);
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
