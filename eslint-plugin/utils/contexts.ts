import { dirname, isAbsolute } from 'node:path';
import type { RuleContext } from '@typescript-eslint/utils/ts-eslint';
import { classifyFile, clearContextCache as clearPolicyContextCache, runsOn, type FileContexts } from '@bounded/policy';
import { policyFor } from './policy.js';

/**
 * Where the file a rule lints runs (request-serving code, a test, a script or CLI, browser,
 * vendored or generated code): @bounded/policy's `classifyFile`, the one classifier that
 * `bounded check` uses too, read once per file for all rules.
 */

export type { ContextMatch, FileContexts } from '@bounded/policy';

const byText = new WeakMap<object, FileContexts>();

/**
 * The contexts of the file a rule is linting, classified once per file for all rules (cached
 * on its SourceCode). The base of the policy's globs is the policy file's folder, else cwd.
 */
export function contextsOf(context: Readonly<RuleContext<string, readonly unknown[]>>): FileContexts {
  const sourceCode = context.sourceCode;
  let found = byText.get(sourceCode);
  if (found === undefined) {
    const policy = policyFor(context);
    const base = policy.source === undefined ? context.cwd : dirname(policy.source);
    found = classifyFile(context.physicalFilename, sourceCode.text, policy, base);
    byText.set(sourceCode, found);
  }
  return found;
}

/** True when `rule` runs on the file being linted: false in a context the policy skips it in. */
export function ruleRunsHere(rule: string, context: Readonly<RuleContext<string, readonly unknown[]>>): boolean {
  // Code that is not a file (an editor's buffer, `<input>`) serves requests.
  if (!isAbsolute(context.physicalFilename)) return true;
  return runsOn(rule, contextsOf(context));
}

/** Forget cached package.json files (tests, and editors after one changed). */
export function clearContextCache(): void {
  clearPolicyContextCache();
}
