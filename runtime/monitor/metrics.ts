/**
 * The metrics bounded exports, defined once: Prometheus (`registerMetrics`) and OpenTelemetry
 * (`registerOtelInstruments`) both build their instruments from this list, and
 * docs/metrics.md documents each entry. Names and labels are part of the public surface.
 */
import type { MonitorSnapshot, ResourceSnapshot } from './types.js';

export type MetricType = 'gauge' | 'counter';

/** One labelled value of a metric. */
export interface MetricSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /**
   * UCUM unit for OpenTelemetry: `s` for seconds, `1` for ratios, an `{annotation}` for counts
   * (which an OpenTelemetry-to-Prometheus exporter drops, so the exported names stay the same).
   */
  readonly unit: string;
  /** The metric's values in a snapshot. */
  series(snapshot: MonitorSnapshot): MetricSeries[];
}

/** Quantile label values of the percentile metrics. */
const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

const RESOURCE_LABELS = ['kind', 'name'] as const;

function labelsOf(resource: ResourceSnapshot): { kind: string; name: string } {
  return { kind: resource.kind, name: resource.name };
}

/** A per-resource metric with one value (or none, when `value` gives null). */
function perResource(
  name: string,
  type: MetricType,
  unit: string,
  help: string,
  value: (resource: ResourceSnapshot) => number | null,
): MetricDefinition {
  return {
    name,
    type,
    help,
    unit,
    labelNames: RESOURCE_LABELS,
    series(snapshot) {
      const series: MetricSeries[] = [];
      for (const resource of snapshot.resources) {
        const v = value(resource);
        if (v !== null) series.push({ labels: labelsOf(resource), value: v });
      }
      return series;
    },
  };
}

export const METRICS: readonly MetricDefinition[] = [
  perResource(
    'bounded_resource_in_use',
    'gauge',
    '{unit}',
    'Units of a resource in use now: semaphore permits held, rate capacity spent, pool connections checked out, HTTP connections busy.',
    (r) => r.inUse,
  ),
  perResource(
    'bounded_resource_limit',
    'gauge',
    '{unit}',
    'Most units of a resource in use at once (absent when unbounded).',
    (r) => r.limit,
  ),
  perResource(
    'bounded_resource_utilization_ratio',
    'gauge',
    '1',
    'In use divided by limit (0..1; above 1 for a while after a limit shrinks).',
    (r) => r.utilization,
  ),
  perResource('bounded_resource_waiting', 'gauge', '{call}', 'Callers waiting for a resource now (queue depth).', (r) => r.waiting),
  perResource(
    'bounded_resource_warning',
    'gauge',
    '{state}',
    '1 while a resource is above the warning level (with hysteresis), else 0.',
    (r) => (r.level === 'warning' ? 1 : 0),
  ),
  {
    name: 'bounded_utilization_warning_ratio',
    type: 'gauge',
    help: 'The utilization at which the monitor warns.',
    unit: '1',
    labelNames: [],
    series: (snapshot) => [{ labels: {}, value: snapshot.warningLevel }],
  },
  {
    name: 'bounded_wait_seconds',
    type: 'gauge',
    help: 'Time callers waited for a resource, by quantile, over the most recent 1024 waits.',
    unit: 's',
    labelNames: [...RESOURCE_LABELS, 'quantile'],
    series(snapshot) {
      const series: MetricSeries[] = [];
      for (const resource of snapshot.resources) {
        const waits = resource.waitMs;
        if (waits === null) continue;
        for (const [quantile, key] of QUANTILES) {
          series.push({ labels: { ...labelsOf(resource), quantile }, value: waits[key] / 1_000 });
        }
      }
      return series;
    },
  },
  perResource(
    'bounded_admitted_total',
    'counter',
    '{call}',
    'Calls admitted: permits granted, rate-limited calls let through, connections checked out.',
    (r) => r.admitted,
  ),
  perResource('bounded_throttled_total', 'counter', '{call}', 'Calls that had to wait before admission.', (r) => r.throttled),
  {
    name: 'bounded_rejected_total',
    type: 'counter',
    help: 'Callers refused since monitoring began, by reason: queue-full, timeout, abort, closed, capacity.',
    unit: '{call}',
    labelNames: [...RESOURCE_LABELS, 'reason'],
    series(snapshot) {
      const series: MetricSeries[] = [];
      for (const resource of snapshot.resources) {
        for (const [reason, value] of Object.entries(resource.rejected)) {
          series.push({ labels: { ...labelsOf(resource), reason }, value });
        }
      }
      return series;
    },
  },
  perResource(
    'bounded_timeouts_total',
    'counter',
    '{call}',
    'Waits for a resource that ran out of time (for pools, queries that ran out of time too).',
    (r) => r.timedOut,
  ),
  perResource(
    'bounded_errors_total',
    'counter',
    '{error}',
    'Pool connections that could not be opened or were lost; background tasks that failed.',
    (r) => r.errors,
  ),
  perResource('bounded_retries_total', 'counter', '{retry}', 'HTTP attempts retried.', (r) => r.retries),
  {
    name: 'bounded_pool_connections',
    type: 'gauge',
    help: 'Connections of a pool or HTTP client, by state: idle, in_use, total.',
    unit: '{connection}',
    labelNames: [...RESOURCE_LABELS, 'state'],
    series(snapshot) {
      const series: MetricSeries[] = [];
      for (const resource of snapshot.resources) {
        const connections = resource.connections;
        if (connections === null) continue;
        const labels = labelsOf(resource);
        series.push(
          { labels: { ...labels, state: 'idle' }, value: connections.idle },
          { labels: { ...labels, state: 'in_use' }, value: connections.inUse },
          { labels: { ...labels, state: 'total' }, value: connections.total },
        );
      }
      return series;
    },
  },
  {
    name: 'bounded_event_loop_delay_seconds',
    type: 'gauge',
    help: 'Event-loop delay of the process over the last sampling interval, by quantile.',
    unit: 's',
    labelNames: ['quantile'],
    series(snapshot) {
      const loop = snapshot.eventLoop;
      if (loop === null) return [];
      return [
        { labels: { quantile: '0.5' }, value: loop.p50Ms / 1_000 },
        { labels: { quantile: '0.95' }, value: loop.p95Ms / 1_000 },
        { labels: { quantile: '0.99' }, value: loop.p99Ms / 1_000 },
        { labels: { quantile: '1' }, value: loop.maxMs / 1_000 },
      ];
    },
  },
  {
    name: 'bounded_alerts_total',
    type: 'counter',
    help: 'Alerts raised, by level: warning when a resource crossed the warning level, recovered when it fell back.',
    unit: '{alert}',
    labelNames: [...RESOURCE_LABELS, 'level'],
    series(snapshot) {
      const series: MetricSeries[] = [];
      for (const resource of snapshot.resources) {
        const labels = labelsOf(resource);
        series.push(
          { labels: { ...labels, level: 'warning' }, value: resource.alerts.warning },
          { labels: { ...labels, level: 'recovered' }, value: resource.alerts.recovered },
        );
      }
      return series;
    },
  },
];
