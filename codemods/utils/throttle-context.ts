/**
 * Where a provider call runs, as `bounded/no-unthrottled-provider-call` judges it, for the
 * throttle-provider-calls transform: in a loop, a fan-out (`xs.map(fn)`, `Promise.all([…])`,
 * bounded's `mapBounded` family) or a request handler, and whether something already paces
 * it (a limiter's callback, an earlier `await limiter.acquire()`, a loop that sleeps). The
 * rule's import and type tracking is richer; this follows the same shapes on the jscodeshift
 * AST, so the transform rewrites the calls the rule reports and nothing else.
 */
import type { ASTPath } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import {
  BOUNDED_LIMITER_EXPORTS,
  BOUNDED_MAPPERS,
  BOUNDED_RUNTIME_MODULES,
  ITERATION_METHODS,
  LIMITER_NAME,
  LIMITER_PACKAGES,
  LIMITER_RUN_METHODS,
  LIMITER_WAIT_METHODS,
  PAUSE_NAME,
} from '@bounded/policy';
import { isFunctionNode, isRuntimeName, parentOf, unwrapExpression, type ImportBinding } from './throttle-clients.js';

type Node = K.NodeKind;

export type CallKind = 'loop' | 'fanOut' | 'boundedFanOut' | 'handler' | 'none';

export interface ContextLookup {
  readonly imports: ReadonlyMap<string, ImportBinding>;
  /** Extra limiter names: the policy's `lint.limiters`. */
  readonly limiters: readonly string[];
}

const LOOPS = new Set(['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement']);
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'use', 'head', 'options', 'route']);

/** Limiters, from the catalog (policy/catalog/limiters.ts), as the rule reads them. */
const RUN_METHODS = new Set(LIMITER_RUN_METHODS);
const WAIT_METHODS = new Set(LIMITER_WAIT_METHODS);
/** Packages whose exports build limiters (any export), and bounded's own limiter builders. */
const LIMITER_MODULES = new Set(
  LIMITER_PACKAGES.filter((entry) => !BOUNDED_RUNTIME_MODULES.includes(entry.module)).map((entry) => entry.module),
);
const RUNTIME_LIMITERS = BOUNDED_LIMITER_EXPORTS;

/** `a.b.c` for a plain member chain, `this.x` for members of this. */
export function calleeText(node: Node): string | undefined {
  const bare = unwrapExpression(node);
  if (bare.type === 'Identifier') return bare.name;
  if (bare.type === 'ThisExpression') return 'this';
  if (
    (bare.type === 'MemberExpression' || bare.type === 'OptionalMemberExpression') &&
    !bare.computed &&
    bare.property.type === 'Identifier'
  ) {
    const object = calleeText(bare.object);
    return object === undefined ? undefined : `${object}.${bare.property.name}`;
  }
  return undefined;
}

function isCall(node: Node): node is K.CallExpressionKind {
  return node.type === 'CallExpression' || node.type === 'OptionalCallExpression';
}

function isArgumentOf(child: Node, parent: Node): boolean {
  return (isCall(parent) || parent.type === 'NewExpression') && (parent.arguments as Node[]).includes(child);
}

function methodName(callee: Node): string | undefined {
  const bare = unwrapExpression(callee);
  return (bare.type === 'MemberExpression' || bare.type === 'OptionalMemberExpression') &&
    !bare.computed &&
    bare.property.type === 'Identifier'
    ? bare.property.name
    : undefined;
}

function isIterationCallback(fn: Node, call: Node): boolean {
  if (!isCall(call)) return false;
  if (calleeText(call.callee) === 'Array.from') return call.arguments[1] === fn;
  const method = methodName(call.callee);
  return method !== undefined && ITERATION_METHODS.has(method) && call.arguments[0] === fn;
}

function paramName(param: Node | undefined): string {
  return param?.type === 'Identifier' ? param.name : '';
}

/** A route handler, `createServer(fn)`, `server.on('request', fn)`, or `(req, res)`-shaped. */
function isRequestHandler(fn: Node, parent: Node | undefined): boolean {
  if (parent !== undefined && isCall(parent) && (parent.arguments as Node[]).includes(fn)) {
    const method = methodName(parent.callee);
    if (method !== undefined && ROUTE_METHODS.has(method) && parent.arguments.length >= 2) return true;
    if (method === 'createServer' || calleeText(parent.callee) === 'createServer') return true;
    const first = parent.arguments[0] as Node | undefined;
    if (method === 'on' && (first?.type === 'StringLiteral' || first?.type === 'Literal') && first.value === 'request') return true;
  }
  const params = (fn as { params?: Node[] }).params ?? [];
  const [first, second] = [paramName(params[0]), paramName(params[1])];
  return (
    (first === 'req' && (second === 'res' || second === 'reply')) ||
    (first === 'request' && (second === 'response' || second === 'reply' || second === 'h'))
  );
}

/** The `allBounded(list, …)` call that takes `list` as its thunks. */
function isAllBoundedThunks(list: ASTPath, lookup: ContextLookup): boolean {
  const call = parentOf(list)?.node as Node | undefined;
  return (
    call !== undefined && isCall(call) && call.arguments[0] === list.node && isRuntimeName(call.callee, lookup.imports, ['allBounded'])
  );
}

/**
 * True when `fn` runs once per item of a bounded helper: `mapBounded(xs, fn, …)` and its
 * relatives, a thunk in `allBounded([fn, …])`, or the thunk of `allBounded(xs.map((x) => fn))`.
 */
function isBoundedCallback(fn: ASTPath, lookup: ContextLookup): boolean {
  const parent = fn.parent as ASTPath | null;
  if (parent === null) return false;
  const node = parent.node as Node;
  if (isCall(node) && node.arguments[1] === fn.node && isRuntimeName(node.callee, lookup.imports, BOUNDED_MAPPERS)) return true;
  if (node.type === 'ArrayExpression') return isAllBoundedThunks(parent, lookup);
  let mapper: ASTPath | null = null;
  if (node.type === 'ArrowFunctionExpression' && node.body === fn.node) mapper = parent;
  if (node.type === 'ReturnStatement') {
    for (let up = parent.parent as ASTPath | null; up !== null && mapper === null; up = up.parent as ASTPath | null) {
      if (isFunctionNode(up.node as Node)) mapper = up;
    }
  }
  const map = mapper?.parent as ASTPath | null | undefined;
  const mapNode = map?.node as Node | undefined;
  if (map == null || mapNode === undefined || !isCall(mapNode) || mapNode.arguments[0] !== mapper!.node) return false;
  const method = methodName(mapNode.callee);
  return (method === 'map' || method === 'flatMap') && isAllBoundedThunks(map, lookup);
}

/** Where the call at `path` runs: the nearest loop, fan-out or request handler around it. */
export function callKind(path: ASTPath, lookup: ContextLookup): { kind: CallKind; loop?: ASTPath } {
  let child = path;
  for (let parent = path.parent as ASTPath | null; parent !== null; child = parent, parent = parent.parent as ASTPath | null) {
    const node = parent.node as Node;
    const inner = child.node as Node;
    if (LOOPS.has(node.type) && (node as { body?: Node }).body === inner) return { kind: 'loop', loop: parent };
    if (isCall(node) && inner.type === 'ArrayExpression' && isArgumentOf(inner, node)) {
      const combinator = calleeText(node.callee);
      if ((combinator === 'Promise.all' || combinator === 'Promise.allSettled') && inner.elements.length >= 2) return { kind: 'fanOut' };
    }
    if (!isFunctionNode(inner)) continue;
    if (isBoundedCallback(child, lookup)) return { kind: 'boundedFanOut' };
    if (isArgumentOf(inner, node)) {
      if (isIterationCallback(inner, node)) return { kind: 'fanOut' };
      if (isRequestHandler(inner, node)) return { kind: 'handler' };
      continue;
    }
    return { kind: isRequestHandler(inner, node) ? 'handler' : 'none' };
  }
  return { kind: 'none' };
}

/** True when `node` holds a limiter: named like one, listed, or built by a limiter package. */
function isLimiter(node: Node, path: ASTPath, lookup: ContextLookup): boolean {
  const text = calleeText(node);
  if (text === undefined) return false;
  const last = text.slice(text.lastIndexOf('.') + 1);
  if (lookup.limiters.includes(text) || lookup.limiters.includes(last) || LIMITER_NAME.test(last)) return true;
  const bare = unwrapExpression(node);
  if (bare.type !== 'Identifier') return false;
  const binding = lookup.imports.get(bare.name);
  if (binding !== undefined) return LIMITER_MODULES.has(binding.module) || isRuntimeName(bare, lookup.imports, RUNTIME_LIMITERS);
  // `const throttled = pThrottle(…)(fn)`, `const gate = new Bottleneck(…)`, `const slots = providerLimiter('openai')`.
  const scope = (path.scope as { lookup(name: string): { getBindings(): Record<string, ASTPath[]> } | null } | null)?.lookup(bare.name);
  const declared = scope?.getBindings()[bare.name]?.[0];
  const declarator = (declared === undefined ? undefined : parentOf(declared)?.node) as Node | undefined;
  if (declarator?.type !== 'VariableDeclarator' || declarator.init == null) return false;
  let init = unwrapExpression(declarator.init);
  if (init.type === 'AwaitExpression') init = unwrapExpression(init.argument as Node);
  while (isCall(init) || init.type === 'NewExpression') {
    const callee = unwrapExpression(init.callee);
    if (callee.type === 'Identifier') {
      const built = lookup.imports.get(callee.name);
      if (built !== undefined && (LIMITER_MODULES.has(built.module) || isRuntimeName(callee, lookup.imports, RUNTIME_LIMITERS)))
        return true;
    }
    const getter = methodName(callee);
    if (getter === 'limiter' || getter === 'semaphore' || getter === 'queue' || getter === 'rateLimiter') return true;
    init = callee;
  }
  return false;
}

/** True when `call` runs work through a limiter: `limit(fn)`, `limiter.schedule(fn)`, `queue.add(fn)`, a `.then` of one. */
function isLimitedCall(call: Node, path: ASTPath, lookup: ContextLookup): boolean {
  if (!isCall(call)) return false;
  const callee = unwrapExpression(call.callee);
  if (callee.type === 'Identifier') return isLimiter(callee, path, lookup);
  const text = calleeText(callee);
  if (text !== undefined && lookup.limiters.includes(text)) return true;
  const method = methodName(callee);
  if (method === undefined) return false;
  const object = unwrapExpression((callee as K.MemberExpressionKind).object);
  if (method === 'then' || method === 'catch' || method === 'finally') return isLimitedCall(object, path, lookup);
  if (lookup.limiters.includes(method)) return true;
  return RUN_METHODS.has(method) && isLimiter(object, path, lookup);
}

function isLimiterWait(statement: Node, path: ASTPath, lookup: ContextLookup): boolean {
  let expression: Node | null | undefined;
  if (statement.type === 'ExpressionStatement') expression = statement.expression;
  else if (statement.type === 'VariableDeclaration' && statement.declarations.length === 1)
    expression = (statement.declarations[0] as K.VariableDeclaratorKind).init;
  if (expression?.type !== 'AwaitExpression') return false;
  const call = unwrapExpression(expression.argument as Node);
  if (!isCall(call)) return false;
  const method = methodName(call.callee);
  if (method !== undefined && WAIT_METHODS.has(method))
    return isLimiter((unwrapExpression(call.callee) as K.MemberExpressionKind).object, path, lookup);
  const text = calleeText(call.callee);
  return text !== undefined && (lookup.limiters.includes(text) || lookup.limiters.includes(text.slice(text.lastIndexOf('.') + 1)));
}

/** True when the call at `path` runs inside a limiter's callback or is passed to one. */
export function isInsideLimiter(path: ASTPath, lookup: ContextLookup): boolean {
  let child = path;
  for (let parent = path.parent as ASTPath | null; parent !== null; child = parent, parent = parent.parent as ASTPath | null) {
    if (isArgumentOf(child.node as Node, parent.node as Node) && isLimitedCall(parent.node as Node, parent, lookup)) return true;
  }
  return false;
}

/** True when, in the call's own function, an earlier statement waits on a limiter (`await limiter.acquire()`). */
export function isAfterLimiterWait(path: ASTPath, lookup: ContextLookup): boolean {
  let child = path;
  for (let parent = path.parent as ASTPath | null; parent !== null; child = parent, parent = parent.parent as ASTPath | null) {
    const node = parent.node as Node;
    if (isFunctionNode(node)) return false;
    let statements: Node[] | undefined;
    if (node.type === 'BlockStatement' || node.type === 'Program' || node.type === 'StaticBlock') statements = node.body;
    else if (node.type === 'SwitchCase') statements = node.consequent;
    if (statements === undefined) continue;
    const index = statements.indexOf(child.node as Node);
    if (statements.slice(0, Math.max(index, 0)).some((statement) => isLimiterWait(statement, parent, lookup))) return true;
  }
  return false;
}

function isPause(expression: Node, lookup: ContextLookup): boolean {
  const bare = unwrapExpression(expression);
  if (bare.type === 'NewExpression') {
    const executor = bare.arguments[0] as Node | undefined;
    return (
      calleeText(bare.callee) === 'Promise' &&
      executor !== undefined &&
      isFunctionNode(executor) &&
      someNode(executor, (inner) => isCall(inner) && calleeText(inner.callee) === 'setTimeout')
    );
  }
  if (!isCall(bare)) return false;
  const callee = unwrapExpression(bare.callee);
  if (callee.type === 'Identifier') {
    const binding = lookup.imports.get(callee.name);
    if (binding?.module === 'timers/promises' || binding?.module === 'node:timers/promises')
      return binding.imported === 'setTimeout' || binding.imported === 'scheduler';
  }
  const text = calleeText(callee);
  if (text === undefined) return false;
  return PAUSE_NAME.test(text.slice(text.lastIndexOf('.') + 1)) || text === 'scheduler.wait';
}

const SKIPPED_KEYS = new Set(['loc', 'comments', 'leadingComments', 'trailingComments', 'innerComments', 'tokens', 'extra']);

/** True when `test` holds for `root` or any node below it. */
function someNode(root: unknown, test: (node: Node) => boolean): boolean {
  if (root === null || typeof root !== 'object') return false;
  if (Array.isArray(root)) return root.some((item) => someNode(item, test));
  const node = root as Node;
  if (typeof node.type !== 'string') return false;
  if (test(node)) return true;
  return Object.entries(node).some(([key, value]) => !SKIPPED_KEYS.has(key) && someNode(value, test));
}

/** True when a loop paces itself: its body awaits a pause or a limiter. */
export function isPacedLoop(loop: ASTPath, lookup: ContextLookup): boolean {
  return someNode((loop.node as { body?: Node }).body, (node) => {
    if (node.type === 'AwaitExpression') {
      const argument = node.argument as Node;
      return isPause(argument, lookup) || isLimitedCall(unwrapExpression(argument), loop, lookup);
    }
    return (node.type === 'ExpressionStatement' || node.type === 'VariableDeclaration') && isLimiterWait(node, loop, lookup);
  });
}
