/** How a run without redis-server gets one, or leaves the Redis suites out (issue 13, item 5). */
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ensureRedisBinary, redisSuites } from '../helpers/redis-binary.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('ensureRedisBinary', () => {
  it('finds the Redis suites by what they import', () => {
    const suites = redisSuites(ROOT);
    expect(suites).toContain('test/runtime/store/redis-scripts.test.ts');
    expect(suites).toContain('test/runtime/store/redis-cluster.test.ts');
    expect(suites).not.toContain('test/runtime/semaphore.test.ts');
  });

  it('does nothing when redis-server runs or REDIS_URL is set', () => {
    const install = vi.fn();
    expect(ensureRedisBinary(ROOT, { env: {}, isRunnable: () => true, install, log: vi.fn() })).toEqual({ available: true });
    expect(ensureRedisBinary(ROOT, { env: { REDIS_URL: 'redis://127.0.0.1:1' }, isRunnable: () => false, install, log: vi.fn() })).toEqual({
      available: true,
    });
    expect(install).not.toHaveBeenCalled();
  });

  it('installs it when it may, saying so in one line', () => {
    let installed = false;
    const log = vi.fn();
    const outcome = ensureRedisBinary(ROOT, {
      env: {},
      isRunnable: () => installed,
      mayInstall: () => true,
      install: () => (installed = true),
      log,
    });
    expect(outcome.available).toBe(true);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/installing Debian's redis-server package/);
  });

  it('skips the Redis suites loudly, naming them and how to enable them', () => {
    const log = vi.fn();
    const outcome = ensureRedisBinary(ROOT, { env: {}, isRunnable: () => false, mayInstall: () => false, install: vi.fn(), log });
    expect(outcome.available).toBe(false);
    expect(log).toHaveBeenCalledTimes(1);
    expect(outcome.message).toMatch(
      /^bounded tests: SKIPPING \d+ Redis suites .*test\/runtime\/store\/redis-scripts\.test\.ts.*set REDIS_URL/,
    );
  });

  it('never skips under CI=true', () => {
    expect(() =>
      ensureRedisBinary(ROOT, { env: { CI: 'true' }, isRunnable: () => false, mayInstall: () => false, install: vi.fn(), log: vi.fn() }),
    ).toThrow(/under CI=true the Redis suites never skip/);
  });
});
