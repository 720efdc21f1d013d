import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { SourceCode } from '@typescript-eslint/utils/ts-eslint';
import type { Bound, Bounds } from './bounds.js';
import { calleeText, isFunction } from './functions.js';
import { skipTypeWrappers } from './origins.js';

/**
 * Size guards: a check of a collection's length before the code fans out over it.
 *
 *   if (ids.length > MAX_IDS) throw new Error('too many');     // ids holds at most MAX_IDS
 *   if (ids.length >= 100) return res.status(413).end();       // at most 99
 *   if (ids.length <= 10) { await Promise.all(ids.map(f)); }   // inside: at most 10
 *   assert(ids.length <= 10);
 */

const EXITS = new Set<string>([
  AST_NODE_TYPES.ThrowStatement,
  AST_NODE_TYPES.ReturnStatement,
  AST_NODE_TYPES.ContinueStatement,
  AST_NODE_TYPES.BreakStatement,
]);
const ASSERTIONS = /^(?:assert|invariant|ok|assert\.ok|console\.assert)$/;

function exits(statement: TSESTree.Statement): boolean {
  if (EXITS.has(statement.type)) return true;
  if (statement.type !== AST_NODE_TYPES.BlockStatement) return false;
  return statement.body.some((inner) => EXITS.has(inner.type));
}

type Compare = '<' | '<=' | '>' | '>=';
const FLIPPED: Record<Compare, Compare> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** The most elements `text` can hold where `test` is true (`atMost`) or false (`!atMost`): `xs.length <= 10` → 10. */
function limitFrom(test: TSESTree.Node, text: string, whenTrue: boolean, sourceCode: Readonly<SourceCode>, bounds: Bounds): Bound {
  const bare = skipTypeWrappers(test);
  if (bare.type === AST_NODE_TYPES.LogicalExpression) {
    // After `if (a || b) exit`, both are false; inside `if (a && b) {…}`, both are true.
    if ((bare.operator === '||' && !whenTrue) || (bare.operator === '&&' && whenTrue)) {
      return limitFrom(bare.left, text, whenTrue, sourceCode, bounds) ?? limitFrom(bare.right, text, whenTrue, sourceCode, bounds);
    }
    return undefined;
  }
  if (bare.type === AST_NODE_TYPES.UnaryExpression && bare.operator === '!')
    return limitFrom(bare.argument, text, !whenTrue, sourceCode, bounds);
  if (bare.type !== AST_NODE_TYPES.BinaryExpression || !['<', '<=', '>', '>='].includes(bare.operator)) return undefined;
  const isLength = (node: TSESTree.Node): boolean => {
    const side = skipTypeWrappers(node);
    return (
      side.type === AST_NODE_TYPES.MemberExpression &&
      !side.computed &&
      side.property.type === AST_NODE_TYPES.Identifier &&
      (side.property.name === 'length' || side.property.name === 'size') &&
      normalized(sourceCode.getText(side.object)) === text
    );
  };
  let operator = bare.operator as Compare;
  let other: TSESTree.Node;
  if (isLength(bare.left)) other = bare.right;
  else if (isLength(bare.right)) {
    other = bare.left;
    operator = FLIPPED[operator];
  } else return undefined;
  // Where the comparison `length <op> other` holds (or fails), the length is at most …
  const holds = whenTrue ? operator : ({ '<': '>=', '<=': '>', '>': '<=', '>=': '<' } as const)[operator];
  if (holds !== '<' && holds !== '<=') return undefined;
  const bound = bounds.bound(other, true);
  return typeof bound === 'number' && holds === '<' ? bound - 1 : bound;
}

const normalized = (text: string): string => text.replace(/\s+/g, '').replace(/\?\./g, '.');

/** True when nothing assigns `node` (a variable) between `from` and `to`. */
function unchangedBetween(node: TSESTree.Node, from: TSESTree.Node, to: TSESTree.Node, sourceCode: Readonly<SourceCode>): boolean {
  if (node.type !== AST_NODE_TYPES.Identifier) return true;
  const variable = ASTUtils.findVariable(sourceCode.getScope(node), node.name);
  if (variable === null) return true;
  return variable.references.every(
    (reference) => !reference.isWrite() || reference.identifier.range[0] < from.range[0] || reference.identifier.range[0] > to.range[0],
  );
}

/** The most elements `node` (a name or `req.body.ids`) can hold, when a guard before it (or an `if` around it) checks its length. */
export function guardedSize(
  node: TSESTree.Identifier | TSESTree.MemberExpression,
  sourceCode: Readonly<SourceCode>,
  bounds: Bounds,
): Bound {
  const text = normalized(sourceCode.getText(node));
  const crossesFunctions = node.type === AST_NODE_TYPES.Identifier;
  let child: TSESTree.Node = node;
  for (let parent: TSESTree.Node | undefined = node.parent; parent != null; child = parent, parent = parent.parent) {
    if (isFunction(parent) && !crossesFunctions) return undefined;
    if (
      (parent.type === AST_NODE_TYPES.IfStatement || parent.type === AST_NODE_TYPES.ConditionalExpression) &&
      parent.consequent === child
    ) {
      const bound = limitFrom(parent.test, text, true, sourceCode, bounds);
      if (bound !== undefined && unchangedBetween(node, parent, node, sourceCode)) return bound;
    }
    if (
      parent.type !== AST_NODE_TYPES.BlockStatement &&
      parent.type !== AST_NODE_TYPES.Program &&
      parent.type !== AST_NODE_TYPES.StaticBlock
    )
      continue;
    const body: readonly TSESTree.Node[] = parent.body;
    for (let index = body.indexOf(child) - 1; index >= 0; index--) {
      const statement = body[index]!;
      let bound: Bound;
      if (statement.type === AST_NODE_TYPES.IfStatement && statement.alternate === null && exits(statement.consequent)) {
        bound = limitFrom(statement.test, text, false, sourceCode, bounds);
      } else if (statement.type === AST_NODE_TYPES.ExpressionStatement && statement.expression.type === AST_NODE_TYPES.CallExpression) {
        const call = statement.expression;
        if (ASSERTIONS.test(calleeText(call.callee) ?? '') && call.arguments[0] !== undefined)
          bound = limitFrom(call.arguments[0], text, true, sourceCode, bounds);
      }
      if (bound !== undefined && unchangedBetween(node, statement, node, sourceCode)) return bound;
    }
  }
  return undefined;
}
