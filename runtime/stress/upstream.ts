import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** How the upstream answers: normally, never (`hang`), or by resetting the connection (`reset`). */
export type UpstreamMode = 'ok' | 'hang' | 'reset';

export interface UpstreamOptions {
  /** Base delay before each answer, in ms. Default 20. */
  latencyMs?: number;
  /** Up to this much more, uniformly at random, in ms. Default 10. */
  jitterMs?: number;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface UpstreamStats {
  readonly requests: number;
  readonly answered: number;
  /** Requests left unanswered on purpose (`hang`) or reset (`reset`). */
  readonly hung: number;
  readonly reset: number;
  /** Most connections open at once (what the HTTP client's connection limit must bound). */
  readonly peakConnections: number;
  readonly openConnections: number;
  /** Most requests being handled at once. */
  readonly peakActive: number;
}

/**
 * The local HTTP service the stress workload calls: `GET /work` answers a small JSON body after
 * a configurable latency (`?ms=` overrides it per request). Chaos switches it to hang, to reset
 * every connection, or to stop accepting connections altogether (a partition) and back, on the
 * same port. It listens on 127.0.0.1 only.
 */
export interface Upstream {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly mode: UpstreamMode;
  /** False between `partition()` and `heal()`. */
  readonly accepting: boolean;
  setMode(mode: UpstreamMode): void;
  setLatency(ms: number, jitterMs?: number): void;
  /** Stops listening and destroys every open connection: new connections are refused. */
  partition(): Promise<void>;
  /** Listens again on the same port. */
  heal(): Promise<void>;
  stats(): UpstreamStats;
  close(): Promise<void>;
}

// eslint-disable-next-line max-lines-per-function -- a test server: the request handler and its fault modes (hang, reset, partition, close) share the server's mutable state in one closure
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  let latencyMs = options.latencyMs ?? 20;
  let jitterMs = options.jitterMs ?? 10;
  let mode: UpstreamMode = 'ok';
  let accepting = true;
  let closed = false;
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let requests = 0;
  let answered = 0;
  let hung = 0;
  let reset = 0;
  let peakConnections = 0;
  let active = 0;
  let peakActive = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    if (mode === 'reset') {
      reset++;
      req.socket.destroy();
      return;
    }
    active++;
    if (active > peakActive) peakActive = active;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      active--;
    };
    res.on('close', finish);
    if (mode === 'hang') {
      hung++;
      return; // Never answers; the socket closes when the client gives up or on partition/close.
    }
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname !== '/work') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const asked = url.searchParams.has('ms') ? Number(url.searchParams.get('ms')) : Number.NaN;
    const delay = Number.isFinite(asked) && asked >= 0 ? asked : latencyMs + Math.random() * jitterMs;
    const answer = (): void => {
      timers.delete(timer);
      if (res.destroyed) return;
      answered++;
      const body = JSON.stringify({ ok: true, delay: Math.round(delay) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const timer = setTimeout(answer, delay);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };

  const server: Server = createServer(handle);
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    if (sockets.size > peakConnections) peakConnections = sockets.size;
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', onError);
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
    });

  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    get mode() {
      return mode;
    },
    get accepting() {
      return accepting;
    },
    setMode(next) {
      mode = next;
    },
    setLatency(ms, jitter) {
      latencyMs = ms;
      if (jitter !== undefined) jitterMs = jitter;
    },
    async partition() {
      if (!accepting || closed) return;
      accepting = false;
      await stop();
    },
    async heal() {
      if (accepting || closed) return;
      // The port was ours a moment ago; another process could take it, so retry briefly.
      for (let attempt = 1; ; attempt++) {
        try {
          await listen(port);
          break;
        } catch (error) {
          if (attempt >= 20) throw error;
          await delay(50);
        }
      }
      accepting = true;
    },
    stats: () => ({ requests, answered, hung, reset, peakConnections, openConnections: sockets.size, peakActive }),
    async close() {
      if (closed) return;
      closed = true;
      await stop();
    },
  };
}
