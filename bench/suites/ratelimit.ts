/**
 * The `ratelimit` suite: bounded's TokenBucket and SlidingWindow against the npm rate limiters
 * (bottleneck, limiter, p-throttle, rate-limiter-flexible), on what a rate limiter costs when the
 * limit is never hit and on how well it keeps the limit when it is.
 *
 * Overhead (limit far above the call rate, so nobody ever waits):
 *
 * - `overhead` (ns per call): sequential `await limiter.acquire()`, or the peer's equivalent
 *   (`bottleneck.schedule`, `RateLimiter.removeTokens(1)`, a `p-throttle`d function,
 *   `RateLimiterMemory.consume(key)`): one million calls in ten rounds of 100,000, alternating
 *   with rounds of the floor, the fastest round of each kept (the one least disturbed by other
 *   work on the machine). Bottleneck, which manages a few hundred sequential jobs a second, stops
 *   each round after 150 ms. Raw time per call: the awaiting is included. `floor:await` is the
 *   same loop over a function that returns a resolved promise; `floor:await+now` adds one
 *   `performance.now()` read per call: the price of one clock read on this machine.
 * - `overhead above-floor` (ns): the same figure minus the floor measured in the same child:
 *   what the limiter itself adds to a call.
 * - `overhead timers-per-call`: `setTimeout` calls per call during the timed rounds.
 * - `overhead-sync` (ns per call), `overhead-sync above-floor`: `tryAcquire()`, two million calls,
 *   where a peer has a synchronous equivalent (`limiter`'s `tryRemoveTokens(1)`); `floor:call` is
 *   a function that returns true.
 *
 * Accuracy (target RATE = 100 calls/s; all calls submitted at t=0, each records
 * `performance.now()` when it is let through):
 *
 * - n = 5 × RATE + the configuration's initial burst calls (600 when a full bucket or an empty
 *   window lets 100 through at once, 501 with even spacing), so that keeping the rate takes 5 s
 *   after the burst.
 * - `accuracy-rate` (calls/s), the achieved rate: (n − b) / (t_last − t_first), where b is the
 *   initial burst: the calls let through before the first gap between consecutive admissions of
 *   at least half the target interval (5 ms). A limiter that keeps its rate exactly scores 100:
 *   after its burst, n − b calls need (n − b) / RATE seconds. Blocks released a window apart
 *   count whole, so the figure is not skewed by where the last block falls.
 * - `accuracy-max-1s` and `accuracy-max-100ms` (calls/s): the most calls let through in any
 *   window [t, t + 1 s), and in any [t, t + 100 ms) scaled to calls per second (count × 10).
 *   An exact 100-per-second limiter scores at most 100 on the first; a burst of 100 at once
 *   scores 1000 on the second, even spacing about 100.
 * - `accuracy-max-1s limiter-clock` (bounded only): the same count over the times bounded's
 *   limiter decided each admission, by the clock it reads. The caller's timestamp trails that
 *   decision by microseconds (more when the process is descheduled between the two), so where a
 *   window is exactly full, as it is every second under even spacing, the caller's timestamps can
 *   show 101; the limiter's guarantee is about its own decisions, and is checked on those.
 * - `accuracy timers-per-call`: `setTimeout` calls per call; `accuracy peak-timers-per-call`: the
 *   most timers pending at once, per call (one timer per queued call scores about 0.8).
 *
 * Timestamps are taken where the limited work would start: in the function that bounded's
 * `schedule`, bottleneck's `schedule` and a p-throttled function run; for `limiter` and
 * rate-limiter-flexible, whose API is a promise to await, when the awaiting code resumes.
 *
 * Peers are configured for 100/s as their docs show: bottleneck with a reservoir of 100 refreshed
 * every second (and, as `bottleneck(minTime)`, with minTime 10 ms); limiter with
 * tokensPerInterval 100 per 'second'; p-throttle with limit 100, interval 1000; and
 * rate-limiter-flexible with points 100, duration 1, each call retrying after `msBeforeNext`.
 *
 * Shared limits (`redis admissions c=16`, `redis latency`, `postgres admissions c=16`,
 * `postgres latency`): see "shared: Redis" and "shared: PostgreSQL" below.
 */
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { SlidingWindow, TokenBucket, type RateLimiter, type SlidingWindowOptions, type TokenBucketOptions } from '@bounded/runtime';
import { peakRss, type Measurement, type Sample, type Suite, type SuiteOptions, type Target } from '../suite.js';

/** Target of the accuracy runs, calls per second. */
const RATE = 100;
/** Seconds the accuracy runs must keep the rate after the initial burst. */
const SECONDS = 5;
/** A limit no overhead run comes near: a trillion a second. */
const HUGE = 1e12;

// ---------------------------------------------------------------- timers

interface TimerCount {
  /** `setTimeout` calls since the last reset. */
  created: number;
  /** Most timers pending at once since the last reset. */
  peakPending: number;
  reset(): void;
}

/**
 * Counts `setTimeout` calls and pending timers from now on, by wrapping the global functions.
 * Installed before the limiter is loaded, so every library's timers pass through it.
 */
function countTimers(): TimerCount {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const pending = new Set<unknown>();
  const count: TimerCount = {
    created: 0,
    peakPending: 0,
    reset() {
      count.created = 0;
      count.peakPending = pending.size;
    },
  };
  const setTimeoutCounted = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): unknown => {
    count.created++;
    const handle = realSetTimeout(() => {
      pending.delete(handle);
      callback(...args);
    }, ms);
    pending.add(handle);
    if (pending.size > count.peakPending) count.peakPending = pending.size;
    return handle;
  };
  globalThis.setTimeout = setTimeoutCounted as unknown as typeof setTimeout;
  globalThis.clearTimeout = (handle: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(handle);
    realClearTimeout(handle);
  };
  return count;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- overhead

type AsyncCall = () => PromiseLike<unknown>;
type SyncCall = () => boolean;

const RESOLVED: Promise<void> = Promise.resolve();
const resolved: AsyncCall = () => RESOLVED;

/**
 * Times up to `n` sequential `await call()`, stopping early past `budgetMs`. Every subject runs
 * through this one loop (one subject per child, so the call site stays monomorphic).
 */
async function timeAsync(call: AsyncCall, n: number, budgetMs: number): Promise<{ ns: number; calls: number }> {
  const t0 = performance.now();
  let i = 0;
  while (i < n) {
    await call();
    i++;
    // Every call at first, so a slow subject stops near its budget; then every 256th call.
    if ((i < 256 || (i & 255) === 0) && performance.now() - t0 > budgetMs) break;
  }
  return { ns: ((performance.now() - t0) * 1e6) / i, calls: i };
}

/** The same loop over `resolved`, as a separate function: the floor measured inside each child. */
async function timeFloor(n: number, budgetMs: number): Promise<number> {
  const t0 = performance.now();
  let i = 0;
  while (i < n) {
    await resolved();
    i++;
    if ((i < 256 || (i & 255) === 0) && performance.now() - t0 > budgetMs) break;
  }
  return ((performance.now() - t0) * 1e6) / i;
}

function timeSync(call: SyncCall, n: number): number {
  let admitted = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (call()) admitted++;
  const ns = ((performance.now() - t0) * 1e6) / n;
  if (admitted !== n) throw new Error(`only ${admitted} of ${n} calls were admitted: the limit was hit`);
  return ns;
}

const returnsTrue: SyncCall = () => true;

function timeSyncFloor(n: number): number {
  let admitted = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (returnsTrue()) admitted++;
  const ns = ((performance.now() - t0) * 1e6) / n;
  if (admitted !== n) throw new Error('unreachable');
  return ns;
}

interface OverheadSubject {
  readonly name: string;
  readonly ratioVs: readonly string[];
  /** A call that passes a limiter whose limit is far above the call rate. */
  make(): Promise<AsyncCall>;
}

const PEER_VS = ['TokenBucket', 'SlidingWindow'];

const overheadSubjects: readonly OverheadSubject[] = [
  { name: 'floor:await', ratioVs: [], make: () => Promise.resolve(resolved) },
  {
    name: 'floor:await+now',
    ratioVs: [],
    make: () =>
      Promise.resolve(() => {
        performance.now();
        return RESOLVED;
      }),
  },
  {
    name: 'TokenBucket',
    ratioVs: [],
    make: () => {
      const limiter = new TokenBucket({ rate: HUGE });
      return Promise.resolve(() => limiter.acquire());
    },
  },
  {
    name: 'SlidingWindow',
    ratioVs: [],
    make: () => {
      const limiter = new SlidingWindow({ limit: HUGE });
      return Promise.resolve(() => limiter.acquire());
    },
  },
  {
    name: 'bottleneck',
    ratioVs: PEER_VS,
    make: async () => {
      const { default: Bottleneck } = await import('bottleneck');
      // No reservoir, no minTime, no concurrency cap: nothing to wait for.
      const limiter = new Bottleneck();
      const job = (): Promise<void> => RESOLVED;
      return () => limiter.schedule(job);
    },
  },
  {
    name: 'limiter',
    ratioVs: PEER_VS,
    make: async () => {
      const { RateLimiter } = await import('limiter');
      const limiter = new RateLimiter({ tokensPerInterval: HUGE, interval: 'second' });
      return () => limiter.removeTokens(1);
    },
  },
  {
    name: 'p-throttle',
    ratioVs: PEER_VS,
    make: async () => {
      const { default: pThrottle } = await import('p-throttle');
      const throttled = pThrottle({ limit: HUGE, interval: 1_000 })(() => undefined);
      // p-throttle types the throttled function as the original; it returns a promise.
      return () => throttled() as unknown as Promise<undefined>;
    },
  },
  {
    name: 'rate-limiter-flexible',
    ratioVs: PEER_VS,
    make: async () => {
      const { RateLimiterMemory } = await import('rate-limiter-flexible');
      const limiter = new RateLimiterMemory({ points: HUGE, duration: 1 });
      return () => limiter.consume('bench', 1);
    },
  },
];

/** Timed rounds per child: floor and subject alternate, `calls / ROUNDS` calls each. */
const ROUNDS = 10;

/**
 * Warms up, then times the floor and the subject in alternating rounds and keeps the fastest
 * round of each (the one least disturbed by other work on the machine): `value` is the subject's
 * raw time per call, `aboveFloor` what it adds to the floor measured alongside it.
 */
async function overhead(subject: OverheadSubject, calls: number): Promise<Sample> {
  const timers = countTimers();
  const call = await subject.make();
  const chunk = Math.ceil(calls / ROUNDS);
  await timeAsync(call, chunk, 300);
  await timeFloor(chunk, 300);
  let floor = Number.POSITIVE_INFINITY;
  let value = Number.POSITIVE_INFINITY;
  let created = 0;
  let timed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    floor = Math.min(floor, await timeFloor(chunk, 150));
    timers.reset();
    const run = await timeAsync(call, chunk, 150);
    created += timers.created;
    timed += run.calls;
    value = Math.min(value, run.ns);
  }
  return { value, extra: { aboveFloor: value - floor, timersPerCall: created / timed, calls: timed } };
}

interface SyncSubject {
  readonly name: string;
  readonly ratioVs: readonly string[];
  make(): Promise<SyncCall>;
}

const syncSubjects: readonly SyncSubject[] = [
  { name: 'floor:call', ratioVs: [], make: () => Promise.resolve(returnsTrue) },
  {
    name: 'TokenBucket',
    ratioVs: [],
    make: () => {
      const limiter = new TokenBucket({ rate: HUGE });
      return Promise.resolve(() => limiter.tryAcquire());
    },
  },
  {
    name: 'SlidingWindow',
    ratioVs: [],
    make: () => {
      const limiter = new SlidingWindow({ limit: HUGE });
      return Promise.resolve(() => limiter.tryAcquire());
    },
  },
  {
    name: 'limiter',
    ratioVs: PEER_VS,
    make: async () => {
      const { RateLimiter } = await import('limiter');
      const limiter = new RateLimiter({ tokensPerInterval: HUGE, interval: 'second' });
      return () => limiter.tryRemoveTokens(1);
    },
  },
];

async function overheadSync(subject: SyncSubject, calls: number): Promise<Sample> {
  const call = await subject.make();
  const chunk = Math.ceil(calls / ROUNDS);
  timeSync(call, chunk);
  timeSyncFloor(chunk);
  let floor = Number.POSITIVE_INFINITY;
  let value = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    floor = Math.min(floor, timeSyncFloor(chunk));
    value = Math.min(value, timeSync(call, chunk));
  }
  return { value, extra: { aboveFloor: value - floor } };
}

// ---------------------------------------------------------------- accuracy

/** Lets one call through the limiter and runs `admitted` the moment it is let through. */
type Submit = (admitted: () => void) => PromiseLike<unknown>;

interface AccuracySubject {
  readonly name: string;
  readonly ratioVs: readonly string[];
  /** Calls the configuration lets through at once at the start. */
  readonly burst: number;
  /** bounded's own: reports its admissions by the limiter's clock too. */
  readonly bounded?: boolean;
  /**
   * A limiter for `rate` calls per second. bounded's also fill `decisions` with the time of
   * each admission by the limiter's own clock.
   */
  make(rate: number, decisions: number[]): Promise<Submit>;
}

/**
 * The clock a bounded limiter reads, remembering its last reading: an admission's time by the
 * limiter's own clock is the reading it decided on (passed to `tryConsume`, or read inside it).
 */
class DecisionClock {
  last = Number.NaN;
  readonly now = (): number => (this.last = performance.now());
  constructor(readonly decisions: number[]) {}

  record(now: number): void {
    this.decisions.push(Number.isNaN(now) ? this.last : now);
  }
}

class RecordedWindow extends SlidingWindow {
  readonly #clock: DecisionClock;

  constructor(options: SlidingWindowOptions, clock: DecisionClock) {
    super({ ...options, now: clock.now });
    this.#clock = clock;
  }

  protected override tryConsume(cost: number, now: number): boolean {
    const admitted = super.tryConsume(cost, now);
    if (admitted) this.#clock.record(now);
    return admitted;
  }
}

class RecordedBucket extends TokenBucket {
  readonly #clock: DecisionClock;

  constructor(options: TokenBucketOptions, clock: DecisionClock) {
    super({ ...options, now: clock.now });
    this.#clock = clock;
  }

  protected override tryConsume(cost: number, now: number): boolean {
    const admitted = super.tryConsume(cost, now);
    if (admitted) this.#clock.record(now);
    return admitted;
  }
}

const bounded =
  (limiter: RateLimiter): Submit =>
  (admitted) =>
    limiter.schedule(admitted);

const accuracySubjects: readonly AccuracySubject[] = [
  {
    name: 'SlidingWindow',
    ratioVs: [],
    burst: RATE,
    bounded: true,
    make: (rate, decisions) => Promise.resolve(bounded(new RecordedWindow({ limit: rate, per: '1s' }, new DecisionClock(decisions)))),
  },
  {
    name: 'SlidingWindow(even)',
    ratioVs: ['SlidingWindow'],
    burst: 1,
    bounded: true,
    make: (rate, decisions) =>
      Promise.resolve(bounded(new RecordedWindow({ limit: rate, per: '1s', spacing: 'even' }, new DecisionClock(decisions)))),
  },
  {
    name: 'TokenBucket',
    ratioVs: ['SlidingWindow'],
    burst: RATE,
    bounded: true,
    make: (rate, decisions) => Promise.resolve(bounded(new RecordedBucket({ rate, per: '1s', burst: rate }, new DecisionClock(decisions)))),
  },
  {
    name: 'TokenBucket(even)',
    ratioVs: ['SlidingWindow'],
    burst: 1,
    bounded: true,
    make: (rate, decisions) =>
      Promise.resolve(bounded(new RecordedBucket({ rate, per: '1s', burst: rate, spacing: 'even' }, new DecisionClock(decisions)))),
  },
  {
    name: 'bottleneck',
    ratioVs: ['SlidingWindow', 'TokenBucket'],
    burst: RATE,
    make: async (rate) => {
      const { default: Bottleneck } = await import('bottleneck');
      const limiter = new Bottleneck({
        reservoir: rate,
        reservoirRefreshAmount: rate,
        reservoirRefreshInterval: 1_000,
      });
      return (admitted) => limiter.schedule(() => Promise.resolve(admitted()));
    },
  },
  {
    name: 'bottleneck(minTime)',
    ratioVs: ['SlidingWindow(even)', 'TokenBucket(even)'],
    burst: 1,
    make: async (rate) => {
      const { default: Bottleneck } = await import('bottleneck');
      const limiter = new Bottleneck({ minTime: 1_000 / rate });
      return (admitted) => limiter.schedule(() => Promise.resolve(admitted()));
    },
  },
  {
    name: 'limiter',
    ratioVs: ['SlidingWindow', 'TokenBucket'],
    burst: RATE,
    make: async (rate) => {
      const { RateLimiter } = await import('limiter');
      const limiter = new RateLimiter({ tokensPerInterval: rate, interval: 'second' });
      return (admitted) => limiter.removeTokens(1).then(admitted);
    },
  },
  {
    name: 'p-throttle',
    ratioVs: ['SlidingWindow', 'TokenBucket'],
    burst: RATE,
    make: async (rate) => {
      const { default: pThrottle } = await import('p-throttle');
      const throttled = pThrottle({ limit: rate, interval: 1_000 })((admitted: () => void) => admitted());
      // p-throttle types the throttled function as the original; it returns a promise.
      return (admitted) => throttled(admitted) as unknown as Promise<void>;
    },
  },
  {
    name: 'rate-limiter-flexible',
    ratioVs: ['SlidingWindow', 'TokenBucket'],
    burst: RATE,
    make: async (rate) => {
      const { RateLimiterMemory } = await import('rate-limiter-flexible');
      const limiter = new RateLimiterMemory({ points: rate, duration: 1 });
      return async (admitted) => {
        // The documented way to wait for a point: consume, and on refusal retry after msBeforeNext.
        for (;;) {
          try {
            await limiter.consume('bench', 1);
            admitted();
            return;
          } catch (refusal) {
            if (refusal instanceof Error) throw refusal;
            await sleep((refusal as RateLimiterRes).msBeforeNext);
          }
        }
      };
    },
  },
];

/** The most admissions in any window [t, t + windowMs) of the sorted `times`. */
function busiest(times: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

async function accuracy(subject: AccuracySubject, seconds: number): Promise<Sample> {
  const timers = countTimers();
  // Warm the code paths on a limiter that never holds anything back, so the burst is not slowed
  // by the first compilation of the library's code.
  const warm = await subject.make(1e6, []);
  await Promise.all(Array.from({ length: 200 }, () => warm(() => undefined)));

  const decisions: number[] = [];
  const submit = await subject.make(RATE, decisions);
  const n = seconds * RATE + subject.burst;
  const times: number[] = [];
  const admitted = (): void => {
    times.push(performance.now());
  };
  timers.reset();
  await Promise.all(Array.from({ length: n }, () => submit(admitted)));
  const created = timers.created;
  const peakPending = timers.peakPending;

  times.sort((a, b) => a - b);
  const halfInterval = 500 / RATE;
  let burst = 1;
  while (burst < n && times[burst]! - times[burst - 1]! < halfInterval) burst++;
  const elapsedMs = times[n - 1]! - times[0]!;
  return {
    value: ((n - burst) * 1_000) / elapsedMs,
    extra: {
      max1s: busiest(times, 1_000),
      ...(decisions.length === 0
        ? {}
        : {
            max1sLimiterClock: busiest(
              decisions.sort((a, b) => a - b),
              1_000,
            ),
          }),
      max100ms: busiest(times, 100) * 10,
      timersPerCall: created / n,
      peakTimersPerCall: peakPending / n,
      burst,
      elapsedMs,
    },
  };
}

// ---------------------------------------------------------------- shared: Redis

/**
 * Shared limits on Redis (issue #9): what a limit shared through `createRedisStore` costs, next
 * to rate-limiter-flexible's `RateLimiterRedis`, the usual npm choice, on the same server. Each
 * child starts its own throwaway `redis-server` on 127.0.0.1 (test/helpers/redis.ts), or uses
 * `REDIS_URL`; the limit is far above the call rate, so nobody waits and every figure is the
 * price of the store round trip.
 *
 * - `redis admissions c=16` (ops/s): 16 concurrent loops of `await acquire()` in one process
 *   for 2 s. bounded's shared limiters keep callers FIFO per process and only the head asks the
 *   store, so one process makes one store call at a time; rate-limiter-flexible sends every
 *   caller's command at once. More replicas add throughput; one replica is what is measured.
 * - `redis latency` (ms): sequential `await acquire()`, the median time per call: the latency a
 *   shared limit adds to every call (an in-memory limiter adds well under a microsecond). `p99`
 *   under `redis latency p99`. `floor:redis-ping` is one ioredis PING: the round trip itself.
 */
interface RedisSubject {
  readonly name: string;
  readonly ratioVs: readonly string[];
  /** A call that passes a limit on the Redis at `url` whose limit is never hit; `close` ends it. */
  make(url: string, key: string): Promise<{ readonly call: AsyncCall; readonly close: () => Promise<void> }>;
}

const redisSubjects: readonly RedisSubject[] = [
  {
    name: 'floor:redis-ping',
    ratioVs: [],
    make: async (url) => {
      const { Redis } = await import('ioredis');
      const client = new Redis(url);
      return { call: () => client.ping(), close: async () => void (await client.quit()) };
    },
  },
  {
    name: 'TokenBucket',
    ratioVs: [],
    make: async (url, key) => {
      const { createRedisStore } = await import('@bounded/runtime');
      const store = await createRedisStore({ url });
      const limiter = new TokenBucket({ rate: HUGE, name: key, store });
      return { call: () => limiter.acquire(), close: () => (limiter.close(), store.close()) };
    },
  },
  {
    name: 'SlidingWindow',
    ratioVs: [],
    make: async (url, key) => {
      const { createRedisStore } = await import('@bounded/runtime');
      const store = await createRedisStore({ url });
      // A window of 100 ms keeps the admission log short at thousands of calls a second.
      const limiter = new SlidingWindow({ limit: HUGE, per: 100, name: key, store });
      return { call: () => limiter.acquire(), close: () => (limiter.close(), store.close()) };
    },
  },
  {
    name: 'rate-limiter-flexible',
    ratioVs: ['TokenBucket', 'SlidingWindow'],
    make: async (url, key) => {
      const [{ Redis }, { RateLimiterRedis }] = await Promise.all([import('ioredis'), import('rate-limiter-flexible')]);
      const client = new Redis(url, { enableOfflineQueue: false });
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
      });
      const limiter = new RateLimiterRedis({ storeClient: client, points: HUGE, duration: 1, keyPrefix: key });
      return { call: () => limiter.consume('bench', 1), close: async () => void (await client.quit()) };
    },
  },
];

/** The Redis for one child: `REDIS_URL`, or a throwaway server for the child's lifetime. */
async function benchRedis(): Promise<{ url: string; release: () => Promise<void> }> {
  const external = process.env.REDIS_URL;
  if (external) return { url: external, release: async () => {} };
  const { startRedisServer } = await import('../../test/helpers/redis.js');
  const server = await startRedisServer();
  return { url: server.url, release: () => server.destroy() };
}

async function redisAdmissions(subject: RedisSubject, seconds: number): Promise<Sample> {
  const redis = await benchRedis();
  try {
    const { call, close } = await subject.make(redis.url, `bench-${process.pid}-c16`);
    try {
      await timeAsync(call, 500, 1_000);
      let calls = 0;
      const end = performance.now() + seconds * 1_000;
      const loop = async (): Promise<void> => {
        while (performance.now() < end) {
          await call();
          calls++;
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 16 }, loop));
      return { value: (calls * 1_000) / (performance.now() - t0) };
    } finally {
      await close();
    }
  } finally {
    await redis.release();
  }
}

async function redisLatency(subject: RedisSubject, calls: number): Promise<Sample> {
  const redis = await benchRedis();
  try {
    const { call, close } = await subject.make(redis.url, `bench-${process.pid}-latency`);
    try {
      await timeAsync(call, 500, 1_000);
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await call();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
      return { value: at(0.5), extra: { p99: at(0.99) } };
    } finally {
      await close();
    }
  } finally {
    await redis.release();
  }
}

/** The Redis rows of the suite; a separate function so the other shared stores sit beside it. */
function redisMeasurements({ quick }: SuiteOptions): Measurement[] {
  const seconds = quick ? 0.5 : 2;
  const calls = quick ? 500 : 3_000;
  const list: Measurement[] = [];
  for (const subject of redisSubjects) {
    if (!subject.name.startsWith('floor:')) {
      list.push({
        name: subject.name,
        scenario: 'redis admissions c=16',
        unit: 'ops/s',
        ratioVs: subject.ratioVs,
        timeoutMs: 60_000,
        run: () => redisAdmissions(subject, seconds),
      });
    }
    list.push({
      name: subject.name,
      scenario: 'redis latency',
      unit: 'ms',
      ratioVs: subject.name.startsWith('floor:') ? [] : [...subject.ratioVs, 'floor:redis-ping'],
      extra: [{ key: 'p99', scenario: 'redis latency p99', unit: 'ms' }],
      timeoutMs: 60_000,
      run: () => redisLatency(subject, calls),
    });
  }
  return list;
}

// ---------------------------------------------------------------- shared: PostgreSQL

/**
 * Shared limits on PostgreSQL (issue #9): what a limit shared through `createPostgresStore`
 * costs, next to rate-limiter-flexible's `RateLimiterPostgres` on the same server (a `pg.Pool`
 * as its client). Each child uses `DATABASE_URL`, or starts its own throwaway server
 * (runtime/stress/embedded-postgres.ts) for its lifetime; the limit is far above the call rate, so nobody
 * waits and every figure is the price of the store round trip.
 *
 * - `postgres admissions c=16` (ops/s): 16 concurrent loops of `await acquire()` in one process
 *   for 2 s (as for Redis: bounded asks the store for the head of its FIFO only, one statement
 *   at a time per limiter; rate-limiter-flexible runs every caller's statement at once).
 * - `postgres latency` (ms): sequential `await acquire()`, median per call (`p99` under
 *   `postgres latency p99`). `floor:postgres-select1` is `SELECT 1` through a `pg.Pool`: the
 *   round trip itself.
 */
const postgresSubjects: readonly RedisSubject[] = [
  {
    name: 'floor:postgres-select1',
    ratioVs: [],
    make: async (url) => {
      const { default: pg } = await import('pg');
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      return { call: () => pool.query('SELECT 1'), close: () => pool.end() };
    },
  },
  {
    name: 'TokenBucket',
    ratioVs: [],
    make: async (url, key) => {
      const { createPostgresStore } = await import('@bounded/runtime');
      const store = createPostgresStore({ url, operationTimeoutMs: 5_000 });
      const limiter = new TokenBucket({ rate: HUGE, name: key, store });
      return { call: () => limiter.acquire(), close: () => (limiter.close(), store.close()) };
    },
  },
  {
    name: 'SlidingWindow',
    ratioVs: [],
    make: async (url, key) => {
      const { createPostgresStore } = await import('@bounded/runtime');
      const store = createPostgresStore({ url, operationTimeoutMs: 5_000 });
      // A window of 100 ms keeps the admission log (an array in the row) short.
      const limiter = new SlidingWindow({ limit: HUGE, per: 100, name: key, store });
      return { call: () => limiter.acquire(), close: () => (limiter.close(), store.close()) };
    },
  },
  {
    name: 'rate-limiter-flexible',
    ratioVs: ['TokenBucket', 'SlidingWindow'],
    make: async (url, key) => {
      const [{ default: pg }, { RateLimiterPostgres }] = await Promise.all([import('pg'), import('rate-limiter-flexible')]);
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      const limiter = await new Promise<InstanceType<typeof RateLimiterPostgres>>((resolve, reject) => {
        const created: InstanceType<typeof RateLimiterPostgres> = new RateLimiterPostgres(
          { storeClient: pool, storeType: 'pool', points: HUGE, duration: 1, tableName: key.replaceAll('-', '_') },
          (error?: Error) => (error === undefined || error === null ? resolve(created) : reject(error)),
        );
      });
      return { call: () => limiter.consume('bench', 1), close: () => pool.end() };
    },
  },
];

/** The PostgreSQL server for one child: `DATABASE_URL`, or a throwaway one for its lifetime. */
async function benchPostgres(): Promise<{ url: string; release: () => Promise<void> }> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, release: async () => {} };
  const { startEmbeddedPostgres } = await import('@bounded/runtime/stress');
  const server = await startEmbeddedPostgres();
  return { url: server.url, release: () => server.destroy() };
}

async function sharedAdmissions(
  server: () => Promise<{ url: string; release: () => Promise<void> }>,
  subject: RedisSubject,
  seconds: number,
): Promise<Sample> {
  const db = await server();
  try {
    const { call, close } = await subject.make(db.url, `bench_${process.pid}_c16`);
    try {
      await timeAsync(call, 200, 1_000);
      let calls = 0;
      const end = performance.now() + seconds * 1_000;
      const loop = async (): Promise<void> => {
        while (performance.now() < end) {
          await call();
          calls++;
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 16 }, loop));
      return { value: (calls * 1_000) / (performance.now() - t0) };
    } finally {
      await close();
    }
  } finally {
    await db.release();
  }
}

async function sharedLatency(
  server: () => Promise<{ url: string; release: () => Promise<void> }>,
  subject: RedisSubject,
  calls: number,
): Promise<Sample> {
  const db = await server();
  try {
    const { call, close } = await subject.make(db.url, `bench_${process.pid}_latency`);
    try {
      await timeAsync(call, 200, 1_000);
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await call();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
      return { value: at(0.5), extra: { p99: at(0.99) } };
    } finally {
      await close();
    }
  } finally {
    await db.release();
  }
}

/** The PostgreSQL rows of the suite, beside the Redis ones. */
function postgresMeasurements({ quick }: SuiteOptions): Measurement[] {
  const seconds = quick ? 0.5 : 2;
  const calls = quick ? 300 : 2_000;
  const list: Measurement[] = [];
  for (const subject of postgresSubjects) {
    if (!subject.name.startsWith('floor:')) {
      list.push({
        name: subject.name,
        scenario: 'postgres admissions c=16',
        unit: 'ops/s',
        ratioVs: subject.ratioVs,
        timeoutMs: 120_000,
        run: () => sharedAdmissions(benchPostgres, subject, seconds),
      });
    }
    list.push({
      name: subject.name,
      scenario: 'postgres latency',
      unit: 'ms',
      ratioVs: subject.name.startsWith('floor:') ? [] : [...subject.ratioVs, 'floor:postgres-select1'],
      extra: [{ key: 'p99', scenario: 'postgres latency p99', unit: 'ms' }],
      timeoutMs: 120_000,
      run: () => sharedLatency(benchPostgres, subject, calls),
    });
  }
  return list;
}

// ---------------------------------------------------------------- the suite

function counts({ quick }: SuiteOptions): { calls: number; syncCalls: number; seconds: number } {
  return quick ? { calls: 50_000, syncCalls: 200_000, seconds: 1 } : { calls: 1_000_000, syncCalls: 2_000_000, seconds: SECONDS };
}

function measurements(options: SuiteOptions): Measurement[] {
  const { calls, syncCalls, seconds } = counts(options);
  const list: Measurement[] = [];
  for (const subject of overheadSubjects) {
    list.push({
      name: subject.name,
      scenario: 'overhead',
      unit: 'ns',
      ratioVs: subject.ratioVs,
      extra: [
        ...(subject.name === 'floor:await'
          ? []
          : [
              { key: 'aboveFloor', scenario: 'overhead above-floor', unit: 'ns' } as const,
              { key: 'timersPerCall', scenario: 'overhead timers-per-call', unit: 'ratio' } as const,
            ]),
        peakRss('overhead'),
      ],
      run: () => overhead(subject, calls),
    });
  }
  for (const subject of syncSubjects) {
    list.push({
      name: subject.name,
      scenario: 'overhead-sync',
      unit: 'ns',
      ratioVs: subject.ratioVs,
      extra: subject.name === 'floor:call' ? [] : [{ key: 'aboveFloor', scenario: 'overhead-sync above-floor', unit: 'ns' }],
      run: () => overheadSync(subject, syncCalls),
    });
  }
  for (const subject of accuracySubjects) {
    list.push({
      name: subject.name,
      scenario: 'accuracy-rate',
      unit: 'ops/s',
      ratioVs: subject.ratioVs,
      extra: [
        { key: 'max1s', scenario: 'accuracy-max-1s', unit: 'ops/s' },
        ...(subject.bounded === true
          ? [{ key: 'max1sLimiterClock', scenario: 'accuracy-max-1s limiter-clock', unit: 'ops/s' } as const]
          : []),
        { key: 'max100ms', scenario: 'accuracy-max-100ms', unit: 'ops/s' },
        { key: 'timersPerCall', scenario: 'accuracy timers-per-call', unit: 'ratio' },
        { key: 'peakTimersPerCall', scenario: 'accuracy peak-timers-per-call', unit: 'ratio' },
      ],
      timeoutMs: 60_000,
      run: () => accuracy(subject, seconds),
    });
  }
  list.push(...redisMeasurements(options));
  list.push(...postgresMeasurements(options));
  return list;
}

function targets(): Target[] {
  const list: Target[] = [];
  for (const name of ['TokenBucket', 'SlidingWindow']) {
    list.push(
      { name, scenario: 'overhead above-floor', atMost: 100, source: 'issue' },
      { name, scenario: 'overhead timers-per-call', atMost: 0, source: 'issue' },
    );
  }
  for (const name of ['SlidingWindow', 'SlidingWindow(even)', 'TokenBucket', 'TokenBucket(even)']) {
    list.push(
      { name, scenario: 'accuracy-rate', atLeast: RATE * 0.99, atMost: RATE * 1.01, source: 'issue' },
      // One timer for the whole queue, never one per waiting call.
      { name, scenario: 'accuracy peak-timers-per-call', atMost: 0.01, source: 'issue' },
    );
  }
  for (const name of ['SlidingWindow', 'SlidingWindow(even)']) {
    // The limiter's guarantee, on the clock it decides by (see the suite's notes).
    list.push({ name, scenario: 'accuracy-max-1s limiter-clock', atMost: RATE, source: 'issue' });
  }
  for (const name of ['SlidingWindow(even)', 'TokenBucket(even)']) {
    // Even spacing: at most 11 calls in any 100 ms (one every 10 ms, a late timer's catch-up).
    list.push({ name, scenario: 'accuracy-max-100ms', atMost: RATE * 1.1, source: 'proposed' });
  }
  return list;
}

const suite: Suite = {
  name: 'ratelimit',
  description:
    'rate limiters: ns per call when the limit is never hit (vs floor:await), rate and busiest windows at a 100/s target for 5 s with every call submitted at t=0, and what sharing a limit through Redis and PostgreSQL costs (vs rate-limiter-flexible RateLimiterRedis and RateLimiterPostgres)',
  measurements,
  targets,
};

export default suite;
