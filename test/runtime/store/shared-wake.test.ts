/**
 * Wake-ups in shared mode that race the head waiter, on the in-memory store and a fake clock.
 * A store wrapper holds an answer, or the wake channel, on a deferred promise while the test
 * frees room in between; then it lets go. The waiter must ask again at once rather than sleep
 * on a stale "no" until the earliest lease expires or the time the store reported.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MemoryStore,
  Semaphore,
  TokenBucket,
  type LeaseDecision,
  type LimiterAlgorithm,
  type LimiterDecision,
  type StoreCallOptions,
  type StoreSubscription,
} from '../../../runtime/index.js';
import { fakeClock, type FakeClock } from '../rate-limit/fake-clock.js';
import { deferred, track } from '../helpers.js';

/** A point the store stops at until the test lets it go on. */
class Hold {
  readonly #reached = deferred();
  readonly #released = deferred();

  /** Settles once the store has stopped here. */
  get reached(): Promise<void> {
    return this.#reached.promise;
  }

  /** Lets the store go on. */
  release(): void {
    this.#released.resolve();
  }

  async pass(): Promise<void> {
    this.#reached.resolve();
    await this.#released.promise;
  }
}

/** The memory store as a slow network shows it: an answer or a subscription can be held back. */
class SlowStore extends MemoryStore {
  asks = 0;
  #answer: Hold | undefined;
  #subscription: Hold | undefined;

  /** The next decision is taken at once, on the state of that moment, but answered only when released. */
  holdNextAnswer(): Hold {
    return (this.#answer = new Hold());
  }

  /** The next subscription goes live only when released. */
  holdNextSubscription(): Hold {
    return (this.#subscription = new Hold());
  }

  override acquire(key: string, limit: number, holderId: string, ttlMs: number, options?: StoreCallOptions): Promise<LeaseDecision> {
    this.asks++;
    return this.#held(super.acquire(key, limit, holderId, ttlMs, options));
  }

  override tryAcquire(key: string, algorithm: LimiterAlgorithm, cost: number, options?: StoreCallOptions): Promise<LimiterDecision> {
    this.asks++;
    return this.#held(super.tryAcquire(key, algorithm, cost, options));
  }

  /** Subscriptions made and not yet unsubscribed. */
  live = 0;

  override async subscribe(key: string, onWake: () => void): Promise<StoreSubscription> {
    const hold = this.#subscription;
    this.#subscription = undefined;
    if (hold !== undefined) await hold.pass();
    const subscription = await super.subscribe(key, onWake);
    this.live++;
    return {
      unsubscribe: async () => {
        this.live--;
        await subscription.unsubscribe();
      },
    };
  }

  async #held<T>(decision: Promise<T>): Promise<T> {
    const hold = this.#answer;
    this.#answer = undefined;
    if (hold === undefined) return decision;
    const answer = await decision;
    await hold.pass();
    return answer;
  }
}

let clock: FakeClock;
let store: SlowStore;

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0);
  clock = fakeClock(2_000_000);
  store = new SlowStore({ now: clock.now });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('shared Semaphore wake-ups', () => {
  /** A semaphore whose wake channel is live, and a lease on `key` held by another process. */
  async function busySemaphore(key: string): Promise<Semaphore> {
    const sem = new Semaphore(1, { name: key, store });
    (await sem.acquire()).release();
    await clock.advance(1);
    await store.acquire(key, 1, 'other-process:1', 30_000);
    return sem;
  }

  it('a release announced while the head is asking makes it ask again, not sleep out the lease', async () => {
    const sem = await busySemaphore('ask');
    const asksBefore = store.asks;
    const hold = store.holdNextAnswer();
    const waiting = track(sem.acquire());
    await hold.reached;
    // The store has said "no" (the other lease is live); before the answer arrives, the other
    // process releases and the store announces it.
    await store.release('ask', 'other-process:1');
    await clock.advance(1);
    hold.release();
    await clock.advance(5);
    expect(waiting.current().state).toBe('fulfilled');
    // The stale "no", then the "yes".
    expect(store.asks - asksBefore).toBe(2);
    sem.close();
  });

  it('a release announced before the wake channel is live is made up for once it is live', async () => {
    await store.acquire('early', 1, 'other-process:1', 30_000);
    const sem = new Semaphore(1, { name: 'early', store });
    const subscribing = store.holdNextSubscription();
    const waiting = track(sem.acquire());
    await subscribing.reached;
    await clock.advance(10);
    expect(waiting.current().state).toBe('pending');
    // Nobody listens yet: the announcement is lost.
    await store.release('early', 'other-process:1');
    await clock.advance(1);
    expect(waiting.current().state).toBe('pending');
    subscribing.release();
    await clock.advance(5);
    expect(waiting.current().state).toBe('fulfilled');
    sem.close();
  });

  it('a wake-up while asking costs one more question when there is still no room, then it sleeps', async () => {
    const sem = await busySemaphore('busy');
    const asksBefore = store.asks;
    const hold = store.holdNextAnswer();
    const waiting = track(sem.acquire());
    await hold.reached;
    sem.resize(1);
    hold.release();
    await clock.advance(1_000);
    expect(waiting.current().state).toBe('pending');
    expect(store.asks - asksBefore).toBe(2);
    sem.close();
  });
});

describe('shared TokenBucket wake-ups', () => {
  /** A bucket (1 per minute) whose wake channel is live and whose only token is spent. */
  async function emptyBucket(key: string): Promise<TokenBucket> {
    const bucket = new TokenBucket({ rate: 1, per: '1m', burst: 1, name: key, store });
    await bucket.acquire();
    await clock.advance(1);
    return bucket;
  }

  it('a reset announced while the head is asking makes it ask again, not sleep out the refill', async () => {
    const bucket = await emptyBucket('ask');
    const asksBefore = store.asks;
    const hold = store.holdNextAnswer();
    const waiting = track(bucket.acquire());
    await hold.reached;
    await store.reset('ask');
    await clock.advance(1);
    hold.release();
    await clock.advance(5);
    expect(waiting.current().state).toBe('fulfilled');
    expect(store.asks - asksBefore).toBe(2);
    bucket.close();
  });

  it('a reset announced before the wake channel is live is made up for once it is live', async () => {
    const subscribing = store.holdNextSubscription();
    const bucket = new TokenBucket({ rate: 1, per: '1m', burst: 1, name: 'early', store });
    await bucket.acquire();
    const waiting = track(bucket.acquire());
    await subscribing.reached;
    await clock.advance(10);
    expect(waiting.current().state).toBe('pending');
    await store.reset('early');
    await clock.advance(1);
    expect(waiting.current().state).toBe('pending');
    subscribing.release();
    await clock.advance(5);
    expect(waiting.current().state).toBe('fulfilled');
    bucket.close();
  });
});

describe('wake channel across outages', () => {
  it('a recovery replaces the subscription instead of adding one: no wake handler leaks per outage', async () => {
    const bucket = new TokenBucket({ rate: 100, name: 'leak', store, probeIntervalMs: 100 });
    await bucket.acquire();
    await clock.advance(1);
    expect(store.live).toBe(1);
    for (let outage = 0; outage < 3; outage++) {
      store.simulateOutage(new Error('down'));
      await expect(bucket.acquire()).rejects.toThrow(/unavailable/);
      store.simulateOutage(undefined);
      await clock.advance(100);
      expect(bucket.storeAvailable).toBe(true);
      await bucket.acquire();
      await clock.advance(1);
    }
    expect(store.live).toBe(1);
    bucket.close();
    await clock.advance(1);
    expect(store.live).toBe(0);
  });
});
