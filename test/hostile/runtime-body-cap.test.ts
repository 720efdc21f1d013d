/**
 * Hostile probes of response sizes (issue 21, item 17, runtime side): `createHttpClient`
 * buffered a 1 GB body whole. Bodies are now read up to `maxBodyBytes` (10 MiB by default, the
 * policy's `defaults.http.maxBodyBytes`), counted as they stream: past it the request is
 * aborted and the call rejects with `BodyTooLargeError`. Real servers on 127.0.0.1 that never
 * stop sending, or declare a gigabyte.
 */
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../policy/defaults.js';
import { parsePolicy } from '../../policy/load.js';
import {
  BodyTooLargeError,
  createHttpClient,
  isBodyTooLargeError,
  isBoundedError,
  type HttpClient,
  type HttpClientOptions,
} from '../../runtime/index.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';

const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 120);

const servers: TestServer[] = [];
const clients: HttpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

function client(options: HttpClientOptions = {}): HttpClient {
  const created = createHttpClient({ timeoutMs: 10_000, ...options });
  clients.push(created);
  return created;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

interface Endless {
  readonly url: string;
  /** Bytes written on the current request so far. */
  readonly sent: number;
  /** Resolves when the client has closed the connection of a request. */
  readonly aborted: Promise<void>;
}

/**
 * Sends 64 KiB chunks as fast as the client reads them and never ends: no Content-Length
 * (chunked), or a declared one it never reaches. Counts what it sent.
 */
async function startEndlessServer(declared?: number): Promise<Endless> {
  let sent = 0;
  let onAborted: () => void = () => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAborted = resolve;
  });
  const server = await startServer((req, res) => {
    req.resume();
    sent = 0;
    res.writeHead(200, declared === undefined ? { 'content-type': 'text/plain' } : { 'content-length': declared });
    let open = true;
    res.on('close', () => {
      open = false;
      onAborted();
    });
    const pump = (): void => {
      while (open) {
        sent += CHUNK.byteLength;
        if (!res.write(CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  servers.push(server);
  return {
    url: server.url,
    get sent() {
      return sent;
    },
    aborted,
  };
}

describe('hostile: request() never buffers more than maxBodyBytes', () => {
  it('a body that never ends fails with BodyTooLargeError just past the cap, and the connection is closed', async () => {
    const server = await startEndlessServer();
    const http = client({ maxBodyBytes: MiB, name: 'downloads' });
    const error = await rejection(http.request(`${server.url}/file?token=secret`));
    expect(isBodyTooLargeError(error)).toBe(true);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect(isBoundedError(error)).toBe(true);
    const tooLarge = error as BodyTooLargeError;
    expect(tooLarge.name).toBe('BodyTooLargeError');
    expect(tooLarge.maxBodyBytes).toBe(MiB);
    expect(tooLarge.contentLength).toBeUndefined();
    expect(tooLarge.receivedBytes).toBeGreaterThan(MiB);
    expect(tooLarge.receivedBytes).toBeLessThanOrEqual(MiB + CHUNK.byteLength);
    expect(tooLarge.origin).toBe(server.url);
    expect(tooLarge.resource).toBe('downloads');
    expect(tooLarge.message).toContain(`from ${server.url} is larger than maxBodyBytes 1048576 (1 MiB)`);
    expect(tooLarge.message).not.toContain('secret');
    await server.aborted;
    // Reading stopped there: the server got no further than what fills the socket buffers.
    expect(server.sent).toBeLessThan(64 * MiB);
    expect(http.stats().inFlight).toBe(0);
  });

  it('a declared 1 GB body is refused at the headers, by default (10 MiB)', async () => {
    expect(DEFAULT_POLICY.defaults.http.maxBodyBytes).toBe(10 * MiB);
    const server = await startEndlessServer(1024 * MiB);
    const http = client({ timeoutMs: 5_000 });
    const error = await rejection(http.request(server.url));
    expect(isBodyTooLargeError(error)).toBe(true);
    expect(error).toMatchObject({ contentLength: 1024 * MiB, receivedBytes: 0, maxBodyBytes: 10 * MiB });
    expect((error as Error).message).toMatch(/maxBodyBytes 10485760 \(10 MiB\): its Content-Length is 1073741824 bytes/);
    await server.aborted;
  });

  it('an endless body with the default cap stops at 10 MiB', async () => {
    const server = await startEndlessServer();
    const http = client();
    const error = await rejection(http.request(server.url));
    expect(isBodyTooLargeError(error) && error.receivedBytes).toBeGreaterThan(10 * MiB);
  });

  it('a body of exactly the cap is read whole; a call may raise or lift its own cap', async () => {
    const exact = Buffer.alloc(MiB, 97);
    const server = await startServer((req, res) => {
      req.resume();
      res.end(exact);
    });
    servers.push(server);
    const http = client({ maxBodyBytes: MiB });
    expect((await http.request(server.url)).body.byteLength).toBe(MiB);
    expect(isBodyTooLargeError(await rejection(http.request(server.url, { maxBodyBytes: MiB - 1 })))).toBe(true);
    expect((await http.request(server.url, { maxBodyBytes: Number.POSITIVE_INFINITY })).body.byteLength).toBe(MiB);
    // The client goes on working after an aborted body.
    expect(await (await http.request(server.url)).body.text()).toBe(exact.toString());
  });

  it('the answer to a HEAD declaring a huge length has no body: it passes', async () => {
    const server = await startServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': 1024 * MiB });
      res.end();
    });
    servers.push(server);
    const http = client({ maxBodyBytes: MiB });
    expect((await http.request(server.url, { method: 'HEAD' })).statusCode).toBe(200);
    expect((await http.fetch(server.url, { method: 'HEAD' })).status).toBe(200);
  });

  it('an error answer with a huge body fails on its size, not after buffering it', async () => {
    const server = await startServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-length': 2 * MiB });
      res.end(Buffer.alloc(2 * MiB));
    });
    servers.push(server);
    const http = client({ maxBodyBytes: MiB, retries: false });
    expect(isBodyTooLargeError(await rejection(http.request(server.url)))).toBe(true);
  });
});

describe('hostile: fetch() enforces maxBodyBytes while the body streams', () => {
  it('a declared body above the cap rejects fetch() itself', async () => {
    const server = await startEndlessServer(1024 * MiB);
    const http = client({ maxBodyBytes: MiB });
    const error = await rejection(http.fetch(server.url));
    expect(isBodyTooLargeError(error) && error.contentLength).toBe(1024 * MiB);
    await server.aborted;
    expect(http.stats().inFlight).toBe(0);
  });

  it('an undeclared body fails the stream with BodyTooLargeError past the cap, and aborts the request', async () => {
    const server = await startEndlessServer();
    const http = client();
    const response = await http.fetch(server.url, { maxBodyBytes: 2 * MiB });
    expect(response.status).toBe(200);
    const error = await rejection(response.arrayBuffer());
    expect(isBodyTooLargeError(error) && error.receivedBytes).toBeGreaterThan(2 * MiB);
    await server.aborted;
    expect(http.stats().inFlight).toBe(0);
  });
});

describe('hostile: maxBodyBytes is checked and has a policy default', () => {
  it('refuses what is not a positive whole number of bytes or Infinity', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10MB']) {
      expect(() => createHttpClient({ maxBodyBytes: bad as number }), String(bad)).toThrow(/maxBodyBytes/);
    }
    const http = client();
    await expect(http.request('http://127.0.0.1:1/', { maxBodyBytes: -5 })).rejects.toThrow(/maxBodyBytes/);
  });

  it('validates defaults.http.maxBodyBytes in a policy file', () => {
    expect(parsePolicy('version: 1\ndefaults:\n  http: { maxBodyBytes: 1048576 }\n', 'p.yaml', { env: {} }).problems).toEqual([]);
    const bad = parsePolicy('version: 1\ndefaults:\n  http: { maxBodyBytes: 1.5 }\n', 'p.yaml', { env: {} });
    expect(bad.problems.map((problem) => problem.path)).toEqual(['defaults.http.maxBodyBytes']);
  });
});
