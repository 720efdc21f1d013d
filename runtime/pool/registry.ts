import { BoundedPool, assertName } from './pool.js';
import type { BoundedPoolConfig } from './types.js';

/** Open pools by name. A pool leaves the registry when it is closed. */
const pools = new Map<string, BoundedPool>();

function forget(pool: BoundedPool): void {
  if (pools.get(pool.name) === pool) pools.delete(pool.name);
}

/**
 * Creates a pool, or returns the open pool of that name (default "default") if there is one:
 * an application gets one pool per name however often it asks, never a second set of
 * connections. The config of a later call is then ignored.
 *
 * ```ts
 * const db = createPool({ name: 'main', connectionString: process.env.DATABASE_URL, max: 20 });
 * ```
 */
export function createPool(config: BoundedPoolConfig = {}): BoundedPool {
  const name = config.name ?? 'default';
  assertName(name);
  const existing = pools.get(name);
  if (existing !== undefined) return existing;
  const pool = new BoundedPool({ ...config, name }, forget);
  pools.set(name, pool);
  return pool;
}

/**
 * The open pool called `name`; creates it from `config` (pg's environment variables fill in
 * what it leaves out) the first time.
 *
 * ```ts
 * export const db = () => getPool('main', { connectionString: process.env.DATABASE_URL });
 * ```
 */
export function getPool(name: string, config?: Omit<BoundedPoolConfig, 'name'>): BoundedPool {
  assertName(name);
  return pools.get(name) ?? createPool({ ...config, name });
}
