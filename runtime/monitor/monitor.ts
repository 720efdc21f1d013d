import { DEFAULT_POLICY } from '@bounded/policy/core';
import { ClosedError } from '../errors.js';
import { Listeners, type Listener, type Subscription } from '../internal/events.js';
import { assertFunction, assertTimeoutMs, show } from '../internal/validate.js';
import { KIND_LABELS, assertKind, createAdapter, type Adapter, type Reading } from './adapters.js';
import { AlertTracker, type AlertRules } from './alerts.js';
import { EventLoopDelay } from './event-loop.js';
import type {
  Alert,
  MonitoredResources,
  MonitorLogger,
  MonitorSnapshot,
  ResourceEntry,
  ResourceKind,
  ResourceSnapshot,
  ResourceSource,
  StoreStatusReport,
} from './types.js';

export interface ConcurrencyMonitorOptions {
  /** Utilization (0..1] at which a resource raises a warning. Default: the policy's 0.8. */
  warningLevel?: number;
  /** How often `start()` samples, in ms. Default 1,000. */
  intervalMs?: number;
  /** Least time between two alerts for one resource, in ms. Default 60,000. */
  minAlertIntervalMs?: number;
  /**
   * How far below `warningLevel` utilization must fall before the resource counts as recovered,
   * so one hovering at the level does not alternate. Default 0.05.
   */
  hysteresis?: number;
  /** Where alerts (and the monitor's own errors) are written. Default `console`. */
  logger?: MonitorLogger;
  /** Called with every alert, like `monitor.onAlert(listener)`. */
  onAlert?: Listener<Alert>;
  /** Clock for alert times and intervals, in ms. Default `Date.now`. */
  now?: () => number;
  /** Measure the process's event-loop delay. Default true. */
  eventLoop?: boolean;
}

/** The monitoring part of a policy (`Policy` from bounded/policy has it). */
export interface MonitoringPolicy {
  readonly monitoring: {
    readonly utilizationWarning: number;
    readonly intervalMs: number;
    readonly minAlertIntervalMs: number;
  };
}

const DEFAULTS = {
  warningLevel: DEFAULT_POLICY.monitoring.utilizationWarning,
  intervalMs: 1_000,
  minAlertIntervalMs: 60_000,
  hysteresis: 0.05,
};

/** What `inUse of limit` counts, per kind, for messages. */
const UNITS: Readonly<Record<ResourceKind, string>> = {
  semaphore: 'permits in use',
  limiter: 'of its capacity spent',
  pool: 'connections in use',
  http: 'connections busy',
};

interface Entry {
  readonly kind: ResourceKind;
  readonly name: string;
  readonly resource: unknown;
  readonly adapter: Adapter;
  readonly tracker: AlertTracker;
  /** Reading it failed last time: its error was logged once. */
  failing: boolean;
  /** Stops listening to a shared limit's store status. */
  readonly unwatchStore: () => void;
}

/**
 * Watches semaphores, rate limiters, pools and HTTP clients: utilization, queue depth, wait
 * times, admissions and rejections, connections, and the process's event-loop delay. It warns
 * when a resource crosses the warning level and again when it recovers, at most once per
 * `minAlertIntervalMs` per resource.
 *
 * ```ts
 * const monitor = new ConcurrencyMonitor({ warningLevel: 0.8 });
 * monitor.add('semaphore', 'db', dbSemaphore);
 * monitor.watch(manager); // every resource the manager builds, now and later
 * monitor.start();
 * registerMetrics(registry, monitor);
 * ```
 */
export class ConcurrencyMonitor implements Disposable {
  readonly warningLevel: number;
  readonly intervalMs: number;
  readonly minAlertIntervalMs: number;
  readonly hysteresis: number;
  readonly #rules: AlertRules;
  readonly #logger: MonitorLogger;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #alerts = new Listeners<Alert>();
  readonly #eventLoop: EventLoopDelay | undefined;
  readonly #watches = new Set<Subscription>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** A monitor with the policy's warning level and intervals. */
  static fromPolicy(
    policy: MonitoringPolicy,
    options: Omit<ConcurrencyMonitorOptions, 'warningLevel' | 'intervalMs' | 'minAlertIntervalMs'> = {},
  ): ConcurrencyMonitor {
    const { utilizationWarning, intervalMs, minAlertIntervalMs } = policy.monitoring;
    return new ConcurrencyMonitor({ ...options, warningLevel: utilizationWarning, intervalMs, minAlertIntervalMs });
  }

  constructor(options: ConcurrencyMonitorOptions = {}) {
    const {
      warningLevel = DEFAULTS.warningLevel,
      intervalMs = DEFAULTS.intervalMs,
      minAlertIntervalMs = DEFAULTS.minAlertIntervalMs,
      hysteresis = DEFAULTS.hysteresis,
      logger = console,
      onAlert,
      now = Date.now,
      eventLoop = true,
    } = options;
    if (typeof warningLevel !== 'number' || !(warningLevel > 0 && warningLevel <= 1)) {
      throw new TypeError(`Expected \`warningLevel\` to be a number in (0, 1], got ${show(warningLevel)}`);
    }
    if (typeof hysteresis !== 'number' || !(hysteresis >= 0 && hysteresis < warningLevel)) {
      throw new TypeError(`Expected \`hysteresis\` to be a number from 0 to below warningLevel (${warningLevel}), got ${show(hysteresis)}`);
    }
    assertTimeoutMs('intervalMs', intervalMs);
    if (typeof minAlertIntervalMs !== 'number' || !Number.isFinite(minAlertIntervalMs) || minAlertIntervalMs < 0) {
      throw new TypeError(`Expected \`minAlertIntervalMs\` to be a non-negative number of milliseconds, got ${show(minAlertIntervalMs)}`);
    }
    assertLogger(logger);
    assertFunction('now', now);
    this.warningLevel = warningLevel;
    this.intervalMs = intervalMs;
    this.minAlertIntervalMs = minAlertIntervalMs;
    this.hysteresis = hysteresis;
    this.#rules = { warningLevel, hysteresis, minAlertIntervalMs };
    this.#logger = logger;
    this.#now = now;
    if (onAlert !== undefined) this.#alerts.add(onAlert);
    this.#eventLoop = eventLoop ? new EventLoopDelay() : undefined;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Watches one resource under a name (unique per kind). Dispose the subscription to stop
   * watching it and drop its events listeners.
   */
  add<K extends ResourceKind>(kind: K, name: string, resource: MonitoredResources[K]): Subscription {
    if (this.#closed) throw new ClosedError('ConcurrencyMonitor');
    assertKind(kind);
    assertName(name);
    const key = keyOf(kind, name);
    if (this.#entries.has(key)) {
      throw new Error(`A ${KIND_LABELS[kind]} named "${name}" is already monitored; dispose its subscription first`);
    }
    return this.#insert(kind, name, resource, undefined);
  }

  /**
   * Watches every resource `source` (a `ConcurrencyManager`) has now and every one it creates
   * later. A resource it replaces under the same name takes over the old one's alert state.
   * Dispose the subscription to stop watching all of them.
   */
  watch(source: ResourceSource): Subscription {
    if (this.#closed) throw new ClosedError('ConcurrencyMonitor');
    if (typeof source !== 'object' || source === null || typeof source.resources !== 'function') {
      throw new TypeError(`Expected \`source\` to have a \`resources()\` method, got ${show(source)}`);
    }
    const included: Subscription[] = [];
    try {
      for (const entry of source.resources()) included.push(this.#include(entry));
    } catch (error) {
      disposeAll(included);
      throw error;
    }
    const later =
      typeof source.onResource === 'function'
        ? source.onResource((entry) => {
            if (this.#closed) return;
            try {
              included.push(this.#include(entry));
            } catch (error) {
              this.#log('error', `bounded: cannot monitor ${describeEntry(entry)}: ${messageOf(error)}`);
            }
          })
        : undefined;
    const watch = subscription(() => {
      this.#watches.delete(watch);
      later?.dispose();
      disposeAll(included);
    });
    this.#watches.add(watch);
    return watch;
  }

  /** Called with every alert. */
  onAlert(listener: Listener<Alert>): Subscription {
    return this.#alerts.add(listener);
  }

  /** Every watched resource's figures and the event-loop delay, as plain data. */
  snapshot(): MonitorSnapshot {
    const resources: ResourceSnapshot[] = [];
    for (const entry of this.#entries.values()) {
      const reading = this.#read(entry);
      if (reading !== undefined) resources.push(toSnapshot(entry, reading));
    }
    return {
      at: this.#now(),
      warningLevel: this.warningLevel,
      resources,
      eventLoop: this.#eventLoop?.read() ?? null,
    };
  }

  /**
   * Samples every resource once, now: raises the alerts due (logging them and calling the
   * `onAlert` listeners) and returns them. `start()` calls it every `intervalMs`.
   */
  check(): Alert[] {
    const alerts: Alert[] = [];
    if (this.#closed) return alerts;
    const at = this.#now();
    for (const entry of this.#entries.values()) {
      const reading = this.#read(entry);
      if (reading === undefined || reading.limit === null) continue;
      const utilization = reading.inUse / reading.limit;
      const decision = entry.tracker.update(utilization, at, this.#rules);
      if (decision === undefined) continue;
      const alert: Alert = {
        kind: entry.kind,
        name: entry.name,
        level: decision.level,
        utilization,
        limit: reading.limit,
        inUse: reading.inUse,
        waiting: reading.waiting,
        at,
        suppressed: decision.suppressed,
        message: alertMessage(entry.kind, entry.name, decision.level, utilization, reading, decision.suppressed),
      };
      alerts.push(alert);
      this.#log(alert.level === 'warning' ? 'warn' : 'info', alert.message);
      this.#alerts.emit(alert);
    }
    this.#eventLoop?.rollover();
    return alerts;
  }

  /** Samples every `intervalMs` (the timer does not keep the process alive). */
  start(): void {
    if (this.#closed) throw new ClosedError('ConcurrencyMonitor');
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.check(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops sampling, stops watching everything and drops every listener. */
  close(): void {
    if (this.#closed) return;
    this.stop();
    this.#closed = true;
    for (const watch of [...this.#watches]) watch.dispose();
    for (const entry of this.#entries.values()) {
      entry.adapter.dispose();
      entry.unwatchStore();
    }
    this.#entries.clear();
    this.#alerts.clear();
    this.#eventLoop?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** A manager's resource: new, the same one again (ignored), or a replacement. */
  #include(entry: ResourceEntry): Subscription {
    const { kind, name, resource } = entry;
    assertKind(kind);
    assertName(name);
    const existing = this.#entries.get(keyOf(kind, name));
    if (existing?.resource === resource) return subscription(() => undefined);
    return this.#insert(kind, name, resource, existing);
  }

  #insert(kind: ResourceKind, name: string, resource: unknown, replaces: Entry | undefined): Subscription {
    const adapter = createAdapter(kind, resource);
    let storeWatch: Subscription | undefined;
    const entry: Entry = {
      kind,
      name,
      resource,
      adapter,
      tracker: replaces?.tracker ?? new AlertTracker(),
      failing: false,
      unwatchStore: () => storeWatch?.dispose(),
    };
    // A shared limit (semaphore or rate limiter with a store) says when its store goes away and
    // comes back: each is an alert at once, not at the next sampling.
    const onStoreStatus = (resource as { onStoreStatus?: unknown } | null)?.onStoreStatus;
    if (typeof onStoreStatus === 'function') {
      storeWatch = (onStoreStatus as (listener: (event: StoreStatusReport) => void) => Subscription).call(resource, (event) =>
        this.#storeAlert(entry, event),
      );
    }
    const key = keyOf(kind, name);
    replaces?.adapter.dispose();
    replaces?.unwatchStore();
    this.#entries.set(key, entry);
    return subscription(() => {
      adapter.dispose();
      entry.unwatchStore();
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
  }

  #storeAlert(entry: Entry, event: StoreStatusReport): void {
    if (this.#closed || this.#entries.get(keyOf(entry.kind, entry.name)) !== entry) return;
    const reading = this.#read(entry);
    const limit = reading?.limit ?? 0;
    const inUse = reading?.inUse ?? 0;
    const label = `bounded: ${KIND_LABELS[entry.kind]} "${entry.name}"`;
    const message =
      event.state === 'unavailable'
        ? `${label} cannot reach its store (${event.store}): ` +
          (event.policy === 'failClosed'
            ? 'failClosed, callers are refused with StoreUnavailableError until it is back'
            : 'failOpen, callers go through the local fallback limit until it is back')
        : `${label} reached its store again (${event.store})` +
          (event.downMs === undefined ? '' : ` after ${(event.downMs / 1000).toFixed(1)} s`);
    const alert: Alert = {
      kind: entry.kind,
      name: entry.name,
      level: event.state === 'unavailable' ? 'warning' : 'recovered',
      utilization: limit === 0 ? 0 : inUse / limit,
      limit,
      inUse,
      waiting: reading?.waiting ?? 0,
      at: this.#now(),
      suppressed: 0,
      message,
      cause: 'store',
      store: event.store,
    };
    this.#log(alert.level === 'warning' ? 'error' : 'info', message);
    this.#alerts.emit(alert);
  }

  #read(entry: Entry): Reading | undefined {
    try {
      const reading = entry.adapter.read();
      entry.failing = false;
      return reading;
    } catch (error) {
      if (!entry.failing) {
        entry.failing = true;
        this.#log('error', `bounded: cannot read ${KIND_LABELS[entry.kind]} "${entry.name}": ${messageOf(error)}`);
      }
      return undefined;
    }
  }

  /** A logger that throws does not break sampling: its error surfaces on a later microtask. */
  #log(level: keyof MonitorLogger, message: string): void {
    try {
      this.#logger[level](message);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function toSnapshot(entry: Entry, reading: Reading): ResourceSnapshot {
  return {
    kind: entry.kind,
    name: entry.name,
    limit: reading.limit,
    inUse: reading.inUse,
    utilization: reading.limit === null ? null : reading.inUse / reading.limit,
    waiting: reading.waiting,
    peakInUse: reading.peakInUse,
    waitMs: reading.waitMs,
    admitted: reading.admitted,
    throttled: reading.throttled,
    rejected: reading.rejected,
    timedOut: reading.timedOut,
    errors: reading.errors,
    retries: reading.retries,
    connections: reading.connections,
    level: entry.tracker.level,
    alerts: { warning: entry.tracker.warnings, recovered: entry.tracker.recoveries },
  };
}

function alertMessage(
  kind: ResourceKind,
  name: string,
  level: 'warning' | 'recovered',
  utilization: number,
  reading: Reading,
  suppressed: number,
): string {
  const percent = `${Math.round(utilization * 100)}%`;
  const counts = `${reading.inUse} of ${reading.limit} ${UNITS[kind]}, ${reading.waiting} waiting`;
  const head =
    level === 'warning'
      ? `bounded: ${KIND_LABELS[kind]} "${name}" is at ${percent} of its limit (${counts})`
      : `bounded: ${KIND_LABELS[kind]} "${name}" has recovered: ${percent} of its limit (${counts})`;
  if (suppressed === 0) return head;
  const changes = suppressed === 1 ? '1 earlier level change was' : `${suppressed} earlier level changes were`;
  return `${head}; ${changes} not alerted (less than the minimum interval apart)`;
}

function keyOf(kind: ResourceKind, name: string): string {
  return `${kind}\u0000${name}`;
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${show(name)}`);
  }
}

function assertLogger(logger: unknown): asserts logger is MonitorLogger {
  const candidate = logger as Partial<Record<keyof MonitorLogger, unknown>> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.info !== 'function' ||
    typeof candidate.error !== 'function'
  ) {
    throw new TypeError(`Expected \`logger\` to have warn, info and error methods, got ${show(logger)}`);
  }
}

function describeEntry(entry: ResourceEntry): string {
  return `${show(entry.kind)} ${show(entry.name)}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function subscription(dispose: () => void): Subscription {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    dispose();
  };
  return { dispose: once, [Symbol.dispose]: once };
}

function disposeAll(subscriptions: Subscription[]): void {
  for (const item of subscriptions.splice(0)) item.dispose();
}
