export { DEFAULT_POLICY } from './defaults.js';
export type { DefaultPolicy, PoolDefaults, RateLimitDefaults } from './defaults.js';
