/**
 * Line-level text helpers for release-clients: where lines start and end, what a statement
 * shares its line with, the file's indentation unit, and the edits that move a run of lines one
 * level deeper without touching the inside of template literals (SQL, prompts).
 */
import type { Edit } from './imports.js';
import { lineEndOf, nextLineStart } from './text-edits.js';

/** Offset of the first character of the line holding `offset`. */
export function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export { lineEndOf, nextLineStart } from './text-edits.js';

/** The whitespace that starts the line holding `offset`. */
export function indentationAt(text: string, offset: number): string {
  return /^[ \t]*/.exec(text.slice(lineStartOf(text, offset)))![0];
}

/** True when only spaces and tabs precede `offset` on its line. */
export function startsLine(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStartOf(text, offset), offset));
}

/**
 * What follows `offset` on its line: nothing (`'empty'`), a comment that ends there
 * (the comment's start offset), or other code (`'code'`).
 */
export function restOfLine(text: string, offset: number): 'empty' | 'code' | number {
  const end = lineEndOf(text, offset);
  const rest = text.slice(offset, end);
  const lead = /^[ \t]*/.exec(rest)![0].length;
  const after = rest.slice(lead).replace(/\r$/, '');
  if (after === '') return 'empty';
  if (after.startsWith('//')) return offset + lead;
  if (after.startsWith('/*') && after.indexOf('*/') === after.length - 2) return offset + lead;
  return 'code';
}

/**
 * One level of indentation: what a block's statements add to the line that opens the block,
 * else the smallest indentation in the file outside block comments (a tab when the file indents
 * with tabs), else two spaces.
 */
export function indentUnit(text: string, statementIndent: string, blockIndent: string | undefined): string {
  if (blockIndent !== undefined && statementIndent.startsWith(blockIndent) && statementIndent.length > blockIndent.length) {
    return statementIndent.slice(blockIndent.length);
  }
  let smallest: string | undefined;
  // Lines that go on a block comment (` * …`) are aligned, not indented: skip them.
  for (const match of text.matchAll(/^([ \t]+)([^\s*])/gm)) {
    const indent = match[1]!;
    if (indent.startsWith('\t')) return '\t';
    if (smallest === undefined || indent.length < smallest.length) smallest = indent;
  }
  return smallest !== undefined && smallest.length <= 8 ? smallest : '  ';
}

/**
 * Edits that prefix `unit` to every line starting in `[from, to)`, except blank lines, lines in
 * `skipLines` (being deleted) and lines that start inside one of `verbatim` (template literals,
 * whose text is data).
 */
export function indentEdits(
  text: string,
  from: number,
  to: number,
  unit: string,
  verbatim: readonly (readonly [number, number])[],
  skipLines: ReadonlySet<number>,
): Edit[] {
  const edits: Edit[] = [];
  for (let at = lineStartOf(text, from); at < to; at = nextLineStart(text, at)) {
    if (at < from || skipLines.has(at)) continue;
    const line = text.slice(at, lineEndOf(text, at));
    if (/^[ \t]*\r?$/.test(line)) continue;
    if (verbatim.some(([start, end]) => at > start && at < end)) continue;
    edits.push({ start: at, end: at, text: unit });
  }
  return edits;
}
