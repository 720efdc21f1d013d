import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError, deadline, isTimeoutError, withTimeout } from '../../runtime/index.js';
import { MAX_TIMER_MS } from '../../runtime/internal/validate.js';
import { attempt, deferred, flush, reasonOf, track } from './helpers.js';

/** A task that never settles and hands its signal out. */
function hanging(): { fn: (signal: AbortSignal) => Promise<never>; signal(): AbortSignal } {
  let seen: AbortSignal | undefined;
  return {
    fn: (signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    },
    signal: () => seen!,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('withTimeout', () => {
  describe('settling before the deadline', () => {
    it('resolves with the value of an async or plain fn and leaves no timer', async () => {
      await expect(withTimeout(async () => 'async', 100)).resolves.toBe('async');
      await expect(withTimeout(() => 'plain', 100)).resolves.toBe('plain');
      expect(vi.getTimerCount()).toBe(0);
    });

    it("rejects with fn's error, whether returned or thrown synchronously", async () => {
      const boom = new Error('boom');
      await expect(withTimeout(() => Promise.reject(boom), 100)).rejects.toBe(boom);
      await expect(
        withTimeout(() => {
          throw boom;
        }, 100),
      ).rejects.toBe(boom);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('does not abort the signal of work that finished in time', async () => {
      let signal: AbortSignal | undefined;
      await withTimeout(async (s) => {
        signal = s;
        vi.advanceTimersByTime(99);
      }, 100);
      vi.advanceTimersByTime(1_000);
      expect(signal!.aborted).toBe(false);
    });
  });

  describe('at the deadline', () => {
    it('rejects with a TimeoutError naming the limit, even if fn ignores its signal', async () => {
      const task = hanging();
      const result = track(withTimeout(task.fn, 5_000, { name: 'GET /users' }));
      vi.advanceTimersByTime(4_999);
      await flush();
      expect(result.current().state).toBe('pending');
      vi.advanceTimersByTime(1);
      await flush();
      const reason = reasonOf(result) as TimeoutError;
      expect(reason).toBeInstanceOf(TimeoutError);
      expect(isTimeoutError(reason)).toBe(true);
      expect(reason.name).toBe('TimeoutError');
      expect(reason.message).toBe('GET /users timed out after 5 s (timeoutMs 5000)');
      expect(reason.timeoutMs).toBe(5_000);
    });

    it('names the work "Operation" by default', async () => {
      const result = withTimeout(hanging().fn, 50);
      vi.advanceTimersByTime(50);
      await expect(result).rejects.toThrow('Operation timed out after 50 ms (timeoutMs 50)');
    });

    it("aborts fn's signal with the same TimeoutError", async () => {
      const task = hanging();
      const result = withTimeout(task.fn, 10);
      expect(task.signal().aborted).toBe(false);
      vi.advanceTimersByTime(10);
      const error = await result.catch((e: unknown) => e);
      expect(task.signal().reason).toBe(error);
    });

    it('ignores a result that arrives after the deadline', async () => {
      const gate = deferred<string>();
      const result = track(withTimeout(() => gate.promise, 10));
      vi.advanceTimersByTime(10);
      gate.resolve('late');
      await flush();
      expect(result.current().state).toBe('rejected');
      expect(isTimeoutError(reasonOf(result))).toBe(true);
    });
  });

  describe("the caller's signal", () => {
    it("rejects with the caller's reason and aborts fn's signal with it", async () => {
      const controller = new AbortController();
      const task = hanging();
      const result = withTimeout(task.fn, 1_000, { signal: controller.signal });
      const reason = new Error('client went away');
      controller.abort(reason);
      await expect(result).rejects.toBe(reason);
      expect(task.signal().reason).toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('rejects at once when already aborted, without calling fn or starting a timer', async () => {
      const reason = new Error('already');
      const fn = vi.fn();
      await expect(withTimeout(fn, 100, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(fn).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each([
      ['resolves', (_signal: AbortSignal) => Promise.resolve(1), () => {}],
      ['rejects', () => Promise.reject(new Error('boom')), () => {}],
      [
        'throws',
        () => {
          throw new Error('sync');
        },
        () => {},
      ],
      ['times out', hanging().fn, () => vi.advanceTimersByTime(100)],
    ])('leaves no listener on it and no timer when fn %s', async (_how, fn, after) => {
      const controller = new AbortController();
      const add = vi.spyOn(controller.signal, 'addEventListener');
      const remove = vi.spyOn(controller.signal, 'removeEventListener');
      const result = withTimeout(fn, 100, { signal: controller.signal });
      expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
      after();
      await result.catch(() => {});
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(remove.mock.calls.map((call) => call[1])).toEqual(add.mock.calls.map((call) => call[1]));
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('validation', () => {
    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, MAX_TIMER_MS + 1])('rejects timeoutMs %s', async (ms) => {
      const fn = vi.fn();
      await expect(attempt(() => withTimeout(fn, ms))).rejects.toThrow(
        new TypeError(`Expected \`timeoutMs\` to be a number of milliseconds in (0, 2147483647], got ${ms}`),
      );
      expect(fn).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('accepts the largest timer delay', async () => {
      await expect(withTimeout(() => 'ok', MAX_TIMER_MS)).resolves.toBe('ok');
    });

    it('rejects a fn or signal of the wrong type', async () => {
      await expect(attempt(() => withTimeout(null as never, 10))).rejects.toThrow(
        new TypeError('Expected `fn` to be a function, got null'),
      );
      await expect(attempt(() => withTimeout(vi.fn(), 10, { signal: 'x' as never }))).rejects.toThrow(
        new TypeError('Expected `signal` to be an AbortSignal, got "x"'),
      );
    });
  });
});

describe('deadline', () => {
  it('aborts its signal at the deadline with a TimeoutError', () => {
    const d = deadline(1_000, { name: 'handle /answer' });
    vi.advanceTimersByTime(999);
    expect([d.expired, d.signal.aborted]).toEqual([false, false]);
    expect(() => d.throwIfExpired()).not.toThrow();
    vi.advanceTimersByTime(1);
    expect(d.expired).toBe(true);
    expect(isTimeoutError(d.signal.reason)).toBe(true);
    expect((d.signal.reason as TimeoutError).message).toBe('handle /answer timed out after 1 s (timeoutMs 1000)');
    expect(() => d.throwIfExpired()).toThrow(d.signal.reason as TimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('names itself "Deadline" by default and keeps its budget', () => {
    const d = deadline(20);
    expect(d.timeoutMs).toBe(20);
    expect(d.expiresAt).toBe(performance.now() + 20);
    vi.advanceTimersByTime(20);
    expect((d.signal.reason as Error).message).toBe('Deadline timed out after 20 ms (timeoutMs 20)');
  });

  it('counts remaining() down with the clock, to 0', () => {
    const d = deadline(1_000);
    expect(d.remaining()).toBe(1_000);
    vi.advanceTimersByTime(300);
    expect(d.remaining()).toBe(700);
    vi.advanceTimersByTime(700);
    expect(d.remaining()).toBe(0);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, MAX_TIMER_MS + 1])('refuses timeoutMs %s', (ms) => {
    expect(() => deadline(ms)).toThrow(TypeError);
    expect(vi.getTimerCount()).toBe(0);
  });

  describe('run', () => {
    it('gives a step the time left, and the step fails with the deadline’s own error', async () => {
      const d = deadline(1_000);
      vi.advanceTimersByTime(600);
      const task = hanging();
      const result = track(d.run(task.fn));
      vi.advanceTimersByTime(399);
      await flush();
      expect([result.current().state, task.signal().aborted]).toEqual(['pending', false]);
      vi.advanceTimersByTime(1);
      await flush();
      expect(task.signal().reason).toBe(d.signal.reason);
      expect(reasonOf(result)).toBe(d.signal.reason);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('takes a shorter step timeout, named after the step', async () => {
      const d = deadline(1_000);
      const result = d.run(hanging().fn, { timeoutMs: 100, name: 'search' });
      vi.advanceTimersByTime(100);
      await expect(result).rejects.toThrow('search timed out after 100 ms (timeoutMs 100)');
      expect(d.expired).toBe(false);
      expect(d.remaining()).toBe(900);
    });

    it('ignores a step timeout longer than the time left', async () => {
      const d = deadline(1_000);
      vi.advanceTimersByTime(500);
      const result = track(d.run(hanging().fn, { timeoutMs: 800 }));
      vi.advanceTimersByTime(500);
      await flush();
      expect(reasonOf(result)).toBe(d.signal.reason);
      expect((d.signal.reason as TimeoutError).timeoutMs).toBe(1_000);
    });

    it('resolves with the value and leaves only the deadline’s timer', async () => {
      const d = deadline(1_000);
      await expect(d.run(async () => 42)).resolves.toBe(42);
      expect(vi.getTimerCount()).toBe(1);
      d.dispose();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('rejects at once after the deadline, without calling fn', async () => {
      const d = deadline(10);
      vi.advanceTimersByTime(10);
      const fn = vi.fn();
      await expect(d.run(fn)).rejects.toBe(d.signal.reason);
      expect(fn).not.toHaveBeenCalled();
    });

    it('rejects with a TimeoutError once the time is up on a disposed deadline', async () => {
      const d = deadline(10, { name: 'budget' });
      d.dispose();
      vi.advanceTimersByTime(10);
      const fn = vi.fn();
      await expect(d.run(fn)).rejects.toThrow('budget timed out after 10 ms (timeoutMs 10)');
      expect(fn).not.toHaveBeenCalled();
    });

    it('works with the largest budget, and the deadline’s error still wins', async () => {
      const d = deadline(MAX_TIMER_MS);
      await expect(d.run(() => 'ok')).resolves.toBe('ok');
      const result = track(d.run(hanging().fn));
      vi.advanceTimersByTime(MAX_TIMER_MS);
      await flush();
      expect(reasonOf(result)).toBe(d.signal.reason);
      expect((d.signal.reason as TimeoutError).timeoutMs).toBe(MAX_TIMER_MS);
    });

    it('refuses an invalid step timeout', async () => {
      const d = deadline(1_000);
      await expect(attempt(() => d.run(vi.fn(), { timeoutMs: 0 }))).rejects.toThrow(TypeError);
      d.dispose();
    });
  });

  describe('dispose', () => {
    it('clears the timer; the signal then never aborts', () => {
      const d = deadline(100);
      expect(vi.getTimerCount()).toBe(1);
      d.dispose();
      d.dispose();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(1_000);
      expect(d.signal.aborted).toBe(false);
    });

    it('happens at the end of a `using` block, and removes the listener on the caller’s signal', () => {
      const controller = new AbortController();
      {
        using d = deadline(100, { signal: controller.signal });
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
        expect(d.expired).toBe(false);
      }
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe("the caller's signal", () => {
    it('aborts the deadline with its reason and clears the timer', async () => {
      const controller = new AbortController();
      const d = deadline(1_000, { signal: controller.signal });
      const task = hanging();
      const step = d.run(task.fn);
      const reason = new Error('caller gone');
      controller.abort(reason);
      expect([d.expired, d.signal.reason, d.remaining()]).toEqual([true, reason, 0]);
      expect(task.signal().reason).toBe(reason);
      await expect(step).rejects.toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('expires at once when the caller already aborted', () => {
      const reason = new Error('already');
      const signal = AbortSignal.abort(reason);
      const d = deadline(1_000, { signal });
      expect([d.expired, d.signal.reason]).toEqual([true, reason]);
      expect(vi.getTimerCount()).toBe(0);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    });

    it('removes its listener when the deadline passes', () => {
      const controller = new AbortController();
      deadline(10, { signal: controller.signal });
      vi.advanceTimersByTime(10);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });
});
