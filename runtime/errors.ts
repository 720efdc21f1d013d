/**
 * One error class per failure. Each carries the limit that was hit in its message and as
 * properties, sets `name` (and `cause` where there is one), and has an `isXError` guard that
 * works when two copies of bounded are loaded: the guards check a brand registered with
 * `Symbol.for`, never `instanceof`.
 */

const BRAND = Symbol.for('bounded.error');

/** Base class of every error bounded throws on purpose. */
export abstract class BoundedError extends Error {
  /** The name of the resource whose limit was hit (a semaphore, pool or limiter name). */
  readonly resource: string | undefined;

  protected constructor(message: string, resource: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.resource = resource;
  }
}

export interface QueueFullDetails {
  /** Name of the resource, when it has one. */
  readonly resource?: string | undefined;
  /** What kind of resource refused: "Semaphore", "TokenBucket", … */
  readonly kind: string;
  /** Concurrency (or rate) limit of the resource. */
  readonly limit: number;
  /** The queue bound that was reached. */
  readonly maxQueue: number;
  /** Live counts when the call was refused. */
  readonly inUse?: number;
  readonly waiting: number;
}

/** The resource is at its limit and its wait queue is full: the call was refused at once. */
export class QueueFullError extends BoundedError {
  readonly kind: string;
  readonly limit: number;
  readonly maxQueue: number;
  readonly waiting: number;

  constructor(details: QueueFullDetails) {
    const label = describe(details.kind, details.resource);
    const inUse = details.inUse === undefined ? '' : `, ${details.inUse} of ${details.limit} in use`;
    super(`${label} queue is full: ${details.waiting} waiting (maxQueue ${details.maxQueue})${inUse}`, details.resource);
    this.name = 'QueueFullError';
    this.kind = details.kind;
    this.limit = details.limit;
    this.maxQueue = details.maxQueue;
    this.waiting = details.waiting;
    brandError(this, 'QueueFullError');
  }
}

export interface LoadShedDetails {
  readonly resource?: string | undefined;
  /** What kind of resource shed the call: "Semaphore", "TokenBucket", "Pool", "HttpClient"… */
  readonly kind: string;
  /** The limit the wait is for, and its value: "limit 10", "60 per 60000 ms", "max 20"… */
  readonly limit: string;
  /** The wait the resource expects for this caller, in milliseconds, measured from its recent service. */
  readonly expectedWaitMs: number;
  /** What was left of the caller's deadline (`timeoutMs`, `deadlineMs`), in milliseconds. */
  readonly remainingMs: number;
  /** Callers already waiting ahead of this one. */
  readonly waiting: number;
}

/**
 * Overload shed early: the caller's deadline is shorter than the wait the resource expects for
 * it, so the call was refused at once rather than left to expire in the queue (where it would
 * only have delayed the callers behind it).
 */
export class LoadShedError extends BoundedError {
  readonly kind: string;
  readonly limit: string;
  readonly expectedWaitMs: number;
  readonly remainingMs: number;
  readonly waiting: number;

  constructor(details: LoadShedDetails) {
    super(
      `${describe(details.kind, details.resource)} shed the call: its expected wait of ${Math.ceil(details.expectedWaitMs)} ms ` +
        `(${details.waiting} waiting, ${details.limit}) is longer than the ${Math.floor(details.remainingMs)} ms left of its deadline`,
      details.resource,
    );
    this.name = 'LoadShedError';
    this.kind = details.kind;
    this.limit = details.limit;
    this.expectedWaitMs = details.expectedWaitMs;
    this.remainingMs = details.remainingMs;
    this.waiting = details.waiting;
    brandError(this, 'LoadShedError');
  }
}

export interface TimeoutDetails {
  readonly resource?: string | undefined;
  /** What timed out, for the message: "operation", "Semaphore \"db\" acquire", … */
  readonly operation: string;
  /** The deadline that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  readonly cause?: unknown;
}

/** A deadline passed: waiting for a permit, or the work itself, took longer than allowed. */
export class TimeoutError extends BoundedError {
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(details: TimeoutDetails) {
    super(
      `${details.operation} timed out after ${formatMs(details.timeoutMs)} (timeoutMs ${details.timeoutMs})`,
      details.resource,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'TimeoutError';
    this.operation = details.operation;
    this.timeoutMs = details.timeoutMs;
    brandError(this, 'TimeoutError');
  }
}

/** The resource was closed; pending and later calls are refused. */
export class ClosedError extends BoundedError {
  readonly kind: string;

  constructor(kind: string, resource?: string) {
    super(`${describe(kind, resource)} is closed`, resource);
    this.name = 'ClosedError';
    this.kind = kind;
    brandError(this, 'ClosedError');
  }
}

export interface StoreUnavailableDetails {
  /** Name of the limit or semaphore whose shared state could not be reached. */
  readonly resource?: string | undefined;
  /** The store, without credentials: "postgres 127.0.0.1:5432 schema bounded", "redis …". */
  readonly store: string;
  /** What failed: "tryAcquire", "acquire", "renew", "release", "connect", … */
  readonly operation: string;
  /** Set when the store did not answer within its operation timeout. */
  readonly timeoutMs?: number | undefined;
  readonly cause?: unknown;
}

/**
 * The shared store of a limit could not be reached or did not answer in time. Under
 * `onStoreError: 'failClosed'` callers see this error; under `failOpen` they go through the
 * local fallback limit instead.
 */
export class StoreUnavailableError extends BoundedError {
  readonly store: string;
  readonly operation: string;
  readonly timeoutMs: number | undefined;

  constructor(details: StoreUnavailableDetails) {
    const label = details.resource === undefined ? '' : ` for "${details.resource}"`;
    const why = details.timeoutMs === undefined ? describeCause(details.cause) : `no answer within ${formatMs(details.timeoutMs)}`;
    super(
      `Store ${details.store} unavailable${label}: ${details.operation} failed (${why})`,
      details.resource,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'StoreUnavailableError';
    this.store = details.store;
    this.operation = details.operation;
    this.timeoutMs = details.timeoutMs;
    brandError(this, 'StoreUnavailableError');
  }
}

export function isBoundedError(value: unknown): value is BoundedError {
  return typeof value === 'object' && value !== null && typeof (value as { [BRAND]?: unknown })[BRAND] === 'string';
}

export function isQueueFullError(value: unknown): value is QueueFullError {
  return hasErrorBrand(value, 'QueueFullError');
}

export function isLoadShedError(value: unknown): value is LoadShedError {
  return hasErrorBrand(value, 'LoadShedError');
}

export function isTimeoutError(value: unknown): value is TimeoutError {
  return hasErrorBrand(value, 'TimeoutError');
}

export function isClosedError(value: unknown): value is ClosedError {
  return hasErrorBrand(value, 'ClosedError');
}

export function isStoreUnavailableError(value: unknown): value is StoreUnavailableError {
  return hasErrorBrand(value, 'StoreUnavailableError');
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message === '' ? cause.name : cause.message;
  return typeof cause === 'string' && cause !== '' ? cause : 'unknown cause';
}

function describe(kind: string, resource: string | undefined): string {
  return resource === undefined ? kind : `${kind} "${resource}"`;
}

function formatMs(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/**
 * For error classes that live next to the primitive that throws them (runtime/http/errors.ts,
 * …): brands `error` as `kind`, so `isBoundedError` and the class's own guard recognise it
 * across copies of bounded.
 */
export function brandError(error: BoundedError, kind: string): void {
  Object.defineProperty(error, BRAND, { value: kind, enumerable: false });
}

/** True when `value` carries the brand `kind` (see `brandError`). */
export function hasErrorBrand(value: unknown, kind: string): boolean {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === kind;
}
