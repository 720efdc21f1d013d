/**
 * `createHttpClient`: undici with the limits a service needs: pooled keep-alive connections,
 * at most `connections` per origin; one total deadline per call; retries that know which
 * requests are safe to repeat; optional rate limiter and semaphore.
 *
 * Choices worth knowing:
 * - `request()` reads the whole body before it resolves, so its deadline covers headers and
 *   body alike, a body that stalls fails the call (not some later read), and a connection that
 *   breaks mid-body is retried like any other. For large or streamed bodies use `fetch()`,
 *   whose deadline keeps running while the caller reads the body.
 * - The deadline is the client's own timer. undici's `headersTimeout` / `bodyTimeout` tick at
 *   about 1 s granularity and measure silence, not total time, so they are only a backstop.
 * - A call never waits past its deadline for a retry: a backoff or `Retry-After` that would end
 *   past it stops the retries at once and says so in the error. A `Retry-After` is honoured up to
 *   `maxRetryAfterMs` (5 minutes by default), for the wait and for the limiter's penalty alike.
 * - A response body is read up to `maxBodyBytes` (10 MiB by default), counted as it streams: a
 *   larger one aborts the request and fails the call with `BodyTooLargeError`.
 */
import { createRequire } from 'node:module';
import type { Agent, Dispatcher, Pool } from 'undici';
import type * as Undici from 'undici';
import { DEFAULT_POLICY } from '@bounded/policy/core';
import { ClosedError, LoadShedError, QueueFullError, TimeoutError, isLoadShedError, isQueueFullError } from '../errors.js';
import { Listeners, type Listener, type Subscription } from '../internal/events.js';
import { assertQueueBound, assertSignal, assertTimeoutMs, show } from '../internal/validate.js';
import type { RateLimiter } from '../rate-limit/types.js';
import { Semaphore, type Permit } from '../semaphore.js';
import {
  BufferedBody,
  declaredLength,
  isReplayable,
  readCapped,
  streamUnderBudget,
  type ResponseBody,
  type UndiciResponse,
} from './body.js';
import { Budget } from './budget.js';
import { BodyTooLargeError, HttpStatusError, RetryExhaustedError, bodyExcerpt } from './errors.js';
import {
  assertMaxRetryAfter,
  backoffDelay,
  isRetryableError,
  mayRetry,
  parseRetryAfter,
  retryPolicy,
  type RetryOptions,
  type RetryPolicy,
} from './retry.js';

/**
 * undici's own `headersTimeout` / `bodyTimeout` are a backstop only: they tick at about 1 s
 * granularity, so they are set this far past the call's deadline, which always fires first.
 */
const BACKSTOP_MS = 1_000;

export type { ResponseBody };

export interface HttpClientOptions {
  /**
   * Total deadline of one call, in milliseconds: waiting for the limiter and the semaphore,
   * every attempt (connect, send, headers and the whole body) and the waits between attempts.
   * Past it the call rejects with `TimeoutError`. Default: the policy's HTTP timeout (60 s).
   */
  timeoutMs?: number;
  /**
   * Most keep-alive connections per origin. Calls beyond it queue inside the client until a
   * connection is free. Default: the policy's fan-out concurrency (10).
   */
  connections?: number;
  /**
   * Most calls waiting for a connection to one origin; one more is refused at once with
   * `QueueFullError`. Whatever the bound, a call whose deadline is shorter than its expected
   * wait for a connection (measured from how fast connections come free) is refused at once
   * with `LoadShedError` rather than queued to expire. Default: Infinity (the deadlines bound
   * the queue).
   */
  maxQueue?: number;
  /**
   * Retry policy: a number is the retry limit, `false` turns retrying off, an object sets
   * everything (see `RetryOptions`). Default: 2 retries of idempotent methods, on connection
   * failures and on 429 / 503, with exponential backoff and full jitter from 100 ms.
   */
  retries?: number | false | RetryOptions;
  /**
   * Every attempt is admitted by this rate limiter first (`tryAcquire()`, or when that refuses,
   * `acquire({ signal })`, which waits within the call's deadline), and a 429 with
   * `Retry-After` pauses it (`penalize(ms)`) for every caller that shares it.
   */
  limiter?: Pick<RateLimiter, 'acquire' | 'tryAcquire' | 'penalize'>;
  /**
   * Every attempt holds a permit of this semaphore from send to the end of the body (after the
   * limiter admitted it, so a call waiting for its rate slot holds no permit).
   */
  semaphore?: Pick<Semaphore, 'acquire' | 'tryAcquire'>;
  /**
   * One origin to talk to, over an undici `Pool`: relative URLs resolve against it like
   * `new URL(url, baseUrl)`, and a URL on another origin is refused. Without it the client
   * uses an undici `Agent`, one pool per origin (kept until the client closes).
   */
  baseUrl?: string | URL;
  /** Names the client in errors and events. */
  name?: string;
  /**
   * Whether `request()` rejects with `HttpStatusError` on a 4xx or 5xx answer. Default true.
   * `fetch()` never does, like the standard one.
   */
  throwOnError?: boolean;
  /**
   * Largest response body a call reads, in bytes, counted as it arrives: a body declared
   * (`Content-Length`) or found larger aborts the request, and the call (or, for `fetch()`, the
   * body stream) rejects with `BodyTooLargeError`. `Infinity` turns the cap off. Default: the
   * policy's `defaults.http.maxBodyBytes` (10 MiB). A call may set its own.
   */
  maxBodyBytes?: number;
  /**
   * Longest `Retry-After` honoured, in milliseconds: a longer one (delay-seconds or an
   * HTTP-date) counts as this long, both for the wait before a retry and for the `penalize` of
   * the limiter. Default: the policy's `defaults.http.maxRetryAfter` (5 minutes). Either way a
   * call never waits past its own deadline.
   */
  maxRetryAfterMs?: number;
}

/** Options of one `request()` call. */
export interface HttpRequestOptions {
  /** Default `GET`. */
  method?: Dispatcher.HttpMethod;
  headers?: Dispatcher.DispatchOptions['headers'];
  /** A stream body cannot be sent twice, so a call with one is never retried. */
  body?: Dispatcher.DispatchOptions['body'];
  /** Aborting it aborts the call (and its retries); the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** This call's total deadline, instead of the client's. */
  timeoutMs?: number;
  /**
   * `true` allows retries for this call whatever its method (e.g. a POST the server
   * deduplicates); `false` forbids them. Default: the retry policy's `methods`.
   */
  idempotent?: boolean;
  /** Instead of the client's `throwOnError`. */
  throwOnError?: boolean;
  /** Instead of the client's `maxBodyBytes`. */
  maxBodyBytes?: number;
}

/** Extra fields `fetch()` reads from its `init`, next to the standard ones. */
export interface HttpFetchInit extends RequestInit {
  /**
   * This call's total deadline, instead of the client's. (undici's own header and body
   * timeouts, set to the client's `timeoutMs` + 1 s as a backstop, still apply to each silent
   * stretch of a fetch; `request()` raises them per call.)
   */
  timeoutMs?: number;
  /** As in `HttpRequestOptions`. */
  idempotent?: boolean;
  /** Instead of the client's `maxBodyBytes`: the body stream fails with `BodyTooLargeError` past it. */
  maxBodyBytes?: number;
}

export type HttpHeaders = Record<string, string | string[] | undefined>;

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: HttpHeaders;
  readonly body: ResponseBody;
  /** Attempts it took, the first one included. */
  readonly attempts: number;
}

/** Connection and request counts, summed over every origin the client talks to. */
export interface HttpClientStats {
  /** Open connections. */
  readonly connected: number;
  /** Open connections without a request on them. */
  readonly free: number;
  /** Requests waiting for a connection. */
  readonly pending: number;
  /** Requests queued on a connection (with pipelining off, those about to be written). */
  readonly queued: number;
  /** Requests being sent or answered now. */
  readonly running: number;
  /** `pending + queued + running`. */
  readonly size: number;
  /** Calls in progress, including those waiting for the limiter, the semaphore or a retry. */
  readonly inFlight: number;
  /** Most connections per origin (the `connections` option): the limit the monitor measures against. */
  readonly connections: number;
}

export interface HttpRetryEvent {
  readonly name: string | undefined;
  readonly method: string;
  /** Without credentials and query string. */
  readonly url: string;
  /** The attempt that failed, 1 for the first. */
  readonly attempt: number;
  /** Wait before the next attempt, in milliseconds. */
  readonly delayMs: number;
  /** The status that asked for a retry, or `undefined` when the attempt failed outright. */
  readonly status: number | undefined;
  /** The attempt's failure, or `undefined` when it answered with a retryable status. */
  readonly error: unknown;
}

/**
 * An HTTP client with keep-alive pooling, a bounded connection count, a total deadline per call
 * and retries. Close it when done: `await client.close()` (or `await using client = …`).
 */
export interface HttpClient extends AsyncDisposable {
  readonly name: string | undefined;
  /**
   * Sends one request and reads the whole body within the deadline (undici `request` style).
   * Rejects with `TimeoutError`, `HttpStatusError` (when `throwOnError`), `RetryExhaustedError`,
   * the caller's abort reason, or the connection error of an attempt that was not retried.
   */
  request(url: string | URL, options?: HttpRequestOptions): Promise<HttpResponse>;
  /**
   * The standard `fetch`, with the same deadline and retries: resolves with a `Response` once
   * headers arrive, and the deadline keeps running while the body streams (reading it past the
   * deadline fails with `TimeoutError`). Retries happen before a response is handed over. Read
   * or cancel the body: until then the call holds its connection (and semaphore permit), at
   * most until the deadline.
   */
  fetch(input: string | URL | Request, init?: HttpFetchInit): Promise<Response>;
  stats(): HttpClientStats;
  /** Called before each retry. */
  onRetry(listener: Listener<HttpRetryEvent>): Subscription;
  /**
   * Refuses new calls, abandons calls waiting for a retry, the limiter or the semaphore (they
   * reject with `ClosedError`), lets requests on the wire finish, then closes every connection.
   */
  close(): Promise<void>;
  /** Like `close`, but aborts requests on the wire too and destroys the connections at once. */
  destroy(): Promise<void>;
  readonly closed: boolean;
}

/**
 * ```ts
 * const http = createHttpClient({ timeoutMs: 5_000, connections: 20, name: 'billing' });
 * const { body } = await http.request('https://billing.internal/invoices/42');
 * const invoice = await body.json();
 * const res = await http.fetch('https://billing.internal/health'); // a standard Response
 * await http.close();
 * ```
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  return new BoundedHttpClient(options);
}

/** A request URL taken apart the way the client uses it. */
interface ParsedUrl {
  readonly href: string;
  readonly origin: string;
  /** Path and query string. */
  readonly path: string;
  /** For messages: origin and path, without credentials or query string. */
  readonly display: string;
}

interface Target extends ParsedUrl {
  readonly method: string;
}

/** Parsed URLs a client remembers; past this many it forgets them all and starts over. */
const LOCATION_CACHE_SIZE = 256;

/** A literal, not a spread: V8 builds it several times faster. */
function target(location: ParsedUrl, method: string): Target {
  const { href, origin, path, display } = location;
  return { href, origin, path, display, method };
}

/** A rejection handler that gives `permit` back, then rethrows. */
function releaseAnd(permit: Permit): (error: unknown) => never {
  return (error) => {
    permit.release();
    throw error;
  };
}

/** One permit made of two, released together. */
function both(first: Permit, second: Permit): Permit {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    second.release();
    first.release();
  };
  return {
    release,
    get released() {
      return released;
    },
    [Symbol.dispose]: release,
  };
}

/** What one attempt of either entry point does, so both share the retry loop. */
interface Exchange<R> {
  readonly replayable: boolean;
  /** Sends under `budget`: the call's, or the attempt's own when `attemptTimeoutMs` applies. */
  send(budget: Budget, remainingMs: number): Promise<R>;
  status(result: R): number;
  retryAfter(result: R): string | string[] | null | undefined;
  /** Drops a result that is about to be retried. */
  discard(result: R): Promise<void>;
}

interface Outcome<R> {
  readonly result: R;
  readonly attempts: number;
  /** Set when the result has a retryable status but retrying stopped: says why. */
  readonly stopped: string | undefined;
  /** Releases what the last attempt holds (semaphore permit, attempt timer). */
  readonly release: () => void;
}

interface Held<R> {
  readonly result: R;
  readonly release: () => void;
}

interface Buffered {
  readonly statusCode: number;
  readonly headers: HttpHeaders;
  readonly bytes: Uint8Array;
}

/** Errors of attempts that ran out of `attemptTimeoutMs`: retryable, unlike the call's own deadline. */
const attemptTimeouts = new WeakSet<object>();

class BoundedHttpClient implements HttpClient {
  readonly name: string | undefined;
  /** Owns the connections: stats, close, destroy. */
  readonly #dispatcher: Agent | Pool;
  /** Sends requests: the dispatcher itself, or for a Pool, the Pool behind an origin check. */
  readonly #sender: Dispatcher;
  readonly #base: URL | undefined;
  readonly #timeoutMs: number;
  readonly #connections: number;
  readonly #maxQueue: number;
  /**
   * One per origin: the calls allowed on the wire at once (`connections`) and the queue of those
   * waiting for a connection, bounded and deadline-aware, kept here instead of in undici's
   * unbounded queue. Kept, like undici's pools, until the client closes.
   */
  readonly #gates = new Map<string, Semaphore>();
  readonly #retry: RetryPolicy;
  readonly #limiter: Pick<RateLimiter, 'acquire' | 'tryAcquire' | 'penalize'> | undefined;
  readonly #semaphore: Pick<Semaphore, 'acquire' | 'tryAcquire'> | undefined;
  readonly #throwOnError: boolean;
  readonly #maxBodyBytes: number;
  readonly #maxRetryAfterMs: number;
  readonly #calls = new Set<Budget>();
  readonly #parsed = new Map<string, ParsedUrl>();
  readonly #retried = new Listeners<HttpRetryEvent>();
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;

  constructor(options: HttpClientOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object, got ${show(options)}`);
    }
    const {
      timeoutMs = DEFAULT_POLICY.defaults.timeouts.http,
      connections = DEFAULT_POLICY.defaults.concurrency,
      maxQueue = Number.POSITIVE_INFINITY,
      retries,
      limiter,
      semaphore,
      baseUrl,
      name,
      throwOnError = true,
      maxBodyBytes = DEFAULT_POLICY.defaults.http.maxBodyBytes,
      maxRetryAfterMs = DEFAULT_POLICY.defaults.http.maxRetryAfterMs,
    } = options;
    assertTimeoutMs('timeoutMs', timeoutMs);
    assertMaxBodyBytes(maxBodyBytes);
    assertMaxRetryAfter('maxRetryAfterMs', maxRetryAfterMs);
    if (!Number.isInteger(connections) || connections < 1) {
      throw new TypeError(`Expected \`connections\` to be a positive integer, got ${show(connections)}`);
    }
    assertQueueBound('maxQueue', maxQueue);
    if (
      limiter !== undefined &&
      (typeof limiter?.acquire !== 'function' || typeof limiter.tryAcquire !== 'function' || typeof limiter.penalize !== 'function')
    ) {
      throw new TypeError(`Expected \`limiter\` to be a RateLimiter, got ${show(limiter)}`);
    }
    if (semaphore !== undefined && (typeof semaphore?.acquire !== 'function' || typeof semaphore.tryAcquire !== 'function')) {
      throw new TypeError(`Expected \`semaphore\` to be a Semaphore, got ${show(semaphore)}`);
    }
    if (name !== undefined && typeof name !== 'string') {
      throw new TypeError(`Expected \`name\` to be a string, got ${show(name)}`);
    }
    this.#retry = retryPolicy(retries);
    this.#timeoutMs = timeoutMs;
    this.#connections = connections;
    this.#maxQueue = maxQueue;
    this.#limiter = limiter;
    this.#semaphore = semaphore;
    this.#throwOnError = throwOnError;
    this.#maxBodyBytes = maxBodyBytes;
    this.#maxRetryAfterMs = maxRetryAfterMs;
    this.name = name;
    const backstop = timeoutMs + BACKSTOP_MS;
    const dispatcherOptions = { connections, headersTimeout: backstop, bodyTimeout: backstop, factory: boundedClient };
    if (baseUrl === undefined) {
      const { undici, OriginPool } = undiciKit();
      this.#dispatcher = this.#sender = new undici.Agent({
        ...dispatcherOptions,
        // One Pool per origin for the client's life (see OriginPool), and always a Pool (undici's
        // default makes a bare Client when `connections` is 1).
        factory: (origin, options) => new OriginPool(origin, { ...options, factory: boundedClient }),
      });
    } else {
      this.#base = httpUrl('baseUrl', baseUrl, undefined);
      const pool = new (undiciKit().undici.Pool)(this.#base.origin, dispatcherOptions);
      this.#dispatcher = pool;
      // A Pool sends whatever it is given to its own origin, whatever the request's origin says
      // (say, a redirect that fetch follows): refuse those instead.
      this.#sender = pool.compose(sameOriginOnly(this.#base.origin));
    }
  }

  get closed(): boolean {
    return this.#closing !== undefined || this.#destroying !== undefined;
  }

  async request(url: string | URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    const method = options.method ?? 'GET';
    const target = this.#target(url, method);
    const throwOnError = options.throwOnError ?? this.#throwOnError;
    const maxBodyBytes = options.maxBodyBytes ?? this.#maxBodyBytes;
    if (options.maxBodyBytes !== undefined) assertMaxBodyBytes(maxBodyBytes);
    const exchange = new RequestExchange(this.#sender, target, options, maxBodyBytes, this.name);
    const budget = this.#open(target, options.timeoutMs, options.signal);
    let outcome: Outcome<Buffered>;
    try {
      outcome = await this.#exchange(target, budget, options.idempotent, exchange);
      outcome.release();
    } finally {
      this.#settle(budget);
    }
    const { statusCode, headers: responseHeaders, bytes } = outcome.result;
    if (throwOnError && statusCode >= 400) {
      const error = new HttpStatusError({
        method,
        url: target.display,
        status: statusCode,
        headers: responseHeaders,
        bodyExcerpt: bodyExcerpt(bytes),
        resource: this.name,
      });
      if (outcome.stopped === undefined) throw error;
      throw this.#exhausted(target, outcome.attempts, error, outcome.stopped);
    }
    return {
      statusCode,
      headers: responseHeaders,
      body: new BufferedBody(bytes),
      attempts: outcome.attempts,
    };
  }

  async fetch(input: string | URL | Request, init: HttpFetchInit = {}): Promise<Response> {
    const request = typeof input === 'object' && !(input instanceof URL) ? input : undefined;
    const { timeoutMs, idempotent, maxBodyBytes: callMaxBodyBytes, signal: callerSignal, ...rest } = init;
    const maxBodyBytes = callMaxBodyBytes ?? this.#maxBodyBytes;
    if (callMaxBodyBytes !== undefined) assertMaxBodyBytes(maxBodyBytes);
    const method = (rest.method ?? request?.method ?? 'GET').toUpperCase();
    const target = this.#target(request === undefined ? (input as string | URL) : request.url, method);
    // A Request of another fetch implementation (Node's own) is taken apart into init fields.
    const fields: RequestInit =
      request === undefined
        ? rest
        : {
            method: request.method,
            headers: request.headers,
            body: request.body,
            redirect: request.redirect,
            ...(request.body === null ? {} : { duplex: 'half' }),
            ...rest,
          };
    const signal = callerSignal ?? request?.signal ?? undefined;
    const exchange = new FetchExchange(this.#sender, target.href, fields);
    const budget = this.#open(target, timeoutMs, signal);
    let outcome: Outcome<UndiciResponse>;
    try {
      outcome = await this.#exchange(target, budget, idempotent, exchange);
    } catch (error) {
      this.#settle(budget);
      throw error;
    }
    const finish = (): void => {
      outcome.release();
      this.#settle(budget);
    };
    const resource = this.name;
    const tooLarge = (receivedBytes: number, contentLength: number | undefined): BodyTooLargeError =>
      new BodyTooLargeError({ method, url: target.display, maxBodyBytes, contentLength, receivedBytes, resource });
    // A body that says it is too large is refused before it is handed over.
    const declared = declaredLength(outcome.result.headers.get('content-length'), method, outcome.result.status);
    if (declared !== undefined && declared > maxBodyBytes) {
      const error = tooLarge(0, declared);
      budget.abort(error);
      await outcome.result.body?.cancel(error).catch(() => undefined);
      finish();
      throw error;
    }
    // The deadline keeps running while the caller reads the body; the call ends with it.
    return streamUnderBudget(outcome.result, budget, finish, maxBodyBytes, (received) => tooLarge(received, undefined));
  }

  stats(): HttpClientStats {
    let connected = 0;
    let free = 0;
    let pending = 0;
    let queued = 0;
    let running = 0;
    let size = 0;
    for (const gate of this.#gates.values()) pending += gate.waiting;
    const dispatcher = this.#dispatcher;
    const all = dispatcher instanceof undiciKit().undici.Pool ? [dispatcher.stats] : Object.values(dispatcher.stats);
    for (const stats of all) {
      connected += Number(stats.connected);
      pending += stats.pending;
      running += stats.running;
      size += stats.size;
      if ('free' in stats) {
        free += stats.free;
        queued += stats.queued;
      }
    }
    return { connected, free, pending, queued, running, size, inFlight: this.#calls.size, connections: this.#connections };
  }

  onRetry(listener: Listener<HttpRetryEvent>): Subscription {
    return this.#retried.add(listener);
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const closed = new ClosedError('HttpClient', this.name);
    for (const budget of this.#calls) {
      if (budget.waiting) budget.abort(closed);
    }
    this.#closing = this.#destroying ?? this.#dispatcher.close();
    return this.#closing;
  }

  destroy(): Promise<void> {
    if (this.#destroying !== undefined) return this.#destroying;
    const closed = new ClosedError('HttpClient', this.name);
    for (const budget of this.#calls) budget.abort(closed);
    this.#destroying = this.#dispatcher.destroy(closed);
    this.#closing ??= this.#destroying;
    return this.#destroying;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #target(input: string | URL, method: string): Target {
    // Parsing a URL costs about a microsecond, a good part of the client's own work per call;
    // services call the same few endpoints over and over, so string URLs are remembered.
    const cached = typeof input === 'string' ? this.#parsed.get(input) : undefined;
    if (cached !== undefined) return target(cached, method);
    const url = httpUrl('url', input, this.#base);
    if (this.#base !== undefined && url.origin !== this.#base.origin) {
      throw new TypeError(`Expected \`url\` on ${this.#base.origin} (the client's baseUrl), got ${url.origin}`);
    }
    const location: ParsedUrl = {
      href: url.href,
      origin: url.origin,
      path: url.pathname + url.search,
      display: url.origin + url.pathname,
    };
    if (typeof input === 'string') {
      if (this.#parsed.size >= LOCATION_CACHE_SIZE) this.#parsed.clear();
      this.#parsed.set(input, location);
    }
    return target(location, method);
  }

  /** Starts a call's budget: checks the arguments, then registers the call with the client. */
  #open(target: Target, timeoutMs: number | undefined, signal: AbortSignal | undefined): Budget {
    if (this.closed) throw new ClosedError('HttpClient', this.name);
    if (timeoutMs !== undefined) assertTimeoutMs('timeoutMs', timeoutMs);
    assertSignal('signal', signal);
    if (signal?.aborted) throw signal.reason;
    const limit = timeoutMs ?? this.#timeoutMs;
    const resource = this.name;
    const budget = new Budget(
      limit,
      signal,
      () => new TimeoutError({ resource, operation: `${target.method} ${target.display}`, timeoutMs: limit }),
    );
    this.#calls.add(budget);
    return budget;
  }

  #settle(budget: Budget): void {
    budget.dispose();
    this.#calls.delete(budget);
  }

  /** The retry loop: at most `retries.limit + 1` attempts, all within the call's budget. */
  async #exchange<R>(target: Target, budget: Budget, idempotent: boolean | undefined, exchange: Exchange<R>): Promise<Outcome<R>> {
    const policy = this.#retry;
    const maxAttempts = mayRetry(policy, target.method, idempotent, exchange.replayable) ? policy.limit + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      let result: R;
      let release: () => void;
      try {
        ({ result, release } = await this.#attempt(target, budget, attempt, maxAttempts, exchange));
      } catch (error) {
        const delay = this.#delayAfterError(error, target, budget, attempt, maxAttempts);
        await this.#pause(target, budget, attempt, delay, undefined, error);
        continue;
      }
      const answered = exchange.status(result);
      const retryAfter =
        answered === 429 || policy.statusCodes.has(answered)
          ? parseRetryAfter(exchange.retryAfter(result), Date.now(), this.#maxRetryAfterMs)
          : undefined;
      // The server asked everyone sharing the limiter to slow down, retried or not.
      if (answered === 429 && retryAfter !== undefined) this.#limiter?.penalize(retryAfter);
      if (maxAttempts === 1 || !policy.statusCodes.has(answered)) {
        return { result, attempts: attempt, stopped: undefined, release };
      }
      if (attempt === maxAttempts) {
        return { result, attempts: attempt, stopped: `retries.limit ${policy.limit}`, release };
      }
      const delay = retryAfter ?? backoffDelay(attempt, policy);
      const tooLate = this.#tooLate(delay, budget, retryAfter === undefined ? 'backoff' : 'Retry-After');
      if (tooLate !== undefined || this.closed) {
        return { result, attempts: attempt, stopped: tooLate ?? 'the client is closed', release };
      }
      try {
        await exchange.discard(result);
      } finally {
        release();
      }
      await this.#pause(target, budget, attempt, delay, answered, undefined);
    }
  }

  /**
   * The wait before retrying an attempt that failed, or throws: the call's own abort reason,
   * the failure itself when it is not worth retrying, or `RetryExhaustedError`.
   */
  #delayAfterError(error: unknown, target: Target, budget: Budget, attempt: number, maxAttempts: number): number {
    if (budget.aborted) throw budget.reason;
    const retryable = isRetryableError(error) || (typeof error === 'object' && error !== null && attemptTimeouts.has(error));
    if (!retryable || maxAttempts === 1) throw error;
    if (attempt === maxAttempts) throw this.#exhausted(target, attempt, error, undefined);
    const delay = backoffDelay(attempt, this.#retry);
    const tooLate = this.#tooLate(delay, budget, 'backoff');
    if (tooLate !== undefined) throw this.#exhausted(target, attempt, error, tooLate);
    if (this.closed) throw new ClosedError('HttpClient', this.name);
    return delay;
  }

  /** Tells `onRetry` listeners, then waits `delay` within the budget. */
  async #pause(target: Target, budget: Budget, attempt: number, delay: number, status: number | undefined, error: unknown): Promise<void> {
    if (this.#retried.active) {
      this.#retried.emit({ name: this.name, method: target.method, url: target.display, attempt, delayMs: delay, status, error });
    }
    budget.waiting = true;
    try {
      await budget.sleep(delay);
    } finally {
      budget.waiting = false;
    }
  }

  /** One attempt: limiter, semaphore, then the exchange itself under the attempt's own limit. */
  async #attempt<R>(target: Target, budget: Budget, attempt: number, maxAttempts: number, exchange: Exchange<R>): Promise<Held<R>> {
    let permit: Permit | undefined;
    let own: Budget | undefined;
    const release = (): void => {
      own?.dispose();
      permit?.release();
    };
    try {
      const gate = this.#gate(target.origin);
      const limiter = this.#limiter;
      const semaphore = this.#semaphore;
      permit = limiter === undefined && semaphore === undefined ? gate.tryAcquire() : undefined;
      if (permit === undefined) {
        budget.waiting = true;
        try {
          if (limiter !== undefined && !limiter.tryAcquire()) {
            await limiter.acquire({ signal: budget.signal, deadlineMs: budget.remaining() });
          }
          if (semaphore !== undefined) {
            const held = semaphore.tryAcquire() ?? (await semaphore.acquire({ signal: budget.signal, deadlineMs: budget.remaining() }));
            const connection = gate.tryAcquire() ?? (await this.#waitForConnection(gate, budget, target).catch(releaseAnd(held)));
            permit = both(held, connection);
          } else {
            permit = gate.tryAcquire() ?? (await this.#waitForConnection(gate, budget, target));
          }
        } finally {
          budget.waiting = false;
        }
      }
      let current = budget;
      const attemptMs = this.#retry.attemptTimeoutMs;
      if (attemptMs !== undefined && maxAttempts > 1 && attemptMs < budget.remaining()) {
        const operation = `Attempt ${attempt} of ${target.method} ${target.display}`;
        const resource = this.name;
        own = new Budget(attemptMs, budget, () => {
          const error = new TimeoutError({ resource, operation, timeoutMs: attemptMs });
          attemptTimeouts.add(error);
          return error;
        });
        current = own;
      }
      const result = await exchange.send(current, own === undefined ? budget.remaining() : attemptMs!);
      return { result, release };
    } catch (error) {
      release();
      if (own?.aborted && !budget.aborted) throw own.reason;
      throw error;
    }
  }

  /** The gate of `origin`: its connection slots and its queue. */
  #gate(origin: string): Semaphore {
    let gate = this.#gates.get(origin);
    if (gate === undefined) {
      gate = new Semaphore(this.#connections, { maxQueue: this.#maxQueue });
      this.#gates.set(origin, gate);
    }
    return gate;
  }

  /**
   * Queues for a connection to `target`'s origin within the call's deadline; a full queue or a
   * deadline shorter than the expected wait refuses the call at once, in the client's own words.
   */
  async #waitForConnection(gate: Semaphore, budget: Budget, target: Target): Promise<Permit> {
    try {
      return await gate.acquire({ signal: budget.signal, deadlineMs: budget.remaining() });
    } catch (error) {
      const resource = this.name;
      if (isQueueFullError(error)) {
        throw new QueueFullError({
          kind: 'HttpClient',
          resource,
          limit: this.#connections,
          maxQueue: this.#maxQueue,
          inUse: gate.inUse,
          waiting: error.waiting,
        });
      }
      if (isLoadShedError(error)) {
        throw new LoadShedError({
          kind: 'HttpClient',
          resource,
          limit: `connections ${this.#connections} to ${target.origin}`,
          expectedWaitMs: error.expectedWaitMs,
          remainingMs: error.remainingMs,
          waiting: error.waiting,
        });
      }
      throw error;
    }
  }

  /** Says why the next attempt cannot fit in the budget, or `undefined` when it can. */
  #tooLate(delay: number, budget: Budget, what: 'backoff' | 'Retry-After'): string | undefined {
    const left = budget.remaining();
    if (delay < left) return undefined;
    return `${what} of ${delay} ms does not fit in the ${Math.floor(left)} ms left of timeoutMs ${budget.timeoutMs}`;
  }

  #exhausted(target: Target, attempts: number, cause: unknown, reason: string | undefined): RetryExhaustedError {
    return new RetryExhaustedError({
      method: target.method,
      url: target.display,
      attempts,
      cause,
      reason,
      limit: this.#retry.limit,
      resource: this.name,
    });
  }
}

type UndiciRequestInit = NonNullable<Parameters<typeof Undici.fetch>[1]>;

/** `request()`'s attempt: undici's dispatcher API, the whole body read under the budget. */
class RequestExchange implements Exchange<Buffered> {
  readonly replayable: boolean;
  readonly #dispatcher: Dispatcher;
  readonly #target: Target;
  readonly #headers: HttpRequestOptions['headers'];
  readonly #body: HttpRequestOptions['body'];
  readonly #maxBodyBytes: number;
  readonly #resource: string | undefined;

  constructor(dispatcher: Dispatcher, target: Target, options: HttpRequestOptions, maxBodyBytes: number, resource: string | undefined) {
    this.#dispatcher = dispatcher;
    this.#target = target;
    this.#headers = options.headers;
    this.#body = options.body;
    this.#maxBodyBytes = maxBodyBytes;
    this.#resource = resource;
    this.replayable = isReplayable(options.body);
  }

  async send(budget: Budget, remainingMs: number): Promise<Buffered> {
    const backstop = Math.ceil(remainingMs) + BACKSTOP_MS;
    const target = this.#target;
    const response = await this.#dispatcher.request({
      origin: target.origin,
      path: target.path,
      method: target.method,
      headers: this.#headers,
      body: this.#body,
      // The budget is an EventEmitter undici listens to: no AbortSignal per call.
      signal: budget,
      headersTimeout: backstop,
      bodyTimeout: backstop,
    });
    const max = this.#maxBodyBytes;
    const tooLarge = (receivedBytes: number, contentLength: number | undefined): BodyTooLargeError =>
      new BodyTooLargeError({
        method: target.method,
        url: target.display,
        maxBodyBytes: max,
        contentLength,
        receivedBytes,
        resource: this.#resource,
      });
    const bytes =
      max === Number.POSITIVE_INFINITY
        ? await response.body.bytes()
        : await readCapped(
            response.body,
            max,
            declaredLength(response.headers['content-length'], target.method, response.statusCode),
            tooLarge,
          );
    return { statusCode: response.statusCode, headers: response.headers, bytes };
  }

  status(result: Buffered): number {
    return result.statusCode;
  }

  retryAfter(result: Buffered): string | string[] | undefined {
    return result.headers['retry-after'];
  }

  discard(): Promise<void> {
    return Promise.resolve();
  }
}

/** `fetch()`'s attempt: undici's fetch, resolved at the headers; the body streams later. */
class FetchExchange implements Exchange<UndiciResponse> {
  readonly replayable: boolean;
  readonly #dispatcher: Dispatcher;
  readonly #href: string;
  readonly #init: RequestInit;

  constructor(dispatcher: Dispatcher, href: string, init: RequestInit) {
    this.#dispatcher = dispatcher;
    this.#href = href;
    this.#init = init;
    this.replayable = isReplayable(init.body);
  }

  send(budget: Budget): Promise<UndiciResponse> {
    // Node's RequestInit and undici's describe the same fields with their own class types.
    const init = this.#init as UndiciRequestInit;
    return undiciKit().undici.fetch(this.#href, { ...init, signal: budget.signal, dispatcher: this.#dispatcher });
  }

  status(response: UndiciResponse): number {
    return response.status;
  }

  retryAfter(response: UndiciResponse): string | null {
    return response.headers.get('retry-after');
  }

  async discard(response: UndiciResponse): Promise<void> {
    await response.body?.cancel().catch(() => undefined);
  }
}

/**
 * undici, loaded when the first client is made: `import '@bounded/runtime'` for a Semaphore
 * should not pay for loading an HTTP stack. undici is CommonJS, so a synchronous require keeps
 * `createHttpClient()` synchronous.
 */
interface UndiciKit {
  readonly undici: typeof Undici;
  readonly PooledClient: new (origin: URL, options: object) => Dispatcher;
  readonly OriginPool: new (origin: URL | string, options: object) => Pool;
}

let kit: UndiciKit | undefined;

function undiciKit(): UndiciKit {
  if (kit !== undefined) return kit;
  const undici = createRequire(import.meta.url)('undici') as typeof Undici;
  /**
   * A Pool's connection that stays in its Pool after a failed connect, and connects again when the
   * Pool gives it the next request (as a lone undici `Client` does, and as Pools did before 7.5).
   *
   * Since undici 7.5 (nodejs/undici#4088) a Pool drops a Client whose connect failed from its list
   * on the Client's `connectionError`, but neither closes it nor stops listening to its `drain`:
   * the Client lives on outside the Pool's count, takes queued requests whenever it drains and
   * connects again, while the Pool opens a replacement beside it. After a refused port a Pool of 10
   * held 50 sockets while its stats said 10, and `close()` left the orphans open. Detaching the
   * orphan instead is no cure: it is what drains the Pool's queue when every Client failed at once
   * (an Agent even closes the Pool then), so calls queued there would hang. Keeping the event from
   * the Pool keeps one Client per connection slot. (The failed requests still fail, with the
   * connect error, and undici's `undici:client:connectError` diagnostics channel still reports it.)
   */
  class PooledClient extends undici.Client {
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'connectionError') return false;
      // undici types `emit` per event; at run time it is EventEmitter's.
      return (super.emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
    }
  }

  /**
   * An Agent's Pool for one origin, kept until the client closes. An undici Agent closes an origin's
   * Pool once its last connection drops (`disconnect`, `connectionError`) and makes a new one for
   * the next request, but a closing Pool still serves the requests queued in it, on connections of
   * its own: after a partition an Agent with `connections: 10` held 50 sockets to one origin while
   * its stats (which count only the current Pools) said 10. Keeping those events from the Agent
   * keeps one Pool, and so one limit, per origin.
   */
  class OriginPool extends undici.Pool {
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'disconnect' || event === 'connectionError') return false;
      return (super.emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
    }
  }
  kit = { undici, PooledClient, OriginPool };
  return kit;
}

function boundedClient(origin: URL, options: object): Dispatcher {
  return new (undiciKit().PooledClient)(origin, options);
}

function sameOriginOnly(origin: string): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    if (String(options.origin) !== origin) {
      throw new TypeError(`Expected a request to ${origin} (the client's baseUrl), got one to ${String(options.origin)}`);
    }
    return dispatch(options, handler);
  };
}

function assertMaxBodyBytes(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 1))) {
    throw new TypeError(`Expected \`maxBodyBytes\` to be a positive integer number of bytes or Infinity, got ${show(value)}`);
  }
}

function httpUrl(name: string, value: unknown, base: URL | undefined): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new TypeError(`Expected \`${name}\` to be a string or URL, got ${show(value)}`);
  }
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    throw new TypeError(`Expected \`${name}\` to be an absolute http(s) URL, got ${show(String(value))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Expected \`${name}\` to be an http(s) URL, got ${url.protocol}`);
  }
  return url;
}
