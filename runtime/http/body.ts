/**
 * Response bodies: `request()` reads the whole body within the deadline into a `BufferedBody`;
 * `fetch()` hands over a standard `Response` whose body stream ends the call.
 */
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { ReadableStreamReadResult } from 'node:stream/web';
import type { fetch as undiciFetch } from 'undici';
import type { Budget } from './budget.js';

export type UndiciResponse = Awaited<ReturnType<typeof undiciFetch>>;

/** A response body that was read in full within the deadline. Each method may be called again. */
export interface ResponseBody {
  readonly byteLength: number;
  /** The bytes themselves (shared between calls: copy before changing them). */
  bytes(): Promise<Uint8Array>;
  /** A fresh copy. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Decoded as UTF-8. */
  text(): Promise<string>;
  /** Parsed as JSON; rejects with the `SyntaxError` of `JSON.parse`. */
  json(): Promise<unknown>;
}

export class BufferedBody implements ResponseBody {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get byteLength(): number {
    return this.#bytes.byteLength;
  }

  bytes(): Promise<Uint8Array> {
    return Promise.resolve(this.#bytes);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#bytes;
    const copy = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(copy).set(bytes);
    return Promise.resolve(copy);
  }

  text(): Promise<string> {
    return Promise.resolve(this.#text());
  }

  json(): Promise<unknown> {
    try {
      return Promise.resolve(JSON.parse(this.#text()) as unknown);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #text(): string {
    const bytes = this.#bytes;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }
}

/**
 * A `Content-Length` value as a number of bytes; undefined when absent, not a plain count, or
 * not about a body that follows (the answer to a HEAD, a 204 or 304 carries none).
 */
export function declaredLength(value: string | string[] | null | undefined, method: string, status: number): number | undefined {
  if (method === 'HEAD' || NULL_BODY_STATUSES.has(status) || status < 200) return undefined;
  const text = typeof value === 'string' ? value : value?.[0];
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Reads `body` whole, but never more than `max` bytes: a declared length above `max` refuses it
 * before reading, and the byte that would pass `max` stops reading. Either way the stream is
 * destroyed with the error `tooLarge` makes (which aborts the request and closes its
 * connection) and the promise rejects with it.
 */
export function readCapped(
  body: Readable,
  max: number,
  declared: number | undefined,
  tooLarge: (receivedBytes: number, contentLength: number | undefined) => Error,
): Promise<Uint8Array> {
  if (declared !== undefined && declared > max) {
    const error = tooLarge(0, declared);
    body.destroy(error);
    // The stream's own 'error' is the one just given: nothing else to hear from it.
    body.on('error', () => undefined);
    return Promise.reject(error);
  }
  if (body.errored !== null) return Promise.reject(body.errored);
  if (body.destroyed) return Promise.reject(new Error('The response body closed before it was read'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      length += chunk.byteLength;
      if (length > max) {
        const error = tooLarge(length, undefined);
        fail(error);
        body.destroy(error);
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      if (settled) return;
      settled = true;
      const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      resolve(new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength));
    });
    body.on('error', fail);
    body.once('close', () => fail(new Error('The response body closed before its end')));
  });
}

/** Statuses whose response must have no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/**
 * Hands undici's response over as a standard `Response` whose body stream ends the call:
 * `finish` runs once, when the body is read to the end, fails, is cancelled, or the budget
 * aborts. Aborting the budget fails a body still being read with the budget's reason. More
 * than `max` bytes fail the stream with the error `tooLarge` makes, and abort the budget (so
 * the request, and its connection, end there).
 */
export function streamUnderBudget(
  response: UndiciResponse,
  budget: Budget,
  finish: () => void,
  max: number = Number.POSITIVE_INFINITY,
  tooLarge?: (receivedBytes: number) => Error,
): Response {
  const init = { status: response.status, statusText: response.statusText, headers: copyHeaders(response) };
  const source = response.body;
  let wrapped: Response;
  if (source === null || NULL_BODY_STATUSES.has(response.status)) {
    if (source !== null) void source.cancel().catch(() => undefined);
    finish();
    wrapped = new Response(null, init);
  } else {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    let done = false;
    let received = 0;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const end = (): void => {
      if (done) return;
      done = true;
      budget.off('abort', onAbort);
      finish();
    };
    const onAbort = (): void => {
      const reason = budget.reason;
      end();
      controller?.error(reason);
      reader.cancel(reason).catch(() => undefined);
    };
    const body = new ReadableStream<Uint8Array>({
      start(streamController) {
        controller = streamController;
      },
      async pull(streamController) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          const reason = budget.aborted ? budget.reason : error;
          end();
          streamController.error(reason);
          return;
        }
        if (done) return; // the budget aborted meanwhile: the stream has already failed
        if (chunk.done) {
          end();
          streamController.close();
          return;
        }
        received += chunk.value.byteLength;
        if (received > max) {
          const error = tooLarge?.(received) ?? new RangeError(`The response body is larger than ${max} bytes`);
          // Aborting the budget fails this stream (onAbort) and the request with `error`.
          budget.abort(error);
          return;
        }
        streamController.enqueue(chunk.value);
      },
      cancel(reason) {
        end();
        return reader.cancel(reason);
      },
    });
    if (budget.aborted) onAbort();
    else budget.once('abort', onAbort);
    wrapped = new Response(body, init);
  }
  // A constructed Response has an empty `url`; keep the one undici resolved (after redirects).
  Object.defineProperties(wrapped, {
    url: { value: response.url, enumerable: true },
    redirected: { value: response.redirected, enumerable: true },
  });
  return wrapped;
}

function copyHeaders(response: UndiciResponse): Headers {
  const headers = new Headers();
  for (const [key, value] of response.headers) headers.append(key, value);
  return headers;
}

/** Bodies that can be sent again as they are: none, text, bytes, forms. Streams cannot. */
export function isReplayable(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof URLSearchParams ||
    body instanceof FormData
  );
}
