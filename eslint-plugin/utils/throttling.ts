import { ASTUtils, AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { ITERATION_METHODS, PAUSE_NAME } from '@bounded/policy';
import { calleeText, isFunction, isRequestHandler } from './functions.js';
import { resolveImport } from './imports.js';
import { isLimitedCall, isLimiterWait } from './limiters.js';
import { skipTypeWrappers } from './origins.js';
import type { TypeInfo } from './type-info.js';
import { someNode, walk } from './walk.js';

/**
 * How often a call runs and what paces it: "is this call in a loop, a fan-out or a request
 * handler?", "does it run inside a limiter's callback, after a limiter's `acquire()`, or in a
 * loop that sleeps between iterations?".
 */

export type LoopStatement =
  | TSESTree.ForStatement
  | TSESTree.ForInStatement
  | TSESTree.ForOfStatement
  | TSESTree.WhileStatement
  | TSESTree.DoWhileStatement;

export type CallContext =
  | { readonly kind: 'loop'; readonly loop: LoopStatement }
  /** `items`: the collection an iteration callback runs over (`xs` of `xs.map(fn)`), when there is one. */
  | { readonly kind: 'fanOut'; readonly items?: TSESTree.Node; readonly call?: TSESTree.CallExpression }
  | { readonly kind: 'handler' }
  | { readonly kind: 'none' };

const PROMISE_COMBINATORS = new Set(['Promise.all', 'Promise.allSettled', 'Promise.any', 'Promise.race']);

/**
 * True when `Promise.all(argument)` starts several calls together: an array literal of two or
 * more elements. `Promise.race([call, timeout])` and `Promise.any` over a literal pick a
 * winner; they are not fan-outs. A mapped array is judged by its `.map` callback instead.
 */
function isFanOutCombinator(call: TSESTree.CallExpression, argument: TSESTree.Node): boolean {
  const text = calleeText(skipTypeWrappers(call.callee));
  if (text === undefined || !PROMISE_COMBINATORS.has(text)) return false;
  const list = skipTypeWrappers(argument);
  if (list.type !== AST_NODE_TYPES.ArrayExpression) return false;
  return (text === 'Promise.all' || text === 'Promise.allSettled') && list.elements.length >= 2;
}

function isLoop(node: TSESTree.Node): node is LoopStatement {
  return (
    node.type === AST_NODE_TYPES.ForStatement ||
    node.type === AST_NODE_TYPES.ForInStatement ||
    node.type === AST_NODE_TYPES.ForOfStatement ||
    node.type === AST_NODE_TYPES.WhileStatement ||
    node.type === AST_NODE_TYPES.DoWhileStatement
  );
}

function isArgumentOf(child: TSESTree.Node, parent: TSESTree.Node): parent is TSESTree.CallExpression | TSESTree.NewExpression {
  return (
    (parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression) &&
    parent.arguments.includes(child as TSESTree.CallExpressionArgument)
  );
}

/** True when `fn` is the per-element callback of `xs.map(fn)` and its relatives, or `Array.from(xs, fn)`. */
function isIterationCallback(fn: TSESTree.Node, call: TSESTree.CallExpression | TSESTree.NewExpression): boolean {
  if (call.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = skipTypeWrappers(call.callee);
  if (calleeText(callee) === 'Array.from') return call.arguments[1] === fn;
  return (
    callee.type === AST_NODE_TYPES.MemberExpression &&
    !callee.computed &&
    callee.property.type === AST_NODE_TYPES.Identifier &&
    ITERATION_METHODS.has(callee.property.name) &&
    call.arguments[0] === fn
  );
}

/** The collection `xs.map(fn)` or `Array.from(xs, fn)` runs over. */
function iteratedItems(call: TSESTree.CallExpression | TSESTree.NewExpression): TSESTree.Node | undefined {
  if (call.type !== AST_NODE_TYPES.CallExpression) return undefined;
  const callee = skipTypeWrappers(call.callee);
  if (calleeText(callee) === 'Array.from') return call.arguments[0];
  return callee.type === AST_NODE_TYPES.MemberExpression ? callee.object : undefined;
}

/**
 * Where `node` runs, seen from the code around it: in a loop's body, in a fan-out (a
 * `.map(…)` callback, an argument of `Promise.all`), or in a request handler. Callbacks are
 * looked through (they run where they are passed); a function declared on its own ends the
 * search, since its callers are elsewhere.
 */
export function callContext(node: TSESTree.Node): CallContext {
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent != null; child = parent, parent = parent.parent) {
    if (isLoop(parent) && parent.body === child) return { kind: 'loop', loop: parent };
    if (parent.type === AST_NODE_TYPES.CallExpression && isArgumentOf(child, parent) && isFanOutCombinator(parent, child)) {
      return { kind: 'fanOut' };
    }
    if (!isFunction(child)) continue;
    if (isArgumentOf(child, parent)) {
      if (isIterationCallback(child, parent)) {
        return parent.type === AST_NODE_TYPES.CallExpression
          ? { kind: 'fanOut', items: iteratedItems(parent), call: parent }
          : { kind: 'fanOut' };
      }
      if (isRequestHandler(child)) return { kind: 'handler' };
      continue;
    }
    return isRequestHandler(child) ? { kind: 'handler' } : { kind: 'none' };
  }
  return { kind: 'none' };
}

export interface LimiterLookup {
  readonly scope: Scope.Scope;
  readonly types: TypeInfo | undefined;
  /** Extra limiter names (the policy's `lint.limiters`, rule options). */
  readonly names: readonly string[];
}

/** True when `node` runs inside a callback given to a limiter (`limit(() => …)`, `queue.add(…)`, `limiter.schedule(…)`), or is passed to one. */
export function isInsideLimiter(node: TSESTree.Node, lookup: LimiterLookup): boolean {
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent != null; child = parent, parent = parent.parent) {
    if (
      parent.type === AST_NODE_TYPES.CallExpression &&
      isArgumentOf(child, parent) &&
      isLimitedCall(parent, lookup.scope, lookup.types, lookup.names)
    ) {
      return true;
    }
  }
  return false;
}

/** True when, in `node`'s own function, a statement before it waits on a limiter (`await limiter.acquire()`). */
export function isAfterLimiterWait(node: TSESTree.Node, lookup: LimiterLookup): boolean {
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent != null; child = parent, parent = parent.parent) {
    if (isFunction(parent)) return false;
    let statements: readonly TSESTree.Node[] | undefined;
    if (
      parent.type === AST_NODE_TYPES.BlockStatement ||
      parent.type === AST_NODE_TYPES.Program ||
      parent.type === AST_NODE_TYPES.StaticBlock
    ) {
      statements = parent.body;
    } else if (parent.type === AST_NODE_TYPES.SwitchCase) {
      statements = parent.consequent;
    }
    if (statements === undefined) continue;
    const index = statements.indexOf(child);
    for (const statement of statements.slice(0, Math.max(index, 0))) {
      if (isLimiterWait(statement, lookup.scope, lookup.types, lookup.names)) return true;
    }
  }
  return false;
}

/** True when an awaited expression pauses: `sleep(ms)`, `setTimeout(ms)` from timers/promises, `new Promise((r) => setTimeout(r, ms))`. */
function isPause(expression: TSESTree.Node, scope: Scope.Scope, visitorKeys: SourceCode.VisitorKeys): boolean {
  const bare = skipTypeWrappers(expression);
  if (bare.type === AST_NODE_TYPES.NewExpression) {
    const executor = bare.arguments[0];
    return (
      bare.callee.type === AST_NODE_TYPES.Identifier &&
      bare.callee.name === 'Promise' &&
      executor !== undefined &&
      isFunction(executor) &&
      someNode(executor, visitorKeys, (inner) => inner.type === AST_NODE_TYPES.CallExpression && calleeText(inner.callee) === 'setTimeout')
    );
  }
  if (bare.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = skipTypeWrappers(bare.callee);
  if (isPacingHelper(callee, scope, visitorKeys)) return true;
  const binding = resolveImport(callee, scope);
  if (binding?.module === 'timers/promises') return binding.imported === 'setTimeout' || binding.imported === 'scheduler';
  const text = calleeText(callee);
  if (text === undefined) return false;
  const last = text.slice(text.lastIndexOf('.') + 1);
  return PAUSE_NAME.test(last) || text === 'scheduler.wait';
}

/**
 * True when a loop paces itself: its body awaits a pause (`await sleep(1_000)`, a
 * `setTimeout` promise) or waits on a limiter, so iterations cannot outrun a rate limit.
 */
export function isPacedLoop(loop: LoopStatement, lookup: LimiterLookup, visitorKeys: SourceCode.VisitorKeys): boolean {
  return someNode(loop, visitorKeys, (inner) => {
    if (inner.type === AST_NODE_TYPES.AwaitExpression)
      return isPause(inner.argument, lookup.scope, visitorKeys) || isAwaitedLimiter(inner.argument, lookup);
    if (inner.type === AST_NODE_TYPES.ExpressionStatement || inner.type === AST_NODE_TYPES.VariableDeclaration) {
      return isLimiterWait(inner, lookup.scope, lookup.types, lookup.names);
    }
    return false;
  });
}

/**
 * True when `node`, in the body of `loop`, is followed in its block (or a block around it,
 * up to the loop's body) by a statement that always leaves the loop: `throw`, `return`, or a
 * `break` of this loop. Such a call runs at most once per run of the loop (cancel the run and
 * give up, log the failure and stop), whatever the loop iterates over.
 */
export function leavesLoopAfter(node: TSESTree.Node, loop: LoopStatement): boolean {
  let inSwitch = false;
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent != null && child !== loop.body; child = parent, parent = parent.parent) {
    // A function in between runs where it is passed: its `return` does not leave the loop.
    if (isFunction(parent)) return false;
    if (parent.type === AST_NODE_TYPES.SwitchCase) inSwitch = true;
    const statements =
      parent.type === AST_NODE_TYPES.BlockStatement
        ? parent.body
        : parent.type === AST_NODE_TYPES.SwitchCase
          ? parent.consequent
          : undefined;
    if (statements === undefined) continue;
    const later = statements.slice(statements.indexOf(child as TSESTree.Statement) + 1);
    const exits = later.some(
      (statement) =>
        statement.type === AST_NODE_TYPES.ThrowStatement ||
        statement.type === AST_NODE_TYPES.ReturnStatement ||
        (statement.type === AST_NODE_TYPES.BreakStatement && (statement.label == null ? !inSwitch : isLabelOf(statement.label, loop))),
    );
    if (exits) return true;
  }
  return false;
}

function isLabelOf(label: TSESTree.Identifier, loop: LoopStatement): boolean {
  return loop.parent?.type === AST_NODE_TYPES.LabeledStatement && loop.parent.label.name === label.name;
}

/**
 * True when `node` runs in `loop` only under a guard that spends a budget set to a constant
 * before the loop: `while (attempt < 3) { attempt++; … }`, `if (retries > 0) { retries -= 1; … }`
 * (else give up). Every write of the counter after its declaration moves it one way, towards
 * the guard's end, so the guarded call runs a constant number of times per run of the loop.
 * `bound` reads a constant (`3`, `MAX_RETRIES`).
 */
export function isUnderRetryBudget(
  node: TSESTree.Node,
  loop: LoopStatement,
  scopeOf: (node: TSESTree.Node) => Scope.Scope,
  bound: (node: TSESTree.Node) => number | undefined,
): boolean {
  const guards: TSESTree.Expression[] = [];
  if ((loop.type === AST_NODE_TYPES.WhileStatement || loop.type === AST_NODE_TYPES.DoWhileStatement) && loop.test != null)
    guards.push(loop.test);
  if (loop.type === AST_NODE_TYPES.ForStatement && loop.test != null) guards.push(loop.test);
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent != null && child !== loop; child = parent, parent = parent.parent) {
    if (isFunction(parent)) return false;
    if (parent.type === AST_NODE_TYPES.IfStatement && parent.consequent === child) guards.push(parent.test);
  }
  return guards.some((guard) => conjuncts(guard).some((test) => isBudgetTest(test, loop, scopeOf, bound)));
}

function conjuncts(expression: TSESTree.Expression): TSESTree.Expression[] {
  return expression.type === AST_NODE_TYPES.LogicalExpression && expression.operator === '&&'
    ? [...conjuncts(expression.left), ...conjuncts(expression.right)]
    : [expression];
}

function isBudgetTest(
  test: TSESTree.Expression,
  loop: LoopStatement,
  scopeOf: (node: TSESTree.Node) => Scope.Scope,
  bound: (node: TSESTree.Node) => number | undefined,
): boolean {
  if (test.type !== AST_NODE_TYPES.BinaryExpression) return false;
  // `counter op limit`, or `limit op counter` read the other way round.
  const flipped: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
  const sides =
    unwrapUpdate(test.left).type === AST_NODE_TYPES.Identifier
      ? { counter: unwrapUpdate(test.left), limit: test.right, operator: test.operator }
      : { counter: unwrapUpdate(test.right), limit: test.left, operator: flipped[test.operator] ?? '' };
  if (sides.counter.type !== AST_NODE_TYPES.Identifier || sides.limit.type === AST_NODE_TYPES.PrivateIdentifier) return false;
  const direction = sides.operator === '<' || sides.operator === '<=' ? 1 : sides.operator === '>' || sides.operator === '>=' ? -1 : 0;
  if (direction === 0 || bound(sides.limit) === undefined) return false;
  const variable = ASTUtils.findVariable(scopeOf(sides.counter), sides.counter.name);
  const declarator = variable?.defs[0]?.node;
  if (variable == null || variable.defs.length !== 1 || declarator?.type !== AST_NODE_TYPES.VariableDeclarator) return false;
  // Set to a constant before the loop, and not inside it (that would refill the budget).
  if (declarator.init == null || bound(declarator.init) === undefined || within(declarator, loop)) return false;
  return variable.references.every((reference) => {
    if (!reference.isWrite() || reference.init === true) return true;
    const write = reference.identifier.parent;
    return write !== undefined && within(write, loop) && stepsToward(write, direction);
  });
}

function unwrapUpdate(node: TSESTree.Node): TSESTree.Node {
  return node.type === AST_NODE_TYPES.UpdateExpression ? node.argument : node;
}

function within(node: TSESTree.Node, outer: TSESTree.Node): boolean {
  return node.range[0] >= outer.range[0] && node.range[1] <= outer.range[1];
}

/** `n++` / `n += 1` for a budget counted up (direction 1), `n--` / `n -= 1` for one counted down. */
function stepsToward(write: TSESTree.Node, direction: number): boolean {
  if (write.type === AST_NODE_TYPES.UpdateExpression) return (write.operator === '++') === (direction === 1);
  if (write.type !== AST_NODE_TYPES.AssignmentExpression) return false;
  const step = write.right.type === AST_NODE_TYPES.Literal && typeof write.right.value === 'number' && write.right.value > 0;
  return step && write.operator === (direction === 1 ? '+=' : '-=');
}

/**
 * True when a same-file function paces each call of it: it returns a promise that polls on a
 * `setInterval`, or that a `setTimeout` resolves (`new Promise((resolve) => setTimeout(resolve, ms))`
 * inside, or a poll loop). A loop that awaits it waits at least that long between iterations.
 */
function isPacingHelper(callee: TSESTree.Node, scope: Scope.Scope, visitorKeys: SourceCode.VisitorKeys): boolean {
  if (callee.type !== AST_NODE_TYPES.Identifier) return false;
  const definition = ASTUtils.findVariable(scope, callee.name)?.defs[0]?.node;
  const fn =
    definition?.type === AST_NODE_TYPES.FunctionDeclaration
      ? definition
      : definition?.type === AST_NODE_TYPES.VariableDeclarator && definition.init != null && isFunction(definition.init)
        ? definition.init
        : undefined;
  if (fn === undefined) return false;
  // The executor and the timer's callback are functions of their own: look into them.
  const found = (root: TSESTree.Node, test: (node: TSESTree.Node) => boolean): boolean => {
    let hit = false;
    walk(
      root,
      visitorKeys,
      (node) => {
        if (!hit && test(node)) hit = true;
        return !hit;
      },
      true,
    );
    return hit;
  };
  return found(fn, (inner) => {
    if (inner.type !== AST_NODE_TYPES.NewExpression || inner.callee.type !== AST_NODE_TYPES.Identifier || inner.callee.name !== 'Promise')
      return false;
    const executor = inner.arguments[0];
    if (executor === undefined || !isFunction(executor)) return false;
    const resolve = executor.params[0]?.type === AST_NODE_TYPES.Identifier ? executor.params[0].name : undefined;
    return found(executor, (timer) => {
      if (timer.type !== AST_NODE_TYPES.CallExpression) return false;
      const name = calleeText(timer.callee);
      if (name === 'setInterval') return true;
      const first = timer.arguments[0];
      return name === 'setTimeout' && first?.type === AST_NODE_TYPES.Identifier && first.name === resolve;
    });
  });
}

function isAwaitedLimiter(expression: TSESTree.Node, lookup: LimiterLookup): boolean {
  const bare = skipTypeWrappers(expression);
  return bare.type === AST_NODE_TYPES.CallExpression && isLimitedCall(bare, lookup.scope, lookup.types, lookup.names);
}
