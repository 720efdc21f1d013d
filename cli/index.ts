/**
 * The `bounded` command as a library: `main(argv, io)` runs it as the binary does and resolves
 * to its exit code (0 clean, 1 findings or failures).
 */
export { helpText, main, type Io } from './main.js';

/** The engine of `bounded check`, for tools and benchmarks that drive it the same way. */
export {
  buildProjectIndex,
  createCheckLinter,
  workerCount,
  type CheckLinter,
  type CheckLinterOptions,
  type IndexStats,
} from './check-index.js';
export { lintBatches, lintChecked, type LintOutcome } from './check-lint.js';
export { hasSyntaxError } from './check-syntax.js';
export { lintPrefilter, type LintPrefilter, type LintPrefilterOptions } from './check-prefilter.js';
