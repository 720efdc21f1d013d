/**
 * The SQL of the PostgreSQL store, one builder per statement, for a schema name already
 * checked and quoted. Every decision is one statement: `INSERT … ON CONFLICT … DO UPDATE …
 * RETURNING` on the limiter's one row. The row lock taken by ON CONFLICT serialises racing
 * callers; the SET expressions read the locked, latest version of the row and the server's
 * `clock_timestamp()` after the lock was granted, so time never runs backwards within a row
 * (it is also clamped to the row's last update).
 *
 * Times are milliseconds since the epoch as float8 (sub-microsecond precision at today's
 * epoch). Parameters are cast explicitly: pg sends them as text.
 */

/** Milliseconds since the epoch by the server's clock, read when evaluated (not at statement start). */
const CLOCK = 'extract(epoch FROM clock_timestamp()) * 1000';

/** Floating-point slack when comparing costs (matches the in-memory limiters). */
const EPSILON = '1e-9';

export interface Sql {
  readonly schema: string;
  readonly createSchema: string[];
  readonly tokenBucket: string;
  readonly slidingWindow: string;
  readonly penalize: string;
  readonly reset: string;
  readonly semaphoreAcquire: string;
  readonly semaphoreRenew: string;
  readonly semaphoreRelease: string;
  readonly semaphoreHolders: string;
}

/** Quotes a checked identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// eslint-disable-next-line max-lines-per-function -- one table of every SQL statement for one schema name; splitting scatters the schema
export function buildSql(schemaName: string): Sql {
  const s = quoteIdent(schemaName);
  const limits = `${s}.rate_limits`;
  const semaphores = `${s}.semaphores`;
  return {
    schema: schemaName,
    createSchema: [
      `CREATE SCHEMA IF NOT EXISTS ${s}`,
      // One row per rate limit. A token bucket uses tokens/tokens_ms, a sliding window the log
      // arrays; a penalty (paused_until_ms) holds both. `admitted` is the last decision, so
      // RETURNING can report it.
      `CREATE TABLE IF NOT EXISTS ${limits} (
         key text PRIMARY KEY,
         tokens float8,
         tokens_ms float8,
         log_times float8[],
         log_costs float8[],
         paused_until_ms float8 NOT NULL DEFAULT 0,
         admitted boolean NOT NULL DEFAULT false,
         updated_ms float8 NOT NULL
       )`,
      // One row per semaphore: its live leases as two parallel arrays.
      `CREATE TABLE IF NOT EXISTS ${semaphores} (
         key text PRIMARY KEY,
         holders text[] NOT NULL DEFAULT '{}',
         expires_ms float8[] NOT NULL DEFAULT '{}',
         acquired boolean NOT NULL DEFAULT false,
         updated_ms float8 NOT NULL
       )`,
    ],

    // $1 key, $2 rate, $3 per ms, $4 burst, $5 cost. A new bucket starts full.
    tokenBucket: `
      INSERT INTO ${limits} AS b (key, tokens, tokens_ms, admitted, updated_ms)
      SELECT $1::text, GREATEST(0, $4::float8 - $5::float8), c.t, $5::float8 <= $4::float8, c.t
        FROM (SELECT ${CLOCK} AS t) c
      ON CONFLICT (key) DO UPDATE SET (tokens, tokens_ms, admitted, updated_ms) = (
        SELECT CASE WHEN y.ok THEN GREATEST(0, y.r - $5::float8) ELSE y.r END, y.t, y.ok, y.t
          FROM (SELECT x.t, x.r, x.t >= b.paused_until_ms AND x.r >= $5::float8 - ${EPSILON} AS ok
                  FROM (SELECT n.t,
                               CASE WHEN b.tokens IS NULL THEN $4::float8
                                    ELSE LEAST($4::float8, b.tokens + GREATEST(0, n.t - b.tokens_ms) * $2::float8 / $3::float8)
                               END AS r
                          FROM (SELECT GREATEST(b.updated_ms, ${CLOCK}) AS t) n) x) y)
      RETURNING b.admitted, b.tokens AS level, b.paused_until_ms, b.updated_ms`,

    // $1 key, $2 limit, $3 per ms, $4 cost. The log keeps admissions of the last `per`, oldest
    // first; an entry at t counts in [t, t + per). retry_ms walks the log from the oldest entry
    // until enough cost will have left the window.
    slidingWindow: `
      INSERT INTO ${limits} AS b (key, log_times, log_costs, admitted, updated_ms)
      SELECT $1::text,
             CASE WHEN $4::float8 <= $2::float8 THEN ARRAY[c.t] ELSE '{}'::float8[] END,
             CASE WHEN $4::float8 <= $2::float8 THEN ARRAY[$4::float8] ELSE '{}'::float8[] END,
             $4::float8 <= $2::float8, c.t
        FROM (SELECT ${CLOCK} AS t) c
      ON CONFLICT (key) DO UPDATE SET (log_times, log_costs, admitted, updated_ms) = (
        SELECT CASE WHEN y.ok THEN y.kt || y.t ELSE y.kt END,
               CASE WHEN y.ok THEN y.kc || $4::float8 ELSE y.kc END,
               y.ok, y.t
          FROM (SELECT w.t, w.kt, w.kc, w.t >= b.paused_until_ms AND w.used + $4::float8 <= $2::float8 + ${EPSILON} AS ok
                  FROM (SELECT n.t,
                               COALESCE(array_agg(u.lt ORDER BY u.o) FILTER (WHERE u.lt > n.t - $3::float8), '{}') AS kt,
                               COALESCE(array_agg(u.lc ORDER BY u.o) FILTER (WHERE u.lt > n.t - $3::float8), '{}') AS kc,
                               COALESCE(sum(u.lc) FILTER (WHERE u.lt > n.t - $3::float8), 0) AS used
                          FROM (SELECT GREATEST(b.updated_ms, ${CLOCK}) AS t) n
                          LEFT JOIN unnest(b.log_times, b.log_costs) WITH ORDINALITY AS u(lt, lc, o) ON true
                         GROUP BY n.t) w) y)
      RETURNING b.admitted, b.paused_until_ms, b.updated_ms,
        (SELECT COALESCE(sum(c), 0) FROM unnest(b.log_costs) AS c) AS level,
        CASE WHEN b.admitted THEN 0 ELSE
          (SELECT z.lt + $3::float8 - b.updated_ms
             FROM (SELECT u.lt, u.o, sum(u.lc) OVER (ORDER BY u.o) AS cum, sum(u.lc) OVER () AS tot
                     FROM unnest(b.log_times, b.log_costs) WITH ORDINALITY AS u(lt, lc, o)) z
            WHERE z.tot - z.cum + $4::float8 <= $2::float8 + ${EPSILON}
            ORDER BY z.o LIMIT 1)
        END AS retry_ms`,

    // $1 key, $2 ms. Extends a penalty in force, never shortens it.
    penalize: `
      INSERT INTO ${limits} AS b (key, paused_until_ms, updated_ms)
      SELECT $1::text, c.t + $2::float8, c.t FROM (SELECT ${CLOCK} AS t) c
      ON CONFLICT (key) DO UPDATE SET paused_until_ms = GREATEST(b.paused_until_ms, EXCLUDED.paused_until_ms)`,

    // $1 key, $2 channel.
    reset: `
      WITH d AS (DELETE FROM ${limits} WHERE key = $1::text RETURNING key)
      SELECT pg_notify($2::text, d.key) FROM d`,

    // $1 key, $2 limit, $3 holder, $4 ttl ms. Expired leases are dropped in the same step; a
    // holder that still holds a live lease has it renewed.
    semaphoreAcquire: `
      INSERT INTO ${semaphores} AS b (key, holders, expires_ms, acquired, updated_ms)
      SELECT $1::text, ARRAY[$3::text], ARRAY[c.t + $4::float8], true, c.t
        FROM (SELECT ${CLOCK} AS t) c
      ON CONFLICT (key) DO UPDATE SET (holders, expires_ms, acquired, updated_ms) = (
        SELECT CASE WHEN y.ok THEN y.kh || $3::text ELSE y.kh END,
               CASE WHEN y.ok THEN y.ke || (y.t + $4::float8) ELSE y.ke END,
               y.ok, y.t
          FROM (SELECT w.t, w.kh, w.ke, w.had OR cardinality(w.kh) < $2::int AS ok
                  FROM (SELECT n.t,
                               COALESCE(array_agg(u.h ORDER BY u.o) FILTER (WHERE u.e > n.t AND u.h <> $3::text), '{}') AS kh,
                               COALESCE(array_agg(u.e ORDER BY u.o) FILTER (WHERE u.e > n.t AND u.h <> $3::text), '{}') AS ke,
                               COALESCE(bool_or(u.e > n.t AND u.h = $3::text), false) AS had
                          FROM (SELECT GREATEST(b.updated_ms, ${CLOCK}) AS t) n
                          LEFT JOIN unnest(b.holders, b.expires_ms) WITH ORDINALITY AS u(h, e, o) ON true
                         GROUP BY n.t) w) y)
      RETURNING b.acquired, cardinality(b.holders) AS holders,
        CASE WHEN b.acquired THEN 0
             ELSE COALESCE((SELECT min(e) FROM unnest(b.expires_ms) AS e) - b.updated_ms, 0)
        END AS retry_ms`,

    // $1 key, $2 holder, $3 ttl ms. Only a live lease is renewed: an expired one is lost.
    semaphoreRenew: `
      UPDATE ${semaphores} AS b SET (expires_ms, updated_ms) = (
        SELECT ARRAY(SELECT CASE WHEN u.h = $2::text THEN n.t + $3::float8 ELSE u.e END
                       FROM unnest(b.holders, b.expires_ms) WITH ORDINALITY AS u(h, e, o) ORDER BY u.o),
               n.t
          FROM (SELECT GREATEST(b.updated_ms, ${CLOCK}) AS t) n)
       WHERE b.key = $1::text
         AND EXISTS (SELECT 1 FROM unnest(b.holders, b.expires_ms) AS u(h, e)
                      WHERE u.h = $2::text AND u.e > ${CLOCK})
      RETURNING true AS renewed`,

    // $1 key, $2 holder, $3 channel. Drops the lease (and any expired ones) and wakes waiters.
    semaphoreRelease: `
      WITH r AS (
        UPDATE ${semaphores} AS b SET (holders, expires_ms) = (
          SELECT COALESCE(array_agg(u.h ORDER BY u.o), '{}'), COALESCE(array_agg(u.e ORDER BY u.o), '{}')
            FROM unnest(b.holders, b.expires_ms) WITH ORDINALITY AS u(h, e, o)
           WHERE u.h <> $2::text AND u.e > ${CLOCK})
         WHERE b.key = $1::text AND $2::text = ANY (b.holders)
        RETURNING b.key)
      SELECT pg_notify($3::text, r.key) FROM r`,

    // $1 key.
    semaphoreHolders: `
      SELECT u.h AS holder_id, u.e - n.t AS expires_in_ms
        FROM ${semaphores} AS b
        CROSS JOIN (SELECT ${CLOCK} AS t) n
        CROSS JOIN LATERAL unnest(b.holders, b.expires_ms) WITH ORDINALITY AS u(h, e, o)
       WHERE b.key = $1::text AND u.e > n.t
       ORDER BY u.o`,
  };
}
