import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { isFunction, type FunctionNode } from './functions.js';
import { resolveImport } from './imports.js';

/**
 * Timers written by hand: `setTimeout` calls, whether anything ever clears them, and the
 * promises built around one (`new Promise((resolve, reject) => setTimeout(…))`).
 */

/** True when `node` calls the timer `setTimeout` (global, `globalThis.`/`window.`, or imported from `timers`). */
export function isSetTimeoutCall(node: TSESTree.Node, scope: Scope.Scope): node is TSESTree.CallExpression {
  if (node.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = node.callee;
  if (callee.type === AST_NODE_TYPES.Identifier && callee.name === 'setTimeout') {
    const variable = ASTUtils.findVariable(scope, 'setTimeout');
    if (variable === null || variable.defs.length === 0) return true;
    const binding = resolveImport(callee, scope);
    return binding?.module === 'timers' && binding.imported === 'setTimeout';
  }
  return (
    callee.type === AST_NODE_TYPES.MemberExpression &&
    !callee.computed &&
    callee.property.name === 'setTimeout' &&
    callee.object.type === AST_NODE_TYPES.Identifier &&
    (callee.object.name === 'globalThis' || callee.object.name === 'window' || callee.object.name === 'global')
  );
}

/**
 * True when the timer `call` starts can be cleared: its handle is kept (a variable, a property)
 * and `clearTimeout` (or `clearInterval`) is called on it somewhere in the file.
 */
export function isTimerCleared(call: TSESTree.CallExpression, sourceCode: Readonly<SourceCode>): boolean {
  let holder: TSESTree.Node | undefined;
  let target: TSESTree.Node = call;
  // setTimeout(…).unref() keeps the same handle.
  while (
    target.parent?.type === AST_NODE_TYPES.MemberExpression &&
    target.parent.parent?.type === AST_NODE_TYPES.CallExpression &&
    !target.parent.computed &&
    (target.parent.property.name === 'unref' || target.parent.property.name === 'ref')
  ) {
    target = target.parent.parent;
  }
  const parent = target.parent;
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.init === target) holder = parent.id;
  else if (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.right === target) holder = parent.left;
  else if (parent?.type === AST_NODE_TYPES.Property && parent.value === target) holder = parent.key;
  else if (parent?.type === AST_NODE_TYPES.ReturnStatement) return true;
  // An arrow that returns the handle hands it to its caller, unless the caller is a Promise, which drops it.
  else if (parent?.type === AST_NODE_TYPES.ArrowFunctionExpression) return !isPromiseExecutor(parent);
  else if (parent?.type === AST_NODE_TYPES.CallExpression && parent.callee !== target) return true;
  if (holder === undefined) return false;
  const name =
    holder.type === AST_NODE_TYPES.Identifier
      ? holder.name
      : holder.type === AST_NODE_TYPES.MemberExpression && !holder.computed
        ? holder.property.name
        : undefined;
  // Handed on: kept in a structure, or cleared by name wherever the file clears timers.
  if (name === undefined) return true;
  const escaped = name.replace(/[$]/g, '\\$');
  return new RegExp(`clear(?:Timeout|Interval)\\s*\\(\\s*(?:[\\w$.]*\\.)?${escaped}\\b`).test(sourceCode.text);
}

/** What a timer promise does when its timer fires. */
export type TimerOutcome = 'resolve' | 'reject';

export interface TimerPromise {
  /** The `new Promise(…)`. */
  readonly promise: TSESTree.NewExpression;
  /** The `setTimeout(…)` inside its executor. */
  readonly timer: TSESTree.CallExpression;
  readonly outcome: TimerOutcome;
  /** The executor does nothing but start the timer. */
  readonly only: boolean;
  /** For a resolving timer: the value it resolves with, when it passes one. */
  readonly value: TSESTree.Node | undefined;
  /** When a helper of the file built it: the call of the helper and the helper's parameter names. */
  readonly via?: { readonly call: TSESTree.CallExpression; readonly params: readonly (string | undefined)[] };
}

/** `new Promise((resolve, reject) => … setTimeout(…) …)` whose timer settles it, or undefined. */
export function timerPromise(node: TSESTree.Node, scope: Scope.Scope): TimerPromise | undefined {
  if (node.type !== AST_NODE_TYPES.NewExpression || node.callee.type !== AST_NODE_TYPES.Identifier || node.callee.name !== 'Promise')
    return undefined;
  const executor = node.arguments[0];
  if (executor === undefined || !isFunction(executor)) return undefined;
  const names = executor.params.map((param) => (param.type === AST_NODE_TYPES.Identifier ? param.name : undefined));
  const statements: TSESTree.Node[] =
    executor.body.type === AST_NODE_TYPES.BlockStatement
      ? executor.body.body.map((statement) => (statement.type === AST_NODE_TYPES.ExpressionStatement ? statement.expression : statement))
      : [executor.body];
  for (const statement of statements) {
    const call = statement.type === AST_NODE_TYPES.AssignmentExpression ? statement.right : statement;
    if (!isSetTimeoutCall(call, scope)) continue;
    const settled = settles(call.arguments[0], names);
    if (settled === undefined) continue;
    return { promise: node, timer: call, outcome: settled.outcome, only: statements.length === 1, value: settled.value };
  }
  return undefined;
}

/** What the timer's callback does with the executor's resolve / reject. */
function settles(
  callback: TSESTree.Node | undefined,
  [resolve, reject]: (string | undefined)[],
): { outcome: TimerOutcome; value: TSESTree.Node | undefined } | undefined {
  if (callback === undefined) return undefined;
  const outcomeOf = (name: string): TimerOutcome | undefined => (name === resolve ? 'resolve' : name === reject ? 'reject' : undefined);
  if (callback.type === AST_NODE_TYPES.Identifier) {
    const outcome = outcomeOf(callback.name);
    return outcome === undefined ? undefined : { outcome, value: undefined };
  }
  if (!isFunction(callback)) return undefined;
  const body = callback.body;
  const expressions: TSESTree.Node[] =
    body.type === AST_NODE_TYPES.BlockStatement
      ? body.body.flatMap((statement) => (statement.type === AST_NODE_TYPES.ExpressionStatement ? [statement.expression] : []))
      : [body];
  for (const expression of expressions) {
    if (expression.type !== AST_NODE_TYPES.CallExpression || expression.callee.type !== AST_NODE_TYPES.Identifier) continue;
    const outcome = outcomeOf(expression.callee.name);
    if (outcome !== undefined) {
      const only = body.type !== AST_NODE_TYPES.BlockStatement || body.body.length === 1;
      return { outcome, value: only ? expression.arguments[0] : callback };
    }
  }
  return undefined;
}

/**
 * The timer promise a call returns, when it calls a function of this file that returns one
 * (`const timeout = (ms) => new Promise((_, reject) => setTimeout(reject, ms))`).
 */
export function timerPromiseOfCall(node: TSESTree.Node, scope: Scope.Scope): TimerPromise | undefined {
  if (node.type !== AST_NODE_TYPES.CallExpression || node.callee.type !== AST_NODE_TYPES.Identifier) return undefined;
  const definition = ASTUtils.findVariable(scope, node.callee.name)?.defs[0];
  let fn: FunctionNode | undefined;
  if (definition?.node.type === AST_NODE_TYPES.FunctionDeclaration) fn = definition.node;
  else if (definition?.node.type === AST_NODE_TYPES.VariableDeclarator && definition.node.init != null && isFunction(definition.node.init))
    fn = definition.node.init;
  if (fn === undefined) return undefined;
  let returned: TSESTree.Node | undefined;
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) returned = fn.body;
  else {
    const last = fn.body.body.at(-1);
    if (last?.type === AST_NODE_TYPES.ReturnStatement && last.argument != null) returned = last.argument;
  }
  const timed = returned === undefined ? undefined : timerPromise(returned, scope);
  if (timed === undefined) return undefined;
  const params = fn.params.map((param) => (param.type === AST_NODE_TYPES.Identifier ? param.name : undefined));
  return { ...timed, via: { call: node, params } };
}

function isPromiseExecutor(fn: FunctionNode): boolean {
  const parent = fn.parent;
  return (
    parent?.type === AST_NODE_TYPES.NewExpression &&
    parent.callee.type === AST_NODE_TYPES.Identifier &&
    parent.callee.name === 'Promise' &&
    parent.arguments[0] === fn
  );
}
