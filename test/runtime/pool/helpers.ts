/** Shared by the pool tests: pools that close themselves, and waits bounded in time. */
import { expect } from 'vitest';
import { createPool, type BoundedPool, type BoundedPoolConfig } from '../../../runtime/pool/index.js';

let counter = 0;

/** Creates pools with unique names and closes them all in one call (for afterEach). */
export function poolFactory(
  url: string,
  prefix: string,
): {
  create(config?: BoundedPoolConfig): BoundedPool;
  closeAll(): Promise<void>;
} {
  const open = new Set<BoundedPool>();
  return {
    create(config = {}) {
      const pool = createPool({
        name: `${prefix}-${process.pid}-${++counter}`,
        connectionString: url,
        ...config,
      });
      open.add(pool);
      return pool;
    },
    async closeAll() {
      const pools = [...open];
      open.clear();
      for (const pool of pools) await pool.close({ drainMs: 0 });
    },
  };
}

/** The application_name the pool's connections carry. */
export function appName(pool: BoundedPool): string {
  return `bounded:${pool.name}`;
}

/** After the work settled: nothing out, nobody waiting, every open connection idle. */
export async function expectSettled(pool: BoundedPool): Promise<void> {
  await pool.whenIdle();
  const stats = pool.stats();
  expect(stats.inUse).toBe(0);
  expect(stats.waiting).toBe(0);
  expect(stats.idle).toBe(stats.total);
}

/** Polls `check` until it returns true; fails after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Still not true after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a promise settled with, without throwing. */
export async function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The rejection of a promise that must reject. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const result = await outcome(promise);
  if (result.ok) throw new Error('Expected the promise to reject, it resolved');
  return result.error;
}
