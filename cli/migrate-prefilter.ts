/**
 * Phase one of `bounded migrate`: a cheap text test per transform. A file whose text does not
 * match cannot hold anything the transform rewrites or reports, so it is never parsed.
 *
 * Soundness matters more than precision here: a prefilter that misses a target silently drops
 * a rewrite. test/cli/migrate-prefilter.test.ts runs every transform over its fixtures and
 * checks that each file it changes or reports on passes its prefilter. A transform in the
 * registry with no entry here runs on every file (correct, only slower).
 */
import { HTTP_CLIENTS, PROVIDER_APIS, PROVIDER_MODULE_TEXT, PROVIDER_SDKS, SAAS_APIS } from '@bounded/policy';
import type { TransformName } from './migrate-source.js';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * First segments of the model-provider method paths (`client.<resource>.<method>(…)`, `model.invoke(…)`), from the catalog.
 * The SaaS entries are left out: their heads (`get`, `post`, `send`, `users`…) are in nearly every file, and the transform
 * only reports their calls (it never rewrites them); files that import a SaaS module still pass on its name.
 */
const PROVIDER_HEADS = [
  ...new Set(
    PROVIDER_APIS.filter((api) => !SAAS_APIS.includes(api)).flatMap((api) => [
      ...(api.resources ?? []),
      ...(api.methods ?? []).map((method) => method.split('.')[0]!),
    ]),
  ),
].join('|');
/** Modules whose import add-timeouts acts on: the HTTP clients and the SDKs, from the catalog. */
const TIMEOUT_MODULES = [
  ...HTTP_CLIENTS.flatMap((client) => client.modules),
  ...PROVIDER_SDKS.flatMap((api) => api.modules.filter((module): module is string => typeof module === 'string')),
]
  .map(escape)
  .join('|');
/** Text every provider import holds (a module or its family's prefix). */
const PROVIDER_MODULES = PROVIDER_MODULE_TEXT.map(escape).join('|');

/** Per transform, text that every file it can change or report on contains. */
const PREFILTERS: Readonly<Record<string, RegExp>> = {
  // The global fetch (also globalThis. / window. / self.fetch), or a client it only touches when
  // it is imported: node:http(s), undici, node-fetch, axios, got, the model SDKs.
  'add-timeouts': new RegExp(`\\bfetch\\s*\\(|['"](?:node:)?(?:${TIMEOUT_MODULES})['"]`),
  'bound-promise-all': /\bPromise\s*\.\s*(?:all|allSettled)\b/,
  // pg's Client or Pool, bound by an import or require of 'pg'.
  'pool-connections': /['"]pg['"]/,
  // A checkout: pool.connect(), .getConnection(), .acquire().
  'release-clients': /\.\s*(?:connect|getConnection|acquire)\b/,
  // A provider import (an SDK or a framework), or a provider call on a client imported from another module.
  'throttle-provider-calls': new RegExp(`['"](?:${PROVIDER_MODULES})|\\.\\s*(?:${PROVIDER_HEADS})\\s*\\??\\s*[.(]`),
  // A timer, a promisify, or an fs import.
  'modernize-timeouts': /setTimeout|promisify|\bfs\b/,
  // An async function of the file (floating calls, async intervals), or a thread starter's module.
  'track-background-work': /\basync\b|worker_threads|child_process|cluster/,
};

/** The prefilter for `name`, or undefined when it has none (every file is a candidate). */
export function prefilterFor(name: string): RegExp | undefined {
  return Object.hasOwn(PREFILTERS, name) ? PREFILTERS[name] : undefined;
}

/**
 * `source` without the comments that fill whole lines (doc comments are full of example calls:
 * the SDKs' own sources would all look like provider calls). Only text that cannot hold code is
 * dropped. A match is kept when it holds `${` (it may be template text around an
 * interpolation), or a backtick, unless it is shaped as a doc comment (every line after the
 * first starts with `*`, as no line of a template literal's closing code plausibly does:
 * markdown fences in doc comments are common); when the line before it ends with a backslash
 * (a string continued on the next line); and nothing is dropped from a file that may hold JSX
 * (`</` or `/>`), whose text between tags is not a comment.
 */
export function withoutCommentLines(source: string): string {
  if (source.includes('</') || source.includes('/>')) return source;
  return source.replace(/^[ \t]*(?:\/\*[\s\S]*?\*\/|\/\/[^\n]*)/gm, (match: string, offset: number) => {
    if (match.includes('${')) return match;
    if (match.includes('`') && !/^[ \t]*\/\*\*[^\n]*(?:\n[ \t]*\*[^\n]*)*$/.test(match)) return match;
    let last = offset - 2; // the last character of the line before
    if (source[last] === '\r') last--;
    if (last >= 0 && source[last] === '\\') return match;
    return '';
  });
}

/** Whether `name`'s prefilter passes on `source` (true without a prefilter). */
export function mayApply(name: string, source: string): boolean {
  const prefilter = prefilterFor(name);
  return prefilter === undefined || prefilter.test(withoutCommentLines(source));
}

/** The transforms among `names` (kept in order) that may apply to `source`. */
export function applicableTransforms(names: readonly TransformName[], source: string): TransformName[] {
  const prefilters = names.map((name) => prefilterFor(name));
  if (prefilters.every((prefilter) => prefilter === undefined)) return [...names];
  const code = withoutCommentLines(source);
  return names.filter((_, i) => prefilters[i]?.test(code) ?? true);
}
