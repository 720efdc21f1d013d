/**
 * `bounded check --concurrency`: ESLint's worker threads lint with the same options, index and
 * prefilter as the main thread, so the report is the same byte for byte. The workers load a
 * bundle of cli/check-options.ts (the compiled CLI loads cli/dist/check-options.js): the same
 * code, built from the sources under test.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckLinter, type CheckLinterOptions } from '../../cli/check-index.js';
import { lintChecked, rulesMetaFor } from '../../cli/check-lint.js';
import { defaultPolicy } from '../../policy/load.js';
import { bundleForNode } from '../helpers/bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let optionsModule: URL;
let cacheDir: string;

beforeAll(async () => {
  cacheDir = join(ROOT, 'node_modules', '.cache', `bounded-check-options-${process.pid}-${Date.now()}`);
  mkdirSync(cacheDir, { recursive: true });
  optionsModule = pathToFileURL(await bundleForNode(join(ROOT, 'cli', 'check-options.ts'), join(cacheDir, 'check-options.mjs')));
}, 120_000);

afterAll(async () => {
  const { rmSync } = await import('node:fs');
  rmSync(cacheDir, { recursive: true, force: true });
});

const LLM = `import OpenAI from 'openai';
const openai = new OpenAI({ timeout: 30_000 });
export async function summarize(text: string) {
  return openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
}
`;

/** A service: a provider wrapper imported by jobs in other folders, requests, a pool, blocking calls, plain files. */
function service(): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'bounded-workers-'));
  const files: Record<string, string> = {
    'src/llm.ts': LLM,
    'src/db.ts': `import pg from 'pg';\nexport async function load(id: string) {\n  const client = new pg.Client();\n  await client.connect();\n  return client.query('select 1 where $1', [id]);\n}\n`,
    'src/http.ts': `export async function getJson(url: string) {\n  const response = await fetch(url);\n  return response.json();\n}\n`,
    'src/files.ts': `import fs from 'node:fs';\nexport async function read(path: string) {\n  return fs.readFileSync(path, 'utf8');\n}\n`,
  };
  for (let i = 0; i < 12; i++) {
    // Wrapper calls in a loop and in fan-outs: findings only the index can give.
    files[`src/jobs/digest-${i}.ts`] =
      `import { summarize } from '../llm.js';\nexport function digest(texts: string[]) {\n  const out = [];\n  for (const text of texts) out.push(summarize(text));\n  return Promise.all(texts.map((text) => summarize(text)));\n}\n`;
    files[`src/plain-${i}.ts`] = `export const answer${i} = ${i};\n`;
  }
  files['src/broken.ts'] = 'export const x = {;\n';
  return {
    dir,
    files: Object.entries(files).map(([path, text]) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
      return join(dir, path);
    }),
  };
}

async function report(
  options: CheckLinterOptions,
): Promise<{ json: string; order: string[]; rules: string[]; workers: number; linted: number }> {
  const linter = await createCheckLinter(options);
  try {
    const outcome = await lintChecked(linter, options.files, () => {});
    expect(outcome.errors).toEqual([]);
    const formatter = await linter.eslint.loadFormatter('json');
    const order = outcome.results.map((result) => result.filePath);
    // The rules' metadata (SARIF's), from the main thread's instance whoever linted.
    const rules = Object.keys(await rulesMetaFor(linter.eslint, outcome.results)).sort();
    return { json: await formatter.format(outcome.results), order, rules, workers: outcome.workers, linted: outcome.linted };
  } finally {
    linter.dispose();
  }
}

describe('bounded check on worker threads', () => {
  it('reports exactly what one thread reports, cross-file wrappers included', async () => {
    const { dir, files } = service();
    const base = {
      cwd: dir,
      files,
      policy: defaultPolicy(),
      policyPath: undefined,
      config: 'recommended',
      typed: false,
      index: true,
    } as const;
    const one = await report({ ...base, concurrency: 'off' });
    const two = await report({ ...base, concurrency: 2, workerOptionsModule: optionsModule });
    // Results in the order of the files given, on both paths.
    expect(one.order).toEqual(files);
    expect(two.order).toEqual(files);
    expect(one.workers).toBe(0);
    expect(two.workers).toBe(2);
    expect(two.json).toBe(one.json);
    expect(two.rules).toEqual(one.rules);
    expect(one.rules).toContain('bounded/no-unthrottled-provider-call');
    const results = JSON.parse(one.json) as { filePath: string; messages: { ruleId: string | null; fatal?: boolean }[] }[];
    // Every file (ESLint's formatters sort by path), with the findings the index makes possible and the file that does not parse.
    expect(results.map((result) => result.filePath)).toEqual([...files].sort());
    const digest = results.find((result) => result.filePath.endsWith('digest-0.ts'))!;
    expect(digest.messages.map((message) => message.ruleId)).toContain('bounded/no-unthrottled-provider-call');
    expect(results.find((result) => result.filePath.endsWith('broken.ts'))!.messages[0]!.fatal).toBe(true);
    // The plain files were spared the parse, on both paths.
    expect(one.linted).toBe(two.linted);
    expect(one.linted).toBe(files.length - 12);
  }, 180_000);
});
