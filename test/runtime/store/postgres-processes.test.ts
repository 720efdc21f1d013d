/**
 * Several OS processes sharing limits through the PostgreSQL store, against a real server.
 *
 * Real time, real processes: the bounds are the guarantees themselves (never above the limit in
 * any window, never more than `limit` holders), which hold however slow the machine is; the
 * throughput bound (within 1 % of the limit) assumes a store round trip well under the window,
 * true by far on loopback even on a loaded two-core machine (measured: see the rate test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, Semaphore, type PostgresStore } from '../../../runtime/index.js';
import { testDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { mostAtOnce, mostInWindow, startPostgresReplica, type PostgresReplica } from './postgres-harness.js';

const SCHEMA = 'bounded_processes';
let db: TestDatabase;
let store: PostgresStore;

beforeAll(async () => {
  db = await testDatabase();
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  store = createPostgresStore({ url: db.url, schema: SCHEMA, operationTimeoutMs: 5_000 });
  await store.ensureSchema();
});

afterAll(async () => {
  await store?.close();
  await db?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
  await db?.close();
});

describe('PostgreSQL store across processes', () => {
  it('5 processes sharing 20 per second admit, together, within 1 % of it and never more in any window', async () => {
    const limit = 20;
    const perMs = 1_000;
    const windows = 5;
    const job = {
      mode: 'rate' as const,
      url: db.url,
      schema: SCHEMA,
      key: 'provider-rpm',
      limit,
      perMs,
      workers: 3,
    };
    const replicas: PostgresReplica[] = [];
    try {
      replicas.push(...(await Promise.all([0, 1, 2, 3, 4].map(() => startPostgresReplica(job)))));
      await Promise.all(replicas.map((replica) => replica.next('ready')));
      const startEpochMs = Date.now() + 200;
      for (const replica of replicas) replica.go(startEpochMs, startEpochMs + windows * perMs + 300);
      const results = await Promise.all(replicas.map((replica) => replica.next('rate-done', 20_000)));
      const admissions = results.flatMap((result) => result.admissions).sort((a, b) => a - b);
      // Every process took part.
      for (const result of results) expect(result.admissions.length).toBeGreaterThan(0);
      // Never more than the limit in any window, on the store's clock.
      expect(mostInWindow(admissions, perMs)).toBeLessThanOrEqual(limit);
      // Together, within 1 % of the limit over whole windows from the first admission.
      //
      // The lower bound, from measured variance: the count is all or nothing, so what varies is
      // the margin, the time between the 100th admission and the end of the fifth window (each
      // window's burst waits for the one before it, so the hand-over lags add up). Over 62 runs
      // on a shared two-core machine (load average 0.4 to 17.5; 12 runs pinned to one core
      // with two busy loops on it) every run admitted 100; the last 20 runs measured the margin
      // at 801 to 962 ms (mean 887, sd 53; a hand-over lagged 2 to 50 ms, mean 11). Falling
      // below 99 takes the four hand-overs to lag some 800 ms more in total, 16 sd beyond the
      // mean: a store that slow is the bug to catch, not noise.
      const first = admissions[0]!;
      const inWindows = admissions.filter((t) => t < first + windows * perMs).length;
      expect(inWindows).toBeLessThanOrEqual(windows * limit);
      expect(inWindows).toBeGreaterThanOrEqual(Math.floor(windows * limit * 0.99));
      if (process.env.BOUNDED_REPORT) {
        const marginMs = first + windows * perMs - admissions[windows * limit - 1]!;
        console.log('rate', { inWindows, marginMs, most: mostInWindow(admissions, perMs), rejected: results.map((r) => r.rejected) });
      }
    } finally {
      await Promise.all(replicas.map((replica) => replica.kill()));
    }
  }, 30_000);

  it('a shared semaphore of 10 across 5 processes never has more than 10 holders', async () => {
    const limit = 10;
    const job = {
      mode: 'semaphore' as const,
      url: db.url,
      schema: SCHEMA,
      key: 'agents',
      limit,
      workers: 4,
      holdMs: 40,
      leaseTtlMs: 10_000,
    };
    const replicas: PostgresReplica[] = [];
    try {
      replicas.push(...(await Promise.all([0, 1, 2, 3, 4].map(() => startPostgresReplica(job)))));
      await Promise.all(replicas.map((replica) => replica.next('ready')));
      const startEpochMs = Date.now() + 200;
      const untilEpochMs = startEpochMs + 3_000;
      for (const replica of replicas) replica.go(startEpochMs, untilEpochMs);
      // The store's own view, sampled while they run.
      let mostInStore = 0;
      let samples = 0;
      const done = Promise.all(replicas.map((replica) => replica.next('semaphore-done', 20_000)));
      let finished = false;
      void done.finally(() => {
        finished = true;
      });
      while (!finished && Date.now() < untilEpochMs + 2_000) {
        const leases = await store.holders('agents');
        if (Date.now() >= startEpochMs) {
          mostInStore = Math.max(mostInStore, leases.length);
          samples++;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const results = await done;
      expect(samples).toBeGreaterThan(10);
      expect(mostInStore).toBeLessThanOrEqual(limit);
      // The processes' own counts: their holds, put together, never overlap more than 10 deep.
      const holds = results.flatMap((result) => result.holds);
      expect(mostAtOnce(holds)).toBeLessThanOrEqual(limit);
      for (const result of results) expect(result.mostHere).toBeLessThanOrEqual(limit);
      // And the limit was used, not merely respected: 20 workers contend for 10 permits. (Each
      // hand-over between processes costs a release, a NOTIFY and an acquire, so on a loaded
      // machine the processes' own overlap may stay a little under 10: the bound is generous.)
      expect(mostAtOnce(holds)).toBeGreaterThanOrEqual(limit / 2);
      expect(holds.length / 2).toBeGreaterThan(50);
      if (process.env.BOUNDED_REPORT)
        console.log('semaphore', { mostInStore, samples, mostAtOnce: mostAtOnce(holds), holds: holds.length / 2 });
      expect(results.reduce((sum, result) => sum + result.leasesLost, 0)).toBe(0);
      expect(await store.holders('agents')).toEqual([]);
    } finally {
      await Promise.all(replicas.map((replica) => replica.kill()));
    }
  }, 30_000);

  it('a process killed while holding permits: its leases expire and the others proceed', async () => {
    const leaseTtlMs = 1_500;
    const holder = await startPostgresReplica({
      mode: 'hold',
      url: db.url,
      schema: SCHEMA,
      key: 'crashy',
      limit: 3,
      count: 3,
      leaseTtlMs,
    });
    const other = new Semaphore(3, { name: 'crashy', store, leaseTtlMs });
    try {
      const { holderIds } = await holder.next('holding', 20_000);
      expect(holderIds).toHaveLength(3);
      // While the holder lives it renews: nobody else gets in, even past one TTL.
      await expect(other.acquire({ timeoutMs: leaseTtlMs + 500 })).rejects.toMatchObject({ name: 'TimeoutError' });
      await holder.kill();
      const killedAt = performance.now();
      const permits = await Promise.all([0, 1, 2].map(() => other.acquire({ timeoutMs: 10_000 })));
      const waitedMs = performance.now() - killedAt;
      // Within one TTL of the kill (plus scheduling slack), not never.
      expect(waitedMs).toBeLessThan(leaseTtlMs + 2_000);
      const leases = await store.holders('crashy');
      expect(leases.map((lease) => lease.holderId).some((id) => holderIds.includes(id))).toBe(false);
      expect(leases).toHaveLength(3);
      for (const permit of permits) permit.release();
    } finally {
      other.close();
      await holder.kill();
    }
  }, 30_000);
});
