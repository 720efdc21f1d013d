export { LimiterCore, type Spacing } from './core.js';
export { TokenBucket, type TokenBucketFallback, type TokenBucketOptions, type TokenBucketReconfigure } from './token-bucket.js';
export { SlidingWindow, type SlidingWindowFallback, type SlidingWindowOptions, type SlidingWindowReconfigure } from './sliding-window.js';
export {
  defineProvider,
  providerLimiter,
  providerNames,
  type ProviderLimiterOptions,
  type ProviderLimits,
} from './providers.js';
export type {
  RateAcquireOptions,
  RateLimiterAdmission,
  RateLimiter,
  RateLimiterEvent,
  RateLimiterPenalty,
  RateLimiterRejection,
  RateLimiterStats,
} from './types.js';
