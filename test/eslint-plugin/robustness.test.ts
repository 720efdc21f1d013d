/**
 * Every rule runs over real code nobody here wrote — the .js/.ts/.mjs/.cjs files under
 * node_modules — without throwing. `npm test` covers a fixed sample of 3,000 files; set
 * BOUNDED_ROBUSTNESS=all (`npm run test:robustness`) to cover every file.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../eslint-plugin/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SAMPLE = 3_000;
const MAX_BYTES = 256 * 1024;
const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

function listFiles(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '.bin' && entry.name !== '.cache') listFiles(full, out);
    } else if (entry.isFile() && EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !/\.d\.[mc]?ts$/.test(entry.name)) {
      out.push(full);
    }
  }
}

/** A fixed, spread-out sample: every k-th file of the sorted list, so runs are comparable. */
function sample(files: readonly string[], count: number): string[] {
  if (files.length <= count) return [...files];
  const step = files.length / count;
  return Array.from({ length: count }, (_, i) => files[Math.floor(i * step)]!);
}

describe('robustness over node_modules', () => {
  it(`runs every rule over ${process.env.BOUNDED_ROBUSTNESS === 'all' ? 'every file' : `a sample of ${SAMPLE} files`} without a crash`, () => {
    const all: string[] = [];
    listFiles(join(ROOT, 'node_modules'), all);
    all.sort();
    const eligible = all.filter((file) => statSync(file).size <= MAX_BYTES);
    const files = process.env.BOUNDED_ROBUSTNESS === 'all' ? eligible : sample(eligible, SAMPLE);
    const linter = new Linter({ configType: 'flat', cwd: ROOT });
    const enabled: Linter.RulesRecord = {};
    for (const rule of Object.keys(plugin.rules))
      enabled[`bounded/${rule}`] = [
        'error',
        ...(rule.startsWith('require-timeout') || rule.startsWith('no-unthrottled') ? [{ strict: true }] : []),
      ];
    const config: Linter.Config[] = [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module', ecmaFeatures: { jsx: false } } },
        // Their eslint-disable comments name plugins we do not load: ignore inline config.
        linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
        plugins: { bounded: plugin },
        rules: enabled,
      },
    ];
    // The same set-up finds a known hazard, so a quiet run means quiet code, not idle rules.
    const probe = linter.verify(
      'export async function f(urls: string[]) { return Promise.all(urls.map((u) => fetch(u))); }',
      config,
      join(ROOT, 'virtual', 'probe.ts'),
    );
    expect(probe.map((message) => message.ruleId ?? message.message).sort()).toEqual([
      'bounded/no-unbounded-concurrency',
      'bounded/require-timeout',
    ]);
    const crashes: string[] = [];
    const findings = new Map<string, number>();
    let unparsed = 0;
    for (const file of files) {
      let messages: Linter.LintMessage[];
      try {
        // Linted under a virtual name: outside node_modules (ESLint ignores it) and as .ts.
        const virtual = join(
          ROOT,
          'virtual',
          relative(ROOT, file)
            .replaceAll('node_modules', 'nm')
            .replace(/\.[mc]?[jt]s$/, '.ts'),
        );
        messages = linter.verify(readFileSync(file, 'utf8'), config, virtual);
      } catch (error) {
        crashes.push(`${relative(ROOT, file)}: ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
        continue;
      }
      for (const message of messages) {
        if (message.fatal === true) unparsed++;
        else if (message.ruleId !== null) findings.set(message.ruleId, (findings.get(message.ruleId) ?? 0) + 1);
        else if (message.message.startsWith('No matching configuration'))
          crashes.push(`${relative(ROOT, file)}: not linted: ${message.message}`);
      }
    }
    console.info(
      `robustness: ${files.length} files, ${unparsed} not parseable as TypeScript (skipped by the parser, not a crash), findings: ${JSON.stringify(Object.fromEntries(findings))}`,
    );
    expect(files.length).toBe(process.env.BOUNDED_ROBUSTNESS === 'all' ? eligible.length : Math.min(SAMPLE, eligible.length));
    expect(files.length).toBeGreaterThanOrEqual(Math.min(SAMPLE, eligible.length));
    expect(crashes).toEqual([]);
  }, 600_000);
});
