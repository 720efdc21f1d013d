/**
 * Real `node:http` servers on 127.0.0.1 that misbehave on purpose, for tests of HTTP clients
 * (and for the stress suite): one never answers, one stalls mid-body, one resets connections,
 * one answers 429 or 503 with `Retry-After` a few times, one answers fast, one answers slowly.
 *
 * Every server listens on a free port of 127.0.0.1 only, counts what it sees (requests,
 * connections, the most connections open at once) and keeps a log of requests with their
 * arrival times. `close()` destroys every socket and clears every timer the server set, so a
 * test that closes its servers leaves nothing behind.
 *
 * ```ts
 * await using server = await startHangingServer();
 * await expect(client.request(server.url + '/slow')).rejects.toThrow(TimeoutError);
 * expect(server.requests).toBe(1);
 * ```
 */
import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RequestRecord {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** `performance.now()` when the request's headers arrived. */
  readonly at: number;
  /** Which connection it came on: 0 for the first socket the server accepted, and so on. */
  readonly connection: number;
}

export interface TestServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests received so far. */
  readonly requests: number;
  /** Every request received, in arrival order. */
  readonly log: readonly RequestRecord[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections open now. */
  readonly openConnections: number;
  /** The most connections open at once. */
  readonly peakConnections: number;
  /** Requests received and not yet answered (or abandoned) now. */
  readonly activeRequests: number;
  /** The most requests being handled at once. */
  readonly peakActiveRequests: number;
  /** Resolves once no connection is open, or rejects after `timeoutMs` (default 2 s). */
  whenNoConnections(timeoutMs?: number): Promise<void>;
  /** Stops listening, destroys every socket, clears every pending timer. Safe to call twice. */
  close(): Promise<void>;
}

/** What a handler gets besides the request and response. */
export interface HandlerContext {
  /** 0 for the first request this server received, and so on. */
  readonly index: number;
  /** `setTimeout` that `close()` clears. */
  readonly later: (ms: number, fn: () => void) => void;
}

export type TestHandler = (req: IncomingMessage, res: ServerResponse, context: HandlerContext) => void;

/** A keep-alive server on 127.0.0.1 that runs `handler` for every request. */
export async function startServer(handler: TestHandler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const log: RequestRecord[] = [];
  const socketIds = new WeakMap<Socket, number>();
  let accepted = 0;
  let peak = 0;
  let active = 0;
  let peakActive = 0;
  let closing: Promise<void> | undefined;
  const drained = new Set<() => void>();

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = createServer({ keepAlive: true, keepAliveTimeout: 5_000 }, (req, res) => {
    const index = log.length;
    log.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      at: performance.now(),
      connection: socketIds.get(req.socket) ?? -1,
    });
    active++;
    if (active > peakActive) peakActive = active;
    res.once('close', () => {
      active--;
    });
    handler(req, res, { index, later });
  });
  server.on('connection', (socket: Socket) => {
    socketIds.set(socket, accepted);
    accepted++;
    sockets.add(socket);
    if (sockets.size > peak) peak = sockets.size;
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const resolve of drained) resolve();
    });
  });
  // A client that resets its end makes the server's socket emit an error; that is expected here.
  server.on('clientError', (_error, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    get requests() {
      return log.length;
    },
    log,
    get connections() {
      return accepted;
    },
    get openConnections() {
      return sockets.size;
    },
    get peakConnections() {
      return peak;
    },
    get activeRequests() {
      return active;
    },
    get peakActiveRequests() {
      return peakActive;
    },
    whenNoConnections(timeoutMs = 2_000) {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          drained.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          drained.delete(done);
          reject(new Error(`${sockets.size} connection(s) still open after ${timeoutMs} ms`));
        }, timeoutMs);
        drained.add(done);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Reads every request and never answers: the client must give up on its own. */
export function startHangingServer(): Promise<TestServer> {
  return startServer((req) => {
    req.resume();
  });
}

export interface StallingBodyOptions {
  /** Announced `content-length`. Default 1000. */
  contentLength?: number;
  /** Sent right after the headers, then nothing more. Default `"partial"`. */
  firstChunk?: string;
}

/** Sends status and headers and the start of the body at once, then stalls forever. */
export function startStallingBodyServer(options: StallingBodyOptions = {}): Promise<TestServer> {
  const { contentLength = 1000, firstChunk = 'partial' } = options;
  return startServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': contentLength });
    res.write(firstChunk);
  });
}

export interface ResettingOptions {
  /**
   * `'reset'` (default) sends a TCP RST (the client sees ECONNRESET); `'close'` ends the
   * socket cleanly before answering (the client sees "other side closed").
   */
  mode?: 'reset' | 'close';
  /** Send headers and part of the body first, then break the connection. Default false. */
  midBody?: boolean;
}

/** Breaks the connection of every request. */
export function startResettingServer(options: ResettingOptions = {}): Promise<TestServer> {
  const { mode = 'reset', midBody = false } = options;
  const breakSocket = (socket: Socket): void => {
    if (mode === 'reset') socket.resetAndDestroy();
    else socket.destroy();
  };
  return startServer((req, res, { later }) => {
    req.resume();
    if (!midBody) {
      breakSocket(req.socket);
      return;
    }
    res.writeHead(200, { 'content-length': 1000 });
    res.write('partial', () => later(10, () => breakSocket(req.socket)));
  });
}

export interface RetryAfterOptions {
  /** Status of the refusals. Default 429. */
  status?: number;
  /** `Retry-After` value of the refusals: delay-seconds or an HTTP-date; `null` sends none. Default `"1"`. */
  retryAfter?: string | null;
  /** How many requests are refused before the server answers 200. Default 1; `Infinity` refuses all. */
  failures?: number;
  /** Body of the 200 answer. Default `{"ok":true}`. */
  body?: string;
}

/** Refuses the first `failures` requests with `status` and `Retry-After`, then answers 200. */
export function startRetryAfterServer(options: RetryAfterOptions = {}): Promise<TestServer> {
  const { status = 429, retryAfter = '1', failures = 1, body = '{"ok":true}' } = options;
  return startServer((req, res, { index }) => {
    req.resume();
    if (index < failures) {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (retryAfter !== null) headers['retry-after'] = retryAfter;
      res.writeHead(status, headers);
      res.end(`refused: request ${index + 1}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
}

export interface FastOptions {
  /** Body of every answer. Default `"ok"`. */
  body?: string | Uint8Array;
  /** Status of every answer. Default 200. */
  status?: number;
}

/** Answers every request at once, keeping the connection alive. */
export function startFastServer(options: FastOptions = {}): Promise<TestServer> {
  const { body = 'ok', status = 200 } = options;
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  return startServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': length });
    res.end(body);
  });
}

export interface SlowOptions {
  /** Delay before answering, in milliseconds. */
  latencyMs: number;
  /** Body of every answer. Default `"ok"`. */
  body?: string;
}

/** Answers every request after `latencyMs`, keeping the connection alive. */
export function startSlowServer(options: SlowOptions): Promise<TestServer> {
  const { latencyMs, body = 'ok' } = options;
  return startServer((req, res, { later }) => {
    req.resume();
    later(latencyMs, () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}
