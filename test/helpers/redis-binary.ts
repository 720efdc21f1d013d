/**
 * Makes sure the Redis suites have a `redis-server`, once per test run (vitest.config.ts calls
 * it before any test file is collected), the way the PostgreSQL suites get their server:
 *
 * - `REDIS_URL` set, or `redis-server` (or `REDIS_SERVER_BIN`) runnable: nothing to do.
 * - Missing, and this process may install Debian's package (root, apt-get): install it, saying so
 *   in one line.
 * - Otherwise the suites that need it are left out, with one loud line naming them and how to
 *   enable them. Under `CI=true` they never are: the run fails instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';

function runnable(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function canInstall(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Test files that use a Redis server (they import test/helpers/redis.ts). */
export function redisSuites(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'corpus' && entry.name !== 'fixtures') walk(path);
      } else if (entry.name.endsWith('.test.ts') && /from '(\.\.\/)+helpers\/redis\.js'/.test(readFileSync(path, 'utf8'))) {
        found.push(relative(root, path));
      }
    }
  };
  walk(join(root, 'test'));
  return found.sort();
}

export interface RedisBinaryOutcome {
  readonly available: boolean;
  /** The one line to print, if any. */
  readonly message?: string;
}

/** See the module comment. `log` prints the one line; `install` is apt-get by default. */
export function ensureRedisBinary(
  root: string,
  {
    env = process.env,
    log = (line: string) => process.stderr.write(`${line}\n`),
    install = aptInstall,
    isRunnable = runnable,
    mayInstall = canInstall,
  } = {},
): RedisBinaryOutcome {
  if (env.REDIS_URL || isRunnable(BINARY)) return { available: true };
  if (mayInstall()) {
    log(`bounded tests: ${BINARY} is missing; installing Debian's redis-server package (apt-get install redis-server)…`);
    install();
    if (isRunnable(BINARY)) return { available: true };
  }
  const suites = redisSuites(root);
  const how = 'install redis-server (apt-get install redis-server, brew install redis) or set REDIS_URL to a server you own';
  if (env.CI === 'true') {
    throw new Error(`bounded tests: no ${BINARY}, and under CI=true the Redis suites never skip: ${how}`);
  }
  const message = `bounded tests: SKIPPING ${suites.length} Redis suites (no ${BINARY}): ${suites.join(', ')}. To run them, ${how}.`;
  log(message);
  return { available: false, message };
}

function aptInstall(): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'ignore', env, timeout: 300_000 });
}
