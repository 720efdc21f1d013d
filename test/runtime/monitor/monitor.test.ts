import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConcurrencyMonitor,
  createHttpClient,
  Semaphore,
  SlidingWindow,
  TokenBucket,
  type Alert,
  type Permit,
  type ResourceEntry,
  type Subscription,
} from '../../../runtime/index.js';
import { Listeners } from '../../../runtime/internal/events.js';
import { deferred, flush, type Deferred } from '../helpers.js';
import { startServer } from '../../helpers/http-servers.js';
import { fakeClock } from '../rate-limit/fake-clock.js';
import { manualClock, poolStub, recordingLogger } from './helpers.js';

/** A monitor that logs into an array, reads a hand-driven clock and measures no event loop. */
function monitorFor(options: ConstructorParameters<typeof ConcurrencyMonitor>[0] = {}) {
  const logger = recordingLogger();
  const clock = manualClock();
  const monitor = new ConcurrencyMonitor({ logger, now: clock.now, eventLoop: false, ...options });
  return { monitor, logger, clock };
}

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Holds permits of `sem` until told to let go of some. */
class Holder {
  readonly permits: Permit[] = [];
  constructor(readonly sem: Semaphore) {}
  take(count: number): void {
    for (let i = 0; i < count; i++) this.permits.push(this.sem.tryAcquire()!);
  }
  /** Holds exactly `count` permits. */
  hold(count: number): void {
    while (this.permits.length > count) this.permits.pop()!.release();
    this.take(count - this.permits.length);
  }
}

const monitors: ConcurrencyMonitor[] = [];
function track(monitor: ConcurrencyMonitor): ConcurrencyMonitor {
  monitors.push(monitor);
  return monitor;
}

afterEach(() => {
  for (const monitor of monitors.splice(0)) monitor.close();
  vi.useRealTimers();
});

describe('options', () => {
  it.each([
    [{ warningLevel: 0 }, /warningLevel.*got 0/],
    [{ warningLevel: 1.5 }, /warningLevel.*got 1\.5/],
    [{ warningLevel: 0.8, hysteresis: 0.8 }, /hysteresis.*got 0\.8/],
    [{ hysteresis: -0.1 }, /hysteresis/],
    [{ intervalMs: 0 }, /intervalMs/],
    [{ minAlertIntervalMs: -1 }, /minAlertIntervalMs.*got -1/],
    [{ logger: { warn() {} } }, /logger/],
    [{ now: 5 }, /now/],
  ])('rejects %o', (options, message) => {
    expect(() => new ConcurrencyMonitor({ eventLoop: false, ...(options as object) })).toThrow(message);
  });

  it('defaults to the policy: warn at 80 %, sample every second, alert at most once a minute', () => {
    const monitor = track(new ConcurrencyMonitor({ eventLoop: false }));
    expect([monitor.warningLevel, monitor.intervalMs, monitor.minAlertIntervalMs, monitor.hysteresis]).toEqual([0.8, 1_000, 60_000, 0.05]);
  });

  it('fromPolicy takes the policy monitoring section', () => {
    const monitor = track(
      ConcurrencyMonitor.fromPolicy(
        { monitoring: { utilizationWarning: 0.9, intervalMs: 5_000, minAlertIntervalMs: 30_000 } },
        { eventLoop: false },
      ),
    );
    expect([monitor.warningLevel, monitor.intervalMs, monitor.minAlertIntervalMs]).toEqual([0.9, 5_000, 30_000]);
  });

  it('refuses unknown kinds, wrong shapes, empty names and a name taken twice', () => {
    const { monitor } = monitorFor();
    track(monitor);
    const sem = new Semaphore(2);
    expect(() => monitor.add('queue' as 'semaphore', 'q', sem)).toThrow(
      'Expected `kind` to be one of "semaphore", "limiter", "pool", "http", got "queue"',
    );
    expect(() => monitor.add('semaphore', 'x', {} as Semaphore)).toThrow(/Expected a semaphore/);
    expect(() => monitor.add('pool', 'x', sem as never)).toThrow(/Expected a pool \(with a `stats\(\)` method\)/);
    expect(() => monitor.add('semaphore', '', sem)).toThrow(/name/);
    monitor.add('semaphore', 'db', sem);
    expect(() => monitor.add('semaphore', 'db', new Semaphore(1))).toThrow(/semaphore named "db" is already monitored/);
    // The same name under another kind is another resource.
    monitor.add('limiter', 'db', new TokenBucket({ rate: 1 }));
  });
});

describe('snapshot figures match the truth', () => {
  it('reads a semaphore: 10 of 10 held and 3 waiting, then 7 of 10', async () => {
    const { monitor } = monitorFor();
    track(monitor);
    const sem = new Semaphore(10);
    monitor.add('semaphore', 'db', sem);
    const holder = new Holder(sem);
    holder.take(10);
    const waiters = [sem.acquire(), sem.acquire(), sem.acquire()];
    let [db] = monitor.snapshot().resources;
    expect(db).toMatchObject({ kind: 'semaphore', name: 'db', limit: 10, inUse: 10, waiting: 3, utilization: 1 });

    // Three releases go to the three waiters.
    holder.hold(7);
    const handedOver = await Promise.all(waiters);
    [db] = monitor.snapshot().resources;
    expect(db).toMatchObject({ inUse: 10, waiting: 0 });

    for (const permit of handedOver) permit.release();
    [db] = monitor.snapshot().resources;
    expect(db).toMatchObject({ limit: 10, inUse: 7, waiting: 0, utilization: 0.7, peakInUse: 10 });
    expect(db!.admitted).toBe(13);
    expect(db!.throttled).toBe(3);
  });

  it('tracks a semaphore under load step by step: in use, waiting, admitted, throttled', async () => {
    const { monitor } = monitorFor();
    track(monitor);
    const sem = new Semaphore(10);
    monitor.add('semaphore', 'work', sem);
    const next = random(7);
    const running = new Set<Deferred<void>>();
    let started = 0;
    let finished = 0;
    const calls: Promise<void>[] = [];
    const TASKS = 100;
    for (let i = 0; i < TASKS; i++) {
      calls.push(
        sem.run(() => {
          started++;
          const task = deferred();
          running.add(task);
          return task.promise.finally(() => {
            running.delete(task);
            finished++;
          });
        }),
      );
    }
    let steps = 0;
    while (finished < TASKS) {
      const [work] = monitor.snapshot().resources;
      expect(work!.inUse, `step ${steps}`).toBe(running.size);
      expect(work!.waiting, `step ${steps}`).toBe(TASKS - started);
      expect(work!.admitted, `step ${steps}`).toBe(started);
      expect(work!.utilization, `step ${steps}`).toBe(running.size / 10);
      // Finish one to three tasks, picked at random among those running.
      const batch = 1 + Math.floor(next() * 3);
      const pick = [...running].sort(() => next() - 0.5).slice(0, batch);
      for (const task of pick) task.resolve();
      await flush();
      steps++;
    }
    await Promise.all(calls);
    const [work] = monitor.snapshot().resources;
    expect(work).toMatchObject({ inUse: 0, waiting: 0, admitted: 100, throttled: 90, peakInUse: 10 });
    expect(work!.rejected).toEqual({ 'queue-full': 0, shed: 0, timeout: 0, abort: 0, closed: 0 });
    expect(work!.waitMs).not.toBeNull();
  });

  it('counts semaphore rejections by reason; timed-out waits are the timeouts', async () => {
    vi.useFakeTimers();
    const { monitor } = monitorFor();
    track(monitor);
    const sem = new Semaphore(1, { maxQueue: 1 });
    monitor.add('semaphore', 's', sem);
    const held = sem.tryAcquire()!;
    const timedOut = sem.acquire({ timeoutMs: 100 }).catch(() => 'timeout');
    await expect(sem.acquire()).rejects.toThrow(/queue/i); // queue full
    await vi.advanceTimersByTimeAsync(100);
    await expect(timedOut).resolves.toBe('timeout');
    const controller = new AbortController();
    const aborted = sem.acquire({ signal: controller.signal }).catch(() => 'abort');
    controller.abort();
    await expect(aborted).resolves.toBe('abort');
    sem.close();
    await expect(sem.acquire()).rejects.toThrow(/closed/);
    held.release();
    const [s] = monitor.snapshot().resources;
    expect(s!.rejected).toEqual({ 'queue-full': 1, shed: 0, timeout: 1, abort: 1, closed: 1 });
    expect(s!.timedOut).toBe(1);
  });

  it('gives the semaphore wait-time percentiles from onGranted', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    const { monitor } = monitorFor();
    track(monitor);
    const sem = new Semaphore(1);
    monitor.add('semaphore', 's', sem);
    expect(monitor.snapshot().resources[0]!.waitMs).toBeNull();
    let permit = sem.tryAcquire()!; // waited 0
    // Ten waiters; each gets the permit 10 ms after the one before: waits of 10, 20, … 100 ms.
    const waiters = Array.from({ length: 10 }, () => sem.acquire());
    for (const waiter of waiters) {
      vi.advanceTimersByTime(10);
      permit.release();
      permit = await waiter;
    }
    permit.release();
    const [s] = monitor.snapshot().resources;
    // Eleven grants: 0, 10, 20, … 100 ms. Nearest rank: p50 is the 6th, p95 and p99 the 11th.
    expect(s!.waitMs).toEqual({ p50: 50, p95: 100, p99: 100 });
    expect(s).toMatchObject({ admitted: 11, throttled: 10 });
  });

  it('reads a token bucket: capacity spent, waiting, admitted, throttled, rejected', async () => {
    vi.useFakeTimers();
    const clock = fakeClock();
    const { monitor } = monitorFor();
    track(monitor);
    const bucket = new TokenBucket({ rate: 10, per: 1_000, burst: 10, now: clock.now, name: 'openai' });
    monitor.add('limiter', 'openai', bucket);
    for (let i = 0; i < 7; i++) expect(bucket.tryAcquire()).toBe(true);
    let [limiter] = monitor.snapshot().resources;
    expect(limiter).toMatchObject({ kind: 'limiter', limit: 10, inUse: 7, utilization: 0.7, waiting: 0, admitted: 7, throttled: 0 });

    const calls = Array.from({ length: 5 }, () => bucket.acquire());
    // Two wait ahead at 10 a second: admission is 300 ms away, past its 50 ms, so it is shed.
    const late = bucket.acquire({ timeoutMs: 50 }).catch((error: Error) => error.name);
    const timed = bucket.acquire({ timeoutMs: 300 }).catch((error: Error) => error.name);
    bucket.penalize(400);
    [limiter] = monitor.snapshot().resources;
    // 3 admitted at once, 3 wait: the bucket is spent.
    expect(limiter).toMatchObject({ inUse: 10, utilization: 1, waiting: 3, admitted: 10, throttled: 3 });
    await expect(late).resolves.toBe('LoadShedError');

    await clock.advance(300);
    await expect(timed).resolves.toBe('TimeoutError');
    await clock.advance(100); // 400 ms: the penalty is over
    [limiter] = monitor.snapshot().resources;
    expect(limiter).toMatchObject({ waiting: 0, admitted: 12, timedOut: 1 });
    expect(limiter!.rejected).toEqual({ 'queue-full': 0, shed: 1, timeout: 1, abort: 0, closed: 0, capacity: 0 });
    await Promise.all(calls);
    [limiter] = monitor.snapshot().resources;
    expect(limiter).toMatchObject({ waiting: 0, admitted: 12, throttled: 3 });
    expect(limiter).toEqual(expect.objectContaining({ admitted: bucket.stats().admitted, throttled: bucket.stats().throttled }));
  });

  it('reads a sliding window against its limit', () => {
    const clock = manualClock(0);
    const { monitor } = monitorFor();
    track(monitor);
    const window = new SlidingWindow({ limit: 5, per: 1_000, now: clock.now });
    monitor.add('limiter', 'anthropic', window);
    for (let i = 0; i < 4; i++) window.tryAcquire();
    expect(monitor.snapshot().resources[0]).toMatchObject({ limit: 5, inUse: 4, utilization: 0.8, admitted: 4 });
  });

  it('reads a pool: connections, waiting, wait percentiles in ms, checkouts, timeouts, errors', () => {
    const { monitor } = monitorFor();
    track(monitor);
    const pool = poolStub();
    monitor.add('pool', 'main', pool);
    let [main] = monitor.snapshot().resources;
    expect(main).toMatchObject({
      limit: 20,
      inUse: 0,
      waiting: 0,
      waitMs: null,
      admitted: 0,
      connections: { total: 5, idle: 5, inUse: 0 },
    });

    Object.assign(pool.figures, {
      total: 20,
      idle: 0,
      inUse: 18,
      waiting: 4,
      acquired: 250,
      acquireWaitMs: { p50: 1.5, p95: 40, p99: 120 },
      errors: 2,
      timeouts: 3,
    });
    [main] = monitor.snapshot().resources;
    expect(main).toEqual({
      kind: 'pool',
      name: 'main',
      limit: 20,
      inUse: 18,
      utilization: 0.9,
      waiting: 4,
      peakInUse: null,
      waitMs: { p50: 1.5, p95: 40, p99: 120 },
      admitted: 250,
      throttled: null,
      rejected: {},
      timedOut: 3,
      errors: 2,
      retries: null,
      connections: { total: 20, idle: 0, inUse: 18 },
      level: 'ok',
      alerts: { warning: 0, recovered: 0 },
    });
  });

  it('reads a real HTTP client: busy connections, requests waiting for one, retries', async () => {
    const { monitor } = monitorFor();
    track(monitor);
    const held: ServerResponse[] = [];
    let failFirst = true;
    await using server = await startServer((req, res) => {
      req.resume();
      if (req.url === '/flaky' && failFirst) {
        failFirst = false;
        res.writeHead(503, { 'retry-after': '0' }).end();
        return;
      }
      if (req.url === '/flaky') {
        res.end('ok');
        return;
      }
      held.push(res);
    });
    await using client = createHttpClient({ baseUrl: server.url, connections: 4, timeoutMs: 10_000, name: 'api' });
    monitor.add('http', 'api', client);
    const calls = Array.from({ length: 6 }, () => client.request('/hold'));
    await vi.waitFor(() => expect(held).toHaveLength(4));
    let [api] = monitor.snapshot().resources;
    expect(api).toMatchObject({
      kind: 'http',
      inUse: 4,
      limit: 4,
      utilization: 1,
      waiting: 2,
      connections: { total: 4, idle: 0, inUse: 4 },
    });
    expect(api).toMatchObject({ inUse: server.activeRequests, connections: { total: server.openConnections } });

    for (const res of held.splice(0)) res.end('done');
    await vi.waitFor(() => expect(held).toHaveLength(2));
    for (const res of held.splice(0)) res.end('done');
    await Promise.all(calls.map(async (call) => (await call).body.text()));
    await client.request('/flaky');
    // undici marks a connection free a moment after the body ends.
    await vi.waitFor(() => expect(monitor.snapshot().resources[0]).toMatchObject({ inUse: 0, waiting: 0, retries: 1 }));
    [api] = monitor.snapshot().resources;
    expect(api!.connections!.idle).toBe(api!.connections!.total);
  });

  it('returns plain data: JSON keeps every figure', async () => {
    const monitor = track(new ConcurrencyMonitor({ logger: recordingLogger() }));
    const sem = new Semaphore(Number.POSITIVE_INFINITY);
    monitor.add('semaphore', 'unbounded', sem);
    monitor.add('semaphore', 'bounded', new Semaphore(3));
    monitor.add('limiter', 'l', new TokenBucket({ rate: 5 }));
    monitor.add('pool', 'p', poolStub());
    await sem.run(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 30)); // let the event-loop histogram measure
    const snapshot = monitor.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    // An unbounded semaphore has no limit and no utilization, rather than Infinity and 0.
    expect(snapshot.resources[0]).toMatchObject({ limit: null, utilization: null });
  });

  it('logs a resource it cannot read once, leaves it out, and takes it back when it reads again', () => {
    const { monitor, logger } = monitorFor();
    track(monitor);
    const pool = poolStub();
    let broken = true;
    monitor.add('pool', 'flaky', {
      stats: () => {
        if (broken) throw new Error('connection refused');
        return pool.stats();
      },
    });
    monitor.add('semaphore', 'ok', new Semaphore(1));
    expect(monitor.snapshot().resources.map((r) => r.name)).toEqual(['ok']);
    monitor.check();
    monitor.snapshot();
    expect(logger.lines).toEqual([{ level: 'error', message: 'bounded: cannot read pool "flaky": connection refused' }]);
    broken = false;
    expect(monitor.snapshot().resources.map((r) => r.name)).toEqual(['flaky', 'ok']);
  });

  it('stops reading a resource (and listening to it) when its subscription is disposed', () => {
    const { monitor } = monitorFor();
    track(monitor);
    const sem = new Semaphore(1);
    const subscription = monitor.add('semaphore', 's', sem);
    subscription.dispose();
    subscription.dispose();
    expect(monitor.snapshot().resources).toEqual([]);
    // Its name is free again.
    monitor.add('semaphore', 's', sem).dispose();
  });
});

describe('the event loop', () => {
  // Real time: the histogram measures the real event loop.
  it('reports the event-loop delay, including a stall (real-time)', async () => {
    const monitor = track(new ConcurrencyMonitor({ logger: recordingLogger() }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // Block the loop for 60 ms.
    }
    // The histogram's next tick (every 10 ms) records the stall.
    await vi.waitFor(() => expect(monitor.snapshot().eventLoop?.maxMs).toBeGreaterThanOrEqual(40));
    const loop = monitor.snapshot().eventLoop;
    expect(loop!.samples).toBeGreaterThan(0);
    expect(loop!.p50Ms).toBeLessThanOrEqual(loop!.p99Ms);
    // A check closes the window: the figures stay those of the window until the next check.
    monitor.check();
    expect(monitor.snapshot().eventLoop).toEqual(loop === null ? null : expect.objectContaining({ maxMs: loop.maxMs }));
  });

  it('is left out when turned off', () => {
    const { monitor } = monitorFor({ eventLoop: false });
    track(monitor);
    expect(monitor.snapshot().eventLoop).toBeNull();
  });
});

describe('alerts', () => {
  it('a resource held at 85 % raises one warning over many checks, and one recovery when it falls back', () => {
    const alerts: Alert[] = [];
    const { monitor, logger, clock } = monitorFor({ onAlert: (alert) => alerts.push(alert) });
    track(monitor);
    const sem = new Semaphore(20);
    monitor.add('semaphore', 'db', sem);
    const holder = new Holder(sem);
    holder.hold(17); // 85 %
    const start = clock.time;
    for (let i = 0; i < 300; i++) {
      monitor.check();
      clock.advance(1_000);
    }
    expect(alerts).toEqual([
      {
        kind: 'semaphore',
        name: 'db',
        level: 'warning',
        utilization: 0.85,
        limit: 20,
        inUse: 17,
        waiting: 0,
        at: start,
        suppressed: 0,
        message: 'bounded: semaphore "db" is at 85% of its limit (17 of 20 permits in use, 0 waiting)',
      },
    ]);
    expect(monitor.snapshot().resources[0]).toMatchObject({ level: 'warning', alerts: { warning: 1, recovered: 0 } });

    holder.hold(10); // 50 %
    const fell = clock.time;
    for (let i = 0; i < 300; i++) {
      monitor.check();
      clock.advance(1_000);
    }
    expect(alerts).toHaveLength(2);
    expect(alerts[1]).toMatchObject({ level: 'recovered', utilization: 0.5, inUse: 10, at: fell, suppressed: 0 });
    expect(logger.lines).toEqual([
      { level: 'warn', message: alerts[0]!.message },
      { level: 'info', message: 'bounded: semaphore "db" has recovered: 50% of its limit (10 of 20 permits in use, 0 waiting)' },
    ]);
    expect(monitor.snapshot().resources[0]).toMatchObject({ level: 'ok', alerts: { warning: 1, recovered: 1 } });
  });

  it('recovers only below the warning level less the hysteresis', () => {
    const { monitor, clock } = monitorFor({ minAlertIntervalMs: 0 });
    track(monitor);
    const sem = new Semaphore(100);
    monitor.add('semaphore', 's', sem);
    const holder = new Holder(sem);
    const levels: string[] = [];
    for (const held of [79, 80, 79, 76, 75, 80, 74, 79, 80]) {
      holder.hold(held);
      for (const alert of monitor.check()) levels.push(`${held}:${alert.level}`);
      clock.advance(1_000);
    }
    // Warning at 80; 79, 76, 75 are not below 75; 74 is. 79 is then below 80: no new warning.
    expect(levels).toEqual(['80:warning', '74:recovered', '80:warning']);
  });

  it('a change within the minimum interval is reported late, once the interval has passed', () => {
    const { monitor, clock } = monitorFor();
    track(monitor);
    const sem = new Semaphore(10);
    monitor.add('semaphore', 's', sem);
    const holder = new Holder(sem);
    holder.hold(9);
    const warnedAt = clock.time;
    expect(monitor.check().map((a) => a.level)).toEqual(['warning']);
    clock.advance(1_000);
    holder.hold(2);
    const seen: Alert[] = [];
    while (clock.time < warnedAt + 60_000) {
      seen.push(...monitor.check());
      clock.advance(1_000);
    }
    // clock.time is warnedAt + 60 s now.
    expect(seen).toEqual([]);
    expect(monitor.check()).toMatchObject([{ level: 'recovered', at: warnedAt + 60_000, suppressed: 0, inUse: 2 }]);
  });

  it('a flapping resource does not flood the log: one alert per interval, the flaps counted', () => {
    const alerts: Alert[] = [];
    const { monitor, logger, clock } = monitorFor();
    track(monitor);
    monitor.onAlert((alert) => alerts.push(alert));
    const sem = new Semaphore(20);
    monitor.add('semaphore', 'flappy', sem);
    const holder = new Holder(sem);
    // Ten minutes, checked every second, alternating between 85 % and 50 %.
    const changedAt: number[] = [];
    let level: 'ok' | 'warning' = 'ok';
    for (let i = 0; i < 600; i++) {
      const hot = i % 2 === 0;
      holder.hold(hot ? 17 : 10);
      if ((hot ? 'warning' : 'ok') !== level) {
        level = hot ? 'warning' : 'ok';
        changedAt.push(clock.time);
      }
      monitor.check();
      clock.advance(1_000);
    }
    expect(changedAt).toHaveLength(600);
    // At most one alert per minute: 10, plus the first.
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    expect(alerts.length).toBeLessThanOrEqual(11);
    expect(logger.lines).toHaveLength(alerts.length);
    // Each alert reports its own change and counts every one since the previous alert.
    let previous = Number.NEGATIVE_INFINITY;
    for (const [i, alert] of alerts.entries()) {
      expect(alert.at - previous).toBeGreaterThanOrEqual(60_000);
      const since = changedAt.filter((t) => t > previous && t <= alert.at).length;
      expect(alert.suppressed, `alert ${i}`).toBe(since - 1);
      if (i > 0) expect(alert.message).toMatch(/; \d+ earlier level changes were not alerted/);
      previous = alert.at;
    }
  });

  it('reports the flaps of a burst with the next alert', () => {
    const { monitor, clock } = monitorFor();
    track(monitor);
    const sem = new Semaphore(10);
    monitor.add('semaphore', 's', sem);
    const holder = new Holder(sem);
    holder.hold(9);
    expect(monitor.check()).toHaveLength(1); // warning
    // Twenty changes within ten seconds, ending hot: no alert.
    for (let i = 0; i < 20; i++) {
      clock.advance(500);
      holder.hold(i % 2 === 0 ? 1 : 9);
      expect(monitor.check()).toEqual([]);
    }
    // It cools for good; the recovery comes once the interval has passed, with the 20 flaps.
    holder.hold(1);
    clock.advance(60_000);
    expect(monitor.check()).toMatchObject([{ level: 'recovered', suppressed: 20 }]);
    expect(monitor.check()).toEqual([]);
  });

  it('keeps one alert state per resource', () => {
    const { monitor } = monitorFor();
    track(monitor);
    const a = new Semaphore(10);
    const b = new Semaphore(10);
    monitor.add('semaphore', 'a', a);
    monitor.add('semaphore', 'b', b);
    new Holder(a).hold(9);
    expect(monitor.check().map((alert) => alert.name)).toEqual(['a']);
    new Holder(b).hold(8);
    expect(monitor.check().map((alert) => alert.name)).toEqual(['b']);
  });

  it('raises no alert for a resource without a limit', () => {
    const { monitor } = monitorFor({ minAlertIntervalMs: 0 });
    track(monitor);
    monitor.add('http', 'api', {
      stats: () => ({ connected: 10, free: 0, pending: 50, queued: 0, running: 10, inFlight: 60 }),
    });
    expect(monitor.check()).toEqual([]);
    expect(monitor.snapshot().resources[0]).toMatchObject({ limit: null, utilization: null, inUse: 10, waiting: 50 });
  });

  it('uses a limit the HTTP client reports', () => {
    const { monitor } = monitorFor();
    track(monitor);
    monitor.add('http', 'api', {
      stats: () => ({ connected: 10, free: 1, pending: 3, queued: 0, running: 9, inFlight: 12, connections: 10 }),
    });
    expect(monitor.check()).toMatchObject([{ kind: 'http', level: 'warning', utilization: 0.9, waiting: 3 }]);
  });

  it('an onAlert subscription stops when disposed', () => {
    const { monitor, clock } = monitorFor({ minAlertIntervalMs: 0 });
    track(monitor);
    const sem = new Semaphore(10);
    monitor.add('semaphore', 's', sem);
    const seen: string[] = [];
    const subscription = monitor.onAlert((alert) => seen.push(alert.level));
    const holder = new Holder(sem);
    holder.hold(9);
    monitor.check();
    subscription.dispose();
    clock.advance(1);
    holder.hold(0);
    expect(monitor.check()).toHaveLength(1);
    expect(seen).toEqual(['warning']);
  });
});

describe('watching a manager', () => {
  /** A stand-in with the ConcurrencyManager's `resources()` / `onResource()` shape. */
  function managerLike(initial: ResourceEntry[]) {
    const created = new Listeners<ResourceEntry>();
    const entries = [...initial];
    return {
      resources: () => entries.values(),
      onResource: (listener: (entry: ResourceEntry) => void): Subscription => created.add(listener),
      create(entry: ResourceEntry) {
        entries.push(entry);
        created.emit(entry);
      },
      get listening() {
        return created.active;
      },
    };
  }

  it('monitors what the manager has and what it creates later, until disposed', () => {
    const { monitor, logger } = monitorFor();
    track(monitor);
    const db = new Semaphore(10);
    const manager = managerLike([
      { kind: 'semaphore', name: 'db', resource: db },
      { kind: 'limiter', name: 'openai', resource: new TokenBucket({ rate: 60, per: '1m' }) },
    ]);
    const watch = monitor.watch(manager);
    expect(monitor.snapshot().resources.map((r) => `${r.kind}:${r.name}`)).toEqual(['semaphore:db', 'limiter:openai']);

    manager.create({ kind: 'pool', name: 'main', resource: poolStub() });
    // The same resource again changes nothing; an unknown kind is logged, not thrown at the manager.
    manager.create({ kind: 'semaphore', name: 'db', resource: db });
    manager.create({ kind: 'queue', name: 'jobs', resource: {} });
    expect(monitor.snapshot().resources.map((r) => `${r.kind}:${r.name}`)).toEqual(['semaphore:db', 'limiter:openai', 'pool:main']);
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: 'bounded: cannot monitor "queue" "jobs": Expected `kind` to be one of "semaphore", "limiter", "pool", "http", got "queue"',
      },
    ]);

    watch.dispose();
    expect(manager.listening).toBe(false);
    expect(monitor.snapshot().resources).toEqual([]);
  });

  it('a resource the manager replaces under the same name keeps its alert state', () => {
    const { monitor, clock } = monitorFor();
    track(monitor);
    const first = new Semaphore(10);
    const manager = managerLike([{ kind: 'semaphore', name: 'db', resource: first }]);
    monitor.watch(manager);
    new Holder(first).hold(9);
    expect(monitor.check()).toHaveLength(1);
    const second = new Semaphore(10);
    new Holder(second).hold(9);
    manager.create({ kind: 'semaphore', name: 'db', resource: second });
    clock.advance(120_000);
    expect(monitor.check()).toEqual([]); // still warning: no second warning
    expect(monitor.snapshot().resources).toHaveLength(1);
  });

  it('refuses a source without resources()', () => {
    const { monitor } = monitorFor();
    track(monitor);
    expect(() => monitor.watch({} as never)).toThrow(/resources\(\)/);
  });
});

describe('sampling', () => {
  it('start() checks every intervalMs on an unref-ed timer; stop() ends it', async () => {
    vi.useFakeTimers();
    const alerts: Alert[] = [];
    const { monitor } = monitorFor({ intervalMs: 500, minAlertIntervalMs: 0, onAlert: (a) => alerts.push(a) });
    track(monitor);
    const sem = new Semaphore(2);
    monitor.add('semaphore', 's', sem);
    monitor.start();
    monitor.start(); // once is enough
    expect(monitor.running).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    const permits = [sem.tryAcquire()!, sem.tryAcquire()!];
    await vi.advanceTimersByTimeAsync(499);
    expect(alerts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(alerts.map((a) => a.level)).toEqual(['warning']);
    for (const permit of permits) permit.release();
    await vi.advanceTimersByTimeAsync(500);
    expect(alerts.map((a) => a.level)).toEqual(['warning', 'recovered']);
    monitor.stop();
    expect(monitor.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() stops sampling and watching', () => {
    const { monitor } = monitorFor();
    const sem = new Semaphore(1);
    monitor.add('semaphore', 's', sem);
    monitor.start();
    monitor.close();
    monitor.close();
    expect(monitor.closed).toBe(true);
    expect(monitor.running).toBe(false);
    expect(monitor.snapshot().resources).toEqual([]);
    expect(() => monitor.add('semaphore', 's', sem)).toThrow(/closed/);
    expect(() => monitor.start()).toThrow(/closed/);
    expect(monitor.check()).toEqual([]);
  });
});
