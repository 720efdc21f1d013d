import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeProviderOptions {
  /** Requests accepted in any window of `perMs`; more are answered 429 with Retry-After. Default 60. */
  limit?: number;
  /** Window length in milliseconds. Default 60 000. */
  perMs?: number;
  /** Delay before each answer, in milliseconds. Default 0. */
  latencyMs?: number;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface FakeProviderStats {
  /** Requests received on the model routes. */
  readonly requests: number;
  /** Answered 200. */
  readonly accepted: number;
  /** Answered 429. */
  readonly rejected: number;
  /** Most requests being answered at once. */
  readonly maxInFlight: number;
  /** `performance.now()` of each accepted request, in order. */
  readonly acceptedAt: readonly number[];
}

/**
 * A local model provider for tests and the stress suite: it speaks the OpenAI
 * (`POST /v1/chat/completions`, `GET /v1/models`) and Anthropic (`POST /v1/messages`) shapes
 * and enforces its own rate limit (an exact sliding window) with 429 and `Retry-After`, as the
 * real services do. It listens on 127.0.0.1 only.
 */
export interface FakeProvider {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Base URL for the OpenAI SDK (`${url}/v1`). */
  readonly openaiBaseURL: string;
  /** Base URL for the Anthropic SDK (`url`). */
  readonly anthropicBaseURL: string;
  stats(): FakeProviderStats;
  /** Changes the rate limit live (the `provider-429` chaos halves it mid-run). */
  setLimit(limit: number, perMs?: number): void;
  setLatency(ms: number): void;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

// eslint-disable-next-line max-lines-per-function -- a test server: the request handler and its controls (setLimit, latency, stats, close) share the server's mutable state in one closure
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  let limit = options.limit ?? 60;
  let perMs = options.perMs ?? 60_000;
  let latencyMs = options.latencyMs ?? 0;
  const acceptedAt: number[] = [];
  let requests = 0;
  let rejected = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const sockets = new Set<Socket>();

  /** Milliseconds until the window has room, 0 when it has room now. */
  const waitForRoom = (now: number): number => {
    let inWindow = 0;
    for (let i = acceptedAt.length - 1; i >= 0 && acceptedAt[i]! > now - perMs; i--) inWindow++;
    if (inWindow < limit) return 0;
    const oldestCounted = acceptedAt[acceptedAt.length - limit]!;
    return oldestCounted + perMs - now;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const anthropic = route === 'POST /v1/messages';
    const openai = route === 'POST /v1/chat/completions';
    if (route === 'GET /v1/models') {
      json(res, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'bounded' }] });
      return;
    }
    if (!anthropic && !openai) {
      json(res, 404, { error: { message: `No route ${route}`, type: 'invalid_request_error' } });
      return;
    }
    requests++;
    const now = performance.now();
    const wait = waitForRoom(now);
    if (wait > 0) {
      rejected++;
      const message = `Rate limit reached: ${limit} requests per ${perMs} ms`;
      res.setHeader('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
      res.setHeader('retry-after-ms', String(Math.ceil(wait)));
      json(
        res,
        429,
        anthropic
          ? { type: 'error', error: { type: 'rate_limit_error', message } }
          : { error: { message, type: 'requests', code: 'rate_limit_exceeded' } },
      );
      return;
    }
    acceptedAt.push(now);
    let parsed: { model?: string } = {};
    try {
      parsed = JSON.parse(body || '{}') as { model?: string };
    } catch {
      json(res, 400, { error: { message: 'Body is not JSON', type: 'invalid_request_error' } });
      return;
    }
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    const answer = (): void => {
      inFlight--;
      const model = parsed.model ?? 'fake-model';
      json(
        res,
        200,
        anthropic
          ? {
              id: `msg_${acceptedAt.length}`,
              type: 'message',
              role: 'assistant',
              model,
              content: [{ type: 'text', text: 'ok' }],
              stop_reason: 'end_turn',
              stop_sequence: null,
              usage: { input_tokens: 1, output_tokens: 1 },
            }
          : {
              id: `chatcmpl-${acceptedAt.length}`,
              object: 'chat.completion',
              created: Math.floor(Date.now() / 1000),
              model,
              choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop', logprobs: null }],
              usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            },
      );
    };
    if (latencyMs <= 0) {
      answer();
      return;
    }
    const timer = setTimeout(answer, latencyMs);
    res.on('close', () => {
      if (!res.writableFinished) {
        clearTimeout(timer);
        inFlight--;
      }
    });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    stats: () => ({ requests, accepted: acceptedAt.length, rejected, maxInFlight, acceptedAt: acceptedAt.slice() }),
    setLimit(next, nextPerMs) {
      limit = next;
      if (nextPerMs !== undefined) perMs = nextPerMs;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
