import { DEFAULT_POLICY } from '@bounded/policy/core';
import type { Duration } from '@bounded/policy/core';
import type { Spacing } from './core.js';
import { SlidingWindow } from './sliding-window.js';
import { TokenBucket, assertPositive, positiveDuration } from './token-bucket.js';
import type { RateLimiter } from './types.js';

export interface ProviderLimits {
  /** Requests admitted per `per`. */
  rate: number;
  /** Window: `1m`, `1s`, or milliseconds. */
  per: Duration;
}

export interface ProviderLimiterOptions {
  /** `sliding-window` (default): never more than `rate` in any window. `token-bucket`: smoother refill. */
  algorithm?: 'sliding-window' | 'token-bucket';
  /**
   * `even` (default for presets): one admission every `per / rate`, never a burst. Providers
   * quantize their per-minute limits (OpenAI: 60,000/min "may be enforced as 1,000/s"), so a
   * burst of a minute's allowance in one second draws 429s although the minute's count is
   * within the limit. `burst` admits the whole window at once.
   */
  spacing?: Spacing;
  maxQueue?: number;
  /** Longest pause one `penalize(ms)` imposes, in ms. Default: the policy's (5 minutes). */
  maxPenaltyMs?: number;
  /** Override the preset's numbers for this limiter only. */
  rate?: number;
  per?: Duration;
}

const providers = new Map<string, { rate: number; perMs: number }>(
  Object.entries(DEFAULT_POLICY.rateLimits).map(([name, limits]) => [name, { rate: limits.rate, perMs: limits.perMs }]),
);

/** Adds (or replaces) a provider preset: `defineProvider('mistral', { rate: 120, per: '1m' })`. */
export function defineProvider(name: string, limits: ProviderLimits): void {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('Expected `name` to be a non-empty string');
  }
  assertPositive('rate', limits.rate);
  providers.set(name, { rate: limits.rate, perMs: positiveDuration('per', limits.per) });
}

/** The preset names known now: the policy's (openai, anthropic) and any defined since. */
export function providerNames(): string[] {
  return [...providers.keys()].sort();
}

/**
 * A limiter for a model provider from its preset: `openai` 60 requests/min and `anthropic`
 * 50 requests/min by default, or any name given to `defineProvider`.
 *
 * ```ts
 * const openai = providerLimiter('openai');
 * ```
 */
export function providerLimiter(name: string, options: ProviderLimiterOptions = {}): RateLimiter {
  const preset = providers.get(name);
  if (preset === undefined) {
    throw new TypeError(
      `Unknown provider "${name}"; known: ${providerNames().join(', ')}. Add it with defineProvider("${name}", { rate, per }).`,
    );
  }
  const rate = options.rate ?? preset.rate;
  const per = options.per ?? preset.perMs;
  const common = { name, spacing: options.spacing ?? 'even', maxQueue: options.maxQueue, maxPenaltyMs: options.maxPenaltyMs };
  const algorithm = options.algorithm ?? 'sliding-window';
  if (algorithm === 'token-bucket') return new TokenBucket({ ...common, rate, per });
  if (algorithm === 'sliding-window') return new SlidingWindow({ ...common, limit: rate, per });
  throw new TypeError(`Expected \`algorithm\` to be "sliding-window" or "token-bucket", got ${JSON.stringify(algorithm)}`);
}
