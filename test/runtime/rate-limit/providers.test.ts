import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICY } from '../../../policy/defaults.js';
import { SlidingWindow, TokenBucket, defineProvider, providerLimiter, providerNames, type RateLimiter } from '../../../runtime/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function asWindow(limiter: RateLimiter): SlidingWindow {
  expect(limiter).toBeInstanceOf(SlidingWindow);
  return limiter as SlidingWindow;
}

describe('provider presets', () => {
  it.each([
    ['openai', 60],
    ['anthropic', 50],
  ] as const)('%s is %i requests per minute, from the default policy', (name, perMinute) => {
    expect(DEFAULT_POLICY.rateLimits[name]).toEqual({ rate: perMinute, perMs: 60_000 });
    const limiter = asWindow(providerLimiter(name));
    expect([limiter.kind, limiter.name, limiter.limit, limiter.perMs]).toEqual(['SlidingWindow', name, perMinute, 60_000]);
  });

  it('spaces openai calls evenly by default: one a second for 60/min, the 61st a minute after the first', async () => {
    // The preset takes no clock option: it reads `performance.now`, which vitest's fake timers
    // drive together with the timers.
    const limiter = providerLimiter('openai');
    const start = performance.now();
    const admittedAt: number[] = [];
    for (let i = 0; i < 61; i++) void limiter.acquire().then(() => admittedAt.push(performance.now() - start));
    await vi.advanceTimersByTimeAsync(0);
    expect(admittedAt).toEqual([0]);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(admittedAt).toHaveLength(60);
    await vi.advanceTimersByTimeAsync(1);
    expect(admittedAt).toEqual(Array.from({ length: 61 }, (_, i) => i * 1_000));
    expect(limiter.stats()).toMatchObject({ admitted: 61, waiting: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('admits a burst of 60 at once and the 61st a minute after the first with spacing: burst', async () => {
    const limiter = providerLimiter('openai', { spacing: 'burst' });
    const start = performance.now();
    const admittedAt: number[] = [];
    for (let i = 0; i < 61; i++) void limiter.acquire().then(() => admittedAt.push(performance.now() - start));
    await vi.advanceTimersByTimeAsync(0);
    expect(admittedAt).toHaveLength(60);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(admittedAt).toHaveLength(60);
    await vi.advanceTimersByTimeAsync(1);
    expect(admittedAt).toEqual([...Array<number>(60).fill(0), 60_000]);
    expect(limiter.stats()).toMatchObject({ admitted: 61, throttled: 1, waiting: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('builds a token bucket on request, with the same numbers', () => {
    const limiter = providerLimiter('anthropic', { algorithm: 'token-bucket', spacing: 'even', maxQueue: 5 });
    expect(limiter).toBeInstanceOf(TokenBucket);
    const bucket = limiter as TokenBucket;
    expect([bucket.rate, bucket.perMs, bucket.burst, bucket.spacing, bucket.maxQueue, bucket.name]).toEqual([
      50,
      60_000,
      50,
      'even',
      5,
      'anthropic',
    ]);
  });

  it('overrides the preset numbers for one limiter only', () => {
    const custom = asWindow(providerLimiter('openai', { rate: 500, per: '10s' }));
    expect([custom.limit, custom.perMs]).toEqual([500, 10_000]);
    const again = asWindow(providerLimiter('openai'));
    expect([again.limit, again.perMs]).toEqual([60, 60_000]);
  });

  it('refuses an unknown algorithm', () => {
    expect(() => providerLimiter('openai', { algorithm: 'leaky' as never })).toThrow(
      new TypeError('Expected `algorithm` to be "sliding-window" or "token-bucket", got "leaky"'),
    );
  });
});

describe('defineProvider', () => {
  it('adds a provider by name, listed among the known ones', () => {
    defineProvider('mistral', { rate: 120, per: '1m' });
    // The policy's presets: the model providers and the SaaS APIs with a published limit (policy/catalog/saas.ts).
    expect(providerNames()).toEqual([
      'anthropic',
      'discord',
      'expo',
      'github',
      'line',
      'mistral',
      'notion',
      'openai',
      'resend',
      'slack',
      'stripe',
      'telegram',
    ]);
    const limiter = asWindow(providerLimiter('mistral'));
    expect([limiter.name, limiter.limit, limiter.perMs]).toEqual(['mistral', 120, 60_000]);
  });

  it('replaces a preset, for limiters made afterwards', () => {
    const before = asWindow(providerLimiter('anthropic'));
    defineProvider('anthropic', { rate: 4_000, per: 60_000 });
    expect(asWindow(providerLimiter('anthropic')).limit).toBe(4_000);
    expect(before.limit).toBe(50);
    defineProvider('anthropic', { rate: DEFAULT_POLICY.rateLimits.anthropic.rate, per: '1m' });
  });

  it('refuses an unknown name, listing the known ones and how to add it', () => {
    expect(() => providerLimiter('gemini')).toThrow(
      new TypeError(
        `Unknown provider "gemini"; known: ${providerNames().join(', ')}. Add it with defineProvider("gemini", { rate, per }).`,
      ),
    );
    expect(() => providerLimiter('gemini')).toThrow(/known: anthropic, .*openai/);
  });

  it.each([
    ['', { rate: 1, per: '1s' }, 'Expected `name` to be a non-empty string'],
    [42, { rate: 1, per: '1s' }, 'Expected `name` to be a non-empty string'],
    ['x', { rate: 0, per: '1s' }, 'Expected `rate` to be a positive number, got 0'],
    ['x', { rate: 1, per: '0ms' }, 'Expected `per` to be a positive duration, got "0ms"'],
    ['x', { rate: 1, per: 'weekly' }, 'Expected `per` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got "weekly"'],
  ])('refuses name %o with %o', (name, limits, message) => {
    expect(() => defineProvider(name as string, limits)).toThrow(new TypeError(message));
    expect(providerNames()).not.toContain('x');
  });
});
