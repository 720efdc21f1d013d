import { describe, expect, it } from 'vitest';
import * as httpErrors from '../../../runtime/http/errors.js';
import { HttpStatusError, RetryExhaustedError, isHttpStatusError, isRetryExhaustedError } from '../../../runtime/http/errors.js';
import { IDEMPOTENT_METHODS, backoffDelay, isRetryableError, mayRetry, parseRetryAfter, retryPolicy } from '../../../runtime/http/retry.js';
import { isBoundedError, isTimeoutError } from '../../../runtime/index.js';

describe('retryPolicy', () => {
  it('defaults to 2 retries of idempotent methods on 429 and 503', () => {
    const policy = retryPolicy(undefined);
    expect(policy.limit).toBe(2);
    expect([...policy.methods]).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
    expect([...policy.statusCodes]).toEqual([429, 503]);
    expect(policy.attemptTimeoutMs).toBeUndefined();
  });

  it('reads a number as the limit and false as no retries', () => {
    expect(retryPolicy(5).limit).toBe(5);
    expect(retryPolicy(false).limit).toBe(0);
  });

  it('upper-cases the methods it is given', () => {
    expect(retryPolicy({ methods: ['get', 'Post'] }).methods).toEqual(new Set(['GET', 'POST']));
  });

  it.each([
    [{ limit: -1 }, 'Expected `retries.limit` to be an integer in [0, 100], got -1'],
    [{ limit: 1.5 }, 'Expected `retries.limit` to be an integer in [0, 100], got 1.5'],
    [{ limit: Infinity }, 'Expected `retries.limit` to be an integer in [0, 100], got Infinity'],
    [{ methods: 'GET' }, 'Expected `retries.methods` to be an array of method names, got "GET"'],
    [{ statusCodes: [700] }, 'Expected `retries.statusCodes` to be an array of HTTP statuses, got an array'],
    [{ baseDelayMs: -5 }, 'Expected `retries.baseDelayMs` to be a number of milliseconds in [0, 2147483647], got -5'],
    [{ attemptTimeoutMs: 0 }, 'Expected `retries.attemptTimeoutMs` to be a number of milliseconds in (0, 2147483647], got 0'],
  ])('refuses %o', (options, message) => {
    expect(() => retryPolicy(options as never)).toThrow(new TypeError(message));
  });
});

describe('mayRetry', () => {
  const policy = retryPolicy(undefined);

  it('retries the idempotent methods and no others by default', () => {
    for (const method of IDEMPOTENT_METHODS) expect(mayRetry(policy, method, undefined, true)).toBe(true);
    expect(mayRetry(policy, 'get', undefined, true)).toBe(true);
    expect(mayRetry(policy, 'POST', undefined, true)).toBe(false);
    expect(mayRetry(policy, 'PATCH', undefined, true)).toBe(false);
  });

  it('lets `idempotent` decide per call', () => {
    expect(mayRetry(policy, 'POST', true, true)).toBe(true);
    expect(mayRetry(policy, 'GET', false, true)).toBe(false);
  });

  it('never retries a body that cannot be sent twice, nor with a limit of 0', () => {
    expect(mayRetry(policy, 'PUT', true, false)).toBe(false);
    expect(mayRetry(retryPolicy(0), 'GET', true, true)).toBe(false);
  });
});

describe('backoffDelay', () => {
  const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000 });

  it('draws from [0, base·2ⁿ⁻¹) with full jitter', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(0);
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(100);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('caps the ceiling at maxDelayMs, even for huge retry numbers', () => {
    expect(backoffDelay(5, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(5_000, policy, () => 0.5)).toBe(500);
  });

  it('stays inside the ceiling over many draws of Math.random', () => {
    for (let i = 0; i < 1_000; i++) {
      const delay = backoffDelay(3, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(400);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3_000);
  });

  it('reads an HTTP-date, and a past date as no wait', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });

  it('caps absurd values at maxRetryAfter (5 minutes unless told otherwise)', () => {
    expect(parseRetryAfter('99999999999', now)).toBe(300_000);
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('99999999999', now, 2_147_483_647)).toBe(2_147_483_647);
    expect(parseRetryAfter('30', now, 10_000)).toBe(10_000);
  });
});

describe('isRetryableError', () => {
  const coded = (code: string): Error => Object.assign(new Error(code), { code });

  it('accepts broken, refused and silent connections', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']) {
      expect(isRetryableError(coded(code))).toBe(true);
    }
  });

  it('looks through the cause that fetch wraps around the real error', () => {
    expect(isRetryableError(new TypeError('fetch failed', { cause: coded('ECONNRESET') }))).toBe(true);
  });

  it('refuses everything else', () => {
    expect(isRetryableError(coded('ENOTFOUND'))).toBe(false);
    expect(isRetryableError(new Error('boom'))).toBe(false);
    expect(isRetryableError('ECONNRESET')).toBe(false);
    expect(isRetryableError(undefined)).toBe(false);
  });

  it('stops at a bounded depth on a cyclic cause chain', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isRetryableError(a)).toBe(false);
  });
});

describe('HttpStatusError', () => {
  it('names method, URL and status, and keeps at most 1 KB of the body', () => {
    const body = new TextEncoder().encode('x'.repeat(5_000));
    const error = new HttpStatusError({
      method: 'GET',
      url: 'http://127.0.0.1:1/users/7',
      status: 404,
      headers: { 'content-type': 'text/plain' },
      bodyExcerpt: httpErrors.bodyExcerpt(body),
    });
    expect(error.name).toBe('HttpStatusError');
    expect(error.status).toBe(404);
    expect(error.bodyExcerpt).toHaveLength(1024);
    expect(error.message).toBe(`GET http://127.0.0.1:1/users/7 answered 404 Not Found: ${'x'.repeat(200)}…`);
    expect(isHttpStatusError(error)).toBe(true);
    expect(isBoundedError(error)).toBe(true);
    expect(isTimeoutError(error)).toBe(false);
  });

  it('cuts a multi-byte character at the 1 KB edge into U+FFFD, never into garbage', () => {
    const body = new TextEncoder().encode(`${'a'.repeat(1023)}é`);
    expect(httpErrors.bodyExcerpt(body)).toBe(`${'a'.repeat(1023)}\uFFFD`);
  });
});

describe('RetryExhaustedError', () => {
  it('says how many attempts, why it stopped, and keeps the last failure as cause', () => {
    const last = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const error = new RetryExhaustedError({ method: 'GET', url: 'http://h/x', attempts: 3, cause: last, limit: 2 });
    expect(error.message).toBe('GET http://h/x failed after 3 attempts (retries.limit 2): read ECONNRESET');
    expect(error.cause).toBe(last);
    expect(error.attempts).toBe(3);
    expect(isRetryExhaustedError(error)).toBe(true);
    expect(isHttpStatusError(error)).toBe(false);
  });
});

describe('guards', () => {
  it('recognise errors made by a second copy of the module', async () => {
    const specifier = '../../../runtime/http/errors.ts?copy';
    const copy = (await import(specifier)) as typeof httpErrors;
    expect(copy.HttpStatusError).not.toBe(HttpStatusError);
    const status = new copy.HttpStatusError({ method: 'GET', url: 'u', status: 500, headers: {}, bodyExcerpt: '' });
    const exhausted = new copy.RetryExhaustedError({ method: 'GET', url: 'u', attempts: 2, cause: status, limit: 1 });
    expect(isHttpStatusError(status)).toBe(true);
    expect(isRetryExhaustedError(exhausted)).toBe(true);
    expect(status.message).toBe('GET u answered 500 Internal Server Error');
  });
});
