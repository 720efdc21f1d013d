import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProjectIndex } from '../../cli/check-index.js';
import { checkCommand } from '../../cli/commands/check.js';
import { defaultPolicy } from '../../policy/load.js';
import { tempDir } from '../helpers/temp.js';

function project(files: Record<string, string>): string {
  const root = tempDir('bounded-index-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

interface Message {
  ruleId: string | null;
  message: string;
  line: number;
}

async function findings(args: string[], cwd: string): Promise<Record<string, Message[]>> {
  let stdout = '';
  const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } };
  await checkCommand(['--format', 'json', '--quiet', ...args], io, cwd);
  const results = JSON.parse(stdout) as { filePath: string; messages: Message[] }[];
  return Object.fromEntries(results.map((result) => [result.filePath.slice(cwd.length + 1), result.messages]));
}

const LLM = `import OpenAI from 'openai';
const openai = new OpenAI({ timeout: 30_000 });
export async function summarize(text: string) {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
  return completion.choices[0]?.message.content ?? '';
}
export class Llm {
  complete(prompt: string) {
    return openai.responses.create({ model: 'gpt-4o-mini', input: prompt });
  }
}
`;

const LIMITED = `import OpenAI from 'openai';
import pLimit from 'p-limit';
const openai = new OpenAI({ timeout: 30_000 });
const limit = pLimit(2);
export const summarize = (text: string) => limit(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }));
`;

describe('bounded check: the index pass', () => {
  it('counts a call of an imported wrapper as the provider call it makes, however the import is spelled', async () => {
    const root = project({
      'src/llm.ts': LLM,
      'src/jobs/digest.ts': `import { summarize } from '../llm.js';
export const digest = (texts: string[]) => Promise.all(texts.map((text) => summarize(text)));
`,
      'src/jobs/answers.ts': `import { Llm } from '../llm';
const llm = new Llm();
export async function answerAll(prompts: string[]) {
  for (const prompt of prompts) await llm.complete(prompt);
}
`,
      'src/agent.ts': `import { Llm } from './llm.js';
export class Agent extends Llm {
  async run(steps: string[]) {
    return Promise.all(steps.map((step) => this.complete(step)));
  }
}
`,
    });
    const found = await findings([], root);
    const provider = (file: string) => found[file]!.filter((message) => message.ruleId === 'bounded/no-unthrottled-provider-call');
    expect(provider('src/jobs/digest.ts').map((message) => message.message)).toEqual([
      expect.stringContaining('`summarize()` → `openai.chat.completions.create` starts OpenAI calls all at once'),
    ]);
    expect(provider('src/jobs/answers.ts').map((message) => [message.line, message.message])).toEqual([
      [4, expect.stringContaining('`llm.complete()` → `openai.responses.create` calls OpenAI on every loop iteration')],
    ]);
    expect(provider('src/agent.ts').map((message) => message.line)).toEqual([4]);
    // Without the index, the rule sees only the call of a function it knows nothing about.
    const unindexed = await findings(['--no-index'], root);
    expect(unindexed['src/jobs/digest.ts']!.filter((message) => message.ruleId === 'bounded/no-unthrottled-provider-call')).toEqual([]);
  });

  it('reads the wrapper: one that applies its own limiter is not a hazard, whatever its name', async () => {
    const root = project({
      'src/llm.ts': LIMITED,
      'src/digest.ts': `import { summarize } from './llm.js';
export const digest = (texts: string[]) => Promise.all(texts.map((text) => summarize(text)));
`,
    });
    const found = await findings([], root);
    expect(found['src/digest.ts']!.filter((message) => message.ruleId === 'bounded/no-unthrottled-provider-call')).toEqual([]);
  });

  it('follows a wrapper of a wrapper, and records requests and connections', () => {
    const root = project({
      'a.ts': LLM,
      'b.ts': `import { summarize } from './a.js';\nexport const brief = (text: string) => summarize(text.slice(0, 1000));\n`,
      'c.ts': `import pg from 'pg';\nexport async function count() {\n  const client = new pg.Client();\n  await client.connect();\n  return client.query('select 1');\n}\nexport const ping = () => fetch('https://example.com/ping');\nexport const pingSoon = () => fetch('https://example.com/ping', { signal: AbortSignal.timeout(1_000) });\n`,
      'd.ts': `export const add = (a: number, b: number) => a + b;\n`,
    });
    const files = ['a.ts', 'b.ts', 'c.ts', 'd.ts'].map((file) => join(root, file));
    const { index, stats } = buildProjectIndex(files, defaultPolicy());
    expect(index.files[join(root, 'b.ts')]).toEqual({
      brief: { provider: { label: 'OpenAI', limiter: 'openai', call: 'openai.chat.completions.create' } },
    });
    expect(index.files[join(root, 'c.ts')]).toEqual({
      count: { connection: { call: 'pg.Client' }, async: true },
      ping: { request: { call: 'fetch', deadline: false } },
      pingSoon: { request: { call: 'fetch', deadline: true } },
    });
    // d.ts names no module the index cares about and imports nothing: never parsed.
    expect(stats).toEqual({ files: 4, parsed: 3, indexed: 3 });
  });
});

describe('the index pass: ky instances', () => {
  it("records a request through a ky instance as having ky's default deadline, unless the instance (or one it extends) turns it off", () => {
    const root = project({
      'k.ts': `import ky from 'ky';
const api = ky.create({ prefixUrl: 'https://api.example.com' });
const raw = api.extend({ timeout: false });
export const getUser = (id: string) => api.get(\`users/\${id}\`).json();
export const download = (path: string) => raw.get(path).blob();
export const downloadSoon = (path: string) => raw.get(path, { timeout: 5_000 }).blob();
`,
    });
    const { index } = buildProjectIndex([join(root, 'k.ts')], defaultPolicy());
    expect(index.files[join(root, 'k.ts')]).toEqual({
      getUser: { request: { call: 'api.get', deadline: true } },
      download: { request: { call: 'raw.get', deadline: false } },
      downloadSoon: { request: { call: 'raw.get', deadline: true } },
    });
  });
});

describe('the index pass on real-world imports', () => {
  it('survives imports that name a file where a folder is probed (../package.json, ./logo.svg: ENOTDIR), and still follows wrappers', async () => {
    const root = project({
      'package.json': '{ "name": "app", "version": "1.0.0" }\n',
      'src/logo.svg': '<svg/>\n',
      'src/llm.ts': LLM,
      'src/version.ts': `import pkg from '../package.json';\nimport logo from './logo.svg';\nexport const version = pkg.version + String(logo);\n`,
      'src/jobs.ts': `import { summarize } from './llm.js';\nimport { version } from './version.js';\nexport async function all(texts: string[]) {\n  for (const text of texts) await summarize(text + version);\n}\n`,
    });
    let stderr = '';
    let stdout = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
    const code = await checkCommand(['--format', 'json', '--config', 'all'], io, root);
    expect(stderr).not.toMatch(/internal error|ENOTDIR/);
    const results = JSON.parse(stdout) as { filePath: string; messages: Message[] }[];
    const jobs = results.find((result) => result.filePath.endsWith('jobs.ts'))!;
    expect(jobs.messages.map((message) => message.ruleId)).toContain('bounded/no-unthrottled-provider-call');
    expect(code).toBe(1);
  });
});

describe('the index pass: async exports', () => {
  it('records async exports from the text, and the background rule finds a floating call of one only with the index', async () => {
    const root = project({
      'src/mail.ts': `export async function sendWelcome(to: string) {\n  await fetch('https://mail.internal/send', { method: 'POST', body: to, signal: AbortSignal.timeout(5_000) });\n}\nexport const audit = async (event: string) => event.length;\nexport async function* pages() { yield 1; }\nexport function plain() { return 1; }\nexport default async function notify() {}\n`,
      'src/signup.ts': `import { sendWelcome, audit, pages, plain } from './mail.js';\nimport notify from './mail.js';\nexport async function signup(email: string) {\n  sendWelcome(email);\n  await audit(email);\n  pages();\n  plain();\n  notify();\n}\n`,
    });
    const { index } = buildProjectIndex([join(root, 'src/mail.ts'), join(root, 'src/signup.ts')], defaultPolicy());
    // An async generator returns an iterator, not a promise; a plain function nothing.
    expect(index.files[join(root, 'src/mail.ts')]).toEqual({
      sendWelcome: { request: { call: 'fetch', deadline: true }, async: true },
      audit: { async: true },
      default: { async: true },
    });
    const background = (messages: Message[] | undefined): number[] =>
      (messages ?? []).filter((message) => message.ruleId === 'bounded/no-unmanaged-background-work').map((message) => message.line);
    const indexed = await findings([], root);
    expect(background(indexed['src/signup.ts'])).toEqual([4, 8]);
    const unindexed = await findings(['--no-index'], root);
    expect(background(unindexed['src/signup.ts'])).toEqual([]);
  });
});
