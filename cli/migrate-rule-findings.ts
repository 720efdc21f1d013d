/**
 * What bounded/no-unbounded-concurrency reports in a file, for bound-promise-all: under
 * `bounded migrate` the codemod rewrites only fan-outs the rule flags, so it never "bounds" one
 * the rule accepts as bounded (a size guard, a chunk list, a worker pool, a transaction's one
 * connection, a limiter awaited first…). The rule is run on the text alone, as `bounded check`
 * runs it without `--typed`. It lives here, not in @bounded/codemods, because the codemods never
 * import the plugin: the migrate runner hands the transform this function as an option.
 */
import { dirname, resolve } from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import { rules } from 'eslint-plugin-bounded';
import type { Policy } from '@bounded/policy';

const rule = rules['no-unbounded-concurrency'];

const linters = new Map<string, Linter>();

/** `line:column` (1-based, as ESLint reports) of each fan-out the rule reports; undefined when the file does not parse for it. */
export function reportedFanOuts(path: string, source: string, policy: Policy): Set<string> | undefined {
  // Linted where the file is, so the rule finds the same policy file the transform does.
  const absolute = resolve(path === '' ? 'file.ts' : path);
  const cwd = dirname(absolute);
  const filename = /\.[cm]?[jt]sx?$/.test(absolute) ? absolute : resolve(cwd, 'file.ts');
  let linter = linters.get(cwd);
  if (linter === undefined) {
    linter = new Linter({ configType: 'flat', cwd });
    linters.set(cwd, linter);
  }
  let messages: Linter.LintMessage[];
  try {
    messages = linter.verify(
      source,
      [
        {
          files: ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'],
          languageOptions: {
            parser: tsParser,
            parserOptions: { ecmaVersion: 'latest', sourceType: 'module', ecmaFeatures: { jsx: /x$/.test(filename) } },
          },
          plugins: { bounded: { rules: { 'no-unbounded-concurrency': rule as never } } },
          rules: {
            'bounded/no-unbounded-concurrency': [
              'error',
              { concurrency: policy.defaults.concurrency, limiters: [...policy.lint.limiters] },
            ],
          },
        },
      ],
      filename,
    );
  } catch {
    return undefined; // an invalid policy file next to it: the transform reports that on its own
  }
  if (messages.some((message) => message.fatal === true || message.ruleId === null)) return undefined;
  return new Set(
    messages
      .filter((message) => message.ruleId === 'bounded/no-unbounded-concurrency')
      .map((message) => `${message.line}:${message.column}`),
  );
}
