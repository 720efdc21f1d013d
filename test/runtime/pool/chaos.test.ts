/**
 * Chaos against a real server of its own (stopping it must not disturb other test files):
 * backends terminated and the server restarted while 30 workers write through a pool of 10.
 * Every operation must settle, with a result or a typed error, within its bound; the pool must
 * recover in the same process; and every acknowledged insert must be in the table afterwards.
 *
 * Loops are bounded twice: by a count of operations and by wall-clock time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTimeoutError } from '../../../runtime/errors.js';
import { isPoolConnectionError, type BoundedPool } from '../../../runtime/pool/index.js';
import { canControlServer, testDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { appName, eventually, expectSettled, poolFactory } from './helpers.js';

const WORKERS = 30;
const MAX_OPERATIONS = 20_000;
const LOAD_CAP_MS = 15_000;
/** Bound on one operation: a 1 s wait for a connection plus a 2 s deadline on the work. */
const OPERATION_BOUND_MS = 3_000;
const SLACK_MS = 1_000;

let db: TestDatabase;
let pools: ReturnType<typeof poolFactory>;

beforeAll(async () => {
  db = await testDatabase({ server: 'chaos' });
  pools = poolFactory(db.url, 'chaos');
});

afterEach(async () => {
  await pools.closeAll();
});

afterAll(async () => {
  await db?.close();
});

type Outcome =
  | 'acknowledged'
  /** Failed before anything reached the server: no connection could be had. */
  | 'refused'
  /** Failed after the statement may have reached the server: it may or may not have been applied. */
  | 'ambiguous'
  | 'untyped';

interface Operation {
  readonly id: number;
  readonly outcome: Outcome;
  readonly ms: number;
  readonly finishedAt: number;
  readonly error?: unknown;
}

function classify(error: unknown): Outcome {
  if (isPoolConnectionError(error)) return error.phase === 'connect' ? 'refused' : 'ambiguous';
  if (isTimeoutError(error)) {
    return /^(Waiting for|Opening) a connection/.test(error.message) ? 'refused' : 'ambiguous';
  }
  return 'untyped';
}

/**
 * Workers insert ids 1, 2, 3, … three ways (query, transaction, withClient) until `stop()`
 * says so, the operation budget is spent, or the time cap passes.
 */
class Load {
  readonly operations: Operation[] = [];
  #next = 0;
  #stopped = false;
  readonly done: Promise<void>;

  constructor(pool: BoundedPool, table: string) {
    const capAt = performance.now() + LOAD_CAP_MS;
    const worker = async (): Promise<void> => {
      while (!this.#stopped && this.#next < MAX_OPERATIONS && performance.now() < capAt) {
        const id = ++this.#next;
        const started = performance.now();
        try {
          switch (id % 3) {
            case 0:
              await pool.query(`insert into ${table} values ($1)`, [id], { timeoutMs: 2_000 });
              break;
            case 1:
              await pool.transaction(
                async (tx) => {
                  await tx.query(`insert into ${table} values ($1)`, [id]);
                  await tx.query('select pg_sleep(0.002)');
                },
                { timeoutMs: OPERATION_BOUND_MS },
              );
              break;
            default:
              await pool.withClient((client) => client.query(`insert into ${table} values ($1)`, [id]), {
                timeoutMs: OPERATION_BOUND_MS,
              });
          }
          this.#record(id, 'acknowledged', started);
        } catch (error) {
          this.#record(id, classify(error), started, error);
          // A client that keeps failing backs off a little instead of spinning.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    };
    this.done = Promise.all(Array.from({ length: WORKERS }, worker)).then(() => undefined);
  }

  count(outcome: Outcome, since = 0): number {
    return this.operations.filter((op) => op.outcome === outcome && op.finishedAt >= since).length;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.done;
  }

  #record(id: number, outcome: Outcome, started: number, error?: unknown): void {
    const finishedAt = performance.now();
    this.operations.push({ id, outcome, ms: finishedAt - started, finishedAt, error });
  }
}

async function freshTable(name: string): Promise<string> {
  const table = `chaos_${name}_${process.pid}`;
  await db.query(`drop table if exists ${table}`);
  await db.query(`create table ${table} (id int primary key)`);
  return table;
}

/** Every operation settled in time with a typed outcome, and no acknowledged write is missing. */
async function expectNoHangsNoLoss(load: Load, table: string): Promise<void> {
  const untyped = load.operations.filter((op) => op.outcome === 'untyped');
  expect(untyped.map((op) => op.error)).toEqual([]);
  const slowest = Math.max(...load.operations.map((op) => op.ms));
  expect(slowest).toBeLessThan(OPERATION_BOUND_MS + 1_000 + SLACK_MS);

  const { rows } = await db.query<{ id: number }>(`select id from ${table}`);
  const stored = new Set(rows.map((row) => row.id));
  const acknowledged = load.operations.filter((op) => op.outcome === 'acknowledged').map((op) => op.id);
  const ambiguous = new Set(load.operations.filter((op) => op.outcome === 'ambiguous').map((op) => op.id));
  expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]); // nothing acknowledged was lost
  expect([...stored].filter((id) => !acknowledged.includes(id) && !ambiguous.has(id))).toEqual([]);
}

async function expectRecovered(pool: BoundedPool): Promise<void> {
  expect(await pool.health({ timeoutMs: 2_000 })).toMatchObject({ ok: true });
  await expectSettled(pool);
  // Refill backs off while the server is away; it is back at min within its 5 s ceiling.
  await eventually('the pool is back at min', () => pool.stats().total >= pool.min, 8_000);
  await expectSettled(pool);
  await eventually('the server counts what the pool holds', async () => (await db.countConnections(appName(pool))) === pool.stats().total);
}

function chaosPool(): BoundedPool {
  return pools.create({
    max: 10,
    min: 5,
    connectionTimeoutMillis: 1_000,
    statement_timeout: 1_500,
    query_timeout: 2_000,
  });
}

describe('chaos', () => {
  it('survives every backend being terminated mid-load, twice', async () => {
    const table = await freshTable('terminate');
    const pool = chaosPool();
    await pool.whenIdle();
    const load = new Load(pool, table);
    try {
      await eventually('the load is running', () => load.count('acknowledged') >= 100, 10_000);
      for (let round = 0; round < 2; round++) {
        const terminatedAt = performance.now();
        expect(await db.terminateBackends(appName(pool))).toBeGreaterThan(0);
        await eventually(
          'writes are acknowledged again after the terminate',
          () => load.count('acknowledged', terminatedAt) >= 100,
          10_000,
        );
      }
    } finally {
      await load.stop();
    }
    expect(load.count('ambiguous') + load.count('refused')).toBeGreaterThan(0); // the chaos did bite
    expect(pool.stats().errors).toBeGreaterThan(0);
    await expectNoHangsNoLoss(load, table);
    await expectRecovered(pool);
  });

  it.skipIf(!canControlServer())('survives the server stopping and restarting mid-load', async () => {
    const table = await freshTable('restart');
    const pool = chaosPool();
    await pool.whenIdle();
    const load = new Load(pool, table);
    try {
      await eventually('the load is running', () => load.count('acknowledged') >= 100, 10_000);
      await db.stop();
      const stoppedAt = performance.now();
      // While the server is down every operation fails fast, none hangs.
      await eventually('operations fail while the server is down', () => load.count('refused', stoppedAt) >= 30);
      await db.start();
      const restartedAt = performance.now();
      await eventually('writes are acknowledged again after the restart', () => load.count('acknowledged', restartedAt) >= 100, 10_000);
    } finally {
      await load.stop();
    }
    await expectNoHangsNoLoss(load, table);
    await expectRecovered(pool);
  });
});
