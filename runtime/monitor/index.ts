/** Monitoring: the ConcurrencyMonitor, its alerts, and its metrics for Prometheus and OpenTelemetry. */
export { ConcurrencyMonitor, type ConcurrencyMonitorOptions, type MonitoringPolicy } from './monitor.js';
export { METRICS, type MetricDefinition, type MetricSeries, type MetricType } from './metrics.js';
export {
  createMetricsServer,
  registerMetrics,
  type MetricsServer,
  type MetricsServerOptions,
} from './prometheus.js';
export {
  registerOtelInstruments,
  type OtelAttributes,
  type OtelBatchCallback,
  type OtelBatchObservableResult,
  type OtelMeter,
  type OtelObservable,
} from './otel.js';
export type {
  Alert,
  AlertLevel,
  ConnectionCounts,
  EventLoopSnapshot,
  GrantEvent,
  MonitoredHttpClient,
  MonitoredLimiter,
  MonitoredPool,
  MonitoredResources,
  MonitoredSemaphore,
  MonitorLogger,
  MonitorSnapshot,
  RejectionEvent,
  ResourceEntry,
  ResourceKind,
  ResourceSnapshot,
  ResourceSource,
  SnapshotSource,
  WaitPercentiles,
} from './types.js';
