import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { unionConstituents } from 'ts-api-utils';
import { BACKGROUND_RUNNERS, ONCE_HOOK_NAMES, PROMISE_APIS, RUNNER_METHOD_NAMES, SHUTDOWN_EVENTS } from '@bounded/policy';
import { functionName, isFunction, type FunctionNode } from './functions.js';
import { normalizeModule, resolveImport } from './imports.js';
import type { TypeInfo } from './type-info.js';

/**
 * Work started and not waited for: which calls return a promise (with type information, or
 * from the file's own async functions and the catalog's promise APIs), and which calls hand
 * work to a tracked runner.
 */

/** The file's async functions by name, and its classes' async methods (called as `this.name()`). */
export class AsyncNames {
  readonly functions = new Set<string>();
  readonly methods = new Set<string>();

  note(fn: FunctionNode): void {
    if (!fn.async) return;
    const parent = fn.parent;
    if (fn.type === AST_NODE_TYPES.FunctionDeclaration && fn.id !== null) this.functions.add(fn.id.name);
    else if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier)
      this.functions.add(parent.id.name);
    else if (
      (parent?.type === AST_NODE_TYPES.MethodDefinition || parent?.type === AST_NODE_TYPES.PropertyDefinition) &&
      !parent.computed &&
      parent.key.type === AST_NODE_TYPES.Identifier
    ) {
      this.methods.add(parent.key.name);
    }
  }
}

/** True when `type` (or every part of a union but undefined/null) has a `then` method. */
function isThenable(types: TypeInfo, node: TSESTree.Node): boolean | undefined {
  const type = types.typeOf(node);
  const parts = unionConstituents(type);
  if (parts.some((part) => (part.flags & 1) !== 0)) return undefined; // any: cannot tell
  return parts.some((part) => part.getProperty('then') !== undefined);
}

/**
 * True when `call` returns a promise: its type says so, or (without type information) it calls
 * an async function of this file or a promise API of the catalog.
 */
export function returnsPromise(call: TSESTree.CallExpression, scope: Scope.Scope, names: AsyncNames, types: TypeInfo | undefined): boolean {
  if (types !== undefined) {
    const typed = isThenable(types, call);
    if (typed !== undefined) return typed;
  }
  const callee = call.callee;
  if (callee.type === AST_NODE_TYPES.Identifier) {
    if (names.functions.has(callee.name) && isOwnFunction(callee, scope)) return true;
    if (callee.name === 'fetch' && (ASTUtils.findVariable(scope, 'fetch')?.defs.length ?? 0) === 0) return true;
  }
  if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed) {
    if (callee.object.type === AST_NODE_TYPES.ThisExpression && names.methods.has(callee.property.name)) return true;
    // fs.promises.readFile(…)
    if (callee.object.type === AST_NODE_TYPES.MemberExpression && !callee.object.computed && callee.object.property.name === 'promises') {
      const fs = resolveImport(callee.object.object, scope);
      if (fs !== undefined && fs.module === 'fs') return true;
    }
  }
  const binding = resolveImport(callee, scope);
  if (binding === undefined) return false;
  const module = normalizeModule(binding.module);
  return PROMISE_APIS.some((api) => api.module === module && (api.name === '*' || api.name === binding.imported));
}

function isOwnFunction(id: TSESTree.Identifier, scope: Scope.Scope): boolean {
  const definition = ASTUtils.findVariable(scope, id.name)?.defs[0];
  if (definition === undefined) return false;
  const node = definition.node;
  return (
    node.type === AST_NODE_TYPES.FunctionDeclaration ||
    (node.type === AST_NODE_TYPES.VariableDeclarator && node.init != null && isFunction(node.init))
  );
}

/**
 * True when `call` hands work to a tracked runner: bounded's `background` or a runner's `run`,
 * a queue of the catalog (`queue.add`), `waitUntil`, or a name in `extra` ("jobs.enqueue", "track").
 */
export function isRunnerCall(call: TSESTree.CallExpression, scope: Scope.Scope, extra: ReadonlySet<string>): boolean {
  const callee = call.callee;
  const text = calleeName(callee);
  if (text !== undefined && extra.has(text)) return true;
  const binding = resolveImport(callee, scope);
  if (
    binding !== undefined &&
    BACKGROUND_RUNNERS.some((entry) => entry.method === undefined && entry.module === binding.module && entry.name === binding.imported)
  )
    return true;
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed) return false;
  const method = callee.property.name;
  if (RUNNER_METHOD_NAMES.includes(method)) return true;
  if (text !== undefined && extra.has(`*.${method}`)) return true;
  // runner.run(…) / queue.add(…) on an object built from a catalog runner.
  const built = builtFrom(callee.object, scope);
  if (built === undefined) return false;
  const source = resolveImport(built, scope);
  return (
    source !== undefined &&
    BACKGROUND_RUNNERS.some((entry) => entry.method === method && entry.module === source.module && entry.name === source.imported)
  );
}

/** The callee of `new X()` / `x()` a constant was built with: `const queue = new PQueue()` gives `PQueue`. */
function builtFrom(node: TSESTree.Node, scope: Scope.Scope): TSESTree.Node | undefined {
  if (node.type !== AST_NODE_TYPES.Identifier) return undefined;
  const definition = ASTUtils.findVariable(scope, node.name)?.defs[0];
  const init = definition?.node.type === AST_NODE_TYPES.VariableDeclarator ? definition.node.init : undefined;
  if (init?.type === AST_NODE_TYPES.NewExpression || init?.type === AST_NODE_TYPES.CallExpression) return init.callee;
  return undefined;
}

function calleeName(node: TSESTree.Node): string | undefined {
  if (node.type === AST_NODE_TYPES.Identifier) return node.name;
  if (node.type === AST_NODE_TYPES.MemberExpression && !node.computed) {
    const object = node.object.type === AST_NODE_TYPES.ThisExpression ? 'this' : calleeName(node.object);
    return object === undefined ? undefined : `${object}.${node.property.name}`;
  }
  return undefined;
}

/**
 * True when `fn` runs once per process (B-N3): a start-up or shutdown hook by name (`main`,
 * `start`, `bootstrap`, `onTerminate`…) at module level or as a method, a closure such a hook returns, or a listener of a
 * shutdown signal (`process.on('SIGTERM', fn)`).
 */
export function isOnceHook(fn: FunctionNode): boolean {
  if (isNamedHook(fn)) return true;
  const parent = fn.parent;
  if (parent?.type === AST_NODE_TYPES.CallExpression && parent.arguments[1] === fn && isShutdownListener(parent)) return true;
  // `onTerminate() { return async () => … }`: the returned closure runs when the hook's caller decides, once.
  const returner =
    parent?.type === AST_NODE_TYPES.ReturnStatement
      ? enclosingOf(parent)
      : parent?.type === AST_NODE_TYPES.ArrowFunctionExpression && parent.body === fn
        ? parent
        : undefined;
  return returner !== undefined && isNamedHook(returner);
}

/** A module-level function or a method named like a hook; a helper `start` inside another function is not one. */
function isNamedHook(fn: FunctionNode): boolean {
  const name = functionName(fn);
  return name !== undefined && ONCE_HOOK_NAMES.includes(name) && enclosingOf(fn) === undefined;
}

/** `process.on('SIGTERM', fn)` / `process.once('exit', fn)`. */
function isShutdownListener(call: TSESTree.CallExpression): boolean {
  const callee = call.callee;
  const event = call.arguments[0];
  return (
    callee.type === AST_NODE_TYPES.MemberExpression &&
    !callee.computed &&
    callee.object.type === AST_NODE_TYPES.Identifier &&
    callee.object.name === 'process' &&
    (callee.property.name === 'on' || callee.property.name === 'once') &&
    event?.type === AST_NODE_TYPES.Literal &&
    typeof event.value === 'string' &&
    SHUTDOWN_EVENTS.includes(event.value)
  );
}

function enclosingOf(node: TSESTree.Node): FunctionNode | undefined {
  for (let current = node.parent; current != null; current = current.parent) {
    if (isFunction(current)) return current;
  }
  return undefined;
}
