import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import jscodeshift, { type API, type ASTPath, type FileInfo } from 'jscodeshift';
import { applyTransform } from 'jscodeshift/src/testUtils.js';
import * as addTimeouts from '../../codemods/transforms/add-timeouts.js';
import * as boundPromiseAll from '../../codemods/transforms/bound-promise-all.js';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../cli/diff.js';
import { transforms, type TransformName } from '../../codemods/index.js';
// As `bounded migrate` runs them: bound-promise-all rewrites only what the rule reports.
import { reportedFanOuts } from '../../cli/migrate-rule-findings.js';
import plugin from '../../eslint-plugin/index.js';
import { defaultPolicy } from '../../policy/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/codemods/', import.meta.url));
const policy = defaultPolicy();

interface Run {
  readonly output: string | null | undefined;
  /** The sites skipped, with why. */
  readonly reports: string[];
  /** What a change reaches beyond its lines (add-timeouts: the calls a shared client's deadline covers). */
  readonly reach: string[];
}

/** Transform options for a fixture case: `<case>.options.json` beside its input, when there is one. */
function optionsFor(path: string): Record<string, unknown> {
  const sidecar = path.replace(/\.(input|output)\.ts$/, '.options.json');
  return sidecar !== path && existsSync(sidecar) ? (JSON.parse(readFileSync(sidecar, 'utf8')) as Record<string, unknown>) : {};
}

function run(name: TransformName, path: string, source: string, extra: Record<string, unknown> = {}): Run {
  const j = jscodeshift.withParser('ts');
  const reports: string[] = [];
  const api: API = { jscodeshift: j, j, stats: () => {}, report: (message: string) => void reports.push(message) };
  const file: FileInfo = { path, source };
  const output = transforms[name](file, api, { reportedFanOuts, ...extra, policy }) as string | null | undefined;
  return {
    output,
    reports: reports.filter((message) => !/ reach: /.test(message)),
    reach: reports.filter((message) => / reach: /.test(message)),
  };
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

  it('has at least 12 fixture cases, some of them no-change', () => {
    expect(found.length).toBeGreaterThanOrEqual(12);
    expect(found.some((c) => !existsSync(join(FIXTURES, name, `${c}.output.ts`)))).toBe(true);
  });

  it.each(found)('%s', (c) => {
    const inputPath = join(FIXTURES, name, `${c}.input.ts`);
    const outputPath = join(FIXTURES, name, `${c}.output.ts`);
    const { output } = run(name, inputPath, readFileSync(inputPath, 'utf8'), optionsFor(inputPath));
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
    expect(run(name, path, readFileSync(path, 'utf8'), file.startsWith(`${name}/`) ? optionsFor(path) : {}).output).toBeNull();
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
    expect(run('add-timeouts', sdk, readFileSync(sdk, 'utf8')).reports).toEqual([
      expect.stringMatching(/client options are not an object literal/),
    ]);
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

function reasons(name: TransformName, c: string): string[] {
  const path = join(FIXTURES, name, `${c}.input.ts`);
  return run(name, path, readFileSync(path, 'utf8'), optionsFor(path)).reports.map((r) =>
    r.replace(/^.*?:(\d+):\d+: [a-z-]+ skipped: /, '$1: '),
  );
}

describe('reports for arrays built before the combinator', () => {
  it('bound-promise-all says why each held map stays as it is', () => {
    expect(reasons('bound-promise-all', 'held-map-refusals')).toEqual([
      '9: `ps` is used elsewhere; its tasks may be awaited or observed there',
      '14: statements between `ps` and the fan-out could observe its tasks having started; moving their start is not provably safe',
      '19: statements between `ps` and the fan-out could observe its tasks having started; moving their start is not provably safe',
      '24: `Promise.all(ps)` is not the first thing its statement evaluates; something before it could observe the tasks',
      '30: the map reads a name declared after it; moving it would change what it sees',
      '34: the declaration of `ps` cannot be removed cleanly: a comment after it would be lost',
      '41: `ps` is not declared in the same block as the fan-out',
    ]);
  });

  it('bound-promise-all says why each push loop stays as it is', () => {
    expect(reasons('bound-promise-all', 'push-loop-refusals')).toEqual([
      '11: the loop body does more than `ps.push(…)`',
      '16: the pushed expression awaits inside the loop; the loop already waits between tasks',
      '21: `for await` takes items as they arrive; mapBounded would read the source differently',
      '26: the loop collects promises that already exist; it starts no work to bound',
      '31: `ps` is not filled by a `for (const x of xs)` loop right after its declaration',
      '39: a comment in the loop would be lost',
      '44: the loop iterates something other than an identifier or member expression',
    ]);
  });

  it('bound-promise-all leaves a fan-out the rule accepts as bounded, and says so', () => {
    const accepted = 'bounded/no-unbounded-concurrency accepts this fan-out as bounded';
    expect(reasons('bound-promise-all', 'rule-accepts-bounded')).toEqual([
      `10: ${accepted}`,
      `16: ${accepted}`,
      `22: ${accepted}`,
      `28: ${accepted}`,
    ]);
  });

  it('bound-promise-all leaves a fan-out whose tasks already run through a limiter, and says so', () => {
    expect(reasons('bound-promise-all', 'namespace-import')).toEqual([
      '7: every task already runs through a limiter; the fan-out is bounded',
    ]);
    const source =
      "import pLimit from 'p-limit';\nconst limit = pLimit(4);\nexport const all = (ids: string[]) => Promise.all(ids.map((id) => limit(() => load(id))));\n";
    expect(run('bound-promise-all', 'l.ts', source).output).toBeNull();
  });

  it("bound-promise-all reads scopes inside `catch {}` (no binding), where ast-types' own lookup throws", () => {
    const source =
      'export async function f(ids: string[]) {\n  try {\n    await g();\n  } catch {\n    const ps = ids.map((id) => h(id));\n    await Promise.all(ps);\n  }\n}\n';
    expect(run('bound-promise-all', 'c.ts', source).output).toBe(
      "import { mapBounded } from '@bounded/runtime';\n\nexport async function f(ids: string[]) {\n  try {\n    await g();\n  } catch {\n    await mapBounded(ids, (id) => h(id), { concurrency: 10 });\n  }\n}\n",
    );
  });

  it('bound-promise-all rewrites Array.from(xs, fn) like xs.map(fn), and refuses its thisArg and a built-in-place source', () => {
    expect(reasons('bound-promise-all', 'array-from')).toEqual([
      '18: `Array.from` has a thisArg or no callback',
      '19: the mapped collection is not an identifier or member expression',
    ]);
    const shadowed =
      'const Array = { from: (xs: number[], f: (x: number) => Promise<void>) => xs.map(f) };\nexport const f = (xs: number[]) => Promise.all(Array.from(xs, (x) => g(x)));\n';
    expect(run('bound-promise-all', 's.ts', shadowed).output).toBeNull();
  });

  it('the transforms that succeed report nothing', () => {
    for (const c of ['held-map', 'push-loop', 'nested-held', 'held-aliased-import']) expect(reasons('bound-promise-all', c), c).toEqual([]);
    for (const c of ['axios-calls', 'axios-instance', 'got-calls', 'undici-calls', 'node-http', 'node-fetch-layout'])
      expect(reasons('add-timeouts', c), c).toEqual([]);
  });
});

describe('add-timeouts and long operations', () => {
  it('reports uploads, downloads, streams and marked calls for review, and a shared client that makes one', () => {
    expect(reasons('add-timeouts', 'long-operations')).toEqual([
      expect.stringMatching(
        /^9: `openai` \(new OpenAI\) also makes long operations: openai.files.create at 19:10 \(an upload \(openai.files.create\)\)/,
      ),
      expect.stringMatching(
        /^6: `api` \(axios.create\) also makes long operations: api.post at 18:9 \(an upload \(a FormData body\)\); a 60_000 ms deadline on the client would cut them off/,
      ),
      expect.stringMatching(/^23: marked long \(a `bounded: long` comment\): a request-sized deadline would cut it off mid-transfer/),
      expect.stringMatching(/^30: an upload \(a FormData body\): /),
    ]);
  });

  it('lists every call a deadline on a shared instance reaches, and says when the instance is exported', () => {
    const path = join(FIXTURES, 'add-timeouts', 'shared-instance-reach.input.ts');
    const { reach } = run('add-timeouts', path, readFileSync(path, 'utf8'));
    expect(reach.map((message) => message.replace(/^.*?:(\d+):\d+: add-timeouts reach: /, '$1: '))).toEqual([
      '3: the 60_000 ms deadline on `billing` (axios.create) reaches 2 calls in this file: billing.get at 6:10, billing.post at 10:10; it is exported, so calls in the modules that import it get it too',
    ]);
  });
});

describe('add-timeouts reports for the libraries beyond fetch', () => {
  it('reports an axios config it cannot see into and one that turns the deadline off', () => {
    expect(reasons('add-timeouts', 'axios-refusals')).toEqual([
      '7: `timeout` is set to a value that turns the deadline off; set a finite one by hand',
      '10: axios config is not an object literal; add `timeout` by hand',
      '11: options object has a spread or computed key; cannot tell whether it sets `timeout`',
    ]);
  });

  it('reports an SDK call whose request options have no known place', () => {
    expect(reasons('add-timeouts', 'sdk-per-call')).toEqual([
      '9: cannot tell where `models.list()` takes its request options; add `timeout` by hand',
    ]);
  });

  it('leaves calls under a deadline, behind axios.defaults.timeout, and with a timed signal alone, silently', () => {
    for (const c of ['under-deadline', 'axios-defaults', 'timed-signal']) expect(reasons('add-timeouts', c), c).toEqual([]);
  });

  it('takes `receivedClients` from the command line as a string too, and is off without it', () => {
    const path = join(FIXTURES, 'add-timeouts', 'sdk-per-call.input.ts');
    const source = readFileSync(path, 'utf8');
    expect(run('add-timeouts', path, source).output).toBeNull();
    expect(run('add-timeouts', path, source, { receivedClients: 'true' }).output).toBe(
      readFileSync(path.replace('.input.ts', '.output.ts'), 'utf8'),
    );
  });

  it('reports a node:http call whose first argument is neither a URL nor an options literal', () => {
    const source = "import http from 'node:http';\nexport const req = http.request(target, (res) => res.resume());\n";
    const result = run('add-timeouts', 'h.ts', source);
    expect(result.output).toBeNull();
    expect(result.reports).toEqual([
      expect.stringMatching(/h\.ts:2:20: add-timeouts skipped: cannot tell whether the first argument is a URL/),
    ]);
  });
});

/**
 * Hunk locality: a transform edits only the statements that hold a finding of the ESLint rule
 * it fixes. A finding's region is
 *   - the innermost statement around the reported node,
 *   - the statements the finding's own suggestions edit (`axios.create({ … })` for a call on
 *     the instance, `const ps = xs.map(fn)` for `Promise.all(ps)`),
 *   - for a fan-out over a named array (`Promise.all(ps)`), the sibling statements from the
 *     array's declaration down to the fan-out (bound-promise-all moves the array into the call),
 *   - for add-timeouts, a statement that makes an SDK client or an axios / got instance: the
 *     rule reports the calls made on a client, not the client, and a module that only builds
 *     and exports one has no call in it; with `receivedClients`, a call on a parameter or
 *     property typed as an SDK client (reported by the rule only with type information),
 *   - for pool-connections, the function that holds the connection (its `connect()` / `end()`
 *     lines go, its queries move onto the pool: docs/codemods/pool-connections.md, "Layout"),
 *   - for throttle-provider-calls, a statement (or class field) that constructs an OpenAI or
 *     Anthropic client: the rule reports calls, the transform wraps the client they go through,
 *   - for release-clients, from the checkout the rule reports to the end of its block (the
 *     held statements move into a `try`, the `finally` goes after the last of them).
 * A hunk that only adds or changes `import` lines (and a blank line after a new one) above the
 * first other statement is allowed on its own: that is where a missing import goes. So is, by
 * design, one module-level declaration:
 *   - pool-connections' accessor, `const db = () => getPool('main', …);` and blank lines,
 *     inserted between a flagged function's top-level statement and the statement before it,
 *   - throttle-provider-calls' limiters, `const openaiLimiter = limiterFor('openai');` (one a
 *     line, with blank lines and imports), inserted right below the last import.
 * Rules run with the options that make them see what the transform fixes (`strict` makes
 * require-timeout report a signal that has no deadline of its own, which add-timeouts combines),
 * and with type information for the cases whose client the rule sees only through its type.
 */
const RULE_OF: Record<
  TransformName,
  { readonly rule: string; readonly options: readonly unknown[]; readonly typed?: ReadonlySet<string> }
> = {
  'add-timeouts': { rule: 'require-timeout', options: [{ strict: true }] },
  'bound-promise-all': { rule: 'no-unbounded-concurrency', options: [] },
  'pool-connections': { rule: 'no-per-call-connection', options: [] },
  // The client is a parameter in these: only the typed rule sees it.
  'throttle-provider-calls': {
    rule: 'no-unthrottled-provider-call',
    options: [],
    typed: new Set(['client-from-elsewhere', 'existing-limiter']),
  },
  'release-clients': { rule: 'require-release', options: [] },
  'modernize-timeouts': { rule: 'no-handmade-timeout', options: [] },
  'track-background-work': { rule: 'no-unmanaged-background-work', options: [] },
};

interface Lines {
  readonly first: number;
  readonly last: number;
}

interface Hunk {
  /** Old-file lines replaced, or for a pure insertion the old line it follows (`last` = `first` - 1). */
  readonly old: Lines;
  readonly lines: string[];
}

function hunksOf(before: string, after: string): Hunk[] {
  const hunks: Hunk[] = [];
  for (const line of unifiedDiff('f.ts', before, after, 0).split('\n')) {
    const header = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (header !== null) {
      const start = Number(header[1]);
      const count = Number(header[2]);
      hunks.push({ old: count === 0 ? { first: start + 1, last: start } : { first: start, last: start + count - 1 }, lines: [] });
    } else if (hunks.length > 0 && (line.startsWith('+') || line.startsWith('-')) && !line.startsWith('+++') && !line.startsWith('---')) {
      hunks.at(-1)!.lines.push(line.slice(1));
    }
  }
  return hunks;
}

function findingsOf(name: TransformName, path: string, source: string): Linter.LintMessage[] {
  const { rule, options, typed } = RULE_OF[name];
  const entry = { [`bounded/${rule}`]: ['error', ...options] as Linter.RuleEntry };
  const c = path.slice(path.lastIndexOf('/') + 1).replace(/\.input\.ts$/, '');
  // Type information from the typed RuleTester's project, as throttle-provider-calls' own test does.
  const fixtureDir = fileURLToPath(new URL('../eslint-plugin/fixture/', import.meta.url));
  const linter = new Linter({
    configType: 'flat',
    cwd: typed?.has(c) === true ? fixtureDir : fileURLToPath(new URL('../../', import.meta.url)),
  });
  const parserOptions =
    typed?.has(c) === true
      ? { projectService: { allowDefaultProject: ['*.ts*'] }, tsconfigRootDir: fixtureDir }
      : { ecmaVersion: 'latest' as const, sourceType: 'module' as const };
  const messages = linter.verify(
    source,
    [{ files: ['**/*.ts'], languageOptions: { parser: tsParser, parserOptions }, plugins: { bounded: plugin }, rules: entry }],
    typed?.has(c) === true ? join(fixtureDir, 'file.ts') : path,
  );
  expect(messages.filter((message) => message.fatal === true || message.ruleId === null)).toEqual([]);
  return messages;
}

type Located = { start: number; end: number };

/**
 * Where a transform may insert its module-level declaration: a pure insertion after one of the
 * old lines in `after`, whose lines other than blank ones and imports `accept` takes.
 */
interface DeclarationSlot {
  readonly after: Lines;
  readonly accepts: (code: readonly string[]) => boolean;
}

const IMPORT = /^import\b.*\bfrom '[^']+';$/;
const SDK_MODULES = ['openai', '@anthropic-ai/sdk'];
/** pool-connections' accessors, one per database: each a declaration (its config object may span lines). */
const ACCESSOR = (code: readonly string[]): boolean =>
  code.length > 0 &&
  code[0]!.startsWith('const ') &&
  code
    .join('\n')
    .split(/\n(?=const )/)
    .every((declaration) => /^const \w+ = \(\) => getPool\('[^']+'(?:, [^;]*)?\);$/.test(declaration));
/** throttle-provider-calls' limiters: one a line. */
const LIMITER = (code: readonly string[]): boolean =>
  code.length > 0 && code.every((line) => /^const \w+(?:Limiter|RateLimiter) = \w+\('(?:openai|anthropic)'.*\);$/.test(line));

function allowedRegions(
  name: TransformName,
  path: string,
  source: string,
): { regions: Lines[]; findings: number; importsEnd: number; declarations: DeclarationSlot[] } {
  const messages = findingsOf(name, path, source);
  const j = jscodeshift.withParser('ts');
  const root = j(source);
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const offset = (line: number, column: number): number => lineStarts[line - 1]! + column - 1;
  const statements = root.find(j.Statement).paths() as ASTPath[];
  const nodeOf = (p: ASTPath): Located => p.node as unknown as Located;
  const innermost = (start: number, end: number): ASTPath | undefined =>
    statements
      .filter((p) => nodeOf(p).start <= start && end <= nodeOf(p).end)
      .sort((a, b) => nodeOf(a).end - nodeOf(a).start - (nodeOf(b).end - nodeOf(b).start))[0];
  const regions: Lines[] = [];
  // Lines from offsets: recast leaves `loc` null on some nodes (an exported declaration).
  const lineOf = (at: number): number => lineStarts.findLastIndex((start) => start <= at) + 1;
  const linesOf = (from: Located, to: Located = from): Lines => ({ first: lineOf(from.start), last: lineOf(to.end - 1) });
  const add = (p: ASTPath | undefined): void => {
    if (p !== undefined) regions.push(linesOf(nodeOf(p)));
  };
  for (const message of messages) {
    const start = offset(message.line, message.column);
    const end = message.endLine === undefined ? start : offset(message.endLine, message.endColumn!);
    const statement = innermost(start, end);
    add(statement);
    for (const suggestion of message.suggestions ?? []) add(innermost(suggestion.fix.range[0], suggestion.fix.range[1]));
    // Promise.all(ps): back to the sibling that declares `ps`.
    const call = root
      .find(j.CallExpression)
      .filter((p) => nodeOf(p).start === start && nodeOf(p).end === end)
      .paths()[0];
    const argument = call?.node.arguments[0];
    const body = ((statement?.parent as ASTPath | null | undefined)?.node as { body?: unknown } | undefined)?.body;
    if (name === 'bound-promise-all' && argument?.type === 'Identifier' && Array.isArray(body)) {
      const siblings = body as unknown[];
      const at = siblings.indexOf(statement!.node);
      for (let index = at - 1; index >= 0; index--) {
        const sibling = siblings[index] as { type: string; declarations?: { id: { type: string; name?: string } }[] } & Located;
        if (sibling.type === 'VariableDeclaration' && sibling.declarations!.some((d) => d.id.name === argument.name)) {
          regions.push(linesOf(sibling, nodeOf(statement!)));
          break;
        }
      }
    }
  }
  if (name === 'add-timeouts') {
    const clientModules = new Map<string, string>();
    root.find(j.ImportDeclaration).forEach((p) => {
      for (const spec of p.node.specifiers ?? [])
        if (typeof spec.local?.name === 'string') clientModules.set(spec.local.name, String(p.node.source.value));
    });
    root.find(j.NewExpression).forEach((p) => {
      const callee = p.node.callee;
      if (callee.type === 'Identifier' && ['openai', '@anthropic-ai/sdk'].includes(clientModules.get(callee.name) ?? ''))
        add(innermost(nodeOf(p).start, nodeOf(p).end));
    });
    root
      .find(j.CallExpression, { callee: { type: 'MemberExpression', object: { type: 'Identifier' }, property: { type: 'Identifier' } } })
      .forEach((p) => {
        const callee = p.node.callee as unknown as { object: { name: string }; property: { name: string } };
        const module = clientModules.get(callee.object.name);
        if ((module === 'axios' && callee.property.name === 'create') || (module === 'got' && callee.property.name === 'extend'))
          add(innermost(nodeOf(p).start, nodeOf(p).end));
      });
    // With `receivedClients`: calls on a parameter or property typed as an SDK client, which
    // the rule reports only with type information.
    if (optionsFor(path).receivedClients === true) {
      const typed = new Set<string>();
      root.find(j.TSTypeReference, { typeName: { type: 'Identifier' } }).forEach((p) => {
        const type = (p.node.typeName as { name: string }).name;
        if (!['openai', '@anthropic-ai/sdk'].includes(clientModules.get(type) ?? '')) return;
        const holder = ((p.parent as ASTPath | null)?.parent as ASTPath | null)?.node as
          | { type: string; name?: string; key?: { name?: string } }
          | undefined;
        const name = holder?.type === 'Identifier' ? holder.name : holder?.key?.name;
        if (name !== undefined) typed.add(name);
      });
      root.find(j.CallExpression).forEach((p) => {
        let receiver = p.node.callee as { type: string; object?: unknown; name?: string; property?: { name?: string } };
        while (receiver.type === 'MemberExpression' && (receiver.object as { type: string }).type !== 'ThisExpression')
          receiver = receiver.object as typeof receiver;
        const name =
          receiver.type === 'Identifier' ? receiver.name : receiver.type === 'MemberExpression' ? receiver.property?.name : undefined;
        if (name !== undefined && typed.has(name) && p.node.callee.type === 'MemberExpression')
          add(innermost(nodeOf(p).start, nodeOf(p).end));
      });
    }
  }
  const program = (root.get() as { node: { program: { body: (Located & { type: string })[] } } }).node.program.body;
  const declarations: DeclarationSlot[] = [];
  const reported = messages.map((message) => {
    const start = offset(message.line, message.column);
    return { start, end: message.endLine === undefined ? start : offset(message.endLine, message.endColumn!) };
  });
  if (name === 'pool-connections') {
    // The function that holds the connection; the accessor goes between the statement before its
    // top-level statement and that statement (comments and a blank line may sit between).
    const functions = root.find(j.Function).nodes() as unknown as Located[];
    for (const { start, end } of reported) {
      const fn = functions.filter((f) => f.start <= start && end <= f.end).sort((a, b) => a.end - a.start - (b.end - b.start))[0];
      if (fn === undefined) continue;
      regions.push(linesOf(fn));
      const top = program.findIndex((statement) => statement.start <= fn.start && fn.end <= statement.end);
      const previous = program[top - 1];
      declarations.push({
        after: { first: previous === undefined ? 0 : lineOf(previous.end - 1), last: lineOf(program[top]!.start) - 1 },
        accepts: ACCESSOR,
      });
    }
  }
  if (name === 'throttle-provider-calls') {
    // A statement or class field that constructs an SDK client (the transform wraps it once).
    const sdk = new Set<string>();
    root.find(j.ImportDeclaration).forEach((p) => {
      if (!SDK_MODULES.includes(String(p.node.source.value))) return;
      for (const spec of p.node.specifiers ?? []) if (typeof spec.local?.name === 'string') sdk.add(spec.local.name);
    });
    const holders = [...statements.map(nodeOf), ...(root.find(j.ClassProperty).nodes() as unknown as Located[])];
    root.find(j.NewExpression).forEach((p) => {
      let callee = p.node.callee as { type: string; name?: string; object?: unknown };
      while (callee.type === 'MemberExpression') callee = callee.object as typeof callee;
      if (callee.type !== 'Identifier' || !sdk.has(callee.name!)) return;
      const { start, end } = nodeOf(p);
      const holder = holders.filter((h) => h.start <= start && end <= h.end).sort((a, b) => a.end - a.start - (b.end - b.start))[0];
      if (holder !== undefined) regions.push(linesOf(holder));
    });
    // The limiters go right below the last import (a diff may place them after the blank lines that follow it).
    const lastImport = program.filter((statement) => statement.type === 'ImportDeclaration').at(-1);
    const after = lastImport === undefined ? 0 : lineOf(lastImport.end - 1);
    let blanks = 0;
    while (
      after + blanks < lineStarts.length &&
      source.slice(lineStarts[after + blanks], lineStarts[after + blanks + 1] ?? source.length).trim() === ''
    )
      blanks++;
    if (reported.length > 0) declarations.push({ after: { first: after, last: after + blanks }, accepts: LIMITER });
  }
  if (name === 'release-clients') {
    // From the reported checkout to the end of the block that holds it.
    for (const { start, end } of reported) {
      const statement = innermost(start, end);
      const block = (statement?.parent as ASTPath | null | undefined)?.node as (Located & { type: string }) | undefined;
      if (statement === undefined || block === undefined) continue;
      const last = block.type === 'Program' ? lineStarts.length : lineOf(block.end - 1);
      regions.push({ first: lineOf(nodeOf(statement).start), last });
    }
  }
  const firstOther = program.find((statement) => statement.type !== 'ImportDeclaration');
  return {
    regions,
    findings: messages.length,
    importsEnd: firstOther === undefined ? Number.POSITIVE_INFINITY : lineOf(firstOther.start),
    declarations,
  };
}

/** The hunks of `source` → `output` that lie outside every allowed region, as readable text. */
function strayHunks(name: TransformName, path: string, source: string, output: string): string[] {
  const { regions, importsEnd, declarations } = allowedRegions(name, path, source);
  const covered = (line: number): boolean => regions.some((region) => region.first <= line && line <= region.last);
  return hunksOf(source, output)
    .filter((hunk) => {
      const added = hunk.old.last < hunk.old.first;
      const importsOnly = hunk.lines.every((line) => line === '' || IMPORT.test(line)) && hunk.old.last < importsEnd;
      // Every replaced line in some region (adjacent statements may each hold a finding); an
      // insertion between two lines of one region.
      const inside = added
        ? regions.some((region) => region.first <= hunk.old.last && hunk.old.first <= region.last)
        : Array.from({ length: hunk.old.last - hunk.old.first + 1 }, (_, i) => hunk.old.first + i).every(covered);
      const code = hunk.lines.filter((line) => line !== '' && !IMPORT.test(line));
      const declaration =
        added && declarations.some((slot) => slot.after.first <= hunk.old.last && hunk.old.last <= slot.after.last && slot.accepts(code));
      return !importsOnly && !inside && !declaration;
    })
    .map((hunk) => `old lines ${hunk.old.first}-${hunk.old.last}:\n${hunk.lines.join('\n')}`);
}

describe.each(names)('%s: every hunk lies within a statement that holds a finding', (name) => {
  const found = cases(name);
  const changed = found.filter((c) => existsSync(join(FIXTURES, name, `${c}.output.ts`)));
  const unchanged = found.filter((c) => !changed.includes(c));

  it.each(changed)('%s', (c) => {
    const path = join(FIXTURES, name, `${c}.input.ts`);
    const source = readFileSync(path, 'utf8');
    const output = run(name, path, source, optionsFor(path)).output;
    expect(typeof output).toBe('string');
    expect(
      allowedRegions(name, path, source).regions.length,
      'the rule finds something in a fixture the transform changes',
    ).toBeGreaterThan(0);
    expect(hunksOf(source, output!).length).toBeGreaterThan(0);
    expect(strayHunks(name, path, source, output!)).toEqual([]);
  });

  it.each(unchanged)('%s stays byte-identical (the transform returns null)', (c) => {
    const path = join(FIXTURES, name, `${c}.input.ts`);
    expect(run(name, path, readFileSync(path, 'utf8'), optionsFor(path)).output).toBeNull();
  });
});

describe('the hunk-locality check itself', () => {
  const path = join(FIXTURES, 'add-timeouts', 'fetch-merge-init.input.ts');
  const source = readFileSync(path, 'utf8');
  const output = run('add-timeouts', path, source).output!;

  it('rejects a change to a line outside every finding', () => {
    const stray = output.replace('if (!response.ok)', 'if (!response.ok && response.status !== 304)');
    expect(strayHunks('add-timeouts', path, source, stray)).toEqual([expect.stringContaining('response.status !== 304')]);
  });

  it('rejects an import added below the first other statement, and accepts one at the top', () => {
    const top = `import { x } from './x.js';\n${output}`;
    expect(strayHunks('add-timeouts', path, source, top)).toEqual([]);
    const low = output.replace(/\n}\n$/, "\n}\nimport { x } from './x.js';\n");
    expect(strayHunks('add-timeouts', path, source, low)).toHaveLength(1);
  });

  const fixture = (name: TransformName, c: string): { path: string; source: string; output: string } => {
    const at = join(FIXTURES, name, `${c}.input.ts`);
    const text = readFileSync(at, 'utf8');
    return { path: at, source: text, output: run(name, at, text).output! };
  };

  it('pool-connections: accepts the accessor above the flagged function, rejects an edit outside it and another declaration', () => {
    const { path: at, source: text, output: out } = fixture('pool-connections', 'single-query');
    expect(strayHunks('pool-connections', at, text, out)).toEqual([]);
    expect(strayHunks('pool-connections', at, text, out.replace('  email: string;', '  email: string | null;'))).toHaveLength(1);
    const extra = out.replace('const db = () =>', 'const cache = new Map();\nconst db = () =>');
    expect(strayHunks('pool-connections', at, text, extra)).toHaveLength(1);
    const below = out.replace(/\n$/, "\nconst other = () => getPool('main');\n");
    expect(strayHunks('pool-connections', at, text, below)).toHaveLength(1);
  });

  it('throttle-provider-calls: accepts the wrapped construction, rejects a limiter below the code and an edit in a statement with no finding', () => {
    const { path: at, source: text, output: out } = fixture('throttle-provider-calls', 'module-client');
    expect(strayHunks('throttle-provider-calls', at, text, out)).toEqual([]);
    const low = out.replace(/\n$/, "\nconst anthropicLimiter = providerLimiter('anthropic');\n");
    expect(strayHunks('throttle-provider-calls', at, text, low)).toHaveLength(1);
    expect(strayHunks('throttle-provider-calls', at, text, out.replace('  return out;', '  return out.slice();'))).toHaveLength(1);
  });

  it('release-clients: accepts edits from the checkout down, rejects one above it', () => {
    const { path: at, source: text, output: out } = fixture('release-clients', 'early-return');
    expect(strayHunks('release-clients', at, text, out)).toEqual([]);
    expect(
      strayHunks('release-clients', at, text, out.replace('const pool = new pg.Pool();', 'const pool = new pg.Pool({ max: 5 });')),
    ).toHaveLength(1);
    expect(
      strayHunks(
        'release-clients',
        at,
        text,
        out.replace('// An early return skips the release.', '// An early return skipped the release.'),
      ),
    ).toHaveLength(1);
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
