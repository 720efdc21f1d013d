/**
 * bounded's runtime: primitives that keep a service inside its concurrency and time limits.
 * Import from "@bounded/runtime"; "@bounded/runtime/core" has the browser-safe part.
 */
export * from './core.js';
export type {
  LeaseDecision,
  LeaseInfo,
  LimiterAlgorithm,
  LimiterDecision,
  LimiterStore,
  SemaphoreStore,
  SharedModeOptions,
  SharedStore,
  StoreCallOptions,
  StoreConnectionOptions,
  StoreErrorPolicy,
  StoreKind,
  StoreSubscription,
} from './store/types.js';
export { MemoryStore, createMemoryStore, type MemoryStoreOptions } from './store/memory.js';
export { PostgresStore, createPostgresStore, type PostgresStoreOptions } from './store/postgres.js';
/** The SQL the PostgreSQL store runs to create its schema (`bounded db init --print-sql`). */
export { buildSql as postgresStoreSql, type Sql as PostgresStoreSql } from './store/postgres-sql.js';
export {
  RedisStore,
  createRedisStore,
  type CreateRedisStoreOptions,
  type RedisClient,
  type RedisStoreOptions,
} from './store/redis.js';
export { hashTagName, redisLimitKeys, type RedisLimitKeys } from './store/redis-scripts.js';
export type { StoreStatusEvent } from './store/shared-health.js';
export type { Listener, Subscription } from './internal/events.js';
export { throttleClient, type ThrottleClientOptions } from './throttle-client.js';
export { shutdownOn, type Closeable, type ShutdownOptions, type ShutdownSignal } from './shutdown.js';
export {
  ConcurrencyManager,
  type ManagedResource,
  type ManagerLogger,
  type ManagerOptions,
  type ReloadEvent,
  type ReloadFailure,
  type ResourceKind,
} from './manager.js';
export { startFakeProvider, type FakeProvider, type FakeProviderOptions, type FakeProviderStats } from './stress/fake-provider.js';
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
  BodyTooLargeError,
  HttpStatusError,
  RetryExhaustedError,
  isBodyTooLargeError,
  isHttpStatusError,
  isRetryExhaustedError,
  type BodyTooLargeDetails,
  type HttpStatusDetails,
  type RetryExhaustedDetails,
} from './http/errors.js';
export { IDEMPOTENT_METHODS, RETRY_STATUS_CODES, type RetryOptions } from './http/retry.js';
export {
  ConcurrencyMonitor,
  METRICS,
  createMetricsServer,
  registerMetrics,
  registerOtelInstruments,
  type Alert,
  type AlertLevel,
  type ConcurrencyMonitorOptions,
  type ConnectionCounts,
  type EventLoopSnapshot,
  type GrantEvent,
  type MetricDefinition,
  type MetricSeries,
  type MetricType,
  type MetricsServer,
  type MetricsServerOptions,
  type MonitoredHttpClient,
  type MonitoredLimiter,
  type MonitoredPool,
  type MonitoredResources,
  type MonitoredSemaphore,
  type MonitoringPolicy,
  type MonitorLogger,
  type MonitorSnapshot,
  type OtelAttributes,
  type OtelBatchCallback,
  type OtelBatchObservableResult,
  type OtelMeter,
  type OtelObservable,
  type RejectionEvent,
  type ResourceEntry,
  type ResourceSnapshot,
  type ResourceSource,
  type SnapshotSource,
  type WaitPercentiles,
} from './monitor/index.js';
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
  type PoolRejectionEvent,
  type PoolReleaseEvent,
  type PoolState,
  type PoolStats,
  type QueryOptions,
  type TransactionOptions,
  type WithClientOptions,
} from './pool/index.js';
