/** Argument checks shared by every primitive: fail fast with a TypeError that names the argument. */

/** setTimeout fires at once for delays above this (a signed 32-bit millisecond count). */
export const MAX_TIMER_MS = 2_147_483_647;

export function assertLimit(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 1))) {
    throw new TypeError(`Expected \`${name}\` to be a positive integer or Infinity, got ${show(value)}`);
  }
}

export function assertQueueBound(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 0))) {
    throw new TypeError(`Expected \`${name}\` to be a non-negative integer or Infinity, got ${show(value)}`);
  }
}

export function assertTimeoutMs(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`Expected \`${name}\` to be a number of milliseconds in (0, ${MAX_TIMER_MS}], got ${show(value)}`);
  }
}

export function assertFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function, got ${show(value)}`);
  }
}

export function assertSignal(name: string, value: unknown): asserts value is AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(`Expected \`${name}\` to be an AbortSignal, got ${show(value)}`);
  }
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'symbol') return value.toString();
  return `${value as number}`;
}
