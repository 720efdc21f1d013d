/**
 * createPool against a real PostgreSQL server (test/helpers/postgres.ts): limits, release on
 * every path, timeouts, transactions, the registry, monitoring and shutdown.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../policy/defaults.js';
import { isClosedError, isLoadShedError, isQueueFullError, isTimeoutError, type TimeoutError } from '../../../runtime/errors.js';
import { createPool, getPool, isPoolConnectionError, type PoolReleaseEvent } from '../../../runtime/pool/index.js';
import { testDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { deferred } from '../helpers.js';
import { appName, eventually, expectSettled, poolFactory, rejection } from './helpers.js';

let db: TestDatabase;
let pools: ReturnType<typeof poolFactory>;

beforeAll(async () => {
  db = await testDatabase();
  pools = poolFactory(db.url, 'pool');
});

afterEach(async () => {
  await pools.closeAll();
});

afterAll(async () => {
  await db?.close();
});

/** A table of its own for one test. */
async function table(name: string, columns = 'id int primary key'): Promise<string> {
  const full = `pool_${name}_${process.pid}`;
  await db.query(`drop table if exists ${full}`);
  await db.query(`create table ${full} (${columns})`);
  return full;
}

describe('configuration', () => {
  it('takes its defaults from the policy and names its connections', async () => {
    const pool = pools.create();
    expect(pool.max).toBe(DEFAULT_POLICY.pool.max);
    expect(pool.min).toBe(DEFAULT_POLICY.pool.min);
    expect(pool.connectTimeoutMs).toBe(DEFAULT_POLICY.defaults.timeouts.dbConnect);
    expect(pool.statementTimeoutMs).toBe(DEFAULT_POLICY.defaults.timeouts.dbStatement);
    expect(pool.queryTimeoutMs).toBe(DEFAULT_POLICY.defaults.timeouts.dbQuery);
    const { rows } = await pool.query<{ app: string; timeout: string }>(
      "select current_setting('application_name') as app, current_setting('statement_timeout') as timeout",
    );
    expect(rows[0]).toEqual({ app: appName(pool), timeout: '30s' });
  });

  it('opens min connections up front', async () => {
    const pool = pools.create({ min: 3, max: 5 });
    await pool.whenIdle();
    expect(pool.stats()).toMatchObject({ total: 3, idle: 3, inUse: 0 });
    expect(await db.countConnections(appName(pool))).toBe(3);
  });

  it('refuses bad limits with a TypeError that names the option', () => {
    expect(() => createPool({ name: 'bad-max', max: 0 })).toThrow('Expected `max` to be a positive integer, got 0');
    expect(() => createPool({ name: 'bad-min', min: 6, max: 5 })).toThrow('Expected `min` to be an integer from 0 to max (5), got 6');
    expect(() => createPool({ name: 'bad-timeout', connectionTimeoutMillis: -1 })).toThrow(TypeError);
    expect(() => createPool({ name: 'bad-statement', statement_timeout: 1.5 })).toThrow(TypeError);
    expect(() => createPool({ name: '' })).toThrow('Expected `name` to be a non-empty string, got ""');
  });
});

describe('registry', () => {
  it('returns the open pool for a name instead of creating a second one', async () => {
    const first = createPool({ name: 'registry-main', connectionString: db.url, min: 1 });
    expect(createPool({ name: 'registry-main', connectionString: db.url, max: 3 })).toBe(first);
    expect(getPool('registry-main')).toBe(first);
    await first.whenIdle();
    expect(await db.countConnections('bounded:registry-main')).toBe(1);

    await first.close();
    const second = getPool('registry-main', { connectionString: db.url, min: 0 });
    expect(second).not.toBe(first);
    await second.close();
  });
});

describe('limits', () => {
  it('keeps 500 concurrent operations within max 20 connections on the server', async () => {
    const pool = pools.create({ max: 20 });
    const work = await table('load', 'id int primary key, via text');
    let saturated = 0;
    using _subscription = pool.onSaturated(() => saturated++);

    // A separate connection samples the server's own count while the load runs.
    let peak = 0;
    let samples = 0;
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        peak = Math.max(peak, await db.countConnections(appName(pool)));
        samples++;
      }
    })();

    const operations = Array.from({ length: 500 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return pool.query('select pg_sleep(0.002), $1::int as i', [i]);
        case 1:
          return pool.withClient((client) => client.query(`insert into ${work} values ($1, 'withClient')`, [i]));
        case 2:
          return pool.transaction(async (tx) => {
            await tx.query(`insert into ${work} values ($1, 'transaction')`, [i]);
            return tx.query('select pg_sleep(0.001)');
          });
        default:
          return (async () => {
            await using client = await pool.acquire();
            return await client.query('select $1::int as i', [i]);
          })();
      }
    });
    const results = await Promise.allSettled(operations);
    loading = false;
    await sampler;
    peak = Math.max(peak, await db.countConnections(appName(pool))); // the connections stay open

    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(samples).toBeGreaterThan(3);
    expect(peak).toBeLessThanOrEqual(20);
    expect(peak).toBe(20); // the load did need every connection
    expect(saturated).toBeGreaterThan(0);
    const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from ${work}`);
    expect(rows[0]!.n).toBe(250);
    const stats = pool.stats();
    expect(stats.acquired).toBe(500);
    expect(stats.acquireWaitMs.p99).toBeGreaterThanOrEqual(stats.acquireWaitMs.p50);
    expect(stats.destroyed).toBe(0);
    await expectSettled(pool);
  });

  it('resizes live: growing admits waiters, shrinking closes connections as they come back', async () => {
    const pool = pools.create({ max: 2, min: 0 });
    const first = [await pool.acquire(), await pool.acquire()];
    const third = pool.acquire();
    expect(pool.stats().waiting).toBe(1);
    pool.resize(3);
    first.push(await third);
    expect(pool.stats()).toMatchObject({ max: 3, inUse: 3, total: 3 });

    pool.resize(1);
    for (const client of first) client.release();
    expect(pool.stats()).toMatchObject({ max: 1, total: 1, destroyed: 2 });
    await expectSettled(pool);
    expect(() => pool.resize(0)).toThrow('Expected `max` to be a positive integer, got 0');
  });

  it('refuses callers beyond maxQueue at once', async () => {
    const pool = pools.create({ max: 1, min: 0, maxQueue: 1 });
    let queued: Promise<unknown>;
    {
      await using _held = await pool.acquire();
      queued = pool.query('select 1');
      const error = await rejection(pool.query('select 1'));
      expect(isQueueFullError(error)).toBe(true);
      expect((error as Error).message).toBe(`Pool "${pool.name}" queue is full: 1 waiting (maxQueue 1), 1 of 1 in use`);
    }
    await queued;
    await expectSettled(pool);
  });

  it('sheds a caller whose timeout is shorter than the wait of a stalled pool, and reports every refusal', async () => {
    const pool = pools.create({ max: 1, min: 0, maxQueue: 2 });
    const reasons: string[] = [];
    pool.onRejected((event) => reasons.push(event.reason));
    let patient: Promise<unknown>;
    {
      await using _held = await pool.acquire();
      patient = pool.query('select 1', undefined, { timeoutMs: 30_000 });
      // Nobody served for at least 300 ms: a newcomer expects at least that long.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const error = await rejection(pool.acquire({ timeoutMs: 250 }));
      expect(isLoadShedError(error)).toBe(true);
      expect(error).toMatchObject({ name: 'LoadShedError', kind: 'Pool', resource: pool.name, limit: 'max 1', waiting: 1 });
      expect((error as Error).message).toMatch(
        new RegExp(
          `^Pool "${pool.name}" shed the call: its expected wait of \\d+ ms \\(1 waiting, max 1\\) is longer than the 250 ms left of its deadline$`,
        ),
      );
      const controller = new AbortController();
      const aborted = rejection(pool.acquire({ signal: controller.signal }));
      expect(isQueueFullError(await rejection(pool.acquire()))).toBe(true);
      controller.abort();
      await aborted;
    }
    await patient;
    await pool.close();
    expect(isClosedError(await rejection(pool.acquire()))).toBe(true);
    expect(reasons).toEqual(['shed', 'queue-full', 'abort', 'closed']);
  });
});

describe('release on every path', () => {
  it('releases when fn throws inside withClient', async () => {
    const pool = pools.create({ max: 2, min: 0 });
    const boom = new Error('boom');
    const error = await rejection(
      pool.withClient(async (client) => {
        await client.query('select 1');
        throw boom;
      }),
    );
    expect(error).toBe(boom);
    expect(pool.stats().destroyed).toBe(0);
    await expectSettled(pool);
  });

  it('rolls back and releases when fn throws inside a transaction', async () => {
    const pool = pools.create({ max: 2, min: 0 });
    const work = await table('rollback');
    const boom = new Error('boom');
    const error = await rejection(
      pool.transaction(async (tx) => {
        await tx.query(`insert into ${work} values (1)`);
        throw boom;
      }),
    );
    expect(error).toBe(boom);
    expect((await db.query(`select * from ${work}`)).rowCount).toBe(0);
    expect(pool.stats().destroyed).toBe(0); // rolled back cleanly: the connection is reused
    await expectSettled(pool);

    await pool.transaction((tx) => tx.query(`insert into ${work} values (2)`));
    expect((await db.query(`select * from ${work}`)).rows).toEqual([{ id: 2 }]);
  });

  it('refuses to report a commit the server turned into a rollback', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    const work = await table('swallowed');
    const error = await rejection(
      pool.transaction(async (tx) => {
        await tx.query(`insert into ${work} values (1)`);
        await tx.query('select 1/0').catch(() => undefined); // fn swallows the failure
      }),
    );
    expect((error as Error).message).toMatch(/was rolled back by the server/);
    expect((await db.query(`select * from ${work}`)).rowCount).toBe(0);
    await expectSettled(pool);
  });

  it('stops waiting when the caller aborts, and never takes a connection later', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    {
      await using _held = await pool.acquire();
      const controller = new AbortController();
      const waiting = pool.query('select 1', [], { signal: controller.signal });
      expect(pool.stats().waiting).toBe(1);
      const reason = new Error('the request went away');
      controller.abort(reason);
      expect(await rejection(waiting)).toBe(reason);
      expect(pool.stats().waiting).toBe(0);
    }
    await expectSettled(pool);
    expect(pool.stats().acquired).toBe(1);
  });

  it('times out a wait for a connection with a TimeoutError naming the pool and its max', async () => {
    const pool = pools.create({ max: 1, min: 0, connectionTimeoutMillis: 100 });
    {
      await using _held = await pool.acquire();
      const error = await rejection(pool.query('select 1'));
      expect(isTimeoutError(error)).toBe(true);
      expect((error as Error).message).toBe(
        `Waiting for a connection from pool "${pool.name}" (max 1) timed out after 100 ms (timeoutMs 100)`,
      );
    }
    await expectSettled(pool);
    expect(pool.stats().timeouts).toBe(1);
  });

  it('keeps the connection after a statement timeout', async () => {
    const pool = pools.create({ max: 1, min: 0, statement_timeout: 50 });
    const before = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
    const error = await rejection(pool.query('select pg_sleep(5)'));
    expect(isTimeoutError(error)).toBe(true);
    expect((error as TimeoutError).timeoutMs).toBe(50);
    expect((error as Error).message).toMatch(/statement_timeout/);
    expect(((error as Error).cause as { code: string }).code).toBe('57014');
    const after = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
    expect(after.rows[0]!.pid).toBe(before.rows[0]!.pid);
    expect(pool.stats().destroyed).toBe(0);
    await expectSettled(pool);
  });

  it('destroys the connection after a client-side timeout and cancels the query on the server', async () => {
    const pool = pools.create({ max: 1, min: 0, query_timeout: 100 });
    const started = performance.now();
    const error = await rejection(pool.query('select pg_sleep(10)'));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(isTimeoutError(error)).toBe(true);
    expect((error as Error).message).toBe(`Query on pool "${pool.name}" (query_timeout) timed out after 100 ms (timeoutMs 100)`);
    expect(pool.stats()).toMatchObject({ destroyed: 1, timeouts: 1 });
    await expectSettled(pool);
    // The cancel request stopped the sleep: the old backend is gone well before 10 s.
    await eventually('the timed-out backend is gone', async () => (await db.countConnections(appName(pool))) === 0);
    // And the pool carries on with a fresh connection.
    expect((await pool.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('takes a per-query timeout and statement timeout, and puts the session back as it was', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    const quick = await rejection(pool.query('select pg_sleep(5)', [], { statementTimeoutMs: 50 }));
    expect(isTimeoutError(quick)).toBe(true);
    expect((quick as TimeoutError).timeoutMs).toBe(50);
    const { rows } = await pool.query<{ timeout: string }>("select current_setting('statement_timeout') as timeout");
    expect(rows[0]!.timeout).toBe('30s');
    expect(pool.stats().destroyed).toBe(0);

    const clientSide = await rejection(pool.query('select pg_sleep(5)', [], { timeoutMs: 50 }));
    expect((clientSide as TimeoutError).timeoutMs).toBe(50);
    expect(pool.stats().destroyed).toBe(1);
    await expectSettled(pool);
  });

  it('rejects withClient at its deadline even when fn ignores its signal', async () => {
    const pool = pools.create({ max: 1, min: 1 });
    await pool.whenIdle(); // the deadline covers the checkout too: start with a warm pool
    let ran = false;
    const error = await rejection(
      pool.withClient(
        async (client) => {
          await client.query('select 1');
          ran = true;
          await new Promise(() => {}); // never settles
        },
        { timeoutMs: 200 },
      ),
    );
    expect(ran).toBe(true);
    expect(isTimeoutError(error)).toBe(true);
    expect((error as Error).message).toBe(`withClient on pool "${pool.name}" timed out after 200 ms (timeoutMs 200)`);
    expect(pool.stats().destroyed).toBe(1);
    await expectSettled(pool);
  });

  it('rejects withClient when the caller aborts mid-query, cancelling the query', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    const controller = new AbortController();
    const running = pool.withClient((client) => client.query('select pg_sleep(10)'), { signal: controller.signal });
    await eventually('the query runs', async () => {
      const { rows } = await db.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where application_name = $1 and query like 'select pg_sleep%'",
        [appName(pool)],
      );
      return rows[0]!.n === 1;
    });
    const reason = new Error('user cancelled');
    controller.abort(reason);
    expect(await rejection(running)).toBe(reason);
    await expectSettled(pool);
    await eventually('the cancelled backend is gone', async () => (await db.countConnections(appName(pool))) === 0);
  });

  it('releases on scope exit with await using, also when the block throws', async () => {
    const pool = pools.create({ max: 2, min: 0 });
    {
      await using client = await pool.acquire();
      await client.query('select 1');
      expect(pool.stats().inUse).toBe(1);
    }
    expect(pool.stats().inUse).toBe(0);

    const boom = new Error('boom');
    const thrown = await rejection(
      (async () => {
        await using client = await pool.acquire();
        await client.query('select 1');
        throw boom;
      })(),
    );
    expect(thrown).toBe(boom);
    expect(pool.stats().destroyed).toBe(0);
    await expectSettled(pool);
  });

  it('destroys a client given back inside a transaction, so nobody inherits it', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    const work = await table('left_open');
    await pool.withClient(async (client) => {
      await client.query('begin');
      await client.query(`insert into ${work} values (1)`);
    });
    expect(pool.stats().destroyed).toBe(1);
    const { rows } = await pool.query<{ open: boolean }>('select now() = statement_timestamp() as open');
    expect(rows[0]!.open).toBe(true); // a fresh session, not inside the abandoned transaction
    expect((await db.query(`select * from ${work}`)).rowCount).toBe(0);
    await expectSettled(pool);
  });

  it('destroys a client given back with a query still running', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    const leftRunning = (async () => {
      // The classic slip: the block ends, and the client is released, before the query does.
      await using client = await pool.acquire();
      return client.query('select pg_sleep(5)');
    })();
    const error = await rejection(leftRunning);
    expect(isClosedError(error)).toBe(true);
    expect((error as Error).message).toBe(`Pool client "${pool.name}" is closed`);
    expect(pool.stats()).toMatchObject({ destroyed: 1, errors: 0 });
    await expectSettled(pool);
    expect((await pool.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('fails a released client fast', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    const client = await pool.acquire();
    client.release();
    client.release(); // a second release does nothing
    const error = await rejection(client.query('select 1'));
    expect(isClosedError(error)).toBe(true);
    expect((error as Error).message).toBe(`Pool client "${pool.name}" is closed`);
    await expectSettled(pool);
  });
});

describe('transactions', () => {
  async function counter(): Promise<string> {
    const work = await table('counter', 'id int primary key, n int not null');
    await db.query(`insert into ${work} values (1, 0)`);
    return work;
  }

  /** Two serializable increments that both read before either writes: one must fail. */
  function racingIncrements(work: string, retries: number, pool: ReturnType<typeof pools.create>) {
    let reads = 0;
    const bothRead = deferred();
    const increment = () =>
      pool.transaction(
        async (tx) => {
          const { rows } = await tx.query<{ n: number }>(`select n from ${work} where id = 1`);
          if (++reads === 2) bothRead.resolve();
          if (reads <= 2) await bothRead.promise; // only the first attempts race
          await tx.query(`update ${work} set n = $1 where id = 1`, [rows[0]!.n + 1]);
          return rows[0]!.n;
        },
        { isolation: 'serializable', retries },
      );
    return Promise.allSettled([increment(), increment()]);
  }

  it('surfaces a serialization failure when retries are not asked for', async () => {
    const pool = pools.create({ max: 2, min: 0 });
    const work = await counter();
    const results = await racingIncrements(work, 0, pool);
    const failed = results.filter((result) => result.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(((failed[0] as PromiseRejectedResult).reason as { code: string }).code).toBe('40001');
    expect((await db.query(`select n from ${work}`)).rows).toEqual([{ n: 1 }]);
    await expectSettled(pool);
  });

  it('runs the transaction again after a serialization failure when asked to', async () => {
    const pool = pools.create({ max: 2, min: 0 });
    const work = await counter();
    const results = await racingIncrements(work, 3, pool);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    expect((await db.query(`select n from ${work}`)).rows).toEqual([{ n: 2 }]);
    expect(pool.stats().destroyed).toBe(0);
    await expectSettled(pool);
  });

  it('validates its options', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    await expect(pool.transaction(() => 1, { isolation: 'snapshot' as never })).rejects.toThrow(
      'Expected `isolation` to be one of "read committed", "repeatable read", "serializable", got "snapshot"',
    );
    await expect(pool.transaction(() => 1, { retries: -1 })).rejects.toThrow('Expected `retries` to be a non-negative integer, got -1');
  });
});

describe('failed connections', () => {
  it('destroys a client whose backend was terminated, and refills to min', async () => {
    const pool = pools.create({ min: 2, max: 4 });
    await pool.whenIdle();
    const errors: string[] = [];
    using _subscription = pool.onError((event) => errors.push(event.phase));
    const released: PoolReleaseEvent[] = [];
    using _released = pool.onRelease((event) => released.push(event));

    {
      await using client = await pool.acquire();
      await db.query('select pg_terminate_backend($1)', [client.processId]);
      const error = await rejection(client.query('select 1'));
      expect(isPoolConnectionError(error)).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(`^Pool "${pool.name}" lost its connection while in use`));
    }
    expect(released.map((event) => event.destroyed)).toEqual([true]);
    expect(errors).toEqual(['in-use']);

    await expectSettled(pool);
    expect(pool.stats().total).toBeGreaterThanOrEqual(2);
    // The terminated backend leaves pg_stat_activity a moment after its socket closes.
    await eventually(
      'the server counts what the pool holds',
      async () => (await db.countConnections(appName(pool))) === pool.stats().total,
    );
  });

  it('drops idle connections the server terminated and opens new ones', async () => {
    const pool = pools.create({ min: 3, max: 4 });
    await pool.whenIdle();
    const errors: string[] = [];
    using _subscription = pool.onError((event) => errors.push(event.phase));
    expect(await db.terminateBackends(appName(pool))).toBe(3);
    await eventually('the pool reopened its connections', async () => {
      const stats = pool.stats();
      return errors.length === 3 && stats.total === 3 && stats.idle === 3 && (await db.countConnections(appName(pool))) === 3;
    });
    expect(errors).toEqual(['idle', 'idle', 'idle']);
    expect((await pool.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('rejects with PoolConnectionError when no connection can be opened', async () => {
    const pool = pools.create({ min: 0, max: 2, connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    const error = await rejection(pool.query('select 1'));
    expect(isPoolConnectionError(error)).toBe(true);
    expect((error as { phase: string }).phase).toBe('connect');
    expect((error as { code: string }).code).toBe('ECONNREFUSED');
    await expectSettled(pool);
    expect(pool.stats()).toMatchObject({ total: 0, errors: 1 });
  });
});

describe('monitoring', () => {
  it('reports checkouts, releases and saturation through typed events', async () => {
    const pool = pools.create({ max: 2, min: 0 });
    const seen: string[] = [];
    const acquired = pool.onAcquire((event) => seen.push(`acquire inUse=${event.inUse}`));
    using _released = pool.onRelease((event) => seen.push(`release destroyed=${event.destroyed}`));
    using _saturated = pool.onSaturated((event) => seen.push(`saturated ${event.inUse}/${event.max}`));

    // Released by hand, in a set order, one of them with an error.
    const a = await pool.acquire();
    const b = await pool.acquire();
    a.release();
    b.release(new Error('done with it'));
    acquired.dispose();
    await pool.query('select 1');
    expect(seen).toEqual([
      'acquire inUse=1',
      'acquire inUse=2',
      'saturated 2/2',
      'release destroyed=false',
      'release destroyed=true',
      'release destroyed=false',
    ]);
  });

  it('counts and waits in stats, and answers health checks', async () => {
    const pool = pools.create({ max: 2, min: 1 });
    const health = await pool.health();
    expect(health).toMatchObject({ ok: true, stats: { name: pool.name, max: 2, min: 1 } });
    expect(health.latencyMs).toBeGreaterThan(0);
    expect(pool.stats().acquired).toBe(1);

    expect(health.via).toBe('pool');

    // Saturated, with a caller waiting: the check does not queue behind it, it asks the server
    // on a connection of its own, closed right after, and the pool's counts are untouched.
    const held = [await pool.acquire(), await pool.acquire()];
    const waiting = pool.query('select 1');
    await eventually('a caller waits', () => pool.stats().waiting === 1);
    const busy = await pool.health({ timeoutMs: 5_000 });
    expect(busy).toMatchObject({ ok: true, via: 'connection', stats: { inUse: 2, waiting: 1, acquired: 3 } });
    await eventually('the probe connection is closed', async () => (await db.countConnections(`${appName(pool)}:health`)) === 0);
    for (const client of held) client.release();
    await waiting;
    await expectSettled(pool);
  });
});

describe('close', () => {
  it('lets in-flight work finish and refuses new work', async () => {
    const pool = pools.create({ max: 2, min: 1 });
    const slow = pool.query<{ ok: number }>('select 1 as ok from pg_sleep(0.2)');
    await eventually('the query was checked out', () => pool.stats().inUse === 1);
    const closing = pool.close({ drainMs: 5_000 });
    expect(pool.close()).toBe(closing);
    const refused = await rejection(pool.query('select 1'));
    expect(isClosedError(refused)).toBe(true);
    expect((refused as Error).message).toBe(`Pool "${pool.name}" is closed`);
    expect((await slow).rows).toEqual([{ ok: 1 }]);
    await closing;
    expect(pool.stats().total).toBe(0);
    await eventually('the server saw every connection close', async () => (await db.countConnections(appName(pool))) === 0);
  });

  it('at the drain deadline refuses waiters and destroys the clients still out', async () => {
    const pool = pools.create({ max: 1, min: 0 });
    const held = await pool.acquire();
    const waiter = rejection(pool.query('select 1'));
    const started = performance.now();
    await pool.close({ drainMs: 100 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(isClosedError(await waiter)).toBe(true);
    expect(held.released).toBe(true);
    expect(isClosedError(await rejection(held.query('select 1')))).toBe(true);
    expect(pool.stats()).toMatchObject({ total: 0, inUse: 0, waiting: 0 });
    await eventually('the server saw every connection close', async () => (await db.countConnections(appName(pool))) === 0);
  });
});
