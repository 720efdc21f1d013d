import rule from '../../eslint-plugin/rules/no-unthrottled-provider-call.js';
import { typedTester, untypedTester } from './setup.js';

/** A policy with a Mistral provider (30/min), `rateLimited` as a limiter. */
const policySettings = { bounded: { policy: new URL('./fixture/provider-policy.yaml', import.meta.url).pathname } };

const openaiLimit = "the policy's 60 requests/min";
const anthropicLimit = "the policy's 50 requests/min";

untypedTester().run('no-unthrottled-provider-call', rule, {
  valid: [
    // A constant number of calls is not a rate over input: a constant list…
    `import { generateText } from 'ai';
import { openai } from '@ai-sdk/openai';
const LANGUAGES = ['French', 'German', 'Spanish'] as const;
export async function translateAll(text: string) {
  return Promise.all(LANGUAGES.map((language) => generateText({ model: openai('gpt-4o-mini'), prompt: \`\${language}: \${text}\`, abortSignal: AbortSignal.timeout(15_000) })));
}`,
    // …the first three of an input…
    `import { generateText } from 'ai';
import { openai } from '@ai-sdk/openai';
export async function titles(files: string[]) {
  for (const file of files.slice(0, 3)) await generateText({ model: openai('gpt-4o-mini'), prompt: file });
}`,
    // …an agent loop capped by a constant number of turns…
    `import Anthropic from '@anthropic-ai/sdk';
const client = new Anthropic();
const MAX_TURNS = 8;
export async function agent(content: string) {
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const reply = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content }] });
    if (reply.stop_reason !== 'tool_use') return reply;
  }
}`,
    // …a library fan-out over a literal…
    `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const seeds = () => embedMany({ model: openai.embedding('text-embedding-3-small'), values: ['lake', 'city', 'storm'] });`,
    // A call on the way out of a loop (cancel the run, then throw) runs once, not per item.
    `import OpenAI from 'openai';
const openai = new OpenAI();
export async function follow(events: AsyncIterable<{ runId: string; ok: boolean }>, threadId: string) {
  for await (const event of events) {
    if (!event.ok) {
      await openai.beta.threads.runs.cancel(event.runId, { thread_id: threadId });
      throw new Error('run failed');
    }
  }
}`,
    // A retry loop that spends a budget set to a constant: at most three calls.
    `import OpenAI from 'openai';
const openai = new OpenAI();
export async function settle(threadId: string, assistantId: string, state: string) {
  let retries = 3;
  while (state === 'retry') {
    if (retries > 0) {
      retries -= 1;
      const run = await openai.beta.threads.runs.create(threadId, { assistant_id: assistantId });
      state = run.status;
    } else {
      break;
    }
  }
}`,
    `import OpenAI from 'openai';
const openai = new OpenAI();
export async function firstDraft(prompt: string) {
  let attempt = 0;
  while (attempt < 4) {
    attempt++;
    const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] });
    if (reply.choices.length > 0) return reply;
  }
}`,
    // A poll loop that awaits a same-file helper pacing itself with setInterval.
    `import OpenAI from 'openai';
const openai = new OpenAI();
const poll = (threadId: string, runId: string) =>
  new Promise<string>((resolve) => {
    const timer = setInterval(async () => {
      const run = await openai.beta.threads.runs.retrieve(runId, { thread_id: threadId });
      if (run.status !== 'queued') {
        clearInterval(timer);
        resolve(run.status);
      }
    }, 500);
  });
export async function wait(threadId: string, runId: string) {
  let state = await poll(threadId, runId);
  while (state === 'requires_action') state = await poll(threadId, runId);
  return state;
}`,
    // A received object that is not named like a client, or whose path is no SDK request, is not guessed at.
    `export function removeAll(files, storage) {
  files.forEach(async (file) => { await storage.files.del(file.file_id); });
}`,
    `export function readAll(ids, openai) {
  return Promise.all(ids.map((id) => openai.cache.lookup(id)));
}`,
    // …or a single call per request (reportHandlers reports it).
    `import express from 'express';
import OpenAI from 'openai';
const openai = new OpenAI();
const app = express();
app.post('/draft', async (req, res) => {
  res.json(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: String(req.body.topic) }] }));
});`,
    // A LangChain chain over a model with a finite maxConcurrency: batch is limited by the model.
    `import { ChatOpenAI } from '@langchain/openai';
import { PromptTemplate } from '@langchain/core/prompts';
const model = new ChatOpenAI({ model: 'gpt-4o-mini', maxConcurrency: 4 });
const chain = PromptTemplate.fromTemplate('A haiku about {topic}').pipe(model);
export const haikus = (topics: string[]) => chain.batch(topics.map((topic) => ({ topic })));`,
    // The client is wrapped once: every call goes through the limiter.
    `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI({ maxRetries: 0 }), { limiter: 'openai', concurrency: 8 });
export async function embedAll(chunks: string[]) {
  return Promise.all(chunks.map((chunk) => openai.embeddings.create({ model: 'text-embedding-3-small', input: chunk })));
}`,
    // A single call in a plain function: its callers decide how often it runs (strict reports it).
    `import OpenAI from 'openai';
const openai = new OpenAI();
export async function summarize(text: string) {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
  return completion.choices[0]?.message.content ?? '';
}`,
    // p-limit around each element of a fan-out.
    `import Anthropic from '@anthropic-ai/sdk';
import pLimit from 'p-limit';
const anthropic = new Anthropic();
const limit = pLimit(4);
export const classifyAll = (docs: string[]) =>
  Promise.all(docs.map((doc) => limit(() => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: doc }] }))));`,
    // bottleneck: schedule in a loop.
    `import Bottleneck from 'bottleneck';
import OpenAI from 'openai';
const openai = new OpenAI();
const limiter = new Bottleneck({ reservoir: 60, reservoirRefreshAmount: 60, reservoirRefreshInterval: 60_000 });
export async function answerAll(questions: string[]) {
  const answers = [];
  for (const question of questions) {
    answers.push(await limiter.schedule(() => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: question }] })));
  }
  return answers;
}`,
    // bottleneck: a wrapped function used in a fan-out.
    `import Bottleneck from 'bottleneck';
import OpenAI from 'openai';
const openai = new OpenAI();
const limiter = new Bottleneck({ maxConcurrent: 5, minTime: 1_000 });
const complete = limiter.wrap((prompt: string) => openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt }));
export const completeAll = (prompts: string[]) => Promise.all(prompts.map((prompt) => complete(prompt)));`,
    // p-queue with an interval cap.
    `import PQueue from 'p-queue';
import Anthropic from '@anthropic-ai/sdk';
const anthropic = new Anthropic();
const queue = new PQueue({ intervalCap: 50, interval: 60_000 });
export function enqueueReplies(tickets: { id: string; body: string }[]) {
  for (const ticket of tickets) {
    void queue.add(() => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: ticket.body }] }));
  }
  return queue.onIdle();
}`,
    // p-throttle: the throttled function runs the call.
    `import pThrottle from 'p-throttle';
import OpenAI from 'openai';
const openai = new OpenAI();
const throttle = pThrottle({ limit: 60, interval: 60_000 });
const embed = throttle((text: string) => openai.embeddings.create({ model: 'text-embedding-3-small', input: text }));
export const embedAll = (texts: string[]) => Promise.all(texts.map(embed));`,
    // bounded's limiter: acquire before the call, in the loop body.
    `import Anthropic from '@anthropic-ai/sdk';
import { providerLimiter } from '@bounded/runtime';
const anthropic = new Anthropic();
const limiter = providerLimiter('anthropic');
export async function triage(tickets: string[]) {
  for (const ticket of tickets) {
    await limiter.acquire();
    await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: ticket }] });
  }
}`,
    // bounded's limiter: schedule in a request handler.
    `import express from 'express';
import OpenAI from 'openai';
import { SlidingWindow } from '@bounded/runtime/core';
const app = express();
const openai = new OpenAI();
const openaiLimiter = new SlidingWindow({ limit: 60, per: 60_000, name: 'openai' });
app.post('/chat', async (req, res) => {
  const completion = await openaiLimiter.schedule(() => openai.chat.completions.create({ model: 'gpt-4o', messages: req.body.messages }));
  res.json(completion);
});`,
    // The manager's named limiter.
    `import OpenAI from 'openai';
import { ConcurrencyManager } from '@bounded/runtime';
const manager = await ConcurrencyManager.fromPolicy();
const openai = new OpenAI();
export async function handler(req: Request, res: { json(body: unknown): void }) {
  res.json(await manager.limiter('openai').schedule(() => openai.models.list()));
}`,
    // An agent loop that sleeps between steps.
    `import OpenAI from 'openai';
import { sleep } from './util.js';
const openai = new OpenAI();
export async function runAgent(goal: string) {
  const messages = [{ role: 'user' as const, content: goal }];
  let steps = 0;
  while (steps++ < 10) {
    const response = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    if (response.choices[0]?.finish_reason === 'stop') return response;
    await sleep(1_000);
  }
}`,
    // A retry loop that backs off (timers/promises, aliased).
    `import Anthropic from '@anthropic-ai/sdk';
import { setTimeout as pause } from 'node:timers/promises';
const anthropic = new Anthropic();
export async function robustReply(prompt: string) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: prompt }] });
    } catch {
      await pause(2 ** attempt * 1_000);
    }
  }
  throw new Error('gave up');
}`,
    // A loop paced by a setTimeout promise.
    `import OpenAI from 'openai';
const openai = new OpenAI();
export async function moderateAll(posts: string[]) {
  for (const post of posts) {
    await openai.moderations.create({ input: post });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
}`,
    // The limiter package's removeTokens before each call.
    `import { RateLimiter } from 'limiter';
import OpenAI from 'openai';
const openai = new OpenAI();
const tokens = new RateLimiter({ tokensPerInterval: 60, interval: 'minute' });
export async function translateAll(lines: string[]) {
  for (const line of lines) {
    await tokens.removeTokens(1);
    await openai.responses.create({ model: 'gpt-4.1-mini', input: \`Translate: \${line}\` });
  }
}`,
    // A semaphore permit held for the call, in a handler.
    `import OpenAI from 'openai';
import { Semaphore } from '@bounded/runtime';
const openai = new OpenAI();
const llmSlots = new Semaphore(4);
export async function handle(req: { body: { text: string } }, res: { send(body: unknown): void }) {
  using permit = await llmSlots.acquire();
  res.send(await openai.embeddings.create({ model: 'text-embedding-3-small', input: req.body.text }));
}`,
    // A limiter the policy lists in lint.limiters.
    {
      code: `import OpenAI from 'openai';
import { rateLimited } from './limits.js';
const openai = new OpenAI();
export const describeAll = (urls: string[]) => Promise.all(urls.map((url) => rateLimited(() => openai.responses.create({ model: 'gpt-4o', input: url }))));`,
      settings: policySettings,
    },
    // A limiter named by the rule option.
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
import { jobs } from './jobs.js';
const anthropic = new Anthropic();
export function scheduleDigests(users: string[]) {
  for (const user of users) {
    jobs.enqueue(() => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 400, messages: [{ role: 'user', content: user }] }));
  }
}`,
      options: [{ limiters: ['jobs.enqueue'] }],
    },
    // A class whose client is wrapped at construction.
    `import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime/core';
export class Agent {
  private readonly llm = throttleClient(new Anthropic(), { limiter: 'anthropic' });
  async run(task: string) {
    for (let turn = 0; turn < 8; turn++) {
      await this.llm.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: task }] });
    }
  }
}`,
    // Not a provider: another host, a local stub, a different package.
    `export async function crawl(urls: string[]) {
  return Promise.all(urls.map((url) => fetch(url, { signal: AbortSignal.timeout(5_000) })));
}`,
    `const fake = { chat: { completions: { create: async (_body: object) => ({ choices: [] }) } } };
export async function replay(prompts: string[]) {
  for (const prompt of prompts) await fake.chat.completions.create({ prompt });
}`,
    `import { createOpenAI } from '@ai-sdk/openai';
const provider = createOpenAI({ compatibility: 'strict' });
export const models = (names: string[]) => names.map((name) => provider.chat(name));`,
    // A provider host outside any loop, fan-out or handler.
    `export async function listModels(key: string) {
  return fetch('https://api.openai.com/v1/models', { headers: { authorization: \`Bearer \${key}\` } });
}`,
    // Webhook verification sends no request.
    `import OpenAI from 'openai';
import express from 'express';
const openai = new OpenAI();
const app = express();
app.post('/webhooks/openai', async (req, res) => {
  const event = await openai.webhooks.unwrap(req.body, req.headers as Record<string, string>);
  res.json({ ok: event.type });
});`,
    // A policy provider's method that the policy does not list.
    {
      code: `import { Mistral } from '@mistralai/mistralai';
const mistral = new Mistral({ apiKey: process.env.MISTRAL_API_KEY });
export async function inventory(ids: string[]) {
  for (const id of ids) await mistral.models.retrieve({ modelId: id });
}`,
      settings: policySettings,
    },
    // Promise.race against a timer picks a winner; it starts one provider call, not a fan-out.
    `import OpenAI from 'openai';
import { setTimeout as delay } from 'node:timers/promises';
const openai = new OpenAI();
export async function quickAnswer(question: string) {
  return Promise.race([
    openai.responses.create({ model: 'gpt-4.1-nano', input: question }),
    delay(5_000).then(() => {
      throw new Error('too slow');
    }),
  ]);
}`,
    // node-cron runs the job once per tick; the single call in it is paced by the schedule.
    `import cron from 'node-cron';
import OpenAI from 'openai';
const openai = new OpenAI();
cron.schedule('*/5 * * * *', async () => {
  await openai.batches.list();
});`,
    // mapBounded over a throttled client: concurrency from mapBounded, rate from the client.
    `import OpenAI from 'openai';
import { mapBounded, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI({ maxRetries: 0 }), { limiter: 'openai' });
export const embedAll = (chunks: string[]) =>
  mapBounded(chunks, (input) => openai.embeddings.create({ model: 'text-embedding-3-small', input }), { concurrency: 8 });`,
    // mapBounded whose callback goes through a limiter's schedule.
    `import Anthropic from '@anthropic-ai/sdk';
import { mapBoundedSettled, providerLimiter } from '@bounded/runtime';
const anthropic = new Anthropic();
const limiter = providerLimiter('anthropic');
export const gradeAll = (essays: string[]) =>
  mapBoundedSettled(essays, (essay) => limiter.schedule(() => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: essay }] })), { concurrency: 4 });`,
    // forEachBounded whose callback waits on the limiter before the call.
    `import OpenAI from 'openai';
import { forEachBounded, providerLimiter } from '@bounded/runtime';
const openai = new OpenAI();
const limiter = providerLimiter('openai');
export async function tagAll(texts: string[]) {
  await forEachBounded(texts, async (text) => {
    await limiter.acquire();
    await openai.responses.create({ model: 'gpt-4.1-nano', input: text });
  }, { concurrency: 4 });
}`,
    // A local helper that happens to be called mapBounded is not bounded's; a plain function's single call stays quiet.
    `import OpenAI from 'openai';
const openai = new OpenAI();
function mapBounded<T, R>(items: T[], fn: (item: T) => R, _options: { concurrency: number }): R[] {
  return items.slice(0, 1).map(fn);
}
export const first = (texts: string[]) => mapBounded(texts, (text) => openai.responses.create({ model: 'gpt-4.1-nano', input: text }), { concurrency: 1 });`,
    // mapBounded's options (the third argument) and a thunk that is never handed to allBounded are not per-item callbacks.
    `import OpenAI from 'openai';
import { mapBounded } from '@bounded/runtime';
const openai = new OpenAI();
export const plan = (ids: string[]) => mapBounded(ids, async (id) => id.trim(), { concurrency: 2, onError: () => openai.models.list() } as never);
export const later = () => () => openai.models.list();`,
  ],
  invalid: [
    // A client the function receives, known by its conventional name and an SDK request path.
    {
      code: `async function remove(file, openai) {
  await openai.files.del(file.file_id);
}
export function removeAll(files, { openai }) {
  files.forEach(async (file) => {
    await openai.files.del(file.file_id);
  });
}`,
      errors: [{ messageId: 'inFanOut', line: 6, suggestions: [] }],
    },
    // The cancel is followed by a throw only on one branch: other iterations go on calling.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function sweep(runIds: string[], threadId: string) {
  for (const runId of runIds) {
    await openai.beta.threads.runs.cancel(runId, { thread_id: threadId });
    if (runId === '') throw new Error('empty');
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 5,
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'openai', limiter: 'openai' },
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function sweep(runIds: string[], threadId: string) {
  for (const runId of runIds) {
    await openai.beta.threads.runs.cancel(runId, { thread_id: threadId });
    if (runId === '') throw new Error('empty');
  }
}`,
            },
          ],
        },
      ],
    },
    // A budget the loop refills is no budget.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function drain(prompts: string[]) {
  let retries = 3;
  while (prompts.length > 0) {
    if (retries > 0) {
      retries -= 1;
      await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompts.pop() ?? '' }] });
      retries = 3;
    }
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 8,
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'openai', limiter: 'openai' },
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function drain(prompts: string[]) {
  let retries = 3;
  while (prompts.length > 0) {
    if (retries > 0) {
      retries -= 1;
      await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompts.pop() ?? '' }] });
      retries = 3;
    }
  }
}`,
            },
          ],
        },
      ],
    },
    // A helper racing a timer (a timeout, not a pause) does not pace the loop.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
const limited = <T,>(work: Promise<T>) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5_000))]);
export async function summaries(texts: string[]) {
  const out = [];
  for (const text of texts) out.push(await limited(openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] })));
  return out;
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'openai', limiter: 'openai' },
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
const limited = <T,>(work: Promise<T>) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5_000))]);
export async function summaries(texts: string[]) {
  const out = [];
  for (const text of texts) out.push(await limited(openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] })));
  return out;
}`,
            },
          ],
        },
      ],
    },
    // A constant inner loop inside a loop over input repeats per item of the input.
    {
      code: `import { generateText } from 'ai';
import { openai } from '@ai-sdk/openai';
export async function translateAll(texts: string[]) {
  for (const text of texts) {
    for (const language of ['French', 'German']) await generateText({ model: openai('gpt-4o-mini'), prompt: \`\${language}: \${text}\` });
  }
}`,
      errors: [{ messageId: 'inLoop', line: 5, suggestions: [] }],
    },
    // A library fan-out over a literal is one call, and this one runs once per item of an input.
    {
      code: `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedEach = (docs: string[]) =>
  Promise.all(docs.map((doc) => embedMany({ model: openai.embedding('text-embedding-3-small'), values: [doc, doc.toLowerCase()] })));`,
      errors: [{ messageId: 'inFanOut', line: 4, suggestions: [] }],
    },
    // A slice whose size is a parameter is no constant bound.
    {
      code: `import { generateText } from 'ai';
import { openai } from '@ai-sdk/openai';
export async function titles(files: string[], count: number) {
  for (const file of files.slice(0, count)) await generateText({ model: openai('gpt-4o-mini'), prompt: file });
}`,
      errors: [{ messageId: 'inLoop', line: 4, suggestions: [] }],
    },
    // A chain over a model without a finite maxConcurrency: batch starts every input at once.
    {
      code: `import { ChatOpenAI } from '@langchain/openai';
import { PromptTemplate } from '@langchain/core/prompts';
const model = new ChatOpenAI({ model: 'gpt-4o-mini' });
const chain = PromptTemplate.fromTemplate('A haiku about {topic}').pipe(model);
export const haikus = (topics: string[]) => chain.batch(topics.map((topic) => ({ topic })));`,
      errors: [{ messageId: 'libraryFanOut', line: 5 }],
    },
    // A fan-out over every chunk at once.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function embedAll(chunks: string[]) {
  return Promise.all(chunks.map((chunk) => openai.embeddings.create({ model: 'text-embedding-3-small', input: chunk })));
}`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 4,
          data: {
            call: 'openai.embeddings.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'openai', limiter: 'openai' },
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function embedAll(chunks: string[]) {
  return Promise.all(chunks.map((chunk) => openai.embeddings.create({ model: 'text-embedding-3-small', input: chunk })));
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // A loop; the suggestion merges into the existing runtime import.
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
import { mapBounded } from '@bounded/runtime';
const anthropic = new Anthropic({ maxRetries: 0 });
export async function summarizeThreads(threads: string[][]) {
  const summaries: string[] = [];
  for (const thread of threads) {
    const message = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 300, messages: [{ role: 'user', content: thread.join('\\n') }] });
    summaries.push(message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''));
  }
  return mapBounded(summaries, async (s) => s.trim(), { concurrency: 4 });
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 7,
          data: {
            call: 'anthropic.messages.create',
            provider: 'Anthropic',
            limit: anthropicLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'anthropic' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'anthropic', limiter: 'anthropic' },
              output: `import Anthropic from '@anthropic-ai/sdk';
import { mapBounded, throttleClient } from '@bounded/runtime';
const anthropic = throttleClient(new Anthropic({ maxRetries: 0 }), { limiter: 'anthropic' });
export async function summarizeThreads(threads: string[][]) {
  const summaries: string[] = [];
  for (const thread of threads) {
    const message = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 300, messages: [{ role: 'user', content: thread.join('\\n') }] });
    summaries.push(message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''));
  }
  return mapBounded(summaries, async (s) => s.trim(), { concurrency: 4 });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // The agent loop: one model call per step, nothing pacing it.
    {
      code: `import OpenAI from 'openai';
import { runTool } from './tools.js';
const client = new OpenAI();
export async function agent(goal: string) {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: goal }];
  while (true) {
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages, tools: [] });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call === undefined) return completion;
    messages.push({ role: 'tool', tool_call_id: call.id, content: await runTool(call) });
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { runTool } from './tools.js';
import { throttleClient } from '@bounded/runtime';
const client = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function agent(goal: string) {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: goal }];
  while (true) {
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages, tools: [] });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call === undefined) return completion;
    messages.push({ role: 'tool', tool_call_id: call.id, content: await runTool(call) });
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // An Express handler: one provider call per request.
    {
      code: `import express from 'express';
import OpenAI from 'openai';
const app = express();
const openai = new OpenAI({ timeout: 30_000 });
app.post('/api/complete', async (req, res) => {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: req.body.messages });
  res.json(completion.choices[0]);
});`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 6,
          data: {
            call: 'openai.chat.completions.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'openai', limiter: 'openai' },
              output: `import express from 'express';
import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const app = express();
const openai = throttleClient(new OpenAI({ timeout: 30_000 }), { limiter: 'openai' });
app.post('/api/complete', async (req, res) => {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: req.body.messages });
  res.json(completion.choices[0]);
});`,
            },
          ],
        },
      ],
      output: null,
    },
    // node:http's createServer handler, a `.then` chain inside it.
    {
      code: `import { createServer } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
const anthropic = new Anthropic();
createServer((req, res) => {
  anthropic.models.list().then((page) => res.end(JSON.stringify(page.data)));
}).listen(8080);`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 5,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import { createServer } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime';
const anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
createServer((req, res) => {
  anthropic.models.list().then((page) => res.end(JSON.stringify(page.data)));
}).listen(8080);`,
            },
          ],
        },
      ],
      output: null,
    },
    // A Fastify-style handler (request, reply), memoised client.
    {
      code: `import OpenAI from 'openai';
let client: OpenAI | undefined;
export async function suggestTags(request: { body: { text: string } }, reply: { send(body: unknown): void }) {
  client ??= new OpenAI();
  const result = await client.responses.create({ model: 'gpt-4.1-mini', input: request.body.text });
  reply.send(result.output_text);
}`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 5,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
let client: OpenAI | undefined;
export async function suggestTags(request: { body: { text: string } }, reply: { send(body: unknown): void }) {
  client ??= throttleClient(new OpenAI(), { limiter: 'openai' });
  const result = await client.responses.create({ model: 'gpt-4.1-mini', input: request.body.text });
  reply.send(result.output_text);
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // Promise.all over two providers: each call is reported.
    {
      code: `import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
const openai = new OpenAI();
const anthropic = new Anthropic();
export async function compare(prompt: string) {
  return Promise.all([
    openai.responses.create({ model: 'gpt-4o', input: prompt }),
    anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: prompt }] }),
  ]);
}`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
const anthropic = new Anthropic();
export async function compare(prompt: string) {
  return Promise.all([
    openai.responses.create({ model: 'gpt-4o', input: prompt }),
    anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: prompt }] }),
  ]);
}`,
            },
          ],
        },
        {
          messageId: 'inFanOut',
          line: 8,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime';
const openai = new OpenAI();
const anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
export async function compare(prompt: string) {
  return Promise.all([
    openai.responses.create({ model: 'gpt-4o', input: prompt }),
    anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: prompt }] }),
  ]);
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // forEach with an async callback fans out too.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export function flagAll(comments: { id: string; text: string }[], flag: (id: string) => void) {
  comments.forEach(async (comment) => {
    const result = await openai.moderations.create({ input: comment.text });
    if (result.results[0]?.flagged) flag(comment.id);
  });
}`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 5,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export function flagAll(comments: { id: string; text: string }[], flag: (id: string) => void) {
  comments.forEach(async (comment) => {
    const result = await openai.moderations.create({ input: comment.text });
    if (result.results[0]?.flagged) flag(comment.id);
  });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // Array.from(…, fn) starts them all.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export const variations = (prompt: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => openai.images.generate({ model: 'gpt-image-1', prompt })));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 4,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export const variations = (prompt: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => openai.images.generate({ model: 'gpt-image-1', prompt })));`,
            },
          ],
        },
      ],
      output: null,
    },
    // A retry loop with no backoff, as many attempts as the caller asks, hammers the provider.
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
const anthropic = new Anthropic();
export async function insist(prompt: string, attempts: number) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt }] });
    } catch (error) {
      console.warn('retrying', error);
    }
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 6,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime';
const anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
export async function insist(prompt: string, attempts: number) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt }] });
    } catch (error) {
      console.warn('retrying', error);
    }
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // A sleep before the loop paces nothing.
    {
      code: `import OpenAI from 'openai';
import { sleep } from './util.js';
const openai = new OpenAI();
export async function warmUp(models: string[]) {
  await sleep(500);
  for (const model of models) await openai.models.retrieve(model);
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 6,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { sleep } from './util.js';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function warmUp(models: string[]) {
  await sleep(500);
  for (const model of models) await openai.models.retrieve(model);
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // A limiter acquired on one branch only does not cover the call.
    {
      code: `import OpenAI from 'openai';
import { providerLimiter } from '@bounded/runtime';
const openai = new OpenAI();
const limiter = providerLimiter('openai');
export async function handler(req: { body: { premium: boolean; text: string } }, res: { json(body: unknown): void }) {
  if (!req.body.premium) await limiter.acquire();
  res.json(await openai.embeddings.create({ model: 'text-embedding-3-small', input: req.body.text }));
}`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { providerLimiter, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
const limiter = providerLimiter('openai');
export async function handler(req: { body: { premium: boolean; text: string } }, res: { json(body: unknown): void }) {
  if (!req.body.premium) await limiter.acquire();
  res.json(await openai.embeddings.create({ model: 'text-embedding-3-small', input: req.body.text }));
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // node-cron's schedule is not a limiter: the loop inside the job is unthrottled.
    {
      code: `import cron from 'node-cron';
import OpenAI from 'openai';
import { pendingDocs } from './db.js';
const openai = new OpenAI();
cron.schedule('0 * * * *', async () => {
  for (const doc of await pendingDocs()) {
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: doc.text });
  }
});`,
      errors: [
        {
          messageId: 'inLoop',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import cron from 'node-cron';
import OpenAI from 'openai';
import { pendingDocs } from './db.js';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
cron.schedule('0 * * * *', async () => {
  for (const doc of await pendingDocs()) {
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: doc.text });
  }
});`,
            },
          ],
        },
      ],
      output: null,
    },
    // fetch straight to the provider's host, in a loop: no client to wrap.
    {
      code: `export async function embedRaw(texts: string[], key: string) {
  const out = [];
  for (const text of texts) {
    const res = await fetch('https://api.openai.com/v1/embeddings', {
      method: 'POST',
      headers: { authorization: \`Bearer \${key}\`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: text }),
    });
    out.push(await res.json());
  }
  return out;
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 4,
          data: {
            call: 'fetch',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "send it through one shared limiter, e.g. providerLimiter('openai').schedule(…)",
          },
          suggestions: [],
        },
      ],
      output: null,
    },
    // An HTTP client instance whose prefix URL is the provider's host: the request's path alone is relative.
    {
      code: `import ky from 'ky';
const openaiApi = ky.create({ prefixUrl: 'https://api.openai.com/v1' });
export const embedAll = (texts: string[]) => Promise.all(texts.map((input) => openaiApi.post('embeddings', { json: { model: 'text-embedding-3-small', input } }).json()));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 3,
          data: {
            call: 'openaiApi.post',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "send it through one shared limiter, e.g. providerLimiter('openai').schedule(…)",
          },
          suggestions: [],
        },
      ],
      output: null,
    },
    // The prefix URL from a constructor parameter's default, a namespace constant; the instance held in a field through a
    // constructor-local alias: the host is still the provider's.
    {
      code: `import defaultKy, { type KyInstance } from 'ky';
export namespace serper {
  export const API_BASE_URL = 'https://google.serper.dev';
}
export class Serper {
  private readonly rawKy: KyInstance;
  constructor({ baseUrl = serper.API_BASE_URL, ky = defaultKy }: { baseUrl?: string; ky?: KyInstance } = {}) {
    const base = ky.extend({ prefixUrl: baseUrl });
    this.rawKy = base;
  }
  imagesFor(queries: string[]) {
    return Promise.all(queries.map((q) => this.rawKy.post('images', { json: { q } }).json()));
  }
}`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 12,
          data: {
            call: 'this.rawKy.post',
            provider: 'Serper',
            limit: 'its rate limit',
            remedy: "send it through one shared limiter, e.g. providerLimiter('…').schedule(…)",
          },
          suggestions: [],
        },
      ],
      output: null,
    },
    // A base URL constant in a template, in a handler.
    {
      code: `import express from 'express';
const ANTHROPIC = 'https://api.anthropic.com';
const app = express();
app.post('/summarize', async (req, res) => {
  const upstream = await fetch(\`\${ANTHROPIC}/v1/messages\`, { method: 'POST', body: JSON.stringify(req.body) });
  res.status(upstream.status).json(await upstream.json());
});`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 5,
          data: {
            call: 'fetch',
            provider: 'Anthropic',
            limit: anthropicLimit,
            remedy: "send it through one shared limiter, e.g. providerLimiter('anthropic').schedule(…)",
          },
          suggestions: [],
        },
      ],
      output: null,
    },
    // strict: every unthrottled call.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function title(text: string) {
  return openai.responses.create({ model: 'gpt-4.1-nano', input: \`Title for: \${text}\` });
}`,
      options: [{ strict: true }],
      errors: [
        {
          messageId: 'unthrottled',
          line: 4,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function title(text: string) {
  return openai.responses.create({ model: 'gpt-4.1-nano', input: \`Title for: \${text}\` });
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // A provider the policy adds (Mistral, 30/min).
    {
      code: `import { Mistral } from '@mistralai/mistralai';
const mistral = new Mistral({ apiKey: process.env.MISTRAL_API_KEY });
export async function chatAll(prompts: string[]) {
  for (const prompt of prompts) {
    await mistral.chat.complete({ model: 'mistral-small-latest', messages: [{ role: 'user', content: prompt }] });
  }
}`,
      settings: policySettings,
      errors: [
        {
          messageId: 'inLoop',
          line: 5,
          data: {
            call: 'mistral.chat.complete',
            provider: '@mistralai/mistralai',
            limit: "the policy's 30 requests/min",
            remedy: "wrap the client once with throttleClient(client, { limiter: 'mistral' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'mistral', limiter: 'mistral' },
              output: `import { Mistral } from '@mistralai/mistralai';
import { throttleClient } from '@bounded/runtime';
const mistral = throttleClient(new Mistral({ apiKey: process.env.MISTRAL_API_KEY }), { limiter: 'mistral' });
export async function chatAll(prompts: string[]) {
  for (const prompt of prompts) {
    await mistral.chat.complete({ model: 'mistral-small-latest', messages: [{ role: 'user', content: prompt }] });
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // A policy provider reached through a module function (the Vercel AI SDK's generateText).
    {
      code: `import { generateText } from 'ai';
import { model } from './model.js';
export async function label(items: string[]) {
  return Promise.all(items.map((item) => generateText({ model, prompt: \`Label: \${item}\` })));
}`,
      settings: policySettings,
      errors: [
        {
          messageId: 'inFanOut',
          line: 4,
          data: {
            call: 'generateText',
            provider: 'ai',
            limit: openaiLimit,
            remedy: "send it through one shared limiter, e.g. providerLimiter('openai').schedule(…)",
          },
          suggestions: [],
        },
      ],
      output: null,
    },
    // A class field client used in a loop.
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
export class Researcher {
  private readonly anthropic = new Anthropic();
  async deepDive(questions: string[]) {
    const notes = [];
    for (const question of questions) {
      notes.push(await this.anthropic.messages.create({ model: 'claude-opus-4-1', max_tokens: 4096, messages: [{ role: 'user', content: question }] }));
    }
    return notes;
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 7,
          data: {
            call: 'this.anthropic.messages.create',
            provider: 'Anthropic',
            limit: anthropicLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'anthropic' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime';
export class Researcher {
  private readonly anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
  async deepDive(questions: string[]) {
    const notes = [];
    for (const question of questions) {
      notes.push(await this.anthropic.messages.create({ model: 'claude-opus-4-1', max_tokens: 4096, messages: [{ role: 'user', content: question }] }));
    }
    return notes;
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // Two calls in one loop body: both reported.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function ingest(pages: string[]) {
  for (const page of pages) {
    const summary = await openai.responses.create({ model: 'gpt-4.1-mini', input: page });
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: summary.output_text });
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 5,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function ingest(pages: string[]) {
  for (const page of pages) {
    const summary = await openai.responses.create({ model: 'gpt-4.1-mini', input: page });
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: summary.output_text });
  }
}`,
            },
          ],
        },
        {
          messageId: 'inLoop',
          line: 6,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function ingest(pages: string[]) {
  for (const page of pages) {
    const summary = await openai.responses.create({ model: 'gpt-4.1-mini', input: page });
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: summary.output_text });
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // do … while, with the runtime imported from '@bounded/runtime/core': merged there.
    {
      code: `import OpenAI from 'openai';
import { withTimeout } from '@bounded/runtime/core';
const openai = new OpenAI();
export async function pollBatch(id: string) {
  let batch;
  do {
    batch = await withTimeout(() => openai.batches.retrieve(id), 10_000);
  } while (batch.status === 'in_progress');
  return batch;
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { withTimeout, throttleClient } from '@bounded/runtime/core';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function pollBatch(id: string) {
  let batch;
  do {
    batch = await withTimeout(() => openai.batches.retrieve(id), 10_000);
  } while (batch.status === 'in_progress');
  return batch;
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // CommonJS: the suggestion requires the runtime.
    {
      code: `const OpenAI = require('openai');
const openai = new OpenAI();
module.exports = async function translate(lines) {
  return Promise.all(lines.map((line) => openai.responses.create({ model: 'gpt-4.1-mini', input: line })));
};`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 4,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `const OpenAI = require('openai');
const { throttleClient } = require('@bounded/runtime');
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
module.exports = async function translate(lines) {
  return Promise.all(lines.map((line) => openai.responses.create({ model: 'gpt-4.1-mini', input: line })));
};`,
            },
          ],
        },
      ],
      output: null,
    },
    // mapBounded bounds concurrency, not rate: in a handler the nearest context is still the bounded fan-out.
    {
      code: `import express from 'express';
import Anthropic from '@anthropic-ai/sdk';
import { mapBounded } from '@bounded/runtime';
const anthropic = new Anthropic();
export const router = express.Router();
router.post('/grade', async (req, res) => {
  const grades = await mapBounded(req.body.essays as string[], (essay) => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: essay }] }), { concurrency: 5 });
  res.json(grades);
});`,
      errors: [
        {
          messageId: 'inBoundedFanOut',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import express from 'express';
import Anthropic from '@anthropic-ai/sdk';
import { mapBounded, throttleClient } from '@bounded/runtime';
const anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
export const router = express.Router();
router.post('/grade', async (req, res) => {
  const grades = await mapBounded(req.body.essays as string[], (essay) => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: essay }] }), { concurrency: 5 });
  res.json(grades);
});`,
            },
          ],
        },
      ],
      output: null,
    },
    // A `throttleClient` of another origin is in scope: no suggestion that would shadow it.
    {
      code: `import OpenAI from 'openai';
import { throttleClient } from './legacy-throttle.js';
const openai = new OpenAI();
export const tagAll = (texts: string[]) => texts.map((text) => openai.responses.create({ model: 'gpt-4.1-nano', input: text }));
export { throttleClient };`,
      errors: [{ messageId: 'inFanOut', line: 4, suggestions: [] }],
      output: null,
    },
    // A Hono route: one call per request.
    {
      code: `import { Hono } from 'hono';
import OpenAI from 'openai';
const app = new Hono();
const openai = new OpenAI();
app.post('/v1/rewrite', async (c) => {
  const { text } = await c.req.json();
  const result = await openai.responses.create({ model: 'gpt-4.1-mini', input: \`Rewrite: \${text}\` });
  return c.json({ text: result.output_text });
});`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import { Hono } from 'hono';
import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const app = new Hono();
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
app.post('/v1/rewrite', async (c) => {
  const { text } = await c.req.json();
  const result = await openai.responses.create({ model: 'gpt-4.1-mini', input: \`Rewrite: \${text}\` });
  return c.json({ text: result.output_text });
});`,
            },
          ],
        },
      ],
      output: null,
    },
    // A Koa route streaming Anthropic's reply.
    {
      code: `import Router from '@koa/router';
import Anthropic from '@anthropic-ai/sdk';
const anthropic = new Anthropic();
export const router = new Router();
router.get('/stream', async (ctx) => {
  const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: String(ctx.query.q) }] });
  ctx.body = stream.toReadableStream();
});`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 6,
          data: {
            call: 'anthropic.messages.stream',
            provider: 'Anthropic',
            limit: anthropicLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'anthropic' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import Router from '@koa/router';
import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime';
const anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
export const router = new Router();
router.get('/stream', async (ctx) => {
  const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: String(ctx.query.q) }] });
  ctx.body = stream.toReadableStream();
});`,
            },
          ],
        },
      ],
      output: null,
    },
    // for await over a stream of documents.
    {
      code: `import OpenAI from 'openai';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
const openai = new OpenAI();
export async function embedFile(path: string) {
  for await (const line of createInterface({ input: createReadStream(path) })) {
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: line });
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function embedFile(path: string) {
  for await (const line of createInterface({ input: createReadStream(path) })) {
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: line });
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // withOptions(…) on the way changes retries, not the rate.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export const gradeAll = (answers: string[]) =>
  Promise.allSettled(answers.map((answer) => openai.withOptions({ maxRetries: 5 }).responses.create({ model: 'o4-mini', input: answer })));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 4,
          data: {
            call: 'openai.withOptions({maxRetries:5}).responses.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              data: { client: 'openai', limiter: 'openai' },
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export const gradeAll = (answers: string[]) =>
  Promise.allSettled(answers.map((answer) => openai.withOptions({ maxRetries: 5 }).responses.create({ model: 'o4-mini', input: answer })));`,
            },
          ],
        },
      ],
      output: null,
    },
    // for…in over a record of prompts.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
export async function fill(templates: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const key in templates) {
    out[key] = (await openai.responses.create({ model: 'gpt-4.1-mini', input: templates[key]! })).output_text;
  }
  return out;
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 6,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function fill(templates: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const key in templates) {
    out[key] = (await openai.responses.create({ model: 'gpt-4.1-mini', input: templates[key]! })).output_text;
  }
  return out;
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // mapBounded bounds how many calls run at once, not how many start each minute.
    {
      code: `import OpenAI from 'openai';
import { mapBounded } from '@bounded/runtime';
const openai = new OpenAI();
export async function summariseAll(documents: string[]) {
  return mapBounded(
    documents,
    (doc) => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: doc }] }),
    { concurrency: 8 },
  );
}`,
      errors: [
        {
          messageId: 'inBoundedFanOut',
          line: 7,
          data: {
            call: 'openai.chat.completions.create',
            helper: 'mapBounded',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { mapBounded, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function summariseAll(documents: string[]) {
  return mapBounded(
    documents,
    (doc) => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: doc }] }),
    { concurrency: 8 },
  );
}`,
            },
          ],
        },
      ],
      output: null,
    },
    // An aliased mapBoundedSettled from the package root; the message names the alias.
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
import { mapBoundedSettled as settle } from '@bounded/runtime/core';
const anthropic = new Anthropic();
export const critiqueAll = (drafts: string[]) =>
  settle(drafts, async (draft) => {
    const message = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: draft }] });
    return message.id;
  }, { concurrency: 3 });`,
      errors: [
        {
          messageId: 'inBoundedFanOut',
          line: 6,
          data: {
            call: 'anthropic.messages.create',
            helper: 'settle',
            provider: 'Anthropic',
            limit: anthropicLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'anthropic' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import Anthropic from '@anthropic-ai/sdk';
import { mapBoundedSettled as settle, throttleClient } from '@bounded/runtime/core';
const anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
export const critiqueAll = (drafts: string[]) =>
  settle(drafts, async (draft) => {
    const message = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: draft }] });
    return message.id;
  }, { concurrency: 3 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // allBounded over a literal list of thunks: one report per call.
    {
      code: `import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { allBounded } from '@bounded/runtime';
const openai = new OpenAI();
const anthropic = new Anthropic();
export const both = (prompt: string) =>
  allBounded([
    () => openai.responses.create({ model: 'gpt-4.1-mini', input: prompt }),
    () => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt }] }),
  ], { concurrency: 2 });`,
      errors: [
        {
          messageId: 'inBoundedFanOut',
          line: 8,
          data: {
            call: 'openai.responses.create',
            helper: 'allBounded',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { allBounded, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
const anthropic = new Anthropic();
export const both = (prompt: string) =>
  allBounded([
    () => openai.responses.create({ model: 'gpt-4.1-mini', input: prompt }),
    () => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt }] }),
  ], { concurrency: 2 });`,
            },
          ],
        },
        {
          messageId: 'inBoundedFanOut',
          line: 9,
          data: {
            call: 'anthropic.messages.create',
            helper: 'allBounded',
            provider: 'Anthropic',
            limit: anthropicLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'anthropic' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { allBounded, throttleClient } from '@bounded/runtime';
const openai = new OpenAI();
const anthropic = throttleClient(new Anthropic(), { limiter: 'anthropic' });
export const both = (prompt: string) =>
  allBounded([
    () => openai.responses.create({ model: 'gpt-4.1-mini', input: prompt }),
    () => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt }] }),
  ], { concurrency: 2 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // allBounded over mapped thunks: `xs.map((x) => () => call(x))`, and a block body that returns the thunk.
    {
      code: `import OpenAI from 'openai';
import { allBounded } from '@bounded/runtime';
const openai = new OpenAI();
export const embedAll = (chunks: string[]) => allBounded(chunks.map((input) => () => openai.embeddings.create({ model: 'text-embedding-3-small', input })), { concurrency: 4 });
export const moderateAll = (texts: string[]) =>
  allBounded(texts.map((input) => {
    return () => openai.moderations.create({ input });
  }), { concurrency: 4 });`,
      errors: [
        {
          messageId: 'inBoundedFanOut',
          line: 4,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { allBounded, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export const embedAll = (chunks: string[]) => allBounded(chunks.map((input) => () => openai.embeddings.create({ model: 'text-embedding-3-small', input })), { concurrency: 4 });
export const moderateAll = (texts: string[]) =>
  allBounded(texts.map((input) => {
    return () => openai.moderations.create({ input });
  }), { concurrency: 4 });`,
            },
          ],
        },
        {
          messageId: 'inBoundedFanOut',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { allBounded, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export const embedAll = (chunks: string[]) => allBounded(chunks.map((input) => () => openai.embeddings.create({ model: 'text-embedding-3-small', input })), { concurrency: 4 });
export const moderateAll = (texts: string[]) =>
  allBounded(texts.map((input) => {
    return () => openai.moderations.create({ input });
  }), { concurrency: 4 });`,
            },
          ],
        },
      ],
      output: null,
    },
    // forEachBounded inside a loop: the nearest context (the bounded fan-out) names the message;
    // a loop inside the callback is nearer still.
    {
      code: `import OpenAI from 'openai';
import { forEachBounded } from '@bounded/runtime';
const openai = new OpenAI();
export async function run(batches: string[][]) {
  for (const batch of batches) {
    await forEachBounded(batch, async (text) => {
      await openai.responses.create({ model: 'gpt-4.1-nano', input: text });
      for (const retry of [1, 2]) await openai.responses.create({ model: 'gpt-4.1-nano', input: text + retry });
    }, { concurrency: 2 });
  }
}`,
      errors: [
        {
          messageId: 'inBoundedFanOut',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { forEachBounded, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function run(batches: string[][]) {
  for (const batch of batches) {
    await forEachBounded(batch, async (text) => {
      await openai.responses.create({ model: 'gpt-4.1-nano', input: text });
      for (const retry of [1, 2]) await openai.responses.create({ model: 'gpt-4.1-nano', input: text + retry });
    }, { concurrency: 2 });
  }
}`,
            },
          ],
        },
        {
          messageId: 'inLoop',
          line: 8,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { forEachBounded, throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
export async function run(batches: string[][]) {
  for (const batch of batches) {
    await forEachBounded(batch, async (text) => {
      await openai.responses.create({ model: 'gpt-4.1-nano', input: text });
      for (const retry of [1, 2]) await openai.responses.create({ model: 'gpt-4.1-nano', input: text + retry });
    }, { concurrency: 2 });
  }
}`,
            },
          ],
        },
      ],
      output: null,
    },
  ],
});

// With type information: a client whose construction is elsewhere is recognised by its type.
typedTester().run('no-unthrottled-provider-call (typed)', rule, {
  valid: [
    // Something shaped like a client, typed as something else.
    `interface Llm { chat: { completions: { create(body: object): Promise<unknown> } } }
export async function replay(llm: Llm, prompts: string[]) {
  for (const prompt of prompts) await llm.chat.completions.create({ prompt });
}`,
    // An OpenAI client passed in, called once: not a loop, fan-out or handler.
    `import OpenAI from 'openai';
export const once = (client: OpenAI, input: string) => client.responses.create({ model: 'gpt-4.1-mini', input });`,
  ],
  invalid: [
    {
      code: `import OpenAI from 'openai';
export async function embedEach(client: OpenAI, texts: string[]) {
  for (const text of texts) {
    await client.embeddings.create({ model: 'text-embedding-3-small', input: text });
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 4,
          data: {
            call: 'client.embeddings.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [],
        },
      ],
      output: null,
    },
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
export class Reviewer {
  constructor(private readonly anthropic: Anthropic) {}
  reviewAll(diffs: string[]) {
    return Promise.all(diffs.map((diff) => this.anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 800, messages: [{ role: 'user', content: diff }] })));
  }
}`,
      errors: [{ messageId: 'inFanOut', line: 5, suggestions: [] }],
      output: null,
    },
  ],
});
