import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Semaphore, isLoadShedError, isQueueFullError, isTimeoutError, mapBounded, type Permit } from '../../runtime/index.js';
import { ServiceRate } from '../../runtime/internal/service-rate.js';
import { Gauge, deferred, flush, reasonOf, track } from './helpers.js';

/*
 * Property tests. The semaphore runs random command lists next to a small model of the spec
 * (FIFO queue; a permit goes to a waiter, or a newcomer, only while inUse < limit; a released
 * permit goes straight to the next waiter), and after every command, once promise jobs have
 * run, the two must agree on who holds, who waits and how each call settled. On top of that
 * the invariants are checked directly:
 *
 * - a permit is granted only while inUse < limit: a run task starts with inUse <= limit, and
 *   a step that raises inUse ends with inUse <= limit;
 * - no one waits while a permit is free (waiting > 0 implies inUse >= limit);
 * - FIFO: every caller granted so far called before every caller still waiting;
 * - no leak: inUse goes back to 0, no timer and no abort listener is left, every call settles.
 *
 * mapBounded runs under fast-check's scheduler, which settles tasks in a random order.
 */

type Cancel = 'none' | 'signal' | 'timeout' | 'both';

type Command =
  | { kind: 'run'; cancel: Cancel; timeoutMs: number; syncThrow: boolean }
  | { kind: 'acquire'; cancel: Cancel; timeoutMs: number }
  | { kind: 'try' }
  | { kind: 'finish'; pick: number; fail: boolean }
  | { kind: 'abort'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'resize'; limit: number };

const cancel = fc.constantFrom<Cancel>('none', 'signal', 'timeout', 'both');
const timeoutMs = fc.integer({ min: 1, max: 30 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('run' as const), cancel, timeoutMs, syncThrow: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('acquire' as const), cancel, timeoutMs }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('try' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(), fail: fc.boolean() }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 20 }) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('resize' as const),
      limit: fc.oneof(
        { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 9 },
        { arbitrary: fc.constant(Number.POSITIVE_INFINITY), weight: 1 },
      ),
    }),
    weight: 2,
  },
);

type Guard = (value: unknown) => boolean;

interface Caller {
  readonly id: number;
  readonly kind: 'run' | 'acquire';
  /** A run task that throws synchronously when its turn comes. */
  readonly syncError: Error | undefined;
  readonly controller: AbortController | undefined;
  /** Fake-clock time at which the wait times out. */
  readonly deadline: number | undefined;
  /** The model's view. 'done': had its turn and gave the permit back; 'gone': refused or gave up. */
  status: 'waiting' | 'held' | 'done' | 'gone';
  /** How the call must settle: fulfilled (undefined), rejected with this value, or with an error the guard accepts. */
  expected?: unknown;
  /** Observed: the semaphore gave this caller its turn. */
  granted: boolean;
  /** Set once granted: settles the run task (rejecting it with `error` if given) or releases the permit. */
  finish?: (error: Error | undefined) => void;
  outcome?: ReturnType<typeof track<unknown>>;
}

/** What the spec says the semaphore does, with callers in place of promises. */
class Model {
  inUse = 0;
  readonly queue: Caller[] = [];
  /** Load shedding: a timed caller whose expected wait (measured as the semaphore does) exceeds its timeout is refused. */
  readonly rate = new ServiceRate();

  constructor(
    public limit: number,
    readonly maxQueue: number,
    readonly now: () => number,
  ) {}

  call(caller: Caller): void {
    if (this.inUse < this.limit) {
      this.inUse++;
      if (!this.#turn(caller)) this.release();
    } else if (this.queue.length >= this.maxQueue) {
      this.#drop(caller, isQueueFullError);
    } else if (caller.deadline !== undefined && this.rate.expectedWait(this.queue.length, this.now()) > caller.deadline - this.now()) {
      this.#drop(caller, isLoadShedError);
    } else {
      this.queue.push(caller);
      this.rate.queued(this.now());
    }
  }

  release(): void {
    if (this.inUse <= this.limit && this.#handOff()) return;
    this.inUse--;
  }

  resize(limit: number): void {
    this.limit = limit;
    while (this.inUse < this.limit && this.queue.length > 0) {
      this.inUse++;
      if (!this.#handOff()) {
        this.inUse--;
        break;
      }
    }
  }

  giveUp(caller: Caller, expected: unknown): void {
    this.queue.splice(this.queue.indexOf(caller), 1);
    if (this.queue.length === 0) this.rate.emptied();
    this.#drop(caller, expected);
  }

  #handOff(): boolean {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      this.rate.handedOff(this.now(), this.queue.length);
      if (this.#turn(next)) return true;
    }
    return false;
  }

  /** The caller's turn; false when a run task threw at once and so gave the permit back. */
  #turn(caller: Caller): boolean {
    if (caller.syncError !== undefined) {
      caller.status = 'done';
      caller.expected = caller.syncError;
      return false;
    }
    caller.status = 'held';
    return true;
  }

  #drop(caller: Caller, expected: unknown): void {
    caller.status = 'gone';
    caller.expected = expected;
  }
}

class SemaphoreHarness {
  readonly sem: Semaphore;
  readonly model: Model;
  readonly callers: Caller[] = [];
  /** Ids in the order callers were granted, per kind (each kind is observed in grant order). */
  readonly runGrants: number[] = [];
  readonly acquireGrants: number[] = [];
  now = 0;
  largestLimit: number;
  /**
   * Broken invariants seen inside a task or a `then`, where a throwing `expect` would only turn
   * into a rejection of the call under test.
   */
  readonly problems: string[] = [];

  constructor(limit: number, maxQueue: number) {
    this.sem = new Semaphore(limit, { maxQueue });
    this.model = new Model(limit, maxQueue, () => this.now);
    this.largestLimit = limit;
  }

  apply(step: Command): void {
    const { sem, model } = this;
    switch (step.kind) {
      case 'run':
      case 'acquire':
        this.call(step);
        break;
      case 'try': {
        const expected = model.inUse < model.limit;
        const permit = sem.tryAcquire();
        expect(permit !== undefined).toBe(expected);
        if (expected) model.inUse++;
        if (permit) model.release();
        permit?.release();
        break;
      }
      case 'finish': {
        const held = this.callers.filter((c) => c.status === 'held');
        if (held.length === 0) return;
        const caller = held[step.pick % held.length]!;
        const error = step.fail && caller.kind === 'run' ? new Error(`task ${caller.id}`) : undefined;
        caller.status = 'done';
        caller.expected = error;
        model.release();
        caller.finish!(error);
        break;
      }
      case 'abort': {
        const live = this.callers.filter((c) => c.controller !== undefined && !c.controller.signal.aborted);
        if (live.length === 0) return;
        const caller = live[step.pick % live.length]!;
        const reason = new Error(`abort ${caller.id}`);
        // Aborting after the caller's turn came changes nothing.
        if (caller.status === 'waiting') model.giveUp(caller, reason);
        caller.controller!.abort(reason);
        break;
      }
      case 'advance':
        this.now += step.ms;
        for (const caller of [...model.queue]) {
          if (caller.deadline !== undefined && caller.deadline <= this.now) model.giveUp(caller, isTimeoutError);
        }
        vi.advanceTimersByTime(step.ms);
        break;
      case 'resize':
        model.resize(step.limit);
        sem.resize(step.limit);
        this.largestLimit = Math.max(this.largestLimit, step.limit);
        break;
    }
  }

  call(step: Extract<Command, { kind: 'run' | 'acquire' }>): void {
    const { sem } = this;
    const id = this.callers.length;
    const timed = step.cancel === 'timeout' || step.cancel === 'both';
    const caller: Caller = {
      id,
      kind: step.kind,
      syncError: step.kind === 'run' && step.syncThrow ? new Error(`sync ${id}`) : undefined,
      controller: step.cancel === 'signal' || step.cancel === 'both' ? new AbortController() : undefined,
      deadline: timed ? this.now + step.timeoutMs : undefined,
      status: 'waiting',
      granted: false,
    };
    this.callers.push(caller);
    this.model.call(caller);
    const options = { signal: caller.controller?.signal, timeoutMs: timed ? step.timeoutMs : undefined };
    const promise: Promise<unknown> =
      step.kind === 'run'
        ? sem.run(() => {
            // Started right now, synchronously: the permit must have been free.
            if (sem.inUse > sem.limit) this.problems.push(`caller ${id} started at inUse ${sem.inUse} > ${sem.limit}`);
            this.observeGrant(caller, this.runGrants);
            if (caller.syncError) throw caller.syncError;
            const gate = deferred();
            caller.finish = (error) => (error ? gate.reject(error) : gate.resolve());
            return gate.promise;
          }, options)
        : sem.acquire(options).then((permit: Permit) => {
            this.observeGrant(caller, this.acquireGrants);
            caller.finish = () => permit.release();
            return permit;
          });
    caller.outcome = track(promise);
  }

  observeGrant(caller: Caller, log: number[]): void {
    if (caller.granted) this.problems.push(`caller ${caller.id} granted twice`);
    caller.granted = true;
    log.push(caller.id);
  }

  /** Semaphore and model agree, and the invariants hold. */
  check(inUseBefore: number): void {
    const { sem, model } = this;
    expect(this.problems).toEqual([]);
    expect([sem.limit, sem.inUse, sem.waiting]).toEqual([model.limit, model.inUse, model.queue.length]);
    expect(sem.available).toBe(Math.max(0, sem.limit - sem.inUse));
    if (sem.inUse > inUseBefore) expect(sem.inUse).toBeLessThanOrEqual(sem.limit);
    if (sem.waiting > 0) expect(sem.inUse).toBeGreaterThanOrEqual(sem.limit);
    const granted = [...this.runGrants, ...this.acquireGrants];
    if (model.queue.length > 0 && granted.length > 0) {
      expect(Math.max(...granted)).toBeLessThan(model.queue[0]!.id);
    }
    // Plain comparisons per caller, one expect at the end: expect() per caller per step is slow.
    const wrong: string[] = [];
    for (const caller of this.callers) {
      if (caller.granted !== (caller.status === 'held' || caller.status === 'done')) {
        wrong.push(`caller ${caller.id}: granted ${caller.granted}, model says ${caller.status}`);
      }
      if (caller.status === 'waiting' || caller.status === 'held') continue;
      const outcome = caller.outcome!.current();
      const settledRight =
        caller.expected === undefined
          ? outcome.state === 'fulfilled'
          : outcome.state === 'rejected' &&
            (typeof caller.expected === 'function' ? (caller.expected as Guard)(outcome.reason) : outcome.reason === caller.expected);
      if (!settledRight) wrong.push(`caller ${caller.id}: ${outcome.state}, expected ${String(caller.expected)}`);
    }
    expect(wrong).toEqual([]);
  }
}

const increasing = (ids: number[]): boolean => ids.every((id, i) => i === 0 || ids[i - 1]! < id);

describe('Semaphore under random schedules', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('agrees with the model: limit, FIFO order and counts kept, every caller settled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 0, max: 4 })),
        fc.array(command, { minLength: 1, maxLength: 60, size: 'max' }),
        async (limit, maxQueue, commands) => {
          const h = new SemaphoreHarness(limit, maxQueue);
          const { sem } = h;
          for (const step of commands) {
            const inUseBefore = sem.inUse;
            h.apply(step);
            await flush();
            h.check(inUseBefore);
          }
          // Wind down: give back every permit until nobody holds or waits for one.
          while (h.callers.some((c) => c.status === 'held')) {
            h.apply({ kind: 'finish', pick: 0, fail: false });
            await flush();
            h.check(Number.POSITIVE_INFINITY);
          }
          expect([sem.inUse, sem.waiting]).toEqual([0, 0]);
          expect(h.callers.every((c) => c.outcome!.current().state !== 'pending')).toBe(true);
          expect(increasing(h.runGrants)).toBe(true);
          expect(increasing(h.acquireGrants)).toBe(true);
          expect(sem.peakInUse).toBeLessThanOrEqual(h.largestLimit);
          expect(vi.getTimerCount()).toBe(0);
          for (const caller of h.callers) {
            if (caller.controller) expect(getEventListeners(caller.controller.signal, 'abort')).toHaveLength(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

type Source = 'array' | 'generator' | 'async generator';

describe('mapBounded under random task outcomes and orders', () => {
  it('keeps input order and its concurrency, and settles only after every task it started', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        // About one task in four fails.
        fc.array(
          fc.nat(3).map((n) => n === 0),
          { maxLength: 12, size: 'max' },
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.constantFrom<Source>('array', 'generator', 'async generator'),
        fc.boolean(),
        async (s, fails, concurrency, stopOnError, source, abort) => {
          const gauge = new Gauge();
          // Failures (by index), the caller's abort and the map settling, in the order they happened.
          const log: (number | 'abort' | 'settle')[] = [];
          const problems: string[] = [];
          const errors = fails.map((_, i) => new Error(`task ${i}`));
          let started = 0;
          let settled = 0;
          let pulled = 0;
          let closed = false;
          function* items(): Generator<number> {
            try {
              for (let i = 0; i < fails.length; i++) {
                pulled++;
                yield i;
              }
            } finally {
              closed = true;
            }
          }
          async function* asyncItems(): AsyncGenerator<number> {
            yield* items();
          }
          const input = source === 'array' ? fails.map((_, i) => i) : source === 'generator' ? items() : asyncItems();
          const controller = new AbortController();
          const abortReason = new Error('caller aborted');
          if (abort) {
            void s.schedule(Promise.resolve(), 'abort').then(() => {
              log.push('abort');
              controller.abort(abortReason);
            });
          }
          const atSettle: { started: number; settled: number; closed: boolean }[] = [];
          const result = track(
            mapBounded(
              input,
              async (i) => {
                started++;
                gauge.enter();
                if (pulled - settled > concurrency) problems.push(`${pulled} pulled, ${settled} settled`);
                await s.schedule(Promise.resolve(), `task ${i}`);
                gauge.leave();
                settled++;
                if (fails[i]) {
                  log.push(i);
                  throw errors[i]!;
                }
                return i * 10;
              },
              { concurrency, stopOnError, signal: controller.signal },
            ).finally(() => {
              log.push('settle');
              atSettle.push({ started, settled, closed });
            }),
          );
          await s.waitIdle();
          await flush();

          const outcome = result.current();
          expect(outcome.state).not.toBe('pending');
          expect(problems).toEqual([]);
          expect(gauge.max).toBeLessThanOrEqual(concurrency);
          expect(atSettle[0]!.started).toBe(atSettle[0]!.settled);
          if (source !== 'array') expect(atSettle[0]!.closed).toBe(true);
          expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

          const events = log.slice(0, log.indexOf('settle'));
          const aborted = events.includes('abort');
          const firstFailure = events.find((e): e is number => typeof e === 'number');
          if (outcome.state === 'fulfilled') {
            expect(firstFailure).toBeUndefined();
            expect(outcome.value).toEqual(fails.map((_, i) => i * 10));
            return;
          }
          const reason = reasonOf(result);
          if (events[0] === 'abort') {
            // Nothing that happens after the abort changes the outcome.
            expect(reason).toBe(abortReason);
          } else if (reason === abortReason) {
            expect(aborted).toBe(true);
          } else if (stopOnError) {
            // The first failure stops the map (an abort may only win if it came before the catch ran).
            expect(reason).toBe(errors[firstFailure!]);
          } else {
            expect(started).toBe(fails.length);
            const failed = fails.flatMap((fail, i) => (fail ? [errors[i]!] : []));
            expect(reason).toBeInstanceOf(AggregateError);
            const aggregated = (reason as AggregateError).errors;
            expect(aggregated).toHaveLength(failed.length);
            aggregated.forEach((error, i) => expect(error).toBe(failed[i]));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
