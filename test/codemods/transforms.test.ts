import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jscodeshift, { type API, type FileInfo } from 'jscodeshift';
import { applyTransform } from 'jscodeshift/src/testUtils.js';
import * as addTimeouts from '../../codemods/transforms/add-timeouts.js';
import * as boundPromiseAll from '../../codemods/transforms/bound-promise-all.js';
import { describe, expect, it } from 'vitest';
import { transforms, type TransformName } from '../../codemods/index.js';
import { defaultPolicy } from '../../policy/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/codemods/', import.meta.url));
const policy = defaultPolicy();

interface Run {
  readonly output: string | null | undefined;
  readonly reports: string[];
}

function run(name: TransformName, path: string, source: string): Run {
  const j = jscodeshift.withParser('ts');
  const reports: string[] = [];
  const api: API = { jscodeshift: j, j, stats: () => {}, report: (message: string) => void reports.push(message) };
  const file: FileInfo = { path, source };
  const output = transforms[name](file, api, { policy }) as string | null | undefined;
  return { output, reports };
}

function cases(name: string): string[] {
  return readdirSync(join(FIXTURES, name))
    .filter((file) => file.endsWith('.input.ts'))
    .map((file) => file.slice(0, -'.input.ts'.length))
    .sort();
}

const names = Object.keys(transforms) as TransformName[];

describe.each(names)('%s', (name) => {
  const found = cases(name);

  it('has at least 6 fixture cases, some of them no-change', () => {
    expect(found.length).toBeGreaterThanOrEqual(6);
    expect(found.some((c) => !existsSync(join(FIXTURES, name, `${c}.output.ts`)))).toBe(true);
  });

  it.each(found)('%s', (c) => {
    const inputPath = join(FIXTURES, name, `${c}.input.ts`);
    const outputPath = join(FIXTURES, name, `${c}.output.ts`);
    const { output } = run(name, inputPath, readFileSync(inputPath, 'utf8'));
    if (existsSync(outputPath)) {
      expect(output).toBe(readFileSync(outputPath, 'utf8'));
    } else {
      expect(output).toBeNull();
    }
  });
});

describe('idempotence: every transform over every .output.ts changes nothing', () => {
  const outputs = names.flatMap((dir) =>
    readdirSync(join(FIXTURES, dir))
      .filter((file) => file.endsWith('.output.ts'))
      .map((file) => join(dir, file)),
  );
  it.each(names.flatMap((name) => outputs.map((file) => [name, file] as const)))('%s over %s', (name, file) => {
    const path = join(FIXTURES, file);
    expect(run(name, path, readFileSync(path, 'utf8')).output).toBeNull();
  });
});

describe('reports', () => {
  it('add-timeouts reports a non-literal fetch init, a spread init and non-literal client options', () => {
    const path = join(FIXTURES, 'add-timeouts', 'non-literal-init.input.ts');
    const { reports } = run('add-timeouts', path, readFileSync(path, 'utf8'));
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatch(/non-literal-init\.input\.ts:6:\d+: add-timeouts skipped: fetch init is not an object literal/);
    expect(reports[1]).toMatch(/spread/);
    const sdk = join(FIXTURES, 'add-timeouts', 'sdk-options-variable.input.ts');
    expect(run('add-timeouts', sdk, readFileSync(sdk, 'utf8')).reports).toEqual([expect.stringMatching(/client options are not an object literal/)]);
  });

  it('bound-promise-all reports each refused site with its reason', () => {
    const path = join(FIXTURES, 'bound-promise-all', 'refuses-unsafe.input.ts');
    const { reports } = run('bound-promise-all', path, readFileSync(path, 'utf8'));
    expect(reports.map((r) => r.replace(/^.*skipped: /, ''))).toEqual([
      'callback is not an inline function; it may take a third parameter',
      'callback takes more than two parameters; mapBounded passes (item, index, signal)',
      'the mapped collection is not an identifier or member expression',
      '`map` has a thisArg or no callback',
      'argument is not `xs.map(fn)`',
    ]);
  });
});

describe('policy numbers', () => {
  it('uses the policy http/model timeouts and concurrency', () => {
    const custom = {
      ...policy,
      defaults: { ...policy.defaults, concurrency: 3, timeouts: { ...policy.defaults.timeouts, http: 5000, model: 120_000 } },
    };
    const j = jscodeshift.withParser('ts');
    const api: API = { jscodeshift: j, j, stats: () => {}, report: () => {} };
    const source = "import OpenAI from 'openai';\nconst c = new OpenAI();\nawait fetch(u);\nawait Promise.all(xs.map((x) => f(x)));\n";
    const timed = transforms['add-timeouts']({ path: 'a.ts', source }, api, { policy: custom });
    expect(timed).toContain('AbortSignal.timeout(5000)');
    expect(timed).toContain('timeout: 120_000');
    const bounded = transforms['bound-promise-all']({ path: 'a.ts', source }, api, { policy: custom });
    expect(bounded).toContain('{ concurrency: 3 }');
  });
});

describe('unparsable input', () => {
  const broken = "import { x } from './x.js';\nexport async function f( {\n  await Promise.all(xs.map((x) => fetch(x)));\n";
  it.each(names)('%s throws or returns null and never returns edited text', (name) => {
    let output: string | null | undefined;
    try {
      output = run(name, 'broken.ts', broken).output;
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      return;
    }
    expect(output).toBeNull();
  });
});

describe("jscodeshift's own applyTransform (module with default + parser)", () => {
  it.each([
    ['add-timeouts', addTimeouts, 'fetch-merge-init'],
    ['add-timeouts', addTimeouts, 'non-literal-init'],
    ['bound-promise-all', boundPromiseAll, 'nested-fan-out'],
    ['bound-promise-all', boundPromiseAll, 'refuses-unsafe'],
  ] as const)('%s: %s', (name, module, c) => {
    const path = join(FIXTURES, name, `${c}.input.ts`);
    const outputPath = join(FIXTURES, name, `${c}.output.ts`);
    const output = applyTransform(module, { policy }, { path, source: readFileSync(path, 'utf8') });
    // applyTransform trims, and gives '' for a null result.
    expect(output).toBe(existsSync(outputPath) ? readFileSync(outputPath, 'utf8').trim() : '');
  });
});

describe('fixtures/agent-service: output parses and a second run changes nothing', () => {
  const SERVICE = fileURLToPath(new URL('../../fixtures/agent-service/src/', import.meta.url));
  const files = readdirSync(SERVICE, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .sort();
  it.each(names.flatMap((name) => files.map((file) => [name, file] as const)))('%s over %s', (name, file) => {
    const path = join(SERVICE, file);
    const first = run(name, path, readFileSync(path, 'utf8')).output;
    if (first == null) return;
    expect(() => jscodeshift.withParser('ts')(first)).not.toThrow();
    expect(run(name, path, first).output).toBeNull();
  });
});
