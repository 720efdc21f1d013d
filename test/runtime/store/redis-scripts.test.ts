/**
 * The Redis store's Lua scripts against a real redis-server (REDIS_URL, or a throwaway server
 * started on demand by the global setup).
 *
 * Time inside Redis is the server's own clock (`TIME`) and cannot be faked, so the timing
 * checks use short real windows (100–400 ms) with generous bounds, and say so. Exactness checks
 * ("never more than the limit in any window") read the store's own log of admission times, so
 * they do not depend on how late the test process saw a reply.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStoreUnavailableError } from '../../../runtime/errors.js';
import { clusterSlot, redisLimitKeys } from '../../../runtime/store/redis-scripts.js';
import { RedisStore, createRedisStore } from '../../../runtime/store/redis.js';
import { testRedis } from '../../helpers/redis.js';
import { mostInWindow, watchAdmissions } from './redis-harness.js';

let client: Redis;
let store: RedisStore;
let redisUrl: string;
let unique = 0;
/** A key no other test (or earlier run against REDIS_URL) has used. */
const fresh = (label: string): string => `${label}-${process.pid}-${Date.now()}-${unique++}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const redis = await testRedis();
  redisUrl = redis.url;
  client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
  await client.connect();
  store = new RedisStore({ client, namespace: 'bounded-test' });
});

afterAll(async () => {
  await store?.close();
  client?.disconnect();
});

describe('key naming', () => {
  it('puts every key of one limit under its {name} hash tag, in one Cluster slot', () => {
    const keys = redisLimitKeys('bounded', 'openai');
    expect(keys).toEqual({
      bucket: 'bounded:{openai}:tb',
      window: 'bounded:{openai}:sw',
      windowMeta: 'bounded:{openai}:sw:meta',
      penalty: 'bounded:{openai}:penalty',
      leases: 'bounded:{openai}:sem',
      wake: 'bounded:{openai}:wake',
    });
    const slots = new Set(Object.values(keys).map(clusterSlot));
    expect(slots).toEqual(new Set([clusterSlot('openai')]));
    // Redis Cluster's reference values (cluster spec): CRC16-XMODEM of "123456789" is 0x31C3.
    expect(clusterSlot('123456789')).toBe(0x31c3);
    expect(clusterSlot('foo{123456789}bar')).toBe(0x31c3);
    // Different limits spread over slots.
    expect(clusterSlot(redisLimitKeys('bounded', 'anthropic').bucket)).not.toBe(clusterSlot(keys.bucket));
  });

  it('refuses a namespace with braces (it would move the hash tag)', () => {
    expect(() => new RedisStore({ client, namespace: 'a{b}' })).toThrow(/without braces/);
    expect(() => store.keys('')).toThrow(/non-empty string/);
  });
});

describe('token bucket', () => {
  it('admits the burst at once, then refuses with the time until the cost has refilled', async () => {
    const key = fresh('tb');
    // One token per 10 s: what refills while the test runs stays far below one token.
    const algorithm = { kind: 'token-bucket', rate: 1, perMs: 10_000, burst: 5 } as const;
    const remaining: number[] = [];
    const first = performance.now();
    for (let i = 0; i < 5; i++) {
      const decision = await store.tryAcquire(key, algorithm, 1);
      expect(decision.admitted).toBe(true);
      expect(decision.retryAfterMs).toBe(0);
      remaining.push(decision.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const refused = await store.tryAcquire(key, algorithm, 1);
    const elapsed = performance.now() - first;
    expect(refused).toMatchObject({ admitted: false, remaining: 0 });
    // One token takes 10 s; what refilled since the first admission is already counted (the
    // store's span lies within the one watched here).
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(10_000 - elapsed);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
    const costly = await store.tryAcquire(key, algorithm, 3);
    expect(costly.retryAfterMs).toBeGreaterThan(20_000);
    expect(costly.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('admits a refused call once its retry-after has passed (real time, 100 ms per token)', async () => {
    const key = fresh('tb-retry');
    const algorithm = { kind: 'token-bucket', rate: 10, perMs: 1_000, burst: 1 } as const;
    expect((await store.tryAcquire(key, algorithm, 1)).admitted).toBe(true);
    // Ask until refused (a busy machine may take a token's time between two calls), then wait
    // exactly what the store said.
    let refusal: number | undefined;
    for (let attempt = 0; attempt < 5 && refusal === undefined; attempt++) {
      const decision = await store.tryAcquire(key, algorithm, 1);
      if (!decision.admitted) refusal = decision.retryAfterMs;
    }
    expect(refusal).toBeGreaterThan(0);
    expect(refusal).toBeLessThanOrEqual(100);
    await sleep(refusal! + 2);
    expect((await store.tryAcquire(key, algorithm, 1)).admitted).toBe(true);
  });

  it('answers "never" for a cost above the burst', async () => {
    const decision = await store.tryAcquire(fresh('tb'), { kind: 'token-bucket', rate: 10, perMs: 1_000, burst: 5 }, 6);
    expect(decision).toMatchObject({ admitted: false, retryAfterMs: Number.POSITIVE_INFINITY });
  });

  it('admits at most burst + rate × T over a real 600 ms span (real time; lower bound generous)', async () => {
    const key = fresh('tb-rate');
    const algorithm = { kind: 'token-bucket', rate: 50, perMs: 1_000, burst: 5 } as const;
    const started = performance.now();
    let admitted = 0;
    let asked = 0;
    // Four callers at once, so a slow round trip on a busy machine still keeps the bucket empty.
    const loop = async (): Promise<void> => {
      while (performance.now() - started < 600 && asked < 20_000) {
        asked++;
        if ((await store.tryAcquire(key, algorithm, 1)).admitted) admitted++;
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    const elapsed = performance.now() - started;
    // The store's clock runs over at most the span watched here, so the bound holds exactly.
    expect(admitted).toBeLessThanOrEqual(5 + Math.ceil((50 * elapsed) / 1_000));
    // From below, a saturated bucket admits nearly all of it; half allows for a stalled machine.
    expect(admitted).toBeGreaterThanOrEqual(5 + Math.floor((50 * 600) / 1_000 / 2));
  });
});

describe('sliding window', () => {
  it('admits `limit` in a window and tells a refused call when the oldest entry leaves', async () => {
    const key = fresh('sw');
    const algorithm = { kind: 'sliding-window', limit: 4, perMs: 1_000 } as const;
    const first = performance.now();
    for (let i = 0; i < 4; i++) expect((await store.tryAcquire(key, algorithm, 1)).admitted).toBe(true);
    const refused = await store.tryAcquire(key, algorithm, 1);
    const elapsed = performance.now() - first;
    expect(refused).toMatchObject({ admitted: false, remaining: 0 });
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1_000 - elapsed);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    expect(await client.zcard(store.keys(key).window)).toBe(4);
    await sleep(refused.retryAfterMs + 2);
    expect((await store.tryAcquire(key, algorithm, 1)).admitted).toBe(true);
  });

  it('takes a cost all or nothing and waits for enough cost to leave', async () => {
    const key = fresh('sw-cost');
    const algorithm = { kind: 'sliding-window', limit: 10, perMs: 5_000 } as const;
    const first = performance.now();
    expect(await store.tryAcquire(key, algorithm, 3)).toMatchObject({ admitted: true, remaining: 7 });
    await sleep(200);
    const second = performance.now();
    expect(await store.tryAcquire(key, algorithm, 6)).toMatchObject({ admitted: true, remaining: 1 });
    // Room for 2 comes when the first entry (cost 3) leaves, 5 s after it was admitted.
    const refused = await store.tryAcquire(key, algorithm, 2);
    expect(refused.admitted).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(5_000 - (performance.now() - first));
    expect(refused.retryAfterMs).toBeLessThanOrEqual(5_000 - 200);
    // Room for 5 needs the second entry (cost 6) to leave too: 5 s after it.
    const bigger = await store.tryAcquire(key, algorithm, 5);
    expect(bigger.retryAfterMs).toBeGreaterThan(refused.retryAfterMs);
    expect(bigger.retryAfterMs).toBeGreaterThanOrEqual(5_000 - (performance.now() - second));
    expect(bigger.retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(await store.tryAcquire(key, algorithm, 11)).toMatchObject({ retryAfterMs: Number.POSITIVE_INFINITY });
    expect((await store.tryAcquire(key, algorithm, 1)).admitted).toBe(true);
    expect(await client.hget(store.keys(key).windowMeta, 'sum')).toBe('10');
  });

  it('never holds more than `limit` in any window, by the store own clock (real time, 800 ms)', async () => {
    const key = fresh('sw-exact');
    const algorithm = { kind: 'sliding-window', limit: 7, perMs: 150 } as const;
    // Every admission the server makes, with its time by the server's clock (MONITOR).
    const watch = await watchAdmissions(redisUrl, store.keys(key).window);
    const started = performance.now();
    let admitted = 0;
    let asked = 0;
    const loop = async (): Promise<void> => {
      while (performance.now() - started < 800 && asked < 20_000) {
        asked++;
        if ((await store.tryAcquire(key, algorithm, 1)).admitted) admitted++;
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    await watch.stop();
    expect(watch.entries.size).toBe(admitted);
    const times = [...watch.entries.values()];
    expect(mostInWindow(times, 150)).toBe(7);
    // Saturated: 7 per 150 ms over 800 ms is about 40; half allows for a stalled machine.
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted).toBeLessThanOrEqual(7 * Math.ceil(800 / 150 + 1));
  });

  it('recounts the running sum when its hash is lost, and never reuses a live member', async () => {
    const key = fresh('sw-sum');
    const algorithm = { kind: 'sliding-window', limit: 3, perMs: 10_000 } as const;
    await store.tryAcquire(key, algorithm, 2);
    await client.del(store.keys(key).windowMeta);
    expect(await store.tryAcquire(key, algorithm, 2)).toMatchObject({ admitted: false });
    expect(await store.tryAcquire(key, algorithm, 1)).toMatchObject({ admitted: true, remaining: 0 });
    // Same cost twice across a lost hash: the second member must not overwrite the first.
    const again = fresh('sw-seq');
    const pair = { kind: 'sliding-window', limit: 2, perMs: 10_000 } as const;
    await store.tryAcquire(again, pair, 1);
    await client.del(store.keys(again).windowMeta);
    expect(await store.tryAcquire(again, pair, 1)).toMatchObject({ admitted: true, remaining: 0 });
    expect(await store.tryAcquire(again, pair, 1)).toMatchObject({ admitted: false });
    expect(await client.zrange(store.keys(again).window, 0, -1)).toEqual(['1:1', '2:1']);
  });
});

describe('penalties and reset', () => {
  it('pauses both algorithms until the penalty ends; a shorter penalty never shortens it', async () => {
    const key = fresh('pen');
    const bucket = { kind: 'token-bucket', rate: 100, perMs: 1_000, burst: 10 } as const;
    const window = { kind: 'sliding-window', limit: 10, perMs: 1_000 } as const;
    const penalized = performance.now();
    await store.penalize(key, 250);
    await store.penalize(key, 50);
    const paused = await store.tryAcquire(key, bucket, 1);
    expect(paused.admitted).toBe(false);
    // The 250 ms pause is in force, not the 50 ms one (the store's span lies within ours).
    expect(paused.retryAfterMs).toBeGreaterThanOrEqual(250 - (performance.now() - penalized));
    expect(paused.retryAfterMs).toBeLessThanOrEqual(250);
    const windowPaused = await store.tryAcquire(key, window, 1);
    if (performance.now() - penalized < 250) expect(windowPaused.admitted).toBe(false);
    await sleep(paused.retryAfterMs + 2);
    expect((await store.tryAcquire(key, bucket, 1)).admitted).toBe(true);
    expect((await store.tryAcquire(key, window, 1)).admitted).toBe(true);
  });

  it('reset forgets the state and wakes the subscribers', async () => {
    const key = fresh('reset');
    const window = { kind: 'sliding-window', limit: 1, perMs: 60_000 } as const;
    await store.tryAcquire(key, window, 1);
    await store.penalize(key, 60_000);
    let woken = 0;
    const wake = new Promise<void>((resolve) => {
      void store
        .subscribe(key, () => {
          woken++;
          resolve();
        })
        .then(async (subscription) => {
          await store.reset(key);
          await wake;
          await subscription.unsubscribe();
        });
    });
    await wake;
    expect(woken).toBe(1);
    expect(await store.tryAcquire(key, window, 1)).toMatchObject({ admitted: true });
    expect(await client.exists(store.keys(key).penalty)).toBe(0);
  });
});

describe('leased semaphore', () => {
  it('grants up to `limit` leases, renews an existing holder instead of taking a second permit', async () => {
    const key = fresh('sem');
    const granted = [];
    for (const holder of ['a', 'b', 'c']) granted.push(await store.acquire(key, 3, holder, 5_000));
    expect(granted.map((g) => [g.acquired, g.holders])).toEqual([
      [true, 1],
      [true, 2],
      [true, 3],
    ]);
    expect(await store.acquire(key, 3, 'b', 5_000)).toMatchObject({ acquired: true, holders: 3 });
    const refused = await store.acquire(key, 3, 'd', 5_000);
    expect(refused.acquired).toBe(false);
    expect(refused.holders).toBe(3);
    expect(refused.retryAfterMs).toBeGreaterThan(4_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(5_000);
    const holders = await store.holders(key);
    expect(holders.map((h) => h.holderId).sort()).toEqual(['a', 'b', 'c']);
    expect(await client.zcard(store.keys(key).leases)).toBe(3);
  });

  it('release frees a permit and wakes waiters; releasing twice is harmless', async () => {
    const key = fresh('sem-release');
    await store.acquire(key, 1, 'a', 5_000);
    const woken = new Promise<string>((resolve) => {
      void store
        .subscribe(key, () => resolve('woken'))
        .then((subscription) => store.release(key, 'a').then(() => woken.then(() => subscription.unsubscribe())));
    });
    expect(await woken).toBe('woken');
    await store.release(key, 'a');
    expect(await store.acquire(key, 1, 'b', 5_000)).toMatchObject({ acquired: true, holders: 1 });
  });

  it('an unrenewed lease expires by the store clock; renew keeps a live one (real time, 600 ms leases)', async () => {
    const key = fresh('sem-ttl');
    await store.acquire(key, 2, 'crashed', 600);
    await store.acquire(key, 2, 'alive', 600);
    const granted = performance.now();
    expect((await store.acquire(key, 2, 'waiting', 600)).acquired).toBe(false);
    // Renew "alive" every 100 ms until "crashed", never renewed, has expired.
    while (performance.now() - granted < 700) {
      await sleep(100);
      expect(await store.renew(key, 'alive', 600)).toBe(true);
    }
    expect(await store.renew(key, 'crashed', 600)).toBe(false);
    expect((await store.holders(key)).map((h) => h.holderId)).toEqual(['alive']);
    expect(await store.acquire(key, 2, 'waiting', 600)).toMatchObject({ acquired: true, holders: 2 });
    const [lease] = (await store.holders(key)).filter((h) => h.holderId === 'alive');
    expect(lease!.expiresInMs).toBeGreaterThan(0);
    expect(lease!.expiresInMs).toBeLessThanOrEqual(600);
  });
});

describe('scripts and errors', () => {
  it('reloads the scripts after SCRIPT FLUSH (EVALSHA falls back to EVAL on NOSCRIPT)', async () => {
    const key = fresh('noscript');
    const window = { kind: 'sliding-window', limit: 5, perMs: 1_000 } as const;
    await store.tryAcquire(key, window, 1);
    await client.script('FLUSH');
    expect(await store.tryAcquire(key, window, 1)).toMatchObject({ admitted: true, remaining: 3 });
  });

  it('throws what Redis answers to a wrong request as is, not as an outage', async () => {
    const key = fresh('wrongtype');
    await client.set(store.keys(key).bucket, 'not a hash');
    const error = await store
      .tryAcquire(key, { kind: 'token-bucket', rate: 1, perMs: 1_000, burst: 1 }, 1)
      .catch((caught: unknown) => caught);
    expect(isStoreUnavailableError(error)).toBe(false);
    expect(String(error)).toMatch(/WRONGTYPE/);
  });

  it('rejects with StoreUnavailableError within the timeout when nothing listens', async () => {
    const away = new Redis({ port: 1, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    away.on('error', () => undefined);
    const offline = new RedisStore({ client: away, operationTimeoutMs: 300 });
    const started = performance.now();
    const error = await offline.ping().catch((caught: unknown) => caught);
    expect(isStoreUnavailableError(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(String(error)).toMatch(/^StoreUnavailableError: Store redis 127\.0\.0\.1:1 prefix bounded unavailable/);
    await offline.close();
    away.disconnect();
  });

  it('validates its arguments up front', async () => {
    await expect(store.tryAcquire('k', { kind: 'token-bucket', rate: 0, perMs: 1_000, burst: 1 }, 1)).rejects.toThrow(
      /`rate` to be a positive number, got 0/,
    );
    await expect(store.acquire('k', 1.5, 'a', 1_000)).rejects.toThrow(/`limit` to be a positive integer/);
    await expect(store.acquire('k', 1, '', 1_000)).rejects.toThrow(/`holderId`/);
    await expect(store.penalize('k', -1)).rejects.toThrow(/`ms`/);
  });
});

describe('ioredis stays an optional peer', () => {
  it('the store module imports only its types, and loads it on demand', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../../../runtime/store/redis.ts', import.meta.url), 'utf8');
    const imports = source.match(/^import\b[^;]*?from '[^']+';/gms) ?? [];
    const ioredis = imports.filter((statement) => statement.endsWith("from 'ioredis';"));
    expect(ioredis.length).toBeGreaterThan(0);
    for (const statement of ioredis) expect(statement).toMatch(/^import type /);
    expect(source).toMatch(/import\('ioredis'\)/);
  });

  it('createRedisStore refuses a URL that is not redis:// or rediss://', async () => {
    await expect(createRedisStore({ url: 'postgres://localhost' })).rejects.toThrow(/redis:\/\/ or rediss:\/\//);
  });
});
