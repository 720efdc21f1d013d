/**
 * throttle-provider-calls beyond the shared fixture run (test/codemods/transforms.test.ts):
 * what it reports and why, that its hunks stay inside what the rule flagged, that the rule is
 * quiet on its output, that the output type-checks against the runtime and the real SDK
 * types, parser choice by extension, and the policy's numbers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import jscodeshift, { type API } from 'jscodeshift';
import { applyTransform } from 'jscodeshift/src/testUtils.js';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../cli/diff.js';
import * as throttleModule from '../../codemods/transforms/throttle-provider-calls.js';
import plugin from '../../eslint-plugin/index.js';
import { defaultPolicy, parsePolicy, type Policy } from '../../policy/index.js';
import { runTsc } from '../helpers/tsc.js';

const transform = throttleModule.default;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'fixtures', 'codemods', 'throttle-provider-calls');
const policy = defaultPolicy();

interface Options {
  readonly policy?: Policy;
  readonly strict?: boolean;
}

function run(path: string, source: string, options: Options = {}): { output: string | null; reports: string[] } {
  // The harness's parser is `ts` whatever the file: the transform picks its own by extension.
  const j = jscodeshift.withParser('ts');
  const reports: string[] = [];
  const api: API = { jscodeshift: j, j, stats: () => {}, report: (message: string) => void reports.push(message) };
  const output = transform({ path, source }, api, { policy: options.policy ?? policy, strict: options.strict });
  return { output: output ?? null, reports };
}

function fixture(name: string): { path: string; source: string; expected: string | undefined } {
  const path = join(DIR, `${name}.input.ts`);
  const out = join(DIR, `${name}.output.ts`);
  return { path, source: readFileSync(path, 'utf8'), expected: existsSync(out) ? readFileSync(out, 'utf8') : undefined };
}

/** "12:35 reason" for each report, without the file. */
const located = (reports: string[]): string[] =>
  reports.map((report) => {
    const match = /:(\d+:\d+): throttle-provider-calls skipped: (.*)$/.exec(report);
    expect(match, report).not.toBeNull();
    return `${match![1]} ${match![2]}`;
  });

const cases = readdirSync(DIR)
  .filter((file) => file.endsWith('.input.ts'))
  .map((file) => file.slice(0, -'.input.ts'.length))
  .sort();
const changed = cases.filter((name) => fixture(name).expected !== undefined);

function findings(path: string, source: string): Linter.LintMessage[] {
  const linter = new Linter({ configType: 'flat', cwd: ROOT });
  const messages = linter.verify(
    source,
    [
      {
        files: ['**/*.ts', '**/*.tsx', '**/*.js'],
        languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module', ecmaFeatures: { jsx: true } } },
        plugins: { bounded: plugin },
        // The transform wraps clients called once per request too, which the rule reports with reportHandlers.
        rules: { 'bounded/no-unthrottled-provider-call': ['error', { reportHandlers: true }] },
      },
    ],
    path,
  );
  expect(messages.filter((message) => message.fatal === true)).toEqual([]);
  return messages;
}

/** With type information (the typed RuleTester's project), which is how the rule finds clients passed in as parameters. */
function typedFindings(source: string): Linter.LintMessage[] {
  const fixtureDir = join(ROOT, 'test', 'eslint-plugin', 'fixture');
  const linter = new Linter({ configType: 'flat', cwd: fixtureDir });
  const messages = linter.verify(
    source,
    [
      {
        files: ['**/*.ts'],
        languageOptions: {
          parser: tsParser,
          parserOptions: { projectService: { allowDefaultProject: ['*.ts*'] }, tsconfigRootDir: fixtureDir },
        },
        plugins: { bounded: plugin },
        rules: { 'bounded/no-unthrottled-provider-call': 'error' },
      },
    ],
    join(fixtureDir, 'file.ts'),
  );
  expect(messages.filter((message) => message.fatal === true)).toEqual([]);
  return messages;
}

/** Call-site cases: the client is a parameter, which only the typed rule can see. */
const CALL_SITE = new Set(['client-from-elsewhere', 'existing-limiter']);

describe('fixture cases', () => {
  it('has at least 12 cases, changed and unchanged', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    expect(changed.length).toBeGreaterThanOrEqual(6);
    expect(cases.length - changed.length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases)('%s', (name) => {
    const { path, source, expected } = fixture(name);
    expect(run(path, source).output).toBe(expected ?? null);
  });

  it("works through jscodeshift's own applyTransform (module with default + parser)", () => {
    const { path, source, expected } = fixture('client-from-elsewhere');
    expect(throttleModule.parser).toBe('ts');
    expect(applyTransform(throttleModule, { policy }, { path, source })).toBe(expected!.trim());
  });
});

describe('reports', () => {
  it('says why each unsafe client is left alone, at the flagged call', () => {
    const { path, source } = fixture('refuses-unsafe');
    const { output, reports } = run(path, source);
    expect(output).toBeNull();
    expect(located(reports)).toEqual([
      '12:35 `openai.responses.create`: `openai` is reassigned at 8:3; wrapping one construction would not cover every client it holds',
      '16:25 `anthropic.messages.create`: `anthropic` is an exported `let`, which other code may replace; make it a `const` first',
      '20:35 `local.responses.create`: `local` is constructed inside `perCall`, so each run would get its own limiter; move the construction to module level',
      '21:35 `….responses.create`: the client is constructed at the call, so each call would get its own limiter; make one client at module level',
      "26:32 `client.responses.create`: its result is used through `.withResponse()`, which limiter.schedule's plain Promise does not have",
      '27:11 `client.responses.create`: its arguments `await` or `yield`; inside the scheduled function they would run later, or not compile',
    ]);
  });

  it('points an imported client at the module that constructs it, and trusts one throttled there', () => {
    const { path, source } = fixture('imported-client');
    const { output, reports } = run(path, source);
    expect(output).toBeNull();
    expect(located(reports)).toEqual([
      "5:25 `openai.embeddings.create`: `openai` is constructed in ./clients.ts at 6:23; wrap it there once with throttleClient(…, { limiter: 'openai' }) so every module that imports it shares one limiter",
    ]);
  });

  it('refuses the whole file when a runtime name it needs is taken', () => {
    const { path, source } = fixture('name-clash');
    expect(located(run(path, source).reports)).toEqual(['3:16 the file already uses the name `throttleClient` for something else']);
  });

  it('reports nothing for the rewrites it makes, the calls already throttled and what is no provider call', () => {
    for (const name of [...changed, 'already-throttled', 'not-a-provider']) {
      const { path, source } = fixture(name);
      expect(run(path, source).reports, name).toEqual([]);
    }
  });

  it('reports a clash of the limiter names it would declare', () => {
    const source = `import type OpenAI from 'openai';
const openaiLimiter = 1;
const openaiRateLimiter = 2;
export const tagAll = (client: OpenAI, texts: string[]) => texts.map((input) => client.responses.create({ model: 'gpt-4.1-nano', input }));
`;
    const { output, reports } = run('tags.ts', source);
    expect(output).toBeNull();
    expect(located(reports)).toEqual(['4:81 the names `openaiLimiter` and `openaiRateLimiter` are both taken; add the limiter by hand']);
  });
});

describe('the rule and the transform agree', () => {
  it.each(changed)(
    '%s: flagged before, quiet after',
    (name) => {
      const { path, source, expected } = fixture(name);
      const lint = CALL_SITE.has(name) ? (text: string) => typedFindings(text) : (text: string) => findings(path, text);
      expect(lint(source).length).toBeGreaterThan(0);
      expect(lint(expected!)).toEqual([]);
    },
    60_000,
  );

  it.each(['already-throttled', 'not-a-provider'])('%s: the rule flags nothing, and neither does the transform', (name) => {
    const { path, source } = fixture(name);
    expect(findings(path, source)).toEqual([]);
    expect(run(path, source)).toEqual({ output: null, reports: [] });
  });

  it.each(['refuses-unsafe', 'name-clash'])('%s: every call the rule flags is reported, none silently dropped', (name) => {
    const { path, source } = fixture(name);
    const flagged = findings(path, source).map((message) => `${message.line}:${message.column}`);
    expect(flagged.length).toBeGreaterThan(0);
    const reported = run(path, source).reports.map((report) => /:(\d+:\d+): throttle-provider-calls/.exec(report)![1]);
    // name-clash reports the construction it could not wrap, which stands for every call on it.
    if (name === 'name-clash') expect(reported).toEqual(['3:16']);
    else for (const at of flagged) expect(reported).toContain(at);
  });
});

describe('byte fidelity', () => {
  interface Hunk {
    readonly first: number;
    readonly last: number;
    readonly lines: string[];
  }
  function hunks(before: string, after: string): Hunk[] {
    const found: Hunk[] = [];
    for (const line of unifiedDiff('f.ts', before, after, 0).split('\n')) {
      const header = /^@@ -(\d+),(\d+) /.exec(line);
      if (header !== null) {
        const start = Number(header[1]);
        const count = Number(header[2]);
        found.push(count === 0 ? { first: start + 1, last: start, lines: [] } : { first: start, last: start + count - 1, lines: [] });
      } else if (found.length > 0 && /^[+-](?![+-]{2})/.test(line)) found.at(-1)!.lines.push(line.slice(1));
    }
    return found;
  }

  it.each(changed)(
    '%s: every hunk is an import, the limiter declaration, or lies in a statement that constructs or calls a flagged client',
    (name) => {
      const { path, source, expected } = fixture(name);
      const j = jscodeshift.withParser('ts');
      const root = j(source);
      const lines = (node: { loc?: { start: { line: number }; end: { line: number } } | null }) => ({
        first: node.loc!.start.line,
        last: node.loc!.end.line,
      });
      // The statements (or class fields) that hold a flagged call, and those that construct an SDK client.
      const flaggedLines = (CALL_SITE.has(name) ? typedFindings(source) : findings(path, source)).map((message) => message.line);
      const regions: { first: number; last: number }[] = [];
      root.find(j.Statement).forEach((statement) => {
        if (statement.node.loc == null) return;
        const span = lines(statement.node);
        if (statement.node.type === 'BlockStatement' || statement.node.type === 'ClassDeclaration') return;
        const holdsCall = flaggedLines.some((line) => span.first <= line && line <= span.last) && span.last - span.first <= 8;
        const constructs =
          j(statement as never)
            .find(j.NewExpression)
            .size() > 0 && span.last - span.first <= 8;
        if (holdsCall || constructs) regions.push(span);
      });
      root.find(j.ClassProperty).forEach((property) => void regions.push(lines(property.node)));
      let checked = 0;
      for (const hunk of hunks(source, expected!)) {
        checked++;
        const added = hunk.first > hunk.last;
        const importOrLimiter =
          added &&
          hunk.lines.every(
            (line) =>
              line === '' || /^import\b.*\bfrom '[^']+';$/.test(line) || /^const \w+Limiter = \w+\('(?:openai|anthropic)'.*\);$/.test(line),
          );
        const mergedImport = !added && hunk.lines.every((line) => /^import\b.*\bfrom '[^']+';$/.test(line));
        const covered = (line: number) => regions.some((region) => region.first <= line && line <= region.last);
        const inside = added
          ? covered(hunk.last) || covered(hunk.first)
          : Array.from({ length: hunk.last - hunk.first + 1 }, (_, i) => hunk.first + i).every(covered);
        expect(importOrLimiter || mergedImport || inside, `hunk at ${hunk.first}-${hunk.last}:\n${hunk.lines.join('\n')}`).toBe(true);
      }
      expect(checked).toBeGreaterThan(0);
    },
    60_000,
  );

  it('only inserts: the input is a subsequence of every output, so nothing of it was dropped or altered', () => {
    for (const name of changed) {
      const { source, expected } = fixture(name);
      let at = 0;
      for (const char of expected!) if (at < source.length && char === source[at]) at++;
      expect(at, name).toBe(source.length);
      expect(expected!.length, name).toBeGreaterThan(source.length);
    }
  });
});

describe('output type-checks against the runtime and the SDKs', () => {
  it('tsc passes on every .output.ts (fixtures/codemods/throttle-provider-calls/tsconfig.json maps @bounded/runtime to the source)', () => {
    // runTsc throws when tsc times out, is killed or crashes: a check that did not run never passes.
    const { files, diagnostics } = runTsc(join(DIR, 'tsconfig.json'), 150_000);
    const checked = [...readdirSync(DIR).filter((name) => name.endsWith('.output.ts')), 'clients.ts'];
    expect(checked.length).toBeGreaterThan(1);
    expect(checked.filter((name) => !files.includes(join(DIR, name)))).toEqual([]);
    // Only the fixtures are ours to judge; errors inside runtime/ belong to work in progress elsewhere.
    expect(
      diagnostics.filter((line) => line.startsWith('fixtures/') || line.includes('.output.ts') || line.includes('clients.ts')),
    ).toEqual([]);
  }, 160_000);
});

describe('parsers', () => {
  const js = `import OpenAI from 'openai';
const openai = new OpenAI({ timeout: 60_000 });
export async function tagAll(texts) {
  for (const input of texts) await openai.responses.create({ model: 'gpt-4.1-nano', input });
}
`;

  it('rewrites a .js file (babel) with the same edits', () => {
    expect(run('tags.js', js).output).toBe(
      js
        .replace("from 'openai';\n", "from 'openai';\nimport { throttleClient } from '@bounded/runtime';\n")
        .replace('new OpenAI({ timeout: 60_000 })', "throttleClient(new OpenAI({ timeout: 60_000 }), { limiter: 'openai' })"),
    );
  });

  it('rewrites a .tsx file with JSX in it, and the rule is quiet afterwards', () => {
    const tsx = `import type { Anthropic } from '@anthropic-ai/sdk';

export async function Summaries(client: Anthropic, docs: string[]) {
  const replies = await Promise.all(docs.map((doc) => client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: doc }] })));
  return <ul>{replies.map((reply) => <li key={reply.id}>{reply.id}</li>)}</ul>;
}
`;
    const { output } = run('summaries.tsx', tsx);
    expect(output).toBe(
      tsx
        .replace(
          "from '@anthropic-ai/sdk';\n",
          "from '@anthropic-ai/sdk';\nimport { providerLimiter } from '@bounded/runtime';\n\nconst anthropicLimiter = providerLimiter('anthropic');\n",
        )
        .replace('(doc) => client.messages.create(', '(doc) => anthropicLimiter.schedule(() => client.messages.create(')
        .replace('content: doc }] })))', 'content: doc }] }))))'),
    );
    expect(findings('summaries.tsx', output!)).toEqual([]);
  });

  it('throws on unparsable input instead of returning edited text', () => {
    expect(() => run('broken.ts', "import OpenAI from 'openai';\nexport async function f( {\n")).toThrow();
  });
});

describe('policy numbers', () => {
  const custom = (yaml: string): Policy => {
    const parsed = parsePolicy(yaml, 'bounded.policy.yaml');
    expect(parsed.problems).toEqual([]);
    return parsed.policy!;
  };
  const construction =
    "import OpenAI from 'openai';\nconst openai = new OpenAI({ timeout: 60_000 });\nexport const all = (xs: string[]) => xs.map((input) => openai.responses.create({ model: 'm', input }));\n";
  const parameter =
    "import type Anthropic from '@anthropic-ai/sdk';\nexport const all = (c: Anthropic, xs: string[]) => xs.map((x) => c.models.retrieve(x));\n";

  it('uses the preset by name when the policy keeps its numbers', () => {
    expect(run('a.ts', construction).output).toContain("throttleClient(new OpenAI({ timeout: 60_000 }), { limiter: 'openai' })");
    expect(run('a.ts', parameter).output).toContain("const anthropicLimiter = providerLimiter('anthropic');");
  });

  it("writes the policy's rate, window, algorithm and model deadline when they differ from the preset", () => {
    const policy = custom(
      'version: 1\ndefaults:\n  timeouts:\n    model: 2m\nrateLimits:\n  openai: { rate: 100, per: 1m, spacing: even }\n  anthropic: { rate: 5, per: 1s, algorithm: token-bucket, maxQueue: 100 }\n',
    );
    const wrapped = run('a.ts', construction, { policy }).output!;
    expect(wrapped).toContain("import { providerLimiter, throttleClient } from '@bounded/runtime';");
    expect(wrapped).toContain(
      "throttleClient(new OpenAI({ timeout: 60_000 }), { limiter: providerLimiter('openai', { rate: 100, spacing: 'even' }), timeoutMs: 120_000 })",
    );
    expect(run('a.ts', parameter, { policy }).output).toContain(
      "const anthropicLimiter = providerLimiter('anthropic', { algorithm: 'token-bucket', rate: 5, per: '1s', maxQueue: 100 });",
    );
  });

  it('builds a TokenBucket itself for a burst, which providerLimiter does not take', () => {
    const policy = custom('version: 1\nrateLimits:\n  anthropic: { rate: 50, per: 1m, algorithm: token-bucket, burst: 10 }\n');
    const output = run('a.ts', parameter, { policy }).output!;
    expect(output).toContain("import { TokenBucket } from '@bounded/runtime';");
    expect(output).toContain("const anthropicLimiter = new TokenBucket({ name: 'anthropic', rate: 50, per: '1m', burst: 10 });");
  });

  it('counts lint.limiters from the policy as limiters', () => {
    const policy = custom('version: 1\nlint:\n  limiters: [rateLimited]\n');
    const source =
      "import OpenAI from 'openai';\nconst openai = new OpenAI({ timeout: 60_000 });\nexport const all = (xs: string[]) => xs.map((input) => rateLimited(() => openai.responses.create({ model: 'm', input })));\ndeclare function rateLimited<T>(fn: () => T): T;\n";
    expect(run('a.ts', source, { policy })).toEqual({ output: null, reports: [] });
    expect(run('a.ts', source).output).toContain('throttleClient(new OpenAI');
  });
});

describe('strict', () => {
  it('with `strict`, also wraps a single call in a plain function, as the rule does with strict: true', () => {
    const { path, source } = fixture('not-a-provider');
    const { output } = run(path, source, { strict: true });
    expect(output).toContain("const openai = throttleClient(new OpenAI({ timeout: 60_000 }), { limiter: 'openai' });");
    // The stub and webhooks.unwrap are still no provider calls.
    expect(output).toContain('await fake.chat.completions.create({ input });');
    expect(run(path, source).output).toBeNull();
  });
});

describe('more client shapes', () => {
  it('wraps a client made through a namespace import of the SDK', () => {
    const source =
      "import * as sdk from '@anthropic-ai/sdk';\nconst claude = new sdk.Anthropic({ timeout: 60_000 });\nexport const all = (xs: string[]) => xs.map((x) => claude.models.retrieve(x));\n";
    expect(run('a.ts', source).output).toBe(
      "import * as sdk from '@anthropic-ai/sdk';\nimport { throttleClient } from '@bounded/runtime';\nconst claude = throttleClient(new sdk.Anthropic({ timeout: 60_000 }), { limiter: 'anthropic' });\nexport const all = (xs: string[]) => xs.map((x) => claude.models.retrieve(x));\n",
    );
  });

  it('refuses a client field assigned outside the constructor, and one assigned twice', () => {
    const source = `import OpenAI from 'openai';
export class Bot {
  private client?: OpenAI;
  connect() {
    this.client = new OpenAI({ timeout: 60_000 });
  }
  async all(xs: string[]) {
    for (const input of xs) await this.client!.responses.create({ model: 'm', input });
  }
}
export class Twice {
  private client = new OpenAI({ timeout: 60_000 });
  reset() {
    this.client = new OpenAI({ timeout: 60_000 });
  }
  all(xs: string[]) {
    return xs.map((input) => this.client.responses.create({ model: 'm', input }));
  }
}
`;
    const { output, reports } = run('bot.ts', source);
    expect(output).toBeNull();
    expect(located(reports)).toEqual([
      '8:35 `this.client.responses.create`: `this.client` is assigned outside the constructor, at 5:5; wrap it by hand where it is made',
      '17:30 `this.client.responses.create`: `this.client` is assigned at 14:5; wrapping one construction would not cover every client it holds',
    ]);
  });
});

describe('SaaS SDKs (issue 20)', () => {
  const fanOut = (imports: string, setup: string, call: string): string =>
    `${imports}\n${setup}\nexport const run = (items: string[]) => Promise.all(items.map((item) => ${call}));\n`;

  it('leaves a client that throttles itself alone, without a report, as the rule does', () => {
    const source = fanOut(
      `import { WebClient } from '@slack/web-api';`,
      `const slack = new WebClient(process.env.SLACK_TOKEN);`,
      `slack.chat.postMessage({ channel: item, text: 'hi' })`,
    );
    expect(findings(join(DIR, 'saas-notify.ts'), source)).toEqual([]);
    expect(run(join(DIR, 'saas-notify.ts'), source)).toEqual({ output: null, reports: [] });
  });

  it('reports the same client with its throttling turned off, with the catalog reason naming the preset', () => {
    const source = fanOut(
      `import { WebClient } from '@slack/web-api';`,
      `const slack = new WebClient(process.env.SLACK_TOKEN, { rejectRateLimitedCalls: true });`,
      `slack.chat.postMessage({ channel: item, text: 'hi' })`,
    );
    expect(findings(join(DIR, 'saas-notify.ts'), source).map((message) => message.line)).toEqual([3]);
    const { output, reports } = run(join(DIR, 'saas-notify.ts'), source);
    expect(output).toBeNull();
    expect(located(reports)).toEqual([
      "3:73 `slack.chat.postMessage`: Slack clients are not wrapped automatically; send their calls through one shared limiter (providerLimiter('slack').schedule(() => …))",
    ]);
  });

  it('reports calls on clients made by a factory (twilio(…), google.sheets(…)), which it never wraps', () => {
    const twilio = fanOut(
      `import twilio from 'twilio';`,
      `const client = twilio(process.env.SID, process.env.TOKEN);`,
      `client.messages.create({ to: item, from: '+15550100', body: 'hi' })`,
    );
    expect(findings(join(DIR, 'saas-sms.ts'), twilio).map((message) => message.line)).toEqual([3]);
    expect(located(run(join(DIR, 'saas-sms.ts'), twilio).reports)).toEqual([
      "3:73 `client.messages.create`: Twilio clients are not wrapped automatically; send their calls through one shared limiter (providerLimiter('…').schedule(() => …))",
    ]);
    const sheets = fanOut(
      `import { google } from 'googleapis';`,
      `const sheets = google.sheets({ version: 'v4' });`,
      `sheets.spreadsheets.values.get({ spreadsheetId: item, range: 'A1' })`,
    );
    expect(findings(join(DIR, 'saas-sheets.ts'), sheets).map((message) => message.line)).toEqual([3]);
    expect(located(run(join(DIR, 'saas-sheets.ts'), sheets).reports)).toHaveLength(1);
  });
});
