/**
 * bounded's runtime: primitives that keep a service inside its concurrency and time limits.
 * Import from "bounded/runtime" (or "bounded").
 */
export {
  Semaphore,
  type AcquireOptions,
  type Permit,
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
  BoundedError,
  ClosedError,
  QueueFullError,
  TimeoutError,
  isBoundedError,
  isClosedError,
  isQueueFullError,
  isTimeoutError,
  type QueueFullDetails,
  type TimeoutDetails,
} from './errors.js';
export type { Listener, Subscription } from './internal/events.js';
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
  type Spacing,
  type TokenBucketOptions,
  type TokenBucketReconfigure,
} from './rate-limit/index.js';
export { throttleClient, type ThrottleClientOptions } from './throttle-client.js';
export { startFakeProvider, type FakeProvider, type FakeProviderOptions, type FakeProviderStats } from './stress/fake-provider.js';
export {
  createPool,
  getPool,
  isPoolConnectionError,
  PoolConnectionError,
  type AcquireClientOptions,
  type BoundedPool,
  type BoundedPoolConfig,
  type ClientTask,
  type IsolationLevel,
  type PoolAcquireEvent,
  type PoolCloseOptions,
  type PoolConnectionDetails,
  type PoolConnectionPhase,
  type PoolErrorEvent,
  type PoolHealth,
  type PooledClient,
  type PoolReleaseEvent,
  type PoolState,
  type PoolStats,
  type QueryOptions,
  type TransactionOptions,
  type WithClientOptions,
} from './pool/index.js';
export {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpClientStats,
  type HttpFetchInit,
  type HttpHeaders,
  type HttpRequestOptions,
  type HttpResponse,
  type HttpRetryEvent,
  type ResponseBody,
} from './http/client.js';
export {
  HttpStatusError,
  RetryExhaustedError,
  isHttpStatusError,
  isRetryExhaustedError,
  type HttpStatusDetails,
  type RetryExhaustedDetails,
} from './http/errors.js';
export { IDEMPOTENT_METHODS, RETRY_STATUS_CODES, type RetryOptions } from './http/retry.js';
