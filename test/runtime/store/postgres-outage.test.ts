/**
 * The PostgreSQL server stopped mid-run, and started again: a failClosed limit rejects with
 * StoreUnavailableError within its timeout, a failOpen one falls back to its local limit, both
 * say so (onStoreStatus, what the monitor alerts on) and both return to the shared limit once
 * the server is back.
 *
 * Real time against a real server of its own (stopping it must not disturb other test files);
 * the bounds are generous (seconds) because a restart on a loaded machine takes a while.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Semaphore,
  SlidingWindow,
  TokenBucket,
  createPostgresStore,
  isStoreUnavailableError,
  type PostgresStore,
  type StoreStatusEvent,
} from '../../../runtime/index.js';
import { canControlServer, testDatabase, type TestDatabase } from '../../helpers/postgres.js';

const OPERATION_TIMEOUT_MS = 1_000;
let db: TestDatabase;
let store: PostgresStore;

beforeAll(async () => {
  if (!canControlServer()) return;
  db = await testDatabase({ server: 'store-outage' });
  store = createPostgresStore({ url: db.url, schema: 'bounded_outage', operationTimeoutMs: OPERATION_TIMEOUT_MS });
  await store.ensureSchema();
});

afterAll(async () => {
  await store?.close();
  await db?.close();
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.runIf(canControlServer())('PostgreSQL store stopped mid-run', () => {
  it('failClosed rejects with a typed error within its timeout; failOpen falls back; both recover', async () => {
    const closed = new SlidingWindow({ limit: 1_000, per: '1s', name: 'closed-limit', store, probeIntervalMs: 250 });
    const open = new TokenBucket({
      rate: 1_000,
      name: 'open-limit',
      store,
      onStoreError: 'failOpen',
      fallback: { rate: 5, burst: 5 },
      probeIntervalMs: 250,
    });
    const semaphore = new Semaphore(2, { name: 'closed-sem', store, probeIntervalMs: 250, leaseTtlMs: 5_000 });
    const events: StoreStatusEvent[] = [];
    for (const limiter of [closed, open, semaphore]) limiter.onStoreStatus((event) => events.push(event));
    try {
      // Running normally through the store.
      await closed.acquire();
      await open.acquire();
      await semaphore.run(() => undefined);

      await db.stop();

      // failClosed: a typed error, within the store's operation timeout (plus slack).
      let started = performance.now();
      const error = await closed.acquire().catch((caught: unknown) => caught);
      expect(isStoreUnavailableError(error)).toBe(true);
      expect(performance.now() - started).toBeLessThan(OPERATION_TIMEOUT_MS + 1_500);
      expect((error as Error).message).toMatch(/closed-limit/);
      // Later calls fail at once while the store is known down.
      started = performance.now();
      await expect(closed.acquire()).rejects.toMatchObject({ name: 'StoreUnavailableError' });
      expect(performance.now() - started).toBeLessThan(100);
      await expect(semaphore.run(() => undefined)).rejects.toMatchObject({ name: 'StoreUnavailableError' });

      // failOpen: the local fallback limit (5 at once, then 5 per second) admits.
      const admitted = await Promise.all(Array.from({ length: 5 }, () => open.acquire({ timeoutMs: OPERATION_TIMEOUT_MS + 1_500 })));
      expect(admitted).toHaveLength(5);
      expect(open.storeAvailable).toBe(false);
      // The fallback is spent: admission is about a second away, so a 50 ms deadline is shed at once.
      await expect(open.acquire({ timeoutMs: 50 })).rejects.toMatchObject({ name: 'LoadShedError' });

      const unavailable = events.filter((event) => event.state === 'unavailable').map((event) => [event.name, event.policy]);
      expect(unavailable).toEqual(
        expect.arrayContaining([
          ['closed-limit', 'failClosed'],
          ['open-limit', 'failOpen'],
          ['closed-sem', 'failClosed'],
        ]),
      );

      await db.start();

      // Both recover on their own (the probe), and use the shared limit again.
      await until(() => closed.storeAvailable && open.storeAvailable && semaphore.storeAvailable, 15_000);
      await expect(closed.acquire()).resolves.toBeUndefined();
      await expect(semaphore.run(() => 'ok')).resolves.toBe('ok');
      // The shared bucket (1000/s) again, not the fallback (5/s, spent above).
      await Promise.all(Array.from({ length: 20 }, () => open.acquire({ timeoutMs: 2_000 })));
      const recovered = events.filter((event) => event.state === 'recovered').map((event) => event.name);
      expect(recovered).toEqual(expect.arrayContaining(['closed-limit', 'open-limit', 'closed-sem']));
    } finally {
      closed.close();
      open.close();
      semaphore.close();
      if (db.controllable) await db.start().catch(() => undefined);
    }
  }, 45_000);
});
