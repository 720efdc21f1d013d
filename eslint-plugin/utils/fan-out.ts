import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import { calleeText, isFunction } from './functions.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import type { TypeInfo } from './type-info.js';

/** Small syntax questions about fan-outs (`Promise.all(xs.map(fn))`) and the loops around them. */

/** The property a member expression names: `push` in `tasks.push`; undefined when computed. */
export function methodName(node: TSESTree.Node): string | undefined {
  const callee = skipTypeWrappers(node);
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

/** False when `mapper` only collects promises that exist already (`(job) => job.done`). */
export function startsWork(mapper: TSESTree.Node): boolean {
  const fn = skipTypeWrappers(mapper);
  if (fn.type !== AST_NODE_TYPES.ArrowFunctionExpression || fn.body.type === AST_NODE_TYPES.BlockStatement) return true;
  let body = skipTypeWrappers(fn.body);
  if (body.type === AST_NODE_TYPES.ChainExpression) body = body.expression;
  return body.type !== AST_NODE_TYPES.Identifier && body.type !== AST_NODE_TYPES.MemberExpression && body.type !== AST_NODE_TYPES.Literal;
}

/** Helpers that split a collection into batches of a given size. */
const CHUNK_HELPERS = /^(?:chunk|chunks|chunked|chunkArray|toChunks|inChunks|batch|batches|batched|inBatches|splitEvery)$/;
/** Names that hold a concurrency or batch size (`concurrency`, `opts.maxWorkers`, `BATCH_SIZE`). */
const BOUND_NAME = /concurren|parallel|worker|limit|slots|size|batch|chunk|inflight/i;
const LOOPS = new Set<string>([
  AST_NODE_TYPES.ForStatement, AST_NODE_TYPES.ForOfStatement, AST_NODE_TYPES.ForInStatement,
  AST_NODE_TYPES.WhileStatement, AST_NODE_TYPES.DoWhileStatement,
]);
const ITERATING_METHODS = new Set(['forEach', 'map', 'flatMap', 'filter', 'reduce', 'some', 'every']);

/**
 * How many items a collection holds, as far as the code shows: a literal or tuple (fixed), a
 * count (`slice(0, 5)`, a chunk of 10; `perLoop` when it only bounds one turn of a loop that
 * must await it), or unbounded.
 */
export type Size =
  | { readonly kind: 'fixed' }
  | { readonly kind: 'count'; readonly count: number | 'named'; readonly perLoop: boolean }
  | { readonly kind: 'unbounded' };

/** The loop around a `push`: what it iterates (for messages) and whether its turns are few. */
export interface Loop {
  readonly items: TSESTree.Node | undefined;
  readonly bounded: boolean;
}

export interface CollectionSizes {
  readonly sizeOf: (node: TSESTree.Node) => Size;
  /** True for a count within the concurrency, or a name that holds a bound. */
  readonly within: (value: number | 'named') => boolean;
  /** `tasks.push(…)` calls inside a loop, for the array `variable` holds. */
  readonly loopPushes: (variable: Scope.Variable) => { call: TSESTree.CallExpression; loop: Loop }[];
}

const FIXED: Size = { kind: 'fixed' };
const UNBOUNDED_SIZE: Size = { kind: 'unbounded' };

/** Sizes of collections in one file, judged against `concurrency`. */
export function collectionSizes(sourceCode: Readonly<SourceCode>, concurrency: number, types: TypeInfo | undefined): CollectionSizes {
  const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);
  const visiting = new Set<Scope.Variable>();

  /** A literal count, a constant holding one, or a name that holds a bound ('named'). */
  function count(node: TSESTree.Node, depth = 0): number | 'named' | undefined {
    const bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.Literal) return typeof bare.value === 'number' ? bare.value : undefined;
    if (bare.type === AST_NODE_TYPES.Identifier) {
      const origin = valueOrigin(bare, scopeOf(bare));
      const value = origin !== undefined && origin !== bare && depth < 3 ? count(origin, depth + 1) : undefined;
      return typeof value === 'number' ? value : BOUND_NAME.test(bare.name) ? 'named' : undefined;
    }
    if (bare.type === AST_NODE_TYPES.MemberExpression) {
      const name = methodName(bare);
      return name !== undefined && name !== 'length' && BOUND_NAME.test(name) ? 'named' : undefined;
    }
    if (bare.type === AST_NODE_TYPES.CallExpression && calleeText(bare.callee) === 'Math.min') {
      const counts = bare.arguments.map((argument) => count(argument, depth + 1));
      const numbers = counts.filter((value): value is number => typeof value === 'number');
      if (numbers.length > 0) return Math.min(...numbers);
      return counts.includes('named') ? 'named' : undefined;
    }
    return undefined;
  }
  const within = (value: number | 'named'): boolean => value === 'named' || value <= concurrency;

  /** `xs.slice(0, k)`, `xs.slice(-k)`, `xs.slice(i, i + k)`, `queue.splice(0, k)`. */
  function sliceSize(call: TSESTree.CallExpression, method: string): Size | undefined {
    const [start, end] = call.arguments;
    if (start === undefined) return undefined;
    const first = count(start);
    if (method === 'slice' && end === undefined && start.type === AST_NODE_TYPES.UnaryExpression && start.operator === '-') {
      const last = count(start.argument);
      return last === undefined ? undefined : { kind: 'count', count: last, perLoop: false };
    }
    if (end === undefined) return undefined;
    if (method === 'splice') {
      const taken = count(end);
      return taken === undefined ? undefined : { kind: 'count', count: taken, perLoop: true };
    }
    const last = count(end);
    if (typeof first === 'number' && last !== undefined) {
      return { kind: 'count', count: last === 'named' ? last : Math.max(0, last - first), perLoop: false };
    }
    if (end.type === AST_NODE_TYPES.BinaryExpression && end.operator === '+' && sourceCode.getText(end.left) === sourceCode.getText(start)) {
      const step = count(end.right);
      return step === undefined ? undefined : { kind: 'count', count: step, perLoop: true };
    }
    return undefined;
  }

  /** `chunk` in `for (const chunk of chunks(xs, 10))`: a batch of the helper's size. */
  function chunkSize(id: TSESTree.Identifier): Size | undefined {
    const definition = ASTUtils.findVariable(scopeOf(id), id.name)?.defs[0];
    if (definition?.type !== DefinitionType.Variable) return undefined;
    const loop = definition.parent?.parent;
    if (loop?.type !== AST_NODE_TYPES.ForOfStatement || loop.left !== definition.parent) return undefined;
    const source = skipTypeWrappers(loop.right);
    if (source.type !== AST_NODE_TYPES.CallExpression) return undefined;
    const name = calleeText(source.callee);
    if (name === undefined || !CHUNK_HELPERS.test(name.slice(name.lastIndexOf('.') + 1))) return undefined;
    const sizes = source.arguments.map((argument) => count(argument)).filter((value) => value !== undefined);
    return sizes.length === 1 ? { kind: 'count', count: sizes[0]!, perLoop: true } : undefined;
  }

  function sizeOf(node: TSESTree.Node, depth = 0): Size {
    const bare = skipTypeWrappers(node);
    if (types?.isTuple(bare) === true) return FIXED;
    if (bare.type === AST_NODE_TYPES.ArrayExpression) {
      return bare.elements.some((element) => element?.type === AST_NODE_TYPES.SpreadElement) ? UNBOUNDED_SIZE : FIXED;
    }
    if (bare.type === AST_NODE_TYPES.ObjectExpression) {
      // Array.from({ length: n }, fn)
      const length = bare.properties.find(
        (property): property is TSESTree.Property =>
          property.type === AST_NODE_TYPES.Property && !property.computed && property.key.type === AST_NODE_TYPES.Identifier && property.key.name === 'length',
      );
      const value = length === undefined ? undefined : count(length.value);
      return value === undefined ? UNBOUNDED_SIZE : { kind: 'count', count: value, perLoop: false };
    }
    if (bare.type === AST_NODE_TYPES.CallExpression) {
      const method = methodName(bare.callee);
      return (method === 'slice' || method === 'splice' ? sliceSize(bare, method) : undefined) ?? UNBOUNDED_SIZE;
    }
    if (bare.type === AST_NODE_TYPES.Identifier && depth < 4) {
      const chunk = chunkSize(bare);
      if (chunk !== undefined) return chunk;
      const origin = valueOrigin(bare, scopeOf(bare));
      if (origin === undefined || origin === bare) return UNBOUNDED_SIZE;
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
      return sizeOf(origin, depth + 1);
    }
    return UNBOUNDED_SIZE;
  }

  interface Loop {
    readonly items: TSESTree.Node | undefined;
    readonly bounded: boolean;
  }

  /** The loop around `node` below `stop`: a statement loop or an iterating callback (`xs.forEach(…)`). */
  function loopAround(node: TSESTree.Node, stop: TSESTree.Node): Loop | undefined {
    for (let current = node.parent; current !== undefined && current !== stop; current = current.parent) {
      if (LOOPS.has(current.type)) {
        if (current.type === AST_NODE_TYPES.ForOfStatement) {
          const size = sizeOf(current.right);
          return { items: current.right, bounded: size.kind === 'fixed' || (size.kind === 'count' && within(size.count)) };
        }
        if (current.type === AST_NODE_TYPES.ForStatement) {
          const test = current.test;
          if (test?.type === AST_NODE_TYPES.BinaryExpression && (test.operator === '<' || test.operator === '<=')) {
            const limit = count(test.right);
            if (limit !== undefined && within(limit)) return { items: undefined, bounded: true };
            if (methodName(test.right) === 'length') return { items: (test.right as TSESTree.MemberExpression).object, bounded: false };
          }
        }
        return { items: undefined, bounded: false };
      }
      if (isFunction(current)) {
        const call = current.parent;
        const method = call?.type === AST_NODE_TYPES.CallExpression && call.arguments[0] === current ? methodName(call.callee) : undefined;
        if (method === undefined || !ITERATING_METHODS.has(method)) return undefined;
        const items = (skipTypeWrappers((call as TSESTree.CallExpression).callee) as TSESTree.MemberExpression).object;
        const size = sizeOf(items);
        return { items, bounded: size.kind === 'fixed' || (size.kind === 'count' && within(size.count)) };
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

  return { sizeOf, within, loopPushes };
}
