/**
 * Phase one of `bounded migrate`: a cheap text test per transform. A file whose text does not
 * match cannot hold anything the transform rewrites or reports, so it is never parsed.
 *
 * Soundness matters more than precision here: a prefilter that misses a target silently drops
 * a rewrite. test/cli/migrate-prefilter.test.ts runs every transform over its fixtures and
 * checks that each file it changes or reports on passes its prefilter. A transform in the
 * registry with no entry here runs on every file (correct, only slower).
 */
import type { TransformName } from './migrate-source.js';

/** Per transform, the text every file it can touch contains. */
const PREFILTERS: Readonly<Record<string, RegExp>> = {
  // fetch(…) / globalThis.fetch(…), or an SDK client, which it only rewrites when the class is
  // imported from the SDK's module, so the module's name is in the text.
  'add-timeouts': /\bfetch\s*\(|['"](?:openai|@anthropic-ai\/sdk)['"]/,
  'bound-promise-all': /\bPromise\s*\.\s*(?:all|allSettled)\b/,
};

/** The prefilter for `name`, or undefined when it has none (every file is a candidate). */
export function prefilterFor(name: string): RegExp | undefined {
  return Object.hasOwn(PREFILTERS, name) ? PREFILTERS[name] : undefined;
}

/** The transforms among `names` (kept in order) that may apply to `source`. */
export function applicableTransforms(names: readonly TransformName[], source: string): TransformName[] {
  return names.filter((name) => prefilterFor(name)?.test(source) ?? true);
}
