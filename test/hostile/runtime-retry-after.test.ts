/**
 * Hostile probes of `Retry-After` and penalties (issue 21, item 2): one 429 with
 * `Retry-After: 1000000000` used to pause the client's limiter for 2^31 - 1 ms (24.86 days, the
 * timer maximum), and through a shared store every replica with it. Every Retry-After (seconds
 * or HTTP-date) and every penalty is now capped by a policy maximum, 5 minutes by default, and a
 * call never waits past its own deadline for one.
 *
 * HTTP probes use real servers on 127.0.0.1; the limiter's own time runs on a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICY } from '../../policy/defaults.js';
import { parsePolicy } from '../../policy/load.js';
import {
  SlidingWindow,
  TokenBucket,
  createHttpClient,
  createMemoryStore,
  isHttpStatusError,
  isRetryExhaustedError,
  throttleClient,
  type HttpClient,
} from '../../runtime/index.js';
import { parseRetryAfter } from '../../runtime/http/retry.js';
import { tooManyRequests } from '../../runtime/throttle-client.js';
import { startRetryAfterServer, type TestServer } from '../helpers/http-servers.js';

const FIVE_MINUTES = 5 * 60_000;
const HOSTILE_SECONDS = '1000000000';
const HOSTILE_DATE = 'Fri, 31 Dec 9999 23:59:59 GMT';

const servers: TestServer[] = [];
const clients: HttpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('hostile: Retry-After from a server is capped', () => {
  it('the policy default is 5 minutes', () => {
    expect(DEFAULT_POLICY.defaults.http.maxRetryAfterMs).toBe(FIVE_MINUTES);
    expect(DEFAULT_POLICY.defaults.rateLimits.maxPenaltyMs).toBe(FIVE_MINUTES);
    expect(parseRetryAfter(HOSTILE_SECONDS)).toBe(FIVE_MINUTES);
    expect(parseRetryAfter(HOSTILE_DATE)).toBe(FIVE_MINUTES);
    expect(parseRetryAfter('99999999999999999999999999')).toBe(FIVE_MINUTES);
  });

  it.each([
    ['delay-seconds', HOSTILE_SECONDS],
    ['an HTTP-date', HOSTILE_DATE],
  ])("a 429 with Retry-After as %s pauses the client's limiter for 5 minutes at most, and the call stops at once", async (_form, value) => {
    const server = await startRetryAfterServer({ status: 429, retryAfter: value, failures: Infinity });
    servers.push(server);
    // The limiter's clock stands still: the penalty it records is exactly what it was given.
    const limiter = new TokenBucket({ rate: 100, name: 'api', now: () => 0 });
    const http = createHttpClient({ limiter, timeoutMs: 2_000 });
    clients.push(http);
    const error = await rejection(http.request(`${server.url}/x`));
    // The capped wait still does not fit in the call's deadline: it gives up without sleeping.
    expect(isRetryExhaustedError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Retry-After of 300000 ms does not fit/);
    expect(limiter.pausedUntil).toBe(FIVE_MINUTES);
    limiter.close();
  });

  it("a client's maxRetryAfterMs caps both the wait and the penalty, and the call then succeeds", async () => {
    const server = await startRetryAfterServer({ status: 429, retryAfter: HOSTILE_SECONDS, failures: 1 });
    servers.push(server);
    const penalties: number[] = [];
    const limiter = {
      tryAcquire: () => true,
      acquire: () => Promise.resolve(),
      penalize: (ms: number) => {
        penalties.push(ms);
      },
    };
    const http = createHttpClient({ limiter, timeoutMs: 5_000, maxRetryAfterMs: 150 });
    clients.push(http);
    const response = await http.request(`${server.url}/x`);
    expect(response.statusCode).toBe(200);
    expect(response.attempts).toBe(2);
    expect(penalties).toEqual([150]);
  });

  it('fetch() caps an HTTP-date Retry-After the same way', async () => {
    const server = await startRetryAfterServer({ status: 503, retryAfter: HOSTILE_DATE, failures: 1 });
    servers.push(server);
    const http = createHttpClient({ timeoutMs: 5_000, maxRetryAfterMs: 100 });
    clients.push(http);
    const response = await http.fetch(`${server.url}/x`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('a 429 with Retry-After is not retried past the deadline even when it is within the cap', async () => {
    const server = await startRetryAfterServer({ status: 429, retryAfter: '120', failures: Infinity });
    servers.push(server);
    const http = createHttpClient({ timeoutMs: 1_000 });
    clients.push(http);
    const error = await rejection(http.request(server.url));
    expect(isRetryExhaustedError(error) && isHttpStatusError(error.cause)).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('refuses a maxRetryAfterMs that is not a number of milliseconds a timer can hold', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5m']) {
      expect(() => createHttpClient({ maxRetryAfterMs: bad as number }), String(bad)).toThrow(TypeError);
      expect(() => createHttpClient({ maxRetryAfterMs: bad as number })).toThrow(/maxRetryAfterMs/);
    }
  });
});

describe('hostile: penalties are capped by maxPenaltyMs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('penalize(1e9) on a limiter of one process pauses it for 5 minutes, not 11 days', async () => {
    const limiter = new SlidingWindow({ limit: 10, per: '1s', now: () => Date.now() });
    limiter.penalize(1_000_000_000);
    expect(limiter.pausedUntil - Date.now()).toBe(FIVE_MINUTES);
    let admitted = false;
    void limiter.acquire().then(() => {
      admitted = true;
    });
    await vi.advanceTimersByTimeAsync(FIVE_MINUTES - 1);
    expect(admitted).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(admitted).toBe(true);
    limiter.close();
  });

  it("a limiter's own maxPenaltyMs applies, and reconfigure can lower it (cutting a pause in force)", () => {
    const limiter = new TokenBucket({ rate: 1, maxPenaltyMs: 60_000, now: () => Date.now() });
    expect(limiter.maxPenaltyMs).toBe(60_000);
    limiter.penalize(10 * 60_000);
    expect(limiter.pausedUntil - Date.now()).toBe(60_000);
    limiter.reconfigure({ maxPenaltyMs: 1_000 });
    expect(limiter.pausedUntil - Date.now()).toBe(1_000);
    limiter.close();
  });

  it('a shared limit hands the store the capped penalty: no replica is paused past the cap', async () => {
    const store = createMemoryStore({ now: () => Date.now() });
    const a = new SlidingWindow({ limit: 5, per: '1s', name: 'provider', store, now: () => Date.now() });
    const b = new SlidingWindow({ limit: 5, per: '1s', name: 'provider', store, now: () => Date.now() });
    a.penalize(1_000_000_000);
    await vi.advanceTimersByTimeAsync(0);
    const decision = await store.tryAcquire('provider', { kind: 'sliding-window', limit: 5, perMs: 1_000 }, 1);
    expect(decision.admitted).toBe(false);
    expect(decision.retryAfterMs).toBe(FIVE_MINUTES);
    let admitted = false;
    void b.acquire().then(() => {
      admitted = true;
    });
    await vi.advanceTimersByTimeAsync(FIVE_MINUTES + 1_000);
    expect(admitted).toBe(true);
    a.close();
    b.close();
  });

  it('refuses a maxPenaltyMs that is not a number of milliseconds a timer can hold', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => new TokenBucket({ rate: 1, maxPenaltyMs: bad }), String(bad)).toThrow(/maxPenaltyMs/);
      expect(() => new SlidingWindow({ limit: 1, maxPenaltyMs: bad }), String(bad)).toThrow(TypeError);
    }
  });
});

describe('hostile: throttleClient and a hostile 429', () => {
  it("caps the penalty and does not retry a Retry-After as long as the call's own deadline", async () => {
    const limiter = new SlidingWindow({ limit: 100, per: '1s' });
    const untils: number[] = [];
    limiter.onPenalized((event) => untils.push(event.until - Date.now()));
    let calls = 0;
    const sdk = {
      chat: {
        create: async () => {
          calls++;
          throw Object.assign(new Error('429 Too Many Requests'), { status: 429, headers: { 'retry-after': HOSTILE_SECONDS } });
        },
      },
    };
    const throttled = throttleClient(sdk, { limiter, timeoutMs: 10_000, retries429: 3 });
    const error = await rejection(throttled.chat.create());
    expect((error as { status?: number }).status).toBe(429);
    expect(calls).toBe(1);
    expect(untils).toHaveLength(1);
    expect(untils[0]).toBeGreaterThan(FIVE_MINUTES - 1_000);
    expect(untils[0]).toBeLessThanOrEqual(FIVE_MINUTES + 5);
    limiter.close();
  });

  it('retries a Retry-After capped below the deadline by maxRetryAfterMs', async () => {
    const limiter = new SlidingWindow({ limit: 100, per: '1s' });
    let calls = 0;
    const sdk = {
      create: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('429'), { status: 429, headers: new Headers({ 'retry-after': HOSTILE_DATE }) });
        return 'ok';
      },
    };
    const throttled = throttleClient(sdk, { limiter, timeoutMs: 5_000, maxRetryAfterMs: 50 });
    expect(await throttled.create()).toBe('ok');
    expect(calls).toBe(2);
    limiter.close();
  });

  it('tooManyRequests caps what it reads', () => {
    expect(tooManyRequests({ status: 429, headers: { 'retry-after': HOSTILE_SECONDS } })).toBe(FIVE_MINUTES);
    expect(tooManyRequests({ status: 429, headers: { 'retry-after': HOSTILE_SECONDS } }, 2_000)).toBe(2_000);
    expect(() => throttleClient({}, { maxRetryAfterMs: -5 })).toThrow(/maxRetryAfterMs/);
  });
});

describe('hostile: the policy keys of the caps', () => {
  it('validates defaults.http.maxRetryAfter and defaults.rateLimits.maxPenalty as durations', () => {
    const ok = parsePolicy('version: 1\ndefaults:\n  http: { maxRetryAfter: 1m }\n  rateLimits: { maxPenalty: 30s }\n', 'p.yaml', {
      env: {},
    });
    expect(ok.problems).toEqual([]);
    const bad = parsePolicy('version: 1\ndefaults:\n  http: { maxRetryAfter: forever }\n  rateLimits: { maxPenalty: -1 }\n', 'p.yaml', {
      env: {},
    });
    expect(bad.problems.map((problem) => problem.path)).toEqual(['defaults.http.maxRetryAfter', 'defaults.rateLimits.maxPenalty']);
  });
});
