/**
 * The one helper module every transform shares: imports from `@bounded/runtime` (added only
 * when missing, merged into an existing import) and option-object merging (find a property,
 * add one, combine an existing `signal` with a deadline).
 *
 * Transforms match on the jscodeshift AST but edit the source text: each change is a splice
 * at the matched node's offsets, so everything outside the edited spans stays byte-identical
 * (comments, blank lines, quotes, trailing commas), which recast's reprinting does not promise.
 * Parse with `parseForTextEdits` (./text-edits.ts): recast's own offsets drift in files
 * indented with tabs or written with CRLF.
 */
import type { Collection, JSCodeshift } from 'jscodeshift';
import type { ASTNode } from 'ast-types';
import type * as K from 'ast-types/gen/kinds.js';
import { lineEndOf, lineEndingOf, withLineEnding } from './text-edits.js';
import { restyle, styleOf, type CodeStyle } from './style.js';

/** The module the transforms import from. Only export names are used here, as strings. */
export const RUNTIME_MODULE = '@bounded/runtime';
/** The runtime's browser-safe entry (no Node module): its names are the runtime's too. */
export const CORE_MODULE = '@bounded/runtime/core';

/** Replace `source.slice(start, end)` with `text`. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

interface Located {
  start?: number | null;
  end?: number | null;
  loc?: { start: { line: number }; end: { line: number } } | null;
}

type Program = K.ProgramKind;
type ImportDeclaration = K.ImportDeclarationKind;
type ObjectExpression = K.ObjectExpressionKind;

/** The source offsets of a node (Babel-based parsers: `ts`, `tsx`, `babel`). */
export function span(node: unknown): { start: number; end: number } {
  const { start, end } = node as Located;
  if (typeof start !== 'number' || typeof end !== 'number')
    throw new Error('node has no source offsets; use a Babel-based parser (ts, tsx, babel)');
  return { start, end };
}

/** The text of `node` in `source`. */
export function textOf(source: string, node: unknown): string {
  const { start, end } = span(node);
  return source.slice(start, end);
}

/** How far past an edit `restyle` looks for the next line (to keep a `;` that line needs). */
const LOOKAHEAD = 2000;

/**
 * Applies non-overlapping edits (insertions at one offset in the order given); throws on an
 * overlap. Edits write new lines as `\n`; in a file whose lines end in `\r\n` they get `\r\n`.
 * Edits write code with semicolons and single quotes; in a file written otherwise they follow
 * the file (`style`, default: the style of `source`; pass HOUSE_STYLE when `source` is a piece
 * of a file whose own style is applied later).
 */
export function applyEdits(source: string, edits: readonly Edit[], style: CodeStyle = styleOf(source)): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const eol = lineEndingOf(source);
  let result = '';
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) throw new Error(`overlapping edits at offset ${edit.start}`);
    const text = restyle(edit.text, style, source.slice(edit.end, edit.end + LOOKAHEAD));
    result += source.slice(at, edit.start) + withLineEnding(text, eol);
    at = edit.end;
  }
  return result + source.slice(at);
}

export function programOf(root: Collection): Program {
  const file = (root.get() as { node: ASTNode }).node;
  return file.type === 'File' ? (file as K.FileKind).program : (file as Program);
}

function moduleName(decl: ImportDeclaration): string | undefined {
  const value: unknown = decl.source.value;
  return typeof value === 'string' ? value : undefined;
}

function importedName(spec: K.ImportSpecifierKind): string {
  const imported = spec.imported as { name?: string; value?: string };
  return imported.name ?? imported.value ?? '';
}

function isTypeOnly(node: unknown): boolean {
  return (node as { importKind?: string }).importKind === 'type';
}

function lineStart(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the end of the line holding `offset` (after its newline, or EOF). */
function nextLine(source: string, offset: number): number {
  const newline = source.indexOf('\n', offset);
  return newline === -1 ? source.length : newline + 1;
}

/**
 * Makes each of `names` importable from `source` (default `@bounded/runtime`): a name already
 * imported keeps its local name (an alias stays an alias); missing ones are merged into an
 * existing named import of the module, else added in one new declaration after the last
 * import (or at the top, below a file header). Returns the local names and at most one edit;
 * `conflicts` lists missing names the file already uses for something else (then no edit).
 */
export function ensureNamedImports(
  j: JSCodeshift,
  text: string,
  root: Collection,
  names: readonly string[],
  source: string = RUNTIME_MODULE,
): { locals: Map<string, string>; edits: Edit[]; conflicts: string[] } {
  const program = programOf(root);
  const imports = program.body.filter((node): node is ImportDeclaration => node.type === 'ImportDeclaration');
  const ours = imports.filter((decl) => moduleName(decl) === source && !isTypeOnly(decl));
  // A name the file already imports from the runtime's core entry is the same binding.
  const same = source === RUNTIME_MODULE ? imports.filter((decl) => moduleName(decl) === CORE_MODULE && !isTypeOnly(decl)) : [];
  const locals = new Map<string, string>();
  for (const decl of [...ours, ...same]) {
    for (const spec of decl.specifiers ?? []) {
      if (spec.type !== 'ImportSpecifier' || isTypeOnly(spec)) continue;
      const local = spec.local?.name;
      const name = importedName(spec);
      if (names.includes(name) && !locals.has(name)) locals.set(name, typeof local === 'string' ? local : name);
    }
  }
  const missing = names.filter((name) => !locals.has(name));
  for (const name of missing) locals.set(name, name);
  if (missing.length === 0) return { locals, edits: [], conflicts: [] };
  // A missing name that the file already uses for something else would clash.
  const used = new Set<string>();
  root.find(j.Identifier).forEach((path) => {
    if (missing.includes(path.node.name)) used.add(path.node.name);
  });
  if (used.size > 0) return { locals, edits: [], conflicts: [...used] };

  const named = ours.find((decl) => (decl.specifiers ?? []).some((spec) => spec.type === 'ImportSpecifier'));
  if (named !== undefined) {
    const last = (named.specifiers ?? []).filter((spec) => spec.type === 'ImportSpecifier').at(-1)!;
    const at = span(last).end;
    return { locals, edits: [{ start: at, end: at, text: missing.map((name) => `, ${name}`).join('') }], conflicts: [] };
  }
  const defaultOnly = ours.find((decl) => decl.specifiers?.length === 1 && decl.specifiers[0]?.type === 'ImportDefaultSpecifier');
  if (defaultOnly !== undefined) {
    const at = span(defaultOnly.specifiers![0]).end;
    return { locals, edits: [{ start: at, end: at, text: `, { ${missing.join(', ')} }` }], conflicts: [] };
  }
  const declaration = `import { ${missing.join(', ')} } from '${source}';`;
  const lastImport = imports.at(-1);
  if (lastImport !== undefined) {
    const end = span(lastImport).end;
    const at = nextLine(text, end);
    const newline = at === text.length && !text.endsWith('\n') ? '\n' : '';
    return { locals, edits: [{ start: at, end: at, text: `${newline}${declaration}\n` }], conflicts: [] };
  }
  // No imports: above the first statement and the comment that documents it, below a file
  // header (a leading comment set off by a blank line).
  const first: (K.StatementKind & { comments?: (K.CommentKind & Located)[] | null }) | undefined = program.body[0];
  if (first === undefined) return { locals, edits: [{ start: text.length, end: text.length, text: `${declaration}\n` }], conflicts: [] };
  let at = span(first).start;
  for (const comment of leadingComments(text, first).reverse()) {
    const between = text.slice(span(comment).end, at);
    if (/\n[ \t]*\r?\n/.test(between)) break;
    at = span(comment).start;
  }
  at = lineStart(text, at);
  return { locals, edits: [{ start: at, end: at, text: `${declaration}\n\n` }], conflicts: [] };
}

/**
 * The comments above `node` that belong to it, in order, however the tree was parsed: recast
 * attaches them as `comments` flagged `leading`; Babel straight (`bounded migrate`) lists them
 * in `leadingComments`, where a comment that shares its line with code before it trails that
 * code instead (recast's choice too).
 */
export function leadingComments(text: string, node: unknown): { start: number; end: number }[] {
  const recast = (node as { comments?: ({ leading?: boolean } & Located)[] | null }).comments;
  if (recast != null) return recast.filter((comment) => comment.leading === true).map(span);
  const babel = (node as { leadingComments?: Located[] | null }).leadingComments ?? [];
  return babel.map(span).filter((comment) => text.slice(text.lastIndexOf('\n', comment.start - 1) + 1, comment.start).trim() === '');
}

/** The property name of an object member when it is a plain (non-computed) key. */
export function propertyKey(property: ObjectExpression['properties'][number]): string | undefined {
  if (property.type !== 'Property' && property.type !== 'ObjectProperty' && property.type !== 'ObjectMethod') return undefined;
  if (property.computed === true) return undefined;
  const key = property.key as { type: string; name?: string; value?: unknown };
  if (key.type === 'Identifier') return key.name;
  if ((key.type === 'StringLiteral' || key.type === 'Literal') && typeof key.value === 'string') return key.value;
  return undefined;
}

/** The `key: value` (or shorthand / method) member of `object`, if it has one. */
export function findProperty(object: ObjectExpression, key: string): ObjectExpression['properties'][number] | undefined {
  return object.properties.find((property) => propertyKey(property) === key);
}

/** Whether `object` has a spread (`{ ...init }`) or a computed key, which could set any key. */
export function hasHiddenKeys(object: ObjectExpression): boolean {
  return object.properties.some(
    (property) =>
      property.type === 'SpreadElement' || property.type === 'SpreadProperty' || ('computed' in property && property.computed === true),
  );
}

/** A millisecond count as source: `60_000` for 60000, plain digits below 10 000. */
export function msSource(ms: number): string {
  return ms >= 10_000 && Number.isInteger(ms) ? String(ms).replace(/\B(?=(\d{3})+(?!\d))/g, '_') : String(ms);
}

/** Whether `node` is `AbortSignal.<method>(…)`. */
export function isAbortSignalCall(node: unknown, method: string): boolean {
  const call = node as K.CallExpressionKind;
  if (call.type !== 'CallExpression') return false;
  const callee = call.callee;
  return (
    callee.type === 'MemberExpression' &&
    !callee.computed &&
    callee.object.type === 'Identifier' &&
    callee.object.name === 'AbortSignal' &&
    callee.property.type === 'Identifier' &&
    callee.property.name === method
  );
}

/**
 * Adds `key: value` as the last member of `object`, in the object's own layout: on the same
 * line for a one-line object, on a new line at the last member's indentation otherwise, with
 * a trailing comma only when the object already used one.
 */
export function addPropertyEdits(text: string, object: ObjectExpression, key: string, value: string): Edit[] {
  const whole = span(object);
  const last = object.properties.at(-1);
  if (last === undefined) return [{ start: whole.start, end: whole.end, text: `{ ${key}: ${value} }` }];
  const lastSpan = span(last);
  const after = text.slice(lastSpan.end, whole.end - 1);
  const trailingComma = /^\s*,/.test(after);
  const multiline = text.slice(lastSpan.end, whole.end).includes('\n');
  if (!multiline) return [{ start: lastSpan.end, end: lastSpan.end, text: `, ${key}: ${value}` }];
  const indent = /^[ \t]*/.exec(text.slice(lineStart(text, lastSpan.start)))![0];
  const lineEnd = lineEndOf(text, lastSpan.end);
  // The comma goes first: when it and the new line land on the same offset, the stable sort
  // in applyEdits keeps this order.
  const edits: Edit[] = trailingComma ? [] : [{ start: lastSpan.end, end: lastSpan.end, text: ',' }];
  edits.push({ start: lineEnd, end: lineEnd, text: `\n${indent}${key}: ${value}${trailingComma ? ',' : ''}` });
  return edits;
}

export type SignalMerge =
  | { readonly edits: Edit[]; readonly how: 'added' | 'combined' }
  | { readonly edits?: undefined; readonly reason: string; readonly bounded: boolean };

/**
 * Puts a deadline on an options object: adds `signal: AbortSignal.timeout(ms)`, or turns an
 * existing `signal: s` into `signal: AbortSignal.any([s, AbortSignal.timeout(ms)])` (or
 * `AbortSignal.any([s ?? AbortSignal.timeout(ms), AbortSignal.timeout(ms)])` unless `s` is
 * known to be defined). Leaves
 * alone an object that already has a deadline (`bounded: true`) and one whose keys it cannot
 * see (a spread or a computed key), saying why.
 */
export function mergeTimeoutSignal(
  text: string,
  object: ObjectExpression,
  ms: number,
  timeoutKeys: readonly string[] = [],
  /** Says whether a signal expression (a name, `budget.signal`) is already a timed one. */
  isTimed: (value: K.ExpressionKind) => boolean = () => false,
  /**
   * Says whether a signal expression is never undefined (a parameter typed `AbortSignal`,
   * `controller.signal`). Otherwise it becomes `AbortSignal.any([s ?? t, t])`, since
   * `AbortSignal.any` throws on an undefined member.
   */
  isDefined: (value: K.ExpressionKind) => boolean = () => false,
): SignalMerge {
  for (const key of timeoutKeys) {
    const property = findProperty(object, key);
    if (property === undefined) continue;
    if (isDisablingTimeout(property))
      return { reason: `\`${key}\` is set to a value that turns the deadline off; set a finite one by hand`, bounded: false };
    return { reason: `already has \`${key}\``, bounded: true };
  }
  const timeout = `AbortSignal.timeout(${msSource(ms)})`;
  const signal = findProperty(object, 'signal');
  if (signal === undefined) {
    if (hasHiddenKeys(object))
      return { reason: 'options object has a spread or computed key; cannot tell whether it sets a signal', bounded: false };
    return { edits: addPropertyEdits(text, object, 'signal', timeout), how: 'added' };
  }
  if (signal.type === 'ObjectMethod') return { reason: '`signal` is a method', bounded: false };
  const later = object.properties.slice(object.properties.indexOf(signal) + 1);
  if (later.some((property) => property.type === 'SpreadElement' || property.type === 'SpreadProperty')) {
    return { reason: 'a spread after `signal` may replace it; cannot tell which signal is used', bounded: false };
  }
  const value = (signal as K.ObjectPropertyKind).value;
  if (
    isAbortSignalCall(value, 'timeout') ||
    isAbortSignalCall(value, 'any') ||
    (value.type !== 'RestElement' && !value.type.endsWith('Pattern') && isTimed(value as K.ExpressionKind))
  ) {
    return { reason: 'signal already has a deadline', bounded: true };
  }
  if (value.type.endsWith('Pattern') || value.type === 'RestElement')
    return { reason: '`signal` value is not an expression', bounded: false };
  const expression = value as K.ExpressionKind;
  let combined: string;
  let how: 'added' | 'combined' = 'combined';
  if (isNullishLiteral(expression)) {
    // `signal: undefined`: no signal at all.
    combined = timeout;
    how = 'added';
  } else if (isDefined(expression)) {
    combined = `AbortSignal.any([${textOf(text, value)}, ${timeout}])`;
  } else {
    // AbortSignal.any throws on undefined, and `options.signal` is often optional. `s ?? t`
    // evaluates `s` once, and the rule sees the deadline in the list.
    const source = isPrimary(expression) ? textOf(text, value) : `(${textOf(text, value)})`;
    combined = `AbortSignal.any([${source} ?? ${timeout}, ${timeout}])`;
  }
  if ((signal as { shorthand?: boolean }).shorthand === true) {
    const whole = span(signal);
    return { edits: [{ start: whole.start, end: whole.end, text: `signal: ${combined}` }], how };
  }
  const valueSpan = span(value);
  return { edits: [{ start: valueSpan.start, end: valueSpan.end, text: combined }], how };
}

/** `undefined`, `null`, `void 0`. */
function isNullishLiteral(node: K.ExpressionKind): boolean {
  return (
    (node.type === 'Identifier' && node.name === 'undefined') ||
    node.type === 'NullLiteral' ||
    (node.type === 'Literal' && node.value === null) ||
    (node.type === 'UnaryExpression' && node.operator === 'void')
  );
}

/** An expression that binds tighter than `??` (and may sit beside it without parentheses). */
function isPrimary(node: K.ExpressionKind): boolean {
  return [
    'Identifier',
    'ThisExpression',
    'MemberExpression',
    'OptionalMemberExpression',
    'CallExpression',
    'OptionalCallExpression',
    'NewExpression',
    'TSNonNullExpression',
  ].includes(node.type);
}

/** The source spans of every comment in the file (Babel-based parsers keep them in `tokens`). */
export function commentSpans(root: Collection): { start: number; end: number }[] {
  const file = (root.get() as { node: { tokens?: unknown[] } }).node;
  const spans: { start: number; end: number }[] = [];
  for (const token of file.tokens ?? []) {
    const { type, start, end } = token as { type?: unknown; start?: unknown; end?: unknown };
    if ((type === 'CommentLine' || type === 'CommentBlock') && typeof start === 'number' && typeof end === 'number')
      spans.push({ start, end });
  }
  return spans;
}

/** Whether a comment lies in `[start, end)` outside every span in `kept` (text that survives an edit). */
export function hasCommentIn(
  comments: readonly { start: number; end: number }[],
  start: number,
  end: number,
  kept: readonly { start: number; end: number }[] = [],
): boolean {
  return comments.some(
    (comment) =>
      comment.start >= start && comment.end <= end && !kept.some((span) => comment.start >= span.start && comment.end <= span.end),
  );
}

/**
 * The edit that deletes a statement together with its line: it must stand on lines of its own
 * (only indentation before it, nothing but whitespace after it on its last line). Returns a
 * reason instead when it shares a line with other code or a trailing comment.
 */
export function removeStatementLines(text: string, node: unknown): Edit | string {
  const { start, end } = span(node);
  const from = lineStart(text, start);
  if (!/^[ \t]*$/.test(text.slice(from, start))) return 'it shares a line with other code';
  const rest = /^[ \t]*(?:\r?\n|$)/.exec(text.slice(end));
  if (rest === null) return /^[ \t]*\/[/*]/.test(text.slice(end)) ? 'a comment after it would be lost' : 'it shares a line with other code';
  return { start: from, end: end + rest[0].length, text: '' };
}

/** `timeout: 0`, `timeout: Infinity`, `timeout: Number.POSITIVE_INFINITY`: a deadline that never comes. */
export function isDisablingTimeout(property: ObjectExpression['properties'][number]): boolean {
  if (property.type !== 'ObjectProperty' && property.type !== 'Property') return false;
  const value = property.value as {
    type: string;
    value?: unknown;
    name?: string;
    object?: { type: string; name?: string };
    property?: { type: string; name?: string };
  };
  if (value.type === 'NumericLiteral' || value.type === 'Literal') return value.value === 0;
  if (value.type === 'Identifier') return value.name === 'Infinity';
  return value.type === 'MemberExpression' && value.object?.name === 'Number' && value.property?.name === 'POSITIVE_INFINITY';
}

/**
 * Puts a deadline on an options object through the library's own option (`timeout: 60_000`
 * for axios and the SDKs, `timeout: { request: 60_000 }` for got). Leaves alone an object that
 * already has that option or a `signal` (`bounded: true`; a disabling value such as
 * `timeout: 0` is reported instead) and one whose keys it cannot see.
 */
export function mergeTimeoutOption(text: string, object: ObjectExpression, key: string, value: string): SignalMerge {
  const existing = findProperty(object, key);
  if (existing !== undefined) {
    if (isDisablingTimeout(existing))
      return { reason: `\`${key}\` is set to a value that turns the deadline off; set a finite one by hand`, bounded: false };
    return { reason: `already has \`${key}\``, bounded: true };
  }
  if (findProperty(object, 'signal') !== undefined) return { reason: 'already has `signal`', bounded: true };
  if (hasHiddenKeys(object))
    return { reason: `options object has a spread or computed key; cannot tell whether it sets \`${key}\``, bounded: false };
  return { edits: addPropertyEdits(text, object, key, value), how: 'added' };
}

/** The parts of an ast-types scope the transforms use. */
export interface ScopeLike {
  readonly isGlobal: boolean;
  readonly parent: ScopeLike | null;
  readonly node: { readonly type: string; readonly param?: unknown };
  declares(name: string): boolean;
}

/**
 * The scope that declares `name` as seen from `path` (null: nobody, the global), like
 * ast-types' `path.scope.lookup(name)` but without its crash on `catch {}`: a catch clause
 * with no binding declares nothing, so the lookup goes on outside it. Undefined when a scope
 * cannot be read at all.
 */
export function lookupScope(path: { scope?: unknown }, name: string): ScopeLike | null | undefined {
  for (let scope = (path.scope ?? null) as ScopeLike | null; scope !== null; scope = scope.parent) {
    if (scope.node.type === 'CatchClause' && scope.node.param == null) continue;
    try {
      if (scope.declares(name)) return scope;
    } catch {
      return undefined;
    }
  }
  return null;
}
