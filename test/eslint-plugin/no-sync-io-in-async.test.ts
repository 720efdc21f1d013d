import rule from '../../eslint-plugin/rules/no-sync-io-in-async.js';
import { untypedTester } from './setup.js';

untypedTester().run('no-sync-io-in-async', rule, {
  valid: [
    // Once per process: a lazy initialisation behind a flag it sets (Outline's HTMLHelper.inlineCSS).
    `import fs from 'node:fs';
let initialized = false;
export class Html {
  static async inline(html: string) {
    if (!initialized) {
      await initWasm(fs.readFileSync(require.resolve('css-inline/index_bg.wasm')));
      initialized = true;
    }
    return html;
  }
}`,
    // Memoised into a module or instance field: read on the first call only.
    `import { readFileSync } from 'node:fs';
let template: string | undefined;
export async function render(name: string) {
  template ??= readFileSync('template.html', 'utf8');
  return template.replace('{{name}}', name);
}`,
    `import { readFileSync } from 'node:fs';
export class Keys {
  private key?: Buffer;
  async sign(data: string) {
    if (this.key === undefined) this.key = readFileSync('key.pem');
    return data + this.key.length;
  }
}`,
    // Start-up code may block: nothing else runs yet.
    `import fs from 'node:fs'; const config = JSON.parse(fs.readFileSync('config.json', 'utf8'));`,
    // A plain synchronous function is not flagged: it may be called at start-up.
    `import { readFileSync } from 'fs'; function loadTemplate(name: string) { return readFileSync(name, 'utf8'); }`,
    // The asynchronous API.
    `import fs from 'node:fs/promises'; export async function load(path: string) { return fs.readFile(path, 'utf8'); }`,
    `import * as fs from 'fs'; export async function load(p: string) { return fs.promises.readFile(p); }`,
    // A sync function declared inside an async one is judged on its own.
    `import fs from 'fs'; export async function main() { const read = (p: string) => fs.readFileSync(p); return read; }`,
    // A local function that happens to be named like a sync API.
    `function readFileSync(p: string) { return p; } export async function f() { return readFileSync('x'); }`,
    // Not imported from fs.
    `const fs = { readFileSync: (p: string) => p }; export async function f() { return fs.readFileSync('x'); }`,
    // A non-Sync export of child_process.
    `import { exec } from 'node:child_process'; export async function run() { exec('ls'); }`,
    // Allowed by option.
    {
      code: `import fs from 'fs'; export async function f(p: string) { return fs.existsSync(p); }`,
      options: [{ allow: ['fs.existsSync'] }],
    },
    // Atomics.waitAsync does not block.
    `export async function f(buffer: Int32Array) { await Atomics.waitAsync(buffer, 0, 0).value; }`,
    // A callback that is not a request handler.
    `import fs from 'fs'; [1, 2].map((n) => fs.readFileSync(String(n)));`,
    // require of a module that is not blocking.
    `const path = require('path'); export async function f() { return path.join('a', 'b'); }`,
    // Configuration read once while the module loads, then used by handlers.
    `import { readFileSync } from 'node:fs';
const prompts = JSON.parse(readFileSync('prompts.json', 'utf8')) as Record<string, string>;
export async function prompt(name: string) { return prompts[name]; }`,
    // A CLI's synchronous main.
    `import { execSync } from 'node:child_process';
function main() { console.log(execSync('git status').toString()); }
main();`,
    // The promise API through a namespace import.
    `import * as fsp from 'node:fs/promises';
export async function save(path: string, data: string) { await fsp.writeFile(path, data); }`,
    // Streams do not block.
    `import fs from 'node:fs';
export async function upload(path: string) { return fs.createReadStream(path); }`,
    // crypto's async pbkdf2 through promisify.
    `import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
const derive = promisify(pbkdf2);
export async function hash(pw: string, salt: string) { return derive(pw, salt, 100_000, 32, 'sha256'); }`,
    // zlib's callback API.
    `import zlib from 'node:zlib';
export async function gzip(data: Buffer) { return new Promise<Buffer>((resolve, reject) => zlib.gzip(data, (e, out) => (e ? reject(e) : resolve(out)))); }`,
    // A method named like a sync API on an unrelated object.
    `export async function f(cache: { getSync(key: string): string }) { return cache.getSync('k'); }`,
    // A sync helper defined at module scope and called during start-up only.
    `import fs from 'fs';
const loadSchema = () => JSON.parse(fs.readFileSync('schema.json', 'utf8'));
export const schema = loadSchema();`,
    // Express handler that reads asynchronously.
    `import express from 'express';
import { readFile } from 'node:fs/promises';
const app = express();
app.get('/terms', async (_req, res) => { res.send(await readFile('terms.html', 'utf8')); });`,
    // A class constructor (runs once) may read synchronously.
    `import fs from 'node:fs';
export class Templates { readonly base: string; constructor(dir: string) { this.base = fs.readFileSync(dir + '/base.html', 'utf8'); } async render() { return this.base; } }`,
    // Allowed through the option, as a global name.
    { code: `export async function f(buf: Int32Array) { Atomics.wait(buf, 0, 0, 1); }`, options: [{ allow: ['Atomics.wait'] }] },
    // Generator functions are not async functions.
    `import fs from 'fs';
export function* lines(path: string) { yield* fs.readFileSync(path, 'utf8').split(','); }`,
    // child_process.spawn (async) inside a handler.
    `import { spawn } from 'node:child_process';
import http from 'node:http';
http.createServer((req, res) => { spawn('convert', ['a.png']).on('close', () => res.end()); });`,
    // A synchronous helper declared inside an async function is judged on its own, callbacks and all.
    `import fs from 'node:fs';
export async function main() {
  function sizes(paths: string[]) { return paths.map((p) => fs.statSync(p).size); }
  return sizes;
}`,
    // A callback that runs later (an event listener) is not the handler's own turn.
    `import fs from 'node:fs';
export async function watch(emitter: NodeJS.EventEmitter) { emitter.on('line', (line: string) => fs.appendFileSync('log', line)); }`,
    // bcrypt's asynchronous API.
    `import bcrypt from 'bcrypt';
export async function register(password: string) { return bcrypt.hash(password, 10); }`,
    // A method called forEach on something else still runs its callback now, but at module scope nothing waits.
    `import { readFileSync } from 'node:fs';
['a.json', 'b.json'].forEach((name) => readFileSync(name));`,
    // Filling a caller's small buffer is not in the catalog of blocking calls.
    `import { randomFillSync } from 'node:crypto';
export async function fill(buffers: Buffer[]) { buffers.forEach((b) => randomFillSync(b)); }`,
    // bcrypt-named export of another module.
    `import { hashSync } from './my-hash';
export async function register(password: string) { return hashSync(password); }`,
  ],
  invalid: [
    // A flag the branch never sets is no once-only guard: it blocks on every call while it holds.
    {
      code: `import fs from 'node:fs';
let cached = false;
export async function load(path: string) {
  if (!cached) {
    return fs.readFileSync(path, 'utf8');
  }
  return '';
}`,
      errors: [
        {
          messageId: 'blocking',
          line: 5,
          data: { call: 'fs.readFileSync', instead: '`await fs.promises.readFile(…)`' },
          suggestions: [
            {
              messageId: 'usePromises',
              output: `import fs from 'node:fs';
let cached = false;
export async function load(path: string) {
  if (!cached) {
    return await fs.promises.readFile(path, 'utf8');
  }
  return '';
}`,
            },
          ],
        },
      ],
    },
    // A local flag resets on every call.
    {
      code: `import fs from 'node:fs';
export async function load(path: string) {
  let data: string | undefined;
  if (!data) data = fs.readFileSync(path, 'utf8');
  return data;
}`,
      errors: [
        {
          messageId: 'blocking',
          line: 4,
          data: { call: 'fs.readFileSync', instead: '`await fs.promises.readFile(…)`' },
          suggestions: [
            {
              messageId: 'usePromises',
              output: `import fs from 'node:fs';
export async function load(path: string) {
  let data: string | undefined;
  if (!data) data = await fs.promises.readFile(path, 'utf8');
  return data;
}`,
            },
          ],
        },
      ],
    },
    {
      code: `import fs from 'node:fs';\nexport async function load(paths: string[]) {\n  paths.forEach((p) => {\n    fs.readFileSync(p);\n  });\n}`,
      errors: [{ messageId: 'blocking', line: 4, data: { call: 'fs.readFileSync', instead: '`await fs.promises.readFile(…)`' } }],
    },
    {
      code: `import express from 'express';\nimport { statSync } from 'node:fs';\nconst app = express();\napp.get('/sizes', (req, res) => {\n  res.json((req.query.files as string[]).map((f) => statSync(f).size));\n});`,
      errors: [{ messageId: 'blockingHandler', line: 5, data: { call: 'statSync', instead: '`await fs.promises.stat(…)`' } }],
    },
    {
      code: `import zlib from 'node:zlib';\nexport async function pack(parts: Buffer[]) {\n  return parts\n    .filter((p) => p.length > 0)\n    .reduce((sum, p) => sum + zlib.gzipSync(p).length, 0);\n}`,
      errors: [{ messageId: 'blocking', line: 5, data: { call: 'zlib.gzipSync', instead: 'the asynchronous `zlib.gzip`' } }],
    },
    {
      code: `import bcrypt from 'bcrypt';\nexport async function register(password: string) {\n  return bcrypt.hashSync(password, 12);\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'bcrypt.hashSync', instead: 'the asynchronous `bcrypt.hash`' } }],
    },
    {
      code: `const { compareSync } = require('bcryptjs');\napp.post('/login', (req, res) => {\n  res.json({ ok: compareSync(req.body.password, req.user.hash) });\n});`,
      errors: [{ messageId: 'blockingHandler', line: 3, data: { call: 'compareSync', instead: 'the asynchronous `bcryptjs.compare`' } }],
    },
    {
      code: `import { generateKeyPairSync } from 'node:crypto';\nexport async function rotate() {\n  return generateKeyPairSync('ed25519');\n}`,
      errors: [
        { messageId: 'blocking', line: 3, data: { call: 'generateKeyPairSync', instead: 'the asynchronous `crypto.generateKeyPair`' } },
      ],
    },
    {
      code: `import fse from 'fs-extra';\nexport async function settings(path: string) {\n  return fse.readJsonSync(path);\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'fse.readJsonSync', instead: 'the asynchronous `fs-extra` API' } }],
    },
    {
      code: `import { renderSync, render } from 'my-templates';\nexport async function page(name: string) {\n  await render(name);\n  return renderSync(name);\n}`,
      options: [{ block: ['my-templates.*Sync'] }],
      errors: [{ messageId: 'blocking', line: 4, data: { call: 'renderSync', instead: 'an asynchronous alternative' } }],
    },
    {
      code: `import fs from 'node:fs';\nexport async function handler(path: string) {\n  return fs.readFileSync(path, 'utf8');\n}`,
      errors: [
        {
          messageId: 'blocking',
          line: 3,
          data: { call: 'fs.readFileSync', instead: '`await fs.promises.readFile(…)`' },
          suggestions: [
            {
              messageId: 'usePromises',
              data: { replacement: 'fs.promises.readFile' },
              output: `import fs from 'node:fs';\nexport async function handler(path: string) {\n  return await fs.promises.readFile(path, 'utf8');\n}`,
            },
          ],
        },
      ],
    },
    {
      code: `import * as fs from 'fs';\nexport const load = async (p: string) => JSON.parse(fs.readFileSync(p).toString());`,
      errors: [
        {
          messageId: 'blocking',
          line: 2,
          suggestions: [
            {
              messageId: 'usePromises',
              data: { replacement: 'fs.promises.readFile' },
              output: `import * as fs from 'fs';\nexport const load = async (p: string) => JSON.parse((await fs.promises.readFile(p)).toString());`,
            },
          ],
        },
      ],
    },
    {
      code: `import { readFileSync as read } from 'fs';\nexport async function f() {\n  return read('a');\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'read', instead: '`await fs.promises.readFile(…)`' } }],
    },
    {
      code: `const { execSync } = require('child_process');\nasync function deploy() {\n  execSync('git pull');\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'execSync', instead: 'the asynchronous `child_process.exec`' } }],
    },
    {
      code: `import express from 'express';\nimport fs from 'fs';\nconst app = express();\napp.get('/report', (req, res) => {\n  res.send(fs.readFileSync('report.html'));\n});`,
      errors: [{ messageId: 'blockingHandler', line: 5 }],
    },
    {
      code: `import http from 'node:http';\nimport { spawnSync } from 'node:child_process';\nhttp.createServer((req, res) => {\n  spawnSync('convert', ['a.png']);\n  res.end();\n});`,
      errors: [{ messageId: 'blockingHandler', line: 4 }],
    },
    {
      code: `export async function wait(shared: Int32Array) {\n  Atomics.wait(shared, 0, 0);\n}`,
      errors: [{ messageId: 'blocking', line: 2, data: { call: 'Atomics.wait', instead: '`await Atomics.waitAsync(…).value`' } }],
    },
    {
      code: `import request from 'sync-request';\nexport async function f() {\n  return request('GET', 'http://x').getBody();\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'request', instead: 'an asynchronous HTTP client with a timeout' } }],
    },
    {
      code: `import zlib from 'zlib';\nexport async function pack(b: Buffer) {\n  return zlib.gzipSync(b);\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'zlib.gzipSync', instead: 'the asynchronous `zlib.gzip`' } }],
    },
    {
      code: `import { loadSync } from 'my-lib';\nexport async function f() {\n  return loadSync();\n}`,
      options: [{ block: ['my-lib.loadSync'] }],
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'loadSync', instead: 'an asynchronous alternative' } }],
    },
    {
      code: `import { writeFileSync } from 'node:fs';\nexport async function persist(path: string, body: string) {\n  writeFileSync(path, body);\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'writeFileSync', instead: '`await fs.promises.writeFile(…)`' } }],
    },
    {
      code: `const fs = require('fs');\nmodule.exports.handler = async (event) => {\n  return fs.readdirSync(event.dir);\n};`,
      errors: [
        {
          messageId: 'blocking',
          line: 3,
          suggestions: [
            {
              messageId: 'usePromises',
              data: { replacement: 'fs.promises.readdir' },
              output: `const fs = require('fs');\nmodule.exports.handler = async (event) => {\n  return await fs.promises.readdir(event.dir);\n};`,
            },
          ],
        },
      ],
    },
    {
      code: `import crypto from 'node:crypto';\nexport async function login(pw: string, salt: string) {\n  return crypto.pbkdf2Sync(pw, salt, 100_000, 32, 'sha256');\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'crypto.pbkdf2Sync', instead: 'the asynchronous `crypto.pbkdf2`' } }],
    },
    {
      code: `import { scryptSync } from 'crypto';\nexport const hash = async (pw: string) => scryptSync(pw, 'salt', 64);`,
      errors: [{ messageId: 'blocking', line: 2, data: { call: 'scryptSync', instead: 'the asynchronous `crypto.scrypt`' } }],
    },
    {
      code: `import { execFileSync } from 'node:child_process';\nexport async function transcode(file: string) {\n  execFileSync('ffmpeg', ['-i', file, 'out.mp4']);\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'execFileSync', instead: 'the asynchronous `child_process.execFile`' } }],
    },
    {
      code: `import fs from 'node:fs';\nexport async function append(log: string) {\n  fs.appendFileSync('audit.log', log);\n}`,
      errors: [
        {
          messageId: 'blocking',
          line: 3,
          suggestions: [
            {
              messageId: 'usePromises',
              data: { replacement: 'fs.promises.appendFile' },
              output: `import fs from 'node:fs';\nexport async function append(log: string) {\n  await fs.promises.appendFile('audit.log', log);\n}`,
            },
          ],
        },
      ],
    },
    {
      code: `import fs from 'node:fs';\nexport async function exists(path: string) {\n  return fs.existsSync(path);\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'fs.existsSync', instead: 'the asynchronous `fs` API' } }],
    },
    {
      code: `import fastify from 'fastify';\nimport { readFileSync } from 'node:fs';\nconst server = fastify();\nserver.get('/logo', (request, reply) => {\n  reply.send(readFileSync('logo.png'));\n});`,
      errors: [{ messageId: 'blockingHandler', line: 5 }],
    },
    {
      code: `import { Router } from 'express';\nimport { execSync } from 'child_process';\nconst router = Router();\nrouter.post('/deploy', function (req, res) {\n  execSync('./deploy.sh');\n  res.sendStatus(204);\n});`,
      errors: [{ messageId: 'blockingHandler', line: 5 }],
    },
    {
      code: `import http from 'node:http';\nimport fs from 'node:fs';\nconst server = http.createServer();\nserver.on('request', (req, res) => {\n  res.end(fs.readFileSync('index.html'));\n});`,
      errors: [{ messageId: 'blockingHandler', line: 5 }],
    },
    {
      code: `import zlib from 'node:zlib';\nexport async function inflate(b: Buffer) {\n  const out = zlib.inflateSync(b);\n  return out.toString();\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'zlib.inflateSync', instead: 'the asynchronous `zlib.inflate`' } }],
    },
    {
      code: `import fetch from 'sync-fetch';\nexport async function config() {\n  return fetch('http://config.internal/app').json();\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'fetch', instead: 'an asynchronous HTTP client with a timeout' } }],
    },
    {
      code: `import fs from 'node:fs';\nexport class Agent {\n  async step(path: string) {\n    const memory = fs.readFileSync(path, 'utf8');\n    return memory.length;\n  }\n}`,
      errors: [
        {
          messageId: 'blocking',
          line: 4,
          suggestions: [
            {
              messageId: 'usePromises',
              data: { replacement: 'fs.promises.readFile' },
              output: `import fs from 'node:fs';\nexport class Agent {\n  async step(path: string) {\n    const memory = await fs.promises.readFile(path, 'utf8');\n    return memory.length;\n  }\n}`,
            },
          ],
        },
      ],
    },
    {
      code: `export async function legacy() {\n  return loadConfigSync();\n}\ndeclare function loadConfigSync(): string;`,
      options: [{ block: ['loadConfigSync'] }],
      errors: [{ messageId: 'blocking', line: 2, data: { call: 'loadConfigSync', instead: 'an asynchronous alternative' } }],
    },
    {
      code: `import fs from 'fs';\nclass Store {\n  async load() {\n    return fs.statSync('x');\n  }\n}`,
      errors: [
        {
          messageId: 'blocking',
          line: 4,
          suggestions: [
            {
              messageId: 'usePromises',
              data: { replacement: 'fs.promises.stat' },
              output: `import fs from 'fs';\nclass Store {\n  async load() {\n    return await fs.promises.stat('x');\n  }\n}`,
            },
          ],
        },
      ],
    },
  ],
});
