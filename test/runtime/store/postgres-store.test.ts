/**
 * The PostgreSQL store's own contract, against a real server: atomic decisions under
 * concurrent callers from separate pools, the store's clock, leases, NOTIFY wake-ups, schema
 * creation, and StoreUnavailableError when the server cannot be reached.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  createPostgresStore,
  isStoreUnavailableError,
  type PostgresStore,
  type StoreUnavailableError,
} from '../../../runtime/index.js';
import { testDatabase, type TestDatabase } from '../../helpers/postgres.js';

const SCHEMA = 'bounded_store_test';
let db: TestDatabase;
let a: PostgresStore;
let b: PostgresStore;

beforeAll(async () => {
  db = await testDatabase();
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  a = createPostgresStore({ url: db.url, schema: SCHEMA, max: 8, operationTimeoutMs: 5_000 });
  b = createPostgresStore({ url: db.url, schema: SCHEMA, max: 8, operationTimeoutMs: 5_000 });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
  await db?.close();
});

describe('PostgresStore', () => {
  it('creates its schema and tables on first use, once, even when stores race', async () => {
    const racers = [0, 1, 2].map(() => createPostgresStore({ url: db.url, schema: `${SCHEMA}_race`, operationTimeoutMs: 5_000 }));
    try {
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA}_race CASCADE`);
      await Promise.all(racers.map((store) => store.tryAcquire('k', { kind: 'token-bucket', rate: 1, perMs: 1_000, burst: 5 }, 1)));
      const { rows } = await db.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by table_name',
        [`${SCHEMA}_race`],
      );
      expect(rows.map((row) => row.table_name)).toEqual(['rate_limits', 'semaphores']);
      // Three racers, one bucket: three tokens gone.
      const decision = await racers[0]!.tryAcquire('k', { kind: 'token-bucket', rate: 1, perMs: 1_000_000, burst: 5 }, 1);
      expect(decision.remaining).toBe(1);
    } finally {
      await Promise.all(racers.map((store) => store.close()));
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA}_race CASCADE`);
    }
  });

  it('admits exactly the burst of a token bucket to 60 concurrent callers from two pools', async () => {
    const algorithm = { kind: 'token-bucket', rate: 1, perMs: 3_600_000, burst: 25 } as const;
    const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).tryAcquire('tb-race', algorithm, 1)));
    expect(decisions.filter((decision) => decision.admitted)).toHaveLength(25);
    const refused = decisions.filter((decision) => !decision.admitted);
    // The store says when one token will be back: about per / rate.
    for (const decision of refused) {
      expect(decision.retryAfterMs).toBeGreaterThan(3_500_000);
      expect(decision.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    }
  });

  it('admits exactly the limit of a sliding window to 60 concurrent callers, costs counted whole', async () => {
    const algorithm = { kind: 'sliding-window', limit: 30, perMs: 60_000 } as const;
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).tryAcquire('sw-race', algorithm, i % 3 === 0 ? 2 : 1)),
    );
    const used = decisions.reduce((sum, decision, i) => sum + (decision.admitted ? (i % 3 === 0 ? 2 : 1) : 0), 0);
    expect(used).toBeGreaterThanOrEqual(29);
    expect(used).toBeLessThanOrEqual(30);
    const refused = decisions.find((decision) => !decision.admitted)!;
    expect(refused.retryAfterMs).toBeGreaterThan(59_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(refused.storeTime).toBeGreaterThan(Date.now() - 60_000);
  });

  it('expires sliding-window entries by the store clock', async () => {
    const algorithm = { kind: 'sliding-window', limit: 2, perMs: 300 } as const;
    expect((await a.tryAcquire('sw-expire', algorithm, 2)).admitted).toBe(true);
    const refused = await a.tryAcquire('sw-expire', algorithm, 1);
    expect(refused.admitted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs + 20));
    expect((await b.tryAcquire('sw-expire', algorithm, 2)).admitted).toBe(true);
  });

  it('penalize pauses a key for every store; reset forgets it', async () => {
    const algorithm = { kind: 'token-bucket', rate: 100, perMs: 1_000, burst: 100 } as const;
    await a.penalize('pen', 60_000);
    const paused = await b.tryAcquire('pen', algorithm, 1);
    expect(paused).toMatchObject({ admitted: false, remaining: 0 });
    expect(paused.retryAfterMs).toBeGreaterThan(59_000);
    await a.penalize('pen', 10); // never shortens the penalty in force
    expect((await b.tryAcquire('pen', algorithm, 1)).admitted).toBe(false);
    await b.reset('pen');
    expect((await a.tryAcquire('pen', algorithm, 1)).admitted).toBe(true);
  });

  it('grants at most `limit` leases to 40 concurrent holders from two pools', async () => {
    const decisions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).acquire('sem-race', 7, `holder-${i}`, 60_000)),
    );
    expect(decisions.filter((decision) => decision.acquired)).toHaveLength(7);
    expect(await a.holders('sem-race')).toHaveLength(7);
    const refused = decisions.find((decision) => !decision.acquired)!;
    expect(refused.holders).toBe(7);
    expect(refused.retryAfterMs).toBeGreaterThan(55_000);
  });

  it('leases: acquire again renews, renew extends, an expired lease is lost, release frees', async () => {
    expect(await a.acquire('lease', 1, 'one', 200)).toMatchObject({ acquired: true, holders: 1 });
    expect(await a.acquire('lease', 1, 'one', 5_000)).toMatchObject({ acquired: true, holders: 1 });
    expect((await a.holders('lease'))[0]!.expiresInMs).toBeGreaterThan(4_000);
    expect(await a.acquire('lease', 1, 'two', 5_000)).toMatchObject({ acquired: false, holders: 1 });
    expect(await a.renew('lease', 'one', 150)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await a.renew('lease', 'one', 5_000)).toBe(false);
    expect(await b.acquire('lease', 1, 'two', 5_000)).toMatchObject({ acquired: true });
    await b.release('lease', 'two');
    expect(await a.holders('lease')).toEqual([]);
  });

  it('a release wakes subscribers of that key through LISTEN/NOTIFY', async () => {
    await a.acquire('notify', 1, 'x', 60_000);
    const woken: string[] = [];
    const onWake = new Promise<void>((resolve) => {
      void b.subscribe('notify', () => {
        woken.push('notify');
        resolve();
      });
    });
    const other = await b.subscribe('other-key', () => woken.push('other'));
    // Give LISTEN a moment to be registered on b's own connection.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await a.release('notify', 'x');
    await onWake;
    expect(woken).toEqual(['notify']);
    await other.unsubscribe();
  });

  it("LISTENs on the server of a caller's pool, not at pg's environment defaults", async () => {
    const pool = createPool({ name: `listen-${process.pid}`, connectionString: db.url, min: 0, max: 2 });
    const saved = { PGHOST: process.env.PGHOST, PGPORT: process.env.PGPORT };
    // pg's defaults now point at a closed port: a LISTEN connection made from them fails.
    process.env.PGHOST = '127.0.0.1';
    process.env.PGPORT = String(await closedPort());
    const store = createPostgresStore({ pool, schema: SCHEMA, operationTimeoutMs: 5_000 });
    try {
      expect(pool.connectionSettings()).toEqual({ connectionString: db.url });
      const woken = new Promise<void>((resolve) => {
        void store.subscribe('pool-listen', () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await a.acquire('pool-listen', 1, 'x', 60_000);
      await a.release('pool-listen', 'x');
      await woken;
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await store.close();
      await pool.close();
    }
  });

  it('rejects with StoreUnavailableError when the server cannot be reached', async () => {
    const port = await closedPort();
    const store = createPostgresStore({ url: `postgres://nobody:secret@127.0.0.1:${port}/none`, operationTimeoutMs: 2_000 });
    try {
      const started = performance.now();
      const error = await store
        .tryAcquire('k', { kind: 'token-bucket', rate: 1, perMs: 1_000, burst: 1 }, 1)
        .catch((caught: unknown) => caught);
      expect(isStoreUnavailableError(error)).toBe(true);
      expect(performance.now() - started).toBeLessThan(3_000);
      const message = (error as StoreUnavailableError).message;
      expect(message).toContain(`postgres 127.0.0.1:${port}/none schema bounded`);
      expect(message).not.toContain('secret');
      await expect(store.ping()).rejects.toMatchObject({ name: 'StoreUnavailableError' });
      await expect(store.subscribe('k', () => undefined)).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    } finally {
      await store.close();
    }
  });

  it('validates its options', () => {
    expect(() => createPostgresStore({ url: db.url, schema: 'Robert"); drop' })).toThrow(/identifier/);
    expect(() => createPostgresStore({})).toThrow(/`url`/);
    expect(() => createPostgresStore({ url: db.url, operationTimeoutMs: 0 })).toThrow(/operationTimeoutMs/);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
