import rule from '../../eslint-plugin/rules/require-timeout.js';
import { untypedTester } from './setup.js';

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
  ],
  invalid: [
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
          suggestions: [{ messageId: 'setTimeoutValue', output: `import ky from 'ky';
export const download = (url: string) => ky.get(url, { timeout: 60_000 }).blob();` }],
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
