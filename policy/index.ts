export { DEFAULT_POLICY } from './defaults.js';
export type { DefaultPolicy, PoolDefaults, RateLimitDefaults } from './defaults.js';
export { MAX_DURATION_MS, checkDuration, parseDuration, tryParseDuration, type Duration, type DurationCheck } from './duration.js';
export {
  MAX_ALIAS_COUNT,
  MAX_POLICY_BYTES,
  POLICY_FILE_NAME,
  PolicyError,
  defaultPolicy,
  findPolicyFile,
  formatProblem,
  loadPolicy,
  parsePolicy,
  readPolicyText,
  resolvePolicyPath,
  revivePolicy,
  type ContextPolicy,
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
export { emptyRecord, own } from './records.js';
export { policyJsonSchema, type PolicyFile, type PolicyOverlay } from './schema.js';
export { MASK, describeConnection, maskSecrets } from './secrets.js';
export { STARTER_POLICY } from './starter.js';
export { suggest } from './suggest.js';
export { MAX_GLOB_LENGTH, gitignoreMatcher, globMatcher, matchesAnyGlob, type GlobMatcher } from './glob.js';
export { classifyFile, clearContextCache, runsOn, type ContextMatch, type FileContexts } from './contexts.js';
/** The catalog of APIs bounded knows (providers, frameworks, HTTP clients, limiters, connections, blocking calls, contexts). */
export * from './catalog/index.js';
export { findPackageInfo, type PackageInfo } from './package-info.js';
