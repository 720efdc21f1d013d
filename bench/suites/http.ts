/**
 * `npm run bench -- http`: requests per second through `createHttpClient` against raw undici
 * with the same keep-alive Agent settings (target: under 10 % overhead), and against opening a
 * new connection per request (the hazard this client replaces).
 *
 * Two undici baselines: `undici.request(url, { dispatcher })`, what code without bounded
 * writes, and `agent.request({ origin, path })`, undici's dispatcher API with the URL already
 * split, which does the least work per request and so shows the client's whole overhead.
 * `createHttpClient.fetch` is measured against undici's `fetch` too; it costs more than
 * `request()` because it hands over a standard `Response` whose body stream ends the deadline.
 *
 * Every measurement's child starts its own server as a sibling process (a plain keep-alive
 * `node:http` server on 127.0.0.1), so the server's work is not charged to the client's CPU.
 * `c=10` keeps 10 requests in flight over at most 10 connections, each loop sending its next
 * request as soon as the previous body is read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, Client, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { createHttpClient } from '@bounded/runtime';
import type { Measurement, RunContext, Suite, SuiteOptions } from '../suite.js';

const SCENARIO = 'c=10';
const CONCURRENCY = 10;
const CONNECTIONS = 10;

/** The body every answer carries. */
const PAYLOAD = JSON.stringify({ ok: true, items: [1, 2, 3], note: 'a small JSON answer' });

/**
 * The server, as a script for `node -e`: answers every request at once with `PAYLOAD`, keeps
 * connections alive, prints its port, and exits when its standard input closes (so it never
 * outlives the child that started it, even one killed on a timeout).
 */
const SERVER_SOURCE = `
const http = require('node:http');
const payload = ${JSON.stringify(PAYLOAD)};
const length = Buffer.byteLength(payload);
const server = http.createServer({ keepAlive: true, keepAliveTimeout: 60000 }, (req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
  res.end(payload);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

interface LocalServer {
  readonly url: string;
  readonly origin: string;
  stop(): Promise<void>;
}

async function startServer(): Promise<LocalServer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER_SOURCE], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench server exited with code ${code}`)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      const line = /^(\d+)\n/.exec(text);
      if (line !== null) resolve(Number(line[1]));
    });
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/items`,
    origin,
    async stop() {
      child.removeAllListeners('exit');
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

interface Counts {
  readonly warmup: number;
  readonly requests: number;
}

function counts(quick: boolean, slow = false): Counts {
  if (slow) return quick ? { warmup: 100, requests: 500 } : { warmup: 300, requests: 3_000 };
  return quick ? { warmup: 500, requests: 2_000 } : { warmup: 3_000, requests: 20_000 };
}

/** Sends `total` requests from `CONCURRENCY` loops and returns requests per second. */
async function throughput(send: () => Promise<unknown>, total: number): Promise<number> {
  let left = total;
  const loop = async (): Promise<void> => {
    while (left > 0) {
      left--;
      await send();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return total / ((performance.now() - start) / 1000);
}

/** A keep-alive measurement: start a server, build the sender, warm up, measure, clean up. */
function keepAlive(
  name: string,
  ratioVs: readonly string[],
  options: SuiteOptions,
  setup: (server: LocalServer) => { send: () => Promise<unknown>; close: () => Promise<void> },
  slow = false,
): Measurement {
  const { warmup, requests } = counts(options.quick, slow);
  return {
    name,
    scenario: SCENARIO,
    unit: 'req/s',
    ratioVs,
    async run(_context: RunContext) {
      const server = await startServer();
      const { send, close } = setup(server);
      try {
        await throughput(send, warmup);
        return await throughput(send, requests);
      } finally {
        await close();
        await server.stop();
      }
    },
  };
}

const suite: Suite = {
  name: 'http',
  description:
    'createHttpClient (request and fetch) against raw undici with the same keep-alive Agent (10 connections), and against a new connection per request; a local keep-alive node:http server in a sibling process, 10 requests in flight',
  measurements(options) {
    return [
      keepAlive('undici.request', [], options, (server) => {
        const agent = new Agent({ connections: CONNECTIONS });
        return {
          send: async () => {
            const { body } = await undiciRequest(server.url, { dispatcher: agent });
            return body.bytes();
          },
          close: () => agent.close(),
        };
      }),
      // undici's dispatcher API with origin and path already split: the least work per request.
      keepAlive('undici.Agent.request', [], options, (server) => {
        const agent = new Agent({ connections: CONNECTIONS });
        return {
          send: async () => {
            const { body } = await agent.request({ origin: server.origin, path: '/items', method: 'GET' });
            return body.bytes();
          },
          close: () => agent.close(),
        };
      }),
      keepAlive(
        'createHttpClient.request',
        ['undici.request', 'undici.Agent.request', 'floor:new-connection-per-request'],
        options,
        (server) => {
          const http = createHttpClient({ connections: CONNECTIONS });
          return {
            send: async () => {
              const { body } = await http.request(server.url);
              return body.bytes();
            },
            close: () => http.close(),
          };
        },
      ),
      keepAlive('undici.fetch', [], options, (server) => {
        const agent = new Agent({ connections: CONNECTIONS });
        return {
          send: async () => (await undiciFetch(server.url, { dispatcher: agent })).arrayBuffer(),
          close: () => agent.close(),
        };
      }),
      keepAlive('createHttpClient.fetch', ['undici.fetch'], options, (server) => {
        const http = createHttpClient({ connections: CONNECTIONS });
        return {
          send: async () => (await http.fetch(server.url)).arrayBuffer(),
          close: () => http.close(),
        };
      }),
      // The hazard: a fresh connection (TCP handshake, no reuse) for every request.
      keepAlive(
        'floor:new-connection-per-request',
        [],
        options,
        (server) => ({
          send: async () => {
            const client = new Client(server.origin);
            try {
              const { body } = await client.request({ path: '/items', method: 'GET' });
              return await body.bytes();
            } finally {
              await client.close();
            }
          },
          close: () => Promise.resolve(),
        }),
        true,
      ),
    ];
  },
  targets: [
    {
      name: 'createHttpClient.request',
      scenario: SCENARIO,
      ratioVs: 'undici.request',
      atLeast: 0.9,
      source: 'issue',
    },
    {
      name: 'createHttpClient.request',
      scenario: SCENARIO,
      ratioVs: 'floor:new-connection-per-request',
      atLeast: 2,
      source: 'proposed',
    },
  ],
};

export default suite;
