/**
 * A FIFO of waiters in one flat ring buffer: four slots per waiter (task, resolve, reject,
 * ticket) and no per-waiter node object, so a million queued tasks cost a few array slots
 * each. Push and shift are O(1). A waiter that gives up (abort, timeout) is cancelled in
 * place through its ticket: it stops counting at once and its slots are skipped, and reclaimed
 * by a compaction when cancelled waiters outnumber live ones.
 */

const STRIDE = 4;
const MIN_CAPACITY = 16;
/** Compact only when this many cancelled waiters have piled up (and outnumber live ones). */
const COMPACT_THRESHOLD = 1024;
/** After a spike drains, give back buffers larger than this many waiters. */
const SHRINK_CAPACITY = 1 << 16;

export type Resolve = (value: never) => void;
export type Reject = (reason: unknown) => void;

/** Cancellation state of one waiter that can give up before its turn. */
export interface Ticket {
  cancelled: boolean;
}

/** The buffer of a queue nobody has waited in: a resource that never queues pays no array for it. */
const NO_SLOTS: unknown[] = [];

export class WaiterQueue {
  #slots: unknown[] = NO_SLOTS;
  #capacity = 0;
  #head = 0;
  /** Entries in the buffer, cancelled ones included. */
  #length = 0;
  #cancelled = 0;

  /** Filled by `shift()`: the waiter just taken from the front. */
  task: unknown;
  resolve: Resolve | undefined;
  reject: Reject | undefined;
  ticket: Ticket | undefined;

  /** Live (not cancelled) waiters. */
  get size(): number {
    return this.#length - this.#cancelled;
  }

  push(task: unknown, resolve: Resolve, reject: Reject | undefined, ticket: Ticket | undefined): void {
    if (this.#length === this.#capacity) this.#resize(this.#capacity === 0 ? MIN_CAPACITY : this.#capacity * 2);
    const slot = ((this.#head + this.#length) & (this.#capacity - 1)) * STRIDE;
    const slots = this.#slots;
    slots[slot] = task;
    slots[slot + 1] = resolve;
    slots[slot + 2] = reject;
    slots[slot + 3] = ticket;
    this.#length++;
  }

  /**
   * Takes the first live waiter into `task`, `resolve`, `reject` and `ticket`; returns false
   * when there is none. Cancelled waiters met on the way are dropped.
   */
  shift(): boolean {
    const slots = this.#slots;
    while (this.#length > 0) {
      const slot = this.#head * STRIDE;
      const ticket = slots[slot + 3] as Ticket | undefined;
      this.task = slots[slot];
      this.resolve = slots[slot + 1] as Resolve;
      this.reject = slots[slot + 2] as Reject;
      this.ticket = ticket;
      slots[slot] = slots[slot + 1] = slots[slot + 2] = slots[slot + 3] = undefined;
      this.#head = (this.#head + 1) & (this.#capacity - 1);
      this.#length--;
      if (ticket !== undefined && ticket.cancelled) {
        this.#cancelled--;
        continue;
      }
      if (this.#length === 0 && this.#capacity > SHRINK_CAPACITY) this.#reset();
      return true;
    }
    this.task = this.resolve = this.reject = this.ticket = undefined;
    return false;
  }

  /**
   * Loads the first live waiter into `task`, `resolve`, `reject` and `ticket` without taking
   * it; returns false when there is none. Cancelled waiters at the front are dropped.
   */
  peek(): boolean {
    const slots = this.#slots;
    while (this.#length > 0) {
      const slot = this.#head * STRIDE;
      const ticket = slots[slot + 3] as Ticket | undefined;
      if (ticket !== undefined && ticket.cancelled) {
        slots[slot] = slots[slot + 1] = slots[slot + 2] = slots[slot + 3] = undefined;
        this.#head = (this.#head + 1) & (this.#capacity - 1);
        this.#length--;
        this.#cancelled--;
        continue;
      }
      this.task = slots[slot];
      this.resolve = slots[slot + 1] as Resolve;
      this.reject = slots[slot + 2] as Reject;
      this.ticket = ticket;
      return true;
    }
    return false;
  }

  /** Records that a queued waiter's ticket was just marked cancelled. */
  cancelled(): void {
    this.#cancelled++;
    if (this.#cancelled > COMPACT_THRESHOLD && this.#cancelled * 2 > this.#length) this.#compact();
  }

  #resize(capacity: number): void {
    const next = new Array<unknown>(capacity * STRIDE);
    const slots = this.#slots;
    const mask = this.#capacity - 1;
    for (let i = 0; i < this.#length; i++) {
      const from = ((this.#head + i) & mask) * STRIDE;
      const to = i * STRIDE;
      next[to] = slots[from];
      next[to + 1] = slots[from + 1];
      next[to + 2] = slots[from + 2];
      next[to + 3] = slots[from + 3];
    }
    this.#slots = next;
    this.#capacity = capacity;
    this.#head = 0;
  }

  #compact(): void {
    const slots = this.#slots;
    const mask = this.#capacity - 1;
    const live = this.#length - this.#cancelled;
    let capacity = MIN_CAPACITY;
    while (capacity < live * 2) capacity *= 2;
    const next = new Array<unknown>(capacity * STRIDE);
    let to = 0;
    for (let i = 0; i < this.#length; i++) {
      const from = ((this.#head + i) & mask) * STRIDE;
      const ticket = slots[from + 3] as Ticket | undefined;
      if (ticket !== undefined && ticket.cancelled) continue;
      next[to] = slots[from];
      next[to + 1] = slots[from + 1];
      next[to + 2] = slots[from + 2];
      next[to + 3] = ticket;
      to += STRIDE;
    }
    this.#slots = next;
    this.#capacity = capacity;
    this.#head = 0;
    this.#length = live;
    this.#cancelled = 0;
  }

  #reset(): void {
    this.#slots = NO_SLOTS;
    this.#capacity = 0;
    this.#head = 0;
    this.#length = 0;
    this.#cancelled = 0;
  }
}
