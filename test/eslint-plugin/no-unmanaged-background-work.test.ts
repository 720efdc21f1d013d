import rule from '../../eslint-plugin/rules/no-unmanaged-background-work.js';
import { typedTester, untypedTester } from './setup.js';

untypedTester().run('no-unmanaged-background-work', rule, {
  valid: [
    // Awaited, returned, kept, or handled.
    `async function sendEmail(to: string) {}
export async function signup(email: string) { await sendEmail(email); }`,
    `async function sendEmail(to: string) {}
export async function signup(email: string) { return sendEmail(email); }`,
    `async function sendEmail(to: string) {}
export async function signup(email: string, log: (e: unknown) => void) { sendEmail(email).catch(log); }`,
    `async function sendEmail(to: string) {}
export async function signup(email: string, log: (e: unknown) => void) { sendEmail(email).then(() => {}, log); }`,
    `async function sendEmail(to: string) {}
export async function signup(email: string) { const sent = sendEmail(email); await sent; }`,
    // Through a tracked runner.
    `import { background } from '@bounded/runtime';
async function sendEmail(to: string) {}
export async function signup(email: string) { background(() => sendEmail(email)); }`,
    `import { createBackgroundRunner } from '@bounded/runtime';
const jobs = createBackgroundRunner({ concurrency: 4 });
async function sendEmail(to: string) {}
export async function signup(email: string) { jobs.run(() => sendEmail(email)); }`,
    `import PQueue from 'p-queue';
const queue = new PQueue({ concurrency: 2 });
async function reindex(id: string) {}
export async function save(id: string) { queue.add(() => reindex(id)); }`,
    `export default { async fetch(request: Request, env: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) { ctx.waitUntil(fetch('https://log.internal')); return new Response('ok'); } };`,
    // A runner named by option.
    {
      code: `async function audit(e: string) {}
declare const jobs: { enqueue(fn: () => Promise<void>): void };
export async function handle(e: string) { jobs.enqueue(() => audit(e)); }`,
      options: [{ runners: ['jobs.enqueue'] }],
    },
    // A synchronous function, or a call that is not known to return a promise.
    `function log(m: string) {}
export async function handle(m: string) { log(m); }`,
    `import { notify } from './notify';
export async function handle(m: string) { notify(m); }`,
    // Start-up: module scope and plain functions are not per call.
    `async function warm() {}
warm();`,
    `import { Worker } from 'node:worker_threads';
const worker = new Worker('./resize.js');
export async function resize(img: Buffer) { worker.postMessage(img); }`,
    // A pool of workers.
    `import Piscina from 'piscina';
import { Worker } from 'node:worker_threads';
const pool = new Piscina({ filename: './resize.js' });
export async function resize(img: Buffer) { return pool.run(img); }`,
    // An async interval with a guard, and a cleared one.
    `let running = false;
setInterval(async () => {
  if (running) return;
  running = true;
  try { await fetch('https://example.com'); } finally { running = false; }
}, 1000);`,
    `export function watch(check: () => void) { const timer = setInterval(check, 100); return () => clearInterval(timer); }`,
    // A synchronous interval at start-up is a daemon, not a per-call leak.
    `const stats = { n: 0 }; setInterval(() => { stats.n = 0; }, 60_000);`,
    // A synchronous deferred callback, and an async one at start-up.
    `export function later(res: { end(): void }) { setImmediate(() => res.end()); }`,
    `setTimeout(async () => { await fetch('https://warm.internal'); }, 0);`,
    // bounded's every.
    `import { every } from '@bounded/runtime';
every(1000, async () => { await fetch('https://example.com'); });`,
    // Start-up and shutdown hooks run once (B-N3): a hook by name, the closure it returns, a signal's listener.
    `async function checkUpdates() {}
export async function start(id: number) { void checkUpdates(); setInterval(checkUpdates, 86_400_000).unref(); }`,
    `declare function failExit(): Promise<void>;
export class Command { protected onTerminate() { return async () => { setTimeout(async () => { await failExit(); }, 30_000); }; } }`,
    `declare function flush(): Promise<void>;
process.on('SIGTERM', async () => { setTimeout(async () => { await flush(); }, 1000); });`,
    `async function warm() {}
export async function main() { warm(); }`,
  ],
  invalid: [
    // A request handler registered inside a start-up hook still runs per request.
    {
      code: `declare const router: { get(path: string, fn: (ctx: unknown) => Promise<void>): void };
export async function start() { router.get('/health', async (ctx) => { setInterval(() => {}, 1000); }); }`,
      errors: [{ messageId: 'intervalPerCall', line: 2 }],
    },
    // A per-call method named otherwise, and a closure returned by a function that is no hook.
    {
      code: `declare function report(): Promise<void>;
export class Command { async handleRun() { setTimeout(async () => { await report(); }, 1000); } }`,
      errors: [{ messageId: 'scheduledAsync', line: 2 }],
    },
    {
      code: `declare function report(): Promise<void>;
export function makeHandler() { return async () => { setInterval(() => {}, 1000); }; }`,
      errors: [{ messageId: 'intervalPerCall', line: 2 }],
    },
    {
      code: `import express from 'express';
const app = express();
async function sendWelcomeEmail(to: string) {}
app.post('/signup', (req, res) => {
  sendWelcomeEmail(req.body.email);
  res.sendStatus(201);
});`,
      errors: [
        {
          messageId: 'floating',
          line: 5,
          data: { call: 'sendWelcomeEmail()' },
          suggestions: [
            {
              messageId: 'useBackground',
              output: `import express from 'express';
import { background } from '@bounded/runtime';
const app = express();
async function sendWelcomeEmail(to: string) {}
app.post('/signup', (req, res) => {
  background(() => sendWelcomeEmail(req.body.email));
  res.sendStatus(201);
});`,
            },
          ],
        },
      ],
    },
    {
      // void, a .then without a rejection handler, a method of the class, fetch and fs/promises.
      code: `import { writeFile } from 'node:fs/promises';
export class Orders {
  async audit(id: string) {}
  async place(id: string) {
    void this.audit(id);
    fetch('https://hooks.internal/placed').then(() => {});
    writeFile('/tmp/last', id);
  }
}`,
      errors: [
        {
          messageId: 'floating',
          line: 5,
          suggestions: [
            {
              messageId: 'useBackground',
              output: `import { writeFile } from 'node:fs/promises';
import { background } from '@bounded/runtime';
export class Orders {
  async audit(id: string) {}
  async place(id: string) {
    background(() => this.audit(id));
    fetch('https://hooks.internal/placed').then(() => {});
    writeFile('/tmp/last', id);
  }
}`,
            },
            {
              messageId: 'addAwait',
              output: `import { writeFile } from 'node:fs/promises';
export class Orders {
  async audit(id: string) {}
  async place(id: string) {
    await this.audit(id);
    fetch('https://hooks.internal/placed').then(() => {});
    writeFile('/tmp/last', id);
  }
}`,
            },
          ],
        },
        {
          messageId: 'floating',
          line: 6,
          data: { call: 'fetch()' },
          suggestions: [
            {
              messageId: 'useBackground',
              output: `import { writeFile } from 'node:fs/promises';
import { background } from '@bounded/runtime';
export class Orders {
  async audit(id: string) {}
  async place(id: string) {
    void this.audit(id);
    background(() => fetch('https://hooks.internal/placed').then(() => {}));
    writeFile('/tmp/last', id);
  }
}`,
            },
            {
              messageId: 'addAwait',
              output: `import { writeFile } from 'node:fs/promises';
export class Orders {
  async audit(id: string) {}
  async place(id: string) {
    void this.audit(id);
    await fetch('https://hooks.internal/placed').then(() => {});
    writeFile('/tmp/last', id);
  }
}`,
            },
          ],
        },
        {
          messageId: 'floating',
          line: 7,
          suggestions: [
            {
              messageId: 'useBackground',
              output: `import { writeFile } from 'node:fs/promises';
import { background } from '@bounded/runtime';
export class Orders {
  async audit(id: string) {}
  async place(id: string) {
    void this.audit(id);
    fetch('https://hooks.internal/placed').then(() => {});
    background(() => writeFile('/tmp/last', id));
  }
}`,
            },
            {
              messageId: 'addAwait',
              output: `import { writeFile } from 'node:fs/promises';
export class Orders {
  async audit(id: string) {}
  async place(id: string) {
    void this.audit(id);
    fetch('https://hooks.internal/placed').then(() => {});
    await writeFile('/tmp/last', id);
  }
}`,
            },
          ],
        },
      ],
    },
    {
      code: `import { Worker } from 'node:worker_threads';
export async function resize(img: Buffer) {
  const worker = new Worker('./resize.js', { workerData: img });
  return new Promise((resolve) => worker.once('message', resolve));
}`,
      errors: [{ messageId: 'perCallThread', line: 3 }],
    },
    {
      code: `const { spawn } = require('child_process');
module.exports = (req, res) => { spawn('convert', [req.query.file]).stdout.pipe(res); };`,
      errors: [{ messageId: 'perCallThread', line: 2 }],
    },
    {
      code: `async function refresh() {}
setInterval(async () => { await refresh(); }, 5000);`,
      errors: [
        {
          messageId: 'overlappingInterval',
          line: 2,
          data: { ms: '5000' },
          suggestions: [
            {
              messageId: 'useEvery',
              output: `import { every } from '@bounded/runtime';
async function refresh() {}
every(5000, async () => { await refresh(); });`,
            },
          ],
        },
      ],
    },
    {
      code: `import express from 'express';
const app = express();
app.post('/hooks', (req, res) => {
  res.status(202).end();
  setImmediate(async () => {
    await fetch('https://hooks.internal', { method: 'POST' });
  });
});`,
      errors: [
        {
          messageId: 'scheduledAsync',
          line: 5,
          data: { call: 'setImmediate' },
          suggestions: [
            {
              messageId: 'useBackground',
              output: `import express from 'express';
import { background } from '@bounded/runtime';
const app = express();
app.post('/hooks', (req, res) => {
  res.status(202).end();
  background(async () => {
    await fetch('https://hooks.internal', { method: 'POST' });
  });
});`,
            },
          ],
        },
      ],
    },
    {
      code: `export async function handle(id: string) { setTimeout(async () => { await fetch(\`https://x.internal/\${id}\`); }, 1000); }`,
      errors: [{ messageId: 'scheduledAsync', line: 1, suggestions: [] }],
    },
    {
      // Kept in a variable: every() returns no interval id, so no suggestion.
      code: `export const poller = setInterval(async () => { await fetch('https://example.com'); }, 1000);`,
      errors: [{ messageId: 'overlappingInterval', line: 1, suggestions: [] }],
    },
    {
      code: `export async function subscribe(id: string, send: (s: string) => void) {
  setInterval(() => send(id), 1000);
}`,
      errors: [{ messageId: 'intervalPerCall', line: 2 }],
    },
  ],
});

typedTester().run('no-unmanaged-background-work (typed)', rule, {
  valid: [
    // A promise held in a variable, handled where it is left: the loser of a race, a cached subscription.
    `async function sendEmail(to: string) {}
export async function signup(email: string) {
  const attempt = sendEmail(email);
  try { await Promise.race([attempt, new Promise((r) => setTimeout(r, 10))]); } finally { attempt.catch(() => undefined); }
}`,
    // The type says it returns no promise.
    `declare function log(m: string): void;
export async function handle(m: string) { log(m); }`,
  ],
  invalid: [
    {
      // An imported or declared function: only its type says it returns a promise.
      code: `declare function notify(m: string): Promise<void>;
export async function handle(m: string) { notify(m); }`,
      errors: [
        {
          messageId: 'floating',
          line: 2,
          suggestions: [
            {
              messageId: 'useBackground',
              output: `import { background } from '@bounded/runtime';
declare function notify(m: string): Promise<void>;
export async function handle(m: string) { background(() => notify(m)); }`,
            },
            {
              messageId: 'addAwait',
              output: `declare function notify(m: string): Promise<void>;
export async function handle(m: string) { await notify(m); }`,
            },
          ],
        },
      ],
    },
  ],
});

untypedTester().run('no-unmanaged-background-work (strict)', rule, {
  valid: [],
  invalid: [
    {
      code: `import { Worker } from 'node:worker_threads';
async function flush() {}
export function onMessage() { flush(); }
export async function handle() { const start = () => new Worker('./w.js'); return start(); }`,
      options: [{ strict: true }],
      errors: [
        {
          messageId: 'floating',
          line: 3,
          suggestions: [
            {
              messageId: 'useBackground',
              output: `import { Worker } from 'node:worker_threads';
import { background } from '@bounded/runtime';
async function flush() {}
export function onMessage() { background(() => flush()); }
export async function handle() { const start = () => new Worker('./w.js'); return start(); }`,
            },
          ],
        },
        { messageId: 'perCallThread', line: 4 },
      ],
    },
  ],
});
