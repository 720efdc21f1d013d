import { isAbsolute, relative, sep } from 'node:path';

/**
 * File globs as the policy writes them (`scripts/**`, `**\/*.migration.ts`, `db/seed-?.ts`).
 * A small matcher of our own: node:path's `matchesGlob` is experimental in Node 20 (and
 * missing before 20.17), and warns when used.
 *
 * - `**` matches any number of folders, `*` any run of characters within one name, `?` one;
 * - `{a,b}` matches either alternative;
 * - a pattern with no `/` matches the file name in any folder (`*.seed.ts`);
 * - patterns are relative to a base folder (the policy file's), or absolute.
 */

const compiled = new Map<string, RegExp>();

function escape(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

/** The RegExp `pattern` stands for, over `/`-separated paths. */
export function globToRegExp(pattern: string): RegExp {
  let regexp = compiled.get(pattern);
  if (regexp !== undefined) return regexp;
  const glob = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  let source = '';
  let inGroup = false;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      const atNameStart = i === 0 || glob[i - 1] === '/';
      i++;
      if (atNameStart && glob[i + 1] === '/') {
        source += '(?:.*/)?';
        i++;
      } else {
        source += '.*';
      }
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '{' && !inGroup) {
      source += '(?:';
      inGroup = true;
    } else if (char === '}' && inGroup) {
      source += ')';
      inGroup = false;
    } else if (char === ',' && inGroup) source += '|';
    else source += escape(char);
  }
  const anywhere = !glob.includes('/');
  regexp = new RegExp(`^${anywhere ? '(?:.*/)?' : ''}${source}$`);
  compiled.set(pattern, regexp);
  return regexp;
}

/** True when `file` (absolute) matches one of `patterns`, taken relative to `base`. */
export function matchesAnyGlob(file: string, patterns: readonly string[], base: string): boolean {
  if (patterns.length === 0) return false;
  const fromBase = relative(base, file).split(sep).join('/');
  const absolute = file.split(sep).join('/');
  return patterns.some((pattern) =>
    isAbsolute(pattern) ? globToRegExp(pattern).test(absolute) : !fromBase.startsWith('../') && globToRegExp(pattern).test(fromBase),
  );
}
