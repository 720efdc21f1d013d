/**
 * perKey: one limit per key, made on first use, dropped once idle and unused for idleTtlMs (never
 * while in use), at most maxKeys at once. Fake timers and a fake performance clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Semaphore,
  SlidingWindow,
  TokenBucket,
  createMemoryStore,
  isTooManyKeysError,
  perKey,
  type PerKeyEviction,
  type Permit,
} from '../../runtime/index.js';
import { flush, track } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('perKey', () => {
  it('makes one resource per key on first use and hands the same one back after', () => {
    const made: string[] = [];
    const tenants = perKey((key) => {
      made.push(key);
      return new Semaphore(2, { name: key });
    });
    const a = tenants.get('a');
    expect(tenants.get('a')).toBe(a);
    expect(tenants.get('b')).not.toBe(a);
    expect(made).toEqual(['a', 'b']);
    expect([tenants.size, tenants.has('a'), tenants.peek('c')]).toEqual([2, true, undefined]);
  });

  it('limits each key on its own: one tenant at its limit does not hold back another', async () => {
    const tenants = perKey(() => new Semaphore(1));
    const held = await tenants.get('a').acquire();
    const queued = track(tenants.get('a').acquire());
    const other = track(tenants.get('b').acquire());
    await flush();
    expect([queued.current().state, other.current().state]).toEqual(['pending', 'fulfilled']);
    held.release();
    await flush();
    expect(queued.current().state).toBe('fulfilled');
  });

  it('drops a key once idle and unused for idleTtlMs, never while a permit is held or a caller waits', async () => {
    const evicted: PerKeyEviction<Semaphore>[] = [];
    const tenants = perKey(() => new Semaphore(1), { idleTtlMs: 1_000 });
    tenants.onEvicted((event) => evicted.push(event));
    const busy = tenants.get('busy');
    const permit: Permit = busy.tryAcquire()!;
    const waiter = track(busy.acquire());
    tenants.get('idle');
    vi.advanceTimersByTime(1_000);
    expect(evicted.map((e) => [e.key, e.reason])).toEqual([['idle', 'idle']]);
    expect(tenants.has('busy')).toBe(true);
    permit.release();
    await flush();
    (await waiter.promise).release();
    // Idle now, and unused for long enough at the next sweep.
    vi.advanceTimersByTime(1_000);
    expect(evicted.map((e) => e.key)).toEqual(['idle', 'busy']);
    expect(tenants.size).toBe(0);
    // Nothing left, no timer left: the group keeps nothing alive.
    expect(vi.getTimerCount()).toBe(0);
    // A key used again is made afresh.
    expect(tenants.get('busy')).not.toBe(busy);
  });

  it('keeps a rate limiter until it is back to full capacity: dropping it early would hand out a new burst', () => {
    const tenants = perKey(() => new TokenBucket({ rate: 10, per: 10_000 }), { idleTtlMs: 100 });
    const bucket = tenants.get('t');
    for (let i = 0; i < 10; i++) expect(bucket.tryAcquire()).toBe(true);
    // Unused for far longer than idleTtlMs, but spent: one token back a second.
    vi.advanceTimersByTime(5_000);
    expect(tenants.get('t')).toBe(bucket);
    expect(bucket.tryAcquire()).toBe(true);
    vi.advanceTimersByTime(10_200);
    expect(tenants.has('t')).toBe(false);
    const window = perKey(() => new SlidingWindow({ limit: 2, per: 1_000 }), { idleTtlMs: 100 });
    window.get('w').tryAcquire();
    vi.advanceTimersByTime(500);
    expect(window.has('w')).toBe(true);
    vi.advanceTimersByTime(600);
    expect(window.has('w')).toBe(false);
  });

  it('holds at most maxKeys: a new key evicts the least recently used idle one, or is refused when all are in use', async () => {
    const evicted: string[] = [];
    const tenants = perKey(() => new Semaphore(1), { maxKeys: 2, name: 'tenants' });
    tenants.onEvicted((event) => evicted.push(`${event.key}:${event.reason}`));
    tenants.get('a');
    tenants.get('b');
    tenants.get('a'); // a is now the most recently used
    tenants.get('c');
    expect(evicted).toEqual(['b:capacity']);
    const held = [tenants.get('a').tryAcquire()!, tenants.get('c').tryAcquire()!];
    let error: unknown;
    try {
      tenants.get('d');
    } catch (caught) {
      error = caught;
    }
    expect(isTooManyKeysError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'TooManyKeysError',
      maxKeys: 2,
      resource: 'tenants',
      message: 'perKey "tenants" holds maxKeys 2 keys, all in use: a new key was refused',
    });
    held[0]!.release();
    expect(tenants.get('d')).toBeInstanceOf(Semaphore);
    expect(evicted).toEqual(['b:capacity', 'a:capacity']);
  });

  it('drops a key with a shared store once nobody waits, without waiting for capacity (the state is in the store)', async () => {
    const store = createMemoryStore();
    const tenants = perKey((key) => new TokenBucket({ rate: 1, per: 60_000, store, key: `tenant:${key}` }), { idleTtlMs: 100 });
    const bucket = tenants.get('t');
    expect(bucket.store).toBe(store);
    vi.advanceTimersByTime(200);
    expect(tenants.has('t')).toBe(false);
    tenants.close();
    await store.close();
  });

  it('closes every resource on close and refuses new keys', async () => {
    const tenants = perKey(() => new Semaphore(1));
    const sem = tenants.get('a');
    const held = sem.tryAcquire()!;
    const waiter = track(sem.acquire());
    tenants.close();
    await flush();
    expect(waiter.current().state).toBe('rejected');
    expect(sem.closed).toBe(true);
    expect(() => tenants.get('b')).toThrow(new TypeError('perKey is closed'));
    held.release();
  });

  it('validates its arguments', () => {
    expect(() => perKey(undefined as never)).toThrow(new TypeError('Expected `create` to be a function, got undefined'));
    expect(() => perKey(() => new Semaphore(1), { maxKeys: 0 })).toThrow(
      new TypeError('Expected `maxKeys` to be a positive integer or Infinity, got 0'),
    );
    expect(() => perKey(() => new Semaphore(1), { idleTtlMs: -1 })).toThrow(/idleTtlMs/);
    const bad = perKey(() => ({}) as never);
    expect(() => bad.get('k')).toThrow(new TypeError('Expected `create` to return a Semaphore or a limiter, got an object'));
    expect(() => bad.get(1 as never)).toThrow(new TypeError('Expected `key` to be a string, got 1'));
  });
});
