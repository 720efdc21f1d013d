/**
 * A real Redis server for the Redis store's tests and the `ratelimit` benchmark. Nothing is
 * mocked at the wire.
 *
 * - `REDIS_URL` set: every caller uses that server. It is not ours, so it cannot be stopped or
 *   restarted (`controllable` is false and the outage tests that need it skip).
 * - Otherwise a throwaway `redis-server` (Debian's `redis-server` package; `.ci/run` installs it
 *   when missing) runs on a free 127.0.0.1 port with persistence off and its working directory
 *   in a fresh temporary directory. Under vitest the global setup (test/helpers/global-setup.ts)
 *   owns the servers and serves a control endpoint on 127.0.0.1; `testRedis()` asks it for a
 *   server, so nothing starts until a test file needs Redis. The benchmark starts one itself
 *   with `startRedisServer()`.
 *
 * Stopping a server is an outage: the process exits and, with persistence off, its data is
 * gone when it starts again on the same port, as after a real failover to an empty replica.
 * The server dies with its owner: on exit it is killed synchronously; Ctrl-C reaches it directly
 * (it stays in the owner's process group, and redis-server shuts down on SIGINT); and a server
 * left behind by an owner killed with SIGKILL is stopped by the next start (its directory
 * records both pids).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Environment variable through which the global setup tells test workers its control URL. */
export const REDIS_CONTROL_ENV = 'BOUNDED_REDIS_CONTROL';

const DIR_PREFIX = 'bounded-redis-';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';

// ---------------------------------------------------------------------------------------------
// Server side: runs in the process that owns the server (vitest's main process, the bench).
// ---------------------------------------------------------------------------------------------

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Milliseconds from the call to the server answering PING. */
  readonly startupMs: number;
  /** True while the server process runs. */
  readonly running: boolean;
  /** Stops the server (SIGTERM, SIGKILL after 5 s). Its data is lost: persistence is off. */
  stop(): Promise<void>;
  /** Starts the stopped server again, on the same port, empty. */
  start(): Promise<void>;
  /** Stops the server and deletes its directory. Later calls do nothing. */
  destroy(): Promise<void>;
}

export interface RedisServerOptions {
  /** Receives the server's log lines. By default they are kept and shown only when start fails. */
  onLog?: (line: string) => void;
  /** More `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: readonly string[];
}

/** Starts a throwaway `redis-server`. Call `destroy()` when done; process exit kills it as a last resort. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const began = performance.now();
  removeStaleDirectories();
  const root = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(root, 'owner.pid'), `${process.pid}\n`);

  const logs: string[] = [];
  const onLog = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      const text = line.trimEnd();
      if (text === '') continue;
      options.onLog?.(text);
      logs.push(text);
    }
    if (logs.length > 200) logs.splice(0, logs.length - 200);
  };

  let port = await freePort();
  let child: ChildProcess | undefined;
  let destroyed = false;

  const killNow = (): void => {
    try {
      child?.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Gone already; the next start removes what is left.
    }
  };
  process.once('exit', killNow);

  const spawnServer = async (): Promise<void> => {
    const server = spawn(
      BINARY,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        root,
        '--pidfile',
        join(root, 'redis.pid'),
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
        '--loglevel',
        'warning',
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout.on('data', onLog);
    server.stderr.on('data', onLog);
    const exited = new Promise<string>((resolve) => {
      server.once('error', (error) => resolve(error.message));
      server.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
    });
    const failure = await Promise.race([waitForPing(port, START_TIMEOUT_MS), exited]);
    if (failure !== undefined) {
      server.kill('SIGKILL');
      const hint = /ENOENT/.test(failure) ? ` (is ${BINARY} installed? apt-get install redis-server, or set REDIS_URL)` : '';
      throw new Error(`redis-server did not start on 127.0.0.1:${port}: ${failure}${hint}\n${logs.slice(-30).join('\n')}`);
    }
    child = server;
  };

  const stopServer = async (): Promise<void> => {
    const server = child;
    child = undefined;
    if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    // The free port can be taken between the probe and the bind: try a few.
    for (let attempt = 1; ; attempt++) {
      try {
        await spawnServer();
        break;
      } catch (error) {
        if (attempt >= 3 || /ENOENT/.test(String(error))) throw error;
        port = await freePort();
      }
    }
  } catch (error) {
    process.removeListener('exit', killNow);
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    startupMs: performance.now() - began,
    get running() {
      return child !== undefined;
    },
    stop: stopServer,
    async start() {
      if (child !== undefined || destroyed) return;
      // The port was ours a moment ago; a stopped server's socket may linger briefly: retry.
      for (let attempt = 1; ; attempt++) {
        try {
          await spawnServer();
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stopServer();
      process.removeListener('exit', killNow);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves with undefined once a server on `port` answers PING, or with why it did not. Speaks
 * RESP on a plain socket, so the helper needs no Redis client.
 */
export async function waitForPing(port: number, timeoutMs: number): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    last = await pingOnce(port);
    if (last === '') return undefined;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return `not answering PING after ${timeoutMs} ms (${last})`;
}

/** '' when the server answered +PONG, otherwise what went wrong. */
function pingOnce(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (result: string): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1_000, () => done('PING timed out'));
    socket.once('error', (error) => done(error.message));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') ? '' : answer.trim());
    });
  });
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

/** Stops servers of earlier runs whose owner process is gone, and deletes their directories. */
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
      if (isAlive(Number.parseInt(readFileSync(ownerFile, 'utf8'), 10))) continue;
      const pidFile = join(root, 'redis.pid');
      if (existsSync(pidFile)) {
        const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Someone else's directory, or already gone.
    }
  }
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

/**
 * The global setup's side of the control endpoint: one server per name, started on the first
 * `ensure`, stop and start requests for one name run one after the other.
 */
export function redisControl(): {
  handle(name: string, action: 'ensure' | 'stop' | 'start'): Promise<unknown>;
  destroyAll(): Promise<void>;
} {
  const servers = new Map<string, Promise<RedisServer>>();
  const queues = new Map<string, Promise<unknown>>();
  const serialize = <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const next = (queues.get(name) ?? Promise.resolve()).then(step, step);
    queues.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  };
  const ensure = (name: string): Promise<RedisServer> => {
    let server = servers.get(name);
    if (server === undefined) {
      server = startRedisServer();
      server.catch(() => servers.delete(name));
      servers.set(name, server);
    }
    return server;
  };
  return {
    async handle(name, action) {
      const server = await ensure(name);
      switch (action) {
        case 'stop':
          await serialize(name, () => server.stop());
          return { ok: true };
        case 'start':
          await serialize(name, () => server.start());
          return { ok: true };
        default:
          return { url: server.url, startupMs: Math.round(server.startupMs) };
      }
    },
    async destroyAll() {
      for (const server of servers.values()) {
        await server.then(
          (started) => started.destroy(),
          () => undefined, // never started: nothing to stop
        );
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Test side: runs in test workers.
// ---------------------------------------------------------------------------------------------

export interface TestRedis {
  /** `redis://…` for the stores and clients under test. */
  readonly url: string;
  /** True when this run owns the server, so `stop()` and `start()` work. */
  readonly controllable: boolean;
  /** Stops the server: every connection drops and, persistence being off, its data is lost. */
  stop(): Promise<void>;
  /** Starts the server again after `stop()`, on the same port. */
  start(): Promise<void>;
}

export interface TestRedisOptions {
  /**
   * Which throwaway server: every distinct name gets a server of its own. Tests that stop and
   * restart the server take their own, so they never disturb tests running beside them.
   * Ignored under `REDIS_URL`. Default "shared".
   */
  server?: string;
}

/** Whether the run owns its Redis servers (no `REDIS_URL`), so tests may stop and restart them. */
export function canControlRedis(): boolean {
  return !process.env.REDIS_URL && Boolean(process.env[REDIS_CONTROL_ENV]);
}

/** The Redis server for this test file: `REDIS_URL`, or a throwaway server started on demand. */
export async function testRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external) {
    const refuse = (): Promise<void> => Promise.reject(new Error('This server is not ours (REDIS_URL): it cannot be stopped or restarted'));
    return { url: external, controllable: false, stop: refuse, start: refuse };
  }
  const control = process.env[REDIS_CONTROL_ENV];
  if (!control) {
    throw new Error('No Redis: set REDIS_URL, or run the tests through vitest so that test/helpers/global-setup.ts starts one');
  }
  const server = `${control}/redis/${encodeURIComponent(options.server ?? 'shared')}`;
  const { url } = (await call(`${server}/ensure`)) as { url: string };
  return {
    url,
    controllable: true,
    stop: async () => {
      await call(`${server}/stop`);
    },
    start: async () => {
      await call(`${server}/start`);
    },
  };
}

async function call(url: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(30_000) });
  const body = (await response.json()) as { error?: string };
  if (!response.ok) throw new Error(`Redis control ${url} failed: ${body.error ?? response.status}`);
  return body;
}
