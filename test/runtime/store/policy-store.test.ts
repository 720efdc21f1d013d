/**
 * `store:` in the policy file: parsed and checked with file:line:col problems, and built by the
 * ConcurrencyManager into shared limits (against the real PostgreSQL server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy, policyJsonSchema } from '../../../policy/index.js';
import { ConcurrencyManager, SlidingWindow, type Semaphore, type TokenBucket } from '../../../runtime/index.js';
import { testDatabase, type TestDatabase } from '../../helpers/postgres.js';

const FILE = '/srv/app/bounded.policy.yaml';

function problems(text: string, env: Record<string, string> = {}): string[] {
  return parsePolicy(text, FILE, { env }).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
}

describe('store in the policy file', () => {
  it('resolves store, onStoreError, fallback and leaseTtl', () => {
    const result = parsePolicy(
      [
        'version: 1',
        'rateLimits:',
        '  openai:',
        '    rate: 60',
        '    per: 1m',
        '    store: { kind: postgres, url: env:DATABASE_URL, schema: limits, operationTimeout: 500ms }',
        '    onStoreError: failOpen',
        '    fallback: { rate: 10 }',
        'semaphores:',
        '  agents:',
        '    limit: 10',
        '    store: { kind: redis, url: "redis://cache:6379", keyPrefix: svc }',
        '    leaseTtl: 10s',
        '  local:',
        '    limit: 3',
        '    store: { kind: memory }',
      ].join('\n'),
      FILE,
      { env: { DATABASE_URL: 'postgres://u:p@db/app' } },
    );
    expect(result.problems).toEqual([]);
    const policy = result.policy!;
    expect(policy.rateLimits.openai).toMatchObject({
      store: { kind: 'postgres', url: 'postgres://u:p@db/app', urlRef: 'env:DATABASE_URL', schema: 'limits', operationTimeoutMs: 500 },
      onStoreError: 'failOpen',
      fallback: { rate: 10 },
    });
    expect(policy.semaphores.agents).toMatchObject({
      store: { kind: 'redis', url: 'redis://cache:6379', keyPrefix: 'svc' },
      onStoreError: 'failClosed',
      leaseTtlMs: 10_000,
    });
    // kind: memory is the per-process default: no store at all.
    expect(policy.semaphores.local!.store).toBeUndefined();
    expect(policy.rateLimits.anthropic!.store).toBeUndefined();
  });

  it('reports mistakes with file:line:col', () => {
    expect(
      problems(
        [
          'version: 1',
          'rateLimits:',
          '  a:',
          '    rate: 1',
          '    store: { kind: postgres }',
          '  b:',
          '    rate: 1',
          '    spacing: even',
          '    store: { kind: postgres, url: "postgres://x", keyPrefix: p }',
          '  c:',
          '    rate: 1',
          '    onStoreError: failOpen',
          '  d:',
          '    rate: 1',
          '    store: { kind: mongo, url: x }',
          'semaphores:',
          '  s:',
          '    limit: 2',
          '    store: { kind: postgres, url: "postgres://x", schema: "Bad-Name" }',
          '    onStoreError: sometimes',
        ].join('\n'),
      ),
    ).toEqual([
      '5:5 rateLimits.a.store: missing url (the postgres:// connection string, or env:NAME)',
      '8:14 rateLimits.b.spacing: spacing: even paces one process and cannot be shared; remove it or the store',
      '9:51 rateLimits.b.store.keyPrefix: keyPrefix applies only to kind: redis',
      '12:5 rateLimits.c.onStoreError: onStoreError applies only with a shared store (store.kind postgres or redis)',
      '15:20 rateLimits.d.store.kind: expected one of "memory", "postgres", "redis", got "mongo"',
      '19:59 semaphores.s.store.schema: expected a lower-case SQL identifier, got "Bad-Name"',
      '20:19 semaphores.s.onStoreError: expected one of "failClosed", "failOpen", got "sometimes"',
    ]);
  });

  it('is in the JSON Schema editors use', () => {
    const schema = policyJsonSchema() as { properties: Record<string, { additionalProperties: { properties: Record<string, unknown> } }> };
    expect(Object.keys(schema.properties.rateLimits!.additionalProperties.properties)).toEqual(
      expect.arrayContaining(['store', 'onStoreError', 'fallback']),
    );
    expect(Object.keys(schema.properties.semaphores!.additionalProperties.properties)).toEqual(
      expect.arrayContaining(['store', 'onStoreError', 'fallback', 'leaseTtl']),
    );
  });
});

describe('ConcurrencyManager with a shared store', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await testDatabase();
  });

  afterAll(async () => {
    await db?.query('DROP SCHEMA IF EXISTS bounded_manager CASCADE').catch(() => undefined);
    await db?.close();
  });

  it('builds shared limiters and semaphores from the policy, one store per connection', async () => {
    const text = [
      'version: 1',
      'rateLimits:',
      '  provider:',
      '    rate: 2',
      '    per: 1m',
      '    store: { kind: postgres, url: env:STORE_URL, schema: bounded_manager }',
      '  tokens:',
      '    algorithm: token-bucket',
      '    rate: 100',
      '    store: { kind: postgres, url: env:STORE_URL, schema: bounded_manager }',
      '    onStoreError: failOpen',
      'semaphores:',
      '  workers:',
      '    limit: 1',
      '    store: { kind: postgres, url: env:STORE_URL, schema: bounded_manager }',
    ].join('\n');
    const env = { STORE_URL: db.url };
    const managers = [0, 1].map(() => ConcurrencyManager.fromPolicy(parsePolicy(text, FILE, { env }).policy));
    try {
      const [first, second] = managers as [ConcurrencyManager, ConcurrencyManager];
      const provider = first.limiter('provider') as SlidingWindow;
      expect(provider).toBeInstanceOf(SlidingWindow);
      expect(provider.store?.kind).toBe('postgres');
      expect((first.limiter('tokens') as TokenBucket).store).toBe(provider.store);
      // Two managers (two replicas) share the limit of 2 per minute.
      await provider.acquire();
      await second.limiter('provider').acquire();
      await expect(second.limiter('provider').acquire({ timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
      // And the semaphore of 1.
      const permit = await first.semaphore('workers').acquire();
      const other: Semaphore = second.semaphore('workers');
      await expect(other.acquire({ timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
      permit.release();
      const next = await other.acquire({ timeoutMs: 5_000 });
      next.release();
    } finally {
      await Promise.all(managers.map((manager) => manager.close({ drainMs: 1_000 })));
    }
  });

  it('names the unset environment variable of a store url', () => {
    const text = ['version: 1', 'rateLimits:', '  p:', '    rate: 1', '    store: { kind: postgres, url: env:NOT_SET_ANYWHERE }'].join(
      '\n',
    );
    const manager = ConcurrencyManager.fromPolicy(parsePolicy(text, FILE, { env: {} }).policy);
    expect(() => manager.limiter('p')).toThrow(/rateLimits\.p\.store\.url is env:NOT_SET_ANYWHERE, which is not set/);
  });
});
