import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Semaphore,
  SlidingWindow,
  TokenBucket,
  isTimeoutError,
  perKey,
  startFakeProvider,
  throttleClient,
  type FakeProvider,
} from '../../../runtime/index.js';
import { parseRetryAfter } from '../../../runtime/http/retry.js';
import { tooManyRequests } from '../../../runtime/throttle-client.js';

let provider: FakeProvider;

beforeEach(async () => {
  provider = await startFakeProvider({ limit: 1_000, perMs: 1_000 });
});

afterEach(async () => {
  await provider.close();
});

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("throttleClient with a key: a client per tenant gets its tenant's own limit", () => {
  it("admits each tenant's calls by that tenant's limiter and semaphore, made on first use", async () => {
    const limits = perKey((tenant) => new TokenBucket({ rate: 1, per: '1m', name: `openai:${tenant}` }));
    const slots = perKey(() => new Semaphore(1));
    const clientFor = (tenant: string, apiKey: string) =>
      throttleClient(new OpenAI({ apiKey, baseURL: provider.openaiBaseURL, maxRetries: 0 }), {
        limiter: limits,
        concurrency: slots,
        key: tenant,
        timeoutMs: 5_000,
      });
    const a = clientFor('a', 'key-a');
    const b = clientFor('b', 'key-b');
    const create = (client: OpenAI) => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const create2 = (client: OpenAI, signal: AbortSignal) =>
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { signal });
    // Tenant a spends its one call a minute; tenant b still has its own.
    await create(a);
    await create(b);
    expect([limits.get('a').admitted, limits.get('b').admitted]).toEqual([1, 1]);
    // A second call of a waits for a's limiter, though b's client would be as free as a's is not.
    const controller = new AbortController();
    const second = create2(a, controller.signal);
    while (limits.get('a').waiting === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect([limits.get('a').waiting, limits.get('b').waiting]).toEqual([1, 0]);
    controller.abort(new Error('gave up'));
    await expect(second).rejects.toThrow('gave up');
    expect(limits.get('b').available).toBe(0);
    expect(provider.stats().accepted).toBe(2);
    limits.close();
    slots.close();
  });

  it('needs a key with a group, and a group with a key', () => {
    const limits = perKey(() => new TokenBucket({ rate: 1, per: '1m' }));
    expect(() => throttleClient({}, { limiter: limits })).toThrow(
      new TypeError('Expected `key` (which key of the perKey group the calls count against), got undefined'),
    );
    expect(() => throttleClient({}, { limiter: new TokenBucket({ rate: 1, per: '1m' }), key: 'a' })).toThrow(
      new TypeError('Expected a perKey group as `limiter` or `concurrency` when `key` is given'),
    );
  });
});

describe('throttleClient with the real OpenAI SDK against the fake provider', () => {
  it('routes chat.completions.create through the limiter and keeps the SDK result', async () => {
    const limiter = new SlidingWindow({ limit: 100, per: '1s', name: 'openai' });
    const openai = throttleClient(new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL, maxRetries: 0 }), {
      limiter,
    });
    const reply = await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0]!.message.content).toBe('ok');
    expect(reply.model).toBe('gpt-test');
    expect(limiter.admitted).toBe(1);
    expect(provider.stats().accepted).toBe(1);
  });

  it("leaves the client's own helpers (buildURL) unthrottled and synchronous", () => {
    const limiter = new SlidingWindow({ limit: 1, per: '1s' });
    const raw = new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL, maxRetries: 0 });
    const openai = throttleClient(raw, { limiter });
    expect(openai.baseURL).toBe(raw.baseURL);
    expect(limiter.admitted).toBe(0);
  });

  // Real time: the provider's window is half the client's, because latency on a loaded
  // machine can bring two admissions one window apart closer together by the time they arrive.
  it('never sends more than the limit: 5 calls through a 2-per-window limiter get no 429 (real time)', async () => {
    await provider.close();
    provider = await startFakeProvider({ limit: 2, perMs: 200 });
    const limiter = new SlidingWindow({ limit: 2, per: 400 });
    const openai = throttleClient(new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL, maxRetries: 0 }), {
      limiter,
    });
    const replies = await Promise.all(Array.from({ length: 5 }, () => openai.chat.completions.create({ model: 'm', messages: [] })));
    expect(replies).toHaveLength(5);
    expect(limiter.throttled).toBe(3);
    expect(provider.stats().rejected).toBe(0);
    expect(provider.stats().accepted).toBe(5);
  });

  it('penalizes the limiter on 429 with Retry-After and retries through it', async () => {
    await provider.close();
    provider = await startFakeProvider({ limit: 1, perMs: 1_000 });
    // The client's limiter is looser than the provider's, so the provider answers 429.
    const limiter = new SlidingWindow({ limit: 10, per: '1s' });
    const openai = throttleClient(new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL, maxRetries: 0 }), {
      limiter,
      retries429: 1,
    });
    const penalties: number[] = [];
    limiter.onPenalized((event) => penalties.push(event.until));
    const results = await Promise.allSettled([
      openai.chat.completions.create({ model: 'm', messages: [] }),
      openai.chat.completions.create({ model: 'm', messages: [] }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(provider.stats().rejected).toBe(1);
    expect(penalties).toHaveLength(1);
  }, 10_000);

  it("turns off the SDK's own retries, which would resend a 429'd call around the limiter", async () => {
    await provider.close();
    provider = await startFakeProvider({ limit: 1, perMs: 1_000 });
    const limiter = new SlidingWindow({ limit: 10, per: '1s' });
    // SDK defaults: maxRetries 2. Without the per-call maxRetries: 0 the SDK would retry the
    // 429 itself (after its Retry-After), and the limiter would never hear of it.
    const openai = throttleClient(new OpenAI({ apiKey: 'test', baseURL: provider.openaiBaseURL }), { limiter, retries429: 0 });
    const penalties: number[] = [];
    limiter.onPenalized((event) => penalties.push(event.until));
    const results = await Promise.allSettled([
      openai.chat.completions.create({ model: 'm', messages: [] }),
      openai.chat.completions.create({ model: 'm', messages: [] }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(provider.stats().requests).toBe(2);
    expect(penalties).toHaveLength(1);
  }, 10_000);

  it('keeps a maxRetries the call chose itself', async () => {
    const seen: unknown[] = [];
    const fake = { chat: { completions: { create: async (_body: unknown, options?: unknown) => seen.push(options) } } };
    Object.assign(fake, { baseURL: 'http://127.0.0.1:1', buildURL: () => '' });
    const throttled = throttleClient(fake, { limiter: new SlidingWindow({ limit: 10, per: '1s' }) });
    await throttled.chat.completions.create({}, { maxRetries: 3 });
    await throttled.chat.completions.create({});
    expect(seen).toEqual([expect.objectContaining({ maxRetries: 3 }), expect.objectContaining({ maxRetries: 0 })]);
  });
});

describe('throttleClient with the real Anthropic SDK', () => {
  it('routes messages.create through the limiter', async () => {
    const limiter = new SlidingWindow({ limit: 50, per: '1m', name: 'anthropic' });
    const anthropic = throttleClient(new Anthropic({ apiKey: 'test', baseURL: provider.anthropicBaseURL, maxRetries: 0 }), { limiter });
    const message = await anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content[0]).toEqual({ type: 'text', text: 'ok' });
    expect(limiter.admitted).toBe(1);
  });

  it('times out a call the provider never answers, naming the call and the limit', async () => {
    provider.setLatency(60_000);
    const anthropic = throttleClient(new Anthropic({ apiKey: 'test', baseURL: provider.anthropicBaseURL, maxRetries: 0 }), {
      limiter: 'anthropic',
      timeoutMs: 150,
    });
    const error: unknown = await anthropic.messages.create({ model: 'claude-test', max_tokens: 16, messages: [] }).catch((e: unknown) => e);
    expect(isTimeoutError(error)).toBe(true);
    expect((error as Error).message).toBe('anthropic messages.create timed out after 150 ms (timeoutMs 150)');
  });
});

describe('throttleClient on a plain object', () => {
  it('bounds concurrency and hands each call a signal in its options argument', async () => {
    const gates = [deferred(), deferred(), deferred()];
    let inFlight = 0;
    let peak = 0;
    const seen: (AbortSignal | undefined)[] = [];
    const api = {
      complete(prompt: string, options?: { signal?: AbortSignal }) {
        seen.push(options?.signal);
        inFlight++;
        peak = Math.max(peak, inFlight);
        return gates[Number(prompt)]!.promise.then(() => {
          inFlight--;
          return `done ${prompt}`;
        });
      },
    };
    const throttled = throttleClient(api, { concurrency: 2, timeoutMs: 5_000 });
    const calls = [throttled.complete('0'), throttled.complete('1'), throttled.complete('2')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(2);
    gates[0]!.resolve();
    gates[1]!.resolve();
    gates[2]!.resolve();
    expect(await Promise.all(calls)).toEqual(['done 0', 'done 1', 'done 2']);
    expect(peak).toBe(2);
    expect(seen.every((signal) => signal instanceof AbortSignal)).toBe(true);
  });

  it("merges the caller's signal: aborting it aborts the call with the caller's reason", async () => {
    let received: AbortSignal | undefined;
    const api = {
      wait(_id: string, options?: { signal?: AbortSignal; extra?: number }) {
        received = options?.signal;
        expect(options?.extra).toBe(7);
        return new Promise(() => {});
      },
    };
    const throttled = throttleClient(api, { timeoutMs: 5_000 });
    const controller = new AbortController();
    const call = throttled.wait('x', { signal: controller.signal, extra: 7 });
    await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('user left');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(received?.aborted).toBe(true);
  });

  it('shares a Semaphore given as concurrency', async () => {
    const shared = new Semaphore(1);
    const api = { ping: async () => shared.inUse };
    const throttled = throttleClient(api, { concurrency: shared });
    expect(await throttled.ping()).toBe(1);
    expect(shared.inUse).toBe(0);
  });

  it('rejects bad options up front', () => {
    expect(() => throttleClient({}, { timeoutMs: 0 })).toThrow(TypeError);
    expect(() => throttleClient({}, { limiter: 'nobody' })).toThrow(/Unknown provider "nobody"; known: anthropic, (?:[a-z]+, )*openai\b/);
    expect(() => throttleClient({}, { retries429: -1 })).toThrow(/retries429/);
  });
});

describe('Retry-After parsing', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('Thu, 01 Jan 2026 00:00:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('recognises a 429 from an SDK error shape only', () => {
    expect(tooManyRequests({ status: 429, headers: new Headers({ 'retry-after': '3' }) })).toBe(3_000);
    expect(tooManyRequests({ status: 429, headers: {} })).toBe(1_000);
    expect(tooManyRequests({ status: 500 })).toBeUndefined();
    expect(tooManyRequests(new Error('x'))).toBeUndefined();
  });
});
