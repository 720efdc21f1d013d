/**
 * Parsing for text edits. The transforms match on the jscodeshift AST and splice the source
 * text at node offsets, so those offsets must be offsets into the file as it is on disk.
 *
 * recast does not parse the text it is given: it first re-renders each line's leading
 * whitespace as spaces (a tab becomes `tabWidth` spaces; `\v`, `\f` and a byte-order mark
 * become nothing) and joins the lines with one line terminator, so `\r\n`, a lone `\r`, U+2028
 * and U+2029 all become `\n`. Every offset after a tab-indented line or a CRLF is then off.
 * `parseForTextEdits` parses at `tabWidth: 1` (a tab becomes one space: the same length) and,
 * when the text still differs from what recast parsed (line endings other than `\n`, or a
 * zero-width character in an indentation), maps every `start` / `end` in the tree back to the
 * original text. `loc` keeps recast's lines and columns, which are the file's own lines.
 */
import type { Collection, JSCodeshift } from 'jscodeshift';
import babelParser from 'jscodeshift/parser/babel5Compat.js';
import tsParser from 'jscodeshift/parser/ts.js';
import tsxParser from 'jscodeshift/parser/tsx.js';

/** The parsers `bounded migrate` names a file's dialect with (jscodeshift's own). */
export type ParserName = 'ts' | 'tsx' | 'babel';

const PARSERS: Readonly<Record<ParserName, () => { parse(code: string): unknown }>> = { ts: tsParser, tsx: tsxParser, babel: babelParser };

/** The line terminators recast splits on (ECMAScript's). */
const LINE_BREAK = /\r\n|\r(?!\n)|\n|\u2028|\u2029/g;

/** Characters recast counts as indentation of width 0: it drops them from what it parses. */
const ZERO_WIDTH = /[\v\f\ufeff]/;

interface Line {
  /** Offset of the line in the original text. */
  readonly start: number;
  /** Offset of the line in the text recast parsed. */
  readonly parsed: number;
  /** The line's leading whitespace, as written. */
  readonly lead: string;
  /** Its length once recast re-rendered it (zero-width characters dropped). */
  readonly width: number;
}

/**
 * A map from offsets in the text recast parsed (at `tabWidth: 1`) to offsets in `source`, or
 * undefined when the two texts are the same.
 */
export function parsedToSource(source: string): ((offset: number) => number) | undefined {
  const lines: Line[] = [];
  let identical = true;
  let start = 0;
  let parsed = 0;
  const addLine = (end: number): void => {
    const lead = /^\s*/.exec(source.slice(start, end))![0];
    const width = ZERO_WIDTH.test(lead) ? lead.replace(/[\v\f\ufeff]/g, '').length : lead.length;
    if (width !== lead.length) identical = false;
    lines.push({ start, parsed, lead, width });
    parsed += end - start - lead.length + width + 1;
  };
  for (const match of source.matchAll(LINE_BREAK)) {
    if (match[0] !== '\n') identical = false;
    addLine(match.index);
    start = match.index + match[0].length;
  }
  addLine(source.length);
  if (identical) return undefined;
  return (offset) => {
    let low = 0;
    let high = lines.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lines[middle]!.parsed <= offset) low = middle;
      else high = middle - 1;
    }
    const line = lines[low]!;
    const column = offset - line.parsed;
    if (column >= line.width) return line.start + line.lead.length + column - line.width;
    // Inside the indentation: the column-th character recast kept.
    let kept = 0;
    for (let index = 0; index < line.lead.length; index++) {
      if (ZERO_WIDTH.test(line.lead[index]!)) continue;
      if (kept === column) return line.start + index;
      kept++;
    }
    return line.start + line.lead.length;
  };
}

/** Babel's offset-valued properties: a node's or token's span, and in `extra` where its parentheses open and its trailing comma is. */
const OFFSET_KEYS = ['start', 'end', 'parenStart', 'trailingComma'] as const;

/** Rewrites every offset (see OFFSET_KEYS, and a `range`) reachable from `root` through `map`. */
function remapOffsets(root: object, map: (offset: number) => number): void {
  const seen = new WeakSet<object>();
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()! as Record<string, unknown>;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const key of OFFSET_KEYS) {
      const value = node[key];
      if (typeof value === 'number') node[key] = map(value);
    }
    const range = node['range'];
    if (Array.isArray(range) && range.length === 2 && typeof range[0] === 'number' && typeof range[1] === 'number') {
      node['range'] = [map(range[0]), map(range[1])];
    }
    for (const [key, value] of Object.entries(node)) {
      // `loc` holds recast's Lines (the whole file) and line/column positions, which stay.
      if (key !== 'loc' && key !== 'range' && typeof value === 'object' && value !== null) stack.push(value);
    }
  }
}

/**
 * Parses `source` with `j` so that every node's (and token's, and comment's) `start` and `end`
 * are offsets into `source` itself, whatever its indentation and line endings.
 */
export function parseForTextEdits(j: JSCodeshift, source: string): Collection {
  const cached = session?.trees.get(source);
  if (cached !== undefined) return cached;
  let root: Collection;
  if (session?.parser !== undefined) {
    // Babel straight: its offsets are the file's own, and it skips recast's copy of the tree.
    root = j(PARSERS[session.parser]().parse(source) as Parameters<JSCodeshift>[0]);
  } else {
    root = j(source, { tabWidth: 1 });
    const map = parsedToSource(source);
    if (map !== undefined) remapOffsets((root.get() as { node: object }).node, map);
  }
  session?.trees.set(source, root);
  return root;
}

/** The parses of the current session by text, and the parser it names; undefined outside `withParseSession`. */
let session: { readonly trees: Map<string, Collection>; readonly parser: ParserName | undefined } | undefined;

/**
 * Runs `fn` with parses shared by text: inside it, `parseForTextEdits` parses a given text once
 * and hands every later caller the same tree. `bounded migrate` runs all the transforms of one
 * file in one session, so a file that no transform changes is parsed once, not once per
 * transform. Safe because the transforms only read the tree (they edit the text), and because
 * every parse of one session uses the parser of one file's extension. Sessions nest; the
 * trees are dropped when `fn` returns.
 *
 * With `parser` (the file's dialect, as jscodeshift names it), the session parses with
 * jscodeshift's own Babel parser straight, not through recast: recast copies the whole tree
 * and re-renders the text first, several times the parse itself, and the transforms need
 * neither (they edit the text at Babel's offsets, which are the file's own). The tree is the
 * same Babel tree; comments stay where Babel puts them (`leadingComments` in ./imports.ts reads
 * either attachment). Without it (as
 * under `jscodeshift -t`), `j(source)` parses as before.
 */
export function withParseSession<T>(fn: () => T, parser?: ParserName): T {
  const outer = session;
  session = { trees: new Map(), parser };
  try {
    return fn();
  } finally {
    session = outer;
  }
}

/** The line ending new lines get in `text`: `\r\n` when most of its lines end so, else `\n`. */
export function lineEndingOf(text: string): '\n' | '\r\n' {
  if (!text.includes('\r\n')) return '\n';
  const crlf = text.match(/\r\n/g)!.length;
  const lf = text.match(/\n/g)!.length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** `text` (written with `\n`) with each bare `\n` turned into `eol`. */
export function withLineEnding(text: string, eol: '\n' | '\r\n'): string {
  return eol === '\n' ? text : text.replace(/(?<!\r)\n/g, eol);
}

/** Offset of the line break that ends the line holding `offset` (the `\r` of a `\r\n`), or the end of the text. */
export function lineEndOf(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  if (newline === -1) return text.length;
  return text[newline - 1] === '\r' ? newline - 1 : newline;
}

/** Offset of the start of the next line after the one holding `offset` (past its line break), or the end of the text. */
export function nextLineStart(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}
