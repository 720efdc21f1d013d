/**
 * In-flight operations that share one timeout, kept in start order: with equal timeouts the
 * first to start is the first to expire, so one timer serves them all. Adding and removing an
 * entry is O(1) and allocates one small object, which costs less than a timer per query.
 */
export interface DeadlineEntry {
  readonly expiresAt: number;
}

interface Node extends DeadlineEntry {
  readonly onExpire: () => void;
  prev: Node | undefined;
  next: Node | undefined;
  live: boolean;
}

export class DeadlineList {
  readonly timeoutMs: number;
  #head: Node | undefined;
  #tail: Node | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Calls `onExpire` once `timeoutMs` has passed, unless the entry is removed first. */
  add(onExpire: () => void): DeadlineEntry {
    const node: Node = {
      expiresAt: performance.now() + this.timeoutMs,
      onExpire,
      prev: this.#tail,
      next: undefined,
      live: true,
    };
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    if (this.#timer === undefined) this.#arm(node.expiresAt);
    return node;
  }

  remove(entry: DeadlineEntry): void {
    const node = entry as Node;
    if (!node.live) return;
    node.live = false;
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = undefined;
    // The timer stays armed; when it fires for nothing it re-arms for the new head. Only an
    // empty list stops it, so an idle pool holds no timer.
    if (this.#head === undefined) this.#disarm();
  }

  #arm(at: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(0, at - performance.now()));
    this.#timer.unref?.();
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    // Timers may fire a little early: treat anything within a millisecond as due.
    const now = performance.now() + 1;
    while (this.#head !== undefined && this.#head.expiresAt <= now) {
      const node = this.#head;
      this.remove(node);
      node.onExpire();
    }
    if (this.#head !== undefined && this.#timer === undefined) this.#arm(this.#head.expiresAt);
  };
}
