/** Typed events: `onX(listener)` returns a subscription; emitting costs nothing when nobody listens. */

export interface Subscription extends Disposable {
  /** Stop listening. Calling it again does nothing. */
  dispose(): void;
}

export type Listener<T> = (event: T) => void;

export class Listeners<T> {
  #listeners: Set<Listener<T>> | undefined;

  /** True when at least one listener is registered; check before building an event object. */
  get active(): boolean {
    return this.#listeners !== undefined && this.#listeners.size > 0;
  }

  add(listener: Listener<T>): Subscription {
    if (typeof listener !== 'function') {
      throw new TypeError('Expected `listener` to be a function');
    }
    (this.#listeners ??= new Set()).add(listener);
    const dispose = (): void => {
      this.#listeners?.delete(listener);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /**
   * Calls every listener. A listener that throws does not stop the others nor corrupt the
   * caller's state: its error is rethrown on a later microtask, where it surfaces as an
   * uncaught exception instead of vanishing.
   */
  emit(event: T): void {
    if (this.#listeners === undefined) return;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.#listeners = undefined;
  }
}
