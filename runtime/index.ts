/**
 * bounded's runtime: primitives that keep a service inside its concurrency and time limits.
 * Import from "bounded/runtime" (or "bounded").
 */
export {
  Semaphore,
  type AcquireOptions,
  type Permit,
  type SemaphoreOptions,
  type SemaphoreRejection,
  type SemaphoreState,
  type SemaphoreTask,
} from './semaphore.js';
export {
  allBounded,
  forEachBounded,
  mapBounded,
  mapBoundedSettled,
  type Items,
  type MapBoundedOptions,
  type Mapper,
  type Thunk,
} from './map-bounded.js';
export {
  deadline,
  withTimeout,
  type Deadline,
  type DeadlineOptions,
  type TimedTask,
  type WithTimeoutOptions,
} from './timeout.js';
export {
  BoundedError,
  ClosedError,
  QueueFullError,
  TimeoutError,
  isBoundedError,
  isClosedError,
  isQueueFullError,
  isTimeoutError,
  type QueueFullDetails,
  type TimeoutDetails,
} from './errors.js';
export type { Listener, Subscription } from './internal/events.js';
