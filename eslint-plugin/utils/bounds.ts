import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import { calleeText, isFunction, isRequestHandler } from './functions.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';

/**
 * Bounds: "is this number a limit somebody chose?". `5`, `BATCH_SIZE = 10`, `Math.min(n, 8)`,
 * `Math.ceil(total / size)` with `total` bounded, `os.cpus().length`, or a value the code does
 * not show but whose name says it is a limit (`opts.concurrency`). A value traced to
 * `Infinity`, to a collection's `length`, or to input (a request's body, query or params, an
 * optional parameter) is not a bound, whatever its name.
 */

/** A constant, a bound whose value the code does not show ('named'), or undefined: not a bound. */
export type Bound = number | 'named' | undefined;

/** Names that hold a concurrency or batch size (`concurrency`, `opts.maxWorkers`, `BATCH_SIZE`, `limit`). */
export const BOUND_NAME = /concurren|parallel|worker|limit|slots|size|batch|chunk|inflight|max/i;

/** Where a request's input lives: `req.body`, `req.query.limit`, `ctx.request.body`, `event.queryStringParameters`. */
const INPUT_PROPERTIES = new Set([
  'body',
  'query',
  'params',
  'headers',
  'queryStringParameters',
  'pathParameters',
  'searchParams',
  'cookies',
]);
const REQUEST_NAMES = new Set(['req', 'request', 'ctx', 'context', 'event', 'c']);

/** Internal: a constant, a bound the code does not show, not a bound, or cannot tell. */
type Traced = number | 'bounded' | 'unbounded' | 'unknown';

const MATH_ROUNDING = new Set(['Math.ceil', 'Math.floor', 'Math.round', 'Math.trunc', 'Math.abs']);
const NUMBER_PARSERS = new Set(['Number', 'parseInt', 'parseFloat', 'Number.parseInt', 'Number.parseFloat']);
const UNBOUNDED_CONSTANTS = new Set(['Infinity', 'Number.POSITIVE_INFINITY', 'Number.MAX_SAFE_INTEGER', 'Number.MAX_VALUE']);
/** Calls whose result is sized by the machine: `os.availableParallelism()`, `navigator.hardwareConcurrency`. */
const MACHINE_SIZED = /(?:^|\.)(?:availableParallelism|hardwareConcurrency)$/;

/** True when `node` reads a request's input: `req.body.ids`, `ctx.request.query`, `await req.json()`, `url.searchParams.get('n')`. */
export function isInput(node: TSESTree.Node): boolean {
  let current = skipTypeWrappers(node);
  if (current.type === AST_NODE_TYPES.AwaitExpression) current = skipTypeWrappers(current.argument);
  if (current.type === AST_NODE_TYPES.ChainExpression) current = current.expression;
  if (current.type === AST_NODE_TYPES.CallExpression) {
    const text = calleeText(current.callee) ?? '';
    if (/(?:^|\.)(?:json|formData|text)$/.test(text) && REQUEST_NAMES.has(text.split('.')[0]!)) return true;
    if (/searchParams\.get(?:All)?$/.test(text) || text === 'JSON.parse') return true;
    return false;
  }
  let sawInput = false;
  while (current.type === AST_NODE_TYPES.MemberExpression) {
    if (!current.computed && current.property.type === AST_NODE_TYPES.Identifier && INPUT_PROPERTIES.has(current.property.name))
      sawInput = true;
    current = skipTypeWrappers(current.object);
  }
  return (
    sawInput && current.type === AST_NODE_TYPES.Identifier && (REQUEST_NAMES.has(current.name) || /(?:req|request)$/i.test(current.name))
  );
}

function looksLikeBound(name: string | undefined): boolean {
  return name !== undefined && BOUND_NAME.test(name);
}

export class Bounds {
  private readonly visiting = new Set<TSESTree.Node>();

  constructor(private readonly scopeOf: (node: TSESTree.Node) => Scope.Scope) {}

  /**
   * The bound `node` sets. `lenient`: a value the code does not show counts as a bound whatever
   * its name (the `k` of `slice(0, k)`: its author wrote a bound there); otherwise only a name
   * that says so counts (`Array.from({ length: pages })` is not bounded by `pages`).
   */
  bound(node: TSESTree.Node, lenient: boolean): Bound {
    const traced = this.trace(node, 0);
    if (typeof traced === 'number') return Number.isFinite(traced) ? traced : undefined;
    if (traced === 'bounded') return 'named';
    if (traced === 'unbounded') return undefined;
    return lenient || looksLikeBound(this.nameOf(node)) ? 'named' : undefined;
  }

  private nameOf(node: TSESTree.Node): string | undefined {
    const bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.Identifier) return bare.name;
    if (bare.type === AST_NODE_TYPES.MemberExpression && !bare.computed && bare.property.type === AST_NODE_TYPES.Identifier)
      return bare.property.name;
    return undefined;
  }

  private trace(node: TSESTree.Node, depth: number): Traced {
    if (depth > 8 || this.visiting.has(node)) return 'unknown';
    this.visiting.add(node);
    try {
      return this.traceOnce(node, depth);
    } finally {
      this.visiting.delete(node);
    }
  }

  /** An unknown value with a name that says it is a limit is a bound; traced values keep their verdict. */
  private named(node: TSESTree.Node, depth: number): Traced {
    const traced = this.trace(node, depth + 1);
    return traced === 'unknown' && looksLikeBound(this.nameOf(node)) ? 'bounded' : traced;
  }

  private traceOnce(node: TSESTree.Node, depth: number): Traced {
    let bare = skipTypeWrappers(node);
    if (bare.type === AST_NODE_TYPES.ChainExpression) bare = bare.expression;
    if (bare.type === AST_NODE_TYPES.AwaitExpression) return this.trace(bare.argument, depth + 1);
    const text = calleeText(bare);
    if (text !== undefined && UNBOUNDED_CONSTANTS.has(text) && this.isGlobal(bare)) return 'unbounded';
    switch (bare.type) {
      case AST_NODE_TYPES.Literal:
        return typeof bare.value === 'number' ? bare.value : 'unbounded';
      case AST_NODE_TYPES.Identifier:
        return this.traceIdentifier(bare, depth);
      case AST_NODE_TYPES.MemberExpression:
        return this.traceMember(bare, depth);
      case AST_NODE_TYPES.CallExpression:
        return this.traceCall(bare, depth);
      case AST_NODE_TYPES.UnaryExpression:
        return bare.operator === '+' ? this.trace(bare.argument, depth + 1) : 'unknown';
      case AST_NODE_TYPES.BinaryExpression:
        return this.traceBinary(bare, depth);
      case AST_NODE_TYPES.LogicalExpression: {
        // `opts.limit ?? 10`: both sides must be bounds; `Infinity` or input on either side is not one.
        return this.either(this.named(bare.left, depth), this.named(bare.right, depth));
      }
      case AST_NODE_TYPES.ConditionalExpression:
        return this.either(this.named(bare.consequent, depth), this.named(bare.alternate, depth));
      default:
        return 'unknown';
    }
  }

  private either(a: Traced, b: Traced): Traced {
    if (a === 'unbounded' || b === 'unbounded') return 'unbounded';
    if (typeof a === 'number' && typeof b === 'number') return Math.max(a, b);
    if (a === 'unknown' || b === 'unknown') return 'unknown';
    return 'bounded';
  }

  /** True when `Infinity` / `Number.…` is the global one, not a local of that name. */
  private isGlobal(node: TSESTree.Node): boolean {
    let root = node;
    while (root.type === AST_NODE_TYPES.MemberExpression) root = root.object;
    return root.type !== AST_NODE_TYPES.Identifier || (ASTUtils.findVariable(this.scopeOf(root), root.name)?.defs.length ?? 0) === 0;
  }

  private traceIdentifier(id: TSESTree.Identifier, depth: number): Traced {
    if (id.name === 'undefined') return 'unbounded';
    const variable = ASTUtils.findVariable(this.scopeOf(id), id.name);
    const definition = variable?.defs[0];
    if (definition === undefined || variable!.defs.length !== 1) return 'unknown';
    if (definition.type === DefinitionType.Parameter) return this.traceParameter(definition.name as TSESTree.Identifier, definition.node);
    if (definition.type === DefinitionType.Variable && definition.node.id.type !== AST_NODE_TYPES.Identifier) {
      // const { limit } = req.query;  const { batchSize = 10 } = opts;
      const init = definition.node.init;
      if (init !== null && isInput(init)) return 'unbounded';
      const pattern = definition.name.parent;
      if (pattern?.type === AST_NODE_TYPES.AssignmentPattern && pattern.left === definition.name) return this.named(pattern.right, depth);
      return 'unknown';
    }
    const origin = valueOrigin(id, this.scopeOf(id));
    if (origin === undefined || origin === id) return 'unknown';
    return this.named(origin, depth);
  }

  /** A parameter: its default when it has one; optional or defaulting to `undefined`, `slice(0, limit)` takes everything. */
  private traceParameter(name: TSESTree.Identifier, fn: TSESTree.Node): Traced {
    const parent = name.parent;
    if (parent?.type === AST_NODE_TYPES.AssignmentPattern && parent.left === name) {
      const traced = this.trace(parent.right, 1);
      return traced === 'unknown' ? 'unknown' : traced;
    }
    if (name.optional === true) return 'unbounded';
    // (req, res) => …: the request itself is input.
    if (isFunction(fn) && isRequestHandler(fn) && fn.params[0] === name) return 'unbounded';
    return 'unknown';
  }

  private traceMember(member: TSESTree.MemberExpression, depth: number): Traced {
    if (isInput(member)) return 'unbounded';
    const property = !member.computed && member.property.type === AST_NODE_TYPES.Identifier ? member.property.name : undefined;
    if (property === 'length') {
      // os.cpus().length: sized by the machine.
      const object = skipTypeWrappers(member.object);
      if (object.type === AST_NODE_TYPES.CallExpression && /(?:^|\.)cpus$/.test(calleeText(object.callee) ?? '')) return 'bounded';
      return 'unbounded';
    }
    if (MACHINE_SIZED.test(calleeText(member) ?? '')) return 'bounded';
    if (member.object.type === AST_NODE_TYPES.ThisExpression) {
      const origin = valueOrigin(member, this.scopeOf(member));
      if (origin !== undefined && origin !== member) return this.named(origin, depth);
    }
    return 'unknown';
  }

  private traceCall(call: TSESTree.CallExpression, depth: number): Traced {
    const name = calleeText(call.callee);
    if (name === undefined) return 'unknown';
    if (MACHINE_SIZED.test(name)) return 'bounded';
    if (isInput(call)) return 'unbounded';
    const args = call.arguments.filter((argument): argument is TSESTree.Expression => argument.type !== AST_NODE_TYPES.SpreadElement);
    if (name === 'Math.min') {
      // Bounded by its smallest bound: Math.min(items.length, 8) is at most 8.
      const traced = args.map((argument) => this.named(argument, depth));
      const numbers = traced.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
      if (numbers.length > 0) return Math.min(...numbers);
      return traced.includes('bounded') ? 'bounded' : traced.includes('unknown') ? 'unknown' : 'unbounded';
    }
    if (name === 'Math.max') return args.map((argument) => this.named(argument, depth)).reduce<Traced>((a, b) => this.either(a, b), 0);
    if ((MATH_ROUNDING.has(name) || NUMBER_PARSERS.has(name)) && args[0] !== undefined) {
      const traced = this.named(args[0], depth);
      return typeof traced === 'number' ? (name === 'Math.ceil' ? Math.ceil(traced) : Math.floor(traced)) : traced;
    }
    return 'unknown';
  }

  private traceBinary(binary: TSESTree.BinaryExpression, depth: number): Traced {
    if (binary.left.type === AST_NODE_TYPES.PrivateIdentifier) return 'unknown';
    const left = this.named(binary.left, depth);
    const right = this.named(binary.right, depth);
    switch (binary.operator) {
      case '/':
        // Math.ceil(total / size): as bounded as the total, for a divisor of at least 1.
        if (typeof right === 'number' && right >= 1) return typeof left === 'number' ? left / right : left;
        return left === 'unbounded' ? 'unbounded' : typeof right === 'number' ? 'unknown' : left;
      case '-':
        return left;
      case '%':
        return right;
      case '*':
      case '+':
        if (typeof left === 'number' && typeof right === 'number') return binary.operator === '*' ? left * right : left + right;
        return this.either(left, right);
      default:
        return 'unknown';
    }
  }
}
