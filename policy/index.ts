export { DEFAULT_POLICY } from './defaults.js';
export type { DefaultPolicy, PoolDefaults, RateLimitDefaults } from './defaults.js';
export { parseDuration, tryParseDuration, type Duration } from './duration.js';
export {
  POLICY_FILE_NAME,
  PolicyError,
  defaultPolicy,
  findPolicyFile,
  formatProblem,
  loadPolicy,
  parsePolicy,
  resolvePolicyPath,
  type ConnectionPolicy,
  type HttpClientPolicy,
  type HttpPolicy,
  type LoadPolicyOptions,
  type ParseResult,
  type Policy,
  type PolicyProblem,
  type PoolPolicy,
  type ProviderApiPolicy,
  type RateLimitAlgorithm,
  type RateLimitPolicy,
  type SemaphorePolicy,
  type StoreErrorPolicy,
  type StoreKind,
  type StorePolicy,
} from './load.js';
export { policyJsonSchema, type PolicyFile, type PolicyOverlay } from './schema.js';
export { STARTER_POLICY } from './starter.js';
export { suggest } from './suggest.js';
