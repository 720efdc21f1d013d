/**
 * bound-promise-all: bounds the fan-outs `bounded/no-unbounded-concurrency` flags.
 *
 *   await Promise.all(xs.map(fn))        → await mapBounded(xs, fn, { concurrency: 10 })
 *   await Promise.allSettled(xs.map(fn)) → await mapBoundedSettled(xs, fn, { concurrency: 10 })
 *
 * Only when the rewrite keeps meaning: `fn` is an inline arrow or function with at most two
 * plain parameters (mapBounded calls it with (item, index, signal)), and `xs` is an
 * identifier or member expression (evaluated once either way). Anything else is left alone
 * and reported with the reason.
 */
import type { API, ASTPath, FileInfo } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import { applyEdits, ensureNamedImports, span, textOf, type Edit } from '../utils/imports.js';
import { policyFor, type TransformOptions } from '../utils/policy.js';

export const parser = 'ts';

const REPLACEMENTS: Readonly<Record<string, string>> = {
  all: 'mapBounded',
  allSettled: 'mapBoundedSettled',
};

function isUnshadowed(path: ASTPath, name: string): boolean {
  const scope = (path.scope as { lookup(name: string): unknown } | null)?.lookup(name);
  return scope === null || scope === undefined;
}

function memberName(node: K.ExpressionKind | K.SpreadElementKind | undefined, object?: string): string | undefined {
  if (node?.type !== 'MemberExpression' || node.computed || node.property.type !== 'Identifier') return undefined;
  if (object !== undefined && (node.object.type !== 'Identifier' || node.object.name !== object)) return undefined;
  return node.property.name;
}

function isPlainMemberChain(node: K.ExpressionKind): boolean {
  if (node.type === 'Identifier' || node.type === 'ThisExpression') return true;
  if (node.type !== 'MemberExpression') return false;
  if (node.computed && node.property.type !== 'StringLiteral' && node.property.type !== 'NumericLiteral' && node.property.type !== 'Literal') return false;
  return isPlainMemberChain(node.object);
}

/** Why `Promise.<method>(arg)` cannot be rewritten; undefined when it can. */
function refusal(text: string, arg: K.ExpressionKind | K.SpreadElementKind): string | undefined {
  if (arg.type !== 'CallExpression' || memberName(arg.callee) !== 'map') return 'argument is not `xs.map(fn)`';
  const call = arg as K.CallExpressionKind & { typeParameters?: unknown; typeArguments?: unknown };
  if (call.typeParameters != null || call.typeArguments != null) return '`map` has type arguments';
  if (call.arguments.length !== 1) return '`map` has a thisArg or no callback';
  const fn = call.arguments[0]!;
  if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression') return 'callback is not an inline function; it may take a third parameter';
  if (fn.params.length > 2) return 'callback takes more than two parameters; mapBounded passes (item, index, signal)';
  if (fn.params.some((param) => param.type === 'RestElement')) return 'callback has a rest parameter; mapBounded passes a signal as the third argument';
  if (fn.type === 'FunctionExpression' && (fn.generator === true)) return 'callback is a generator';
  const items = (call.callee as K.MemberExpressionKind).object;
  if (!isPlainMemberChain(items)) return 'the mapped collection is not an identifier or member expression';
  if (/\/\/|\/\*/.test(text.slice(span(items).end, span(fn).start))) return 'a comment inside `xs.map(` would be lost';
  return undefined;
}

/**
 * The splices for one site; only punctuation changes, so comments and layout survive and a
 * fan-out nested inside the callback gets its own, non-overlapping edits:
 *   Promise.all( xs.map( fn ) )  →  mapBounded( xs, fn, { concurrency } )
 */
function rewrite(text: string, call: K.CallExpressionKind, helper: string, concurrency: number): Edit[] {
  const mapCall = call.arguments[0] as K.CallExpressionKind;
  const items = (mapCall.callee as K.MemberExpressionKind).object;
  const fn = span(mapCall.arguments[0]);
  const callee = span(call.callee);
  const inner = span(mapCall);
  const edits: Edit[] = [
    { start: callee.start, end: callee.end, text: helper },
    { start: inner.start, end: fn.start, text: `${textOf(text, items)}, ` },
    { start: fn.end, end: fn.end, text: `, { concurrency: ${concurrency} }` },
  ];
  // The map call's `)`: on a line of its own (`    ),`), the whole line goes; otherwise
  // just the parenthesis, and a trailing comma after it when one is kept before it.
  const close = inner.end - 1;
  const lineStart = text.lastIndexOf('\n', close - 1) + 1;
  const after = /^,?[ \t]*\r?\n/.exec(text.slice(inner.end, span(call).end));
  if (/^[ \t]*$/.test(text.slice(lineStart, close)) && lineStart > fn.end && after !== null) {
    edits.push({ start: lineStart, end: inner.end + after[0].length, text: '' });
  } else {
    edits.push({ start: close, end: inner.end, text: '' });
    const keptComma = /^\s*,/.test(text.slice(fn.end, close));
    const outerComma = /^\s*,/.exec(text.slice(inner.end, span(call).end));
    if (keptComma && outerComma !== null) edits.push({ start: inner.end + outerComma[0].length - 1, end: inner.end + outerComma[0].length, text: '' });
  }
  return edits;
}

export default function transformer(file: FileInfo, api: API, options: TransformOptions = {}): string | null {
  const j = api.jscodeshift;
  const text = file.source;
  const root = j(text);
  const policy = policyFor(file.path, options);
  const concurrency = policy.defaults.concurrency;
  const report = (node: { loc?: { start: { line: number; column: number } } | null }, reason: string): void => {
    const at = node.loc ? `${node.loc.start.line}:${node.loc.start.column + 1}` : '?';
    // jscodeshift's own test helper (applyTransform) passes no `report`.
    (api as Partial<API>).report?.(`${file.path}:${at}: bound-promise-all skipped: ${reason}`);
  };

  const sites: { call: K.CallExpressionKind; helper: string }[] = [];
  root.find(j.CallExpression).forEach((path) => {
    const call = path.node;
    const method = memberName(call.callee, 'Promise');
    if (method === undefined || !(method in REPLACEMENTS) || !isUnshadowed(path, 'Promise')) return;
    if (call.arguments.length !== 1) return;
    const reason = refusal(text, call.arguments[0]!);
    if (reason !== undefined) {
      report(call, reason);
      return;
    }
    sites.push({ call, helper: REPLACEMENTS[method]! });
  });
  if (sites.length === 0) return null;

  const helpers = [...new Set(sites.map((site) => site.helper))].sort();
  const { locals, edits, conflicts } = ensureNamedImports(j, text, root, helpers);
  if (conflicts.length > 0) {
    for (const { call } of sites) report(call, `the file already uses the name ${conflicts.map((name) => `\`${name}\``).join(', ')} for something else`);
    return null;
  }
  for (const { call, helper } of sites) edits.push(...rewrite(text, call, locals.get(helper)!, concurrency));
  return applyEdits(text, edits);
}
