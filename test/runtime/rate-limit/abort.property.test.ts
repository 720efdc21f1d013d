/**
 * Aborts free their slot, for both limiters (property): over random schedules of calls (some
 * with a signal), aborts and clock steps under a fake clock,
 *
 * - a waiter whose signal aborts leaves the queue at once (`waiting` drops in the same turn) and
 *   rejects with the signal's own reason, never admitted afterwards;
 * - it never held a token: every other caller is admitted at exactly the time it is admitted
 *   in a replay of the same schedule in which the aborted waiters never called at all;
 * - `schedule(fn)` never runs `fn` for an aborted waiter.
 *
 * Costs are 1, so FIFO admission is the same with or without a waiter that left (with mixed
 * costs a waiter that left could have held back a cheaper one behind it, legitimately).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlidingWindow, TokenBucket } from '../../../runtime/index.js';
import { flush } from '../helpers.js';
import { fakeClock } from './fake-clock.js';

type Step = { kind: 'call'; signal: boolean; viaSchedule: boolean } | { kind: 'abort'; pick: number } | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('call' as const), signal: fc.boolean(), viaSchedule: fc.boolean() }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 60 }) }), weight: 2 },
);

const kinds = [
  ['TokenBucket', (units: number, now: () => number) => new TokenBucket({ rate: units, per: 100, now })],
  ['SlidingWindow', (units: number, now: () => number) => new SlidingWindow({ limit: units, per: 100, now })],
] as const;

interface Outcome {
  /** Fake time of each call, by id. */
  readonly calledAt: Map<number, number>;
  /** Fake time of admission, by id. */
  readonly admittedAt: Map<number, number>;
  /** Ids rejected with their own abort reason. */
  readonly abortedWaiting: Set<number>;
  readonly problems: string[];
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe.each(kinds)('%s: aborts free their slot (property)', (_kind, make) => {
  /** Plays `steps`; with `only`, calls only those ids (at their recorded times) and aborts nothing. */
  async function play(units: number, steps: readonly Step[], replay?: { only: Set<number>; at: Map<number, number> }): Promise<Outcome> {
    const clock = fakeClock();
    const limiter = make(units, clock.now);
    const calledAt = new Map<number, number>();
    const admittedAt = new Map<number, number>();
    const abortedWaiting = new Set<number>();
    const problems: string[] = [];
    const controllers = new Map<number, AbortController>();
    let nextId = 0;
    const call = (id: number, withSignal: boolean, viaSchedule: boolean): void => {
      calledAt.set(id, clock.time);
      const controller = withSignal ? new AbortController() : undefined;
      if (controller !== undefined) controllers.set(id, controller);
      const signal = controller?.signal;
      const admitted = (): void => {
        admittedAt.set(id, clock.time);
      };
      const promise = viaSchedule ? limiter.schedule(admitted, { signal }) : limiter.acquire({ signal }).then(admitted);
      promise.then(
        () => undefined,
        (reason: unknown) => {
          if (reason !== controller?.signal.reason) problems.push(`caller ${id} rejected with something else than its abort reason`);
          if (admittedAt.has(id)) problems.push(`caller ${id} ran after it aborted`);
          abortedWaiting.add(id);
        },
      );
    };
    for (const s of steps) {
      if (s.kind === 'advance') {
        await clock.advance(s.ms);
      } else if (s.kind === 'call') {
        const id = nextId++;
        if (replay === undefined) call(id, s.signal, s.viaSchedule);
        else if (replay.only.has(id)) {
          if (replay.at.get(id) !== clock.time) problems.push(`replay of ${id} at another time`);
          call(id, false, s.viaSchedule);
        }
        await flush();
      } else if (replay === undefined) {
        const live = [...controllers].filter(([, c]) => !c.signal.aborted);
        if (live.length === 0) continue;
        const [id, controller] = live[s.pick % live.length]!;
        const waitingBefore = limiter.waiting;
        const wasWaiting = !admittedAt.has(id);
        controller.abort(new Error(`abort ${id}`));
        // Leaves the queue in the same turn, before any promise job runs.
        if (wasWaiting && limiter.waiting !== waitingBefore - 1) problems.push(`caller ${id} still counted as waiting after its abort`);
        await flush();
        if (wasWaiting && !abortedWaiting.has(id)) problems.push(`caller ${id} did not reject at once on abort`);
      }
    }
    await clock.advance(100 * (nextId + 2));
    if (limiter.waiting !== 0) problems.push(`${limiter.waiting} still waiting at the end`);
    if (vi.getTimerCount() !== 0) problems.push(`${vi.getTimerCount()} timers left`);
    return { calledAt, admittedAt, abortedWaiting, problems };
  }

  it('a waiter that aborts leaves at once, rejects with its reason and never takes a token', async () => {
    let aborted = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(step, { minLength: 1, maxLength: 50 }), async (units, steps) => {
        const first = await play(units, steps);
        expect(first.problems).toEqual([]);
        aborted += first.abortedWaiting.size;
        const only = new Set([...first.calledAt.keys()].filter((id) => !first.abortedWaiting.has(id)));
        const replay = await play(units, steps, { only, at: first.calledAt });
        expect(replay.problems).toEqual([]);
        // Everyone else is admitted exactly when they would have been had the aborted never come.
        expect([...first.admittedAt].sort((a, b) => a[0] - b[0])).toEqual([...replay.admittedAt].sort((a, b) => a[0] - b[0]));
      }),
      { numRuns: 120 },
    );
    // The schedules did exercise aborts of waiters.
    expect(aborted).toBeGreaterThan(20);
  });
});
