/**
 * `bounded check` runs that never die and say only what is theirs (issue 15): a rule that
 * throws on one file is an internal error of that file (exit 2) and the rest is checked;
 * other plugins' disable comments are not findings; `--typed` works without a tsconfig.json.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rules } from '../../eslint-plugin/index.js';
import { bounded, project, type JsonResult } from './check-helpers.js';

const HAZARD = `import fs from 'node:fs';\nexport async function handler(path: string) {\n  return fs.readFileSync(path, 'utf8');\n}\n`;
const SAFE = `export const answer = 42;\n`;
const DECLARED_MAPPERS = `declare function fn(x: string): Promise<void>;
function fn2(a: number): Promise<void>;
function fn2(a: string): Promise<void>;
function fn2(a: number | string): Promise<void> { return Promise.resolve(); }
export async function run(xs: string[]) {
  await Promise.all(xs.map(fn));
  await Promise.all(xs.map(fn2));
}
`;

afterEach(() => {
  vi.restoreAllMocks();
});

interface LooseRule {
  create(context: { sourceCode: { text: string } }): Record<string, unknown>;
}

/** Makes `name` throw a TypeError on files whose text contains `marker`, as a bug would. */
function breakRule(name: keyof typeof rules, marker: string): void {
  const rule = rules[name] as unknown as LooseRule;
  const original = rule.create.bind(rule);
  vi.spyOn(rule, 'create').mockImplementation((context) => {
    const listeners = original(context);
    if (!context.sourceCode.text.includes(marker)) return listeners;
    return {
      ...listeners,
      CallExpression() {
        throw new TypeError("Cannot read properties of undefined (reading 'type')");
      },
    };
  });
}

describe('bounded check: internal errors', () => {
  it('lints a declared and an overloaded mapper (the TypeError that killed whole runs) and exits 1 for its findings', async () => {
    const root = project({ 'src/mappers.ts': DECLARED_MAPPERS, 'src/ok.ts': SAFE });
    const result = await bounded(['--format', 'json'], root);
    expect(result.code).toBe(1);
    const mappers = (JSON.parse(result.stdout) as JsonResult[]).find((r) => r.filePath.endsWith('mappers.ts'))!;
    expect(mappers.messages.map((m) => [m.ruleId, m.line])).toEqual([
      ['bounded/no-unbounded-concurrency', 6],
      ['bounded/no-unbounded-concurrency', 7],
    ]);
    expect(result.stderr).not.toContain('internal error');
  });

  it('reports a rule that throws as an internal error of that file, checks the rest, and exits 2', async () => {
    breakRule('no-unbounded-concurrency', 'BREAKS');
    // a.ts starts a fan-out (else the prefilter spares it the rule, and the rule its bug).
    const root = project({ 'a.ts': `// BREAKS\nexport const x = Promise.all([1].map(String));\n`, 'b.ts': HAZARD, 'c.ts': SAFE });
    const result = await bounded(['--format', 'json'], root);
    expect(result.code).toBe(2);
    const results = JSON.parse(result.stdout) as JsonResult[];
    expect(results.map((r) => r.filePath)).toEqual(['a.ts', 'b.ts', 'c.ts'].map((f) => join(root, f)));
    // The internal error is not a finding: the report holds the other rules' findings only.
    expect(results[0]!.messages).toEqual([]);
    expect(results[1]!.messages.map((m) => m.ruleId)).toEqual(['bounded/no-sync-io-in-async']);
    expect(result.stderr).toContain(
      "bounded check: internal error in bounded/no-unbounded-concurrency on a.ts:2: TypeError: Cannot read properties of undefined (reading 'type')\n",
    );
    expect(result.stderr).toContain('3 files checked, 1 finding');
    expect(result.stderr).toContain('1 internal error (reported above; --debug prints the stacks)');
    expect(result.stderr).not.toContain('    at ');
  });

  it('prints the stack with --debug', async () => {
    breakRule('no-sync-io-in-async', 'BREAKS');
    // a.ts imports a blocking module (else the prefilter spares it the rule, and the rule its bug).
    const root = project({ 'a.ts': `// BREAKS\nexport const x = String(1);\nimport 'node:fs';\n` });
    const result = await bounded(['--debug'], root);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/internal error in bounded\/no-sync-io-in-async on a\.ts:2: TypeError: .*\n {4}TypeError: .*\n {8}at /);
  });

  it('exits 2, not 1, when there are findings and an internal error', async () => {
    breakRule('no-sync-io-in-async', 'BREAKS');
    const root = project({
      'a.ts': `// BREAKS\n${HAZARD}`,
      'b.ts': `export async function f(urls: string[]) { return Promise.all(urls.map((u) => fetch(u, { signal: AbortSignal.timeout(1) }))); }\n`,
    });
    expect((await bounded([], root)).code).toBe(2);
  });
});

describe('bounded check: disable comments of other plugins', () => {
  const OTHERS = `// eslint-disable-next-line react/no-danger
export const x = 1;
/* eslint-disable @typescript-eslint/no-explicit-any, import/no-cycle */
export const y: any = 2; // eslint-disable-line no-console
`;

  it('are not findings: no message, no count, exit 0', async () => {
    const root = project({ 'a.ts': OTHERS });
    const result = await bounded(['--format', 'json'], root);
    expect(result.code).toBe(0);
    const [a] = JSON.parse(result.stdout) as JsonResult[];
    expect(a!.messages).toEqual([]);
    expect(a!.errorCount).toBe(0);
    expect(result.stderr).toContain('1 file checked, no findings');
  });

  it("a disable comment of bounded's own rule still suppresses its finding", async () => {
    const root = project({
      'a.ts': `import fs from 'node:fs';\nexport async function f(p: string) {\n  // eslint-disable-next-line bounded/no-sync-io-in-async, react/no-danger\n  return fs.readFileSync(p);\n}\n`,
    });
    expect((await bounded([], root)).code).toBe(0);
  });

  it("--report-unused-disable-directives reports unused disables of bounded's rules only", async () => {
    const root = project({
      'a.ts': `${OTHERS}// eslint-disable-next-line bounded/no-sync-io-in-async\nexport const z = 3;\n/* eslint-disable-next-line no-console, bounded/require-timeout */\nexport const w = 4;\n/* eslint-disable */\n`,
    });
    const result = await bounded(['--format', 'json', '--report-unused-disable-directives'], root);
    expect(result.code).toBe(1);
    const [a] = JSON.parse(result.stdout) as JsonResult[];
    expect(a!.messages.map((m) => [m.line, m.message])).toEqual([
      [5, "Unused eslint-disable directive (no problems were reported from 'bounded/no-sync-io-in-async')."],
      [7, "Unused eslint-disable directive (no problems were reported from 'bounded/require-timeout')."],
    ]);
    // Without the flag, nothing.
    expect((await bounded([], root)).code).toBe(0);
  });
});

describe('bounded check --typed', () => {
  const TUPLE = `export async function both(pair: [Promise<number>, Promise<string>]) {\n  return Promise.all(pair);\n}\n`;

  it('type-checks a folder without tsconfig.json with default options (allowJs) instead of failing every file', async () => {
    const root = project({
      'a.ts': TUPLE,
      'b.js': `module.exports = async function (xs) {\n  return Promise.all(xs.map((x) => fetch(x, { signal: AbortSignal.timeout(5000) })));\n};\n`,
    });
    const result = await bounded(['--typed', '--config', 'strict', '--format', 'json'], root);
    const results = JSON.parse(result.stdout) as JsonResult[];
    expect(results.flatMap((r) => r.messages.filter((m) => m.fatal === true))).toEqual([]);
    // The type checker sees the tuple (untyped, strict reports it as untraced)…
    expect(results.find((r) => r.filePath.endsWith('a.ts'))!.messages).toEqual([]);
    // …and the JavaScript file is linted too.
    expect(results.find((r) => r.filePath.endsWith('b.js'))!.messages.map((m) => m.ruleId)).toEqual(['bounded/no-unbounded-concurrency']);
    expect(result.code).toBe(1);
    const untyped = await bounded(['--config', 'strict', '--format', 'json', 'a.ts'], root);
    expect((JSON.parse(untyped.stdout) as JsonResult[])[0]!.messages.map((m) => m.ruleId)).toEqual(['bounded/no-unbounded-concurrency']);
  });

  it("uses the project's tsconfig.json where there is one, and defaults for the files it leaves out", async () => {
    const root = project({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ['src'] }),
      'src/a.ts': TUPLE,
      'scripts/b.ts': TUPLE,
    });
    const result = await bounded(['--typed', '--config', 'strict', '--format', 'json'], root);
    const results = JSON.parse(result.stdout) as JsonResult[];
    expect(results.map((r) => r.messages)).toEqual([[], []]);
    expect(result.code).toBe(0);
  });
});
