/**
 * Shared-mode semaphores against the in-memory store, on a fake clock: permits are leases
 * shared by every Semaphore with the same store and key, renewed while held, expiring when
 * their holder stops renewing, and an unavailable store follows failClosed / failOpen.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, Semaphore, isStoreUnavailableError, type Permit, type StoreStatusEvent } from '../../../runtime/index.js';
import { fakeClock, type FakeClock } from '../rate-limit/fake-clock.js';
import { flush, track } from '../helpers.js';

let clock: FakeClock;
let store: MemoryStore;

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0);
  clock = fakeClock(5_000_000);
  store = new MemoryStore({ now: clock.now });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('shared Semaphore', () => {
  it('two Semaphore objects with one store and key share the permits', async () => {
    const a = new Semaphore(2, { name: 'db', store });
    const b = new Semaphore(2, { name: 'db', store });
    const p1 = await a.acquire();
    const p2 = await b.acquire();
    const third = track(a.acquire());
    await clock.advance(100);
    expect(third.current().state).toBe('pending');
    expect((await store.holders('db')).length).toBe(2);
    expect([a.inUse, b.inUse, a.waiting, a.sharedInUse]).toEqual([1, 1, 1, 2]);
    expect(a.tryAcquire()).toBeUndefined();
    // A release in the other object wakes the waiter through the store, long before any expiry.
    p2.release();
    await clock.advance(5);
    expect(third.current().state).toBe('fulfilled');
    p1.release();
    (third.current() as { value: Permit }).value.release();
    await clock.advance(5);
    expect(await store.holders('db')).toEqual([]);
    expect(a.inUse + b.inUse).toBe(0);
  });

  it('run releases the lease however the task ends', async () => {
    const sem = new Semaphore(1, { name: 'run', store });
    await expect(sem.run(() => 'ok')).resolves.toBe('ok');
    await expect(sem.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await clock.advance(1);
    expect(await store.holders('run')).toEqual([]);
    await expect(sem.run(async () => 2)).resolves.toBe(2);
  });

  it('renews held leases, so a long holder keeps its permit', async () => {
    const sem = new Semaphore(1, { name: 'long', store, leaseTtlMs: 300 });
    const permit = await sem.acquire();
    await clock.advance(2_000);
    const leases = await store.holders('long');
    expect(leases).toHaveLength(1);
    expect(leases[0]!.expiresInMs).toBeGreaterThan(100);
    expect(sem.leasesLost).toBe(0);
    permit.release();
  });

  it('a holder that stops renewing (a crashed process) loses its permit when the lease expires', async () => {
    // A lease taken by a "process" that then vanished: nobody renews or releases it.
    await store.acquire('crash', 1, 'dead-process:1', 1_000);
    const sem = new Semaphore(1, { name: 'crash', store, leaseTtlMs: 1_000 });
    const waiting = track(sem.acquire());
    await clock.advance(999);
    expect(waiting.current().state).toBe('pending');
    await clock.advance(2);
    expect(waiting.current().state).toBe('fulfilled');
    expect((await store.holders('crash')).map((lease) => lease.holderId)).not.toContain('dead-process:1');
  });

  it('times out, aborts and refuses past maxQueue like a local semaphore', async () => {
    const sem = new Semaphore(1, { name: 'wait', store, maxQueue: 2 });
    const rejected: string[] = [];
    sem.onRejected((event) => rejected.push(event.reason));
    await sem.acquire();
    const timedOut = track(sem.acquire({ timeoutMs: 50 }));
    const controller = new AbortController();
    const aborted = track(sem.acquire({ signal: controller.signal }));
    await expect(sem.acquire()).rejects.toMatchObject({ name: 'QueueFullError' });
    await clock.advance(50);
    controller.abort(new Error('stop'));
    await flush();
    expect((timedOut.current() as { reason: Error }).reason.name).toBe('TimeoutError');
    expect(aborted.current()).toEqual({ state: 'rejected', reason: new Error('stop') });
    expect(rejected).toEqual(['queue-full', 'timeout', 'abort']);
  });

  it('resize changes the shared limit for the next decision', async () => {
    const sem = new Semaphore(1, { name: 'grow', store });
    await sem.acquire();
    const second = track(sem.acquire());
    await clock.advance(10);
    expect(second.current().state).toBe('pending');
    sem.resize(2);
    await clock.advance(1);
    expect(second.current().state).toBe('fulfilled');
  });

  it('close rejects waiters; held permits stay valid until released', async () => {
    const sem = new Semaphore(1, { name: 'close', store });
    const held = await sem.acquire();
    const waiting = sem.acquire();
    sem.close();
    await expect(waiting).rejects.toMatchObject({ name: 'ClosedError' });
    expect((await store.holders('close')).length).toBe(1);
    held.release();
    await clock.advance(1);
    expect(await store.holders('close')).toEqual([]);
    await expect(sem.whenIdle()).resolves.toBeUndefined();
  });

  it('validates the shared options up front', () => {
    expect(() => new Semaphore(1, { store })).toThrow(/`key` or `name`/);
    expect(() => new Semaphore(Number.POSITIVE_INFINITY, { name: 'x', store })).toThrow(/finite/);
    expect(() => new Semaphore(1, { name: 'x', store, leaseTtlMs: 0 })).toThrow(/leaseTtlMs/);
  });
});

describe('store unavailable', () => {
  it('failClosed rejects with StoreUnavailableError, then recovers', async () => {
    const sem = new Semaphore(2, { name: 'fc', store, probeIntervalMs: 100 });
    const events: StoreStatusEvent[] = [];
    sem.onStoreStatus((event) => events.push(event));
    store.simulateOutage(new Error('ECONNREFUSED'));
    const error = await sem.acquire().catch((caught: unknown) => caught);
    expect(isStoreUnavailableError(error)).toBe(true);
    await expect(sem.run(() => 1)).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    store.simulateOutage(undefined);
    await clock.advance(100);
    expect(events.map((event) => event.state)).toEqual(['unavailable', 'recovered']);
    await expect(sem.run(() => 1)).resolves.toBe(1);
  });

  it('failOpen falls back to a local semaphore while the store is down', async () => {
    const sem = new Semaphore(10, { name: 'fo', store, onStoreError: 'failOpen', fallback: { limit: 1 }, probeIntervalMs: 100 });
    store.simulateOutage(new Error('down'));
    // The first call finds out the store is down; it and later ones go through the fallback.
    const first = await sem.acquire();
    const second = track(sem.acquire());
    await clock.advance(50);
    expect(second.current().state).toBe('pending');
    expect(sem.inUse).toBe(1);
    first.release();
    await flush();
    expect(second.current().state).toBe('fulfilled');
    store.simulateOutage(undefined);
    await clock.advance(100);
    expect(sem.storeAvailable).toBe(true);
    const shared = await sem.acquire();
    expect((await store.holders('fo')).length).toBe(1);
    shared.release();
  });

  it('a lease that cannot be renewed before it expires is reported lost', async () => {
    const sem = new Semaphore(1, { name: 'lost', store, leaseTtlMs: 300, probeIntervalMs: 50 });
    const permit = (await sem.acquire()) as Permit & { lost?: boolean };
    store.simulateOutage(new Error('down'));
    await clock.advance(400);
    store.simulateOutage(undefined);
    await clock.advance(200);
    expect(sem.leasesLost).toBe(1);
    expect(permit.lost).toBe(true);
    // The lost permit no longer counts here either; releasing it is harmless.
    expect(sem.inUse).toBe(0);
    permit.release();
  });
});
