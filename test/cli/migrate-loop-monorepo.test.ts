/**
 * The realistic loop, on a throwaway monorepo under the system's temporary folder: a service
 * package written without semicolons and indented with tabs (its Prettier config says
 * `semi: false`), a React UI package with `'use client'` files in another style, a scripts
 * folder, a shared axios instance and an upload through another one. check → migrate → check,
 * then tsc over everything and an esbuild browser bundle of the UI package: both must pass, and
 * every edit must keep its package's style.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import type { MigrateReport } from '../../cli/commands/migrate.js';
import { migrate, project, ROOT } from './migrate-helpers.js';

const quiet = { write: () => true };

const SERVICE_HTTP = [
  "import axios from 'axios'",
  '',
  '// One instance for the model gateway, shared by every request handler.',
  "export const api = axios.create({ baseURL: 'https://gateway.internal' })",
  '',
  "export const uploads = axios.create({ baseURL: 'https://files.internal' })",
  '',
  'export async function predict(input: unknown) {',
  "\tconst res = await api.post('/predict', input)",
  '\treturn res.data',
  '}',
  '',
  'export async function health() {',
  "\treturn (await api.get('/health')).status",
  '}',
  '',
  'export async function uploadModel(weights: Blob) {',
  '\tconst form = new FormData()',
  "\tform.append('weights', weights)",
  "\treturn uploads.post('/models', form)",
  '}',
  '',
].join('\n');

const SERVICE_FANOUT = [
  "import { predict } from './http.js'",
  '',
  'export async function enrich(ids: string[]) {',
  '\tconst rows = await Promise.all(ids.map(async (id) => {',
  "\t\tconst res = await fetch('https://catalog.internal/items/' + id)",
  '\t\treturn predict(await res.json())',
  '\t}))',
  '\treturn rows',
  '}',
  '',
].join('\n');

const UI_LIST = [
  '"use client";',
  '',
  'export async function loadCards(ids: string[]): Promise<unknown[]> {',
  '  return Promise.all(ids.map((id) => fetch("/api/cards/" + id).then((res) => res.json())));',
  '}',
  '',
].join('\n');

const SCRIPT = [
  'export async function seed() {',
  "  const res = await fetch('http://localhost:3000/seed')",
  '  return res.ok',
  '}',
  '',
].join('\n');

const TYPES = [
  "declare module 'axios' {",
  '  interface Instance {',
  '    get(url: string, config?: object): Promise<{ data: unknown; status: number }>',
  '    post(url: string, data?: unknown, config?: object): Promise<{ data: unknown; status: number }>',
  '  }',
  '  const axios: { create(config?: object): Instance }',
  '  export default axios',
  '}',
  '',
].join('\n');

function tsconfig(): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules/@types')],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      paths: {
        '@bounded/runtime': [join(ROOT, 'runtime/index.ts')],
        '@bounded/runtime/core': [join(ROOT, 'runtime/core.ts')],
      },
    },
    include: ['packages/**/*.ts', 'scripts/**/*.ts', 'types.d.ts'],
  });
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

async function findings(root: string): Promise<string[]> {
  let stdout = '';
  await checkCommand([root, '--format', 'json', '--quiet'], { stdout: { write: (t: string) => (stdout += t) }, stderr: quiet }, root);
  const results = JSON.parse(stdout) as { filePath: string; messages: { ruleId: string | null; line: number }[] }[];
  return results.flatMap((r) => r.messages.map((m) => `${relative(root, r.filePath)}:${m.line} ${m.ruleId}`)).sort();
}

describe('check → migrate → check → tsc and a browser bundle, on a multi-package repository', () => {
  it('fixes what it can in each package in its own style, reports the rest, and both builds pass', async () => {
    const root = project({
      'package.json': JSON.stringify({ name: 'acme', private: true, workspaces: ['packages/*'] }),
      // Runs the rules in browser code too (the default turns them off there), so the UI package is migrated.
      'bounded.policy.yaml': 'version: 1\nlint:\n  contexts:\n    browser:\n      skip: []\n',
      'tsconfig.json': tsconfig(),
      'types.d.ts': TYPES,
      'packages/service/package.json': JSON.stringify({ name: '@acme/service', dependencies: { axios: '^1.7.0', express: '^4.19.0' } }),
      'packages/service/.prettierrc.json': JSON.stringify({ semi: false, singleQuote: true, useTabs: true }),
      'packages/service/src/http.ts': SERVICE_HTTP,
      'packages/service/src/fanout.ts': SERVICE_FANOUT,
      'packages/ui/package.json': JSON.stringify({ name: '@acme/ui', dependencies: { react: '^19.0.0' } }),
      'packages/ui/src/cards.ts': UI_LIST,
      'scripts/seed.ts': SCRIPT,
    });
    roots.push(root);
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'pipe', timeout: 120_000 });

    const before = await findings(root);
    expect(before.some((finding) => finding.startsWith('packages/ui/src/cards.ts'))).toBe(true);

    const result = await migrate(['--force', '--json', 'report.json', '.'], root);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as MigrateReport;
    const fileReport = (path: string) => report.files.find((file) => file.file === path);

    // The service: no semicolons added, tabs, single quotes.
    const http = readFileSync(join(root, 'packages/service/src/http.ts'), 'utf8');
    expect(http).toContain("export const api = axios.create({ baseURL: 'https://gateway.internal', timeout: 60_000 })\n");
    // The instance that uploads is left alone, and the report says why; the other's reach is listed.
    expect(http).toContain("export const uploads = axios.create({ baseURL: 'https://files.internal' })\n");
    const timeouts = fileReport('packages/service/src/http.ts')?.transforms['add-timeouts'];
    expect(timeouts?.skipped.map((site) => site.reason)).toEqual([
      expect.stringMatching(/^`uploads` \(axios.create\) also makes long operations: uploads.post at 20:9 \(an upload/),
    ]);
    expect(timeouts?.reach?.map((site) => site.reason)).toEqual([
      expect.stringMatching(/reaches 2 calls in this file: api.post at 9:20, api.get at 14:16; it is exported/),
    ]);
    const fanout = readFileSync(join(root, 'packages/service/src/fanout.ts'), 'utf8');
    expect(fanout).toBe(
      [
        "import { predict } from './http.js'",
        "import { mapBounded } from '@bounded/runtime'",
        '',
        'export async function enrich(ids: string[]) {',
        '\tconst rows = await mapBounded(ids, async (id) => {',
        "\t\tconst res = await fetch('https://catalog.internal/items/' + id, { signal: AbortSignal.timeout(60_000) })",
        '\t\treturn predict(await res.json())',
        '\t}, { concurrency: 10 })',
        '\treturn rows',
        '}',
        '',
      ].join('\n'),
    );

    // The UI package: its own style (semicolons, double quotes, spaces), and only the runtime's core.
    const cards = readFileSync(join(root, 'packages/ui/src/cards.ts'), 'utf8');
    expect(cards).toContain('import { mapBounded } from "@bounded/runtime/core";\n');
    expect(cards).toContain(
      '  return mapBounded(ids, (id) => fetch("/api/cards/" + id, { signal: AbortSignal.timeout(60_000) }).then((res) => res.json()), { concurrency: 10 });\n',
    );

    // The script is left out, and counted.
    expect(readFileSync(join(root, 'scripts/seed.ts'), 'utf8')).toBe(SCRIPT);
    expect(fileReport('scripts/seed.ts')?.reason).toBe('context');

    // check afterwards: findings only go away, and what is left is what the report names.
    const after = await findings(root);
    expect(after.length).toBeLessThan(before.length);
    for (const finding of after) expect(before, `${finding} is new`).toContain(finding);
    // Left: the upload through the second instance (line 20), which the report names for review.
    expect(after.filter((finding) => finding.startsWith('packages/'))).toEqual(['packages/service/src/http.ts:20 bounded/require-timeout']);

    // A second run has nothing to do.
    expect((await migrate(['--check', '--quiet', '.'], root)).code).toBe(0);

    // Both builds pass: tsc over every package, and the UI package bundled for the browser.
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'pipe', timeout: 120_000 });
    const { build } = await import('esbuild');
    const bundle = await build({
      entryPoints: [join(root, 'packages/ui/src/cards.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      tsconfig: join(root, 'tsconfig.json'),
      logLevel: 'silent',
    });
    expect(bundle.errors).toEqual([]);
    expect(bundle.outputFiles[0]!.text).toContain('mapBounded');
  }, 240_000);
});
