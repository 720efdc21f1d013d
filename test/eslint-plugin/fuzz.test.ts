/**
 * No rule throws, whatever TypeScript it is given (issue 15): fast-check writes programs
 * from a small grammar of the shapes rules look at — fan-outs, connections, provider and
 * HTTP calls, blocking calls — mixed with the shapes that broke rules before: overloads,
 * `declare`, optional chaining, classes, generators, type wrappers. Every rule runs on each,
 * with its default and its strict options. The seed is fixed so a run is repeatable; set
 * BOUNDED_FUZZ_RUNS (and BOUNDED_FUZZ_SEED) to search further.
 */
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import plugin from '../../eslint-plugin/index.js';

const RUNS = Number(process.env.BOUNDED_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.BOUNDED_FUZZ_SEED ?? 15);

const names = fc.constantFrom(
  'xs',
  'items',
  'urls',
  'ids',
  'fn',
  'fn2',
  'load',
  'pool',
  'client',
  'openai',
  'limit',
  'sem',
  'res',
  'req',
  'x',
  'i',
  'row',
);
/** Names a fan-out maps with, and that declarations (overloads, `declare`) define. */
const mappers = fc.constantFrom('fn', 'fn2', 'load');
const methods = fc.constantFrom(
  'map',
  'forEach',
  'flatMap',
  'filter',
  'slice',
  'push',
  'then',
  'query',
  'connect',
  'release',
  'end',
  'create',
  'run',
  'get',
  'send',
  'readFileSync',
  'hashSync',
);
const types = fc.constantFrom(
  'string',
  'number',
  'string[]',
  'Promise<void>',
  'unknown',
  '[string, number]',
  'Record<string, number>',
  'readonly string[]',
  '(x: string) => Promise<void>',
);

/** Calls bounded's rules look for, written as their users write them. */
const knownCalls = fc.constantFrom(
  'fetch(url)',
  'fetch(url, { signal: AbortSignal.timeout(1000) })',
  'fs.readFileSync(path)',
  'readFileSync(path, "utf8")',
  'bcrypt.hashSync(pw, 10)',
  'openai.chat.completions.create({ model: "m", messages: [] })',
  'anthropic.messages.create({ model: "m", max_tokens: 1, messages: [] })',
  'new Pool()',
  'new Client({ connectionString: url })',
  'await pool.connect()',
  'client.release()',
  'axios.get(url)',
  'limit(() => fetch(url))',
  'sem.run(() => load(x))',
  'mapBounded(xs, fn, { concurrency: 4 })',
  'Promise.all(xs.map(fn))',
  'Promise.all(xs?.map(fn2))',
  'Promise.allSettled(items.map(async (item) => { await load(item); }))',
  'Promise.race([a, b])',
  'Array.from({ length: n }, () => load(x))',
  'xs.forEach(async (x) => { await fn(x); })',
  'http.request(url, (res) => res.resume())',
  'execSync("ls")',
  'Atomics.wait(buf, 0, 0)',
);

const { expression } = fc.letrec<{ expression: string }>((tie) => ({
  expression: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    names,
    knownCalls,
    fc.integer({ min: 0, max: 20 }).map(String),
    fc.constantFrom('"text"', '`t${x}`', 'null', 'undefined', 'this', 'this.client', 'this.pool?.query', '[]', '{}', 'Infinity'),
    fc
      .tuple(tie('expression'), methods, fc.array(tie('expression'), { maxLength: 2 }))
      .map(([object, method, args]) => `(${object}).${method}(${args.join(', ')})`),
    fc.tuple(tie('expression'), methods, tie('expression')).map(([object, method, arg]) => `(${object})?.${method}?.(${arg})`),
    fc.tuple(tie('expression'), names).map(([object, name]) => `(${object})?.[${name}]`),
    fc.tuple(names, tie('expression')).map(([param, body]) => `((${param}) => (${body}))`),
    fc.tuple(names, tie('expression')).map(([param, body]) => `(async (${param}: string) => { await (${body}); return ${param}; })`),
    fc.tuple(names, tie('expression')).map(([param, body]) => `(function (${param}) { return ${body}; })`),
    tie('expression').map((e) => `await (${e})`),
    tie('expression').map((e) => `(${e}) as unknown as string[]`),
    tie('expression').map((e) => `(${e})!`),
    tie('expression').map((e) => `((${e}) satisfies unknown)`),
    fc.array(tie('expression'), { maxLength: 3 }).map((elements) => `[${elements.join(', ')}]`),
    fc.tuple(tie('expression'), tie('expression')).map(([a, b]) => `[...(${a}), ${b}]`),
    fc.tuple(names, tie('expression')).map(([key, value]) => `{ ${key}: ${value}, ...(${value}) }`),
    fc.tuple(tie('expression'), tie('expression'), tie('expression')).map(([c, a, b]) => `(${c} ? (${a}) : (${b}))`),
    fc.tuple(tie('expression'), tie('expression')).map(([a, b]) => `((${a}) ?? ${b})`),
    fc
      .tuple(fc.constantFrom('Promise.all', 'Promise.allSettled', 'Promise.any', 'Promise.race'), tie('expression'))
      .map(([c, e]) => `${c}(${e})`),
    fc
      .tuple(fc.constantFrom('Promise.all', 'Promise.allSettled'), names, fc.constantFrom('map', 'flatMap'), mappers)
      .map(([c, items, method, mapper]) => `${c}(${items}.${method}(${mapper}))`),
    fc.tuple(names, tie('expression')).map(([name, e]) => `new ${name.charAt(0).toUpperCase()}${name.slice(1)}(${e})`),
  ),
}));

const statement: fc.Arbitrary<string> = fc.letrec<{ statement: string }>((tie) => ({
  statement: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    expression.map((e) => `(${e});`),
    fc.tuple(fc.constantFrom('const', 'let'), names, expression).map(([kind, name, e]) => `${kind} ${name} = ${e};`),
    fc.tuple(names, expression).map(([name, e]) => `${name} ??= ${e};`),
    expression.map((e) => `return ${e};`),
    fc
      .tuple(names, expression, fc.array(tie('statement'), { maxLength: 3 }))
      .map(([name, e, body]) => `for (const ${name} of ${e}) { ${body.join(' ')} }`),
    fc
      .tuple(expression, fc.array(tie('statement'), { maxLength: 3 }))
      .map(([e, body]) => `for (let i = 0; i < (${e}); i++) { ${body.join(' ')} }`),
    fc.tuple(expression, fc.array(tie('statement'), { maxLength: 2 })).map(([e, body]) => `while (${e}) { ${body.join(' ')} break; }`),
    fc.tuple(expression, tie('statement'), tie('statement')).map(([c, a, b]) => `if (${c}) { ${a} } else { ${b} }`),
    fc
      .tuple(fc.array(tie('statement'), { maxLength: 2 }), fc.array(tie('statement'), { maxLength: 2 }))
      .map(([body, cleanup]) => `try { ${body.join(' ')} } catch (error) { throw error; } finally { ${cleanup.join(' ')} }`),
    fc.tuple(expression).map(([e]) => `if (xs.length > 100) throw new Error(String(${e}));`),
    fc.tuple(names, expression).map(([name, e]) => `using ${name} = ${e};`),
  ),
})).statement;

const body = fc.array(statement, { maxLength: 4 }).map((statements) => statements.join('\n  '));

/** Top-level declarations, including the ones that had no body where a rule looked for one. */
const declaration = fc.oneof(
  fc.tuple(names, types, body).map(([name, type, b]) => `export async function ${name}Handler(${name}: ${type}) {\n  ${b}\n}`),
  fc.tuple(names, body).map(([name, b]) => `function ${name}Sync(a: number) {\n  ${b}\n}`),
  fc.tuple(mappers, types, types).map(([name, a, r]) => `declare function ${name}(x: ${a}): ${r};`),
  fc
    .tuple(mappers, types, types, body)
    .map(
      ([name, a, b, impl]) =>
        `function ${name}(x: ${a}): Promise<void>;\nfunction ${name}(x: ${b}): Promise<void>;\nasync function ${name}(x: any) {\n  ${impl}\n}`,
    ),
  fc
    .tuple(mappers, types)
    .map(([name, a]) => `declare function ${name}(x: ${a}): Promise<void>;\ndeclare function ${name}(x: number, y: ${a}): Promise<void>;`),
  fc.tuple(names, body).map(([name, b]) => `export function* ${name}Gen(xs: string[]) {\n  ${b}\n  yield* xs;\n  yield ${name};\n}`),
  fc
    .tuple(names, body)
    .map(
      ([name, b]) => `export async function* ${name}Stream(xs: string[]) {\n  ${b}\n  for await (const x of xs) yield await fetch(x);\n}`,
    ),
  fc
    .tuple(names, expression, body, body)
    .map(
      ([name, init, method, ctor]) =>
        `export class ${name.toUpperCase()}Service {\n  private pool = ${init};\n  static #count = 0;\n  constructor(private readonly client: unknown) {\n  ${ctor}\n  }\n  get size() { return 1; }\n  async run(xs: string[]) {\n  ${method}\n  }\n  declare extra: string;\n  static { ${name}; }\n}`,
    ),
  fc.tuple(names, body).map(([name, b]) => `export const ${name}Arrow = async (req: any, res: any) => {\n  ${b}\n};`),
  fc.tuple(names, body).map(([name, b]) => `app.get('/${name}', async (req, res) => {\n  ${b}\n});`),
  fc.tuple(names, body).map(([name, b]) => `export default { async ${name}(x: string) {\n  ${b}\n  } };`),
  fc.tuple(names, types).map(([name, t]) => `declare module '${name}' { export function ${name}(x: ${t}): Promise<void>; }`),
  fc.tuple(names, types).map(([name, t]) => `namespace N${name} { export declare const ${name}: ${t}; }`),
  fc.tuple(names, types).map(([name, t]) => `export type ${name.toUpperCase()} = ${t};\ninterface I${name} { ${name}(x: ${t}): void }`),
  fc.constantFrom('enum Mode { A, B }', 'abstract class Base { abstract run(): Promise<void>; }', 'export {};'),
);

const IMPORTS = [
  "import fs, { readFileSync } from 'node:fs';",
  "import { execSync } from 'node:child_process';",
  "import bcrypt from 'bcrypt';",
  "import pg, { Pool, Client } from 'pg';",
  "import OpenAI from 'openai';",
  "import Anthropic from '@anthropic-ai/sdk';",
  "import axios from 'axios';",
  "import http from 'node:http';",
  "import pLimit from 'p-limit';",
  "import { mapBounded } from '@bounded/runtime';",
  "const express = require('express');",
  'const app = express();',
  'const openai = new OpenAI();',
  'const anthropic = new Anthropic();',
  'const limit = pLimit(4);',
];

const program = fc
  .tuple(fc.subarray(IMPORTS), fc.array(declaration, { minLength: 1, maxLength: 4 }))
  .map(([imports, declarations]) => `${imports.join('\n')}\n${declarations.join('\n\n')}\n`);

function lintAll(linter: Linter, code: string, strict: boolean): Linter.LintMessage[] {
  const rules: Linter.RulesRecord = {};
  for (const name of Object.keys(plugin.rules))
    rules[`bounded/${name}`] = strict && name !== 'no-sync-io-in-async' ? ['error', { strict: true }] : 'error';
  return linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } },
        plugins: { bounded: plugin },
        rules,
      },
    ],
    '/virtual/src/fuzzed.ts',
  );
}

describe('fuzzed programs', () => {
  it(
    `no rule throws on ${RUNS} generated programs (default and strict options)`,
    () => {
      const linter = new Linter({ configType: 'flat', cwd: '/virtual' });
      let parsed = 0;
      let findings = 0;
      fc.assert(
        fc.property(program, (code) => {
          for (const strict of [false, true]) {
            const messages = lintAll(linter, code, strict);
            if (messages.some((message) => message.fatal === true)) return;
            findings += messages.length;
          }
          parsed++;
        }),
        { numRuns: RUNS, seed: SEED },
      );
      // Most programs parse, and the rules find things in them: the rules did run.
      expect(parsed).toBeGreaterThan(RUNS * 0.6);
      expect(findings).toBeGreaterThan(RUNS);
    },
    60_000 + RUNS * 200,
  );

  it('the overloaded and declared mapper of issue 15 is among what the grammar writes', () => {
    const linter = new Linter({ configType: 'flat', cwd: '/virtual' });
    const code = `declare function fn(x: string): Promise<void>;\nfunction fn2(a: number): Promise<void>;\nfunction fn2(a: string): Promise<void>;\nasync function fn2(a: any) {}\nexport async function go(xs: string[]) { await Promise.all(xs.map(fn)); await Promise.all(xs.map(fn2)); }\n`;
    expect(lintAll(linter, code, false).map((message) => message.ruleId)).toEqual([
      'bounded/no-unbounded-concurrency',
      'bounded/no-unbounded-concurrency',
    ]);
  });
});
