/**
 * The HTTP client's own failures. A request that runs out of time rejects with the shared
 * `TimeoutError` (runtime/errors.ts); these cover what only HTTP has: an error status, retries
 * that ran out, and a response body larger than the client reads.
 */
import { STATUS_CODES } from 'node:http';
import { BoundedError, brandError, hasErrorBrand } from '../errors.js';

/** Longest body excerpt an `HttpStatusError` keeps, in bytes. */
export const BODY_EXCERPT_BYTES = 1024;

/** Longest part of the excerpt repeated in the message, in characters. */
const MESSAGE_EXCERPT_CHARS = 200;

export interface HttpStatusDetails {
  readonly method: string;
  /** The URL as shown in messages: no credentials, no query string. */
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The start of the response body, at most `BODY_EXCERPT_BYTES` bytes, decoded as UTF-8. */
  readonly bodyExcerpt: string;
  /** The client's name, when it has one. */
  readonly resource?: string | undefined;
}

/** The server answered with an error status (4xx or 5xx) and the caller asked to throw on it. */
export class HttpStatusError extends BoundedError {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly bodyExcerpt: string;

  constructor(details: HttpStatusDetails) {
    const reason = STATUS_CODES[details.status];
    const excerpt = oneLine(details.bodyExcerpt);
    super(
      `${details.method} ${details.url} answered ${details.status}${reason === undefined ? '' : ` ${reason}`}` +
        (excerpt === '' ? '' : `: ${excerpt}`),
      details.resource,
    );
    this.name = 'HttpStatusError';
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.headers = details.headers;
    this.bodyExcerpt = details.bodyExcerpt;
    brandError(this, 'HttpStatusError');
  }
}

export interface RetryExhaustedDetails {
  readonly method: string;
  readonly url: string;
  /** Attempts made, the first one included. */
  readonly attempts: number;
  /** The failure of the last attempt. */
  readonly cause: unknown;
  /** Why retrying stopped, when it was not the retry limit: e.g. the deadline was too close. */
  readonly reason?: string | undefined;
  /** The retry limit in force (retries after the first attempt). */
  readonly limit: number;
  readonly resource?: string | undefined;
}

/** Every attempt the retry policy allowed failed; `cause` is the last attempt's failure. */
export class RetryExhaustedError extends BoundedError {
  readonly method: string;
  readonly url: string;
  readonly attempts: number;
  readonly limit: number;

  constructor(details: RetryExhaustedDetails) {
    const plural = details.attempts === 1 ? 'attempt' : 'attempts';
    const why = details.reason ?? `retries.limit ${details.limit}`;
    const last = details.cause instanceof Error ? `: ${details.cause.message}` : '';
    super(`${details.method} ${details.url} failed after ${details.attempts} ${plural} (${why})${last}`, details.resource, {
      cause: details.cause,
    });
    this.name = 'RetryExhaustedError';
    this.method = details.method;
    this.url = details.url;
    this.attempts = details.attempts;
    this.limit = details.limit;
    brandError(this, 'RetryExhaustedError');
  }
}

export interface BodyTooLargeDetails {
  readonly method: string;
  /** The URL as shown in messages: no credentials, no query string. */
  readonly url: string;
  /** The limit that was exceeded (`maxBodyBytes`). */
  readonly maxBodyBytes: number;
  /** The body's declared length (`Content-Length`), when that alone exceeded the limit. */
  readonly contentLength?: number | undefined;
  /** Bytes received when reading stopped (0 when the declared length refused it first). */
  readonly receivedBytes: number;
  readonly resource?: string | undefined;
}

/**
 * The response body is larger than `maxBodyBytes`: reading stopped there (or before it began,
 * when `Content-Length` said so) and the request was aborted, its connection closed.
 */
export class BodyTooLargeError extends BoundedError {
  readonly method: string;
  readonly url: string;
  /** Scheme, host and port of the URL. */
  readonly origin: string;
  readonly maxBodyBytes: number;
  readonly contentLength: number | undefined;
  readonly receivedBytes: number;

  constructor(details: BodyTooLargeDetails) {
    const origin = originOf(details.url);
    const size =
      details.contentLength === undefined
        ? `${details.receivedBytes} bytes had arrived when reading stopped`
        : `its Content-Length is ${details.contentLength} bytes`;
    super(
      `The response body from ${origin} is larger than maxBodyBytes ${details.maxBodyBytes} (${formatBytes(details.maxBodyBytes)}): ` +
        `${size}; ${details.method} ${details.url} was aborted`,
      details.resource,
    );
    this.name = 'BodyTooLargeError';
    this.method = details.method;
    this.url = details.url;
    this.origin = origin;
    this.maxBodyBytes = details.maxBodyBytes;
    this.contentLength = details.contentLength;
    this.receivedBytes = details.receivedBytes;
    brandError(this, 'BodyTooLargeError');
  }
}

export function isBodyTooLargeError(value: unknown): value is BodyTooLargeError {
  return hasErrorBrand(value, 'BodyTooLargeError');
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function isHttpStatusError(value: unknown): value is HttpStatusError {
  return hasErrorBrand(value, 'HttpStatusError');
}

export function isRetryExhaustedError(value: unknown): value is RetryExhaustedError {
  return hasErrorBrand(value, 'RetryExhaustedError');
}

/** The first `BODY_EXCERPT_BYTES` bytes of a body, decoded; a character cut in half becomes U+FFFD. */
export function bodyExcerpt(bytes: Uint8Array): string {
  const head = bytes.byteLength > BODY_EXCERPT_BYTES ? bytes.subarray(0, BODY_EXCERPT_BYTES) : bytes;
  return new TextDecoder().decode(head);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MESSAGE_EXCERPT_CHARS ? `${flat.slice(0, MESSAGE_EXCERPT_CHARS)}…` : flat;
}
