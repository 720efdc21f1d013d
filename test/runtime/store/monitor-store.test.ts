/**
 * The monitor alerts when a shared limit loses its store and when the store is back, at once
 * (not at the next sampling), with the policy callers get meanwhile.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConcurrencyMonitor, MemoryStore, Semaphore, TokenBucket, type Alert } from '../../../runtime/index.js';
import { fakeClock, type FakeClock } from '../rate-limit/fake-clock.js';

let clock: FakeClock;
let store: MemoryStore;

beforeEach(() => {
  vi.useFakeTimers();
  clock = fakeClock(1_000);
  store = new MemoryStore({ now: clock.now });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('monitor alerts for shared stores', () => {
  it('warns when a shared limit cannot reach its store and reports the recovery', async () => {
    const lines: string[] = [];
    const log = (line: string): void => {
      lines.push(line);
    };
    const monitor = new ConcurrencyMonitor({ logger: { warn: log, info: log, error: log } });
    const alerts: Alert[] = [];
    monitor.onAlert((alert) => alerts.push(alert));
    const limiter = new TokenBucket({ rate: 10, name: 'openai', store, probeIntervalMs: 100 });
    const semaphore = new Semaphore(4, { name: 'agents', store, onStoreError: 'failOpen', probeIntervalMs: 100 });
    monitor.add('limiter', 'openai', limiter);
    monitor.add('semaphore', 'agents', semaphore);

    store.simulateOutage(new Error('ECONNREFUSED'));
    await limiter.acquire().catch(() => undefined);
    (await semaphore.acquire()).release();
    expect(alerts.map((alert) => [alert.name, alert.level, alert.cause])).toEqual([
      ['openai', 'warning', 'store'],
      ['agents', 'warning', 'store'],
    ]);
    expect(lines[0]).toBe(
      'bounded: rate limiter "openai" cannot reach its store (memory): failClosed, callers are refused with StoreUnavailableError until it is back',
    );
    expect(lines[1]).toContain('failOpen, callers go through the local fallback limit');

    store.simulateOutage(undefined);
    await clock.advance(100);
    expect(alerts.slice(2).map((alert) => [alert.name, alert.level, alert.store])).toEqual([
      ['openai', 'recovered', 'memory'],
      ['agents', 'recovered', 'memory'],
    ]);
    expect(lines[2]).toMatch(/^bounded: rate limiter "openai" reached its store again \(memory\) after \d+\.\d s$/);
    monitor.close();
    limiter.close();
    semaphore.close();
  });
});
