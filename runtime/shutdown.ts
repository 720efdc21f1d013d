import { MAX_TIMER_MS, show } from './internal/validate.js';

/** Anything `shutdownOn` can close: a `ConcurrencyManager`, a pool, an HTTP client, a metrics server… */
export interface Closeable {
  close(options?: { drainMs?: number }): unknown;
}

/** The signals a service is asked to stop with. */
export type ShutdownSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGQUIT' | 'SIGUSR1' | 'SIGUSR2' | 'SIGBREAK';

export interface ShutdownOptions {
  /**
   * How long work in flight may take to finish, in ms, handed to each `close({ drainMs })`.
   * Default 10 s; at most the timer maximum (2^31 - 1 ms).
   */
  drainMs?: number;
  /**
   * Exit the process once everything is closed: with code 0, or 1 when a close failed or did
   * not finish within `drainMs` + `graceMs`. Default true. With false, only the closes run.
   */
  exit?: boolean;
  /** How long past `drainMs` the closes may still take before the process exits anyway. Default 1000. */
  graceMs?: number;
  /** Called when the first signal arrives, before anything closes (log it, fail readiness checks…). */
  onSignal?: (signal: ShutdownSignal) => void;
  /** Called once every close settled, with the failures (empty when all closed). */
  onClosed?: (errors: readonly unknown[]) => void;
}

/**
 * Graceful shutdown on a signal: on the first of `signals` it closes every one of `resources`
 * in order, each with `{ drainMs }` (a `ConcurrencyManager` stops admitting, lets work in flight
 * finish within `drainMs`, refuses what is queued with `ClosedError`, then closes its pools,
 * HTTP agents and stores), then exits. A second signal while closing exits at once with 1.
 * Returns a `Disposable` that removes the handlers.
 *
 * ```ts
 * const manager = ConcurrencyManager.fromPolicy();
 * const metrics = await createMetricsServer({ monitor, port: 9464 });
 * shutdownOn(['SIGTERM', 'SIGINT'], [server, manager, metrics], { drainMs: 10_000 });
 * ```
 */
export function shutdownOn(signals: readonly ShutdownSignal[], resources: readonly Closeable[], options: ShutdownOptions = {}): Disposable {
  // Checked through `unknown`: Array.isArray would narrow the typed array to any[].
  const given: unknown = signals;
  if (!Array.isArray(given) || given.length === 0 || given.some((signal) => typeof signal !== 'string')) {
    throw new TypeError(`Expected \`signals\` to be a non-empty array of signal names, got ${show(signals)}`);
  }
  const closeables: unknown = resources;
  if (!Array.isArray(closeables) || closeables.some((resource) => typeof (resource as Partial<Closeable> | null)?.close !== 'function')) {
    throw new TypeError(`Expected \`resources\` to be an array of objects with a close() method, got ${show(resources)}`);
  }
  const { drainMs = 10_000, exit = true, graceMs = 1_000, onSignal, onClosed } = options;
  assertMs('drainMs', drainMs);
  assertMs('graceMs', graceMs);
  let shuttingDown = false;
  const handler = (signal: ShutdownSignal): void => {
    if (shuttingDown) {
      if (exit) process.exit(1);
      return;
    }
    shuttingDown = true;
    onSignal?.(signal);
    let backstop: ReturnType<typeof setTimeout> | undefined;
    if (exit) {
      // Whatever a close does, the process is gone by drainMs + graceMs.
      backstop = setTimeout(() => process.exit(1), Math.min(MAX_TIMER_MS, drainMs + graceMs));
      backstop.unref();
    }
    void closeAll(resources, drainMs).then((errors) => {
      clearTimeout(backstop);
      onClosed?.(errors);
      if (exit) process.exit(errors.length === 0 ? 0 : 1);
    });
  };
  for (const signal of signals) process.on(signal, handler);
  const dispose = (): void => {
    for (const signal of signals) process.off(signal, handler);
  };
  return { [Symbol.dispose]: dispose };
}

/** Closes each resource in turn (the order given: stop taking requests first, then what serves them). */
async function closeAll(resources: readonly Closeable[], drainMs: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  const deadline = performance.now() + drainMs;
  for (const resource of resources) {
    try {
      await resource.close({ drainMs: Math.max(0, Math.floor(deadline - performance.now())) });
    } catch (error) {
      errors.push(error);
    }
  }
  return errors;
}

function assertMs(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`Expected \`${name}\` to be a number of milliseconds in [0, ${MAX_TIMER_MS}], got ${show(value)}`);
  }
}
