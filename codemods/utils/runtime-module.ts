/**
 * Where a file's code runs, for what a transform may import into it. Browser code (the
 * policy's classifier says so: `'use client'`, a UI package, a DOM-only file…) gets imports
 * from `@bounded/runtime/core` only, which loads no Node module; a change that needs more
 * (pools, `throttleClient`) is left alone there, with the reason. Everything else imports
 * from `@bounded/runtime`.
 */
import { dirname, resolve } from 'node:path';
import { classifyFile, type ContextMatch, type Policy } from '@bounded/policy';
import { CORE_MODULE, RUNTIME_MODULE } from './imports.js';

export { CORE_MODULE } from './imports.js';

/**
 * The values `@bounded/runtime/core` exports that a transform may write (as strings: the
 * codemods never load the runtime). test/codemods/runtime-module.test.ts checks each against
 * runtime/core.ts.
 */
export const CORE_EXPORTS: ReadonlySet<string> = new Set([
  'Semaphore',
  'allBounded',
  'forEachBounded',
  'mapBounded',
  'mapBoundedSettled',
  'deadline',
  'withTimeout',
  'SlidingWindow',
  'TokenBucket',
  'defineProvider',
  'providerLimiter',
]);

/** Where the file runs, as a transform needs it: the browser (and why), or not. */
export interface RuntimeTarget {
  /** Why the file is browser code, when it is. */
  readonly browser?: string;
}

/**
 * The file's target: from `options.contexts` when the caller classified it (`bounded migrate`
 * does, once per file), else classified here with the policy (`jscodeshift -t`).
 */
export function runtimeTarget(
  path: string,
  source: string,
  options: { readonly contexts?: readonly ContextMatch[] },
  policy: Policy,
): RuntimeTarget {
  let matches = options.contexts;
  if (matches === undefined) {
    const file = resolve(path === '' ? 'file.ts' : path);
    const base = policy.source === undefined ? process.cwd() : dirname(policy.source);
    try {
      matches = classifyFile(file, source, policy, base).matches;
    } catch {
      matches = [];
    }
  }
  const browser = matches.find((match) => match.context === 'browser');
  return browser === undefined ? {} : { browser: browser.reason };
}

/** The module to import `names` from in a file with this target, or why the file cannot have them. */
export function runtimeModuleFor(
  target: RuntimeTarget,
  names: readonly string[],
): { readonly module: string } | { readonly refusal: string } {
  if (target.browser === undefined) return { module: RUNTIME_MODULE };
  const missing = names.filter((name) => !CORE_EXPORTS.has(name));
  if (missing.length === 0) return { module: CORE_MODULE };
  return {
    refusal: `the file runs in the browser (${target.browser}) and ${missing.map((name) => `\`${name}\``).join(', ')} needs Node (not in ${CORE_MODULE}); bound it on the server side, or pass it in`,
  };
}
