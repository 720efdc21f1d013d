/**
 * One adapter per kind of resource: it subscribes to the events the resource offers and reads
 * its counts into one common shape.
 */
import type { Subscription } from '../internal/events.js';
import { show } from '../internal/validate.js';
import { SlidingSample } from '../internal/sample.js';
import {
  RESOURCE_KINDS,
  type ConnectionCounts,
  type MonitoredHttpClient,
  type MonitoredLimiter,
  type MonitoredPool,
  type MonitoredResources,
  type MonitoredSemaphore,
  type ResourceKind,
  type WaitPercentiles,
} from './types.js';

/** Waits kept for percentiles, per resource. */
const WAIT_SAMPLE_SIZE = 1024;

/** Why a semaphore refuses a caller; each is reported (as 0) before it first happens. */
const SEMAPHORE_REASONS = ['queue-full', 'shed', 'timeout', 'abort', 'closed'] as const;
const LIMITER_REASONS = [...SEMAPHORE_REASONS, 'capacity'] as const;

/** A resource's figures at one moment, whatever its kind. */
export interface Reading {
  readonly limit: number | null;
  readonly inUse: number;
  readonly waiting: number;
  readonly peakInUse: number | null;
  readonly waitMs: WaitPercentiles | null;
  readonly admitted: number | null;
  readonly throttled: number | null;
  readonly rejected: Readonly<Record<string, number>>;
  readonly timedOut: number | null;
  readonly errors: number | null;
  readonly retries: number | null;
  readonly connections: ConnectionCounts | null;
}

export interface Adapter {
  read(): Reading;
  dispose(): void;
}

type AdapterFactory<K extends ResourceKind> = (resource: MonitoredResources[K]) => Adapter;

const FACTORIES: { readonly [K in ResourceKind]: AdapterFactory<K> } = {
  semaphore: semaphoreAdapter,
  limiter: limiterAdapter,
  pool: poolAdapter,
  http: httpAdapter,
};

/** Checks that `resource` looks like a `kind` and builds its adapter. */
export function createAdapter(kind: unknown, resource: unknown): Adapter {
  assertKind(kind);
  if (kind === 'semaphore') {
    const sem = resource as Partial<MonitoredSemaphore> | null;
    if (
      typeof sem !== 'object' ||
      sem === null ||
      typeof sem.limit !== 'number' ||
      typeof sem.inUse !== 'number' ||
      typeof sem.waiting !== 'number'
    ) {
      throw new TypeError(`Expected a semaphore (with numeric \`limit\`, \`inUse\` and \`waiting\`), got ${show(resource)}`);
    }
  } else if (typeof resource !== 'object' || resource === null || typeof (resource as { stats?: unknown }).stats !== 'function') {
    throw new TypeError(`Expected a ${KIND_LABELS[kind]} (with a \`stats()\` method), got ${show(resource)}`);
  }
  return (FACTORIES[kind] as AdapterFactory<ResourceKind>)(resource as MonitoredResources[ResourceKind]);
}

/** How messages name each kind. */
export const KIND_LABELS: Readonly<Record<ResourceKind, string>> = {
  semaphore: 'semaphore',
  limiter: 'rate limiter',
  pool: 'pool',
  http: 'HTTP client',
};

export function assertKind(kind: unknown): asserts kind is ResourceKind {
  if (!(RESOURCE_KINDS as readonly unknown[]).includes(kind)) {
    throw new TypeError(`Expected \`kind\` to be one of ${RESOURCE_KINDS.map((k) => `"${k}"`).join(', ')}, got ${show(kind)}`);
  }
}

/** Counts rejection events by reason, starting every known reason at 0. */
class RejectionCounts {
  readonly #counts: Record<string, number> = Object.create(null) as Record<string, number>;

  constructor(reasons: readonly string[]) {
    for (const reason of reasons) this.#counts[reason] = 0;
  }

  readonly count = (event: { readonly reason: string }): void => {
    const reason = typeof event.reason === 'string' ? event.reason : 'unknown';
    this.#counts[reason] = (this.#counts[reason] ?? 0) + 1;
  };

  get(reason: string): number {
    return this.#counts[reason] ?? 0;
  }

  copy(): Record<string, number> {
    return { ...this.#counts };
  }
}

/** Admissions and their wait times, from an event that reports `waitedMs` for each. */
class GrantLog {
  readonly waits = new SlidingSample(WAIT_SAMPLE_SIZE);
  granted = 0;
  /** Grants that waited at all. */
  waited = 0;

  readonly record = (event: { readonly waitedMs: number }): void => {
    this.granted++;
    const waitedMs = event.waitedMs;
    if (typeof waitedMs !== 'number' || !Number.isFinite(waitedMs) || waitedMs < 0) return;
    if (waitedMs > 0) this.waited++;
    this.waits.add(waitedMs);
  };

  /** Wait percentiles of the recent grants; null before the first. */
  percentiles(): WaitPercentiles | null {
    return this.waits.size === 0 ? null : this.waits.percentiles();
  }
}

function disposeAll(subscriptions: Subscription[]): void {
  for (const subscription of subscriptions.splice(0)) subscription.dispose();
}

function finiteOrNull(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Counts a queue's rejections by reason and records its waits, through whichever of the two
 * events the resource offers (a semaphore's onRejected/onGranted, a limiter's
 * onRejected/onAdmitted).
 */
function watchQueue(
  reasons: readonly string[],
  onRejected: ((listener: (event: { readonly reason: string }) => void) => Subscription) | undefined,
  onGranted: ((listener: (event: { readonly waitedMs: number }) => void) => Subscription) | undefined,
): { subscriptions: Subscription[]; rejections: RejectionCounts | undefined; grants: GrantLog | undefined } {
  const subscriptions: Subscription[] = [];
  let rejections: RejectionCounts | undefined;
  if (onRejected !== undefined) {
    rejections = new RejectionCounts(reasons);
    subscriptions.push(onRejected(rejections.count));
  }
  let grants: GrantLog | undefined;
  if (onGranted !== undefined) {
    grants = new GrantLog();
    subscriptions.push(onGranted(grants.record));
  }
  return { subscriptions, rejections, grants };
}

function semaphoreAdapter(sem: MonitoredSemaphore): Adapter {
  const { subscriptions, rejections, grants } = watchQueue(
    SEMAPHORE_REASONS,
    typeof sem.onRejected === 'function' ? sem.onRejected.bind(sem) : undefined,
    typeof sem.onGranted === 'function' ? sem.onGranted.bind(sem) : undefined,
  );
  return {
    read: () => ({
      limit: finiteOrNull(sem.limit),
      inUse: sem.inUse,
      waiting: sem.waiting,
      peakInUse: finiteOrNull(sem.peakInUse),
      waitMs: grants?.percentiles() ?? null,
      admitted: grants?.granted ?? null,
      throttled: grants?.waited ?? null,
      rejected: rejections?.copy() ?? {},
      timedOut: rejections?.get('timeout') ?? null,
      errors: finiteOrNull(sem.errors),
      retries: null,
      connections: null,
    }),
    dispose: () => disposeAll(subscriptions),
  };
}

function limiterAdapter(limiter: MonitoredLimiter): Adapter {
  const { subscriptions, rejections, grants } = watchQueue(
    LIMITER_REASONS,
    typeof limiter.onRejected === 'function' ? limiter.onRejected.bind(limiter) : undefined,
    typeof limiter.onAdmitted === 'function' ? limiter.onAdmitted.bind(limiter) : undefined,
  );
  return {
    read: () => {
      const stats = limiter.stats();
      // Capacity: a token bucket's burst, a sliding window's limit. In use: what the window or
      // bucket has spent of it (all of it while callers wait or a penalty pauses admissions).
      const limit = finiteOrNull(limiter.burst) ?? finiteOrNull(limiter.limit);
      const inUse = limit === null ? 0 : Math.max(0, limit - stats.available);
      return {
        limit,
        inUse,
        waiting: stats.waiting,
        peakInUse: null,
        waitMs: grants?.percentiles() ?? null,
        admitted: stats.admitted,
        throttled: stats.throttled,
        rejected: rejections?.copy() ?? {},
        timedOut: rejections?.get('timeout') ?? null,
        errors: null,
        retries: null,
        connections: null,
      };
    },
    dispose: () => disposeAll(subscriptions),
  };
}

function poolAdapter(pool: MonitoredPool): Adapter {
  const { subscriptions, rejections } = watchQueue(
    SEMAPHORE_REASONS,
    typeof pool.onRejected === 'function' ? pool.onRejected.bind(pool) : undefined,
    undefined,
  );
  return {
    read: () => {
      const stats = pool.stats();
      return {
        limit: finiteOrNull(stats.max),
        inUse: stats.inUse,
        waiting: stats.waiting,
        peakInUse: null,
        waitMs: stats.acquired > 0 ? { ...stats.acquireWaitMs } : null,
        admitted: stats.acquired,
        throttled: null,
        rejected: rejections?.copy() ?? {},
        timedOut: stats.timeouts,
        errors: stats.errors,
        retries: null,
        connections: { total: stats.total, idle: stats.idle, inUse: stats.inUse },
      };
    },
    dispose: () => disposeAll(subscriptions),
  };
}

function httpAdapter(client: MonitoredHttpClient): Adapter {
  const subscriptions: Subscription[] = [];
  let retries: number | null = null;
  if (typeof client.onRetry === 'function') {
    retries = 0;
    subscriptions.push(
      client.onRetry(() => {
        retries!++;
      }),
    );
  }
  return {
    read: () => {
      const stats = client.stats();
      const busy = Math.max(0, stats.connected - stats.free);
      return {
        limit: finiteOrNull(stats.connections) ?? finiteOrNull(client.connections),
        inUse: busy,
        waiting: stats.pending,
        peakInUse: null,
        waitMs: null,
        admitted: null,
        throttled: null,
        rejected: {},
        timedOut: null,
        errors: null,
        retries,
        connections: { total: stats.connected, idle: stats.free, inUse: busy },
      };
    },
    dispose: () => disposeAll(subscriptions),
  };
}
