/**
 * Line-level text helpers for pool-connections: the transform moves whole statements (into a
 * `withClient` callback, out of a `try`), so it works in lines and indentation, never touching
 * a line that starts inside a template literal (its text is the string's content).
 */
import { span, type Edit } from './imports.js';

/** Offset of the start of the line holding `offset`. */
export function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the newline ending the line that holds `offset` (or the end of the text). */
export function lineAfter(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

/** The whitespace a line starts with. */
export function indentAt(text: string, offset: number): string {
  return /^[ \t]*/.exec(text.slice(lineStartOf(text, offset)))![0];
}

/** Whether `node` is the only code on its lines: whitespace before it, at most a comment after. */
export function ownsLines(text: string, node: unknown): boolean {
  const { start, end } = span(node);
  if (text.slice(lineStartOf(text, start), start).trim() !== '') return false;
  const rest = text.slice(end, lineAfter(text, end)).trim();
  return rest === '' || rest.startsWith('//') || (rest.startsWith('/*') && rest.endsWith('*/'));
}

/** The indentation unit the file uses: a tab, or the smallest run of leading spaces (default 2). */
export function indentUnit(text: string): string {
  let smallest = Number.POSITIVE_INFINITY;
  for (const match of text.matchAll(/^([ \t]+)\S/gm)) {
    const lead = match[1]!;
    if (lead.startsWith('\t')) return '\t';
    smallest = Math.min(smallest, lead.length);
  }
  return ' '.repeat(Number.isFinite(smallest) ? smallest : 2);
}

/** Spans of template literals, whose inner lines must keep their bytes. */
export type Protected = readonly { readonly start: number; readonly end: number }[];

function isProtected(offset: number, keep: Protected): boolean {
  return keep.some((range) => offset > range.start && offset < range.end);
}

/**
 * `text.slice(start, end)` (whole lines) re-indented: `add` prefixed to, or `remove` stripped
 * from, every non-blank line that does not start inside a protected range. Returns undefined
 * when a line to dedent does not start with `remove`.
 */
export function reindent(
  text: string,
  start: number,
  end: number,
  keep: Protected,
  change: { add?: string; remove?: string },
): string | undefined {
  let result = '';
  let at = start;
  while (at < end) {
    const next = Math.min(lineAfter(text, at), end);
    const line = text.slice(at, next);
    if (isProtected(at, keep) || line.trim() === '') result += line;
    else if (change.add !== undefined) result += change.add + line;
    else if (change.remove !== undefined) {
      if (!line.startsWith(change.remove)) return undefined;
      result += line.slice(change.remove.length);
    } else result += line;
    at = next;
  }
  return result;
}

/**
 * Removes a statement. When it owns its lines the lines go, except a trailing comment, which
 * stays on a line of its own so nothing written by hand is lost; otherwise just the statement
 * and the spaces after it.
 */
export function deleteStatement(text: string, node: unknown): Edit {
  const { start, end } = span(node);
  if (ownsLines(text, node)) {
    const from = lineStartOf(text, start);
    const to = lineAfter(text, end);
    const comment = text.slice(end, to).trim();
    return { start: from, end: to, text: comment === '' ? '' : `${indentAt(text, start)}${comment}\n` };
  }
  const spaces = /^[ \t]*/.exec(text.slice(end))![0].length;
  return { start, end: end + spaces, text: '' };
}
