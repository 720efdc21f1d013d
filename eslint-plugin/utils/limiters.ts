import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { calleeText } from './functions.js';
import { resolveImport } from './imports.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import type { TypeInfo } from './type-info.js';
import {
  LIMITER_GETTERS,
  LIMITER_NAME,
  LIMITER_RUN_METHODS,
  LIMITER_TYPES,
  LIMITER_WAIT_METHODS,
  isLimiterExport,
  limiterPackageOf,
} from '@bounded/policy';

/**
 * Concurrency and rate limiters: "does this call go through a limiter?". A limiter is made by
 * one of the catalog's packages (p-limit, p-queue, p-map, bottleneck, async-sema, bounded's runtime…),
 * is named like one (`dbSemaphore`, `this.limiter`), has a limiter's type, or is listed by
 * the policy (`lint.limiters`) or a rule option.
 */

const RUN_METHODS = new Set(LIMITER_RUN_METHODS);
/** Methods that wait for a slot or a token before the work starts. */
export const WAIT_METHODS: ReadonlySet<string> = new Set(LIMITER_WAIT_METHODS);
const GETTERS = new Set(LIMITER_GETTERS);

function isLimiterImport(node: TSESTree.Node, scope: Scope.Scope): boolean {
  const binding = resolveImport(node, scope);
  return binding !== undefined && isLimiterExport(binding.module, binding.imported);
}

/** For a limiter that bounds only with its knob set (p-map's `concurrency`): false when the call leaves it out or sets Infinity. */
function knobIsSet(call: TSESTree.CallExpression | TSESTree.NewExpression, scope: Scope.Scope): boolean {
  const binding = resolveImport(skipTypeWrappers(call.callee), scope);
  const knob = binding === undefined ? undefined : limiterPackageOf(binding.module)?.knob;
  if (knob === undefined) return true;
  const options = call.arguments[knob.optionsIndex];
  let object = options === undefined ? undefined : skipTypeWrappers(options);
  if (object === undefined) return false;
  if (object.type === AST_NODE_TYPES.Identifier) {
    // The caller's leftovers (`const { index, ...callerArgs } = params`) or a parameter: whatever the caller passed, often nothing.
    if (isPassedOn(object, scope)) return false;
    const origin = valueOrigin(object, scopeAt(object, scope));
    if (origin !== undefined) object = skipTypeWrappers(origin);
  }
  if (object.type !== AST_NODE_TYPES.ObjectExpression) return true;
  const property = object.properties.find(
    (entry): entry is TSESTree.Property =>
      entry.type === AST_NODE_TYPES.Property &&
      !entry.computed &&
      entry.key.type === AST_NODE_TYPES.Identifier &&
      entry.key.name === knob.option,
  );
  if (property === undefined) return object.properties.some((entry) => entry.type === AST_NODE_TYPES.SpreadElement);
  return !mayBeUnset(property.value, scope, 0);
}

/** The innermost scope around `node`, found from any scope of the same file (a field's value is built in the constructor's). */
function scopeAt(node: TSESTree.Node, from: Scope.Scope): Scope.Scope {
  let scope = from;
  while (scope.upper !== null) scope = scope.upper;
  for (let inner: Scope.Scope | undefined = scope; inner !== undefined; ) {
    scope = inner;
    inner = scope.childScopes.find((child) => child.block.range[0] <= node.range[0] && node.range[1] <= child.block.range[1]);
  }
  return scope;
}

/** True when `id` is a parameter, or the rest of a destructured object: options handed on from a caller. */
function isPassedOn(id: TSESTree.Identifier, from: Scope.Scope): boolean {
  const definition = ASTUtils.findVariable(scopeAt(id, from), id.name)?.defs[0];
  if (definition === undefined) return false;
  if (definition.type === DefinitionType.Parameter) return true;
  return definition.type === DefinitionType.Variable && definition.name.parent?.type === AST_NODE_TYPES.RestElement;
}

/**
 * True when a knob's value is Infinity or may be undefined (which such libraries read as
 * Infinity): `opts?.maxConcurrency`, or a local holding `config?.maxConcurrency ?? settings?.maxConcurrency`.
 */
function mayBeUnset(node: TSESTree.Node, scope: Scope.Scope, depth: number): boolean {
  const value = skipTypeWrappers(node);
  if (
    (value.type === AST_NODE_TYPES.Identifier && (value.name === 'Infinity' || value.name === 'undefined')) ||
    calleeText(value) === 'Number.POSITIVE_INFINITY'
  )
    return true;
  if (value.type === AST_NODE_TYPES.ChainExpression) return true;
  if (value.type === AST_NODE_TYPES.LogicalExpression && (value.operator === '??' || value.operator === '||'))
    return mayBeUnset(value.right, scope, depth + 1);
  if (value.type === AST_NODE_TYPES.Identifier && depth < 4) {
    const origin = valueOrigin(value, scope);
    return origin !== undefined && origin !== value && mayBeUnset(origin, scope, depth + 1);
  }
  return false;
}

/** For `caller.call(fn)`: false when what `object` holds was built by a limiter whose knob is left out or Infinity. */
function builtWithKnob(object: TSESTree.Node, scope: Scope.Scope): boolean {
  const bare = skipTypeWrappers(object);
  const origin =
    bare.type === AST_NODE_TYPES.Identifier || bare.type === AST_NODE_TYPES.MemberExpression ? valueOrigin(bare, scope) : undefined;
  const built = origin === undefined ? undefined : skipTypeWrappers(origin);
  return built?.type !== AST_NODE_TYPES.NewExpression && built?.type !== AST_NODE_TYPES.CallExpression
    ? true
    : knobIsSet(built, scopeAt(built, scope));
}

/** True when `node` (a call or `new`) builds a limiter: `pLimit(4)`, `new PQueue(…)`, `throttle(fn)` of p-throttle. */
function buildsLimiter(node: TSESTree.Node, scope: Scope.Scope, depth: number): boolean {
  const bare = skipTypeWrappers(node);
  const built = bare.type === AST_NODE_TYPES.AwaitExpression ? skipTypeWrappers(bare.argument) : bare;
  if (built.type !== AST_NODE_TYPES.NewExpression && built.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = skipTypeWrappers(built.callee);
  if (isLimiterImport(callee, scope)) return true;
  if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier) {
    if (GETTERS.has(callee.property.name)) return true;
  }
  // `const throttled = throttle(fn)` where `throttle = pThrottle({ … })`.
  return depth < 4 && callee.type === AST_NODE_TYPES.Identifier && isLimiter(callee, scope, undefined, [], depth + 1);
}

/** True when `node` holds a limiter built by a known package in this file (`const limit = pLimit(4)`). */
export function isBuiltLimiter(node: TSESTree.Node, scope: Scope.Scope): boolean {
  const bare = skipTypeWrappers(node);
  if (buildsLimiter(bare, scope, 0)) return true;
  const origin = valueOrigin(bare, scope);
  return origin !== undefined && origin !== bare && buildsLimiter(origin, scope, 0);
}

/**
 * True when `node` holds a limiter: built by a known package in this file, named like one,
 * typed as one, or listed in `names`.
 */
export function isLimiter(
  node: TSESTree.Node,
  scope: Scope.Scope,
  types: TypeInfo | undefined,
  names: readonly string[],
  depth = 0,
): boolean {
  const bare = skipTypeWrappers(node);
  const text = calleeText(bare);
  if (text !== undefined && names.includes(text)) return true;
  if (buildsLimiter(bare, scope, depth)) return true;
  const origin = valueOrigin(bare, scope);
  if (origin !== undefined && origin !== bare && buildsLimiter(origin, scope, depth)) return true;
  if (text !== undefined && LIMITER_NAME.test(text.slice(text.lastIndexOf('.') + 1))) return true;
  const typeName = types?.typeName(bare);
  return typeName !== undefined && LIMITER_TYPES.includes(typeName);
}

/** True when `callee` names one of `names`: the whole path (`jobs.enqueue`) or, for a plain name, the last part. */
function isListed(callee: TSESTree.Node, names: readonly string[]): boolean {
  const text = calleeText(callee);
  if (text === undefined) return false;
  const last = text.slice(text.lastIndexOf('.') + 1);
  return names.some((name) => name === text || (!name.includes('.') && name === last));
}

/**
 * True when `call` runs its work through a limiter: `limit(() => …)` (p-limit),
 * `sem.run(…)`, `queue.add(…)`, `limiter.schedule(…)`, a function a limiter wrapped
 * (`throttled(x)`), or a name in `names`. Follows `.then`/`.catch`/`.finally` chains.
 */
export function isLimitedCall(
  call: TSESTree.CallExpression,
  scope: Scope.Scope,
  types: TypeInfo | undefined,
  names: readonly string[],
): boolean {
  const callee = skipTypeWrappers(call.callee);
  if (isListed(callee, names)) return true;
  if (callee.type === AST_NODE_TYPES.Identifier) return isLimiter(callee, scope, types, names) && knobIsSet(call, scope);
  // `throttle(fn)()`: calling what a limiter wrapped runs it under the limit.
  if (callee.type === AST_NODE_TYPES.CallExpression) return isLimitedCall(callee, scope, types, names);
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier) {
    return false;
  }
  const method = callee.property.name;
  if (method === 'then' || method === 'catch' || method === 'finally') {
    const inner = skipTypeWrappers(callee.object);
    return inner.type === AST_NODE_TYPES.CallExpression && isLimitedCall(inner, scope, types, names);
  }
  return RUN_METHODS.has(method) && isLimiter(callee.object, scope, types, names) && builtWithKnob(callee.object, scope);
}

/** True when `node` is `await x.acquire()` (or another wait) on a limiter, alone or in a declaration. */
export function isLimiterWait(node: TSESTree.Node, scope: Scope.Scope, types: TypeInfo | undefined, names: readonly string[]): boolean {
  let expression: TSESTree.Node | null | undefined;
  if (node.type === AST_NODE_TYPES.ExpressionStatement) expression = node.expression;
  else if (node.type === AST_NODE_TYPES.VariableDeclaration && node.declarations.length === 1) expression = node.declarations[0].init;
  if (expression?.type !== AST_NODE_TYPES.AwaitExpression) return false;
  const call = skipTypeWrappers(expression.argument);
  if (call.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = skipTypeWrappers(call.callee);
  return (
    callee.type === AST_NODE_TYPES.MemberExpression &&
    !callee.computed &&
    callee.property.type === AST_NODE_TYPES.Identifier &&
    WAIT_METHODS.has(callee.property.name) &&
    isLimiter(callee.object, scope, types, names)
  );
}
