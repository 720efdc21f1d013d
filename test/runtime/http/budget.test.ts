import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Budget } from '../../../runtime/http/budget.js';

/** A budget whose deadline error names it, and a log of when each one expired. */
function budgets() {
  const expired: string[] = [];
  const make = (name: string, timeoutMs: number, outer?: AbortSignal | Budget): Budget =>
    new Budget(timeoutMs, outer, () => {
      expired.push(`${name}@${performance.now()}`);
      return new Error(`${name} expired`);
    });
  return { expired, make };
}

describe('Budget (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('budgets of one duration share one timer and each expires at its own deadline, never early', () => {
    const { expired, make } = budgets();
    const a = make('a', 100);
    vi.advanceTimersByTime(30);
    const b = make('b', 100);
    vi.advanceTimersByTime(30);
    const c = make('c', 100);
    expect(vi.getTimerCount()).toBe(1);
    expect(Budget.timers).toBe(1);
    vi.advanceTimersByTime(39);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a@100']);
    expect(a.aborted).toBe(true);
    expect((a.reason as Error).message).toBe('a expired');
    vi.advanceTimersByTime(60);
    expect(expired).toEqual(['a@100', 'b@130', 'c@160']);
    expect(b.aborted && c.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(Budget.timers).toBe(0);
  });

  it('a budget disposed early leaves the others to expire on time, and the last one takes the timer away', () => {
    const { expired, make } = budgets();
    const a = make('a', 100);
    vi.advanceTimersByTime(10);
    const b = make('b', 100);
    a.dispose();
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['b@110']);
    expect(a.aborted).toBe(false);
    expect(b.aborted).toBe(true);

    const c = make('c', 50);
    const d = make('d', 50);
    d.dispose();
    c.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('durations keep separate lists', () => {
    const { expired, make } = budgets();
    make('slow', 300);
    make('fast', 100);
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(300);
    expect(expired).toEqual(['fast@100', 'slow@300']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a budget started by an expiring one’s listener gets its own full time', () => {
    const { expired, make } = budgets();
    const a = make('a', 100);
    a.once('abort', () => {
      make('b', 100);
    });
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['a@100']);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['a@100', 'b@200']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('follows an outer signal or budget, and the first reason wins', () => {
    const { make } = budgets();
    const controller = new AbortController();
    const outer = make('outer', 1_000, controller.signal);
    const inner = make('inner', 500, outer);
    const reason = new Error('caller left');
    controller.abort(reason);
    expect(outer.reason).toBe(reason);
    expect(inner.reason).toBe(reason);
    inner.abort(new Error('later'));
    expect(inner.reason).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts aborted under an aborted signal, without a timer', () => {
    const { make } = budgets();
    const reason = new Error('gone');
    const budget = make('x', 100, AbortSignal.abort(reason));
    expect(budget.aborted).toBe(true);
    expect(budget.signal.reason).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('creates its AbortSignal only when asked, and aborts it with the budget', () => {
    const { make } = budgets();
    const budget = make('x', 100);
    const signal = budget.signal;
    expect(budget.signal).toBe(signal);
    vi.advanceTimersByTime(100);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('x expired');
  });

  it('sleep() resolves after its delay, or rejects with the reason as soon as the budget aborts', async () => {
    const { make } = budgets();
    const budget = make('x', 100);
    const slept = budget.sleep(30);
    vi.advanceTimersByTime(30);
    await expect(slept).resolves.toBeUndefined();
    const cut = budget.sleep(500);
    vi.advanceTimersByTime(70);
    await expect(cut).rejects.toThrow('x expired');
    expect(vi.getTimerCount()).toBe(0);
    await expect(budget.sleep(1)).rejects.toThrow('x expired');
  });
});
