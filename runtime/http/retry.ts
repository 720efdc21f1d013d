/**
 * The HTTP client's retry policy as plain functions: which methods and failures are retried,
 * how long to wait before the next attempt (exponential backoff with full jitter, or the
 * server's `Retry-After`), with no I/O of their own.
 */
import { DEFAULT_POLICY } from '@bounded/policy/core';
import { MAX_TIMER_MS, assertTimeoutMs, show } from '../internal/validate.js';

/** The longest `Retry-After` honoured unless a client says otherwise: the policy's `defaults.http.maxRetryAfter` (5 min). */
export const DEFAULT_MAX_RETRY_AFTER_MS: number = DEFAULT_POLICY.defaults.http.maxRetryAfterMs;

/** Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Statuses that mean "not now, try again": Too Many Requests and Service Unavailable. */
export const RETRY_STATUS_CODES: readonly number[] = Object.freeze([429, 503]);

/**
 * Error codes of failures worth another attempt: the connection broke, was refused, or went
 * silent. Node's socket errors and undici's own codes.
 */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** How deep `isRetryableError` looks into `cause` chains (fetch wraps the real error). */
const MAX_CAUSE_DEPTH = 4;

export interface RetryOptions {
  /** Retries after the first attempt. 0 turns retrying off. Default 2 (so 3 attempts at most). */
  limit?: number;
  /**
   * Methods that are retried. Default: the idempotent ones, `IDEMPOTENT_METHODS` (GET, HEAD,
   * OPTIONS, PUT, DELETE, TRACE). Add `'POST'` here only when the server deduplicates.
   */
  methods?: readonly string[];
  /** Statuses that are retried (honouring `Retry-After`). Default `RETRY_STATUS_CODES` (429, 503). */
  statusCodes?: readonly number[];
  /** Backoff before retry n is a random delay in [0, min(maxDelayMs, baseDelayMs·2ⁿ⁻¹)). Default 100. */
  baseDelayMs?: number;
  /** Cap of the backoff delay. Default 10_000. */
  maxDelayMs?: number;
  /**
   * Limit of one attempt (send, headers and body), so a silent server costs one attempt and not
   * the whole budget; an attempt that hits it is retried. Default: none, every attempt may use
   * what is left of the call's `timeoutMs`.
   */
  attemptTimeoutMs?: number;
}

/** `RetryOptions` with every default applied and checked. */
export interface RetryPolicy {
  readonly limit: number;
  readonly methods: ReadonlySet<string>;
  readonly statusCodes: ReadonlySet<number>;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly attemptTimeoutMs: number | undefined;
}

const DEFAULT_LIMIT = 2;
const DEFAULT_BASE_DELAY_MS = 100;
const DEFAULT_MAX_DELAY_MS = 10_000;
/** More retries than this are refused: every retry loop stays short and bounded. */
const MAX_LIMIT = 100;

/** Resolves the `retries` option: a number is the limit, `false` turns retrying off. */
export function retryPolicy(option: number | false | RetryOptions | undefined): RetryPolicy {
  const options: RetryOptions =
    option === undefined ? {} : option === false ? { limit: 0 } : typeof option === 'number' ? { limit: option } : option;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`retries\` to be a number, false or an object, got ${show(option)}`);
  }
  const {
    limit = DEFAULT_LIMIT,
    methods = IDEMPOTENT_METHODS,
    statusCodes = RETRY_STATUS_CODES,
    baseDelayMs = DEFAULT_BASE_DELAY_MS,
    maxDelayMs = DEFAULT_MAX_DELAY_MS,
    attemptTimeoutMs,
  } = options;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw new TypeError(`Expected \`retries.limit\` to be an integer in [0, ${MAX_LIMIT}], got ${show(limit)}`);
  }
  if (!Array.isArray(methods) || !methods.every((method: unknown) => typeof method === 'string' && method !== '')) {
    throw new TypeError(`Expected \`retries.methods\` to be an array of method names, got ${show(methods)}`);
  }
  if (!Array.isArray(statusCodes) || !statusCodes.every((code) => Number.isInteger(code) && code >= 100 && code <= 599)) {
    throw new TypeError(`Expected \`retries.statusCodes\` to be an array of HTTP statuses, got ${show(statusCodes)}`);
  }
  assertDelay('retries.baseDelayMs', baseDelayMs);
  assertDelay('retries.maxDelayMs', maxDelayMs);
  if (attemptTimeoutMs !== undefined) assertTimeoutMs('retries.attemptTimeoutMs', attemptTimeoutMs);
  return {
    limit,
    methods: new Set((methods as readonly string[]).map((method) => method.toUpperCase())),
    statusCodes: new Set(statusCodes),
    baseDelayMs,
    maxDelayMs,
    attemptTimeoutMs,
  };
}

/**
 * Whether a call may be retried at all: `idempotent` (per call) wins over the policy's
 * `methods`; a body that cannot be sent twice (a stream) is never retried.
 */
export function mayRetry(policy: RetryPolicy, method: string, idempotent: boolean | undefined, replayable: boolean): boolean {
  if (policy.limit === 0 || !replayable) return false;
  return idempotent ?? (policy.methods.has(method) || policy.methods.has(method.toUpperCase()));
}

/**
 * Delay before retry number `retry` (1 for the first retry): "full jitter", a uniform random
 * delay between 0 and the exponential ceiling, so clients that failed together spread out.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The wait a `Retry-After` header asks for, in milliseconds: delay-seconds or an HTTP-date,
 * never more than `maxMs` (default `DEFAULT_MAX_RETRY_AFTER_MS`, 5 minutes): one answer of
 * `Retry-After: 1000000000` must not stop a client, or every client sharing its limiter, for
 * weeks. `undefined` when the header is missing or unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | readonly string[] | null | undefined,
  now: number = Date.now(),
  maxMs: number = DEFAULT_MAX_RETRY_AFTER_MS,
): number | undefined {
  const raw = typeof value === 'string' ? value : value?.[0];
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, maxMs);
  // Every HTTP-date form names its month; without one, Date.parse would read "-5" as a year.
  const date = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), maxMs);
}

/** Checks a `maxRetryAfterMs` option: milliseconds in [0, MAX_TIMER_MS]. */
export function assertMaxRetryAfter(name: string, value: unknown): asserts value is number {
  assertDelay(name, value);
}

/** True for failures of the connection (reset, refused, timed out), looking through `cause`s. */
export function isRetryableError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null) return false;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function assertDelay(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`Expected \`${name}\` to be a number of milliseconds in [0, ${MAX_TIMER_MS}], got ${show(value)}`);
  }
}
