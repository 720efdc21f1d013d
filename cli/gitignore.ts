/**
 * `.gitignore` lines, as `bounded check` and `bounded migrate` read them (cli/files.ts): matched
 * by a small automaton (Thompson's construction, run once over the path keeping the set of
 * states it can be in), in time linear in the path's length whatever the line. They used to be
 * turned into RegExps, whose backtracking made `**a` fourteen times then `**b`, beside a file
 * named with forty `a`s, take minutes.
 *
 * - `*` matches any run of characters within one name, `?` one, `**` any run (`/` included);
 * - `**\/` at the start of a name matches zero or more whole folders, as git reads it;
 * - a line with a `/` other than a trailing one is anchored to the .gitignore's folder;
 * - a trailing `/` applies to folders only; a match covers everything inside it.
 *
 * The same automaton matches the policy's globs in eslint-plugin/utils/glob.ts (with `{a,b}`);
 * it is repeated here so that the CLI does not reach into the ESLint plugin's internals (and
 * does not load it: `bounded migrate` never loads ESLint).
 */

/** Lines longer than this match nothing (no real .gitignore line comes near it). */
export const MAX_GITIGNORE_LINE = 1024;

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
        if (kind === ANY || (kind === NOT_SLASH && code !== SLASH) || (kind === CHAR && this.#code[s] === code)) this.#close(this.#next[s]!, next);
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
 * The steps of a line. `**` is read two stars at a time, as the RegExp this replaces read it
 * (so a run of stars is `any`), but a `**` at the start of a name and followed by `/` is
 * `dirs`: zero or more folders, as git reads it (the RegExp wanted at least one).
 */
function tokenize(line: string): Token[] {
  const out: Token[] = [];
  const push = (token: Token): void => {
    const last = out[out.length - 1];
    // `*` or `**` after `**` adds nothing (.*[^/]* is .*); `*` after `*` neither.
    if (last !== undefined && (last.t === 'any' || (last.t === 'star' && token.t === 'star')) && (token.t === 'star' || token.t === 'any')) {
      if (token.t === 'any' && last.t === 'star') out[out.length - 1] = token;
      return;
    }
    out.push(token);
  };
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === '*' && line[i + 1] === '*') {
      const atNameStart = i === 0 || line[i - 1] === '/';
      i++;
      if (atNameStart && line[i + 1] === '/') {
        push({ t: 'dirs' });
        i++;
      } else push({ t: 'any' });
    } else if (char === '*') push({ t: 'star' });
    else if (char === '?') push({ t: 'one' });
    else push({ t: 'char', c: line.charCodeAt(i) });
  }
  return out;
}

/**
 * The matcher for one `.gitignore` pattern (already trimmed, without a leading `!`), over paths
 * relative to the .gitignore's folder: a pattern with a `/` other than a trailing one is
 * anchored to that folder, one without matches at any depth; a match also covers everything
 * inside it. Returns whether it applies to folders only (a trailing `/`).
 */
export function gitignoreMatcher(line: string): { readonly matcher: GlobMatcher; readonly directoryOnly: boolean } {
  const directoryOnly = line.endsWith('/');
  if (line.length > MAX_GITIGNORE_LINE) return { matcher: NEVER, directoryOnly };
  const anchored = line.startsWith('/') || line.slice(0, -1).includes('/');
  const pattern = line.replace(/^\//, '').replace(/\/$/, '');
  const tokens = tokenize(pattern);
  return { matcher: new Automaton([...(anchored ? [] : [{ t: 'dirs' } as const]), ...tokens, { t: 'tail' }]), directoryOnly };
}
