import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import { PER_NODE_METHODS } from '@bounded/policy';
import { Bounds, type Bound } from './bounds.js';
import { guardedSize } from './size-guards.js';
import { calleeText, isFunction } from './functions.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import type { TypeInfo } from './type-info.js';

/** Small syntax questions about fan-outs (`Promise.all(xs.map(fn))`) and the loops around them. */

/** The property a member expression names: `push` in `tasks.push`; undefined when computed. */
export function methodName(node: TSESTree.Node): string | undefined {
  let callee = skipTypeWrappers(node);
  if (callee.type === AST_NODE_TYPES.ChainExpression) callee = callee.expression;
  return callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier
    ? callee.property.name
    : undefined;
}

/** True when `call`'s result is awaited (directly or after `.then`/`.catch`), so the next loop turn waits for it. */
export function isAwaited(call: TSESTree.Node): boolean {
  let current = call;
  for (;;) {
    const parent = current.parent;
    if (parent === undefined) return false;
    if (parent.type === AST_NODE_TYPES.AwaitExpression || parent.type === AST_NODE_TYPES.YieldExpression) return true;
    const chained =
      (parent.type === AST_NODE_TYPES.MemberExpression && parent.object === current) ||
      (parent.type === AST_NODE_TYPES.CallExpression && parent.callee === current) ||
      parent.type === AST_NODE_TYPES.TSAsExpression ||
      parent.type === AST_NODE_TYPES.TSNonNullExpression ||
      parent.type === AST_NODE_TYPES.ChainExpression;
    if (!chained) return false;
    current = parent;
  }
}

/** True when `call`'s result is returned from its function: the caller waits for it, and a loop around it ends. */
function isReturned(call: TSESTree.Node): boolean {
  let current = call;
  while (current.parent?.type === AST_NODE_TYPES.TSAsExpression || current.parent?.type === AST_NODE_TYPES.ChainExpression)
    current = current.parent;
  return current.parent?.type === AST_NODE_TYPES.ReturnStatement;
}

const LOOPS = new Set<string>([
  AST_NODE_TYPES.ForStatement,
  AST_NODE_TYPES.ForOfStatement,
  AST_NODE_TYPES.ForInStatement,
  AST_NODE_TYPES.WhileStatement,
  AST_NODE_TYPES.DoWhileStatement,
]);

/** True when `node` runs once per turn of a statement loop in its own function, and nothing waits for it there: turns pile up. */
export function piledUpInLoop(node: TSESTree.Node): boolean {
  if (isAwaited(node) || isReturned(node)) return false;
  for (let current = node.parent; current != null && !isFunction(current); current = current.parent) {
    if (LOOPS.has(current.type)) return true;
  }
  return false;
}

/** False when `mapper` only collects promises that exist already (`(job) => job.done`). */
export function startsWork(mapper: TSESTree.Node): boolean {
  const fn = skipTypeWrappers(mapper);
  if (fn.type !== AST_NODE_TYPES.ArrowFunctionExpression || fn.body.type === AST_NODE_TYPES.BlockStatement) return true;
  let body = skipTypeWrappers(fn.body);
  if (body.type === AST_NODE_TYPES.ChainExpression) body = body.expression;
  return body.type !== AST_NODE_TYPES.Identifier && body.type !== AST_NODE_TYPES.MemberExpression && body.type !== AST_NODE_TYPES.Literal;
}

/** Helpers that split a collection into batches of a given size. */
const CHUNK_HELPERS = /^(?:chunk|chunks|chunked|chunkArray|toChunks|inChunks|batch|batches|batched|inBatches|splitEvery|partition)$/;
/** Names of lists of batches (`chunks`, `userBatches`) and of one batch (`chunk`, `page`). */
const CHUNK_LIST_NAME = /(?:chunks|batches|pages)$/i;
const CHUNK_NAME = /(?:chunk|batch|page)$/i;
/** Collections sized by the infrastructure, not by input: cluster nodes, shards, CPUs. */
const INFRASTRUCTURE_NAME = /(?:^|[a-z_])(?:shards|nodes|cpus|partitions)$/i;
/** Array methods whose result has at most as many elements as the array they are called on. */
const NOT_LARGER = new Set(['filter', 'map', 'sort', 'toSorted', 'reverse', 'toReversed', 'fill', 'keys', 'values', 'entries']);
const ITERATING_METHODS = new Set(['forEach', 'map', 'flatMap', 'filter', 'reduce', 'some', 'every']);
/** Query options and builder calls that cap how many rows come back: `findAll({ limit })`, `.limit(n)`, Prisma's `take`. */
const ROW_LIMITS = new Set(['limit', 'take', 'first', 'last', 'pageSize', 'perPage']);
/** Lists an object is configured with by code, as many as the code registers: `this.handlers`, `manager.listeners`. */
export const CONFIGURED_LIST = /(?:handlers|listeners|plugins|middlewares|interceptors|observers)$/i;
/** Helpers that return one page of results: `paginate(…)`, `paginateQuery(ctx, find, count)`. */
const PAGINATING = /paginat/i;
/** Methods that hand their callback one batch at a time: `findAllInBatches`, `eachBatch`, `forEachPage`. */
const BATCHING_METHOD = /batch|chunk|page/i;

/** How many items a collection holds, as far as the code shows: a literal or tuple (fixed), a count (`slice(0, 5)`, a chunk of 10), or unbounded. */
export type Size =
  | { readonly kind: 'fixed' }
  | { readonly kind: 'count'; readonly count: number | 'named' }
  | { readonly kind: 'unbounded' };

/** The loop around a `push`: what it iterates (for messages), whether its turns are few, and the limit of an index loop. */
export interface Loop {
  readonly items: TSESTree.Node | undefined;
  readonly bounded: boolean;
  /** `W` in `for (let i = 0; i < W; i++)`. */
  readonly limit?: TSESTree.Node;
}

export interface CollectionSizes {
  /** The size of `node`; `lenientLength` reads `{ length: W }` as a chosen bound whatever W's name (worker pools). */
  readonly sizeOf: (node: TSESTree.Node, lenientLength?: boolean) => Size;
  /** True for a count within the concurrency, or a bound the code does not show. */
  readonly within: (value: number | 'named') => boolean;
  /** `tasks.push(…)` calls inside a loop, for the array `variable` holds. */
  readonly loopPushes: (variable: Scope.Variable) => { call: TSESTree.CallExpression; loop: Loop }[];
  readonly bounds: Bounds;
}

const FIXED: Size = { kind: 'fixed' };
const UNBOUNDED_SIZE: Size = { kind: 'unbounded' };
const counted = (bound: Bound): Size => (bound === undefined ? UNBOUNDED_SIZE : { kind: 'count', count: bound });
const NAMED: Size = { kind: 'count', count: 'named' };

/** The larger of two sizes (`xs ?? []`), or their sum (`[...a, ...b]`). */
function combine(a: Size, b: Size, add: boolean): Size {
  if (a.kind === 'unbounded' || b.kind === 'unbounded') return UNBOUNDED_SIZE;
  if (a.kind === 'fixed') return b;
  if (b.kind === 'fixed') return a;
  if (typeof a.count === 'number' && typeof b.count === 'number')
    return { kind: 'count', count: add ? a.count + b.count : Math.max(a.count, b.count) };
  return NAMED;
}

/** Sizes of collections in one file, judged against `concurrency`. */
// eslint-disable-next-line max-lines-per-function -- mutually recursive sizers (sizeOf, sizeOfName, sizeOfCall) closed over one file's scope, bounds and visiting set
export function collectionSizes(sourceCode: Readonly<SourceCode>, concurrency: number, types: TypeInfo | undefined): CollectionSizes {
  const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);
  const bounds = new Bounds(scopeOf);
  const visiting = new Set<Scope.Variable>();
  const within = (value: number | 'named'): boolean => value === 'named' || value <= concurrency;

  /** `xs.slice(0, k)` (any k the code does not trace to Infinity or input), `xs.slice(-k)`, `xs.slice(i, i + k)`, `queue.splice(0, k)`. */
  function sliceSize(call: TSESTree.CallExpression, method: string): Size | undefined {
    const [start, end] = call.arguments;
    if (start === undefined) return undefined;
    if (method === 'slice' && end === undefined) {
      if (start.type === AST_NODE_TYPES.UnaryExpression && start.operator === '-') return counted(bounds.bound(start.argument, true));
      return undefined;
    }
    if (end === undefined) return undefined;
    if (method === 'splice') return counted(bounds.bound(end, true));
    const first = bounds.bound(start, false);
    if (
      end.type === AST_NODE_TYPES.BinaryExpression &&
      end.operator === '+' &&
      sourceCode.getText(end.left) === sourceCode.getText(start)
    ) {
      return counted(bounds.bound(end.right, true));
    }
    const last = bounds.bound(end, true);
    if (last === undefined) return UNBOUNDED_SIZE;
    return { kind: 'count', count: typeof first === 'number' && typeof last === 'number' ? Math.max(0, last - first) : last };
  }

  /** The size of each batch a chunk helper makes: `chunk(xs, 10)`, `_.chunk(rows, size)`, `splitEvery(10, xs)`. */
  function chunkHelperSize(call: TSESTree.CallExpression): Size | undefined {
    const name = calleeText(call.callee);
    if (name === undefined || !CHUNK_HELPERS.test(name.slice(name.lastIndexOf('.') + 1)) || call.arguments.length < 2) return undefined;
    const args = call.arguments.filter((argument) => argument.type !== AST_NODE_TYPES.SpreadElement);
    const literal = args.find((argument) => typeof bounds.bound(argument, false) === 'number');
    return counted(bounds.bound(literal ?? args.at(-1)!, true));
  }

  /** The size of each batch in a list of batches: made by a chunk helper, or named like one (`chunks`, `userBatches`). */
  function chunkListSize(node: TSESTree.Node, depth = 0): Size | undefined {
    const bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.CallExpression) return chunkHelperSize(bare);
    if (depth > 3 || (bare.type !== AST_NODE_TYPES.Identifier && bare.type !== AST_NODE_TYPES.MemberExpression)) return undefined;
    const origin = valueOrigin(bare, scopeOf(bare));
    if (origin !== undefined && origin !== bare) {
      const made = chunkListSize(origin, depth + 1);
      if (made !== undefined) return made;
    }
    const name = calleeText(bare);
    return name !== undefined && CHUNK_LIST_NAME.test(name) ? NAMED : undefined;
  }

  /** `batch` in `for (const batch of chunks(xs, 10))`, or in a loop over a list of batches. */
  function loopElementSize(id: TSESTree.Identifier): Size | undefined {
    const definition = ASTUtils.findVariable(scopeOf(id), id.name)?.defs[0];
    if (definition?.type !== DefinitionType.Variable) return undefined;
    const loop = definition.parent?.parent;
    if (loop?.type !== AST_NODE_TYPES.ForOfStatement || loop.left !== definition.parent) return undefined;
    return chunkListSize(loop.right) ?? (CHUNK_NAME.test(id.name) ? NAMED : undefined);
  }

  /** Collections one per machine resource: `os.cpus()`, `redis.nodes('master')`, `cluster.workers`, `this.shards`. */
  function infrastructureSize(node: TSESTree.Node): Size | undefined {
    const bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.CallExpression) {
      const name = calleeText(bare.callee) ?? '';
      if (/(?:^|\.)cpus$/.test(name)) return NAMED;
      const method = methodName(bare.callee);
      if (method !== undefined && PER_NODE_METHODS.includes(method)) return NAMED;
      return undefined;
    }
    const text = calleeText(bare);
    if (text === undefined) return undefined;
    return INFRASTRUCTURE_NAME.test(text) || /(?:^|\.)cluster\.workers$/.test(text) ? NAMED : undefined;
  }

  /** `Model.findAll({ where, limit: 25 })`, `db('users').where(…).limit(10)`: at most that many rows. */
  function rowLimit(call: TSESTree.CallExpression): Size | undefined {
    for (let current: TSESTree.Node = call; current.type === AST_NODE_TYPES.CallExpression; ) {
      const method = methodName(current.callee);
      if (method !== undefined && ROW_LIMITS.has(method) && current.arguments[0] !== undefined)
        return counted(bounds.bound(current.arguments[0], true));
      for (const argument of current.arguments) {
        if (argument.type !== AST_NODE_TYPES.ObjectExpression) continue;
        const limit = argument.properties.find(
          (property): property is TSESTree.Property =>
            property.type === AST_NODE_TYPES.Property &&
            !property.computed &&
            property.key.type === AST_NODE_TYPES.Identifier &&
            ROW_LIMITS.has(property.key.name),
        );
        if (limit !== undefined) return counted(bounds.bound(limit.value, true));
      }
      if (current.callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
      current = skipTypeWrappers(current.callee.object);
    }
    return undefined;
  }

  /** `results` in `Model.findAllInBatches(query, async (results) => …)`: one batch. */
  function batchParameterSize(id: TSESTree.Identifier): Size | undefined {
    const definition = ASTUtils.findVariable(scopeOf(id), id.name)?.defs[0];
    if (definition?.type !== DefinitionType.Parameter || !isFunction(definition.node)) return undefined;
    const fn = definition.node as TSESTree.Node;
    const call = fn.parent;
    if (call?.type !== AST_NODE_TYPES.CallExpression || !call.arguments.includes(fn as TSESTree.CallExpressionArgument)) return undefined;
    const name = methodName(call.callee) ?? calleeText(call.callee) ?? '';
    return BATCHING_METHOD.test(name) && (fn as { params: TSESTree.Node[] }).params[0] === definition.name ? NAMED : undefined;
  }

  function sizeOfCall(call: TSESTree.CallExpression, lenientLength: boolean, depth: number): Size {
    const method = methodName(call.callee);
    const limited = rowLimit(call);
    if (limited !== undefined) return limited;
    if (method === 'slice' || method === 'splice') return sliceSize(call, method) ?? UNBOUNDED_SIZE;
    const infrastructure = infrastructureSize(call);
    if (infrastructure !== undefined) return infrastructure;
    const name = calleeText(call.callee);
    const [first] = call.arguments;
    if (first !== undefined && first.type !== AST_NODE_TYPES.SpreadElement && depth < 6) {
      // Array(n), Array.from(xs), Object.values(cluster.workers)
      if (name === 'Array' && call.arguments.length === 1) return counted(bounds.bound(first, lenientLength));
      if (name === 'Array.from' || name === 'Object.values' || name === 'Object.keys' || name === 'Object.entries')
        return sizeOf(first, lenientLength, depth + 1);
    }
    const object = call.callee.type === AST_NODE_TYPES.MemberExpression ? call.callee.object : undefined;
    if (method !== undefined && NOT_LARGER.has(method) && object !== undefined && depth < 6)
      return sizeOf(object, lenientLength, depth + 1);
    return UNBOUNDED_SIZE;
  }

  /**
   * A name bound by destructuring: `rows` of `const [rows, total] = await Promise.all([findAll({ limit }), count()])`
   * is as large as its element; `results` of `const { results } = await paginate(…)` or of a call
   * asked for a limited number of rows (`search({ query, limit })`) is one page.
   */
  function destructuredSize(id: TSESTree.Identifier, depth: number): Size | undefined {
    const variable = ASTUtils.findVariable(scopeOf(id), id.name);
    const definition = variable?.defs[0];
    if (definition?.type !== DefinitionType.Variable || variable!.defs.length !== 1 || definition.node.init === null) return undefined;
    const pattern = definition.node.id;
    let init = skipTypeWrappers(definition.node.init);
    if (init.type === AST_NODE_TYPES.AwaitExpression) init = skipTypeWrappers(init.argument);
    if (init.type !== AST_NODE_TYPES.CallExpression) return undefined;
    // `const { results } = await search({ query, limit: 25 })`: the page a query asked for.
    if (pattern.type === AST_NODE_TYPES.ObjectPattern) return PAGINATING.test(calleeText(init.callee) ?? '') ? NAMED : rowLimit(init);
    if (pattern.type !== AST_NODE_TYPES.ArrayPattern || calleeText(init.callee) !== 'Promise.all') return undefined;
    const index = pattern.elements.findIndex(
      (element) => element === definition.name || (element?.type === AST_NODE_TYPES.AssignmentPattern && element.left === definition.name),
    );
    const list = init.arguments[0] === undefined ? undefined : skipTypeWrappers(init.arguments[0]);
    const element = index < 0 || list?.type !== AST_NODE_TYPES.ArrayExpression ? undefined : list.elements[index];
    return element == null || element.type === AST_NODE_TYPES.SpreadElement ? undefined : sizeOf(element, false, depth + 1);
  }

  function sizeOfName(bare: TSESTree.Identifier | TSESTree.MemberExpression, depth: number): Size {
    const guarded = guardedSize(bare, sourceCode, bounds);
    if (guarded !== undefined) return counted(guarded);
    if (
      bare.type === AST_NODE_TYPES.MemberExpression &&
      !bare.computed &&
      bare.property.type === AST_NODE_TYPES.Identifier &&
      CONFIGURED_LIST.test(bare.property.name)
    ) {
      return NAMED;
    }
    if (bare.type === AST_NODE_TYPES.Identifier) {
      const destructured = destructuredSize(bare, depth);
      if (destructured !== undefined) return destructured;
    }
    if (bare.type === AST_NODE_TYPES.MemberExpression && bare.computed) {
      // batches[i]: one batch of a list of batches.
      return chunkListSize(bare.object) ?? UNBOUNDED_SIZE;
    }
    if (bare.type === AST_NODE_TYPES.Identifier) {
      const element = loopElementSize(bare) ?? batchParameterSize(bare);
      if (element !== undefined) return element;
    }
    const origin = valueOrigin(bare, scopeOf(bare));
    if (origin === undefined || origin === bare) return infrastructureSize(bare) ?? UNBOUNDED_SIZE;
    // `private pending: Job[] = []`: a field any method may push to.
    if (bare.type === AST_NODE_TYPES.MemberExpression && skipTypeWrappers(origin).type === AST_NODE_TYPES.ArrayExpression)
      return UNBOUNDED_SIZE;
    if (bare.type === AST_NODE_TYPES.Identifier) {
      const variable = ASTUtils.findVariable(scopeOf(bare), bare.name);
      if (variable !== null) {
        // `for (const x of xs) xs.push(…)` asks about xs again while answering for xs.
        if (visiting.has(variable)) return UNBOUNDED_SIZE;
        visiting.add(variable);
        try {
          if (loopPushes(variable).length > 0) return UNBOUNDED_SIZE;
        } finally {
          visiting.delete(variable);
        }
      }
    }
    return depth < 6 ? sizeOf(origin, false, depth + 1) : UNBOUNDED_SIZE;
  }

  function sizeOf(node: TSESTree.Node, lenientLength = false, depth = 0): Size {
    let bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.ChainExpression) bare = bare.expression;
    if (types?.isTuple(bare) === true) return FIXED;
    switch (bare.type) {
      case AST_NODE_TYPES.ArrayExpression:
        return bare.elements.reduce<Size>(
          (size, element) =>
            element?.type === AST_NODE_TYPES.SpreadElement ? combine(size, sizeOf(element.argument, lenientLength, depth + 1), true) : size,
          FIXED,
        );
      case AST_NODE_TYPES.AwaitExpression:
        return sizeOf(bare.argument, lenientLength, depth + 1);
      case AST_NODE_TYPES.LogicalExpression:
        return combine(sizeOf(bare.left, lenientLength, depth + 1), sizeOf(bare.right, lenientLength, depth + 1), false);
      // `exact ? [exact] : []`: as large as its larger branch.
      case AST_NODE_TYPES.ConditionalExpression:
        return combine(sizeOf(bare.consequent, lenientLength, depth + 1), sizeOf(bare.alternate, lenientLength, depth + 1), false);
      case AST_NODE_TYPES.ObjectExpression: {
        // Array.from({ length: n }, fn)
        const length = bare.properties.find(
          (property): property is TSESTree.Property =>
            property.type === AST_NODE_TYPES.Property &&
            !property.computed &&
            property.key.type === AST_NODE_TYPES.Identifier &&
            property.key.name === 'length',
        );
        return length === undefined ? UNBOUNDED_SIZE : counted(bounds.bound(length.value, lenientLength));
      }
      case AST_NODE_TYPES.NewExpression:
        return calleeText(bare.callee) === 'Array' && bare.arguments.length === 1
          ? counted(bounds.bound(bare.arguments[0]!, lenientLength))
          : UNBOUNDED_SIZE;
      case AST_NODE_TYPES.CallExpression:
        return sizeOfCall(bare, lenientLength, depth);
      case AST_NODE_TYPES.Identifier:
      case AST_NODE_TYPES.MemberExpression:
        return depth < 6 ? sizeOfName(bare, depth) : UNBOUNDED_SIZE;
      default:
        return UNBOUNDED_SIZE;
    }
  }

  /** The loop around `node` below `stop`: a statement loop or an iterating callback (`xs.forEach(…)`). */
  function loopAround(node: TSESTree.Node, stop: TSESTree.Node): Loop | undefined {
    const bounded = (size: Size): boolean => size.kind === 'fixed' || (size.kind === 'count' && within(size.count));
    for (let current = node.parent; current != null && current !== stop; current = current.parent) {
      if (LOOPS.has(current.type)) {
        if (current.type === AST_NODE_TYPES.ForOfStatement) return { items: current.right, bounded: bounded(sizeOf(current.right)) };
        if (current.type === AST_NODE_TYPES.ForStatement) {
          const test = current.test;
          if (test?.type === AST_NODE_TYPES.BinaryExpression && (test.operator === '<' || test.operator === '<=')) {
            const limit = bounds.bound(test.right, false);
            if (limit !== undefined && within(limit)) return { items: undefined, bounded: true };
            if (methodName(test.right) === 'length') return { items: (test.right as TSESTree.MemberExpression).object, bounded: false };
            return { items: undefined, bounded: false, limit: test.right };
          }
        }
        return { items: undefined, bounded: false };
      }
      if (isFunction(current)) {
        const call = current.parent;
        const method = call?.type === AST_NODE_TYPES.CallExpression && call.arguments[0] === current ? methodName(call.callee) : undefined;
        if (method === undefined || !ITERATING_METHODS.has(method)) return undefined;
        const items = (skipTypeWrappers((call as TSESTree.CallExpression).callee) as TSESTree.MemberExpression).object;
        return { items, bounded: bounded(sizeOf(items)) };
      }
    }
    return undefined;
  }

  /** `tasks.push(…)` calls inside a loop, for the array `variable` holds. */
  function loopPushes(variable: Scope.Variable): { call: TSESTree.CallExpression; loop: Loop }[] {
    const found: { call: TSESTree.CallExpression; loop: Loop }[] = [];
    for (const reference of variable.references) {
      const member = reference.identifier.parent;
      if (member?.type !== AST_NODE_TYPES.MemberExpression || member.object !== reference.identifier) continue;
      const method = methodName(member);
      const call = member.parent;
      if ((method !== 'push' && method !== 'unshift') || call?.type !== AST_NODE_TYPES.CallExpression || call.callee !== member) continue;
      const loop = loopAround(call, variable.scope.block);
      if (loop !== undefined) found.push({ call, loop });
    }
    return found;
  }

  return { sizeOf: (node, lenientLength) => sizeOf(node, lenientLength), within, loopPushes, bounds };
}
