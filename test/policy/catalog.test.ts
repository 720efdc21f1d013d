/**
 * A walk over the catalog (policy/catalog): every entry is found by its rule, and its codemod
 * either rewrites the finding or reports it as skipped with a reason — never passes over it in
 * silence. A new entry fails here until it has a sample that shows both.
 */
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import jscodeshift, { type API, type FileInfo } from 'jscodeshift';
import { describe, expect, it } from 'vitest';
import addTimeouts from '../../codemods/transforms/add-timeouts.js';
import boundPromiseAll from '../../codemods/transforms/bound-promise-all.js';
import throttleProviderCalls from '../../codemods/transforms/throttle-provider-calls.js';
import plugin from '../../eslint-plugin/index.js';
import {
  HTTP_CLIENTS,
  LIMITER_PACKAGES,
  PROVIDER_APIS,
  SAAS_APIS,
  type ProviderApi,
  type ThrottleSwitch,
} from '../../policy/catalog/index.js';
import { defaultPolicy } from '../../policy/index.js';

const policy = defaultPolicy();
const FILE = '/project/src/sample.ts';

function lint(code: string, rule: string): Linter.LintMessage[] {
  const linter = new Linter({ cwd: '/project' });
  return linter.verify(
    code,
    [
      { files: ['**/*.ts'], languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } } },
      { files: ['**/*.ts'], plugins: { bounded: plugin }, rules: { [`bounded/${rule}`]: 'error' } },
    ],
    FILE,
  );
}

type Transform = (file: FileInfo, api: API, options: object) => string | null | undefined;

function transform(run: Transform, source: string): { output: string | null; reports: string[] } {
  const j = jscodeshift.withParser('ts');
  const reports: string[] = [];
  const api: API = { jscodeshift: j, j, stats: () => {}, report: (message: string) => void reports.push(message) };
  return { output: run({ path: FILE, source }, api, { policy }) ?? null, reports };
}

/** Concrete names for entries whose classes the catalog matches by pattern. */
const SAMPLE_CLIENTS: Readonly<Record<string, { module: string; client: string }>> = {
  langchain: { module: '@langchain/openai', client: 'ChatOpenAI' },
  llamaindex: { module: '@llamaindex/openai', client: 'OpenAI' },
};

/** Entries whose clients are not made with `new Class({})`: how the sample makes one. */
const SAMPLE_SETUPS: Readonly<Record<string, { imports: string; setup: string }>> = {
  googleapis: { imports: `import { google } from 'googleapis';`, setup: `const client = google.sheets({ version: 'v4' });` },
};

/** `{ rest: { rejectOnRateLimit: [] } }` for `rest.rejectOnRateLimit` set: options that turn an SDK's own throttling off. */
function switchedOffOptions(entry: ThrottleSwitch): string {
  const value = { set: '[]', true: 'true', false: 'false', zero: '0', infinite: 'Infinity' }[entry.when];
  return entry.option
    .split('.')
    .reverse()
    .reduce((inner, key) => `{ ${key}: ${inner} }`, value);
}

/** `new Client(…)` with `options` at the SDK's options argument. */
function construct(client: string, api: ProviderApi, options: string): string {
  const index = api.selfThrottle?.optionsIndex ?? 0;
  return `new ${client}(${[...Array.from({ length: index }, () => "'token'"), options].join(', ')})`;
}

/** One fan-out per way an entry sends a request: each resource, method, module function and command. */
function providerSamples(api: ProviderApi): { what: string; code: string }[] {
  const sample = SAMPLE_CLIENTS[api.id];
  const module = sample?.module ?? api.modules.find((entry): entry is string => typeof entry === 'string')!;
  const client =
    sample?.client ?? api.classes.find((entry): entry is string => typeof entry === 'string' && entry !== 'default' && entry !== '*');
  const fanOut = (imports: string, setup: string, call: string): string =>
    `${imports}\n${setup}\nexport const run = (items: string[]) => Promise.all(items.map((item) => ${call}));\n`;
  const samples: { what: string; code: string }[] = [];
  // A client that throttles itself is built with that turned off: only then is a fan-out over it a finding.
  const own = api.selfThrottle;
  const options = own !== undefined && own.plugins === undefined ? switchedOffOptions(own.disabledBy[0]!) : '{}';
  const made = SAMPLE_SETUPS[api.id]?.imports ?? `import { ${client} } from '${module}';`;
  const setup = SAMPLE_SETUPS[api.id]?.setup ?? `const client = ${construct(client!, api, options)};`;
  for (const resource of api.resources ?? [])
    samples.push({ what: `${resource}.create`, code: fanOut(made, setup, `client.${resource}.create({ input: item })`) });
  for (const method of api.methods ?? []) {
    if (api.id === 'ai-sdk') {
      samples.push({
        what: method,
        code: fanOut(
          `import { openai } from '@ai-sdk/openai';`,
          `const model = openai('gpt-4o-mini');`,
          `model.${method}({ prompt: item } as never)`,
        ),
      });
    } else samples.push({ what: method, code: fanOut(made, setup, `client.${method}(item as never)`) });
  }
  for (const fn of api.functions ?? []) {
    samples.push({
      what: fn,
      code: fanOut(
        `import { ${fn} } from '${module}';\nimport { openai } from '@ai-sdk/openai';`,
        '',
        `${fn}({ model: openai('gpt-4o-mini'), prompt: item, values: [item] } as never)`,
      ),
    });
  }
  for (const command of api.commands ?? []) {
    samples.push({
      what: command,
      code: fanOut(`import { ${client}, ${command} } from '${module}';`, setup, `client.send(new ${command}({ input: item } as never))`),
    });
  }
  return samples;
}

describe('the catalog: providers', () => {
  for (const api of PROVIDER_APIS) {
    const samples = providerSamples(api);
    it(`${api.id}: has samples`, () => expect(samples.length).toBeGreaterThan(0));
    for (const { what, code } of samples) {
      it(`${api.id} ${what}: found by no-unthrottled-provider-call, and rewritten or reported by throttle-provider-calls`, () => {
        expect(lint(code, 'no-unthrottled-provider-call').map((message) => message.ruleId)).toContain(
          'bounded/no-unthrottled-provider-call',
        );
        const { output, reports } = transform(throttleProviderCalls as Transform, code);
        if (output === null) expect(reports.join('\n')).toMatch(/throttle-provider-calls skipped: .+: .{20,}/);
        else expect(output).toContain('throttleClient(');
      });
    }
  }
});

/** How the SDKs that throttle only with a plugin get it: on the class, or on the instance. */
const PLUGIN_SETUPS: Readonly<Record<string, { imports: string; setup: string }>> = {
  'octokit-core': {
    imports: `import { Octokit } from '@octokit/rest';\nimport { throttling } from '@octokit/plugin-throttling';`,
    setup: `const Throttled = Octokit.plugin(throttling);\nconst client = new Throttled({ auth: 'token' });`,
  },
  grammy: {
    imports: `import { Bot } from 'grammy';\nimport { apiThrottler } from '@grammyjs/transformer-throttler';`,
    setup: `const client = new Bot('token');\nclient.api.config.use(apiThrottler());`,
  },
};

describe('the catalog: SaaS SDKs that throttle themselves', () => {
  for (const api of SAAS_APIS) {
    const own = api.selfThrottle;
    if (own === undefined) continue;
    const method = api.resources === undefined ? api.methods![0]! : `${api.resources[0]!}.create`;
    const fanOut = (imports: string, setup: string): string =>
      `${imports}\n${setup}\nexport const run = (items: string[]) => Promise.all(items.map((item) => client.${method}(item as never)));\n`;
    const client = api.classes.find((entry): entry is string => typeof entry === 'string' && entry !== 'default' && entry !== '*')!;
    const imports = `import { ${client} } from '${api.modules[0] as string}';`;
    const plugged = PLUGIN_SETUPS[api.id];
    it(`${api.id}: a fan-out through a client that throttles itself (${own.how}) is no finding`, () => {
      expect(own.plugins === undefined || plugged !== undefined).toBe(true);
      const code =
        plugged === undefined ? fanOut(imports, `const client = ${construct(client, api, '{}')};`) : fanOut(plugged.imports, plugged.setup);
      expect(lint(code, 'no-unthrottled-provider-call')).toEqual([]);
    });
    if (own.plugins !== undefined) {
      it(`${api.id}: without ${own.plugins.join(' / ')} the same fan-out is a finding`, () => {
        const code = fanOut(imports, `const client = ${construct(client, api, '{}')};`);
        expect(lint(code, 'no-unthrottled-provider-call').map((message) => message.ruleId)).toEqual([
          'bounded/no-unthrottled-provider-call',
        ]);
      });
    }
    for (const entry of own.disabledBy) {
      it(`${api.id}: ${entry.option} (${entry.when}) turns the throttling off, and the message names the published limit`, () => {
        const setup =
          plugged === undefined
            ? `const client = ${construct(client, api, switchedOffOptions(entry))};`
            : plugged.setup.replace("{ auth: 'token' }", `{ auth: 'token', ${switchedOffOptions(entry).slice(2, -2)} }`);
        const messages = lint(fanOut(plugged?.imports ?? imports, setup), 'no-unthrottled-provider-call');
        expect(messages.map((message) => message.ruleId)).toEqual(['bounded/no-unthrottled-provider-call']);
        expect(messages[0]!.message).toContain(api.publishedLimit!);
      });
    }
  }
});

/** One request per way each HTTP client sends one, as the rule reports it. */
function httpSamples(): { id: string; what: string; code: string }[] {
  const samples: { id: string; what: string; code: string }[] = [];
  for (const client of HTTP_CLIENTS) {
    const module = client.modules[0];
    const local = client.id === 'http' ? 'http' : client.id.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    const imports = module === undefined ? '' : `import ${local} from '${module}';\n`;
    // ky has a deadline of its own: only turning it off is a finding.
    const extra = client.defaultMs === undefined ? '' : ', { timeout: false }';
    const calls = client.id === 'undici' ? [] : client.callable ? [`${local}(url${extra})`] : [];
    for (const [method, index] of Object.entries(client.methods)) {
      if (client.id === 'undici') {
        samples.push({
          id: client.id,
          what: method,
          code: `import { ${method} } from 'undici';\nexport const get = (url: string) => ${method}(url);\n`,
        });
        continue;
      }
      const args = index === 0 ? `{ url }` : index === 2 ? `url, {}${extra}` : `url${extra}`;
      calls.push(`${local}.${method}(${args})`);
    }
    for (const call of calls) samples.push({ id: client.id, what: call, code: `${imports}export const get = (url: string) => ${call};\n` });
  }
  return samples;
}

describe('the catalog: HTTP clients', () => {
  for (const { id, what, code } of httpSamples()) {
    it(`${id} ${what}: found by require-timeout, and rewritten or reported by add-timeouts`, () => {
      expect(lint(code, 'require-timeout').map((message) => message.ruleId)).toContain('bounded/require-timeout');
      const { output, reports } = transform(addTimeouts as Transform, code);
      if (output === null) expect(reports.join('\n')).toMatch(/add-timeouts skipped: .{20,}/);
      else expect(output).not.toBe(code);
    });
  }
});

/** How each limiter package is used around a provider call in a fan-out. */
const LIMITER_USES: Readonly<Record<string, (module: string) => { setup: string; mapper: string }>> = {
  'p-limit': (module) => ({ setup: `import pLimit from '${module}';\nconst limit = pLimit(4);`, mapper: `(item) => limit(() => CALL)` }),
  'p-throttle': (module) => ({
    setup: `import pThrottle from '${module}';\nconst throttle = pThrottle({ limit: 60, interval: 60_000 });`,
    mapper: `(item) => throttle(() => CALL)()`,
  }),
  'p-queue': (module) => ({
    setup: `import PQueue from '${module}';\nconst queue = new PQueue({ concurrency: 4 });`,
    mapper: `(item) => queue.add(() => CALL)`,
  }),
  'p-map': (module) => ({ setup: `import pMap from '${module}';`, mapper: 'MAP' }),
  bottleneck: (module) => ({
    setup: `import Bottleneck from '${module}';\nconst limiter = new Bottleneck({ maxConcurrent: 4 });`,
    mapper: `(item) => limiter.schedule(() => CALL)`,
  }),
  'async-sema': (module) => ({
    setup: `import { Sema } from '${module}';\nconst sema = new Sema(4);`,
    mapper: `async (item) => {\n  await sema.acquire();\n  return CALL;\n}`,
  }),
  'async-mutex': (module) => ({
    setup: `import { Semaphore } from '${module}';\nconst semaphore = new Semaphore(4);`,
    mapper: `(item) => semaphore.runExclusive(() => CALL)`,
  }),
  limiter: (module) => ({
    setup: `import { RateLimiter } from '${module}';\nconst limiter = new RateLimiter({ tokensPerInterval: 60, interval: 'minute' });`,
    mapper: `async (item) => {\n  await limiter.removeTokens(1);\n  return CALL;\n}`,
  }),
  '@langchain/core/utils/async_caller': (module) => ({
    setup: `import { AsyncCaller } from '${module}';\nconst caller = new AsyncCaller({ maxConcurrency: 4 });`,
    mapper: `(item) => caller.call(() => CALL)`,
  }),
  bounded: (module) => ({
    setup: `import { Semaphore } from '${module}';\nconst semaphore = new Semaphore(4);`,
    mapper: `(item) => semaphore.run(() => CALL)`,
  }),
};

describe('the catalog: limiters', () => {
  for (const entry of LIMITER_PACKAGES) {
    const use = LIMITER_USES[entry.module] ?? (entry.module.includes('bounded') ? LIMITER_USES.bounded : undefined);
    it(`${entry.module}: a provider fan-out through it is accepted by the rule and left alone by bound-promise-all`, () => {
      expect(use, `a sample use of ${entry.module}`).toBeDefined();
      const { setup, mapper } = use!(entry.module);
      const call = `openai.embeddings.create({ model: 'text-embedding-3-small', input: item })`;
      const fanOut =
        mapper === 'MAP' ? `pMap(items, (item) => ${call}, { concurrency: 4 })` : `Promise.all(items.map(${mapper.replace('CALL', call)}))`;
      const code = `import OpenAI from 'openai';\n${setup}\nconst openai = new OpenAI();\nexport const run = (items: string[]) => ${fanOut};\n`;
      expect(lint(code, 'no-unthrottled-provider-call')).toEqual([]);
      expect(lint(code, 'no-unbounded-concurrency')).toEqual([]);
      const { output } = transform(boundPromiseAll as Transform, code);
      expect(output).toBeNull();
    });
  }
});
