import { expect, it } from 'vitest';
import plugin from '../../eslint-plugin/index.js';
import rule from '../../eslint-plugin/rules/require-timeout.js';
import { untypedTester } from './setup.js';

it('the strict config reports SDK defaults as well as what strict reports', () => {
  expect(plugin.configs.strict.rules?.['bounded/require-timeout']).toEqual(['error', { strict: true, reportSdkDefaults: true }]);
  expect(plugin.configs.recommended.rules?.['bounded/require-timeout']).toBe('error');
});

/**
 * require-timeout over the catalog's clients beyond fetch/axios/got: options held in a variable
 * or built by a helper, ky's own default, superagent's chained timeout, the AI SDK's
 * abortSignal, SDKs whose default deadline is short enough, and ones that take `timeoutMs`.
 */
untypedTester().run('require-timeout (catalog)', rule, {
  valid: [
    // Options held in a variable are read like inline ones: this one has a deadline.
    `const init = { method: 'POST', signal: AbortSignal.timeout(5_000) };
export const post = (url: string) => fetch(url, init);`,
    // ky times out after 10 s unless told otherwise.
    `import ky from 'ky';
export const getUser = (id: string) => ky.get(\`https://api.example.com/users/\${id}\`).json();`,
    // A ky instance made with a prefix URL keeps ky's 10 s default, and so does an instance extending it.
    `import ky from 'ky';
const api = ky.create({ prefixUrl: 'https://api.example.com' });
const authed = api.extend({ headers: { authorization: 'Bearer x' } });
export const getUser = (id: string) => api.get(\`users/\${id}\`).json();
export const getMe = () => authed.get('me').json();`,
    // …and one given as a parameter's default value.
    `import ky from 'ky';
export function getUser(id: string, client = ky.extend({ prefixUrl: 'https://api.example.com' })) {
  return client.get(\`users/\${id}\`).json();
}`,
    // superagent with its chained deadline.
    `import superagent from 'superagent';
export const getUser = (id: string) => superagent.get(\`https://api.example.com/users/\${id}\`).set('accept', 'application/json').timeout(5_000);`,
    // Groq's default deadline (1 minute) is no longer than the policy's.
    `import Groq from 'groq-sdk';
const groq = new Groq();
export const answer = (q: string) => groq.chat.completions.create({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: q }] });`,
    // The AI SDK with an abort signal.
    `import { generateText } from 'ai';
import { openai } from '@ai-sdk/openai';
export const answer = (prompt: string) => generateText({ model: openai('gpt-4o-mini'), prompt, abortSignal: AbortSignal.timeout(30_000) });`,
    // An SDK's own default deadline (OpenAI's 10 minutes) is a deadline unless reportSdkDefaults asks for a shorter one.
    `import OpenAI from 'openai';
const openai = new OpenAI();
export const moderate = (input: string) => openai.moderations.create({ input });`,
    // LangChain models built on the OpenAI and Anthropic SDKs keep those SDKs' default deadline…
    `import { OpenAIEmbeddings } from '@langchain/openai';
const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small' });
export const embedAll = (texts: string[]) => embeddings.embedDocuments(texts);`,
    // …also through a model derived from them.
    `import { ChatAnthropic } from '@langchain/anthropic';
const model = new ChatAnthropic({ model: 'claude-sonnet-4-5' });
const extractor = model.withStructuredOutput({ type: 'object', properties: {} });
export const extract = (text: string) => extractor.invoke(text);`,
    // Google GenAI takes its signal in the call's \`config\`; a controller a timer aborts, built earlier, counts.
    `import { GoogleGenAI } from '@google/genai';
const ai = new GoogleGenAI({});
export async function headline(text: string) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    return await ai.models.generateContent({ model: 'gemini-2.0-flash', contents: text, config: { abortSignal: controller.signal } });
  } finally {
    clearTimeout(timer);
  }
}`,
    // A chain over a model built with a timeout has that deadline.
    `import { ChatOllama } from '@langchain/ollama';
import { PromptTemplate } from '@langchain/core/prompts';
const llm = new ChatOllama({ model: 'llama3.1', timeout: 30_000 });
const chain = PromptTemplate.fromTemplate('Summarize {text}').pipe(llm);
export const summarize = (text: string) => chain.invoke({ text });`,
    // AI SDK embedMany with a signal: a library fan-out still takes one.
    `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values, abortSignal: AbortSignal.timeout(30_000) });`,
  ],
  invalid: [
    // A LangChain model on the OpenAI SDK, with reportSdkDefaults: its 10-minute default is named.
    {
      code: `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini' });
export const answer = (q: string) => model.invoke(q);`,
      options: [{ reportSdkDefaults: true }],
      errors: [
        {
          messageId: 'defaultTimeout',
          line: 3,
          data: { call: 'model.invoke', provider: 'OpenAI', duration: '10 minutes', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini' });
export const answer = (q: string) => model.invoke(q, { timeout: 60_000 });`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import { ChatOpenAI } from '@langchain/openai';
const model = new ChatOpenAI({ model: 'gpt-4o-mini', timeout: 60_000 });
export const answer = (q: string) => model.invoke(q);`,
            },
          ],
        },
      ],
    },
    // A LangChain model on a library with no default deadline is still reported without reportSdkDefaults.
    {
      code: `import { ChatMistralAI } from '@langchain/mistralai';
const model = new ChatMistralAI({ model: 'mistral-small-latest' });
export const answer = (q: string) => model.invoke(q);`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { ChatMistralAI } from '@langchain/mistralai';
const model = new ChatMistralAI({ model: 'mistral-small-latest' });
export const answer = (q: string) => model.invoke(q, { timeout: 60_000 });`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import { ChatMistralAI } from '@langchain/mistralai';
const model = new ChatMistralAI({ model: 'mistral-small-latest', timeout: 60_000 });
export const answer = (q: string) => model.invoke(q);`,
            },
          ],
        },
      ],
    },
    // A chain over a model with no default deadline and none given: the model is where to add one.
    {
      code: `import { ChatOllama } from '@langchain/ollama';
import { PromptTemplate } from '@langchain/core/prompts';
const llm = new ChatOllama({ model: 'llama3.1' });
const chain = PromptTemplate.fromTemplate('Summarize {text}').pipe(llm);
export const summarize = (text: string) => chain.invoke({ text });`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 5,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { ChatOllama } from '@langchain/ollama';
import { PromptTemplate } from '@langchain/core/prompts';
const llm = new ChatOllama({ model: 'llama3.1' });
const chain = PromptTemplate.fromTemplate('Summarize {text}').pipe(llm);
export const summarize = (text: string) => chain.invoke({ text }, { timeout: 60_000 });`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import { ChatOllama } from '@langchain/ollama';
import { PromptTemplate } from '@langchain/core/prompts';
const llm = new ChatOllama({ model: 'llama3.1', timeout: 60_000 });
const chain = PromptTemplate.fromTemplate('Summarize {text}').pipe(llm);
export const summarize = (text: string) => chain.invoke({ text });`,
            },
          ],
        },
      ],
    },
    // A Google GenAI config without a signal is no deadline.
    {
      code: `import { GoogleGenAI } from '@google/genai';
const ai = new GoogleGenAI({});
export const headline = (text: string) => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: text, config: { temperature: 0 } });`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { GoogleGenAI } from '@google/genai';
const ai = new GoogleGenAI({});
export const headline = (text: string) => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: text, config: { temperature: 0, abortSignal: AbortSignal.timeout(60_000) } });`,
            },
          ],
        },
      ],
    },
    // Without a config, the suggestion adds one: the SDK ignores a top-level abortSignal.
    {
      code: `import { GoogleGenAI } from '@google/genai';
const ai = new GoogleGenAI({});
export const headline = (text: string) => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: text });`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          data: {
            call: 'ai.models.generateContent',
            peer: 'Google GenAI API',
            option: 'config: { abortSignal: AbortSignal.timeout(60_000) }',
            options: '',
          },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { GoogleGenAI } from '@google/genai';
const ai = new GoogleGenAI({});
export const headline = (text: string) => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: text, config: { abortSignal: AbortSignal.timeout(60_000) } });`,
            },
          ],
        },
      ],
    },
    // A config held in a variable: nothing to add the signal to without guessing (strict reports it, suggests nothing on the call).
    {
      code: `import { GoogleGenAI } from '@google/genai';
const ai = new GoogleGenAI({});
export const headline = (text: string, config: object) => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: text, config });`,
      options: [{ strict: true }],
      errors: [{ messageId: 'unverifiedTimeout', line: 3, suggestions: [] }],
    },
    // An SDK default does not excuse a call that turns its deadline off.
    {
      code: `import Anthropic from '@anthropic-ai/sdk';
const anthropic = new Anthropic();
export const longRun = (content: string) => anthropic.messages.create({ model: 'claude-opus-4-1', max_tokens: 4096, messages: [{ role: 'user', content }] }, { timeout: 0 });`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import Anthropic from '@anthropic-ai/sdk';
const anthropic = new Anthropic();
export const longRun = (content: string) => anthropic.messages.create({ model: 'claude-opus-4-1', max_tokens: 4096, messages: [{ role: 'user', content }] }, { timeout: 60_000 });`,
            },
          ],
        },
      ],
    },
    // AI SDK embedMany fans out inside the library, and each of its requests still needs a deadline.
    {
      code: `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values, maxParallelCalls: 2 });`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { embedMany } from 'ai';
import { openai } from '@ai-sdk/openai';
export const embedAll = (values: string[]) => embedMany({ model: openai.embedding('text-embedding-3-small'), values, maxParallelCalls: 2, abortSignal: AbortSignal.timeout(60_000) });`,
            },
          ],
        },
      ],
    },
    // Options held in a variable, with no deadline in them.
    {
      code: `const init = { method: 'POST' };
export const post = (url: string) => fetch(url, init);`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          suggestions: [
            {
              messageId: 'addSignal',
              output: `const init = { method: 'POST' };
export const post = (url: string) => fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });`,
            },
          ],
        },
      ],
    },
    // Options built by a same-file function.
    {
      code: `import axios from 'axios';
function options() {
  return { headers: { accept: 'application/json' } };
}
export const getUser = (id: string) => axios.get(\`https://api.example.com/users/\${id}\`, options());`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 5,
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import axios from 'axios';
function options() {
  return { headers: { accept: 'application/json' } };
}
export const getUser = (id: string) => axios.get(\`https://api.example.com/users/\${id}\`, { ...options(), timeout: 60_000 });`,
            },
          ],
        },
      ],
    },
    // ky with its deadline turned off.
    {
      code: `import ky from 'ky';
export const download = (url: string) => ky.get(url, { timeout: false }).blob();`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 2,
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import ky from 'ky';
export const download = (url: string) => ky.get(url, { timeout: 60_000 }).blob();`,
            },
          ],
        },
      ],
    },
    // A ky instance made with its deadline off: each call through it has none (D2), reported at the call.
    {
      code: `import ky from 'ky';
const api = ky.create({ prefixUrl: 'https://api.example.com', timeout: false });
export const getUser = (id: string) => api.get(\`users/\${id}\`).json();`,
      errors: [
        {
          messageId: 'instanceTimeoutOff',
          line: 3,
          data: { call: 'api.get', instance: 'api', setting: 'timeout: false', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import ky from 'ky';
const api = ky.create({ prefixUrl: 'https://api.example.com', timeout: false });
export const getUser = (id: string) => api.get(\`users/\${id}\`, { timeout: 60_000 }).json();`,
            },
            {
              messageId: 'setTimeoutValue',
              output: `import ky from 'ky';
const api = ky.create({ prefixUrl: 'https://api.example.com', timeout: 60_000 });
export const getUser = (id: string) => api.get(\`users/\${id}\`).json();`,
            },
          ],
        },
      ],
    },
    // An exported ky instance made with its deadline off and not called here: reported where it is made.
    {
      code: `import ky from 'ky';
export const api = ky.create({ prefixUrl: 'https://api.example.com', timeout: false });`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 2,
          data: { call: 'ky.create', setting: 'timeout: false', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import ky from 'ky';
export const api = ky.create({ prefixUrl: 'https://api.example.com', timeout: 60_000 });`,
            },
          ],
        },
      ],
    },
    // An instance extending another one turns the deadline off for every call through it.
    {
      code: `import ky from 'ky';
const base = ky.create({ prefixUrl: 'https://api.example.com' });
const api = base.extend({ timeout: false });
export const getUser = (id: string) => api.get(\`users/\${id}\`).json();`,
      errors: [
        {
          messageId: 'instanceTimeoutOff',
          line: 4,
          data: { call: 'api.get', instance: 'api', setting: 'timeout: false', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import ky from 'ky';
const base = ky.create({ prefixUrl: 'https://api.example.com' });
const api = base.extend({ timeout: false });
export const getUser = (id: string) => api.get(\`users/\${id}\`, { timeout: 60_000 }).json();`,
            },
            {
              messageId: 'setTimeoutValue',
              output: `import ky from 'ky';
const base = ky.create({ prefixUrl: 'https://api.example.com' });
const api = base.extend({ timeout: 60_000 });
export const getUser = (id: string) => api.get(\`users/\${id}\`).json();`,
            },
          ],
        },
      ],
    },
    // A default parameter value that turns ky's deadline off.
    {
      code: `import ky from 'ky';
export function download(url: string, client = ky.extend({ timeout: false })) {
  return client.get(url).blob();
}`,
      errors: [
        {
          messageId: 'instanceTimeoutOff',
          line: 3,
          data: { call: 'client.get', instance: 'client', setting: 'timeout: false', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import ky from 'ky';
export function download(url: string, client = ky.extend({ timeout: false })) {
  return client.get(url, { timeout: 60_000 }).blob();
}`,
            },
            {
              messageId: 'setTimeoutValue',
              output: `import ky from 'ky';
export function download(url: string, client = ky.extend({ timeout: 60_000 })) {
  return client.get(url).blob();
}`,
            },
          ],
        },
      ],
    },
    // The module itself as a destructured parameter's default (`{ ky = defaultKy }`), extended with the deadline off in a
    // constructor: calls through the field have none, unless they set their own.
    {
      code: `import defaultKy, { type KyInstance } from 'ky';
export class Scraper {
  private readonly ky: KyInstance;
  constructor({ ky = defaultKy }: { ky?: KyInstance } = {}) {
    this.ky = ky.extend({ prefixUrl: 'https://api.example.com', timeout: false });
  }
  scrape(url: string) {
    return this.ky.post('scrape', { json: { url } }).json();
  }
  status(id: string) {
    return this.ky.get(\`status/\${id}\`, { timeout: 20_000 }).json();
  }
}`,
      errors: [
        {
          messageId: 'instanceTimeoutOff',
          line: 8,
          data: { call: 'this.ky.post', instance: 'this.ky', setting: 'timeout: false', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import defaultKy, { type KyInstance } from 'ky';
export class Scraper {
  private readonly ky: KyInstance;
  constructor({ ky = defaultKy }: { ky?: KyInstance } = {}) {
    this.ky = ky.extend({ prefixUrl: 'https://api.example.com', timeout: false });
  }
  scrape(url: string) {
    return this.ky.post('scrape', { json: { url }, timeout: 60_000 }).json();
  }
  status(id: string) {
    return this.ky.get(\`status/\${id}\`, { timeout: 20_000 }).json();
  }
}`,
            },
            {
              messageId: 'setTimeoutValue',
              output: `import defaultKy, { type KyInstance } from 'ky';
export class Scraper {
  private readonly ky: KyInstance;
  constructor({ ky = defaultKy }: { ky?: KyInstance } = {}) {
    this.ky = ky.extend({ prefixUrl: 'https://api.example.com', timeout: 60_000 });
  }
  scrape(url: string) {
    return this.ky.post('scrape', { json: { url } }).json();
  }
  status(id: string) {
    return this.ky.get(\`status/\${id}\`, { timeout: 20_000 }).json();
  }
}`,
            },
          ],
        },
      ],
    },
    // A call that turns the deadline off on an instance made with a prefix URL.
    {
      code: `import ky from 'ky';
const api = ky.create({ prefixUrl: 'https://api.example.com' });
export const download = (path: string) => api.get(path, { timeout: false }).blob();`,
      errors: [
        {
          messageId: 'disabledTimeout',
          line: 3,
          data: { call: 'api.get', setting: 'timeout: false', option: 'timeout: 60_000' },
          suggestions: [
            {
              messageId: 'setTimeoutValue',
              output: `import ky from 'ky';
const api = ky.create({ prefixUrl: 'https://api.example.com' });
export const download = (path: string) => api.get(path, { timeout: 60_000 }).blob();`,
            },
          ],
        },
      ],
    },
    // superagent without `.timeout(ms)`.
    {
      code: `import superagent from 'superagent';
export const getUser = (id: string) => superagent.get(\`https://api.example.com/users/\${id}\`).set('accept', 'application/json');`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 2,
          data: { call: 'superagent.get', peer: 'server', option: '.timeout(60_000)', options: '' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import superagent from 'superagent';
export const getUser = (id: string) => superagent.get(\`https://api.example.com/users/\${id}\`).timeout(60_000).set('accept', 'application/json');`,
            },
          ],
        },
      ],
    },
    // The AI SDK: generateText without an abort signal.
    {
      code: `import { generateText } from 'ai';
import { anthropic } from '@ai-sdk/anthropic';
export const answer = (prompt: string) => generateText({ model: anthropic('claude-haiku-4-5'), prompt });`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          data: { call: 'generateText', peer: 'Anthropic API', option: 'abortSignal: AbortSignal.timeout(60_000)', options: '' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { generateText } from 'ai';
import { anthropic } from '@ai-sdk/anthropic';
export const answer = (prompt: string) => generateText({ model: anthropic('claude-haiku-4-5'), prompt, abortSignal: AbortSignal.timeout(60_000) });`,
            },
          ],
        },
      ],
    },
    // Mistral takes `timeoutMs`.
    {
      code: `import { Mistral } from '@mistralai/mistralai';
const mistral = new Mistral({ apiKey: process.env.MISTRAL_API_KEY });
export const answer = (q: string) => mistral.chat.complete({ model: 'mistral-small-latest', messages: [{ role: 'user', content: q }] });`,
      errors: [
        {
          messageId: 'missingTimeout',
          line: 3,
          data: { call: 'mistral.chat.complete', peer: 'Mistral API', option: 'timeoutMs: 60_000', options: '' },
          suggestions: [
            {
              messageId: 'addTimeout',
              output: `import { Mistral } from '@mistralai/mistralai';
const mistral = new Mistral({ apiKey: process.env.MISTRAL_API_KEY });
export const answer = (q: string) => mistral.chat.complete({ model: 'mistral-small-latest', messages: [{ role: 'user', content: q }] }, { timeoutMs: 60_000 });`,
            },
            {
              messageId: 'addClientTimeout',
              output: `import { Mistral } from '@mistralai/mistralai';
const mistral = new Mistral({ apiKey: process.env.MISTRAL_API_KEY, timeoutMs: 60_000 });
export const answer = (q: string) => mistral.chat.complete({ model: 'mistral-small-latest', messages: [{ role: 'user', content: q }] });`,
            },
          ],
        },
      ],
    },
  ],
});
