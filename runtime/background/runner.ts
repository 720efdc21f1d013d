import { ClosedError, isClosedError, isQueueFullError } from '../errors.js';
import { Listeners, type Listener, type Subscription } from '../internal/events.js';
import { assertFunction, assertLimit, assertQueueBound, assertSignal, assertTimeoutMs, show } from '../internal/validate.js';
import { Semaphore, type SemaphoreGrant, type SemaphoreRejection } from '../semaphore.js';
import { withTimeout } from '../timeout.js';

/** Concurrent background tasks a runner allows when not told: the policy's default fan-out. */
export const DEFAULT_BACKGROUND_CONCURRENCY = 10;
/** Tasks a runner lets wait for a slot before refusing more. */
export const DEFAULT_BACKGROUND_QUEUE = 1_000;

export interface BackgroundRunnerOptions {
  /** Tasks running at once; the others wait their turn. Default 10. */
  concurrency?: number;
  /** Tasks allowed to wait; one more is refused (reported with `QueueFullError`). Default 1000. */
  maxQueue?: number;
  /** Deadline of each task, in ms: past it the task's signal aborts and it counts as failed. */
  timeoutMs?: number;
  /** Names the runner in errors and in the monitor. Default "background". */
  name?: string;
  /** Called with every failure and refusal (also through `onError(listener)`). */
  onError?: Listener<BackgroundError>;
  /** Where failures go when nobody listens to them. Default `console`. */
  logger?: { error(message: string, ...details: unknown[]): void };
}

export interface BackgroundRunOptions {
  /** Names the task in error events and messages, e.g. "send welcome email". */
  name?: string;
  /** Deadline of this task in ms, instead of the runner's. */
  timeoutMs?: number;
  /**
   * Cancels this task: before it starts, it is dropped (reported as 'aborted'); once it runs,
   * its signal aborts too.
   */
  signal?: AbortSignal;
}

/** A background task: its signal aborts at its deadline or when the runner is closed past its drain. */
export type BackgroundTask = (signal: AbortSignal) => unknown;

/** A task that failed, or one the runner refused to start. */
export interface BackgroundError {
  /** failed: the task threw or rejected (or passed its deadline); queue-full, closed and aborted: it never started. */
  readonly reason: 'failed' | 'queue-full' | 'closed' | 'aborted';
  readonly error: unknown;
  /** The task's name, if it was given one. */
  readonly task: string | undefined;
  /** The runner's name. */
  readonly runner: string;
}

export interface BackgroundCloseOptions {
  /** Longest wait for accepted tasks to finish before their signals abort. Default 5000. */
  drainMs?: number;
}

/**
 * Runs fire-and-forget work without losing track of it: at most `concurrency` tasks at once,
 * a bounded queue behind them, every failure reported (to `onError` listeners, or the logger),
 * counts for the monitor (`monitor.add('semaphore', name, runner)`: `errors` are failures), and
 * `close()` that lets accepted work finish before shutdown.
 *
 * ```ts
 * const jobs = createBackgroundRunner({ concurrency: 5, onError: ({ error }) => log.error(error) });
 * jobs.run((signal) => sendWelcomeEmail(user, { signal }), { name: 'welcome email' });
 * await jobs.close({ drainMs: 10_000 });
 * ```
 */
export class BackgroundRunner implements AsyncDisposable {
  readonly name: string;
  readonly #semaphore: Semaphore;
  readonly #timeoutMs: number | undefined;
  readonly #logger: NonNullable<BackgroundRunnerOptions['logger']>;
  readonly #errors = new Listeners<BackgroundError>();
  readonly #controller = new AbortController();
  readonly #idle = new Set<() => void>();
  #pending = 0;
  #started = 0;
  #succeeded = 0;
  #failed = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: BackgroundRunnerOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object, got ${show(options)}`);
    const {
      concurrency = DEFAULT_BACKGROUND_CONCURRENCY,
      maxQueue = DEFAULT_BACKGROUND_QUEUE,
      timeoutMs,
      name = 'background',
      onError,
      logger = console,
    } = options;
    assertLimit('concurrency', concurrency);
    assertQueueBound('maxQueue', maxQueue);
    if (timeoutMs !== undefined) assertTimeoutMs('timeoutMs', timeoutMs);
    if (typeof name !== 'string' || name === '') throw new TypeError(`Expected \`name\` to be a non-empty string, got ${show(name)}`);
    if (typeof logger?.error !== 'function') throw new TypeError('Expected `logger` to have an `error` method');
    this.name = name;
    this.#semaphore = new Semaphore(concurrency, { maxQueue, name });
    this.#timeoutMs = timeoutMs;
    this.#logger = logger;
    if (onError !== undefined) {
      assertFunction('onError', onError);
      this.#errors.add(onError);
    }
  }

  /** Tasks allowed to run at once. */
  get limit(): number {
    return this.#semaphore.limit;
  }

  /** Tasks running now. */
  get inUse(): number {
    return this.#semaphore.inUse;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#semaphore.waiting;
  }

  get peakInUse(): number {
    return this.#semaphore.peakInUse;
  }

  /** Tasks started so far. */
  get started(): number {
    return this.#started;
  }

  /** Tasks that ended without error. */
  get succeeded(): number {
    return this.#succeeded;
  }

  /** Tasks that threw, rejected or passed their deadline (the monitor's `errors`). */
  get errors(): number {
    return this.#failed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Accepts `fn` to run in the background and returns at once: true when it was accepted,
   * false when it was refused (runner closed, queue full, its signal aborted), which is reported
   * like a failure.
   * Never throws for the task's sake and never rejects: its outcome goes to `onError`.
   */
  run(fn: BackgroundTask, options: BackgroundRunOptions = {}): boolean {
    assertFunction('fn', fn);
    const task = options.name;
    assertSignal('signal', options.signal);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    if (timeoutMs !== undefined) assertTimeoutMs('timeoutMs', timeoutMs);
    if (this.#closed) {
      this.#report('closed', new ClosedError('BackgroundRunner', this.name), task);
      return false;
    }
    const own = options.signal;
    if (own?.aborted) {
      this.#report('aborted', own.reason, task);
      return false;
    }
    const signal = own === undefined ? this.#controller.signal : AbortSignal.any([this.#controller.signal, own]);
    let started = false;
    this.#pending++;
    this.#semaphore
      .run(
        () => {
          started = true;
          this.#started++;
          return timeoutMs === undefined ? fn(signal) : withTimeout(fn, timeoutMs, { signal, name: task ?? `${this.name} task` });
        },
        own === undefined ? undefined : { signal: own },
      )
      .then(
        () => {
          this.#succeeded++;
        },
        (error: unknown) => {
          if (!started) {
            this.#report(isQueueFullError(error) ? 'queue-full' : isClosedError(error) ? 'closed' : 'aborted', error, task);
            return;
          }
          this.#failed++;
          this.#report('failed', error, task);
        },
      )
      .finally(() => {
        if (--this.#pending === 0) for (const resolve of this.#idle) resolve();
      });
    return true;
  }

  /** Called with every failed or refused task. */
  onError(listener: Listener<BackgroundError>): Subscription {
    return this.#errors.add(listener);
  }

  /** Refused tasks, by reason ('queue-full', 'closed'): the monitor counts them. */
  onRejected(listener: Listener<SemaphoreRejection>): Subscription {
    return this.#semaphore.onRejected(listener);
  }

  /** Started tasks and how long they waited for a slot: the monitor records the waits. */
  onGranted(listener: Listener<SemaphoreGrant>): Subscription {
    return this.#semaphore.onGranted(listener);
  }

  /** Resolves when no task runs or waits (at once if that is so now). */
  whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#idle.delete(done);
        resolve();
      };
      this.#idle.add(done);
    });
  }

  /**
   * Refuses new tasks and waits up to `drainMs` for the accepted ones (running and queued) to
   * finish. Past it, the signals of the running ones abort and the queued ones are dropped
   * (reported as 'closed'); it then resolves without waiting for tasks that ignore their signal.
   */
  close(options: BackgroundCloseOptions = {}): Promise<void> {
    const drainMs = options.drainMs ?? 5_000;
    if (drainMs !== 0) assertTimeoutMs('drainMs', drainMs);
    this.#closed = true;
    this.#closing ??= this.#drain(drainMs);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #drain(drainMs: number): Promise<void> {
    if (this.#pending > 0 && drainMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#semaphore.close();
    if (this.#pending > 0) this.#controller.abort(new ClosedError('BackgroundRunner', this.name));
  }

  #report(reason: BackgroundError['reason'], error: unknown, task: string | undefined): void {
    if (this.#errors.active) {
      this.#errors.emit({ reason, error, task, runner: this.name });
      return;
    }
    const what = task === undefined ? `a task of ${this.name}` : `${this.name} task "${task}"`;
    this.#logger.error(`bounded: ${what} ${reason === 'failed' ? 'failed' : `was refused (${reason})`}:`, error);
  }
}

/** A `BackgroundRunner`; see its class. */
export function createBackgroundRunner(options?: BackgroundRunnerOptions): BackgroundRunner {
  return new BackgroundRunner(options);
}

let shared: BackgroundRunner | undefined;

/**
 * The process-wide runner behind `background()`: concurrency 10, failures to the console until
 * you listen with `onError`. `ConcurrencyManager.close()` drains and closes it; the next
 * `background()` call after that starts a fresh one.
 */
export function defaultBackgroundRunner(): BackgroundRunner {
  return (shared ??= new BackgroundRunner());
}

/**
 * Runs `fn` in the background on the process-wide runner, instead of `void work()` or a promise
 * nobody awaits: bounded, its failure reported, drained at shutdown. Returns whether it was accepted.
 *
 * ```ts
 * background((signal) => sendWelcomeEmail(user, { signal }), { name: 'welcome email' });
 * ```
 */
export function background(fn: BackgroundTask, options?: BackgroundRunOptions): boolean {
  return defaultBackgroundRunner().run(fn, options);
}

/** Drains and closes the process-wide runner, if one was started (used by `ConcurrencyManager.close()`). */
export async function closeDefaultBackgroundRunner(options?: BackgroundCloseOptions): Promise<void> {
  const runner = shared;
  if (runner === undefined) return;
  shared = undefined;
  await runner.close(options);
}
