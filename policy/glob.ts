import { isAbsolute, relative, sep } from 'node:path';

/**
 * File globs as the policy writes them (`scripts/**`, `**\/*.migration.ts`, `db/seed-?.ts`).
 * A small matcher of our own: node:path's `matchesGlob` is experimental in Node 20 (and
 * missing before 20.17), and warns when used.
 *
 * - `**` matches any number of folders, `*` any run of characters within one name, `?` one;
 * - `{a,b}` matches either alternative (policy globs only; not nested);
 * - a pattern with no `/` matches the file name in any folder (`*.seed.ts`);
 * - patterns are relative to a base folder (the policy file's), or absolute.
 *
 * Matching takes time linear in the path's length (times the pattern's), whatever the
 * pattern: it is never turned into a RegExp, whose backtracking made `**a**a…**b` against a
 * long run of `a`s take minutes. The pattern is compiled to a small automaton (Thompson's
 * construction) and the path is run through it once, keeping the set of states it can be in.
 * A pattern longer than `MAX_GLOB_LENGTH` matches nothing. The same automaton reads
 * `.gitignore` lines for the CLI (`gitignoreMatcher`), and the rules' file globs.
 */

/** Patterns longer than this match nothing (no real glob or .gitignore line comes near it). */
export const MAX_GLOB_LENGTH = 1024;

/** One step of a pattern. */
type Token =
  | { readonly t: 'char'; readonly c: number }
  /** `?`: one character other than `/`. */
  | { readonly t: 'one' }
  /** `*`: any run of characters other than `/`. */
  | { readonly t: 'star' }
  /** `**` inside a name: any run of characters. */
  | { readonly t: 'any' }
  /** `**\/` at the start of a name: any number (zero or more) of whole folders. */
  | { readonly t: 'dirs' }
  | { readonly t: 'alt'; readonly options: readonly (readonly Token[])[] }
  /** After a .gitignore pattern: nothing, or `/` and anything (what lies inside a matched folder). */
  | { readonly t: 'tail' };

const SLASH = 0x2f;

/** The automaton's states: what each consumes, and where it goes. */
const CHAR = 0; // consumes `code`, goes to `next`
const NOT_SLASH = 1; // consumes any character but `/`, goes to `next`
const ANY = 2; // consumes any character, goes to `next`
const SPLIT = 3; // consumes nothing, goes to `next` and `alt`
const MATCH = 4;

/** A compiled pattern: `test(path)` says whether the whole `/`-separated path matches. */
export interface GlobMatcher {
  test(path: string): boolean;
}

class Automaton implements GlobMatcher {
  readonly #kind: number[] = [];
  readonly #code: number[] = [];
  readonly #next: number[] = [];
  readonly #alt: number[] = [];
  #start = 0;
  /** Per state, the generation it was last added in (dedupes a step's state set). */
  #seen = new Uint32Array(0);
  #generation = 0;

  constructor(tokens: readonly Token[]) {
    const match = this.#add(MATCH, 0, -1, -1);
    this.#start = this.#sequence(tokens, match);
    this.#seen = new Uint32Array(this.#kind.length);
  }

  #add(kind: number, code: number, next: number, alt: number): number {
    this.#kind.push(kind);
    this.#code.push(code);
    this.#next.push(next);
    this.#alt.push(alt);
    return this.#kind.length - 1;
  }

  /** Builds `tokens` followed by state `next`; returns the first state. */
  #sequence(tokens: readonly Token[], next: number): number {
    let at = next;
    for (let i = tokens.length - 1; i >= 0; i--) at = this.#token(tokens[i]!, at);
    return at;
  }

  #token(token: Token, next: number): number {
    switch (token.t) {
      case 'char':
        return this.#add(CHAR, token.c, next, -1);
      case 'one':
        return this.#add(NOT_SLASH, 0, next, -1);
      case 'star':
      case 'any': {
        // loop: consume one (and come back), or go on.
        const loop = this.#add(SPLIT, 0, -1, next);
        this.#next[loop] = this.#add(token.t === 'star' ? NOT_SLASH : ANY, 0, loop, -1);
        return loop;
      }
      case 'dirs': {
        // (?:.*\/)?: go on, or consume anything up to a `/` and then go on.
        const slash = this.#add(CHAR, SLASH, next, -1);
        const loop = this.#add(SPLIT, 0, -1, slash);
        this.#next[loop] = this.#add(ANY, 0, loop, -1);
        return this.#add(SPLIT, 0, next, loop);
      }
      case 'tail': {
        // (?:\/.*)?: stop here, or a `/` and anything after it.
        const loop = this.#add(SPLIT, 0, -1, next);
        this.#next[loop] = this.#add(ANY, 0, loop, -1);
        const slash = this.#add(CHAR, SLASH, loop, -1);
        return this.#add(SPLIT, 0, next, slash);
      }
      case 'alt': {
        let at = this.#sequence(token.options[token.options.length - 1]!, next);
        for (let i = token.options.length - 2; i >= 0; i--) at = this.#add(SPLIT, 0, this.#sequence(token.options[i]!, next), at);
        return at;
      }
    }
  }

  /** Adds `state` and every state it reaches without consuming to `into`. */
  #close(state: number, into: number[]): void {
    const stack = [state];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (this.#seen[s] === this.#generation) continue;
      this.#seen[s] = this.#generation;
      if (this.#kind[s] === SPLIT) {
        stack.push(this.#alt[s]!, this.#next[s]!);
      } else into.push(s);
    }
  }

  test(path: string): boolean {
    this.#generation++;
    let current: number[] = [];
    this.#close(this.#start, current);
    for (let i = 0; i < path.length && current.length > 0; i++) {
      const code = path.charCodeAt(i);
      this.#generation++;
      const next: number[] = [];
      for (const s of current) {
        const kind = this.#kind[s];
        if (kind === ANY || (kind === NOT_SLASH && code !== SLASH) || (kind === CHAR && this.#code[s] === code))
          this.#close(this.#next[s]!, next);
      }
      current = next;
      // The generation counter wraps after four billion steps: start the marks afresh.
      if (this.#generation > 0xfffffff0) {
        this.#seen.fill(0);
        this.#generation = 0;
      }
    }
    return current.some((s) => this.#kind[s] === MATCH);
  }
}

const NEVER: GlobMatcher = { test: () => false };

/**
 * The steps of a pattern. `**` is read two stars at a time, as the RegExp this replaces read
 * it: a `**` at the start of a name and followed by `/` is `dirs`, any other `**` is `any`.
 */
function tokenize(glob: string, alternatives = true): Token[] {
  const top: Token[] = [];
  let options: Token[][] | undefined;
  let out = top;
  const push = (token: Token): void => {
    const last = out[out.length - 1];
    // `*` or `**` after `**` adds nothing (.*[^/]* is .*); `*` after `*` neither.
    if (
      last !== undefined &&
      (last.t === 'any' || (last.t === 'star' && token.t === 'star')) &&
      (token.t === 'star' || token.t === 'any')
    ) {
      if (token.t === 'any' && last.t === 'star') out[out.length - 1] = token;
      return;
    }
    out.push(token);
  };
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      const atNameStart = i === 0 || glob[i - 1] === '/';
      i++;
      if (atNameStart && glob[i + 1] === '/') {
        push({ t: 'dirs' });
        i++;
      } else push({ t: 'any' });
    } else if (char === '*') push({ t: 'star' });
    else if (char === '?') push({ t: 'one' });
    // A `{` with no `}` after it is a plain character.
    else if (alternatives && char === '{' && options === undefined && glob.includes('}', i + 1)) {
      options = [[]];
      out = options[0]!;
    } else if (char === '}' && options !== undefined) {
      top.push({ t: 'alt', options });
      options = undefined;
      out = top;
    } else if (char === ',' && options !== undefined) {
      out = [];
      options.push(out);
    } else push({ t: 'char', c: glob.charCodeAt(i) });
  }
  return top;
}

const compiled = new Map<string, GlobMatcher>();

/** The matcher for a policy glob `pattern`, over `/`-separated paths (the whole path must match). */
export function globMatcher(pattern: string): GlobMatcher {
  let matcher = compiled.get(pattern);
  if (matcher !== undefined) return matcher;
  if (pattern.length > MAX_GLOB_LENGTH) matcher = NEVER;
  else {
    const glob = pattern.startsWith('./') ? pattern.slice(2) : pattern;
    const tokens = tokenize(glob);
    // No `/`: the name in any folder.
    matcher = new Automaton(glob.includes('/') ? tokens : [{ t: 'dirs' }, ...tokens]);
  }
  if (compiled.size > 10_000) compiled.clear();
  compiled.set(pattern, matcher);
  return matcher;
}

/** True when `file` (absolute) matches one of `patterns`, taken relative to `base`. */
export function matchesAnyGlob(file: string, patterns: readonly string[], base: string): boolean {
  if (patterns.length === 0) return false;
  const fromBase = relative(base, file).split(sep).join('/');
  const absolute = file.split(sep).join('/');
  return patterns.some((pattern) =>
    isAbsolute(pattern) ? globMatcher(pattern).test(absolute) : !fromBase.startsWith('../') && globMatcher(pattern).test(fromBase),
  );
}

/**
 * The matcher for one `.gitignore` pattern (already trimmed, without a leading `!`), over paths
 * relative to the .gitignore's folder: a pattern with a `/` other than a trailing one is
 * anchored to that folder, one without matches at any depth; a match also covers everything
 * inside it. Returns whether it applies to folders only (a trailing `/`). `**` is read as git
 * reads it: at the start of a name and followed by `/`, zero or more folders.
 */
export function gitignoreMatcher(line: string): { readonly matcher: GlobMatcher; readonly directoryOnly: boolean } {
  const directoryOnly = line.endsWith('/');
  if (line.length > MAX_GLOB_LENGTH) return { matcher: NEVER, directoryOnly };
  const anchored = line.startsWith('/') || line.slice(0, -1).includes('/');
  const pattern = line.replace(/^\//, '').replace(/\/$/, '');
  const tokens = tokenize(pattern, false);
  return { matcher: new Automaton([...(anchored ? [] : [{ t: 'dirs' } as const]), ...tokens, { t: 'tail' }]), directoryOnly };
}
