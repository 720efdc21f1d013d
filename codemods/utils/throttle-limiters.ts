/**
 * The rate limiter a provider's calls should go through, written as source from the policy:
 * the runtime's preset by name when the policy keeps the preset's numbers (`'openai'`,
 * `providerLimiter('openai')`), the policy's own numbers when it changes them.
 */
import { DEFAULT_POLICY } from '@bounded/policy';
import type { Policy } from '@bounded/policy';
import { msSource } from './imports.js';
import type { Provider } from './throttle-clients.js';

export interface LimiterSource {
  /** The value of throttleClient's `limiter` option: `'openai'` or an expression that builds one. */
  readonly option: string;
  /** An expression that builds the limiter, for a module-level `const`. */
  readonly expression: string;
  /** Runtime exports `expression` (and `option`, when it is an expression) use. */
  readonly names: readonly string[];
}

const DURATIONS: ReadonlyMap<number, string> = new Map([
  [1_000, "'1s'"],
  [60_000, "'1m'"],
  [3_600_000, "'1h'"],
]);

function durationSource(ms: number): string {
  return DURATIONS.get(ms) ?? msSource(ms);
}

/** The limiter for `provider`; `local` gives the name a runtime export goes by in the file (an alias). */
export function limiterSource(provider: Provider, policy: Policy, local: (name: string) => string = (name) => name): LimiterSource {
  const presets: Readonly<Record<string, { rate: number; perMs: number } | undefined>> = DEFAULT_POLICY.rateLimits;
  const preset = presets[provider] ?? { rate: Number.NaN, perMs: Number.NaN };
  const entry = policy.rateLimits[provider];
  const quoted = `'${provider}'`;
  if (entry === undefined) return { option: quoted, expression: `${local('providerLimiter')}(${quoted})`, names: ['providerLimiter'] };
  const common: string[] = [];
  if (entry.spacing !== 'burst') common.push(`spacing: '${entry.spacing}'`);
  if (Number.isFinite(entry.maxQueue)) common.push(`maxQueue: ${entry.maxQueue}`);
  if (entry.burst !== undefined) {
    // providerLimiter has no `burst`: build the policy's token bucket itself.
    const parts = [`name: ${quoted}`, `rate: ${entry.rate}`, `per: ${durationSource(entry.perMs)}`, `burst: ${entry.burst}`, ...common];
    const expression = `new ${local('TokenBucket')}({ ${parts.join(', ')} })`;
    return { option: expression, expression, names: ['TokenBucket'] };
  }
  const parts: string[] = [];
  if (entry.algorithm !== 'sliding-window') parts.push(`algorithm: '${entry.algorithm}'`);
  if (entry.rate !== preset.rate) parts.push(`rate: ${entry.rate}`);
  if (entry.perMs !== preset.perMs) parts.push(`per: ${durationSource(entry.perMs)}`);
  parts.push(...common);
  if (parts.length === 0) return { option: quoted, expression: `${local('providerLimiter')}(${quoted})`, names: ['providerLimiter'] };
  const expression = `${local('providerLimiter')}(${quoted}, { ${parts.join(', ')} })`;
  return { option: expression, expression, names: ['providerLimiter'] };
}

/** throttleClient's options: the limiter, and the policy's model deadline when it is not the runtime's default. */
export function throttleOptionsSource(provider: Provider, policy: Policy, local: (name: string) => string): string {
  const parts = [`limiter: ${limiterSource(provider, policy, local).option}`];
  const model = policy.defaults.timeouts.model;
  if (model !== DEFAULT_POLICY.defaults.timeouts.model) parts.push(`timeoutMs: ${msSource(model)}`);
  return `{ ${parts.join(', ')} }`;
}
