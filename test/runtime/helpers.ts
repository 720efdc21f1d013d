/** Small tools that let the runtime tests drive order and time by hand. */

import { Semaphore, type Permit, type SemaphoreOptions } from '../../runtime/index.js';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T | PromiseLike<T>): void;
  reject(reason: unknown): void;
}

/** A promise together with the functions that settle it. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export type Tracked<T> =
  | { readonly state: 'pending' }
  | { readonly state: 'fulfilled'; readonly value: T }
  | { readonly state: 'rejected'; readonly reason: unknown };

/**
 * Watches a promise without awaiting it: `current()` tells whether it has settled yet. A
 * rejection is handled here, so a test may leave a rejected promise unobserved.
 */
export function track<T>(promise: Promise<T>): { current(): Tracked<T>; readonly promise: Promise<T> } {
  let current: Tracked<T> = { state: 'pending' };
  promise.then(
    (value) => {
      current = { state: 'fulfilled', value };
    },
    (reason: unknown) => {
      current = { state: 'rejected', reason };
    },
  );
  return { current: () => current, promise };
}

// Taken before any test installs fake timers, so `flush` always waits on the real event loop.
const realSetImmediate = globalThis.setImmediate;

/**
 * Waits until every pending promise job has run: an immediate fires only once the job
 * queues are empty. Fake timers do not touch it (it was captured at import).
 */
export function flush(): Promise<void> {
  return new Promise((resolve) => {
    realSetImmediate(resolve);
  });
}

/** Counts tasks running at once. */
export class Gauge {
  current = 0;
  max = 0;

  enter(): void {
    this.current++;
    if (this.current > this.max) this.max = this.current;
  }

  leave(): void {
    this.current--;
  }
}

/** The rejection reason of a tracked promise; fails the test if it has not rejected. */
export function reasonOf(tracked: { current(): Tracked<unknown> }): unknown {
  const current = tracked.current();
  if (current.state !== 'rejected') throw new Error(`expected a rejection, the promise is ${current.state}`);
  return current.reason;
}

/** Calls `call` and turns a synchronous throw into a rejection, so either way of failing passes. */
export function attempt(call: () => unknown): Promise<unknown> {
  return new Promise((resolve) => resolve(call()));
}

/** A semaphore with every permit taken (by `tryAcquire`), and those permits. */
export function full(limit: number, options?: SemaphoreOptions): [Semaphore, Permit[]] {
  const sem = new Semaphore(limit, options);
  const permits = Array.from({ length: limit }, () => sem.tryAcquire()!);
  return [sem, permits];
}
