import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { calleeText, isFunction } from './functions.js';
import { resolveImport } from './imports.js';
import { asObjectLiteral, findProperty, hasOpaqueParts, isNullish } from './option-objects.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import { isGlobalReference } from './http-calls.js';
import { isRuntimeExport } from './runtime-imports.js';

/**
 * Deadlines as the rules see them: does a call's options carry one, is a signal a timed one,
 * does a wrapper (`withTimeout`, `deadline(…).run`) put one on everything inside it?
 */

export type OptionsVerdict =
  /** A timeout option or a signal: the call has a deadline. */
  | { readonly kind: 'deadline' }
  /** No deadline; `object` is the options literal to add one to, if there is one. */
  | { readonly kind: 'missing'; readonly object: TSESTree.ObjectExpression | undefined }
  /** `timeout: 0` or `timeout: Infinity`: a deadline that never comes. */
  | { readonly kind: 'disabled'; readonly property: TSESTree.Property }
  /** A spread or a variable the rule cannot see into. */
  | { readonly kind: 'opaque'; readonly node: TSESTree.Node }
  /** In strict mode: a signal that is not visibly a timed one (`req.signal`). */
  | { readonly kind: 'untimedSignal'; readonly property: TSESTree.Property };

/** `0`, `Infinity`, `Number.POSITIVE_INFINITY`: a timeout value that disables the deadline. */
export function isDisabledTimeout(value: TSESTree.Node, scope: Scope.Scope): boolean {
  const bare = skipTypeWrappers(value);
  // `timeout: false` turns ky's (and got's per-phase) deadline off.
  if (bare.type === AST_NODE_TYPES.Literal) return bare.value === 0 || bare.value === false;
  if (bare.type === AST_NODE_TYPES.Identifier) return bare.name === 'Infinity' && isGlobalReference(scope, 'Infinity');
  return calleeText(bare) === 'Number.POSITIVE_INFINITY';
}

/** True for `deadline(…)` from bounded's runtime (or a local helper of that name). */
function isDeadlineCall(node: TSESTree.Node | undefined, scope: Scope.Scope): boolean {
  if (node?.type !== AST_NODE_TYPES.CallExpression) return false;
  return (
    isRuntimeExport(node.callee, scope, ['deadline']) || (node.callee.type === AST_NODE_TYPES.Identifier && node.callee.name === 'deadline')
  );
}

/**
 * True for the classic deadline: `const controller = new AbortController()` with
 * `setTimeout(() => controller.abort(), ms)` somewhere in the file.
 */
function isAbortedByTimer(node: TSESTree.Node, scope: Scope.Scope): boolean {
  const controller = skipTypeWrappers(node);
  if (controller.type !== AST_NODE_TYPES.Identifier) return false;
  const origin = valueOrigin(controller, scope);
  if (origin?.type !== AST_NODE_TYPES.NewExpression || calleeText(origin.callee) !== 'AbortController') return false;
  const variable = ASTUtils.findVariable(scope, controller.name);
  return (
    variable?.references.some((reference) => {
      const member = reference.identifier.parent;
      if (member?.type !== AST_NODE_TYPES.MemberExpression || member.object !== reference.identifier) return false;
      if (member.property.type !== AST_NODE_TYPES.Identifier || member.property.name !== 'abort') return false;
      for (let current: TSESTree.Node | undefined = member.parent; current != null; current = current.parent) {
        if (current.type === AST_NODE_TYPES.CallExpression && /(?:^|\.)setTimeout$/.test(calleeText(current.callee) ?? '')) return true;
      }
      return false;
    }) ?? false
  );
}

/**
 * True when a signal visibly aborts at a deadline: `AbortSignal.timeout(ms)`,
 * `AbortSignal.any([…, AbortSignal.timeout(ms)])`, a bounded `deadline(…)`'s `.signal`, an
 * AbortController a timer aborts, or a constant holding one of those.
 */
export function isTimedSignal(value: TSESTree.Node, scope: Scope.Scope, depth = 0): boolean {
  if (depth > 4) return false;
  const bare = skipTypeWrappers(value);
  if (bare.type === AST_NODE_TYPES.CallExpression) {
    const text = calleeText(bare.callee);
    if (text === 'AbortSignal.timeout') return true;
    const list = bare.arguments[0];
    return (
      text === 'AbortSignal.any' &&
      list?.type === AST_NODE_TYPES.ArrayExpression &&
      list.elements.some(
        (element) => element !== null && element.type !== AST_NODE_TYPES.SpreadElement && isTimedSignal(element, scope, depth + 1),
      )
    );
  }
  if (
    bare.type === AST_NODE_TYPES.MemberExpression &&
    !bare.computed &&
    bare.property.type === AST_NODE_TYPES.Identifier &&
    bare.property.name === 'signal'
  ) {
    return (
      isDeadlineCall(skipTypeWrappers(bare.object), scope) ||
      isDeadlineCall(valueOrigin(bare.object, scope), scope) ||
      isAbortedByTimer(bare.object, scope)
    );
  }
  if (bare.type === AST_NODE_TYPES.Identifier) {
    const origin = valueOrigin(bare, scope);
    return origin !== undefined && origin !== bare && isTimedSignal(origin, scope, depth + 1);
  }
  return false;
}

/**
 * What an options argument says about a deadline. `timeoutKeys` are the library's own
 * deadline options (`timeout` for axios); `signal` always counts, and in strict mode only
 * when it is visibly timed.
 */
export function inspectOptions(
  argument: TSESTree.Node | undefined,
  timeoutKeys: readonly string[],
  scope: Scope.Scope,
  strict: boolean,
  held: (node: TSESTree.Node) => TSESTree.ObjectExpression | undefined = asObjectLiteral,
): OptionsVerdict {
  if (argument === undefined || isNullish(argument)) return { kind: 'missing', object: undefined };
  // A callback where options could go (`http.get(url, (res) => …)`): there are none.
  if (isFunction(skipTypeWrappers(argument))) return { kind: 'missing', object: undefined };
  const object = held(argument);
  if (object === undefined) return { kind: 'opaque', node: argument };
  let disabled: TSESTree.Property | undefined;
  for (const key of timeoutKeys) {
    const property = findProperty(object, key);
    if (property === undefined || isNullish(property.value)) continue;
    if (!isDisabledTimeout(property.value, scope)) return { kind: 'deadline' };
    disabled ??= property;
  }
  const signal = findProperty(object, 'signal');
  if (signal !== undefined && !isNullish(signal.value)) {
    if (!strict || isTimedSignal(signal.value, scope)) return { kind: 'deadline' };
    return { kind: 'untimedSignal', property: signal };
  }
  if (disabled !== undefined) return { kind: 'disabled', property: disabled };
  if (hasOpaqueParts(object)) return { kind: 'opaque', node: object };
  return { kind: 'missing', object };
}

function lastName(node: TSESTree.Node): string | undefined {
  if (node.type === AST_NODE_TYPES.Identifier) return node.name;
  if (node.type === AST_NODE_TYPES.MemberExpression && !node.computed && node.property.type === AST_NODE_TYPES.Identifier)
    return node.property.name;
  return undefined;
}

/** True when `call` puts a deadline on what runs inside its arguments. */
function isDeadlineWrapper(call: TSESTree.CallExpression, scope: Scope.Scope, names: ReadonlySet<string>): boolean {
  const callee = skipTypeWrappers(call.callee);
  const name = lastName(callee);
  const text = calleeText(callee);
  if (name === 'withTimeout' || (name !== undefined && names.has(name)) || (text !== undefined && names.has(text))) return true;
  if (resolveImport(callee, scope)?.module === 'p-timeout') return true;
  // budget.run(fn) on a `deadline(…)`
  if (callee.type === AST_NODE_TYPES.MemberExpression && name === 'run') {
    return isDeadlineCall(skipTypeWrappers(callee.object), scope) || isDeadlineCall(valueOrigin(callee.object, scope), scope);
  }
  return false;
}

/**
 * True when `node` runs under a deadline set around it: inside a callback given to
 * `withTimeout(…)`, `deadline(…).run(…)`, p-timeout, or a function the policy lists
 * (`lint.timeouts`), or passed to one directly (`pTimeout(fetch(url), …)`).
 */
export function isUnderDeadline(node: TSESTree.Node, scope: Scope.Scope, names: ReadonlySet<string>): boolean {
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent != null; child = parent, parent = parent.parent) {
    if (
      parent.type === AST_NODE_TYPES.CallExpression &&
      parent.arguments.includes(child as TSESTree.CallExpressionArgument) &&
      isDeadlineWrapper(parent, scope, names)
    ) {
      return true;
    }
  }
  return false;
}
