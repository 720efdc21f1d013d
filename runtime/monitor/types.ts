import type { Subscription } from '../internal/events.js';

/** What the monitor can read. */
export type ResourceKind = 'semaphore' | 'limiter' | 'pool' | 'http';

export const RESOURCE_KINDS: readonly ResourceKind[] = ['semaphore', 'limiter', 'pool', 'http'];

/**
 * Where the monitor writes its alerts and its own troubles: `console` by default, or any
 * object with the same three methods.
 */
export interface MonitorLogger {
  warn(message: string): void;
  info(message: string): void;
  error(message: string): void;
}

/** Wait-time percentiles, in milliseconds. */
export interface WaitPercentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

// --- the shapes the monitor reads (structural, so it depends on no resource's file) ------------

/** A rejection event: semaphores and rate limiters say why they refused a caller. */
export interface RejectionEvent {
  readonly reason: string;
}

/** Emitted when a caller gets its permit, with the time it waited for it. */
export interface GrantEvent {
  readonly waitedMs: number;
}

/** A `Semaphore`, or anything with its counts. */
export interface MonitoredSemaphore {
  readonly limit: number;
  readonly inUse: number;
  readonly waiting: number;
  readonly peakInUse?: number;
  /** Work that failed after it was admitted (a `BackgroundRunner`'s failed tasks). */
  readonly errors?: number;
  onRejected?(listener: (event: RejectionEvent) => void): Subscription;
  /** When present, the monitor records wait times (and counts admissions) from it. */
  onGranted?(listener: (event: GrantEvent) => void): Subscription;
}

/** A `TokenBucket` or `SlidingWindow`, or anything with the `RateLimiter` stats. */
export interface MonitoredLimiter {
  stats(): {
    readonly available: number;
    readonly waiting: number;
    readonly admitted: number;
    readonly throttled: number;
    readonly rejected: number;
  };
  /** A token bucket's capacity. */
  readonly burst?: number;
  /** A sliding window's capacity. */
  readonly limit?: number;
  onRejected?(listener: (event: RejectionEvent) => void): Subscription;
  /** When present, the monitor records wait times from it. */
  onAdmitted?(listener: (event: GrantEvent) => void): Subscription;
}

/** A `BoundedPool` (from `createPool`), or anything with its stats. */
export interface MonitoredPool {
  stats(): {
    readonly max: number;
    readonly total: number;
    readonly idle: number;
    readonly inUse: number;
    readonly waiting: number;
    readonly acquireWaitMs: WaitPercentiles;
    readonly acquired: number;
    readonly errors: number;
    readonly timeouts: number;
  };
  /** When present, the monitor counts refused callers by reason (`bounded_rejected_total`). */
  onRejected?(listener: (event: RejectionEvent) => void): Subscription;
}

/** An `HttpClient` (from `createHttpClient`), or anything with its stats. */
export interface MonitoredHttpClient {
  stats(): {
    readonly connected: number;
    readonly free: number;
    readonly pending: number;
    readonly queued: number;
    readonly running: number;
    readonly inFlight: number;
    /** Most connections the client may open, when it tells. */
    readonly connections?: number;
  };
  /** Most connections the client may open, when it tells. */
  readonly connections?: number;
  onRetry?(listener: (event: unknown) => void): Subscription;
}

export interface MonitoredResources {
  semaphore: MonitoredSemaphore;
  limiter: MonitoredLimiter;
  pool: MonitoredPool;
  http: MonitoredHttpClient;
}

/** One resource as a manager lists it. */
export interface ResourceEntry {
  readonly kind: string;
  readonly name: string;
  readonly resource: unknown;
}

/** What `monitor.watch()` accepts: the `ConcurrencyManager`, or anything shaped like it. */
export interface ResourceSource {
  /** The resources that exist now. */
  resources(): Iterable<ResourceEntry>;
  /** Called for each resource created later. */
  onResource?(listener: (entry: ResourceEntry) => void): Subscription;
}

// --- what the monitor reports ------------------------------------------------------------------

export type AlertLevel = 'warning' | 'recovered';

/** A resource crossed the warning level, or fell back below it (less the hysteresis). */
export interface Alert {
  readonly kind: ResourceKind;
  readonly name: string;
  readonly level: AlertLevel;
  /** `inUse / limit` when the alert was raised. */
  readonly utilization: number;
  readonly limit: number;
  readonly inUse: number;
  readonly waiting: number;
  /** `Date.now()`-style time (the monitor's `now`) of the check that raised it. */
  readonly at: number;
  /**
   * Level changes since the previous alert for this resource that raised no alert of their own
   * because they came within `minAlertIntervalMs` of it.
   */
  readonly suppressed: number;
  /** The line written to the logger. */
  readonly message: string;
  /**
   * What raised it: `utilization` (the warning level, the default when absent), or `store` (a
   * shared limit lost or regained its store; then `store` names it).
   */
  readonly cause?: 'utilization' | 'store' | undefined;
  /** The store, without credentials, for `cause: 'store'`. */
  readonly store?: string | undefined;
}

/** What a shared limit reports when its store becomes unavailable or recovers (`onStoreStatus`). */
export interface StoreStatusReport {
  readonly state: 'unavailable' | 'recovered';
  readonly store: string;
  readonly policy: 'failClosed' | 'failOpen';
  readonly downMs?: number | undefined;
}

/** Connection counts of a pool or an HTTP client. */
export interface ConnectionCounts {
  readonly total: number;
  readonly idle: number;
  readonly inUse: number;
}

/** One resource at one moment, as plain data (`JSON.stringify` keeps all of it). */
export interface ResourceSnapshot {
  readonly kind: ResourceKind;
  readonly name: string;
  /** Most units in use at once: permits, rate capacity, connections; null when unbounded or unknown. */
  readonly limit: number | null;
  /** Units in use now: permits held, rate capacity consumed, connections checked out or busy. */
  readonly inUse: number;
  /** `inUse / limit`; null when there is no limit. May pass 1 for a while after a limit shrinks. */
  readonly utilization: number | null;
  /** Callers waiting now. */
  readonly waiting: number;
  /** Most units ever in use at once, when the resource tracks it. */
  readonly peakInUse: number | null;
  /** Wait-time percentiles over the most recent waits; null when unknown or none yet. */
  readonly waitMs: WaitPercentiles | null;
  /** Calls admitted (permits granted, checkouts); null when the resource does not tell. */
  readonly admitted: number | null;
  /** Calls that had to wait before admission; null when the resource does not tell. */
  readonly throttled: number | null;
  /** Callers refused since the monitor started watching, by reason (`timeout`, `queue-full`…). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Waits (and, for pools, queries) that ran out of time; null when the resource does not tell. */
  readonly timedOut: number | null;
  /** Connection failures (pools); null for other kinds. */
  readonly errors: number | null;
  /** Retries (HTTP clients); null for other kinds. */
  readonly retries: number | null;
  /** Connections (pools, HTTP clients); null for other kinds. */
  readonly connections: ConnectionCounts | null;
  /** `warning` from the check that saw it cross the warning level until the one that saw it recover. */
  readonly level: 'ok' | 'warning';
  /** Alerts raised for it so far, by level. */
  readonly alerts: { readonly warning: number; readonly recovered: number };
}

/** Event-loop delay over the last sampling interval (or since start, before the first check). */
export interface EventLoopSnapshot {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Measurements the figures rest on. */
  readonly samples: number;
}

/** What the metrics read: a `ConcurrencyMonitor`. */
export interface SnapshotSource {
  snapshot(): MonitorSnapshot;
}

export interface MonitorSnapshot {
  /** The monitor's `now()` when it was taken. */
  readonly at: number;
  readonly warningLevel: number;
  readonly resources: readonly ResourceSnapshot[];
  /** null when event-loop monitoring is off or nothing was measured yet. */
  readonly eventLoop: EventLoopSnapshot | null;
}
