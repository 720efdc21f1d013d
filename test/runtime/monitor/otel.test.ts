import { metrics, type Meter } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyMonitor,
  METRICS,
  Semaphore,
  registerOtelInstruments,
  type OtelAttributes,
  type OtelBatchCallback,
  type OtelMeter,
  type OtelObservable,
} from '../../../runtime/index.js';
import { manualClock, poolStub, recordingLogger } from './helpers.js';

// A Meter of @opentelemetry/api is what applications pass: it must satisfy bounded's own type.
const meterFits: (meter: Meter) => OtelMeter = (meter) => meter;

interface Instrument extends OtelObservable {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly options: { description?: string; unit?: string } | undefined;
}

/** Records instruments and runs the batch callbacks on `collect()`, like an SDK reader would. */
class RecordingMeter implements OtelMeter {
  readonly instruments: Instrument[] = [];
  readonly callbacks = new Map<OtelBatchCallback, OtelObservable[]>();

  createObservableGauge(name: string, options?: { description?: string; unit?: string }): OtelObservable {
    return this.#instrument(name, 'gauge', options);
  }

  createObservableCounter(name: string, options?: { description?: string; unit?: string }): OtelObservable {
    return this.#instrument(name, 'counter', options);
  }

  addBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void {
    this.callbacks.set(callback, observables);
  }

  removeBatchObservableCallback(callback: OtelBatchCallback): void {
    this.callbacks.delete(callback);
  }

  /** Every observation of one collection: `name{attributes}` → value. */
  collect(): Map<string, number> {
    const observed = new Map<string, number>();
    for (const [callback, observables] of this.callbacks) {
      callback({
        observe: (observable, value, attributes) => {
          expect(observables).toContain(observable);
          observed.set(key((observable as Instrument).name, attributes ?? {}), value);
        },
      });
    }
    return observed;
  }

  #instrument(name: string, type: 'gauge' | 'counter', options: Instrument['options']): Instrument {
    const instrument: Instrument = { name, type, options, addCallback() {}, removeCallback() {} };
    this.instruments.push(instrument);
    return instrument;
  }
}

function key(name: string, attributes: OtelAttributes | Readonly<Record<string, string>>): string {
  const pairs = Object.entries(attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${pairs.join(',')}}`;
}

function busyMonitor() {
  const monitor = new ConcurrencyMonitor({ logger: recordingLogger(), now: manualClock().now, eventLoop: false });
  const sem = new Semaphore(4);
  monitor.add('semaphore', 'db', sem);
  for (let i = 0; i < 3; i++) sem.tryAcquire();
  monitor.add('pool', 'main', poolStub({ inUse: 4, idle: 1, total: 5, acquired: 9 }));
  return { monitor, sem };
}

describe('registerOtelInstruments', () => {
  it('accepts the Meter type of @opentelemetry/api', () => {
    expect(typeof meterFits).toBe('function');
  });

  it('creates one observable instrument per metric, with the Prometheus names, help and units', () => {
    const { monitor } = busyMonitor();
    const meter = new RecordingMeter();
    registerOtelInstruments(meter, monitor);
    expect(
      meter.instruments.map(({ name, type, options }) => ({ name, type, description: options?.description, unit: options?.unit })),
    ).toEqual(METRICS.map(({ name, type, help, unit }) => ({ name, type, description: help, unit })));
    expect(meter.callbacks.size).toBe(1);
    monitor.close();
  });

  it('observes the same values, with the same attributes, as the Prometheus metrics', () => {
    const { monitor, sem } = busyMonitor();
    const meter = new RecordingMeter();
    registerOtelInstruments(meter, monitor);
    const expected = (): Map<string, number> => {
      const snapshot = monitor.snapshot();
      return new Map(METRICS.flatMap((m) => m.series(snapshot).map((s) => [key(m.name, s.labels), s.value] as const)));
    };
    let observed = meter.collect();
    expect(observed).toEqual(expected());
    expect(observed.get('bounded_resource_in_use{kind="semaphore",name="db"}')).toBe(3);
    expect(observed.get('bounded_resource_utilization_ratio{kind="semaphore",name="db"}')).toBe(0.75);
    expect(observed.get('bounded_pool_connections{kind="pool",name="main",state="idle"}')).toBe(1);

    sem.tryAcquire();
    observed = meter.collect();
    expect(observed.get('bounded_resource_in_use{kind="semaphore",name="db"}')).toBe(4);
    monitor.close();
  });

  it('stops observing when disposed', () => {
    const { monitor } = busyMonitor();
    const meter = new RecordingMeter();
    const subscription = registerOtelInstruments(meter, monitor);
    subscription.dispose();
    subscription.dispose();
    expect(meter.callbacks.size).toBe(0);
    monitor.close();
  });

  it("works with @opentelemetry/api's meter (a no-op one without an SDK)", () => {
    const { monitor } = busyMonitor();
    const meter = metrics.getMeter('bounded-test');
    // Watch the calls reaching the real (no-op) meter: every instrument is created on it, and the
    // batch callback it was given is the one taken back on dispose.
    const created: string[] = [];
    type Callback = Parameters<Meter['addBatchObservableCallback']>[0];
    const added: Callback[] = [];
    const removed: Callback[] = [];
    const watched: Meter = Object.assign(Object.create(meter) as Meter, {
      createObservableGauge: (name: string, options?: object) => (created.push(name), meter.createObservableGauge(name, options)),
      createObservableCounter: (name: string, options?: object) => (created.push(name), meter.createObservableCounter(name, options)),
      addBatchObservableCallback: (callback: Callback, observables: Parameters<Meter['addBatchObservableCallback']>[1]) => {
        added.push(callback);
        meter.addBatchObservableCallback(callback, observables);
      },
      removeBatchObservableCallback: (callback: Callback, observables: Parameters<Meter['removeBatchObservableCallback']>[1]) => {
        removed.push(callback);
        meter.removeBatchObservableCallback(callback, observables);
      },
    });
    const subscription = registerOtelInstruments(watched, monitor);
    expect(created).toEqual(METRICS.map(({ name }) => name));
    expect(added).toHaveLength(1);
    subscription.dispose();
    expect(removed).toEqual(added);
    monitor.close();
  });

  it('checks its arguments', () => {
    const { monitor } = busyMonitor();
    expect(() => registerOtelInstruments({} as OtelMeter, monitor)).toThrow(/OpenTelemetry Meter/);
    expect(() => registerOtelInstruments(new RecordingMeter(), {} as ConcurrencyMonitor)).toThrow(/ConcurrencyMonitor/);
    monitor.close();
  });
});
