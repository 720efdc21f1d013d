/**
 * Runs replicas (test/runtime/store/redis-child.ts) as real OS processes for the Redis store's
 * multi-process tests. The child is TypeScript and Node 20 cannot run that, so it is bundled
 * once per test file with esbuild (already here as vite's) into node_modules/.cache, where its
 * bare imports (ioredis) resolve from the project's node_modules; bounded's own code is bundled
 * in, so the child runs exactly the source under test.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildGo, ChildJob, ChildMessage } from './redis-child.js';
import { bundleForNode } from '../../helpers/bundle.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

let bundled: Promise<string> | undefined;

/** Bundles the child script (once per test file) and returns the path of the .mjs. */
export function childScript(): Promise<string> {
  bundled ??= (async () => {
    const outdir = join(root, 'node_modules', '.cache', 'bounded-test');
    await mkdir(outdir, { recursive: true });
    const outfile = join(outdir, `redis-child-${process.pid}.mjs`);
    await bundleForNode(join(here, 'redis-child.ts'), outfile);
    return outfile;
  })();
  return bundled;
}

export interface Replica {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first message of this type (rejects if the child fails or exits first). */
  next<T extends ChildMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<ChildMessage, { type: T }>>;
  /** Tells a `rate` or `semaphore` replica (after its `ready`) to start at `startAt` (Date.now() time). */
  go(startAt: number): void;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts one replica with `job`. Killed at the latest when the test process exits. */
export async function startReplica(job: ChildJob): Promise<Replica> {
  const script = await childScript();
  const child = fork(script, [JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });
  const inbox: ChildMessage[] = [];
  const waiting = new Set<() => void>();
  child.on('message', (message: ChildMessage) => {
    inbox.push(message);
    for (const wake of waiting) wake();
  });
  child.once('exit', () => {
    for (const wake of waiting) wake();
  });

  return {
    child,
    pid: child.pid!,
    next(type, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const failed = inbox.find((message) => message.type === 'failed');
          const index = inbox.findIndex((message) => message.type === type);
          if (index !== -1) {
            done();
            resolve(inbox.splice(index, 1)[0] as Extract<ChildMessage, { type: typeof type }>);
          } else if (failed !== undefined) {
            done();
            reject(new Error(`replica ${child.pid} failed: ${failed.error}\n${output}`));
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`replica ${child.pid} exited (${child.signalCode ?? child.exitCode}) before "${type}"\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`replica ${child.pid} sent no "${type}" within ${timeoutMs} ms\n${output}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiting.delete(check);
        };
        waiting.add(check);
        check();
      });
    },
    go(startAt) {
      const message: ChildGo = { type: 'go', startAt };
      child.send(message);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The most intervals [start, end) open at once. `pairs` is flat: start, end, start, end… */
export function mostAtOnce(pairs: readonly number[]): number {
  const events: [number, number][] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    events.push([pairs[i]!, 1], [pairs[i + 1]!, -1]);
  }
  // At equal times an end comes before a start: [a, b) and [b, c) do not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, step] of events) {
    open += step;
    if (open > most) most = open;
  }
  return most;
}

/** The most times falling in any window [t, t + windowMs). `times` need not be sorted. */
export function mostInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** What `watchAdmissions` collects. */
export interface AdmissionLog {
  /** Member → admission time (ms) by the server's clock, for every ZADD into the window key. */
  readonly entries: ReadonlyMap<string, number>;
  /** Stops watching; resolves once every command the server executed until now has been seen. */
  stop(): Promise<void>;
}

/**
 * Records every admission into a sliding window's sorted set, complete and by the server's
 * clock: MONITOR streams each command a script runs (`[0 lua] "ZADD" key score member`), and the
 * server buffers the stream while this process is busy, so unlike sampling the set nothing is
 * missed however long this process stalls. Speaks RESP on a plain socket (a MONITOR stream is
 * not a reply stream, which confuses clients that keep a command queue). Needs a server that
 * allows MONITOR (managed services may not).
 */
export async function watchAdmissions(url: string, windowKey: string): Promise<AdmissionLog> {
  const entries = new Map<string, number>();
  const markers = new Map<string, () => void>();
  const monitor = await rawConnection(url);
  let oks = monitor.authenticated ? 2 : 1;
  let started: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (started = resolve));
  let buffer = '';
  monitor.socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    let newline: number;
    while ((newline = buffer.indexOf('\r\n')) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 2);
      if (line === '+OK') {
        // AUTH answers +OK first when the URL carries credentials; MONITOR's is the last.
        if (--oks === 0) started?.();
        continue;
      }
      // +<time> [<db> lua] "ZADD" "<key>" "<score>" "<member>": a ZADD a script ran.
      const zadd = /^\+[\d.]+ \[\d+ lua\] "ZADD" "([^"\\]*)" "([^"\\]*)" "([^"\\]*)"$/.exec(line);
      if (zadd !== null) {
        if (zadd[1] === windowKey) entries.set(zadd[3]!, Number(zadd[2]));
        continue;
      }
      const marker = /"EXISTS" "([^"\\]*)"$/.exec(line);
      if (marker !== null) markers.get(marker[1]!)?.();
    }
  });
  await monitor.send('MONITOR');
  // Only once the server has answered +OK does it stream what other connections run.
  await ready;
  return {
    entries,
    async stop() {
      // A marker command through another connection: once MONITOR shows it, everything the
      // server executed before it has been seen.
      const marker = `bounded-monitor-marker-${process.pid}-${Date.now()}`;
      const seen = new Promise<void>((resolve) => markers.set(marker, resolve));
      const other = await rawConnection(url);
      await other.send(`EXISTS ${marker}`);
      other.socket.destroy();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([seen, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      monitor.socket.destroy();
    },
  };
}

/** A plain socket to the server of `url`, authenticated when the URL carries credentials. */
async function rawConnection(url: string): Promise<{ socket: Socket; authenticated: boolean; send(command: string): Promise<void> }> {
  const { hostname, port, username, password } = new URL(url);
  const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  // Inline commands: space-separated words (our keys and markers have no spaces).
  const send = (command: string): Promise<void> =>
    new Promise((resolve, reject) => socket.write(`${command}\r\n`, (error) => (error ? reject(error) : resolve())));
  if (password) {
    await send(`AUTH ${username ? `${decodeURIComponent(username)} ` : ''}${decodeURIComponent(password)}`);
  }
  return { socket, authenticated: Boolean(password), send };
}
