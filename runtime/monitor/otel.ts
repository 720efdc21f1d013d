/**
 * The monitor's metrics as OpenTelemetry instruments. bounded does not depend on
 * `@opentelemetry/api`: the application passes its `Meter`, and the types below are the part
 * of the API this file uses (a `Meter` from `@opentelemetry/api` satisfies them).
 */
import type { Subscription } from '../internal/events.js';
import { show } from '../internal/validate.js';
import { METRICS } from './metrics.js';
import type { SnapshotSource } from './types.js';

export type OtelAttributes = Record<string, string>;

/** An observable instrument (`ObservableGauge`, `ObservableCounter`). */
export interface OtelObservable {
  addCallback(callback: (result: { observe(value: number, attributes?: OtelAttributes): void }) => void): void;
  removeCallback(callback: (result: { observe(value: number, attributes?: OtelAttributes): void }) => void): void;
}

export interface OtelBatchObservableResult {
  observe(observable: OtelObservable, value: number, attributes?: OtelAttributes): void;
}

export type OtelBatchCallback = (result: OtelBatchObservableResult) => void;

/** The part of `@opentelemetry/api`'s `Meter` bounded uses. */
export interface OtelMeter {
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): OtelObservable;
  createObservableCounter(name: string, options?: { description?: string; unit?: string }): OtelObservable;
  addBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
  removeBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
}

/**
 * Creates bounded's instruments on `meter`, with the same names, attributes and meaning as
 * the Prometheus metrics (docs/metrics.md): observable gauges and monotonic observable
 * counters, all observed from one monitor snapshot per collection. Dispose the subscription
 * to stop observing.
 *
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * registerOtelInstruments(metrics.getMeter('my-service'), monitor);
 * ```
 */
export function registerOtelInstruments(meter: OtelMeter, monitor: SnapshotSource): Subscription {
  if (
    typeof meter !== 'object' ||
    meter === null ||
    typeof meter.createObservableGauge !== 'function' ||
    typeof meter.addBatchObservableCallback !== 'function'
  ) {
    throw new TypeError(`Expected \`meter\` to be an OpenTelemetry Meter, got ${show(meter)}`);
  }
  if (typeof monitor !== 'object' || monitor === null || typeof monitor.snapshot !== 'function') {
    throw new TypeError(`Expected \`monitor\` to be a ConcurrencyMonitor, got ${show(monitor)}`);
  }
  const instruments = METRICS.map((definition) => {
    const options = { description: definition.help, unit: definition.unit };
    const observable =
      definition.type === 'gauge'
        ? meter.createObservableGauge(definition.name, options)
        : meter.createObservableCounter(definition.name, options);
    return { definition, observable };
  });
  const callback: OtelBatchCallback = (result) => {
    const snapshot = monitor.snapshot();
    for (const { definition, observable } of instruments) {
      for (const { labels, value } of definition.series(snapshot)) result.observe(observable, value, { ...labels });
    }
  };
  const observables = instruments.map(({ observable }) => observable);
  meter.addBatchObservableCallback(callback, observables);
  let registered = true;
  const dispose = (): void => {
    if (!registered) return;
    registered = false;
    meter.removeBatchObservableCallback(callback, observables);
  };
  return { dispose, [Symbol.dispose]: dispose };
}
