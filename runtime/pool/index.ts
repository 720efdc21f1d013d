/** PostgreSQL pools that stay inside their limits: `createPool` / `getPool` over pg's Pool. */
export { createPool, getPool } from './registry.js';
export type {
  AcquireClientOptions,
  BoundedPoolConfig,
  ClientTask,
  IsolationLevel,
  PoolAcquireEvent,
  PoolCloseOptions,
  PoolErrorEvent,
  PoolHealth,
  PoolRejectionEvent,
  PoolReleaseEvent,
  PoolState,
  PoolStats,
  TransactionOptions,
  WithClientOptions,
} from './types.js';
export type { BoundedPool } from './pool.js';
export type { PooledClient, QueryOptions } from './client.js';
export {
  PoolConnectionError,
  isPoolConnectionError,
  type PoolConnectionDetails,
  type PoolConnectionPhase,
} from './errors.js';
