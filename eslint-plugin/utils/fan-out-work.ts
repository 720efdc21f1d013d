import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import { CHECKOUTS, TRANSACTION_CALLS } from '@bounded/policy';
import { isPipelinedClient, isPool } from './connections.js';
import { CONFIGURED_LIST } from './fan-out.js';
import { calleeText, isFunction, type FunctionNode } from './functions.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import type { TypeInfo } from './type-info.js';
import { walk } from './walk.js';

/**
 * What the tasks of a fan-out do, when that bounds it: workers that share one queue (a worker
 * pool), tasks that wait for a limiter before their work, and tasks whose every query runs on
 * one connection (an interactive transaction, a checked-out client, a pipelined Redis client).
 */

/** The function a mapper is: inline, a function declared or assigned in this file. */
export function functionOf(node: TSESTree.Node, scopeOf: (node: TSESTree.Node) => Scope.Scope): FunctionNode | undefined {
  const bare = skipTypeWrappers(node);
  if (isFunction(bare)) return bare;
  if (bare.type !== AST_NODE_TYPES.Identifier) return undefined;
  const definition = ASTUtils.findVariable(scopeOf(bare), bare.name)?.defs[0];
  if (definition?.type === DefinitionType.FunctionName && isFunction(definition.node)) return definition.node;
  const origin = valueOrigin(bare, scopeOf(bare));
  return origin !== undefined && isFunction(origin) ? origin : undefined;
}

/** The statements-or-expression a function runs, and, for `() => worker(q)`, the function it calls. */
function bodiesOf(fn: FunctionNode, scopeOf: (node: TSESTree.Node) => Scope.Scope): FunctionNode[] {
  const found = [fn];
  let body: TSESTree.Node = fn.body;
  if (body.type === AST_NODE_TYPES.BlockStatement && body.body.length === 1) {
    const only = body.body[0]!;
    if (only.type === AST_NODE_TYPES.ReturnStatement && only.argument !== null) body = only.argument;
    else if (only.type === AST_NODE_TYPES.ExpressionStatement) body = only.expression;
  }
  body = skipTypeWrappers(body);
  if (body.type === AST_NODE_TYPES.AwaitExpression) body = skipTypeWrappers(body.argument);
  if (body.type === AST_NODE_TYPES.CallExpression) {
    const called = functionOf(body.callee, scopeOf);
    if (called !== undefined && called !== fn) found.push(called);
  }
  return found;
}

/** Callback bookkeeping: `runManager?.handleChainEnd(out)`, `listener.onDone(x)` tell an element something; no I/O of the fan-out's own. */
const NOTIFY_METHOD = /^(?:handle|on)[A-Z]/;
const NOTIFIED_NAME = /(?:manager|handler|listener|callback|observer|run)s?$/i;

/**
 * True when `mapper` only tells each element something: every call it waits for or returns is a
 * `handleX` / `onX` on the element or a name taken from it (`(runManager) =>
 * runManager?.handleChainEnd(out)`, `async ({ result, runManager }) => { …; await
 * runManager?.handleLLMEnd(…) }`) over run managers or handlers (the names say which), or a
 * fan-out to the handlers an object was configured with (`Promise.all(this.handlers.map(…))`).
 */
export function notifiesElement(
  mapper: TSESTree.Node,
  items: TSESTree.Node,
  scopeOf: (node: TSESTree.Node) => Scope.Scope,
  visitorKeys: SourceCode.VisitorKeys,
): boolean {
  const fn = functionOf(mapper, scopeOf);
  const param = fn?.params[0];
  if (fn === undefined || param === undefined) return false;
  const names = new Set<string>();
  if (param.type === AST_NODE_TYPES.Identifier) names.add(param.name);
  if (param.type === AST_NODE_TYPES.ObjectPattern) {
    for (const property of param.properties) {
      const value = property.type === AST_NODE_TYPES.Property ? property.value : undefined;
      if (value?.type === AST_NODE_TYPES.Identifier) names.add(value.name);
    }
  }
  const itemsNamed = NOTIFIED_NAME.test(calleeText(items) ?? '');
  const isNotice = (node: TSESTree.Node): boolean => {
    let bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.AwaitExpression) bare = skipTypeWrappers(bare.argument);
    if (bare.type === AST_NODE_TYPES.ChainExpression) bare = bare.expression;
    if (bare.type !== AST_NODE_TYPES.CallExpression) return false;
    const callee = skipTypeWrappers(bare.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
      return false;
    const receiver = skipTypeWrappers(callee.object);
    if (NOTIFY_METHOD.test(callee.property.name)) {
      return receiver.type === AST_NODE_TYPES.Identifier && names.has(receiver.name) && (itemsNamed || NOTIFIED_NAME.test(receiver.name));
    }
    // Promise.all(this.handlers.map(…)): the configured handlers, as many as the code registers.
    if (receiver.type !== AST_NODE_TYPES.Identifier || receiver.name !== 'Promise') return false;
    const list = bare.arguments[0] === undefined ? undefined : skipTypeWrappers(bare.arguments[0]);
    const over =
      list?.type === AST_NODE_TYPES.CallExpression && list.callee.type === AST_NODE_TYPES.MemberExpression
        ? skipTypeWrappers(list.callee.object)
        : undefined;
    return (
      over?.type === AST_NODE_TYPES.MemberExpression &&
      !over.computed &&
      over.property.type === AST_NODE_TYPES.Identifier &&
      CONFIGURED_LIST.test(over.property.name)
    );
  };
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return isNotice(fn.body);
  const calls: TSESTree.Node[] = [];
  walk(fn.body, visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.AwaitExpression) calls.push(node.argument);
    else if (
      node.type === AST_NODE_TYPES.ReturnStatement &&
      node.argument !== null &&
      skipTypeWrappers(node.argument).type === AST_NODE_TYPES.CallExpression
    )
      calls.push(node.argument);
  });
  return calls.length > 0 && calls.every(isNotice);
}

const LOOPS = new Set<string>([
  AST_NODE_TYPES.WhileStatement,
  AST_NODE_TYPES.DoWhileStatement,
  AST_NODE_TYPES.ForStatement,
  AST_NODE_TYPES.ForOfStatement,
]);
/** Methods that take the next item off a shared queue or iterator. */
const TAKE_METHODS = new Set(['shift', 'pop', 'next', 'dequeue', 'take', 'splice']);
const ITERATOR_METHODS = new Set(['entries', 'values', 'keys']);

/**
 * True when `mapper` is a worker of a pool: it loops, taking items from a queue, index or
 * iterator shared with the other workers (`while (next < items.length) handle(items[next++])`,
 * `queue.shift()`, `for (const [i, x] of iterator)` over one `items.entries()`). So many
 * workers run at once as the pool has, whatever the number of items.
 */
export function isWorker(
  mapper: TSESTree.Node,
  scopeOf: (node: TSESTree.Node) => Scope.Scope,
  visitorKeys: SourceCode.VisitorKeys,
): boolean {
  const fn = functionOf(mapper, scopeOf);
  if (fn === undefined) return false;
  return bodiesOf(fn, scopeOf).some((worker) => {
    const shared = (node: TSESTree.Node): boolean => {
      let root = skipTypeWrappers(node);
      while (root.type === AST_NODE_TYPES.MemberExpression) root = skipTypeWrappers(root.object);
      if (root.type === AST_NODE_TYPES.ThisExpression) return true;
      if (root.type !== AST_NODE_TYPES.Identifier) return false;
      const definition = ASTUtils.findVariable(scopeOf(root), root.name)?.defs[0];
      if (definition === undefined) return false;
      // Declared outside this worker, or a parameter every worker is handed the same value for.
      return (
        definition.name.range[0] < worker.range[0] ||
        definition.name.range[0] > worker.range[1] ||
        definition.type === DefinitionType.Parameter
      );
    };
    let found = false;
    walk(worker.body, visitorKeys, (node) => {
      if (found || !LOOPS.has(node.type)) return !found;
      walk(node, visitorKeys, (inner) => {
        if (inner.type === AST_NODE_TYPES.UpdateExpression && shared(inner.argument)) found = true;
        if (
          inner.type === AST_NODE_TYPES.AssignmentExpression &&
          (inner.operator === '+=' || inner.operator === '-=') &&
          shared(inner.left)
        )
          found = true;
        if (
          inner.type === AST_NODE_TYPES.CallExpression &&
          inner.callee.type === AST_NODE_TYPES.MemberExpression &&
          !inner.callee.computed &&
          inner.callee.property.type === AST_NODE_TYPES.Identifier &&
          TAKE_METHODS.has(inner.callee.property.name) &&
          shared(inner.callee.object)
        )
          found = true;
        return !found;
      });
      if (!found && node.type === AST_NODE_TYPES.ForOfStatement) {
        const right = skipTypeWrappers(node.right);
        const origin = right.type === AST_NODE_TYPES.Identifier ? valueOrigin(right, scopeOf(right)) : undefined;
        const iterator =
          origin?.type === AST_NODE_TYPES.CallExpression &&
          (ITERATOR_METHODS.has(calleeText(origin.callee)?.split('.').at(-1) ?? '') ||
            (origin.callee.type === AST_NODE_TYPES.MemberExpression &&
              origin.callee.computed &&
              /Symbol\.(?:async)?[iI]terator/.test(calleeText(origin.callee.property) ?? '')));
        if (iterator && shared(right)) found = true;
        // for await (const job of queue): a shared async iterable each worker pulls from.
        if (node.await && shared(right) && right.type === AST_NODE_TYPES.Identifier) found = true;
      }
      return !found;
    });
    return found;
  });
}

/**
 * Whether the first thing `fn` (a block-bodied mapper) waits for is a limiter
 * (`async (id) => { const row = await limit(() => load(id)); return shape(row); }`): true; false
 * when it first waits for other work (`await fetch(id)`); undefined when it waits for nothing.
 */
export function waitsForLimiterFirst(
  fn: FunctionNode,
  visitorKeys: SourceCode.VisitorKeys,
  isLimited: (node: TSESTree.Node) => boolean,
): boolean | undefined {
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return undefined;
  let first: TSESTree.Node | undefined;
  walk(fn.body, visitorKeys, (node) => {
    if (first !== undefined) return false;
    if (node.type === AST_NODE_TYPES.AwaitExpression) first = node;
    else if (node.type === AST_NODE_TYPES.ForOfStatement && node.await) first = node;
    return first === undefined;
  });
  return first === undefined ? undefined : first.type === AST_NODE_TYPES.AwaitExpression && isLimited(first);
}

/** The connection a function runs on: the parameter of `db.transaction(async (tx) => …)`, `sql.begin(async (sql) => …)`. */
function transactionParameter(fn: FunctionNode): TSESTree.Identifier | undefined {
  const call = fn.parent;
  if (call?.type !== AST_NODE_TYPES.CallExpression || !call.arguments.includes(fn as TSESTree.CallExpressionArgument)) return undefined;
  const callee = skipTypeWrappers(call.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
    return undefined;
  const method = callee.property.name;
  const inner = skipTypeWrappers(callee.object);
  const innerMethod = inner.type === AST_NODE_TYPES.CallExpression ? calleeText(inner.callee)?.split('.').at(-1) : undefined;
  const matches = TRANSACTION_CALLS.some((entry) =>
    entry.then === undefined ? entry.method === method : entry.then === method && entry.method === innerMethod,
  );
  const param = fn.params[0];
  return matches && param?.type === AST_NODE_TYPES.Identifier ? param : undefined;
}

/** Variables in scope at `node` that hold one connection: transaction parameters around it, checked-out clients. */
function connectionsAround(
  node: TSESTree.Node,
  scopeOf: (node: TSESTree.Node) => Scope.Scope,
  types: TypeInfo | undefined,
): Set<Scope.Variable> {
  const found = new Set<Scope.Variable>();
  for (let current = node.parent; current != null; current = current.parent) {
    if (!isFunction(current)) continue;
    const param = transactionParameter(current);
    const variable = param === undefined ? null : ASTUtils.findVariable(scopeOf(current.body), param.name);
    if (variable !== null) found.add(variable);
  }
  // const client = await pool.connect(); const runner = dataSource.createQueryRunner();
  for (let scope: Scope.Scope | null = scopeOf(node); scope !== null; scope = scope.upper) {
    for (const variable of scope.variables) {
      const definition = variable.defs[0];
      if (definition?.type !== DefinitionType.Variable || definition.node.id.type !== AST_NODE_TYPES.Identifier) continue;
      let init = definition.node.init === null ? undefined : skipTypeWrappers(definition.node.init);
      if (init?.type === AST_NODE_TYPES.AwaitExpression) init = skipTypeWrappers(init.argument);
      if (init?.type !== AST_NODE_TYPES.CallExpression || init.callee.type !== AST_NODE_TYPES.MemberExpression || init.callee.computed)
        continue;
      const method = init.callee.property.type === AST_NODE_TYPES.Identifier ? init.callee.property.name : '';
      const checkout = CHECKOUTS.find((entry) => entry.method === method);
      if (checkout !== undefined && (checkout.from === 'source' || isPool(init.callee.object, scopeOf(init), types))) found.add(variable);
    }
  }
  return found;
}

/** Names a transaction handed on by position goes by: `withActor(actor, transaction)`. */
const TRANSACTION_NAME = /^(?:transaction|trx)$/;

/**
 * True when `node`, an argument of a query, carries an interactive transaction, so the query
 * runs on the transaction's one connection: Sequelize's `{ transaction }` option (not
 * `transaction: null`), an object or context built from one (`createContext({ user, transaction })`,
 * `withActor(actor, transaction)`), or a context whose transaction the function reads
 * elsewhere (`ctx` where `ctx.state.transaction` is read).
 */
export function carriesTransaction(node: TSESTree.Node, scopeOf: (node: TSESTree.Node) => Scope.Scope, depth = 0): boolean {
  if (depth > 4) return false;
  const bare = skipTypeWrappers(node);
  switch (bare.type) {
    case AST_NODE_TYPES.ObjectExpression:
      return bare.properties.some((property) =>
        property.type === AST_NODE_TYPES.SpreadElement
          ? carriesTransaction(property.argument, scopeOf, depth + 1)
          : !property.computed &&
            property.key.type === AST_NODE_TYPES.Identifier &&
            property.key.name === 'transaction' &&
            !isNothing(property.value),
      );
    case AST_NODE_TYPES.CallExpression:
      return bare.arguments.some(
        (argument) => argument.type !== AST_NODE_TYPES.SpreadElement && carriesTransaction(argument, scopeOf, depth + 1),
      );
    case AST_NODE_TYPES.Identifier: {
      if (TRANSACTION_NAME.test(bare.name)) return true;
      const origin = valueOrigin(bare, scopeOf(bare));
      if (origin !== undefined && origin !== bare) return carriesTransaction(origin, scopeOf, depth + 1);
      const variable = ASTUtils.findVariable(scopeOf(bare), bare.name);
      return variable?.references.some((reference) => readsTransaction(reference.identifier)) === true;
    }
    default:
      return false;
  }
}

/** `null`, `undefined`: no transaction; `options?.transaction`: maybe none. */
function isNothing(node: TSESTree.Node): boolean {
  const bare = skipTypeWrappers(node);
  return (
    (bare.type === AST_NODE_TYPES.Literal && bare.value === null) ||
    (bare.type === AST_NODE_TYPES.Identifier && bare.name === 'undefined') ||
    bare.type === AST_NODE_TYPES.ChainExpression
  );
}

/**
 * `ctx.transaction`, `ctx.state.transaction`: a member chain from `id` that ends at a
 * transaction. Not `options?.transaction`: whoever reads it so expects calls without one.
 */
function readsTransaction(id: TSESTree.Node): boolean {
  let current: TSESTree.Node = id;
  for (let steps = 0; steps < 3 && current.parent?.type === AST_NODE_TYPES.MemberExpression && current.parent.object === current; steps++) {
    current = current.parent;
    if (current.optional) return false;
    const property = current.property;
    if (property.type === AST_NODE_TYPES.Identifier && property.name === 'transaction') return true;
  }
  return false;
}

/**
 * True when every task `mapper` starts runs on one connection, which takes one query at a time
 * (or pipelines them): inside an interactive transaction (`tx.query(…)`, `Model.create(x, {
 * transaction: t })`, `insertRow(tx, row)`), on a checked-out client, or Redis commands on one
 * ioredis / node-redis client, or each given the transaction it runs in (`{ transaction }`).
 * What the mapper waits for or returns must all be such calls.
 */
export function runsOnOneConnection(
  mapper: TSESTree.Node,
  fanOut: TSESTree.Node,
  scopeOf: (node: TSESTree.Node) => Scope.Scope,
  visitorKeys: SourceCode.VisitorKeys,
  types: TypeInfo | undefined,
): boolean {
  const fn = skipTypeWrappers(mapper);
  if (!isFunction(fn)) return false;
  const connections = connectionsAround(fanOut, scopeOf, types);
  const isConnection = (node: TSESTree.Node): boolean => {
    if (node.type !== AST_NODE_TYPES.Identifier) return false;
    const variable = ASTUtils.findVariable(scopeOf(node), node.name);
    return variable !== null && connections.has(variable);
  };
  const usesConnection = (node: TSESTree.Node): boolean => {
    let uses = isConnection(node);
    walk(
      node,
      visitorKeys,
      (inner) => {
        if (isConnection(inner)) uses = true;
        return !uses;
      },
      true,
    );
    return uses;
  };
  /** A call on the connection (`tx.insert(…)`, `sql\`…\``), one it is passed to, or a Redis command. */
  const onConnection = (node: TSESTree.Node): boolean => {
    let bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.AwaitExpression) bare = skipTypeWrappers(bare.argument);
    if (bare.type === AST_NODE_TYPES.ChainExpression) bare = bare.expression;
    if (bare.type === AST_NODE_TYPES.TaggedTemplateExpression) return connections.size > 0 && usesConnection(bare.tag);
    if (bare.type !== AST_NODE_TYPES.CallExpression) return bare.type === AST_NODE_TYPES.Identifier || bare.type === AST_NODE_TYPES.Literal;
    const callee = skipTypeWrappers(bare.callee);
    if (
      callee.type === AST_NODE_TYPES.MemberExpression &&
      ['then', 'catch', 'finally'].includes(calleeText(callee)?.split('.').at(-1) ?? '')
    ) {
      return onConnection(callee.object);
    }
    if (connections.size > 0 && ([callee, ...bare.arguments] as TSESTree.Node[]).some(usesConnection)) return true;
    // `Model.create(row, { transaction })`, `doc.update(patch, ctx)`: the query runs in the transaction it is given.
    if (bare.arguments.some((argument) => argument.type !== AST_NODE_TYPES.SpreadElement && carriesTransaction(argument, scopeOf)))
      return true;
    return callee.type === AST_NODE_TYPES.MemberExpression && isPipelinedClient(callee.object, scopeOf(callee), types);
  };
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return onConnection(fn.body);
  const waited: TSESTree.Node[] = [];
  walk(fn.body, visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.AwaitExpression) waited.push(node.argument);
    else if (node.type === AST_NODE_TYPES.ReturnStatement && node.argument !== null) waited.push(node.argument);
  });
  return waited.length > 0 && waited.every(onConnection);
}
