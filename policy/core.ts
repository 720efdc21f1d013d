/**
 * The browser-safe part of @bounded/policy: the embedded defaults, durations and the policy's
 * types. It imports no `node:*` module and no YAML parser, so @bounded/runtime/core can use it.
 */
export { DEFAULT_POLICY } from './defaults.js';
export type { DefaultPolicy, PoolDefaults, RateLimitDefaults } from './defaults.js';
export { parseDuration, tryParseDuration, type Duration } from './duration.js';
export { suggest } from './suggest.js';
export type {
  HttpPolicy,
  Policy,
  PoolPolicy,
  ProviderApiPolicy,
  RateLimitAlgorithm,
  RateLimitPolicy,
  SemaphorePolicy,
  StoreErrorPolicy,
  StoreKind,
  StorePolicy,
} from './load.js';
/** The catalog of APIs bounded knows: plain data. */
export * from './catalog/index.js';
