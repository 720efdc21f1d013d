import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { calleeText, enclosingFunction, type FunctionNode } from './functions.js';
import { skipTypeWrappers } from './origins.js';

/**
 * Lifecycles a checked-out connection is tied to: a request's (`req.db = client`, released on
 * the response's `close`), and the calls that borrow a client without taking it over.
 */

/** Objects that live as long as one request: `req`, `res.locals`, Koa's `ctx.state`, Fastify's `request`. */
const REQUEST_ROOTS = /^(?:req|request|res|response|reply|ctx|context)$/;

/** True when `node` is a property of a request or response: `req.db`, `res.locals.client`, `ctx.state.tx`. */
export function isRequestProperty(node: TSESTree.Node): boolean {
  let current = skipTypeWrappers(node);
  if (current.type !== AST_NODE_TYPES.MemberExpression) return false;
  while (current.type === AST_NODE_TYPES.MemberExpression) current = skipTypeWrappers(current.object);
  return current.type === AST_NODE_TYPES.Identifier && REQUEST_ROOTS.test(current.name);
}

/** The event a callback is registered for: 'finish' in `res.on('finish', cb)`, 'close' for `onFinished(res, cb)`. */
export function listenerEvent(callback: TSESTree.Node): string | undefined {
  const call = callback.parent;
  if (call?.type !== AST_NODE_TYPES.CallExpression || !call.arguments.includes(callback as TSESTree.CallExpressionArgument))
    return undefined;
  const name = calleeText(skipTypeWrappers(call.callee)) ?? '';
  // on-finished and stream.finished call back on finish, close and error alike.
  if (/(?:^|\.)(?:onFinished|finished|onClose)$/.test(name)) return 'close';
  const method = name.slice(name.lastIndexOf('.') + 1);
  const event = call.arguments[0];
  if (
    !/^(?:on|once|addListener|prependListener|prependOnceListener)$/.test(method) ||
    event?.type !== AST_NODE_TYPES.Literal ||
    typeof event.value !== 'string'
  )
    return undefined;
  return event.value;
}

/**
 * The event of the listener `node` runs in, inside `fn`: 'finish' for `res.on('finish', () =>
 * client.release())`, and 'close' for a named callback registered by name (`const release = () =>
 * client.release(); res.on('close', release)`). A named callback registered for several events
 * counts for 'close' when one of them is.
 */
export function enclosingListenerEvent(
  node: TSESTree.Node,
  fn: TSESTree.Node,
  scope?: (node: TSESTree.Node) => Scope.Scope,
): string | undefined {
  for (let callback = enclosingFunction(node); callback !== undefined && callback !== fn; callback = enclosingFunction(callback)) {
    const event = listenerEvent(callback) ?? (scope === undefined ? undefined : namedListenerEvent(callback, scope));
    if (event !== undefined) return event;
  }
  return undefined;
}

/** The events a function bound to a name (`const release = () => …`, `function release() {}`) is registered for by that name. */
function namedListenerEvent(callback: FunctionNode, scope: (node: TSESTree.Node) => Scope.Scope): string | undefined {
  const id =
    callback.type === AST_NODE_TYPES.FunctionDeclaration
      ? callback.id
      : callback.parent?.type === AST_NODE_TYPES.VariableDeclarator && callback.parent.init === callback
        ? callback.parent.id
        : undefined;
  if (id?.type !== AST_NODE_TYPES.Identifier) return undefined;
  const variable = ASTUtils.findVariable(scope(callback), id.name);
  if (variable === null || variable.references.some((reference) => reference.isWrite() && reference.writeExpr !== callback))
    return undefined;
  const events = variable.references.map((reference) => listenerEvent(reference.identifier)).filter((event) => event !== undefined);
  return events.includes('close') ? 'close' : events[0];
}

/** Calls that take a value over rather than borrow it: `resolve(client)`, `cb(null, client)`, `clients.push(client)`. */
const TAKING_CALLEES = /^(?:resolve|cb|callback|done|next|emit)$|\.(?:push|unshift|set|add|resolve|emit)$/;

/**
 * True when passing a value to `call` lends it: the callee uses the client and gives it back
 * (`runMigrations(client)`, `insertRow(client, row)`); false for `new Owner(client)` and
 * calls that keep or pass it on (`resolve(client)`, `this.clients.set(id, client)`).
 */
export function isBorrow(call: TSESTree.Node): boolean {
  if (call.type !== AST_NODE_TYPES.CallExpression) return false;
  const name = calleeText(skipTypeWrappers(call.callee));
  if (name !== undefined && TAKING_CALLEES.test(name)) return false;
  // A call whose result is returned may hand back what it was given: `return wrap(client)`.
  let value: TSESTree.Node = call;
  while (value.parent?.type === AST_NODE_TYPES.AwaitExpression) value = value.parent;
  const parent = value.parent;
  if (parent?.type === AST_NODE_TYPES.ReturnStatement) return false;
  return !(parent?.type === AST_NODE_TYPES.ArrowFunctionExpression && parent.body === value);
}
