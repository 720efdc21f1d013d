/**
 * The Redis store on Redis Cluster: a real `redis-server --cluster-enabled yes` that owns all
 * 16,384 slots (a one-node cluster), driven through ioredis's `Cluster` client. Cluster refuses a
 * script whose keys hash to different slots (CROSSSLOT), so every script passing here shows the
 * `{name}` hash tags keep a limit's keys together, and the server's own CLUSTER KEYSLOT checks
 * our slot arithmetic.
 *
 * Starts its own server (the test owns it), so it needs the `redis-server` binary even under
 * REDIS_URL; it skips when the binary is missing there.
 */
import { execFileSync } from 'node:child_process';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSlot } from '../../../runtime/store/redis-scripts.js';
import { RedisStore } from '../../../runtime/store/redis.js';
import { startRedisServer, waitForPing, type RedisServer } from '../../helpers/redis.js';

const haveBinary = ((): boolean => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveBinary && Boolean(process.env.REDIS_URL))('on Redis Cluster', () => {
  let server: RedisServer;
  let cluster: Cluster;
  let store: RedisStore;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1'] });
    const admin = new Redis(server.port, '127.0.0.1');
    try {
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      for (let attempt = 0; attempt < 100; attempt++) {
        const info = String(await admin.call('CLUSTER', 'INFO'));
        if (info.includes('cluster_state:ok')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      admin.disconnect();
    }
    expect(await waitForPing(server.port, 5_000)).toBeUndefined();
    cluster = new Cluster([{ host: '127.0.0.1', port: server.port }], {
      enableOfflineQueue: true,
      redisOptions: { maxRetriesPerRequest: 0 },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cluster not ready: ${cluster.status}`)), 10_000);
      cluster.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    store = new RedisStore({ client: cluster, namespace: 'bounded', operationTimeoutMs: 2_000 });
  });

  afterAll(async () => {
    await store?.close();
    cluster?.disconnect();
    await server?.destroy();
  });

  it('hashes keys to the slots the server computes', async () => {
    for (const name of ['openai', 'anthropic', 'db-pool', 'a:b', 'ünïcødé']) {
      const keys: readonly string[] = Object.values(store.keys(name));
      for (const key of keys) {
        expect(await cluster.cluster('KEYSLOT', key)).toBe(clusterSlot(key));
      }
    }
  });

  it('runs every script without CROSSSLOT: rate limits, penalties, reset, leases, wake-ups', async () => {
    const key = `cluster-${Date.now()}`;
    const bucket = { kind: 'token-bucket', rate: 10, perMs: 1_000, burst: 2 } as const;
    const window = { kind: 'sliding-window', limit: 2, perMs: 1_000 } as const;
    expect((await store.tryAcquire(key, bucket, 2)).admitted).toBe(true);
    expect((await store.tryAcquire(key, bucket, 1)).admitted).toBe(false);
    expect((await store.tryAcquire(key, window, 2)).admitted).toBe(true);
    expect((await store.tryAcquire(key, window, 1)).admitted).toBe(false);
    await store.penalize(key, 10_000);
    await store.reset(key);
    expect((await store.tryAcquire(key, window, 1)).admitted).toBe(true);

    expect(await store.acquire(key, 1, 'a', 5_000)).toMatchObject({ acquired: true });
    expect(await store.acquire(key, 1, 'b', 5_000)).toMatchObject({ acquired: false });
    expect(await store.renew(key, 'a', 5_000)).toBe(true);
    expect((await store.holders(key)).map((lease) => lease.holderId)).toEqual(['a']);
    const woken = new Promise<void>((resolve) => {
      void store.subscribe(key, resolve).then(() => store.release(key, 'a'));
    });
    await woken;
    expect(await store.acquire(key, 1, 'b', 5_000)).toMatchObject({ acquired: true });
    await store.ping();
  });
});
