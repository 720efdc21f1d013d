import rule from '../../eslint-plugin/rules/no-unthrottled-provider-call.js';
import { typedTester, untypedTester } from './setup.js';

/**
 * Provider calls as real code makes them: through LangChain, the AI SDK, Bedrock's commands,
 * same-file helpers and lazily built clients; and the wrappers and test models that are not
 * hazards.
 */

const openaiLimit = "the policy's 60 requests/min";

untypedTester().run('no-unthrottled-provider-call (frameworks and helpers)', rule, {
  valid: [
    // LangChain embeddings with a finite maxConcurrency on the model.
    `import { OpenAIEmbeddings } from '@langchain/openai';
const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small', maxConcurrency: 2 });
export const embedAll = (texts: string[]) => embeddings.embedDocuments(texts);`,
    // A search API called once, in a plain function: its callers decide how often.
    `export async function search(query: string) {
  const res = await fetch('https://api.tavily.com/search', { method: 'POST', body: JSON.stringify({ query }), signal: AbortSignal.timeout(10_000) });
  return res.json();
}`,
    // A LangChain model with a finite maxConcurrency: its AsyncCaller is the limiter.
    `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini', maxConcurrency: 4 });
export const answerAll = (questions: string[]) => Promise.all(questions.map((q) => model.invoke(q)));`,
    // batch() with a finite maxConcurrency.
    `import { ChatAnthropic } from '@langchain/anthropic';
const model = new ChatAnthropic({ model: 'claude-haiku-4-5' });
export const classify = (docs: string[]) => model.batch(docs, { maxConcurrency: 5 });`,
    // batch() options held in a variable are read like inline ones.
    `import { ChatAnthropic } from '@langchain/anthropic';
const model = new ChatAnthropic({ model: 'claude-haiku-4-5' });
const options = { maxConcurrency: 5 };
export const classify = (docs: string[]) => model.batch(docs, options);`,
    // embedMany with a finite maxParallelCalls.
    `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values, maxParallelCalls: 2 });`,
    // A mock model from the AI SDK's test entry is not a provider.
    `import { generateText } from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
const model = new MockLanguageModelV2({ doGenerate: async () => ({ content: [], finishReason: 'stop', usage: {} as never, warnings: [] }) });
export const run = (prompts: string[]) => Promise.all(prompts.map((prompt) => generateText({ model, prompt })));`,
    // LangChain's fake models from @langchain/core/utils/testing answer locally.
    `import { FakeListChatModel } from '@langchain/core/utils/testing';
const model = new FakeListChatModel({ responses: ['a', 'b'] });
export const run = (prompts: string[]) => Promise.all(prompts.map((prompt) => model.invoke(prompt)));`,
    // A same-file helper that applies its own limiter is a safe wrapper, whatever its name.
    `import OpenAI from 'openai';
import pLimit from 'p-limit';
const openai = new OpenAI();
const limit = pLimit(4);
async function summarize(text: string) {
  return limit(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }));
}
export const summarizeAll = (texts: string[]) => Promise.all(texts.map((text) => summarize(text)));`,
    // A helper that does not call a provider.
    `import OpenAI from 'openai';
const openai = new OpenAI();
function clean(text: string) { return text.trim(); }
export const cleanAll = (texts: string[]) => Promise.all(texts.map((text) => clean(text)));
export const once = () => openai.models.list();`,
    // Bedrock's other commands are not model calls.
    `import { BedrockRuntimeClient, ListAsyncInvokesCommand } from '@aws-sdk/client-bedrock-runtime';
const bedrock = new BedrockRuntimeClient({});
export const list = (ids: string[]) => Promise.all(ids.map(() => bedrock.send(new ListAsyncInvokesCommand({}))));`,
  ],
  invalid: [
    // LangChain: model.invoke in a fan-out.
    {
      code: `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini' });
export const answerAll = (questions: string[]) => Promise.all(questions.map((q) => model.invoke(q)));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 3,
          data: {
            call: 'model.invoke',
            provider: 'LangChain',
            limit: 'its rate limit',
            remedy: "send it through one shared limiter, e.g. providerLimiter('…').schedule(…)",
          },
        },
      ],
    },
    // LangChain: batch() without maxConcurrency starts every input at once.
    {
      code: `import { ChatAnthropic } from '@langchain/anthropic';
const model = new ChatAnthropic({ model: 'claude-haiku-4-5' });
export const classify = (docs: string[]) => model.batch(docs);`,
      errors: [{ messageId: 'libraryFanOut', line: 3 }],
    },
    // batch() with maxConcurrency: Infinity is no bound.
    {
      code: `import { ChatAnthropic } from '@langchain/anthropic';
const model = new ChatAnthropic({ model: 'claude-haiku-4-5' });
export const classify = (docs: string[]) => model.batch(docs, { maxConcurrency: Infinity });`,
      errors: [{ messageId: 'libraryFanOut', line: 3 }],
    },
    // withStructuredOutput(…).invoke: a runnable derived from the model still calls it.
    {
      code: `import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
const model = new ChatOpenAI({ model: 'gpt-4o' });
const extractor = model.withStructuredOutput(z.object({ name: z.string() }));
export async function extractAll(pages: string[]) {
  const people = [];
  for (const page of pages) people.push(await extractor.invoke(page));
  return people;
}`,
      errors: [{ messageId: 'inLoop', line: 7 }],
    },
    // A prompt piped into the model.
    {
      code: `import { ChatPromptTemplate } from '@langchain/core/prompts';
import { ChatOpenAI } from '@langchain/openai';
const chain = ChatPromptTemplate.fromTemplate('Summarize {text}').pipe(new ChatOpenAI({ model: 'gpt-4o-mini' }));
export const summarizeAll = (texts: string[]) => Promise.all(texts.map((text) => chain.invoke({ text })));`,
      errors: [{ messageId: 'inFanOut', line: 4 }],
    },
    // AI SDK: generateText in a fan-out, labelled by the model's provider.
    {
      code: `import { generateText } from 'ai';
import { openai } from '@ai-sdk/openai';
export const answerAll = (prompts: string[]) => Promise.all(prompts.map((prompt) => generateText({ model: openai('gpt-4o-mini'), prompt })));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 3,
          data: {
            call: 'generateText',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "send it through one shared limiter, e.g. providerLimiter('openai').schedule(…)",
          },
        },
      ],
    },
    // LangChain embedDocuments sends its batches at once unless the model has a finite maxConcurrency.
    {
      code: `import { OpenAIEmbeddings } from '@langchain/openai';
const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small' });
export const embedAll = (texts: string[]) => embeddings.embedDocuments(texts);`,
      errors: [{ messageId: 'libraryFanOut', line: 3, suggestions: [] }],
    },
    // A rate-limited search API reached by HTTP, through a same-file helper, once per query.
    {
      code: `async function searchWeb(query: string) {
  const res = await fetch('https://api.tavily.com/search', { method: 'POST', body: JSON.stringify({ query }), signal: AbortSignal.timeout(10_000) });
  return res.json();
}
export const searchAll = (queries: string[]) => Promise.all(queries.map((query) => searchWeb(query)));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 5,
          data: {
            call: 'searchWeb()` → `fetch',
            provider: 'Tavily',
            limit: 'its rate limit',
            remedy: "send it through one shared limiter, e.g. providerLimiter('…').schedule(…)",
          },
          suggestions: [],
        },
      ],
    },
    // AI SDK: embedMany without maxParallelCalls.
    {
      code: `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values });`,
      errors: [{ messageId: 'libraryFanOut', line: 3 }],
    },
    // Bedrock Runtime: recognised by the command, whatever the client.
    {
      code: `import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
const bedrock = new BedrockRuntimeClient({ region: 'us-east-1' });
export async function answerAll(questions: string[]) {
  return Promise.all(questions.map((text) => bedrock.send(new ConverseCommand({ modelId: 'anthropic.claude-3-haiku', messages: [{ role: 'user', content: [{ text }] }] }))));
}`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 4,
          data: {
            call: 'bedrock.send',
            provider: 'Amazon Bedrock',
            limit: 'its rate limit',
            remedy: "wrap the client once with throttleClient(client, { limiter: '…' })",
          },
        },
      ],
    },
    // A same-file helper counts at its call site, and the message names the inner call.
    {
      code: `import OpenAI from 'openai';
const openai = new OpenAI();
async function summarize(text: string) {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
  return completion.choices[0]?.message.content ?? '';
}
export const summarizeAll = (texts: string[]) => Promise.all(texts.map((text) => summarize(text)));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 7,
          data: {
            call: 'summarize()` → `openai.chat.completions.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
const openai = throttleClient(new OpenAI(), { limiter: 'openai' });
async function summarize(text: string) {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
  return completion.choices[0]?.message.content ?? '';
}
export const summarizeAll = (texts: string[]) => Promise.all(texts.map((text) => summarize(text)));`,
            },
          ],
        },
      ],
    },
    // Two levels of helpers, as methods: `this.answer()` → `this.complete()` → the SDK.
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
export class Triage {
  private readonly llm = new Anthropic();
  private complete(prompt: string) {
    return this.llm.messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: prompt }] });
  }
  private answer(ticket: string) {
    return this.complete(ticket);
  }
  async run(tickets: string[]) {
    for (const ticket of tickets) await this.answer(ticket);
  }
}`,
      errors: [
        {
          messageId: 'inLoop',
          line: 11,
          data: {
            call: 'this.answer()` → `this.llm.messages.create',
            provider: 'Anthropic',
            limit: "the policy's 50 requests/min",
            remedy: "wrap the client once with throttleClient(client, { limiter: 'anthropic' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import Anthropic from '@anthropic-ai/sdk';
import { throttleClient } from '@bounded/runtime';
export class Triage {
  private readonly llm = throttleClient(new Anthropic(), { limiter: 'anthropic' });
  private complete(prompt: string) {
    return this.llm.messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: prompt }] });
  }
  private answer(ticket: string) {
    return this.complete(ticket);
  }
  async run(tickets: string[]) {
    for (const ticket of tickets) await this.answer(ticket);
  }
}`,
            },
          ],
        },
      ],
    },
    // A lazily built client (`this.client ??= new OpenAI()`), reached through `await this.getClient()`.
    {
      code: `import OpenAI from 'openai';
export class Embedder {
  private client: OpenAI | undefined;
  private async getClient() {
    this.client ??= new OpenAI();
    return this.client;
  }
  async embedAll(chunks: string[]) {
    const client = await this.getClient();
    return Promise.all(chunks.map((input) => client.embeddings.create({ model: 'text-embedding-3-small', input })));
  }
}`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 10,
          data: {
            call: 'client.embeddings.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "wrap the client once with throttleClient(client, { limiter: 'openai' })",
          },
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import OpenAI from 'openai';
import { throttleClient } from '@bounded/runtime';
export class Embedder {
  private client: OpenAI | undefined;
  private async getClient() {
    this.client ??= throttleClient(new OpenAI(), { limiter: 'openai' });
    return this.client;
  }
  async embedAll(chunks: string[]) {
    const client = await this.getClient();
    return Promise.all(chunks.map((input) => client.embeddings.create({ model: 'text-embedding-3-small', input })));
  }
}`,
            },
          ],
        },
      ],
    },
    // The constructor resolved where the client is built: a require inside the constructor.
    {
      code: `export class Service {
  constructor() {
    const OpenAI = require('openai');
    this.client = new OpenAI();
  }
  async handle(req, res) {
    res.json(await this.client.chat.completions.create({ model: 'gpt-4o-mini', messages: req.body.messages }));
  }
}`,
      options: [{ reportHandlers: true }],
      errors: [
        {
          messageId: 'inHandler',
          line: 7,
          suggestions: [
            {
              messageId: 'wrapClient',
              output: `import { throttleClient } from '@bounded/runtime';
export class Service {
  constructor() {
    const OpenAI = require('openai');
    this.client = throttleClient(new OpenAI(), { limiter: 'openai' });
  }
  async handle(req, res) {
    res.json(await this.client.chat.completions.create({ model: 'gpt-4o-mini', messages: req.body.messages }));
  }
}`,
            },
          ],
        },
      ],
    },
    // A client built per request with each tenant's key: a per-key limit, not one process-wide limiter.
    {
      code: `import OpenAI from 'openai';
export async function handle(req: { headers: Record<string, string>; body: { prompts: string[] } }) {
  const openai = new OpenAI({ apiKey: req.headers['x-api-key'] });
  return Promise.all(req.body.prompts.map((prompt) => openai.responses.create({ model: 'gpt-4o-mini', input: prompt })));
}`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 4,
          data: {
            call: 'openai.responses.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy:
              "the client is built for each request with that tenant's key, and each key has its own limit: keep one limiter per key (a Map from the key to providerLimiter('openai')) and send each tenant's calls through its own, not one process-wide limiter that would throttle every tenant together",
          },
        },
      ],
    },
  ],
});

typedTester().run('no-unthrottled-provider-call (imported wrappers, typed)', rule, {
  valid: [
    // One call of the wrapper in a plain function: its callers decide.
    `import { summarize } from './llm-wrapper.js';
export const brief = (text: string) => summarize(text);`,
  ],
  invalid: [
    // With type information and no index, the declaration the checker finds is analysed.
    {
      code: `import { summarize } from './llm-wrapper.js';
export const digest = (texts: string[]) => Promise.all(texts.map((text) => summarize(text)));`,
      errors: [
        {
          messageId: 'inFanOut',
          line: 2,
          data: {
            call: 'summarize()` → `openai.chat.completions.create',
            provider: 'OpenAI',
            limit: openaiLimit,
            remedy: "send it through one shared limiter, e.g. providerLimiter('openai').schedule(…)",
          },
        },
      ],
    },
    {
      code: `import { Llm } from './llm-wrapper.js';
export async function answerAll(llm: Llm, prompts: string[]) {
  for (const prompt of prompts) await llm.complete(prompt);
}`,
      errors: [{ messageId: 'inLoop', line: 3 }],
    },
  ],
});
