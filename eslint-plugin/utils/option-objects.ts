import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { calledFunction, returnedExpressions, type ScopeOf } from './call-graph.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';

/**
 * Reading and editing options objects (`fetch(url, { … })`, `new OpenAI({ … })`) for rules
 * and their suggestions: find a property, tell whether the object can be seen into, add a
 * property (merged into the literal, or as a new argument).
 */

/** A property's name when it is written out (`a`, `'a'`), not computed. */
export function propertyKey(property: TSESTree.Property): string | undefined {
  if (property.computed) return undefined;
  if (property.key.type === AST_NODE_TYPES.Identifier) return property.key.name;
  if (property.key.type === AST_NODE_TYPES.Literal && typeof property.key.value === 'string') return property.key.value;
  return undefined;
}

/** The last property named `name` of an object literal (the one that wins). */
export function findProperty(object: TSESTree.ObjectExpression, name: string): TSESTree.Property | undefined {
  let found: TSESTree.Property | undefined;
  for (const property of object.properties) {
    if (property.type === AST_NODE_TYPES.Property && propertyKey(property) === name) found = property;
  }
  return found;
}

/** True when some of the object's properties cannot be known: a spread or a computed key. */
export function hasOpaqueParts(object: TSESTree.ObjectExpression): boolean {
  return object.properties.some(
    (property) => property.type === AST_NODE_TYPES.SpreadElement || (property.computed && propertyKey(property) === undefined),
  );
}

/** The object literal an argument is, through `as` / `satisfies`; undefined for anything else. */
export function asObjectLiteral(node: TSESTree.Node | undefined): TSESTree.ObjectExpression | undefined {
  if (node === undefined) return undefined;
  const bare = skipTypeWrappers(node);
  return bare.type === AST_NODE_TYPES.ObjectExpression ? bare : undefined;
}

/**
 * The object literal an options argument holds, read like an inline one: the literal itself, a
 * variable given one (`const init = { method: 'POST' }`), or a call of a same-file function
 * whose only return is one (`requestOptions(body)`). Undefined when it cannot be seen.
 */
export function heldObject(
  node: TSESTree.Node,
  scope: Scope.Scope,
  scopeOf: ScopeOf,
  visitorKeys: SourceCode.VisitorKeys,
  depth = 0,
): TSESTree.ObjectExpression | undefined {
  if (depth > 4) return undefined;
  const bare = skipTypeWrappers(node);
  if (bare.type === AST_NODE_TYPES.ObjectExpression) return bare;
  if (bare.type === AST_NODE_TYPES.Identifier) {
    const origin = valueOrigin(bare, scope);
    return origin === undefined || origin === bare ? undefined : heldObject(origin, scopeOf(origin), scopeOf, visitorKeys, depth + 1);
  }
  if (bare.type === AST_NODE_TYPES.CallExpression) {
    const fn = calledFunction(bare, scopeOf);
    const returned = fn === undefined ? [] : returnedExpressions(fn, visitorKeys);
    return returned.length === 1 ? heldObject(returned[0]!, scopeOf(returned[0]!), scopeOf, visitorKeys, depth + 1) : undefined;
  }
  return undefined;
}

/** True for `undefined`, `void 0` and `null`: an argument that is as good as absent. */
export function isNullish(node: TSESTree.Node | undefined): boolean {
  if (node === undefined) return true;
  const bare = skipTypeWrappers(node);
  return (
    (bare.type === AST_NODE_TYPES.Identifier && bare.name === 'undefined') ||
    (bare.type === AST_NODE_TYPES.Literal && bare.value === null && !('regex' in bare)) ||
    (bare.type === AST_NODE_TYPES.UnaryExpression && bare.operator === 'void')
  );
}

/** Formats milliseconds the way people write them: 60_000, 5000, 300. */
export function formatMs(ms: number): string {
  if (!Number.isInteger(ms) || ms < 10_000) return String(ms);
  return String(ms).replace(/\B(?=(\d{3})+(?!\d))/g, '_');
}

/**
 * Adds `text` (`signal: AbortSignal.timeout(60_000)`) as the last property of `object`,
 * keeping its layout: one property per line stays one per line, a trailing comma stays.
 */
export function addProperty(fixer: RuleFixer, sourceCode: Readonly<SourceCode>, object: TSESTree.ObjectExpression, text: string): RuleFix {
  const last = object.properties.at(-1);
  if (last === undefined) return fixer.replaceText(object, `{ ${text} }`);
  const after = sourceCode.getTokenAfter(last);
  const trailingComma = after !== null && ASTUtils.isCommaToken(after);
  const multiline = object.loc.start.line !== last.loc.end.line;
  if (!multiline) return fixer.insertTextAfter(last, `, ${text}`);
  const lineText = sourceCode.lines[last.loc.start.line - 1] ?? '';
  const indent = /^\s*/.exec(lineText)?.[0] ?? '';
  return trailingComma ? fixer.insertTextAfter(after, `\n${indent}${text},`) : fixer.insertTextAfter(last, `,\n${indent}${text}`);
}

/**
 * Makes argument `index` of `call` carry `text`: merged into the object literal there, or a
 * new `{ text }` argument inserted at `index` (before a callback that sits there), with
 * `undefined` filling any gap. Returns undefined when the argument there is not an object
 * literal (a variable, a spread): the caller decides what to do with such options.
 */
export function addOption(
  fixer: RuleFixer,
  sourceCode: Readonly<SourceCode>,
  call: TSESTree.CallExpression | TSESTree.NewExpression,
  index: number,
  text: string,
): RuleFix | undefined {
  const args = call.arguments;
  const existing = args[index];
  const object = asObjectLiteral(existing);
  if (object !== undefined) return addProperty(fixer, sourceCode, object, text);
  const created = `{ ${text} }`;
  if (existing !== undefined) {
    const bare = skipTypeWrappers(existing);
    if (bare.type === AST_NODE_TYPES.ArrowFunctionExpression || bare.type === AST_NODE_TYPES.FunctionExpression) {
      return fixer.insertTextBefore(existing, `${created}, `);
    }
    if (isNullish(existing)) return fixer.replaceText(existing, created);
    return undefined;
  }
  const fill = Array.from({ length: index - args.length }, () => 'undefined');
  const last = args.at(-1);
  if (last !== undefined) return fixer.insertTextAfter(last, `, ${[...fill, created].join(', ')}`);
  const closing = sourceCode.getLastToken(call);
  if (closing?.value !== ')') return undefined;
  return fixer.insertTextBefore(closing, [...fill, created].join(', '));
}

/**
 * Replaces an options argument the rule cannot see into (`init`) with a literal that spreads
 * it and adds `text`: `{ ...init, signal: AbortSignal.timeout(60_000) }`.
 */
export function spreadOption(fixer: RuleFixer, sourceCode: Readonly<SourceCode>, argument: TSESTree.Node, text: string): RuleFix {
  const simple =
    argument.type === AST_NODE_TYPES.Identifier ||
    argument.type === AST_NODE_TYPES.MemberExpression ||
    argument.type === AST_NODE_TYPES.CallExpression;
  const spread = simple ? sourceCode.getText(argument) : `(${sourceCode.getText(argument)})`;
  return fixer.replaceText(argument, `{ ...${spread}, ${text} }`);
}

/** Sets a property's value (`timeout: 0` → `timeout: 60_000`); a shorthand `{ timeout }` is expanded. */
export function setPropertyValue(fixer: RuleFixer, property: TSESTree.Property, name: string, value: string): RuleFix {
  return property.shorthand ? fixer.replaceText(property, `${name}: ${value}`) : fixer.replaceText(property.value, value);
}
