import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaiterQueue, type Reject, type Resolve, type Ticket } from '../../runtime/internal/waiter-queue.js';

const resolveOf = (id: number): Resolve => Object.assign(() => {}, { id });
const rejectOf = (id: number): Reject => Object.assign(() => {}, { id });

/** A queue plus the bookkeeping a caller does: waiters carry ids, cancellable ones a ticket. */
class Harness {
  readonly queue = new WaiterQueue();
  readonly tickets = new Map<number, Ticket>();
  #next = 0;

  push(cancellable = false): number {
    const id = this.#next++;
    const ticket = cancellable ? { cancelled: false } : undefined;
    if (ticket) this.tickets.set(id, ticket);
    this.queue.push(id, resolveOf(id), rejectOf(id), ticket);
    return id;
  }

  cancel(id: number): void {
    this.tickets.get(id)!.cancelled = true;
    this.queue.cancelled();
  }

  /** The id of the waiter `shift()` took, checking that its four slots belong together. */
  shift(): number | undefined {
    return this.queue.shift() ? this.#loaded() : undefined;
  }

  /** The id of the waiter `peek()` loaded, without taking it. */
  peek(): number | undefined {
    return this.queue.peek() ? this.#loaded() : undefined;
  }

  #loaded(): number {
    const { task, resolve, reject, ticket } = this.queue;
    const id = task as number;
    // Plain comparisons: `expect` per shift would dominate the run time of the big cases.
    if (
      (resolve as unknown as { id: number }).id !== id ||
      (reject as unknown as { id: number }).id !== id ||
      ticket !== this.tickets.get(id)
    ) {
      throw new Error(`slots of waiter ${id} came apart`);
    }
    return id;
  }

  drain(): number[] {
    const ids: number[] = [];
    for (let id = this.shift(); id !== undefined; id = this.shift()) ids.push(id);
    return ids;
  }
}

describe('WaiterQueue', () => {
  it('starts empty: shift() returns false and clears the fields', () => {
    const h = new Harness();
    h.push();
    h.queue.shift();
    expect(h.queue.shift()).toBe(false);
    expect([h.queue.task, h.queue.resolve, h.queue.reject, h.queue.ticket]).toEqual([undefined, undefined, undefined, undefined]);
    expect(h.queue.size).toBe(0);
  });

  it('is FIFO across growth and wrap-around', () => {
    const h = new Harness();
    for (let i = 0; i < 12; i++) h.push();
    const first = [h.shift(), h.shift(), h.shift(), h.shift(), h.shift()];
    for (let i = 0; i < 40; i++) h.push(); // wraps inside 16 slots, then grows
    expect(h.queue.size).toBe(47);
    expect([...first, ...h.drain()]).toEqual(Array.from({ length: 52 }, (_, i) => i));
  });

  it('stops counting a cancelled waiter at once and skips it', () => {
    const h = new Harness();
    const [a, b, c] = [h.push(true), h.push(true), h.push()];
    h.cancel(b);
    expect(h.queue.size).toBe(2);
    h.cancel(a);
    expect(h.queue.size).toBe(1);
    expect(h.drain()).toEqual([c]);
    expect(h.queue.size).toBe(0);
  });

  describe('peek', () => {
    it('loads the first waiter without taking it', () => {
      const h = new Harness();
      expect(h.peek()).toBeUndefined();
      const [a, b] = [h.push(), h.push(true)];
      expect(h.peek()).toBe(a);
      expect(h.peek()).toBe(a);
      expect(h.queue.size).toBe(2);
      expect(h.drain()).toEqual([a, b]);
    });

    it('drops cancelled waiters at the front', () => {
      const h = new Harness();
      const [a, b, c] = [h.push(true), h.push(true), h.push()];
      h.cancel(a);
      h.cancel(b);
      expect(h.peek()).toBe(c);
      expect(h.queue.size).toBe(1);
      h.cancel(h.push(true));
      expect(h.drain()).toEqual([c]);
    });

    it('returns false when every waiter was cancelled, and the queue still works after', () => {
      const h = new Harness();
      h.cancel(h.push(true));
      h.cancel(h.push(true));
      expect(h.peek()).toBeUndefined();
      expect(h.queue.size).toBe(0);
      const d = h.push();
      expect(h.peek()).toBe(d);
      expect(h.drain()).toEqual([d]);
    });
  });

  it('compacts thousands of cancelled waiters without losing order or counts', () => {
    const h = new Harness();
    const live: number[] = [];
    for (let i = 0; i < 6_000; i++) {
      const id = h.push(i % 7 !== 0);
      if (i % 7 === 0) live.push(id);
    }
    let size = 6_000;
    for (const id of h.tickets.keys()) {
      h.cancel(id);
      expect(h.queue.size).toBe(--size);
    }
    // New waiters after the compactions still go to the back.
    const late = [h.push(), h.push(true)];
    expect(h.drain()).toEqual([...live, ...late]);
  });

  it('works again after a huge queue drained and was given back', () => {
    const h = new Harness();
    const count = (1 << 16) + 10;
    for (let i = 0; i < count; i++) h.push();
    expect(h.drain()).toHaveLength(count);
    const after = [h.push(), h.push(true), h.push()];
    h.cancel(after[1]!);
    expect(h.drain()).toEqual([after[0], after[2]]);
  });

  it('behaves like an array of live waiters under any mix of operations', () => {
    type Op = { kind: 'push'; cancellable: boolean; times: number } | { kind: 'shift' | 'peek' } | { kind: 'cancel'; pick: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), cancellable: fc.boolean(), times: fc.integer({ min: 1, max: 1_200 }) }),
      fc.record({ kind: fc.constantFrom('shift' as const, 'peek' as const) }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops: Op[]) => {
        const h = new Harness();
        let model: number[] = [];
        for (const step of ops) {
          if (step.kind === 'push') {
            for (let i = 0; i < step.times; i++) model.push(h.push(step.cancellable));
          } else if (step.kind === 'shift') {
            expect(h.shift()).toBe(model.shift());
          } else if (step.kind === 'peek') {
            expect(h.peek()).toBe(model[0]);
          } else if (step.kind === 'cancel') {
            // Cancel a run of cancellable live waiters starting at a random one.
            const cancellable = model.filter((id) => h.tickets.has(id));
            const from = cancellable.length === 0 ? 0 : step.pick % cancellable.length;
            const gone = new Set(cancellable.slice(from, from + 1_100));
            for (const id of gone) h.cancel(id);
            model = model.filter((id) => !gone.has(id));
          }
          expect(h.queue.size).toBe(model.length);
        }
        expect(h.drain()).toEqual(model);
      }),
      { numRuns: 60 },
    );
  });
});
