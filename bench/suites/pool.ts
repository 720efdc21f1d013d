/**
 * `npm run bench -- pool`: 2,000 simple queries (`select 1`) at concurrency 50 through
 * `createPool`, through raw pg `Pool` with the same size (target: within 5 %), and with a new
 * pg `Client` per query, the hazard createPool replaces (target: createPool at least 10×).
 *
 * The database is `DATABASE_URL` when set. Otherwise every measurement's child starts its own
 * throwaway server (runtime/stress/embedded-postgres.ts, on 127.0.0.1) before timing
 * and deletes it afterwards, so no measurement inherits another's connections or caches.
 * Pools hold 20 connections (the policy's max) and are warmed up before the clock starts.
 */
import pg from 'pg';
import { DEFAULT_POLICY } from '@bounded/policy';
import { createPool } from '@bounded/runtime';
import { startEmbeddedPostgres } from '@bounded/runtime/stress';
import type { Measurement, RunContext, Suite, SuiteOptions, Target } from '../suite.js';

const SCENARIO = 'c=50';
const CONCURRENCY = 50;
const POOL_SIZE = DEFAULT_POLICY.pool.max;
const QUERY = 'select 1';

const NAMES = {
  bounded: 'createPool.query',
  pool: 'pg.Pool.query',
  perQuery: 'floor:new-client-per-query',
} as const;

interface Counts {
  readonly warmup: number;
  readonly queries: number;
}

function counts(quick: boolean): Counts {
  return quick ? { warmup: 100, queries: 400 } : { warmup: 500, queries: 2_000 };
}

/** The database for one child: `DATABASE_URL`, or a server of its own for the child's lifetime. */
async function database(): Promise<{ url: string; release: () => Promise<void> }> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, release: async () => {} };
  const server = await startEmbeddedPostgres();
  return { url: server.url, release: () => server.destroy() };
}

/** Runs `total` queries from `CONCURRENCY` loops and returns queries per second. */
async function throughput(query: () => Promise<unknown>, total: number): Promise<number> {
  let left = total;
  const loop = async (): Promise<void> => {
    while (left > 0) {
      left--;
      await query();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return total / ((performance.now() - start) / 1000);
}

/** Start a database, build the query function, warm up, measure, clean up. */
function measurement(
  name: string,
  ratioVs: readonly string[],
  options: SuiteOptions,
  setup: (url: string) => { query: () => Promise<unknown>; close: () => Promise<void> },
): Measurement {
  const { warmup, queries } = counts(options.quick);
  return {
    name,
    scenario: SCENARIO,
    unit: 'ops/s',
    ratioVs,
    timeoutMs: 180_000,
    async run(_context: RunContext) {
      const db = await database();
      try {
        const { query, close } = setup(db.url);
        try {
          await throughput(query, warmup);
          return await throughput(query, queries);
        } finally {
          await close();
        }
      } finally {
        await db.release();
      }
    },
  };
}

const suite: Suite = {
  name: 'pool',
  description:
    `${counts(false).queries} \`${QUERY}\` queries at concurrency ${CONCURRENCY}: createPool against raw pg Pool ` +
    `(both ${POOL_SIZE} connections) and against a new pg Client per query; real PostgreSQL on 127.0.0.1`,
  measurements(options) {
    return [
      measurement(NAMES.pool, [], options, (url) => {
        const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
        // pg's end() resolves before the sockets close; the server's shutdown notice to a
        // closing connection must not crash the child (every pg.Pool needs this listener).
        pool.on('error', () => {});
        return { query: () => pool.query(QUERY), close: () => pool.end() };
      }),
      measurement(NAMES.bounded, [NAMES.pool, NAMES.perQuery], options, (url) => {
        const pool = createPool({ name: 'bench', connectionString: url, max: POOL_SIZE });
        return { query: () => pool.query(QUERY), close: () => pool.close() };
      }),
      // The hazard: connect (TCP, startup, SCRAM authentication, a new server process), one
      // query, disconnect — for every query.
      measurement(NAMES.perQuery, [], options, (url) => ({
        query: async () => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            return await client.query(QUERY);
          } finally {
            await client.end();
          }
        },
        close: async () => {},
      })),
    ];
  },
  targets(): readonly Target[] {
    return [
      { name: NAMES.bounded, scenario: SCENARIO, ratioVs: NAMES.pool, atLeast: 0.95, source: 'issue' },
      { name: NAMES.bounded, scenario: SCENARIO, ratioVs: NAMES.perQuery, atLeast: 10, source: 'issue' },
    ];
  },
};

export default suite;
