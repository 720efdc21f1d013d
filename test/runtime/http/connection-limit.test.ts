/**
 * The HTTP client's `connections` limit, counted where it matters: on the server's side, by a real
 * node:http server on 127.0.0.1, and on the client's side; under 60 concurrent calls with hangs
 * (call timeouts), resets and a refused port (a partition) mixed in, neither may ever pass the
 * limit, whatever the client's own stats say.
 *
 * The limit is asserted on the kernel's count (Linux, /proc/net/tcp) of connections to the port
 * ESTABLISHED on the client's side, and on the client's own stats. The server's side is only
 * reported: its event loop learns of a close late (its JavaScript count once read 11 while the
 * client held 10), and so, on a loaded machine, does its side in the kernel (a row stays
 * ESTABLISHED until the FIN has been delivered over loopback). Where /proc/net/tcp cannot be
 * read only the client's stats are checked.
 *
 * Real sockets and real time: the load runs for a bounded number of calls, the sampler every
 * 20 ms (reading the table costs milliseconds on a busy machine). Nothing here asserts a duration.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../../runtime/index.js';
import { establishedTo } from '../../../runtime/stress/measure.js';

const LIMIT = 10;
const CALLERS = 60;

interface FlakyServer {
  readonly url: string;
  readonly port: number;
  /** Stops listening and destroys every socket: connects are refused until `heal()`. */
  partition(): Promise<void>;
  heal(): Promise<void>;
  close(): Promise<void>;
}

/** One request in 20 hangs, one in 13 resets its connection, the rest answer in 5–25 ms. */
async function startFlakyServer(): Promise<FlakyServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let index = 0;
  const server: Server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    const i = index++;
    req.resume();
    if (i % 13 === 6) {
      req.socket.destroy();
      return;
    }
    if (i % 20 === 1) return; // never answers: the client's deadline ends the call
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!res.destroyed) res.end('ok');
      },
      5 + (i % 21),
    );
    timers.add(timer);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    partition: stop,
    heal: () => listen(port),
    close: stop,
  };
}

/**
 * Connections to `port` ESTABLISHED on the client's side (what `establishedTo` counts for the
 * stress harness) and on the server's side, or undefined where /proc/net/tcp cannot be read.
 */
function kernelCounts(port: number): { client: number; server: number } | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let server = 0;
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local && fields[3] === '01') server++;
  }
  return { client: establishedTo(port, () => table)!, server };
}

interface Peaks {
  /** Undefined where the kernel's table cannot be read. */
  client: number | undefined;
  server: number | undefined;
  stats: number;
  ok: number;
  failures: Map<string, number>;
}

/** 60 callers, 10 calls each, with a partition in the middle; the sampler runs throughout. */
async function hammer(server: FlakyServer, client: HttpClient, url: string): Promise<Peaks> {
  const peaks: Peaks = { client: undefined, server: undefined, stats: 0, ok: 0, failures: new Map() };
  const sample = (): void => {
    peaks.stats = Math.max(peaks.stats, client.stats().connected);
    const kernel = kernelCounts(server.port);
    if (kernel === undefined) return;
    peaks.client = Math.max(peaks.client ?? 0, kernel.client);
    peaks.server = Math.max(peaks.server ?? 0, kernel.server);
  };
  const sampler = setInterval(sample, 20);
  let calls = 0;
  let partitioned = false;
  const caller = async (): Promise<void> => {
    for (let round = 0; round < 10; round++) {
      calls++;
      if (!partitioned && calls === CALLERS * 5) {
        partitioned = true;
        await server.partition();
        setTimeout(() => void server.heal(), 300);
      }
      try {
        const response = await client.request(url);
        await response.body.text();
        peaks.ok++;
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        const key = `${(error as Error).name}${cause?.code === undefined ? '' : `:${cause.code}`}`;
        peaks.failures.set(key, (peaks.failures.get(key) ?? 0) + 1);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CALLERS }, caller));
  } finally {
    clearInterval(sampler);
  }
  return peaks;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe.each([
  ['one origin (baseUrl, an undici Pool)', true],
  ['any origin (an undici Agent)', false],
])('createHttpClient connections: %s', (_title, withBase) => {
  it(`never has more than ${LIMIT} connections open under timeouts, resets and a refused port`, { timeout: 30_000 }, async () => {
    const server = await startFlakyServer();
    cleanup.push(() => server.close());
    const client = createHttpClient({
      ...(withBase ? { baseUrl: server.url } : {}),
      connections: LIMIT,
      timeoutMs: 300,
      retries: { limit: 1, baseDelayMs: 5 },
    });
    cleanup.push(() => client.destroy());

    const peaks = await hammer(server, client, withBase ? '/work' : `${server.url}/work`);

    // The mix really happened: answers, deadlines, resets and refused connects.
    expect(peaks.ok).toBeGreaterThan(0);
    expect(peaks.failures.get('TimeoutError')).toBeGreaterThan(0);
    expect([...peaks.failures.keys()].some((key) => key.endsWith('ECONNREFUSED'))).toBe(true);
    expect(peaks.stats).toBeLessThanOrEqual(LIMIT);
    if (peaks.client !== undefined) {
      expect(peaks.client).toBeGreaterThan(0);
      expect(peaks.client).toBeLessThanOrEqual(LIMIT);
      // Not asserted: the server side's count. A connection the client has closed stays
      // ESTABLISHED on the server's side until the kernel has delivered the FIN over loopback,
      // which lags on a loaded machine: CI once read 14 there while the client side held 10.
      // The client's side is what the limit bounds.
      console.info(`kernel peaks: client side ${peaks.client}, server side ${peaks.server ?? '?'} (limit ${LIMIT})`);
    }

    // close() leaves nothing open behind it.
    await client.close();
    const open = (): number => {
      const kernel = kernelCounts(server.port);
      return kernel === undefined ? 0 : kernel.client + kernel.server;
    };
    for (let i = 0; i < 100 && open() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(open()).toBe(0);
  });
});
