import rule from '../../eslint-plugin/rules/no-handmade-timeout.js';
import { typedTester, untypedTester } from './setup.js';

untypedTester().run('no-handmade-timeout', rule, {
  valid: [
    // The runtime's deadline.
    `import { withTimeout } from '@bounded/runtime';
export async function load(url: string) { return withTimeout((signal) => fetch(url, { signal }), 5_000); }`,
    // A race whose timer is cleared when the race settles.
    `export async function load(work: Promise<string>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), 5000); })]);
  } finally {
    clearTimeout(timer);
  }
}`,
    // A race between two pieces of work.
    `export async function first(a: Promise<number>, b: Promise<number>) { return Promise.race([a, b]); }`,
    // An abort timer that is cleared.
    `export async function load(url: string) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try { return await fetch(url, { signal: controller.signal }); } finally { clearTimeout(timer); }
}`,
    // abort() on something that is not an AbortController.
    `export function later(job: { abort(): void }) { setTimeout(() => job.abort(), 1000); }`,
    // The timers/promises sleep.
    `import { setTimeout as delay } from 'node:timers/promises';
export async function backoff(ms: number) { await delay(ms); }`,
    // A promise whose timer does something besides settling it.
    `export function poll(check: () => boolean) { return new Promise<void>((resolve) => { const tick = () => (check() ? resolve() : setTimeout(tick, 50)); tick(); }); }`,
    // A local setTimeout that is not the timer.
    `import { setTimeout } from 'node:timers/promises';
export async function wait() { await setTimeout(10); }`,
    // promisify of something without a twin in fs/promises.
    `import { promisify } from 'node:util';
import { exec } from 'node:child_process';
export const run = promisify(exec);`,
    // Callback fs outside async code, and the promise API inside it.
    `import fs from 'node:fs';
export function read(p: string, done: (e: unknown, d?: Buffer) => void) { fs.readFile(p, done); }
export async function load(p: string) { return fs.promises.readFile(p); }`,
    // Callback fs wrapped in a promise by hand inside an async function: the executor is not async.
    `import fs from 'node:fs';
export async function load(p: string) { return new Promise<Buffer>((resolve, reject) => fs.readFile(p, (e, d) => (e ? reject(e) : resolve(d)))); }`,
    // A debounce: the handle is kept and cleared.
    `let pending: ReturnType<typeof setTimeout> | undefined;
export function schedule(fn: () => void) { clearTimeout(pending); pending = setTimeout(fn, 100); }`,
  ],
  invalid: [
    {
      code: `import { fetchUser } from './users';
export async function handler(id: string) {
  return Promise.race([fetchUser(id), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000))]);
}`,
      errors: [
        {
          messageId: 'raceTimeout',
          line: 3,
          data: { ms: '5000' },
          suggestions: [
            {
              messageId: 'useWithTimeout',
              data: { ms: '5000' },
              output: `import { fetchUser } from './users';
import { withTimeout } from '@bounded/runtime';
export async function handler(id: string) {
  return withTimeout(() => fetchUser(id), 5000);
}`,
            },
          ],
        },
      ],
    },
    {
      // A timeout helper of the file, raced: reported at the race; the runtime import is merged.
      code: `import { mapBounded } from '@bounded/runtime';
const timeout = (ms: number) => new Promise<never>((_, reject) => setTimeout(reject, ms, new Error('timeout')));
export async function all(items: string[], work: (s: string) => Promise<string>) {
  return mapBounded(items, (item) => Promise.race([work(item), timeout(3000)]));
}`,
      errors: [
        {
          messageId: 'raceTimeout',
          line: 4,
          suggestions: [
            {
              messageId: 'useWithTimeout',
              output: `import { mapBounded, withTimeout } from '@bounded/runtime';
const timeout = (ms: number) => new Promise<never>((_, reject) => setTimeout(reject, ms, new Error('timeout')));
export async function all(items: string[], work: (s: string) => Promise<string>) {
  return mapBounded(items, (item) => withTimeout(() => work(item), 3000));
}`,
            },
          ],
        },
      ],
    },
    {
      // A fallback value on timeout is another behaviour than a TimeoutError: reported, no suggestion.
      code: `export async function cached(load: Promise<string>) {
  return Promise.race([load, new Promise<string>((resolve) => setTimeout(() => resolve('stale'), 200))]);
}`,
      errors: [{ messageId: 'raceTimeout', line: 2, suggestions: [] }],
    },
    {
      code: `export async function get(url: string) {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 10_000);
  return fetch(url, { signal: controller.signal });
}`,
      errors: [{ messageId: 'abortTimer', line: 3, data: { controller: 'controller', ms: '10_000' } }],
    },
    {
      // Kept but never cleared.
      code: `export async function get(url: string) {
  const ac = new AbortController();
  const timer = setTimeout(ac.abort.bind(ac), 3000);
  return fetch(url, { signal: ac.signal });
}`,
      errors: [{ messageId: 'abortTimer', line: 3, data: { controller: 'ac', ms: '3000' } }],
    },
    {
      code: `import { log } from './log';
export async function retry<T>(fn: () => Promise<T>) {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (e) { log(e); await new Promise((r) => setTimeout(r, 2 ** i * 100)); }
  }
}`,
      errors: [
        {
          messageId: 'sleep',
          line: 4,
          data: { ms: '2 ** i * 100' },
          suggestions: [
            {
              messageId: 'useTimersPromises',
              data: { ms: '2 ** i * 100', name: 'delay' },
              output: `import { log } from './log';
import { setTimeout as delay } from 'node:timers/promises';
export async function retry<T>(fn: () => Promise<T>) {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (e) { log(e); await delay(2 ** i * 100); }
  }
}`,
            },
          ],
        },
      ],
    },
    {
      // An existing import of timers/promises' setTimeout is reused.
      code: `import { setTimeout as wait } from 'timers/promises';
export const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(() => resolve(), ms); });`,
      errors: [
        {
          messageId: 'sleep',
          line: 2,
          suggestions: [
            {
              messageId: 'useTimersPromises',
              output: `import { setTimeout as wait } from 'timers/promises';
export const sleep = (ms: number) => wait(ms);`,
            },
          ],
        },
      ],
    },
    {
      // A CommonJS file cannot take the import: reported without a suggestion.
      code: `module.exports.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));`,
      errors: [{ messageId: 'sleep', line: 1, suggestions: [] }],
    },
    {
      code: `import fs from 'node:fs';
import util from 'node:util';
const readFile = util.promisify(fs.readFile);`,
      errors: [
        {
          messageId: 'promisify',
          line: 3,
          data: { call: 'util.promisify(fs.readFile)', replacement: 'fs.promises.readFile' },
          suggestions: [
            {
              messageId: 'useFsPromises',
              output: `import fs from 'node:fs';
import util from 'node:util';
const readFile = fs.promises.readFile;`,
            },
          ],
        },
      ],
    },
    {
      code: `const { promisify } = require('util');
const { stat } = require('fs');
const statAsync = promisify(stat);`,
      errors: [{ messageId: 'promisify', line: 3, suggestions: [] }],
    },
    {
      code: `import * as fs from 'fs';
export async function save(path: string, data: string) {
  fs.writeFile(path, data, (err) => { if (err) console.error(err); });
}`,
      errors: [{ messageId: 'callbackFs', line: 3, data: { call: 'fs.writeFile', replacement: 'fs.promises.writeFile' } }],
    },
  ],
});

typedTester().run('no-handmade-timeout (typed)', rule, {
  valid: [
    // The type says it is no AbortController.
    `class Job { abort() {} }
export function later(job: Job) { setTimeout(() => job.abort(), 1000); }`,
  ],
  invalid: [
    {
      // An AbortController that is a parameter: only type information tells.
      code: `export function arm(controller: AbortController, ms: number) { setTimeout(() => controller.abort(), ms); }`,
      errors: [{ messageId: 'abortTimer', line: 1 }],
    },
  ],
});

untypedTester().run('no-handmade-timeout (strict)', rule, {
  valid: [],
  invalid: [
    {
      code: `import fs from 'node:fs';
export function read(p: string, done: (e: unknown, d?: Buffer) => void) { fs.readFile(p, (e, d) => done(e, d)); }
export function later(job: { abort(): void }) { setTimeout(() => job.abort(), 1000); }`,
      options: [{ strict: true }],
      errors: [
        { messageId: 'callbackFs', line: 2 },
        { messageId: 'abortTimer', line: 3 },
      ],
    },
  ],
});
