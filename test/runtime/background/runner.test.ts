import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackgroundRunner } from '../../../runtime/index.js';
import {
  ConcurrencyMonitor,
  background,
  closeDefaultBackgroundRunner,
  createBackgroundRunner,
  defaultBackgroundRunner,
  isClosedError,
  isQueueFullError,
  isTimeoutError,
  type BackgroundError,
} from '../../../runtime/index.js';
import { createBackgroundRunner as fromCore } from '../../../runtime/core.js';
import { deferred, flush, track } from '../helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  vi.useRealTimers();
  await closeDefaultBackgroundRunner({ drainMs: 0 });
});

function collecting(options: ConstructorParameters<typeof BackgroundRunner>[0] = {}): {
  runner: BackgroundRunner;
  errors: BackgroundError[];
} {
  const errors: BackgroundError[] = [];
  const runner = createBackgroundRunner({ ...options, onError: (event) => errors.push(event) });
  return { runner, errors };
}

describe('BackgroundRunner', () => {
  it('is exported from the core entry too', () => {
    expect(fromCore).toBe(createBackgroundRunner);
  });

  it('runs at most `concurrency` tasks at once and queues the rest', async () => {
    const { runner } = collecting({ concurrency: 2 });
    const gates = [deferred(), deferred(), deferred()];
    for (const gate of gates) expect(runner.run(() => gate.promise)).toBe(true);
    await flush();
    expect(runner.inUse).toBe(2);
    expect(runner.waiting).toBe(1);
    gates[0]!.resolve();
    await flush();
    expect(runner.inUse).toBe(2);
    expect(runner.waiting).toBe(0);
    expect(runner.started).toBe(3);
    gates[1]!.resolve();
    gates[2]!.resolve();
    await runner.whenIdle();
    expect(runner.succeeded).toBe(3);
  });

  it('reports a failure to onError with the task name and counts it as an error', async () => {
    const { runner, errors } = collecting();
    const boom = new Error('smtp down');
    runner.run(
      async () => {
        throw boom;
      },
      { name: 'welcome email' },
    );
    runner.run(() => {
      throw boom;
    });
    await runner.whenIdle();
    expect(errors).toHaveLength(2);
    expect(errors).toContainEqual({ reason: 'failed', error: boom, task: 'welcome email', runner: 'background' });
    expect(errors).toContainEqual({ reason: 'failed', error: boom, task: undefined, runner: 'background' });
    expect(runner.errors).toBe(2);
  });

  it('logs a failure when nobody listens, instead of an unhandled rejection', async () => {
    const logged: unknown[][] = [];
    const runner = createBackgroundRunner({ name: 'jobs', logger: { error: (...args: unknown[]) => logged.push(args) } });
    const boom = new Error('boom');
    runner.run(() => Promise.reject(boom), { name: 'sync' });
    await runner.whenIdle();
    expect(logged).toEqual([['bounded: jobs task "sync" failed:', boom]]);
  });

  it('refuses past its queue and after close, reporting why, and the monitor counts both', async () => {
    const { runner, errors } = collecting({ concurrency: 1, maxQueue: 1, name: 'mail' });
    const monitor = new ConcurrencyMonitor({ eventLoop: false });
    monitor.add('semaphore', 'mail', runner);
    const gate = deferred();
    runner.run(() => gate.promise);
    runner.run(() => gate.promise);
    runner.run(() => gate.promise, { name: 'third' });
    await flush();
    expect(errors.map((e) => [e.reason, e.task])).toEqual([['queue-full', 'third']]);
    expect(isQueueFullError(errors[0]!.error)).toBe(true);
    gate.resolve();
    await runner.whenIdle();
    runner.run(() => Promise.reject(new Error('x')));
    await runner.whenIdle();
    await runner.close();
    expect(runner.run(() => {})).toBe(false);
    expect(errors.at(-1)?.reason).toBe('closed');
    expect(isClosedError(errors.at(-1)?.error)).toBe(true);
    const reading = monitor.snapshot().resources.find((r) => r.name === 'mail')!;
    expect(reading.rejected['queue-full']).toBe(1);
    expect(reading.errors).toBe(1);
    monitor.close();
  });

  it('puts each task under its deadline', async () => {
    const { runner, errors } = collecting({ timeoutMs: 100 });
    let seen: AbortSignal | undefined;
    runner.run(
      (signal) => {
        seen = signal;
        return new Promise(() => {});
      },
      { name: 'slow' },
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(seen?.aborted).toBe(true);
    expect(errors).toHaveLength(1);
    expect(isTimeoutError(errors[0]!.error)).toBe(true);
    expect(runner.inUse).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() waits for accepted tasks, running and queued, to finish', async () => {
    const { runner, errors } = collecting({ concurrency: 1 });
    const first = deferred();
    const second = deferred();
    let ranSecond = false;
    runner.run(() => first.promise);
    runner.run(() => {
      ranSecond = true;
      return second.promise;
    });
    const closing = track(runner.close({ drainMs: 1_000 }));
    first.resolve();
    await flush();
    expect(ranSecond).toBe(true);
    expect(closing.current().state).toBe('pending');
    second.resolve();
    await flush();
    expect(closing.current().state).toBe('fulfilled');
    expect(errors).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() aborts what is still running after drainMs and drops what still waits', async () => {
    const { runner, errors } = collecting({ concurrency: 1 });
    let seen: AbortSignal | undefined;
    runner.run((signal) => {
      seen = signal;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    });
    runner.run(() => {}, { name: 'queued' });
    const closing = track(runner.close({ drainMs: 500 }));
    await vi.advanceTimersByTimeAsync(499);
    expect(closing.current().state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(closing.current().state).toBe('fulfilled');
    expect(seen?.aborted).toBe(true);
    expect(errors.map((e) => [e.reason, e.task])).toEqual([['closed', 'queued']]);
  });

  it('background() uses one process-wide runner, which closeDefaultBackgroundRunner drains and replaces', async () => {
    const gate = deferred();
    expect(background(() => gate.promise)).toBe(true);
    const runner = defaultBackgroundRunner();
    expect(runner.inUse).toBe(1);
    expect(runner.limit).toBe(10);
    const closing = track(closeDefaultBackgroundRunner());
    await flush();
    expect(closing.current().state).toBe('pending');
    gate.resolve();
    await flush();
    expect(closing.current().state).toBe('fulfilled');
    expect(runner.closed).toBe(true);
    expect(defaultBackgroundRunner()).not.toBe(runner);
  });

  it("drops a task whose signal aborts before it starts, and aborts a running task's signal with it", async () => {
    const { runner, errors } = collecting({ concurrency: 1 });
    const gate = deferred();
    const first = new AbortController();
    const second = new AbortController();
    let seen: AbortSignal | undefined;
    runner.run(
      (signal) => {
        seen = signal;
        return gate.promise;
      },
      { signal: first.signal },
    );
    let ranQueued = false;
    runner.run(
      () => {
        ranQueued = true;
      },
      { name: 'queued', signal: second.signal },
    );
    second.abort(new Error('user left'));
    await flush();
    expect(errors.map((e) => [e.reason, e.task])).toEqual([['aborted', 'queued']]);
    first.abort();
    expect(seen?.aborted).toBe(true);
    gate.resolve();
    await runner.whenIdle();
    expect(ranQueued).toBe(false);
    expect(runner.run(() => {}, { signal: AbortSignal.abort() })).toBe(false);
    expect(errors.at(-1)?.reason).toBe('aborted');
  });

  it('validates its options', () => {
    expect(() => createBackgroundRunner({ concurrency: 0 })).toThrow('concurrency');
    expect(() => createBackgroundRunner({ timeoutMs: -1 })).toThrow('timeoutMs');
    expect(() => createBackgroundRunner().run('x' as never)).toThrow('Expected `fn` to be a function');
  });
});
