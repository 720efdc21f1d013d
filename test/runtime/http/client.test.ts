/**
 * The HTTP client against real node:http servers on 127.0.0.1 (test/helpers/http-servers.ts)
 * through real undici sockets. Fake clocks do not drive sockets, so time here is real: budgets
 * are small (100–300 ms) and bounds generous. A test that asserts a timing range says so in its
 * name ("real-time accuracy") and states its tolerance.
 */
import { createHook } from 'node:async_hooks';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClosedError,
  Semaphore,
  TimeoutError,
  createHttpClient,
  isClosedError,
  isHttpStatusError,
  isRetryExhaustedError,
  isTimeoutError,
  type HttpClient,
  type HttpClientOptions,
  type HttpRetryEvent,
} from '../../../runtime/index.js';
import { Budget } from '../../../runtime/http/budget.js';
import type { RateLimiter } from '../../../runtime/rate-limit/types.js';
import {
  startFastServer,
  startHangingServer,
  startResettingServer,
  startRetryAfterServer,
  startServer,
  startSlowServer,
  startStallingBodyServer,
  type TestServer,
} from '../../helpers/http-servers.js';

/** Tolerance of the real-time accuracy tests: a deadline fires at most this late. */
const LATE_MS = 300;

const servers: TestServer[] = [];
const clients: HttpClient[] = [];

async function serve(start: Promise<TestServer>): Promise<TestServer> {
  const server = await start;
  servers.push(server);
  return server;
}

function client(options: HttpClientOptions = {}): HttpClient {
  const created = createHttpClient(options);
  clients.push(created);
  return created;
}

afterEach(async () => {
  for (const created of clients.splice(0)) await created.destroy();
  for (const server of servers.splice(0)) await server.close();
});

/** Settles `promise` and returns its rejection, failing the test if it fulfils. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** A limiter that admits at once and records what the client asked of it. */
function recordingLimiter(): Pick<RateLimiter, 'acquire' | 'tryAcquire' | 'penalize'> & {
  acquired: number;
  penalties: number[];
} {
  return {
    acquired: 0,
    penalties: [],
    tryAcquire() {
      this.acquired++;
      return true;
    },
    acquire() {
      this.acquired++;
      return Promise.resolve();
    },
    penalize(ms: number) {
      this.penalties.push(ms);
    },
  };
}

/**
 * Records every async resource of `types` created from now on that still holds the event loop
 * (a timer not yet fired or cleared and not unref'd, a socket not yet closed), with where it was
 * created. undici's shared clock and node:http's date cache are unref'd timers: left out.
 */
function watchResources(types: readonly string[]): { alive(): string[]; stop(): void } {
  const live = new Map<number, { where: string; resource: { hasRef?: () => boolean } }>();
  const hook = createHook({
    init(asyncId, type, _trigger, resource: { hasRef?: () => boolean }) {
      if (!types.includes(type)) return;
      const stack = new Error().stack?.split('\n').slice(5, 10) ?? [];
      live.set(asyncId, { where: `${type} ${stack.map((line) => line.trim()).join(' <- ')}`, resource });
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return {
    alive: () => [...live.values()].filter(({ resource }) => resource.hasRef?.() !== false).map(({ where }) => where),
    stop: () => {
      hook.disable();
    },
  };
}

function count(resources: readonly string[], type: string): number {
  return resources.filter((resource) => resource === type).length;
}

describe('createHttpClient: deadlines', () => {
  it(`real-time accuracy: a server that never answers → TimeoutError between 200 and 200+${LATE_MS} ms (timeoutMs 200)`, async () => {
    const server = await serve(startHangingServer());
    const http = client({ timeoutMs: 200 });
    const { value: error, ms } = await timed(() => rejection(http.request(`${server.url}/slow?token=secret`)));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe(`GET ${server.url}/slow timed out after 200 ms (timeoutMs 200)`);
    expect(ms).toBeGreaterThanOrEqual(199);
    expect(ms).toBeLessThan(200 + LATE_MS);
    expect(server.requests).toBe(1);
  });

  it(`real-time accuracy: headers then a stalled body → TimeoutError between 200 and 200+${LATE_MS} ms`, async () => {
    const server = await serve(startStallingBodyServer());
    const http = client({ timeoutMs: 200 });
    const { value: error, ms } = await timed(() => rejection(http.request(`${server.url}/stall`)));
    expect(isTimeoutError(error)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(199);
    expect(ms).toBeLessThan(200 + LATE_MS);
  });

  it(`real-time accuracy: fetch() hands over the Response, and its stalled body fails at the deadline (±${LATE_MS} ms)`, async () => {
    const server = await serve(startStallingBodyServer());
    const http = client();
    const start = performance.now();
    const response = await http.fetch(`${server.url}/stall`, { timeoutMs: 200 });
    expect(response.status).toBe(200);
    const error = await rejection(response.text());
    const ms = performance.now() - start;
    expect(isTimeoutError(error)).toBe(true);
    expect((error as Error).message).toBe(`GET ${server.url}/stall timed out after 200 ms (timeoutMs 200)`);
    expect(ms).toBeGreaterThanOrEqual(199);
    expect(ms).toBeLessThan(200 + LATE_MS);
    expect(http.stats().inFlight).toBe(0);
  });

  it('a per-call timeoutMs replaces the client default', async () => {
    const server = await serve(startHangingServer());
    const http = client({ timeoutMs: 60_000 });
    const error = await rejection(http.request(server.url, { timeoutMs: 100 }));
    expect((error as TimeoutError).timeoutMs).toBe(100);
  });

  it('attemptTimeoutMs retries a silent attempt within the total deadline', async () => {
    // The first request hangs; the second is answered.
    const server = await serve(
      startServer((req, res, { index }) => {
        req.resume();
        if (index > 0) res.end('second');
      }),
    );
    const http = client({ timeoutMs: 2_000, retries: { attemptTimeoutMs: 100, baseDelayMs: 1 } });
    const response = await http.request(server.url);
    expect(await response.body.text()).toBe('second');
    expect(response.attempts).toBe(2);
  });
});

describe('createHttpClient: retries', () => {
  it('retries a reset connection for GET and reports every attempt in RetryExhaustedError', async () => {
    const server = await serve(startResettingServer());
    const http = client({ retries: { limit: 2, baseDelayMs: 5 } });
    const error = await rejection(http.request(`${server.url}/reset`));
    expect(isRetryExhaustedError(error)).toBe(true);
    if (!isRetryExhaustedError(error)) return;
    expect(error.attempts).toBe(3);
    expect(error.message).toMatch(new RegExp(`^GET ${server.url}/reset failed after 3 attempts \\(retries.limit 2\\): `));
    expect((error.cause as { code?: string }).code).toBe('ECONNRESET');
    expect(server.requests).toBe(3);
  });

  it('retries a connection broken in the middle of the body', async () => {
    const server = await serve(startResettingServer({ midBody: true }));
    const http = client({ retries: { limit: 1, baseDelayMs: 1 } });
    const error = await rejection(http.request(server.url));
    expect(isRetryExhaustedError(error) && error.attempts).toBe(2);
    expect(server.requests).toBe(2);
  });

  it('retries a connection closed before the answer ("other side closed") through fetch too', async () => {
    const server = await serve(startResettingServer({ mode: 'close' }));
    const http = client({ retries: { limit: 1, baseDelayMs: 1 } });
    const error = await rejection(http.fetch(server.url));
    expect(isRetryExhaustedError(error) && error.attempts).toBe(2);
    expect(server.requests).toBe(2);
  });

  it('real-time: 429 with Retry-After: 1 then 200 succeeds after waiting at least 1 s, and penalizes the limiter', async () => {
    const server = await serve(startRetryAfterServer({ status: 429, retryAfter: '1' }));
    const limiter = recordingLimiter();
    const http = client({ limiter, timeoutMs: 5_000 });
    const response = await http.request(`${server.url}/api`);
    expect(await response.body.json()).toEqual({ ok: true });
    expect(response.attempts).toBe(2);
    const [first, second] = server.log;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000 - 5);
    expect(limiter.acquired).toBe(2);
    expect(limiter.penalties).toEqual([1_000]);
  });

  it('503 with Retry-After: 0 is retried at once, through fetch', async () => {
    const server = await serve(startRetryAfterServer({ status: 503, retryAfter: '0', failures: 2 }));
    const http = client();
    const response = await http.fetch(server.url);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(server.requests).toBe(3);
  });

  it('a Retry-After past the deadline stops at once instead of sleeping into the timeout', async () => {
    const server = await serve(startRetryAfterServer({ status: 429, retryAfter: '30' }));
    const limiter = recordingLimiter();
    const http = client({ limiter, timeoutMs: 1_000 });
    const { value: error, ms } = await timed(() => rejection(http.request(server.url)));
    expect(ms).toBeLessThan(500);
    expect(isRetryExhaustedError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /failed after 1 attempt \(Retry-After of 30000 ms does not fit in the \d+ ms left of timeoutMs 1000\): .* answered 429 Too Many Requests: refused: request 1$/,
    );
    expect(isHttpStatusError((error as Error).cause)).toBe(true);
    expect(limiter.penalties).toEqual([30_000]);
  });

  it('a 503 that never clears ends in RetryExhaustedError with the HttpStatusError as cause, or in the last response', async () => {
    const server = await serve(startRetryAfterServer({ status: 503, retryAfter: null, failures: Infinity }));
    const http = client({ retries: { limit: 2, baseDelayMs: 1 } });
    const error = await rejection(http.request(server.url));
    expect(isRetryExhaustedError(error) && error.attempts).toBe(3);
    const cause = (error as Error).cause;
    expect(isHttpStatusError(cause) && cause.status).toBe(503);

    const response = await http.request(server.url, { throwOnError: false });
    expect(response.statusCode).toBe(503);
    expect(response.attempts).toBe(3);
    const fetched = await http.fetch(server.url);
    expect(fetched.status).toBe(503);
    expect(server.requests).toBe(9);
  });

  it('never retries POST by default: the server sees exactly one request', async () => {
    const resetting = await serve(startResettingServer());
    const refusing = await serve(startRetryAfterServer({ status: 503, retryAfter: '0', failures: Infinity }));
    const http = client({ retries: { limit: 3, baseDelayMs: 1 } });

    const reset = await rejection(http.request(resetting.url, { method: 'POST', body: '{}' }));
    expect((reset as { code?: string }).code).toBe('ECONNRESET');
    expect(isRetryExhaustedError(reset)).toBe(false);
    expect(resetting.requests).toBe(1);

    const refused = await rejection(http.request(refusing.url, { method: 'POST', body: '{}' }));
    expect(isHttpStatusError(refused) && refused.status).toBe(503);
    expect((await http.fetch(refusing.url, { method: 'PATCH', body: '{}' })).status).toBe(503);
    expect(refusing.requests).toBe(2);
  });

  it('penalizes the limiter on a 429 with Retry-After even when the call is not retried', async () => {
    const server = await serve(startRetryAfterServer({ status: 429, retryAfter: '7' }));
    const limiter = recordingLimiter();
    const http = client({ limiter });
    const error = await rejection(http.request(server.url, { method: 'POST', body: '{}' }));
    expect(isHttpStatusError(error) && error.status).toBe(429);
    expect(limiter.penalties).toEqual([7_000]);
  });

  it('retries POST when asked: per call with idempotent, or for the client with retries.methods', async () => {
    const server = await serve(startResettingServer());
    const perCall = client({ retries: { limit: 1, baseDelayMs: 1 } });
    await rejection(perCall.request(server.url, { method: 'POST', body: 'x', idempotent: true }));
    expect(server.requests).toBe(2);
    const perClient = client({ retries: { limit: 1, baseDelayMs: 1, methods: ['POST'] } });
    await rejection(perClient.request(server.url, { method: 'POST', body: 'x' }));
    expect(server.requests).toBe(4);
    await rejection(perClient.request(server.url, { method: 'GET', idempotent: false }));
    expect(server.requests).toBe(5);
  });

  it('never retries a stream body, which cannot be sent twice', async () => {
    const server = await serve(startResettingServer());
    const http = client({ retries: { limit: 3, baseDelayMs: 1 } });
    await rejection(http.request(server.url, { method: 'PUT', body: Readable.from(['a', 'b']) }));
    expect(server.requests).toBe(1);
  });

  it('tells onRetry listeners about each retry', async () => {
    const server = await serve(startRetryAfterServer({ status: 503, retryAfter: '0', failures: 1 }));
    const http = client({ name: 'catalog' });
    const events: HttpRetryEvent[] = [];
    using _subscription = http.onRetry((event) => events.push(event));
    await http.request(`${server.url}/items?page=2`);
    expect(events).toEqual([
      { name: 'catalog', method: 'GET', url: `${server.url}/items`, attempt: 1, delayMs: 0, status: 503, error: undefined },
    ]);
  });
});

describe('createHttpClient: errors and bodies', () => {
  it('throws HttpStatusError with a body excerpt of at most 1 KB, or answers when throwOnError is false', async () => {
    const server = await serve(startFastServer({ status: 404, body: `no such user ${'.'.repeat(3_000)}` }));
    const http = client();
    const error = await rejection(http.request(`${server.url}/users/7`));
    expect(isHttpStatusError(error)).toBe(true);
    if (!isHttpStatusError(error)) return;
    expect(error.status).toBe(404);
    expect(error.bodyExcerpt.startsWith('no such user')).toBe(true);
    expect(error.bodyExcerpt.length).toBe(1024);
    expect(error.message.startsWith(`GET ${server.url}/users/7 answered 404 Not Found: no such user`)).toBe(true);

    const response = await http.request(`${server.url}/users/7`, { throwOnError: false });
    expect(response.statusCode).toBe(404);
    expect(response.body.byteLength).toBe(3_013);
  });

  it('reads the body once and serves it as text, JSON, bytes or a fresh ArrayBuffer, as often as asked', async () => {
    const server = await serve(startFastServer({ body: '{"n":1}' }));
    const http = client({ baseUrl: server.url });
    const { statusCode, headers, body } = await http.request('/json');
    expect(statusCode).toBe(200);
    expect(headers['content-type']).toBe('text/plain');
    expect(await body.json()).toEqual({ n: 1 });
    expect(await body.text()).toBe('{"n":1}');
    expect((await body.bytes()).byteLength).toBe(7);
    const copy = await body.arrayBuffer();
    expect(copy.byteLength).toBe(7);
    expect(copy).not.toBe(await body.arrayBuffer());
  });

  it('fetch() resolves with a standard Response that keeps url and headers', async () => {
    const server = await serve(startFastServer({ body: '{"n":2}' }));
    const http = client();
    const response = await http.fetch(new URL('/x', server.url), { method: 'GET', headers: { accept: 'application/json' } });
    expect(response).toBeInstanceOf(Response);
    expect(response.url).toBe(`${server.url}/x`);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.json()).toEqual({ n: 2 });
    expect(server.log[0]!.headers.accept).toBe('application/json');
  });

  it('fetch() takes a standard Request, and a HEAD answer with no body', async () => {
    const server = await serve(startFastServer());
    const http = client();
    const posted = await http.fetch(new Request(server.url, { method: 'POST', body: 'hello' }));
    expect(await posted.text()).toBe('ok');
    expect(server.log[0]!.method).toBe('POST');
    const head = await http.fetch(server.url, { method: 'HEAD' });
    expect(head.body).toBeNull();
    expect(http.stats().inFlight).toBe(0);
  });

  it('with baseUrl, refuses a URL on another origin, and a redirect to one', async () => {
    const elsewhere = await serve(startFastServer());
    const server = await serve(
      startServer((req, res) => {
        req.resume();
        res.writeHead(302, { location: `${elsewhere.url}/x` });
        res.end();
      }),
    );
    const http = client({ baseUrl: `${server.url}/api/` });
    await expect(http.request(`${elsewhere.url}/x`)).rejects.toThrow(
      new TypeError(`Expected \`url\` on ${server.url} (the client's baseUrl), got ${elsewhere.url}`),
    );
    // An undici Pool would send the redirected request to its own origin; the client refuses it.
    const error = await rejection(http.fetch('moved'));
    expect(((error as Error).cause as Error).message).toBe(
      `Expected a request to ${server.url} (the client's baseUrl), got one to ${elsewhere.url}`,
    );
    expect(server.log.map((request) => request.url)).toEqual(['/api/moved']);
    expect(elsewhere.requests).toBe(0);
  });

  it.each([
    [{ connections: 0 }, 'Expected `connections` to be a positive integer, got 0'],
    [{ timeoutMs: -1 }, 'Expected `timeoutMs` to be a number of milliseconds in (0, 2147483647], got -1'],
    [{ baseUrl: 'ftp://x' }, 'Expected `baseUrl` to be an http(s) URL, got ftp:'],
    [{ limiter: {} }, 'Expected `limiter` to be a RateLimiter, got an object'],
  ])('validates its options: %o', (options, message) => {
    expect(() => createHttpClient(options as HttpClientOptions)).toThrow(new TypeError(message));
  });

  it('validates each call', async () => {
    const http = client();
    await expect(http.request('not a url')).rejects.toThrow(TypeError);
    await expect(http.request('http://127.0.0.1:1', { timeoutMs: 0 })).rejects.toThrow(TypeError);
  });
});

describe('createHttpClient: cancellation and closing', () => {
  it("the caller's abort rejects with the caller's reason, at once", async () => {
    const server = await serve(startHangingServer());
    const http = client();
    const controller = new AbortController();
    const reason = new Error('user went away');
    setTimeout(() => controller.abort(reason), 50);
    const { value: error, ms } = await timed(() => rejection(http.request(server.url, { signal: controller.signal })));
    expect(error).toBe(reason);
    expect(ms).toBeLessThan(50 + LATE_MS);

    const fetchController = new AbortController();
    setTimeout(() => fetchController.abort(reason), 50);
    expect(await rejection(http.fetch(server.url, { signal: fetchController.signal }))).toBe(reason);
  });

  it("fetch(): the caller's abort fails a body being read with the caller's reason; cancelling a body ends the call", async () => {
    const server = await serve(startStallingBodyServer());
    const semaphore = new Semaphore(1);
    const http = client({ semaphore });
    const controller = new AbortController();
    const reason = new Error('enough');
    const response = await http.fetch(server.url, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 30);
    expect(await rejection(response.text())).toBe(reason);
    expect(http.stats().inFlight).toBe(0);
    expect(semaphore.inUse).toBe(0);

    const cancelled = await http.fetch(server.url);
    expect(semaphore.inUse).toBe(1);
    await cancelled.body!.cancel();
    expect(http.stats().inFlight).toBe(0);
    expect(semaphore.inUse).toBe(0);
  });

  it('an aborted signal rejects before anything is sent; an abort during backoff stops the retries', async () => {
    const server = await serve(startRetryAfterServer({ status: 503, retryAfter: '1', failures: Infinity }));
    const http = client();
    const reason = new Error('stop');
    expect(await rejection(http.request(server.url, { signal: AbortSignal.abort(reason) }))).toBe(reason);
    expect(server.requests).toBe(0);

    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    expect(await rejection(http.request(server.url, { signal: controller.signal }))).toBe(reason);
    expect(server.requests).toBe(1);
    expect(http.stats().inFlight).toBe(0);
  });

  it('close() abandons a call waiting for its retry with ClosedError and refuses new calls', async () => {
    const server = await serve(startRetryAfterServer({ status: 503, retryAfter: '5', failures: Infinity }));
    const http = client({ name: 'api' });
    const waiting = rejection(http.request(server.url));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await http.close();
    const error = await waiting;
    expect(isClosedError(error)).toBe(true);
    expect((error as Error).message).toBe('HttpClient "api" is closed');
    await expect(http.request(server.url)).rejects.toBeInstanceOf(ClosedError);
    expect(http.closed).toBe(true);
  });

  it('destroy() aborts a request on the wire with ClosedError', async () => {
    const server = await serve(startHangingServer());
    const http = client();
    const pending = rejection(http.request(server.url));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await http.destroy();
    expect(isClosedError(await pending)).toBe(true);
  });

  it('leaves no socket and no timer behind once closed', async () => {
    const hanging = await serve(startHangingServer());
    const stalling = await serve(startStallingBodyServer());
    const resetting = await serve(startResettingServer());
    const fast = await serve(startFastServer());
    const before = process.getActiveResourcesInfo();
    const created = watchResources(['Timeout', 'TCPWRAP']);

    // The client's deadline is the default 60 s, so a timer it forgot would still be pending.
    const http = createHttpClient({ retries: { limit: 1, baseDelayMs: 1 } });
    const outcomes = await Promise.allSettled([
      http.request(hanging.url, { timeoutMs: 150 }),
      http.request(stalling.url, { timeoutMs: 150 }),
      http.request(resetting.url),
      http.request(fast.url),
      http.fetch(fast.url).then((response) => response.text()),
      http.fetch(stalling.url, { timeoutMs: 150 }).then((response) => response.text()),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
    expect(http.stats().connected).toBeGreaterThan(0);
    await http.close();

    expect(http.stats()).toEqual({ connected: 0, free: 0, pending: 0, queued: 0, running: 0, size: 0, inFlight: 0, connections: 10 });
    await Promise.all([hanging, stalling, resetting, fast].map((server) => server.whenNoConnections()));
    // Every timer and socket created since the client was, still alive now (client sockets and
    // the servers' ends of them alike). Destroy hooks run a little after the destroy itself.
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(created.alive()).toEqual([]);
    created.stop();
    expect(Budget.timers).toBe(0);
    // The process-wide view holds the test runner's resources too, so it is compared loosely.
    const after = process.getActiveResourcesInfo();
    expect(count(after, 'Timeout')).toBeLessThanOrEqual(count(before, 'Timeout'));
    expect(count(after, 'TCPSocketWrap')).toBeLessThanOrEqual(count(before, 'TCPSocketWrap'));
  });
});

describe('createHttpClient: bounded concurrency', () => {
  it('opens at most `connections` sockets for 50 concurrent requests, and reuses them', async () => {
    const server = await serve(startSlowServer({ latencyMs: 20 }));
    const http = client({ connections: 4 });
    let peakConnected = 0;
    const requests = Array.from({ length: 50 }, async () => {
      const response = await http.request(server.url);
      peakConnected = Math.max(peakConnected, http.stats().connected);
      return response.body.text();
    });
    expect(http.stats().pending + http.stats().running).toBeGreaterThan(4);
    expect(await Promise.all(requests)).toEqual(Array.from({ length: 50 }, () => 'ok'));
    expect(server.requests).toBe(50);
    expect(server.peakConnections).toBeLessThanOrEqual(4);
    expect(server.connections).toBeLessThanOrEqual(4);
    expect(server.peakActiveRequests).toBe(4);
    expect(peakConnected).toBeLessThanOrEqual(4);
  });

  it('with baseUrl (one undici Pool) the bound holds too, fetch included', async () => {
    const server = await serve(startSlowServer({ latencyMs: 20 }));
    const http = client({ baseUrl: server.url, connections: 3 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? http.request('/a') : http.fetch('/b').then((r) => r.text()))));
    expect(server.requests).toBe(30);
    expect(server.peakConnections).toBeLessThanOrEqual(3);
  });

  it('runs every attempt under the semaphore, fetch bodies included', async () => {
    const server = await serve(startSlowServer({ latencyMs: 20 }));
    const semaphore = new Semaphore(2);
    const http = client({ semaphore, connections: 10 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? http.request(server.url) : http.fetch(server.url).then((response) => response.text()),
      ),
    );
    expect(semaphore.peakInUse).toBe(2);
    expect(semaphore.inUse).toBe(0);
    // The server never handles more than 2 at once. (It may see a third connection: undici can
    // hand a freed slot's next request a new socket before the old one is back in the pool.)
    expect(server.peakActiveRequests).toBe(2);
  });
});
