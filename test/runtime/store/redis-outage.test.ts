/**
 * The Redis store stopped mid-run and started again: a real redis-server of this file's own
 * (the global setup's server "redis-outage"), stopped and restarted through the control
 * endpoint. `failClosed` limits reject with `StoreUnavailableError` within the store's timeout,
 * `failOpen` limits fall back to their local limit, both say so (the events the monitor turns
 * into alerts) and both go back to the shared limit when the server returns.
 *
 * Real time: the outage lasts about a second, the store's timeout is 500 ms and the limits probe
 * every 100 ms; the bounds are generous (a shared 2-core machine) and say so. Under REDIS_URL the
 * server is not ours to stop, and the file skips.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoadShedError, isStoreUnavailableError } from '../../../runtime/errors.js';
import { SlidingWindow } from '../../../runtime/rate-limit/index.js';
import { createRedisStore, type RedisStore } from '../../../runtime/store/redis.js';
import type { StoreStatusEvent } from '../../../runtime/store/shared-health.js';
import { canControlRedis, testRedis, type TestRedis } from '../../helpers/redis.js';

const TIMEOUT_MS = 500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!canControlRedis())('when the Redis server goes away and comes back', () => {
  let redis: TestRedis;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await testRedis({ server: 'redis-outage' });
    store = await createRedisStore({ url: redis.url, operationTimeoutMs: TIMEOUT_MS });
    await store.ping();
  });

  afterAll(async () => {
    await store?.close();
  });

  it('failClosed rejects with a typed error within its timeout, failOpen uses the local limit; both recover', async () => {
    const key = `outage-${Date.now()}`;
    const closed = new SlidingWindow({ limit: 100, per: 1_000, name: `${key}-closed`, store, probeIntervalMs: 100 });
    const open = new SlidingWindow({
      limit: 100,
      per: 1_000,
      name: `${key}-open`,
      store,
      onStoreError: 'failOpen',
      fallback: { limit: 5 },
      probeIntervalMs: 100,
    });
    const events: StoreStatusEvent[] = [];
    closed.onStoreStatus((event) => events.push(event));
    open.onStoreStatus((event) => events.push(event));
    const recovered = (limiter: SlidingWindow): Promise<void> =>
      new Promise((resolve) => {
        const subscription = limiter.onStoreStatus((event) => {
          if (event.state !== 'recovered') return;
          subscription.dispose();
          resolve();
        });
      });

    // Up: both go through the store.
    await closed.acquire({ timeoutMs: 2_000 });
    await open.acquire({ timeoutMs: 2_000 });
    const windowKeys = [store.keys(`${key}-closed`).window, store.keys(`${key}-open`).window];

    await redis.stop();

    // failClosed: a typed error, within the store's timeout (plus scheduling slack).
    const began = performance.now();
    const error = await closed.acquire({ timeoutMs: 10_000 }).catch((caught: unknown) => caught);
    const tookMs = performance.now() - began;
    expect(isStoreUnavailableError(error)).toBe(true);
    expect(String(error)).toMatch(
      /^StoreUnavailableError: Store redis 127\.0\.0\.1:\d+ prefix bounded unavailable for "outage-\d+-closed"/,
    );
    expect(tookMs).toBeLessThan(TIMEOUT_MS + 400);
    expect(closed.storeAvailable).toBe(false);
    // While it is down, later calls are refused at once, without waiting out the store's
    // timeout (the bound leaves room for a busy machine).
    const again = performance.now();
    await expect(closed.acquire()).rejects.toSatisfy(isStoreUnavailableError);
    expect(performance.now() - again).toBeLessThan(TIMEOUT_MS / 2);

    // failOpen: the local limit of 5 per second stands in. The first call finds the store gone
    // (within the store's timeout, so it gets a deadline that outlasts it) and is admitted locally.
    await open.acquire({ timeoutMs: 10_000 });
    let admitted = 1;
    let shed = 0;
    for (let i = 0; i < 7; i++) {
      // Past the 5, admission is about a second away: a 50 ms deadline is shed at once.
      await open.acquire({ timeoutMs: 50 }).then(
        () => admitted++,
        (caught: unknown) => {
          if (!isLoadShedError(caught)) throw caught;
          shed++;
        },
      );
    }
    expect(admitted).toBe(5);
    expect(shed).toBe(3);
    expect(open.storeAvailable).toBe(false);

    // Either way the limit said so once, for the monitor to alert on.
    const down = events.filter((event) => event.state === 'unavailable');
    expect(down.map((event) => [event.name, event.policy]).sort()).toEqual([
      [`${key}-closed`, 'failClosed'],
      [`${key}-open`, 'failOpen'],
    ]);
    expect(down[0]!.store).toMatch(/^redis 127\.0\.0\.1:\d+ prefix bounded$/);

    await sleep(300);
    const back = Promise.all([recovered(closed), recovered(open)]);
    await redis.start();
    // Probes every 100 ms, reconnects at most 500 ms apart: back well within 5 s.
    const restartedAt = performance.now();
    await back;
    const recoveryMs = performance.now() - restartedAt;
    expect(recoveryMs).toBeLessThan(5_000);

    // Back on the shared limit: admissions land in the (new, empty) server's log again.
    await closed.acquire({ timeoutMs: 2_000 });
    await open.acquire({ timeoutMs: 2_000 });
    expect(closed.storeAvailable && open.storeAvailable).toBe(true);
    const check = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await Promise.all(windowKeys.map((windowKey) => check.zcard(windowKey)))).toEqual([1, 1]);
    } finally {
      check.disconnect();
    }
    expect(events.filter((event) => event.state === 'recovered')).toHaveLength(2);
    console.info(
      `outage: failClosed rejected in ${Math.round(tookMs)} ms (timeout ${TIMEOUT_MS} ms); recovered ${Math.round(recoveryMs)} ms after restart`,
    );
    closed.close();
    open.close();
  });

  it('the store itself: StoreUnavailableError while away, answers again once back', async () => {
    await redis.stop();
    const began = performance.now();
    const error = await store
      .tryAcquire('plain', { kind: 'token-bucket', rate: 1, perMs: 1_000, burst: 1 }, 1)
      .catch((caught: unknown) => caught);
    expect(isStoreUnavailableError(error)).toBe(true);
    expect(performance.now() - began).toBeLessThan(TIMEOUT_MS + 400);
    await expect(store.acquire('plain', 1, 'a', 1_000)).rejects.toSatisfy(isStoreUnavailableError);
    await redis.start();
    // The client reconnects by itself (at most 500 ms between attempts).
    const deadline = performance.now() + 5_000;
    for (;;) {
      const answer = await store.ping().then(
        () => 'up',
        (caught: unknown) => (isStoreUnavailableError(caught) ? 'down' : caught),
      );
      if (answer === 'up') break;
      expect(answer).toBe('down');
      expect(performance.now()).toBeLessThan(deadline);
      await sleep(50);
    }
    expect(await store.acquire('plain', 1, 'a', 1_000)).toMatchObject({ acquired: true });
  });
});
