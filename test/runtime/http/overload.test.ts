/**
 * The HTTP client's own queue under overload: `maxQueue` bounds the calls waiting for a
 * connection to one origin, and a call whose deadline is shorter than its expected wait is shed
 * at once. A real node:http server on 127.0.0.1 holds each request until the test lets it answer,
 * so who is on the wire and who waits is decided by the test, not by timing. Real time only ever
 * adds to a measured stall here, so a lower bound on it is all a test relies on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, isLoadShedError, isQueueFullError, type HttpClient } from '../../../runtime/index.js';
import { reasonOf, track } from '../helpers.js';

interface HeldServer {
  readonly url: string;
  /** Requests received and not yet answered. */
  readonly held: ServerResponse[];
  /** Requests received so far. */
  received: number;
  /** Answers the oldest held request. */
  answer(): void;
  close(): Promise<void>;
}

async function startHeldServer(): Promise<HeldServer> {
  const held: ServerResponse[] = [];
  const state = {
    received: 0,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    state.received++;
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    held,
    get received() {
      return state.received;
    },
    answer() {
      held.shift()?.end('ok');
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held.splice(0)) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `condition` holds, polling on the event loop (no duration is asserted). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

let server: HeldServer | undefined;
let client: HttpClient | undefined;

afterEach(async () => {
  await client?.destroy();
  await server?.close();
  client = server = undefined;
});

describe('createHttpClient maxQueue', () => {
  it('refuses a call past maxQueue at once with QueueFullError naming the limits, and serves the rest', async () => {
    server = await startHeldServer();
    client = createHttpClient({ connections: 2, maxQueue: 1, name: 'billing', timeoutMs: 10_000, retries: false });
    const onWire = [track(client.request(`${server.url}/a`)), track(client.request(`${server.url}/b`))];
    const queued = track(client.request(`${server.url}/c`));
    const refused = track(client.request(`${server.url}/d`));
    await until(() => refused.current().state !== 'pending');
    const error = reasonOf(refused);
    expect(isQueueFullError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'QueueFullError',
      kind: 'HttpClient',
      resource: 'billing',
      limit: 2,
      maxQueue: 1,
      waiting: 1,
      message: 'HttpClient "billing" queue is full: 1 waiting (maxQueue 1), 2 of 2 in use',
    });
    await until(() => server!.received === 2);
    expect(client.stats()).toMatchObject({ pending: 1, inFlight: 3 });
    // Only the calls holding a connection ever reached the server; the queued one follows.
    server.answer();
    await until(() => server!.received === 3);
    server.answer();
    server.answer();
    await until(() => [...onWire, queued].every((call) => call.current().state === 'fulfilled'));
    expect(server.received).toBe(3);
  });

  it('refuses an invalid maxQueue', () => {
    expect(() => createHttpClient({ maxQueue: -1 })).toThrow(
      new TypeError('Expected `maxQueue` to be a non-negative integer or Infinity, got -1'),
    );
  });
});

describe('createHttpClient aborts', () => {
  it('a queued call whose signal aborts leaves the queue at once, rejects with the reason and never takes a connection', async () => {
    server = await startHeldServer();
    client = createHttpClient({ connections: 1, maxQueue: 1, timeoutMs: 10_000, retries: false });
    const first = track(client.request(`${server.url}/first`));
    await until(() => server!.received === 1);
    const controller = new AbortController();
    const aborted = track(client.request(`${server.url}/aborted`, { signal: controller.signal }));
    await until(() => client!.stats().pending === 1);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await until(() => aborted.current().state !== 'pending');
    expect(reasonOf(aborted)).toBe(reason);
    // Its place in the bounded queue is free again at once: another call fits.
    expect(client.stats().pending).toBe(0);
    const next = track(client.request(`${server.url}/next`));
    server.answer();
    await until(() => server!.received === 2);
    server.answer();
    await until(() => next.current().state === 'fulfilled' && first.current().state === 'fulfilled');
    // The aborted call never reached the server.
    expect(server.received).toBe(2);
  });
});

describe('createHttpClient load shedding', () => {
  it('sheds at once a call whose deadline is shorter than the wait of a stalled origin', async () => {
    server = await startHeldServer();
    client = createHttpClient({ connections: 1, name: 'upstream', timeoutMs: 10_000, retries: false });
    const hung = track(client.request(`${server.url}/hang`));
    await until(() => server!.received === 1);
    const patient = track(client.request(`${server.url}/patient`));
    // The origin has served nobody for about this long: a newcomer expects at least as much, more than its 250 ms.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const hasty = track(client.request(`${server.url}/hasty`, { timeoutMs: 250 }));
    await until(() => hasty.current().state !== 'pending');
    const error = reasonOf(hasty);
    expect(isLoadShedError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'LoadShedError',
      kind: 'HttpClient',
      resource: 'upstream',
      limit: `connections 1 to ${server.url}`,
      waiting: 1,
    });
    expect((error as { expectedWaitMs: number }).expectedWaitMs).toBeGreaterThan(250);
    // Refused, not timed out: it never waited in the queue, and never reached the server.
    expect(server.received).toBe(1);
    server.answer();
    await until(() => server!.received === 2);
    server.answer();
    await until(() => patient.current().state === 'fulfilled' && hung.current().state === 'fulfilled');
  });
});
