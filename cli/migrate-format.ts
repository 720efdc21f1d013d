/**
 * `bounded migrate --format`: Prettier on the lines a migration changed, and nowhere else.
 *
 * Prettier is the target repository's own: resolved from each changed file's folder (its
 * node_modules, then its parents'), never from bounded's, and run only where a Prettier
 * config applies to the file (`resolveConfig` finds one) and the file is not ignored
 * (`.prettierignore`). Each changed block of lines is formatted with Prettier's
 * `rangeStart` / `rangeEnd`, last block first so the earlier blocks' offsets still hold; the
 * rest of the file stays byte-identical (Prettier widens a range only to the statements it
 * cuts through).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lineHunks } from './migrate-source.js';

/** The part of Prettier's API used here (v2 and v3). */
interface PrettierApi {
  format(text: string, options: Record<string, unknown>): string | Promise<string>;
  resolveConfig(file: string, options?: Record<string, unknown>): Promise<Record<string, unknown> | null> | Record<string, unknown> | null;
  getFileInfo?(file: string, options?: Record<string, unknown>): Promise<{ ignored: boolean }> | { ignored: boolean };
}

/** What formatting one file came to: the new text, or why it was left as the transforms wrote it. */
export type FormatOutcome = { readonly text: string } | { readonly skipped: string };

/** Prettier per folder it resolves from (`null`: none installed there), loaded once per run. */
export class RepositoryPrettier {
  readonly #byPath = new Map<string, Promise<PrettierApi | null>>();

  /** The Prettier installed for `file`'s folder, or null. */
  async for(file: string): Promise<PrettierApi | null> {
    let resolved: string;
    try {
      resolved = createRequire(join(dirname(file), 'noop.js')).resolve('prettier');
    } catch {
      return null;
    }
    let loaded = this.#byPath.get(resolved);
    if (loaded === undefined) {
      loaded = import(pathToFileURL(resolved).href).then(
        (module: { default?: PrettierApi } & Partial<PrettierApi>) =>
          typeof module.format === 'function' ? (module as PrettierApi) : (module.default ?? null),
        () => null,
      );
      this.#byPath.set(resolved, loaded);
    }
    return loaded;
  }
}

/** Character offsets of the changed lines of `after` (each block: from its first line's start to its last line's end). */
export function changedRanges(before: string, after: string): { start: number; end: number }[] {
  const lineStarts = [0];
  for (let at = after.indexOf('\n'); at !== -1; at = after.indexOf('\n', at + 1)) lineStarts.push(at + 1);
  const lineEnd = (line: number): number => (line < lineStarts.length ? lineStarts[line]! - 1 : after.length);
  return lineHunks(before, after)
    .filter((hunk) => hunk.newCount > 0)
    .map((hunk) => ({ start: lineStarts[hunk.newStart - 1]!, end: lineEnd(hunk.newStart + hunk.newCount - 1) }));
}

/**
 * `after` with Prettier run on the ranges that differ from `before`, or why not: no Prettier
 * installed for the file, no Prettier config for it, ignored, or Prettier failed.
 */
export async function formatChanged(prettiers: RepositoryPrettier, file: string, before: string, after: string): Promise<FormatOutcome> {
  const prettier = await prettiers.for(file);
  if (prettier === null) return { skipped: 'no Prettier installed for it (resolved from its folder)' };
  try {
    const config = await prettier.resolveConfig(file, { editorconfig: true });
    if (config === null) return { skipped: 'no Prettier config applies to it' };
    if (prettier.getFileInfo !== undefined && (await prettier.getFileInfo(file)).ignored) return { skipped: 'Prettier ignores it' };
    let text = after;
    // Last range first: formatting one leaves the offsets before it as they were.
    for (const range of changedRanges(before, after).reverse()) {
      text = await prettier.format(text, { ...config, filepath: file, rangeStart: range.start, rangeEnd: range.end });
    }
    return { text };
  } catch (error) {
    return { skipped: `Prettier failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}` };
  }
}
