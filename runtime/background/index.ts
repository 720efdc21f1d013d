export { every, type EveryOptions, type EveryTask, type Interval } from './every.js';
export {
  BackgroundRunner,
  DEFAULT_BACKGROUND_CONCURRENCY,
  background,
  closeDefaultBackgroundRunner,
  createBackgroundRunner,
  defaultBackgroundRunner,
  type BackgroundCloseOptions,
  type BackgroundError,
  type BackgroundRunOptions,
  type BackgroundRunnerOptions,
  type BackgroundTask,
} from './runner.js';
