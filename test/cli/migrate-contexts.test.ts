/**
 * `bounded migrate` and where code runs: tests, scripts, vendored and generated code are left
 * out unless asked for; browser code is migrated only where the policy's rules run there,
 * and then imports from `@bounded/runtime/core` (which loads no Node module) or is left alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import jscodeshift, { type API } from 'jscodeshift';
import * as core from '../../runtime/core.js';
import { CORE_EXPORTS, runtimeModuleFor } from '../../codemods/utils/runtime-module.js';
import { transforms } from '../../codemods/index.js';
import { defaultPolicy } from '../../policy/index.js';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { migrate, project } from './migrate-helpers.js';

const FETCH = ['export async function load(url: string) {', '  const res = await fetch(url);', '  return res.json();', '}', ''].join('\n');
const TIMED = FETCH.replace('fetch(url)', 'fetch(url, { signal: AbortSignal.timeout(60_000) })');

const FAN_OUT = [
  "'use client';",
  '',
  'export async function loadAll(ids: string[]) {',
  "  return Promise.all(ids.map((id) => fetch('/api/items/' + id)));",
  '}',
  '',
].join('\n');

/** A policy that runs every rule in browser code (the default turns the fan-out and timeout rules off there). */
const BROWSER_RULES_ON = 'version: 1\nlint:\n  contexts:\n    browser:\n      skip: []\n';

const read = (root: string, path: string): string => readFileSync(join(root, path), 'utf8');

describe('bounded migrate: tests, scripts and vendored code', () => {
  const files = {
    'src/api.ts': FETCH,
    'test/api.test.ts': FETCH,
    'scripts/seed.ts': FETCH,
    'vendor/lib.ts': FETCH,
  };

  it('migrates service code only, and counts and lists what it left out', async () => {
    const root = project(files);
    const result = await migrate(['--force', '--json', 'report.json', '.'], root);
    expect(result.code).toBe(0);
    expect(read(root, 'src/api.ts')).toBe(TIMED);
    for (const path of ['test/api.test.ts', 'scripts/seed.ts', 'vendor/lib.ts']) expect(read(root, path)).toBe(FETCH);
    expect(result.stderr).toMatch(/left out 1 script, 1 test, 1 vendored/);
    const report = JSON.parse(read(root, 'report.json')) as MigrateReport;
    const leftOut = report.files.filter((file) => file.reason === 'context').map((file) => [file.file, file.error]);
    expect(leftOut).toEqual([
      ['scripts/seed.ts', expect.stringMatching(/^script code \(.*\); pass --include-context script/)],
      ['test/api.test.ts', expect.stringMatching(/^test code \(.*\); pass --include-context test/)],
      ['vendor/lib.ts', expect.stringMatching(/^vendored code/)],
    ]);
  });

  it('--include-context test,script migrates them too (the policy turning require-timeout off in tests does not hold back what was asked for)', async () => {
    const root = project(files);
    expect((await migrate(['--force', '--include-context', 'test,script', '.'], root)).code).toBe(0);
    expect(read(root, 'test/api.test.ts')).toBe(TIMED);
    expect(read(root, 'scripts/seed.ts')).toBe(TIMED);
    expect(read(root, 'vendor/lib.ts')).toBe(FETCH);
  });

  it('refuses an unknown context, with a suggestion, and says so in --help', async () => {
    const result = await migrate(['--dry-run', '--include-context', 'tset', '.'], project(files));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown context "tset" (did you mean "test"?)');
    const { MIGRATE_USAGE } = await import('../../cli/commands/migrate.js');
    expect(MIGRATE_USAGE).toMatch(/--include-context a,b[\s\S]*only service and browser code is migrated/);
  });
});

describe('bounded migrate: browser code', () => {
  it("leaves a 'use client' file alone where the policy turns the transforms' rules off there (the default)", async () => {
    const root = project({ 'ui/list.ts': FAN_OUT });
    const result = await migrate(['--force', '--json', 'report.json', '.'], root);
    expect(result.code).toBe(0);
    expect(read(root, 'ui/list.ts')).toBe(FAN_OUT);
    const report = JSON.parse(read(root, 'report.json')) as MigrateReport;
    expect(report.files.find((file) => file.file === 'ui/list.ts')?.error).toMatch(
      /browser \('use client' directive\): the policy turns off the rules of/,
    );
  });

  it('imports from @bounded/runtime/core where the policy runs the rules in browser code', async () => {
    const root = project({ 'bounded.policy.yaml': BROWSER_RULES_ON, 'ui/list.ts': FAN_OUT });
    const result = await migrate(['--force', '--transform', 'bound-promise-all', '.'], root);
    expect(result.code).toBe(0);
    expect(read(root, 'ui/list.ts')).toBe(
      [
        "'use client';",
        '',
        "import { mapBounded } from '@bounded/runtime/core';",
        '',
        'export async function loadAll(ids: string[]) {',
        "  return mapBounded(ids, (id) => fetch('/api/items/' + id), { concurrency: 10 });",
        '}',
        '',
      ].join('\n'),
    );
  });
});

describe('runtimeModuleFor', () => {
  it('names only what @bounded/runtime/core exports', () => {
    const exported = new Set(Object.keys(core));
    expect([...CORE_EXPORTS].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('refuses in the browser what needs Node, and says why', () => {
    expect(runtimeModuleFor({}, ['throttleClient'])).toEqual({ module: '@bounded/runtime' });
    expect(runtimeModuleFor({ browser: "'use client' directive" }, ['mapBounded'])).toEqual({ module: '@bounded/runtime/core' });
    const refused = runtimeModuleFor({ browser: "'use client' directive" }, ['getPool', 'mapBounded']);
    expect('refusal' in refused ? refused.refusal : refused.module).toContain(
      "runs in the browser ('use client' directive) and `getPool` needs Node",
    );
  });

  it('under jscodeshift -t (no contexts passed), the transform classifies the file itself', () => {
    const j = jscodeshift.withParser('ts');
    const api: API = { jscodeshift: j, j, stats: () => {}, report: () => {} };
    const policy = defaultPolicy();
    const browserOn = {
      ...policy,
      lint: { ...policy.lint, contexts: { ...policy.lint.contexts, browser: { ...policy.lint.contexts.browser, skip: [] } } },
    };
    const output = transforms['bound-promise-all']({ path: 'ui/list.ts', source: FAN_OUT }, api, {
      policy: browserOn,
      reportedFanOuts: () => undefined,
    });
    expect(output).toContain("import { mapBounded } from '@bounded/runtime/core';");
  });
});
