import { PolicyError, formatProblem, loadPolicy, type Policy } from '@bounded/policy';
import type { Io } from './io.js';

/**
 * Loads the policy for a command up front, so an invalid file gives one clear report (every
 * problem with file:line:col) instead of an error per file. Undefined after reporting.
 */
export function loadPolicyFor(command: string, io: Io, path: string | undefined, cwd: string): Policy | undefined {
  try {
    return loadPolicy({ path, cwd });
  } catch (error) {
    if (error instanceof PolicyError) {
      io.stderr.write(`${error.problems.map(formatProblem).join('\n')}\nbounded ${command}: invalid policy ${error.file}\n`);
      return undefined;
    }
    throw error;
  }
}
