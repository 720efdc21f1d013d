/**
 * No rule throws on real code of the very libraries bounded is about: a fixed slice of
 * installed packages (provider SDKs' TypeScript sources, HTTP and database clients,
 * limiters), every rule with default and strict options. Bounded in count (at most
 * PER_PACKAGE files of each, each at most MAX_BYTES) and in time (files not reached within
 * BUDGET_MS are left out, and at least MIN_FILES must be reached).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../eslint-plugin/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Package → the folder of it to read (sources, not the compiled copies beside them). */
const PACKAGES: Record<string, string> = {
  openai: 'src',
  '@anthropic-ai/sdk': 'src',
  undici: 'lib',
  pg: 'lib',
  'pg-pool': '.',
  ioredis: 'built',
  'p-queue': 'dist',
  'p-limit': '.',
  'p-map': '.',
  'p-throttle': '.',
  'async-sema': 'lib',
  bottleneck: 'lib',
  'rate-limiter-flexible': 'lib',
  'prom-client': 'lib',
  limiter: 'dist',
};
const PER_PACKAGE = 30;
const MAX_BYTES = 128 * 1024;
const BUDGET_MS = 60_000;
const MIN_FILES = 120;
const SOURCE = /\.(?:[cm]?js|[cm]?ts)$/;
const DECLARATION = /\.d\.[cm]?ts$/;

function sourcesOf(dir: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') sourcesOf(full, out);
    } else if (entry.isFile() && SOURCE.test(entry.name) && !DECLARATION.test(entry.name) && statSync(full).size <= MAX_BYTES) {
      out.push(full);
    }
  }
}

/** Every k-th file of a package, up to PER_PACKAGE of them: spread over its folders. */
function slice(files: readonly string[]): string[] {
  if (files.length <= PER_PACKAGE) return [...files];
  const step = files.length / PER_PACKAGE;
  return Array.from({ length: PER_PACKAGE }, (_, i) => files[Math.floor(i * step)]!);
}

function config(strict: boolean): Linter.Config[] {
  const rules: Linter.RulesRecord = {};
  for (const name of Object.keys(plugin.rules))
    rules[`bounded/${name}`] = strict && name !== 'no-sync-io-in-async' ? ['error', { strict: true }] : 'error';
  return [
    {
      files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
      languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } },
      // Their disable comments name rules of plugins not loaded here.
      linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
      plugins: { bounded: plugin },
      rules,
    },
  ];
}

describe('installed packages', () => {
  it(`no rule throws on a fixed slice of ${Object.keys(PACKAGES).length} packages`, () => {
    const files: string[] = [];
    for (const [name, folder] of Object.entries(PACKAGES)) {
      const found: string[] = [];
      sourcesOf(join(ROOT, 'node_modules', name, folder), found);
      files.push(...slice(found));
    }
    const linter = new Linter({ configType: 'flat', cwd: ROOT });
    const configs = [config(false), config(true)];
    const crashes: string[] = [];
    const start = Date.now();
    let linted = 0;
    let findings = 0;
    for (const file of files) {
      if (Date.now() - start > BUDGET_MS) break;
      const text = readFileSync(file, 'utf8');
      // Linted outside node_modules (which ESLint ignores), under the package's own path.
      const virtual = join(ROOT, 'corpus', relative(join(ROOT, 'node_modules'), file));
      for (const candidate of configs) {
        try {
          findings += linter.verify(text, candidate, virtual).filter((message) => message.ruleId !== null).length;
        } catch (error) {
          crashes.push(`${relative(ROOT, file)}: ${(error as Error).stack?.split('\n').slice(0, 4).join(' | ')}`);
        }
      }
      linted++;
    }
    expect(crashes).toEqual([]);
    expect(linted).toBeGreaterThanOrEqual(Math.min(MIN_FILES, files.length));
    // The rules ran: real SDK and client code has findings.
    expect(findings).toBeGreaterThan(0);
  }, 120_000);
});
