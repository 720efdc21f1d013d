import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { every } from '../../../runtime/index.js';
import { every as everyFromCore } from '../../../runtime/core.js';
import { deferred, flush, track, type Deferred } from '../helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** A task whose runs each wait for the test to end them. */
function manual(): { fn: (signal: AbortSignal) => Promise<void>; runs: Deferred<void>[]; signals: AbortSignal[] } {
  const runs: Deferred<void>[] = [];
  const signals: AbortSignal[] = [];
  return {
    runs,
    signals,
    fn: (signal) => {
      signals.push(signal);
      const run = deferred();
      runs.push(run);
      return run.promise;
    },
  };
}

describe('every', () => {
  it('is exported from the core entry too', () => {
    expect(everyFromCore).toBe(every);
  });

  it('runs every ms, first after one period unless immediate', async () => {
    let count = 0;
    const interval = every(100, () => {
      count++;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(count).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(count).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(count).toBe(4);
    await interval.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(count).toBe(4);
    expect(vi.getTimerCount()).toBe(0);

    const immediate = every(
      100,
      () => {
        count++;
      },
      { immediate: true },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(count).toBe(5);
    await immediate.stop();
  });

  it('never overlaps: a run that outlasts the period delays the next until it ends', async () => {
    const task = manual();
    const interval = every(100, task.fn);
    await vi.advanceTimersByTimeAsync(100);
    expect(task.runs).toHaveLength(1);
    expect(interval.running).toBe(true);
    // setInterval would have started three more by now.
    await vi.advanceTimersByTimeAsync(350);
    expect(task.runs).toHaveLength(1);
    task.runs[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    // It overran the period, so the next starts at once, not a period later.
    expect(task.runs).toHaveLength(2);
    task.runs[1]!.resolve();
    await vi.advanceTimersByTimeAsync(99);
    expect(task.runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(task.runs).toHaveLength(3);
    task.runs[2]!.resolve();
    await interval.stop();
  });

  it('stop() aborts the run in progress and resolves only when it ends', async () => {
    const task = manual();
    const interval = every(100, task.fn);
    await vi.advanceTimersByTimeAsync(100);
    const stopped = track(interval.stop());
    await flush();
    expect(task.signals[0]!.aborted).toBe(true);
    expect(interval.active).toBe(false);
    expect(stopped.current().state).toBe('pending');
    task.runs[0]!.resolve();
    await flush();
    expect(stopped.current().state).toBe('fulfilled');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(task.runs).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops when its signal aborts, and never starts on an aborted signal', async () => {
    const controller = new AbortController();
    let count = 0;
    const interval = every(
      50,
      () => {
        count++;
      },
      { signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(50);
    controller.abort();
    await vi.advanceTimersByTimeAsync(500);
    expect(count).toBe(1);
    expect(interval.active).toBe(false);
    const never = every(
      50,
      () => {
        count++;
      },
      { signal: controller.signal, immediate: true },
    );
    await vi.advanceTimersByTimeAsync(500);
    expect(count).toBe(1);
    expect(never.active).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('hands errors to onError and goes on', async () => {
    const errors: unknown[] = [];
    const boom = new Error('boom');
    let count = 0;
    const interval = every(
      10,
      async () => {
        count++;
        if (count === 1) throw boom;
      },
      { onError: (error) => errors.push(error) },
    );
    await vi.advanceTimersByTimeAsync(30);
    expect(errors).toEqual([boom]);
    expect(count).toBe(3);
    await interval.stop();
  });

  it('validates its arguments', () => {
    expect(() => every(0, () => {})).toThrow(TypeError);
    expect(() => every(10, 'x' as never)).toThrow('Expected `fn` to be a function');
    expect(() => every(10, () => {}, { onError: 1 as never })).toThrow('onError');
  });
});
