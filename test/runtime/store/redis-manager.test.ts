/**
 * The policy file chooses the Redis store, and the manager builds it: two managers from one
 * policy file (two replicas, each with its own connections) share the limit and the semaphore
 * on a real Redis server (REDIS_URL, or a throwaway server started on demand).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConcurrencyManager } from '../../../runtime/manager.js';
import { redisLimitKeys } from '../../../runtime/store/redis-scripts.js';
import { testRedis } from '../../helpers/redis.js';

let dir: string;
let file: string;
let url: string;
const prefix = `mgr${process.pid}${Date.now()}`;

beforeAll(async () => {
  url = (await testRedis()).url;
  dir = await mkdtemp(join(tmpdir(), 'bounded-redis-policy-'));
  file = join(dir, 'bounded.policy.yaml');
  await writeFile(
    file,
    [
      'version: 1',
      'rateLimits:',
      '  provider:',
      '    algorithm: sliding-window',
      '    rate: 3',
      '    per: 1m',
      `    store: { kind: redis, url: env:BOUNDED_TEST_REDIS_URL, keyPrefix: ${prefix} }`,
      'semaphores:',
      '  jobs:',
      '    limit: 2',
      '    leaseTtl: 10s',
      `    store: { kind: redis, url: env:BOUNDED_TEST_REDIS_URL, keyPrefix: ${prefix} }`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('two managers from one policy share the Redis limit and semaphore', async () => {
  const env = { BOUNDED_TEST_REDIS_URL: url };
  const a = ConcurrencyManager.fromPolicy(file, { env });
  const b = ConcurrencyManager.fromPolicy(file, { env });
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    // 3 per minute between the two replicas: the fourth call, whoever makes it, waits.
    await a.limiter('provider').acquire({ timeoutMs: 5_000 });
    await b.limiter('provider').acquire({ timeoutMs: 5_000 });
    await a.limiter('provider').acquire({ timeoutMs: 5_000 });
    await expect(b.limiter('provider').acquire({ timeoutMs: 300 })).rejects.toThrow(/timed out/);
    expect(await admin.zcard(redisLimitKeys(prefix, 'provider').window)).toBe(3);

    // 2 permits between the two replicas.
    const first = await a.semaphore('jobs').acquire({ timeoutMs: 5_000 });
    const second = await b.semaphore('jobs').acquire({ timeoutMs: 5_000 });
    await expect(a.semaphore('jobs').acquire({ timeoutMs: 300 })).rejects.toThrow(/timed out/);
    expect(await admin.zcard(redisLimitKeys(prefix, 'jobs').leases)).toBe(2);
    // A release in one replica lets the other in, woken through pub/sub well before the lease
    // would expire (10 s; the waiter gives up after 5). The release comes at once, while the
    // waiter may still be asking or subscribing: that wake-up must not be lost either.
    const waiting = b.semaphore('jobs').acquire({ timeoutMs: 5_000 });
    first.release();
    const third = await waiting;
    second.release();
    third.release();
  } finally {
    admin.disconnect();
    await Promise.all([a.close(), b.close()]);
  }
});
