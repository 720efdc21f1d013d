/**
 * Hostile probes of Redis key names (issue 21, item 16): Redis Cluster hashes a key by its first
 * `{…}` (the first `{` to the first `}` after it). Keys were `<prefix>:{<name>}:<part>` with the
 * name as given, so a limit named `}x` had no hash tag at all (every key hashed whole, each to
 * its own slot) and every call failed with CROSSSLOT; `a}b` was tagged `{a}`. The name now goes
 * in escaped (`%` → `%25`, `{` → `%7B`, `}` → `%7D`), so the tag is always the whole name.
 *
 * The cluster probes start a throwaway `redis-server --cluster-enabled yes` owning every slot
 * (as test/runtime/store/redis-cluster.test.ts does), so they need the `redis-server` binary.
 */
import { execFileSync } from 'node:child_process';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSlot, hashTagName, redisLimitKeys } from '../../runtime/store/redis-scripts.js';
import { RedisStore } from '../../runtime/store/redis.js';
import { SlidingWindow } from '../../runtime/index.js';
import { startRedisServer, waitForPing, type RedisServer } from '../helpers/redis.js';

/** Names that each used to break the hash tag one way or another. */
const HOSTILE_NAMES = ['}x', '}', '{', '{}', '}{', 'a}b', 'a{b', '{x}', '{{', '}}', 'x}{y', '%7B', '%', '%25', 'ünï}cødé'];

/** The hash tag Redis Cluster reads from a key, or undefined when it hashes the whole key. */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

describe('hostile: every key of a limit carries exactly the intended hash tag, whatever its name', () => {
  it.each(HOSTILE_NAMES)('%s: one tag, the escaped whole name, on every key', (name) => {
    const keys: readonly string[] = Object.values(redisLimitKeys('bounded', name));
    const tags = new Set(keys.map(hashTag));
    expect([...tags]).toEqual([hashTagName(name)]);
    expect(hashTagName(name)).not.toMatch(/[{}]/);
    expect(new Set(keys.map(clusterSlot)).size).toBe(1);
  });

  it('keeps the keys of plain names as they were (no rename under a rolling deploy)', () => {
    expect(redisLimitKeys('bounded', 'openai').bucket).toBe('bounded:{openai}:tb');
    expect(redisLimitKeys('svc', 'a:b/c d').leases).toBe('svc:{a:b/c d}:sem');
  });

  it('never maps two names to the same keys', () => {
    const names = [...HOSTILE_NAMES, '%7D', '%257B', 'x', '%2'];
    const buckets = names.map((name) => redisLimitKeys('bounded', name).bucket);
    expect(new Set(buckets).size).toBe(names.length);
  });
});

const haveBinary = ((): boolean => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveBinary && Boolean(process.env.REDIS_URL))('hostile: limit names on Redis Cluster', () => {
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
    store = new RedisStore({ client: cluster, namespace: 'hostile', operationTimeoutMs: 2_000 });
  });

  afterAll(async () => {
    await store?.close();
    cluster?.disconnect();
    await server?.destroy();
  });

  it('the server puts every key of each hostile name in one slot (CLUSTER KEYSLOT)', async () => {
    for (const name of HOSTILE_NAMES) {
      const slots = new Set<number>();
      const keys: readonly string[] = Object.values(store.keys(name));
      for (const key of keys) slots.add(Number(await cluster.cluster('KEYSLOT', key)));
      expect(slots.size, name).toBe(1);
    }
  });

  it.each(HOSTILE_NAMES)('%s: every script runs without CROSSSLOT', async (name) => {
    const bucket = { kind: 'token-bucket', rate: 10, perMs: 1_000, burst: 2 } as const;
    const window = { kind: 'sliding-window', limit: 2, perMs: 1_000 } as const;
    expect((await store.tryAcquire(name, bucket, 2)).admitted).toBe(true);
    expect((await store.tryAcquire(name, bucket, 1)).admitted).toBe(false);
    expect((await store.tryAcquire(name, window, 2)).admitted).toBe(true);
    expect((await store.tryAcquire(name, window, 1)).admitted).toBe(false);
    await store.penalize(name, 10_000);
    await store.reset(name);
    expect((await store.tryAcquire(name, window, 1)).admitted).toBe(true);
    expect(await store.acquire(name, 1, 'a', 5_000)).toMatchObject({ acquired: true });
    expect(await store.acquire(name, 1, 'b', 5_000)).toMatchObject({ acquired: false });
    expect(await store.renew(name, 'a', 5_000)).toBe(true);
    expect((await store.holders(name)).map((lease) => lease.holderId)).toEqual(['a']);
    const woken = new Promise<void>((resolve) => {
      void store.subscribe(name, resolve).then(() => store.release(name, 'a'));
    });
    await woken;
    expect(await store.acquire(name, 1, 'b', 5_000)).toMatchObject({ acquired: true });
    await store.release(name, 'b');
    await store.reset(name);
  });

  it('a SlidingWindow named "}openai" keeps its exact limit through the cluster, apart from "openai"', async () => {
    const hostile = new SlidingWindow({ limit: 3, per: '10s', name: '}openai', store });
    const plain = new SlidingWindow({ limit: 3, per: '10s', name: 'openai', store });
    try {
      for (let i = 0; i < 3; i++) await hostile.acquire({ timeoutMs: 2_000 });
      await expect(hostile.acquire({ timeoutMs: 100 })).rejects.toThrow(/timed out/);
      // The other limit is untouched by the first one's admissions.
      for (let i = 0; i < 3; i++) await plain.acquire({ timeoutMs: 2_000 });
    } finally {
      hostile.close();
      plain.close();
      await store.reset('}openai');
      await store.reset('openai');
    }
  });
});
