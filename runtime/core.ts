/**
 * @bounded/runtime/core: the primitives that run anywhere JavaScript runs (browsers, edge
 * workers, Node): Semaphore, the mapBounded family, withTimeout and deadline, every and the
 * background runner, TokenBucket, SlidingWindow and the typed errors. It imports no `node:*`
 * module, no pg and no undici; a test bundles it for the browser and fails on any such import.
 */
export {
  Semaphore,
  type AcquireOptions,
  type Permit,
  type SemaphoreFallback,
  type SemaphoreGrant,
  type SemaphoreOptions,
  type SemaphoreRejection,
  type SemaphoreState,
  type SemaphoreTask,
} from './semaphore.js';
export {
  allBounded,
  forEachBounded,
  mapBounded,
  mapBoundedSettled,
  type Items,
  type MapBoundedOptions,
  type Mapper,
  type Thunk,
} from './map-bounded.js';
export {
  deadline,
  withTimeout,
  type Deadline,
  type DeadlineOptions,
  type TimedTask,
  type WithTimeoutOptions,
} from './timeout.js';
export {
  BackgroundRunner,
  background,
  closeDefaultBackgroundRunner,
  createBackgroundRunner,
  defaultBackgroundRunner,
  every,
  type BackgroundCloseOptions,
  type BackgroundError,
  type BackgroundRunOptions,
  type BackgroundRunnerOptions,
  type BackgroundTask,
  type EveryOptions,
  type EveryTask,
  type Interval,
} from './background/index.js';
export {
  BoundedError,
  ClosedError,
  LoadShedError,
  QueueFullError,
  StoreUnavailableError,
  TimeoutError,
  isBoundedError,
  isClosedError,
  isLoadShedError,
  isQueueFullError,
  isStoreUnavailableError,
  isTimeoutError,
  type LoadShedDetails,
  type QueueFullDetails,
  type StoreUnavailableDetails,
  type TimeoutDetails,
} from './errors.js';
export {
  SlidingWindow,
  TokenBucket,
  defineProvider,
  providerLimiter,
  providerNames,
  type ProviderLimiterOptions,
  type ProviderLimits,
  type RateAcquireOptions,
  type RateLimiter,
  type RateLimiterEvent,
  type RateLimiterPenalty,
  type RateLimiterRejection,
  type RateLimiterStats,
  type SlidingWindowOptions,
  type SlidingWindowReconfigure,
  type SlidingWindowFallback,
  type Spacing,
  type TokenBucketFallback,
  type TokenBucketOptions,
  type TokenBucketReconfigure,
} from './rate-limit/index.js';
export type { LeaseInfo, LimiterAlgorithm, SharedModeOptions, SharedStore, StoreErrorPolicy, StoreKind } from './store/types.js';
export type { StoreStatusEvent } from './store/shared-health.js';
export type { Listener, Subscription } from './internal/events.js';
export { MemoryStore, createMemoryStore, type MemoryStoreOptions } from './store/memory.js';
export {
  PerKey,
  TooManyKeysError,
  isTooManyKeysError,
  perKey,
  type KeyedResource,
  type PerKeyEviction,
  type PerKeyOptions,
  type TooManyKeysDetails,
} from './per-key.js';
