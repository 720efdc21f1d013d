/**
 * The prefilter of `bounded check` (cli/check-prefilter.ts) spares files from parsing; it must
 * never spare one that holds a finding. Three nets: every invalid case of every rule's own
 * tests passes its rule's test; linting real code (the fixtures, the labelled corpus, a slice of
 * the sources installed in node_modules) with and without the prefilter gives the same results;
 * and what the prefilter cannot see from a rule's text (a syntax error, an imported wrapper,
 * disable comments) is still linted.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ESLint } from 'eslint';
import { describe, expect, it, vi } from 'vitest';
import { createCheckLinter } from '../../cli/check-index.js';
import { lintChecked } from '../../cli/check-lint.js';
import { lintPrefilter } from '../../cli/check-prefilter.js';
import { defaultPolicy, loadPolicy } from '../../policy/load.js';
import plugin from '../../eslint-plugin/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RULES = Object.keys(plugin.rules);

// ---------------------------------------------------------------------------------------------
// The rules' own invalid cases.

interface Case {
  readonly code: string;
  readonly filename?: string;
  readonly options?: readonly Record<string, unknown>[];
  readonly settings?: { bounded?: { policy?: string; index?: { files?: Record<string, unknown> } } };
}
const harvested: { rule: unknown; typed: boolean; invalid: (string | Case)[] }[] = [];

vi.mock('@typescript-eslint/rule-tester', () => ({
  RuleTester: class {
    static afterAll: unknown;
    static describe: unknown;
    static it: unknown;
    static itOnly: unknown;
    readonly #typed: boolean;
    constructor(config?: { languageOptions?: { parserOptions?: Record<string, unknown> } }) {
      const parserOptions = config?.languageOptions?.parserOptions ?? {};
      this.#typed = parserOptions.projectService !== undefined || parserOptions.project !== undefined;
    }
    run(_name: string, rule: unknown, tests: { invalid: (string | Case)[] }): void {
      harvested.push({ rule, typed: this.#typed, invalid: tests.invalid });
    }
  },
}));

/** Rule options `bounded check` may set (its presets); a case with others tests what check never runs. */
const PRESET_OPTIONS = new Set(['strict', 'reportSdkDefaults']);

// The rule tests, loaded here with RuleTester replaced (a test of their own they register runs here too).
const RULE_TESTS = join(ROOT, 'test', 'eslint-plugin');
for (const name of readdirSync(RULE_TESTS)
  .filter((file) => file.endsWith('.test.ts'))
  .sort()) {
  const text = readFileSync(join(RULE_TESTS, name), 'utf8');
  if (text.includes("from './setup.js'") && text.includes('.run(')) await import(/* @vite-ignore */ join(RULE_TESTS, name));
}
const ruleName = new Map<unknown, string>(Object.entries(plugin.rules).map(([name, rule]) => [rule, name]));

describe("the prefilter and the rules' own invalid cases", () => {
  it('lets through every untyped invalid case of every rule, for that rule alone', () => {
    const rules = new Set(harvested.map((entry) => ruleName.get(entry.rule)));
    // Every rule is exercised, so a rule whose tests move would be noticed.
    expect([...rules].sort()).toEqual([...RULES].sort());
    const missed: string[] = [];
    let checked = 0;
    for (const { rule: module, typed, invalid } of harvested) {
      const rule = ruleName.get(module)!;
      if (typed) continue;
      for (const entry of invalid) {
        const item: Case = typeof entry === 'string' ? { code: entry } : entry;
        if (item.options?.some((options) => Object.keys(options).some((key) => !PRESET_OPTIONS.has(key)))) continue;
        const policyPath = item.settings?.bounded?.policy;
        const policy = policyPath === undefined ? defaultPolicy() : loadPolicy({ path: policyPath });
        const indexed = Object.keys(item.settings?.bounded?.index?.files ?? {});
        // A policy path given: no lookup of one above the file (the tests' files are not on disk).
        const prefilter = lintPrefilter({
          rules: [rule],
          policy,
          policyPath: policyPath ?? 'embedded',
          typed: false,
          reportUnusedDisableDirectives: false,
          indexed,
        })!;
        checked++;
        if (!prefilter(item.filename ?? join(ROOT, 'file.ts'), item.code)) missed.push(`${rule}: ${item.code.slice(0, 200)}`);
      }
    }
    expect(missed).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Real code, with and without the prefilter.

const SOURCE = /\.(?:[cm]?[jt]sx?)$/;

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') sources(full, out);
    else if (entry.isFile() && SOURCE.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** A copy of `files` (ESLint ignores node_modules; copies are linted as a project's own files), path by path. */
function copy(files: readonly string[], from: string): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'bounded-prefilter-'));
  const copied = files.map((file) => {
    const target = join(dir, relative(from, file).replaceAll('node_modules', 'nm'));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    return target;
  });
  return { dir, files: copied };
}

/** What a run reports, file by file: bounded's messages and fatal ones (other plugins' are dropped by check). */
function reported(results: readonly ESLint.LintResult[], dir: string): [string, unknown[]][] {
  return results.map((result) => [
    relative(dir, result.filePath),
    result.messages
      .filter((message) => message.ruleId === null || message.ruleId.startsWith('bounded/'))
      .map((message) => [message.ruleId, message.line, message.column, message.message, message.fatal === true]),
  ]);
}

async function lintBoth(
  dir: string,
  files: string[],
  reportUnusedDisableDirectives = false,
): Promise<{ with: unknown; without: unknown; linted: number; findings: number }> {
  const run = async (prefilter: boolean) => {
    const linter = await createCheckLinter({
      cwd: dir,
      files,
      policy: defaultPolicy(),
      policyPath: undefined,
      config: 'all',
      typed: false,
      concurrency: 'off',
      index: true,
      prefilter,
      reportUnusedDisableDirectives,
    });
    try {
      return await lintChecked(linter, files, () => {});
    } finally {
      linter.dispose();
    }
  };
  const filtered = await run(true);
  const full = await run(false);
  expect(filtered.errors).toEqual([]);
  expect(full.errors).toEqual([]);
  const withFilter = reported(filtered.results, dir);
  return {
    with: withFilter,
    without: reported(full.results, dir),
    linted: filtered.linted,
    findings: withFilter.reduce((sum, [, messages]) => sum + messages.length, 0),
  };
}

describe('the prefilter loses no finding on real code', () => {
  it('on the fixtures and the labelled corpus', async () => {
    const all = [
      ...sources(join(ROOT, 'fixtures')),
      ...sources(join(ROOT, 'test', 'corpus', 'files')),
      ...sources(join(ROOT, 'test', 'eslint-plugin', 'fixture')),
    ];
    const { dir, files } = copy(all, ROOT);
    const both = await lintBoth(dir, files);
    expect(both.with).toEqual(both.without);
    // It found something to lose, and spared something.
    expect(both.findings).toBeGreaterThan(50);
    expect(both.linted).toBeLessThan(files.length);
  }, 300_000);

  it('on a slice of the sources installed in node_modules (SDKs, HTTP clients, drivers)', async () => {
    const modules = join(ROOT, 'node_modules');
    const picked: string[] = [];
    for (const pkg of ['openai/src', '@anthropic-ai/sdk/src', 'undici/lib', 'pg/lib', 'pg-pool', 'p-limit', 'ioredis/built', 'axios/lib']) {
      const dir = join(modules, pkg);
      try {
        if (!statSync(dir).isDirectory()) continue;
      } catch {
        continue;
      }
      // Every third file of each package, small enough to keep the test quick.
      picked.push(...sources(dir).filter((file, i) => i % 3 === 0 && statSync(file).size < 200_000));
    }
    expect(picked.length).toBeGreaterThan(50);
    const { dir, files } = copy(picked, modules);
    const both = await lintBoth(dir, files);
    expect(both.with).toEqual(both.without);
    expect(both.linted).toBeLessThan(files.length);
  }, 300_000);
});

// ---------------------------------------------------------------------------------------------
// What the rules' text does not show.

function project(files: Record<string, string>): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'bounded-prefilter-'));
  return {
    dir,
    files: Object.entries(files).map(([path, text]) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
      return join(dir, path);
    }),
  };
}

describe('what the prefilter keeps whatever the rules key on', () => {
  it('a file that imports a wrapper the index records, a file that does not parse, disable comments when unused ones are reported', async () => {
    const { dir, files } = project({
      'src/llm.ts': `import OpenAI from 'openai';\nconst openai = new OpenAI({ timeout: 30_000 });\nexport async function summarize(text: string) {\n  return openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });\n}\n`,
      // Nothing here names a provider: only the index says summarize() makes a provider call.
      'src/digest.ts': `import { summarize } from './llm.js';\nexport function digest(texts: string[]) {\n  const out = [];\n  for (const text of texts) out.push(summarize(text));\n  return out;\n}\n`,
      'src/broken.ts': `export const x = {;\n`,
      'src/plain.ts': `export const answer = 42;\n`,
      'src/disabled.ts': `// eslint-disable-next-line bounded/require-timeout\nexport const answer = 42;\n`,
    });
    const both = await lintBoth(dir, files, true);
    expect(both.with).toEqual(both.without);
    const byFile = Object.fromEntries(both.with as [string, unknown[][]][]);
    expect(byFile['src/digest.ts']!.map((message) => message[0])).toContain('bounded/no-unthrottled-provider-call');
    expect(byFile['src/broken.ts']![0]![4]).toBe(true);
    expect(byFile['src/disabled.ts']!.map((message) => message[3])).toEqual([expect.stringMatching(/^Unused eslint-disable directive/)]);
    // Only plain.ts was spared.
    expect(both.linted).toBe(files.length - 1);
  }, 120_000);

  it('is off with type information, and when a rule it does not know runs', () => {
    const base = { policy: defaultPolicy(), policyPath: undefined, reportUnusedDisableDirectives: false, indexed: [] };
    expect(lintPrefilter({ ...base, rules: RULES, typed: true })).toBeUndefined();
    expect(lintPrefilter({ ...base, rules: [...RULES, 'no-such-rule'], typed: false })).toBeUndefined();
    const prefilter = lintPrefilter({ ...base, rules: RULES, typed: false })!;
    expect(prefilter('/p/a.ts', 'export const answer = 42;\n')).toBe(false);
    // A doc comment's example is not code; the same call in code is.
    expect(prefilter('/p/a.ts', '/**\n * await Promise.all(urls.map((url) => fetch(url)));\n */\nexport const answer = 42;\n')).toBe(false);
    expect(prefilter('/p/a.ts', 'export const all = (urls: string[]) => Promise.all(urls.map((url) => fetch(url)));\n')).toBe(true);
  });

  it('lints an importer of a file known only for its async exports when the background rule runs, and for no other rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bounded-prefilter-async-'));
    const mail = join(dir, 'mail.ts');
    writeFileSync(mail, 'export async function sendWelcome(to: string) {}\n');
    const signup = join(dir, 'signup.ts');
    const base = {
      policy: defaultPolicy(),
      policyPath: undefined,
      reportUnusedDisableDirectives: false,
      indexed: [],
      asyncIndexed: [mail],
      typed: false,
    };
    // A request handler that is not async, calling an imported async function: nothing else in its text.
    const handler =
      "import { sendWelcome } from './mail.js';\nexport function signup(req: { body: string }, res: { end(): void }) {\n  sendWelcome(req.body);\n  res.end();\n}\n";
    expect(lintPrefilter({ ...base, rules: ['no-unmanaged-background-work'] })!(signup, handler)).toBe(true);
    expect(lintPrefilter({ ...base, rules: ['require-timeout'] })!(signup, handler)).toBe(false);
    expect(lintPrefilter({ ...base, asyncIndexed: [], rules: ['no-unmanaged-background-work'] })!(signup, handler)).toBe(false);
  });
});
