import rule from '../../eslint-plugin/rules/no-sync-io-in-async.js';
import { untypedTester } from './setup.js';

untypedTester().run('no-sync-io-in-async', rule, {
  valid: [
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
    { code: `import fs from 'fs'; export async function f(p: string) { return fs.existsSync(p); }`, options: [{ allow: ['fs.existsSync'] }] },
    // Atomics.waitAsync does not block.
    `export async function f(buffer: Int32Array) { await Atomics.waitAsync(buffer, 0, 0).value; }`,
    // A callback that is not a request handler.
    `import fs from 'fs'; [1, 2].map((n) => fs.readFileSync(String(n)));`,
    // require of a module that is not blocking.
    `const path = require('path'); export async function f() { return path.join('a', 'b'); }`,
  ],
  invalid: [
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
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'read', instead: '`await fs.promises.readFile(…)`' }}],
    },
    {
      code: `const { execSync } = require('child_process');\nasync function deploy() {\n  execSync('git pull');\n}`,
      errors: [{ messageId: 'blocking', line: 3, data: { call: 'execSync', instead: 'the asynchronous `child_process.exec`' }}],
    },
    {
      code: `import express from 'express';\nimport fs from 'fs';\nconst app = express();\napp.get('/report', (req, res) => {\n  res.send(fs.readFileSync('report.html'));\n});`,
      errors: [{ messageId: 'blockingHandler', line: 5}],
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
