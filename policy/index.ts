export { DEFAULT_POLICY } from './defaults.js';
export type { DefaultPolicy, PoolDefaults, RateLimitDefaults } from './defaults.js';
export { parseDuration, tryParseDuration, type Duration } from './duration.js';
