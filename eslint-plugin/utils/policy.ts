import { dirname } from 'node:path';
import type { RuleContext } from '@typescript-eslint/utils/ts-eslint';
import { loadPolicy, type Policy } from '@bounded/policy';
import { clearContextCache } from './contexts.js';

/**
 * What a flat config may put under `settings.bounded`:
 *
 * ```js
 * settings: { bounded: { policy: './bounded.policy.yaml' } }
 * ```
 */
export interface BoundedSettings {
  /** A policy file; default: the nearest bounded.policy.yaml above the linted file. */
  policy?: string;
}

const byFile = new Map<string, Policy>();
const byDir = new Map<string, Policy>();

/**
 * The policy that applies to the file being linted: `settings.bounded.policy`, else
 * BOUNDED_POLICY, else the nearest bounded.policy.yaml above the file, else the embedded
 * defaults. Cached per file and folder: a lint run reads each policy once. An invalid policy
 * throws its PolicyError, which ESLint reports with the file, line and column of each problem.
 */
export function policyFor(context: Readonly<RuleContext<string, readonly unknown[]>>): Policy {
  const settings = (context.settings as { bounded?: BoundedSettings }).bounded;
  if (settings?.policy !== undefined) {
    const path = settings.policy;
    let policy = byFile.get(path);
    if (policy === undefined) {
      policy = loadPolicy({ path, cwd: context.cwd });
      byFile.set(path, policy);
    }
    return policy;
  }
  const dir = dirname(context.physicalFilename);
  let policy = byDir.get(dir);
  if (policy === undefined) {
    policy = loadPolicy({ cwd: dir });
    byDir.set(dir, policy);
  }
  return policy;
}

/** Forget cached policies and package.json files (tests, and editors after one changed). */
export function clearPolicyCache(): void {
  byFile.clear();
  byDir.clear();
  clearContextCache();
}
