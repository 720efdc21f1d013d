import rule from '../../eslint-plugin/rules/require-timeout.js';
import { typedTester, untypedTester } from './setup.js';

/** A policy with http: 5s, model: 45s and `withDeadline` as a timeout wrapper. */
const policySettings = { bounded: { policy: new URL('./fixture/provider-policy.yaml', import.meta.url).pathname } };

untypedTester().run('require-timeout', rule, {
  valid: [
    // A wrapper passing its caller's arguments through (LangChain's AsyncCaller.fetch): the
    // caller's options, signal and all, are in the spread.
    `export class Caller {
  fetch(...args: Parameters<typeof fetch>): ReturnType<typeof fetch> {
    return fetch(...args).then((res) => (res.ok ? res : Promise.reject(res)));
  }
}`,
    `import axios from 'axios';
export const get = (...args: [string, object?]) => axios.get(...args);`,
    // fetch with its own deadline.
    `export async function getUser(id: string) {
  const res = await fetch(\`https://users.internal/api/users/\${id}\`, { signal: AbortSignal.timeout(5_000) });
  return res.json();
}`,
    // A caller's signal is trusted by default (strict asks for a timed one).
    `export async function GET(request: Request) {
  const upstream = await fetch('https://inventory.internal/stock', { headers: { accept: 'application/json' }, signal: request.signal });
  return new Response(upstream.body, { status: upstream.status });
}`,
    // strict accepts signals that visibly time out: a timer that aborts the controller…
    {
      code: `export async function callWebhook(url: string, payload: unknown) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    return await fetch(url, { method: 'POST', body: JSON.stringify(payload), signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}`,
      options: [{ strict: true }],
    },
    // …or the caller's signal combined with a timeout.
    {
      code: `export async function GET(request: Request) {
  const signal = AbortSignal.any([request.signal, AbortSignal.timeout(8_000)]);
  return fetch('https://reports.internal/daily', { signal });
}`,
      options: [{ strict: true }],
    },
    // Under bounded's withTimeout.
    `import { withTimeout } from '@bounded/runtime';
export const latestPrices = () =>
  withTimeout((signal) => fetch('https://prices.example.com/latest', { signal }), 10_000, { name: 'prices' });`,
    // Inside deadline(…).run: the step is bounded even without passing the signal on.
    `import { deadline } from '@bounded/runtime/core';
export async function answer(question: string) {
  using budget = deadline(30_000, { name: 'answer' });
  const hits = await budget.run(() => fetch(\`https://search.internal/?q=\${encodeURIComponent(question)}\`));
  return hits.json();
}`,
    // A wrapper the policy lists in lint.timeouts.
    {
      code: `import { withDeadline } from './deadline.js';
export const weather = (city: string) => withDeadline(() => fetch(\`https://wttr.in/\${city}?format=j1\`));`,
      settings: policySettings,
    },
    // A wrapper named by the rule option.
    {
      code: `import { guarded } from '../lib/guarded.js';
export const status = () => guarded(async () => (await fetch('https://status.example.com/api')).json());`,
      options: [{ wrappers: ['guarded'] }],
    },
    // p-timeout around the promise.
    `import pTimeout from 'p-timeout';
export const rates = () => pTimeout(fetch('https://fx.example.com/rates'), { milliseconds: 4_000 });`,
    // An axios instance created with a timeout.
    `import axios from 'axios';
const github = axios.create({ baseURL: 'https://api.github.com', timeout: 10_000 });
export async function repo(name: string) {
  const { data } = await github.get(\`/repos/\${name}\`);
  return data;
}`,
    // axios.defaults.timeout set once for the file.
    `import axios from 'axios';
export const health = () => axios.get('https://status.example.com/health');
axios.defaults.timeout = 15_000;`,
    // An instance whose defaults.timeout is set after creation.
    `import axios from 'axios';
const billing = axios.create({ baseURL: process.env.BILLING_URL });
billing.defaults.timeout = 8_000;
export const invoices = (customer: string) => billing.get('/invoices', { params: { customer } });`,
    // Per-call axios timeout.
    `import axios from 'axios';
export async function notify(url: string, event: object) {
  await axios.post(url, event, { timeout: 5_000, headers: { 'content-type': 'application/json' } });
}`,
    // A class-field instance with a timeout.
    `import axios from 'axios';
export class CrmClient {
  private http = axios.create({ baseURL: 'https://crm.example.com/api', timeout: 7_500 });
  contact(id: string) {
    return this.http.get(\`/contacts/\${id}\`);
  }
}`,
    // got with its timeout object, and a got instance made with one.
    `import got from 'got';
export const page = (url: string) => got(url, { timeout: { request: 10_000 }, retry: { limit: 1 } }).text();`,
    `import got from 'got';
const registry = got.extend({ prefixUrl: 'https://registry.npmjs.org', timeout: { request: 5_000 } });
export const packument = (name: string) => registry.get(name).json();`,
    // node-fetch with a signal.
    `import fetch from 'node-fetch';
export const robots = (origin: string) => fetch(\`\${origin}/robots.txt\`, { signal: AbortSignal.timeout(3_000) });`,
    // undici with its own header and body timeouts.
    `import { request } from 'undici';
export async function metrics() {
  const { body } = await request('http://127.0.0.1:9100/metrics', { headersTimeout: 2_000, bodyTimeout: 5_000 });
  return body.text();
}`,
    // node:https with a timeout option.
    `import https from 'node:https';
export function ping(host: string) {
  return https.get({ host, path: '/health', timeout: 2_000 }, (res) => res.resume());
}`,
    // node:http with req.setTimeout on the request.
    `import http from 'http';
export function scrape(onData: (chunk: Buffer) => void) {
  const req = http.request('http://localhost:8080/metrics', (res) => res.on('data', onData));
  req.setTimeout(3_000, () => req.destroy());
  req.end();
}`,
    // An OpenAI client built with a timeout.
    `import OpenAI from 'openai';
const openai = new OpenAI({ timeout: 30_000, maxRetries: 2 });
export async function summarize(text: string) {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
  return completion.choices[0]?.message.content;
}`,
    // An Anthropic call with a timeout in its request options.
    `import Anthropic from '@anthropic-ai/sdk';
const anthropic = new Anthropic();
export const reply = (prompt: string) =>
  anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: prompt }] }, { timeout: 20_000 });`,
    // An SDK call with the caller's signal.
    `import OpenAI from 'openai';
const client = new OpenAI();
export async function classify(input: string, signal: AbortSignal) {
  return client.responses.create({ model: 'gpt-4.1-mini', input }, { signal });
}`,
    // throttleClient puts a deadline on every call.
    `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI({ maxRetries: 0 }), { limiter: 'openai' });
export const embed = (texts: string[]) => openai.embeddings.create({ model: 'text-embedding-3-small', input: texts });`,
    // withOptions({ timeout }) on the way to the call.
    `import OpenAI from 'openai';
const openai = new OpenAI();
export const transcribe = (file: File) => openai.withOptions({ timeout: 120_000 }).audio.transcriptions.create({ file, model: 'whisper-1' });`,
    // Client options the rule cannot see into are trusted by default.
    `import Anthropic from '@anthropic-ai/sdk';
import { config } from './config.js';
const anthropic = new Anthropic(config.anthropic);
export const title = (text: string) => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: text }] });`,
    // Call options the rule cannot see into are trusted by default.
    `export async function post(url: string, init: RequestInit) {
  return fetch(url, init);
}`,
    `const defaults: RequestInit = { signal: AbortSignal.timeout(2_000) };
export const put = (url: string, body: string) => fetch(url, { ...defaults, method: 'PUT', body });`,
    // Not the global fetch: a local function, a method, an own wrapper module.
    `async function fetch(id: string) {
  return { id };
}
export const load = () => fetch('42');`,
    `import { fetch } from './http-client.js';
export const orders = () => fetch('/orders');`,
    `export class Repo {
  fetch(id: string) { return id; }
  load() { return this.fetch('a'); }
}`,
    // bounded's own HTTP client carries its deadline; `http` here is not node:http.
    `import { createHttpClient } from '@bounded/runtime';
const http = createHttpClient({ baseUrl: 'https://api.example.com', timeoutMs: 5_000 });
export const users = () => http.get('/users');`,
    // Looks like an SDK client but is a local stub.
    `const llm = { chat: { completions: { create: async (_body: object) => ({ choices: [] }) } } };
export const stubbed = () => llm.chat.completions.create({ model: 'x' });`,
    // Not a request: webhook verification is local.
    `import OpenAI from 'openai';
const openai = new OpenAI();
export const verify = (body: string, headers: Record<string, string>) => openai.webhooks.unwrap(body, headers);`,
    // axios.create alone sends nothing.
    `import axios from 'axios';
export const makeClient = (baseURL: string) => axios.create({ baseURL });`,
    // http.get with a signal.
    `import http from 'node:http';
export function probe(url: string) {
  http.get(url, { signal: AbortSignal.timeout(1_000) }, (res) => res.resume());
}`,
  ],
  invalid: [
    {
      code: `export async function getProfile(id: string) {
  const res = await fetch(\`https://profiles.internal/\${id}\`);
  return res.json();
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          data: { call: 'fetch', peer: 'server', option: 'signal: AbortSignal.timeout(60_000)', options: '' },
          suggestions: [
            {
              messageId: 'addSignal',
              data: { ms: '60_000', option: 'signal: AbortSignal.timeout(60_000)' },
              output: `export async function getProfile(id: string) {
  const res = await fetch(\`https://profiles.internal/\${id}\`, { signal: AbortSignal.timeout(60_000) });
  return res.json();
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // Merged into a multi-line options object, keeping its trailing comma.
    {
      code: `export async function createTicket(title: string) {
  const res = await fetch('https://support.example.com/api/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  return res.json();
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          suggestions: [
            {
              messageId: 'addSignal',
              output: `export async function createTicket(title: string) {
  const res = await fetch('https://support.example.com/api/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
    signal: AbortSignal.timeout(60_000),
  });
  return res.json();
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // The policy's http timeout (5 s) goes into the suggestion.
    {
      code: `export const refresh = (token: string) =>
  fetch('https://auth.example.com/token', { method: 'POST', body: token });`,
      settings: policySettings,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          data: { call: 'fetch', peer: 'server', option: 'signal: AbortSignal.timeout(5000)', options: '' },
          suggestions: [
            {
              messageId: 'addSignal',
              output: `export const refresh = (token: string) =>
  fetch('https://auth.example.com/token', { method: 'POST', body: token, signal: AbortSignal.timeout(5000) });`,
            },
          ],
        },
      ],
      output: null,
    },
    // A call next to a withTimeout, not inside it.
    {
      code: `import { withTimeout } from '@bounded/runtime';
export async function sync() {
  await withTimeout((signal) => fetch('https://a.example.com/sync', { signal }), 5_000);
  await fetch('https://b.example.com/sync');
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 4,
          suggestions: [
            {
              messageId: 'addSignal',
              output: `import { withTimeout } from '@bounded/runtime';
export async function sync() {
  await withTimeout((signal) => fetch('https://a.example.com/sync', { signal }), 5_000);
  await fetch('https://b.example.com/sync', { signal: AbortSignal.timeout(60_000) });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // strict: the request's own signal has no deadline; combine them.
    {
      code: `export async function GET(request: Request) {
  return fetch('https://reports.internal/daily', { signal: request.signal });
}`,
      options: [{ strict: true }],
      errors: [
        {
          messageId: 'untimedSignal',
          line: 2,
          data: { call: 'fetch', signal: 'request.signal', ms: '60_000' },
          suggestions: [
            {
              messageId: 'combineSignal',
              output: `export async function GET(request: Request) {
  return fetch('https://reports.internal/daily', { signal: AbortSignal.any([request.signal, AbortSignal.timeout(60_000)]) });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // strict: a shorthand signal is expanded.
    {
      code: `import fetch from 'node-fetch';
export const download = (url: string, signal: AbortSignal) => fetch(url, { signal });`,
      options: [{ strict: true }],
      errors: [
        {
          messageId: 'untimedSignal',
          line: 2,
          suggestions: [
            {
              messageId: 'combineSignal',
              output: `import fetch from 'node-fetch';
export const download = (url: string, signal: AbortSignal) => fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]) });`,
            },
          ],
        },
      ],
      output: null,
    },
    // strict: options the rule cannot see into.
    {
      code: `export async function post(url: string, init: RequestInit) {
  return fetch(url, init);
}`,
      options: [{ strict: true }],
      errors: [
        {
          messageId: 'unverifiedTimeout',
          line: 2,
          data: { call: 'fetch', peer: 'server', option: 'signal: AbortSignal.timeout(60_000)', options: 'init' },
          suggestions: [
            {
              messageId: 'addSignal',
              output: `export async function post(url: string, init: RequestInit) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `const json = { headers: { 'content-type': 'application/json' } };
export const save = (url: string, body: string) => fetch(url, { ...json, method: 'PUT', body });`,
      options: [{ strict: true }],
      errors: [
        {
          messageId: 'unverifiedTimeout',
          line: 2,
          suggestions: [
            {
              messageId: 'addSignal',
              output: `const json = { headers: { 'content-type': 'application/json' } };
export const save = (url: string, body: string) => fetch(url, { ...json, method: 'PUT', body, signal: AbortSignal.timeout(60_000) });`,
            },
          ],
        },
      ],
      output: null,
    },
    // globalThis.fetch is the same fetch.
    {
      code: `export const ping = () => globalThis.fetch('https://example.com/ping');`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 1,
          data: { call: 'globalThis.fetch', peer: 'server', option: 'signal: AbortSignal.timeout(60_000)', options: '' },
          suggestions: [
            {
              messageId: 'addSignal',
              output: `export const ping = () => globalThis.fetch('https://example.com/ping', { signal: AbortSignal.timeout(60_000) });`,
            },
          ],
        },
      ],
      output: null,
    },
    // undici request, aliased.
    {
      code: `import { request as send } from 'undici';
export async function health() {
  const { statusCode } = await send('http://127.0.0.1:3000/health', { method: 'GET' });
  return statusCode === 200;
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addSignal',
              output: `import { request as send } from 'undici';
export async function health() {
  const { statusCode } = await send('http://127.0.0.1:3000/health', { method: 'GET', signal: AbortSignal.timeout(60_000) });
  return statusCode === 200;
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // undici's own timeout turned off.
    {
      code: `import * as undici from 'undici';
export const tail = (url: string) => undici.request(url, { bodyTimeout: 0 });`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 2,
          data: { call: 'undici.request', setting: 'bodyTimeout: 0', option: 'bodyTimeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import * as undici from 'undici';
export const tail = (url: string) => undici.request(url, { bodyTimeout: 60_000 });`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import { fetch } from 'undici';
export const feed = async () => (await fetch('https://news.example.com/feed.json')).json();`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          suggestions: [
            {
              messageId: 'addSignal',
              output: `import { fetch } from 'undici';
export const feed = async () => (await fetch('https://news.example.com/feed.json', { signal: AbortSignal.timeout(60_000) })).json();`,
            },
          ],
        },
      ],
      output: null,
    },
    // axios: the library's own timeout option, at the config argument's place.
    {
      code: `import axios from 'axios';
export async function repos(org: string) {
  const { data } = await axios.get(\`https://api.github.com/orgs/\${org}/repos\`);
  return data;
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          data: { call: 'axios.get', peer: 'server', option: 'timeout: 60_000', options: '' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import axios from 'axios';
export async function repos(org: string) {
  const { data } = await axios.get(\`https://api.github.com/orgs/\${org}/repos\`, { timeout: 60_000 });
  return data;
}`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import axios from 'axios';
export const track = (event: { name: string }) => axios.post('https://events.example.com/track', event);`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import axios from 'axios';
export const track = (event: { name: string }) => axios.post('https://events.example.com/track', event, { timeout: 60_000 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // No body: `undefined` keeps the config in third place.
    {
      code: `const axios = require('axios');
async function redeploy(hook: string) {
  await axios.post(hook);
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `const axios = require('axios');
async function redeploy(hook: string) {
  await axios.post(hook, undefined, { timeout: 60_000 });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import axios from 'axios';
export const charge = (amount: number) => axios({ method: 'post', url: 'https://pay.example.com/charges', data: { amount } });`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import axios from 'axios';
export const charge = (amount: number) => axios({ method: 'post', url: 'https://pay.example.com/charges', data: { amount }, timeout: 60_000 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // timeout: 0 is axios's "never".
    {
      code: `import axios from 'axios';
export const exportAll = () => axios.get('https://warehouse.example.com/export', { timeout: 0, responseType: 'stream' });`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 2,
          data: { call: 'axios.get', setting: 'timeout: 0', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import axios from 'axios';
export const exportAll = () => axios.get('https://warehouse.example.com/export', { timeout: 60_000, responseType: 'stream' });`,
            },
          ],
        },
      ],
      output: null,
    },
    // An instance without a timeout: fix the call, or the instance once.
    {
      code: `import axios from 'axios';
const slack = axios.create({ baseURL: 'https://slack.com/api' });
export async function postMessage(channel: string, text: string) {
  await slack.post('/chat.postMessage', { channel, text });
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 4,
          data: { call: 'slack.post', peer: 'server', option: 'timeout: 60_000', options: '' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import axios from 'axios';
const slack = axios.create({ baseURL: 'https://slack.com/api' });
export async function postMessage(channel: string, text: string) {
  await slack.post('/chat.postMessage', { channel, text }, { timeout: 60_000 });
}`,
            },
            {
              messageId: 'addClientTimeout',
              data: { option: 'timeout: 60_000', client: 'slack' },
              output: `import axios from 'axios';
const slack = axios.create({ baseURL: 'https://slack.com/api', timeout: 60_000 });
export async function postMessage(channel: string, text: string) {
  await slack.post('/chat.postMessage', { channel, text });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import axios from 'axios';
export class GeoClient {
  private readonly http = axios.create();
  lookup(ip: string) {
    return this.http.get(\`https://geo.example.com/\${ip}\`);
  }
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 5,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import axios from 'axios';
export class GeoClient {
  private readonly http = axios.create();
  lookup(ip: string) {
    return this.http.get(\`https://geo.example.com/\${ip}\`, { timeout: 60_000 });
  }
}`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import axios from 'axios';
export class GeoClient {
  private readonly http = axios.create({ timeout: 60_000 });
  lookup(ip: string) {
    return this.http.get(\`https://geo.example.com/\${ip}\`);
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // A call through an instance made with its deadline off has none (the corpus's D2): reported at the call, with a fix on the
    // call and one where the instance is made; the setting itself is then not reported a second time.
    {
      code: `import axios from 'axios';
const warehouse = axios.create({
  baseURL: 'https://warehouse.internal',
  timeout: Infinity,
});
export const dump = () => warehouse.get('/dump');`,
      errors: [
        {
          messageId: 'instanceTimeoutOff',
          line: 6,
          data: { call: 'warehouse.get', instance: 'warehouse', setting: 'timeout: Infinity', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import axios from 'axios';
const warehouse = axios.create({
  baseURL: 'https://warehouse.internal',
  timeout: Infinity,
});
export const dump = () => warehouse.get('/dump', { timeout: 60_000 });`,
            },
            {
              messageId: 'setTimeoutValue',
              output: `import axios from 'axios';
const warehouse = axios.create({
  baseURL: 'https://warehouse.internal',
  timeout: 60_000,
});
export const dump = () => warehouse.get('/dump');`,
            },
          ],
        },
      ],
      output: null,
    },
    // An instance made with its deadline off and no call through it in the file is reported where it is made.
    {
      code: `import axios from 'axios';
export const warehouse = axios.create({
  baseURL: 'https://warehouse.internal',
  timeout: Infinity,
});`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 4,
          data: { call: 'axios.create', setting: 'timeout: Infinity', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import axios from 'axios';
export const warehouse = axios.create({
  baseURL: 'https://warehouse.internal',
  timeout: 60_000,
});`,
            },
          ],
        },
      ],
      output: null,
    },
    // got: its own timeout object.
    {
      code: `import got from 'got';
export const sitemap = (origin: string) => got(\`\${origin}/sitemap.xml\`).text();`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          data: { call: 'got', peer: 'server', option: 'timeout: { request: 60_000 }', options: '' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import got from 'got';
export const sitemap = (origin: string) => got(\`\${origin}/sitemap.xml\`, { timeout: { request: 60_000 } }).text();`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import got from 'got';
export async function index(doc: { id: string }) {
  await got.post('http://search.internal:9200/docs/_doc', { json: doc });
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import got from 'got';
export async function index(doc: { id: string }) {
  await got.post('http://search.internal:9200/docs/_doc', { json: doc, timeout: { request: 60_000 } });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // node:http — a URL and a callback: the options go between them.
    {
      code: `import http from 'node:http';
export function check(url: string, done: (ok: boolean) => void) {
  http.get(url, (res) => done(res.statusCode === 200));
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          data: { call: 'http.get', peer: 'server', option: 'signal: AbortSignal.timeout(60_000)', options: '' },
          suggestions: [
            {
              messageId: 'addSignal',
              output: `import http from 'node:http';
export function check(url: string, done: (ok: boolean) => void) {
  http.get(url, { signal: AbortSignal.timeout(60_000) }, (res) => done(res.statusCode === 200));
}`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import { request } from 'node:https';
export function upload(body: Buffer) {
  const req = request({ hostname: 'uploads.example.com', path: '/v1/files', method: 'PUT' });
  req.end(body);
}`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addSignal',
              output: `import { request } from 'node:https';
export function upload(body: Buffer) {
  const req = request({ hostname: 'uploads.example.com', path: '/v1/files', method: 'PUT', signal: AbortSignal.timeout(60_000) });
  req.end(body);
}`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import https from 'https';
export const stream = () => https.request({ host: 'stream.example.com', timeout: 0 });`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 2,
          data: { call: 'https.request', setting: 'timeout: 0', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import https from 'https';
export const stream = () => https.request({ host: 'stream.example.com', timeout: 60_000 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // OpenAI: built without a timeout, called without one.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function draft(topic: string) {
  const completion = await openai.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: \`Write about \${topic}\` }],
  });
  return completion.choices[0]?.message.content ?? '';
}`,
      options: [{ reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 4,
          data: { call: 'openai.chat.completions.create', provider: 'OpenAI', duration: '10 minutes', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function draft(topic: string) {
  const completion = await openai.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: \`Write about \${topic}\` }],
  }, { timeout: 60_000 });
  return completion.choices[0]?.message.content ?? '';
}`,
            },
            {
              messageId: 'addClientTimeout',
              data: { option: 'timeout: 60_000', client: 'openai' },
              output: `import OpenAI from 'openai';
const openai = new OpenAI({ timeout: 60_000 });
export async function draft(topic: string) {
  const completion = await openai.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: \`Write about \${topic}\` }],
  });
  return completion.choices[0]?.message.content ?? '';
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // Anthropic, request options without a timeout; the policy's model timeout (45 s).
    {
      code: `import { Anthropic } from '@anthropic-ai/sdk';
const anthropic = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY });
export const tag = (text: string) =>
  anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: text }] }, { headers: { 'x-request-source': 'tagger' } });`,
      settings: policySettings,
      options: [{ reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 4,
          data: { call: 'anthropic.messages.create', provider: 'Anthropic', duration: '10 minutes', option: 'timeout: 45_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { Anthropic } from '@anthropic-ai/sdk';
const anthropic = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY });
export const tag = (text: string) =>
  anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: text }] }, { headers: { 'x-request-source': 'tagger' }, timeout: 45_000 });`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import { Anthropic } from '@anthropic-ai/sdk';
const anthropic = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY, timeout: 45_000 });
export const tag = (text: string) =>
  anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: text }] }, { headers: { 'x-request-source': 'tagger' } });`,
            },
          ],
        },
      ],
      output: null,
    },
    // A client field of a class, assigned in the constructor.
    {
      code: `import OpenAI from 'openai';
export class Embedder {
  private readonly client: OpenAI;
  constructor() {
    this.client = new OpenAI({ maxRetries: 5 });
  }
  embed(input: string[]) {
    return this.client.embeddings.create({ model: 'text-embedding-3-small', input });
  }
}`,
      options: [{ reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 8,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import OpenAI from 'openai';
export class Embedder {
  private readonly client: OpenAI;
  constructor() {
    this.client = new OpenAI({ maxRetries: 5 });
  }
  embed(input: string[]) {
    return this.client.embeddings.create({ model: 'text-embedding-3-small', input }, { timeout: 60_000 });
  }
}`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import OpenAI from 'openai';
export class Embedder {
  private readonly client: OpenAI;
  constructor() {
    this.client = new OpenAI({ maxRetries: 5, timeout: 60_000 });
  }
  embed(input: string[]) {
    return this.client.embeddings.create({ model: 'text-embedding-3-small', input });
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // A client built with timeout: Infinity is reported where it is built.
    {
      code: `import OpenAI from 'openai';
export const batchClient = new OpenAI({ timeout: Number.POSITIVE_INFINITY });`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 2,
          data: { call: 'OpenAI', setting: 'timeout: Number.POSITIVE_INFINITY', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import OpenAI from 'openai';
export const batchClient = new OpenAI({ timeout: 60_000 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // A timeout of 0 on the call.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export const longRun = (input: string) => openai.responses.create({ model: 'o3', input }, { timeout: 0 });`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 3,
          data: { call: 'openai.responses.create', setting: 'timeout: 0', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import OpenAI from 'openai';
const openai = new OpenAI();
export const longRun = (input: string) => openai.responses.create({ model: 'o3', input }, { timeout: 60_000 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // strict: a client built from options the rule cannot see into.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI(settings);
export const models = () => openai.models.list();`,
      options: [{ strict: true, reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import OpenAI from 'openai';
const openai = new OpenAI(settings);
export const models = () => openai.models.list(undefined, { timeout: 60_000 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // Without types: an id, then a body with no request option: the options go third.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export const start = (threadId: string) => openai.beta.threads.runs.create(threadId, { assistant_id: 'asst_123' });`,
      options: [{ reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import OpenAI from 'openai';
const openai = new OpenAI();
export const start = (threadId: string) => openai.beta.threads.runs.create(threadId, { assistant_id: 'asst_123' }, { timeout: 60_000 });`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import OpenAI from 'openai';
const openai = new OpenAI({ timeout: 60_000 });
export const start = (threadId: string) => openai.beta.threads.runs.create(threadId, { assistant_id: 'asst_123' });`,
            },
          ],
        },
      ],
      output: null,
    },
  ],
});

// With type information: request options found by the parameter's type; clients recognised by their type.
typedTester().run('require-timeout (typed)', rule, {
  valid: [
    // A client passed in: how it was built is not visible, so only strict reports it.
    `import OpenAI from 'openai';
export async function caption(client: OpenAI, url: string) {
  return client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: url }] });
}`,
    // The request options are the third argument here; the typed rule finds them.
    `import OpenAI from 'openai';
const openai = new OpenAI();
export const attach = (storeId: string, fileId: string) => openai.vectorStores.files.create(storeId, { file_id: fileId }, { timeout: 30_000 });`,
  ],
  invalid: [
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export const attach = (storeId: string, fileId: string) => openai.vectorStores.files.create(storeId, { file_id: fileId });`,
      options: [{ reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import OpenAI from 'openai';
const openai = new OpenAI();
export const attach = (storeId: string, fileId: string) => openai.vectorStores.files.create(storeId, { file_id: fileId }, { timeout: 60_000 });`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import OpenAI from 'openai';
const openai = new OpenAI({ timeout: 60_000 });
export const attach = (storeId: string, fileId: string) => openai.vectorStores.files.create(storeId, { file_id: fileId });`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
export async function critique(client: Anthropic, draft: string) {
  return client.messages.create({ model: 'claude-opus-4-1', max_tokens: 2048, messages: [{ role: 'user', content: draft }] });
}`,
      options: [{ strict: true, reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 3,
          data: { call: 'client.messages.create', provider: 'Anthropic', duration: '10 minutes', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import Anthropic from '@anthropic-ai/sdk';
export async function critique(client: Anthropic, draft: string) {
  return client.messages.create({ model: 'claude-opus-4-1', max_tokens: 2048, messages: [{ role: 'user', content: draft }] }, { timeout: 60_000 });
}`,
            },
          ],
        },
      ],
      output: null,
    },
  ],
});
