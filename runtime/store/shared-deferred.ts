/**
 * A store that is still being created: its calls wait for it. The manager builds limiters
 * synchronously from the policy, while some stores are created asynchronously (the Redis store
 * loads ioredis on demand); this stands in for such a store until it is ready.
 */
import { StoreUnavailableError } from '../errors.js';
import type {
  LeaseDecision,
  LeaseInfo,
  LimiterAlgorithm,
  LimiterDecision,
  SharedStore,
  StoreCallOptions,
  StoreKind,
  StoreSubscription,
} from './types.js';

/**
 * A `SharedStore` whose calls go to the store `create()` resolves to. When creating it fails
 * with `StoreUnavailableError`, the next call tries again; any other failure (a missing
 * package, a bad URL) is a configuration error, and every call rejects with it.
 */
export function deferredStore(kind: StoreKind, description: string, create: () => Promise<SharedStore>): SharedStore {
  let pending: Promise<SharedStore> | undefined;
  let closed = false;
  const store = (): Promise<SharedStore> => {
    if (closed)
      return Promise.reject(new StoreUnavailableError({ store: description, operation: 'connect', cause: new Error('store closed') }));
    pending ??= create().catch((error: unknown) => {
      if (error instanceof StoreUnavailableError) pending = undefined;
      throw error;
    });
    return pending;
  };
  return {
    kind,
    description,
    tryAcquire: (key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions): Promise<LimiterDecision> =>
      store().then((s) => s.tryAcquire(key, algorithm, cost, options)),
    penalize: (key: string, ms: number, options?: StoreCallOptions): Promise<void> => store().then((s) => s.penalize(key, ms, options)),
    reset: (key: string, options?: StoreCallOptions): Promise<void> => store().then((s) => s.reset(key, options)),
    acquire: (key: string, limit: number, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<LeaseDecision> =>
      store().then((s) => s.acquire(key, limit, holderId, ttlMs, options)),
    renew: (key: string, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<boolean> =>
      store().then((s) => s.renew(key, holderId, ttlMs, options)),
    release: (key: string, holderId: string, options?: StoreCallOptions): Promise<void> =>
      store().then((s) => s.release(key, holderId, options)),
    holders: (key: string, options?: StoreCallOptions): Promise<readonly LeaseInfo[]> => store().then((s) => s.holders(key, options)),
    ping: (options?: StoreCallOptions): Promise<void> => store().then((s) => s.ping(options)),
    subscribe: (key: string, onWake: () => void): Promise<StoreSubscription> => store().then((s) => s.subscribe(key, onWake)),
    close: async (): Promise<void> => {
      closed = true;
      const created = await pending?.catch(() => undefined);
      await created?.close();
    },
  };
}
