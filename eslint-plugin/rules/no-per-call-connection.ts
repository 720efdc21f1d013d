import { dirname } from 'node:path';
import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope } from '@typescript-eslint/utils/ts-eslint';
import { ScopeType } from '@typescript-eslint/scope-manager';
import { connectionFactory, heldConnection, type ConnectionFactory } from '../utils/connections.js';
import { CLOSE_METHODS, OPEN_METHODS, matchesAnyGlob } from '@bounded/policy';
import { createRule } from '../utils/create-rule.js';
import { methodName } from '../utils/fan-out.js';
import {
  calleeText,
  enclosingFunction,
  functionName,
  isFunction as isFunctionNode,
  isRequestHandler,
  type FunctionNode,
} from '../utils/functions.js';
import { runsPerInvocation } from '../utils/invocations.js';
import { skipTypeWrappers } from '../utils/origins.js';
import { policyFor } from '../utils/policy.js';
import { typeInfo } from '../utils/type-info.js';
import { someNode, walk } from '../utils/walk.js';

export type Options = [
  {
    /** Extra globs of files where a connection per call is fine, relative to the working directory. */
    allowFiles?: string[];
    /** Also report constructors, set-up functions that store the connection, and factories. */
    strict?: boolean;
  },
];
export type MessageId = 'perCall' | 'perInstance' | 'connectPerOperation' | 'hoist';

/** How a construction's result is kept. */
type Holder =
  /** Built once and remembered: `pool ??= new Pool()`, `if (!pool) pool = new Pool()`. */
  | 'memo'
  /** Stored outside the function with no guard: `this.client = new Client()` in a set-up method. */
  | 'stored'
  /** Handed to the caller: a factory. */
  | 'returned'
  /** Used and dropped inside the function: a connection per call. */
  | 'local';

/** Functions named like set-up code that makes a connection for its caller to keep (`fromOptions`: a static factory). */
const FACTORY_NAME = /^(?:create|make|build|new|open|connect|init|setup|start|from)(?:[A-Z_]|$)/;
const INSTEAD: Readonly<Record<ConnectionFactory['library'], string>> = {
  pg: "create one pool at module scope and share it (`getPool('main')` from @bounded/runtime)",
  mysql: 'create one pool at module scope (`createPool`) and share it',
  redis: 'create the client once at module scope and share it',
  mongodb: 'create the client once at module scope and share it',
  orm: 'create it once at module scope (or lazily, once) and share it: it holds a pool of its own',
};
/** Calls that end a connection: hoisting a construction whose function ends it would break the next call. */
const CLOSERS = new Set(CLOSE_METHODS);

export default createRule<Options, MessageId>({
  name: 'no-per-call-connection',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow opening database connections or pools inside functions that run per request or operation',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      perCall: '`{{call}}` in {{where}} opens {{what}} on every call; {{instead}}.',
      perInstance:
        '`{{call}}` in `{{className}}` opens {{what}} for every instance, and {{where}} makes an instance on every call; {{instead}}, or make one `{{className}}` and share it.',
      connectPerOperation:
        '`{{call}}` in {{where}} connects `{{client}}` on every call and closes it after: a connection per operation; {{instead}}.',
      hoist: 'Create `{{name}}` once at module scope and share it.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          allowFiles: {
            type: 'array',
            items: { type: 'string' },
            description:
              "Extra globs of files where a connection per call is fine (relative to the working directory); added to the policy's lint.allowPerCallConnections.",
          },
          strict: {
            type: 'boolean',
            description: 'Also report constructors, set-up functions that store a connection without a guard, and factory functions.',
          },
        },
      },
    ],
    defaultOptions: [{ allowFiles: [], strict: false }],
  },
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const policy = policyFor(context);
    const file = context.physicalFilename;
    const policyBase = policy.source === undefined ? context.cwd : dirname(policy.source);
    if (
      matchesAnyGlob(file, policy.lint.allowPerCallConnections, policyBase) ||
      matchesAnyGlob(file, options.allowFiles ?? [], context.cwd)
    ) {
      return {};
    }
    const strict = options.strict === true;
    const types = typeInfo(context);
    const sourceCode = context.sourceCode;
    const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);
    const inside = (node: TSESTree.Node, container: TSESTree.Node): boolean =>
      node.range[0] >= container.range[0] && node.range[1] <= container.range[1];

    /** The variable a name or `obj.prop` / `this.prop` / `cache[key]` roots in, and whether it lives outside `fn`. */
    function isOutside(target: TSESTree.Node, fn: FunctionNode): boolean {
      let root = skipTypeWrappers(target);
      while (root.type === AST_NODE_TYPES.MemberExpression) root = skipTypeWrappers(root.object);
      if (root.type === AST_NODE_TYPES.ThisExpression) return true;
      if (root.type !== AST_NODE_TYPES.Identifier) return false;
      const definition = ASTUtils.findVariable(scopeOf(root), root.name)?.defs[0];
      return definition !== undefined && !inside(definition.name, fn);
    }

    /** True when an `if` or `?:` in `fn` before `node` tests one of `texts` (`!pool`, `this.pool === undefined`). */
    function isGuarded(fn: FunctionNode, node: TSESTree.Node, texts: readonly string[]): boolean {
      let guarded = false;
      walk(fn.body, sourceCode.visitorKeys, (current) => {
        if (guarded || current.range[0] > node.range[0]) return false;
        if (current.type !== AST_NODE_TYPES.IfStatement && current.type !== AST_NODE_TYPES.ConditionalExpression) return true;
        guarded = someNode(
          current,
          sourceCode.visitorKeys,
          (part) =>
            inside(part, current.test) &&
            (part.type === AST_NODE_TYPES.Identifier || part.type === AST_NODE_TYPES.MemberExpression) &&
            texts.includes(sourceCode.getText(part)),
        );
        return !guarded;
      });
      return guarded;
    }

    /** `pool` in `pool = …` or `cache.set(key, …)`, when it is kept outside `fn`. */
    function keptOutside(value: TSESTree.Node, fn: FunctionNode): TSESTree.Node | undefined {
      const parent = value.parent;
      if (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.right === value && isOutside(parent.left, fn)) return parent.left;
      if (parent?.type === AST_NODE_TYPES.CallExpression && parent.arguments.includes(value as TSESTree.CallExpressionArgument)) {
        const callee = skipTypeWrappers(parent.callee);
        if (
          callee.type === AST_NODE_TYPES.MemberExpression &&
          calleeText(callee)?.endsWith('.set') === true &&
          isOutside(callee.object, fn)
        ) {
          return callee.object;
        }
      }
      return undefined;
    }

    /** `cache.set(key, value)`: a store, not an owner (keptOutside decides whether it outlives the call). */
    function isCacheSet(call: TSESTree.CallExpression): boolean {
      const callee = skipTypeWrappers(call.callee);
      return (
        callee.type === AST_NODE_TYPES.MemberExpression &&
        !callee.computed &&
        callee.property.type === AST_NODE_TYPES.Identifier &&
        callee.property.name === 'set'
      );
    }

    /**
     * The owner a connection is handed to as it is built: `new Kysely({ dialect: new
     * PostgresDialect({ pool: new Pool() }) })`, `drizzle(new Pool())`, `{ pool: new Pool() }`.
     * How the owner is kept is how the connection is kept.
     */
    function ownerOf(node: TSESTree.Node): TSESTree.Node {
      let current = node;
      for (;;) {
        const parent = current.parent;
        if (parent?.type === AST_NODE_TYPES.Property && parent.value === current) current = parent.parent;
        else if (parent?.type === AST_NODE_TYPES.ArrayExpression) current = parent;
        else if (parent?.type === AST_NODE_TYPES.CallExpression && isCacheSet(parent)) return current;
        else if (
          (parent?.type === AST_NODE_TYPES.NewExpression || parent?.type === AST_NODE_TYPES.CallExpression) &&
          parent.arguments.includes(current as TSESTree.CallExpressionArgument)
        )
          current = parent;
        else return current;
      }
    }

    /**
     * True when `reference` hands the value over to the caller: the value itself or a closure
     * over it is returned, directly or inside an object or owner (`return { query: (q) =>
     * pool.query(q), close: () => pool.end() }`, `return new Repo(pool)`).
     */
    function returnedThrough(reference: TSESTree.Node, fn: FunctionNode): boolean {
      let current: TSESTree.Node = reference;
      let closure = false;
      for (let up = reference.parent; up != null && up !== fn; up = up.parent) {
        if (isFunctionNode(up)) {
          current = up;
          closure = true;
        }
      }
      if (closure && current === reference) return false;
      for (;;) {
        const parent: TSESTree.Node | undefined = current.parent;
        if (parent === undefined) return false;
        if (parent.type === AST_NODE_TYPES.ReturnStatement) return true;
        if (parent === fn) return fn.body === current;
        if (parent.type === AST_NODE_TYPES.Property && parent.value === current) current = parent.parent;
        else if (parent.type === AST_NODE_TYPES.ArrayExpression || parent.type === AST_NODE_TYPES.AwaitExpression) current = parent;
        // return connection ? optionsFor(connection) : null
        else if (parent.type === AST_NODE_TYPES.ConditionalExpression && parent.test !== current) current = parent;
        else if (
          !closure &&
          (parent.type === AST_NODE_TYPES.NewExpression || parent.type === AST_NODE_TYPES.CallExpression) &&
          parent.arguments.includes(current as TSESTree.CallExpressionArgument)
        )
          current = parent;
        else return false;
      }
    }

    function holderOf(built: TSESTree.Node, fn: FunctionNode): { holder: Holder; local?: TSESTree.VariableDeclarator } {
      const node = ownerOf(built);
      let value: TSESTree.Node = node;
      for (;;) {
        const up = value.parent;
        if (
          up?.type === AST_NODE_TYPES.AwaitExpression ||
          up?.type === AST_NODE_TYPES.TSAsExpression ||
          up?.type === AST_NODE_TYPES.TSNonNullExpression
        ) {
          value = up;
        } else if (
          // url ? new Redis(url) : new Redis(options): kept where the choice is kept.
          up?.type === AST_NODE_TYPES.ConditionalExpression &&
          up.test !== value
        ) {
          value = up;
        } else if (
          // new DataSource(…).initialize(), new Client().connect(): opened as it is built, and
          // kept (or not) where the opening call's result is kept.
          up?.type === AST_NODE_TYPES.MemberExpression &&
          up.object === value &&
          !up.computed &&
          up.property.type === AST_NODE_TYPES.Identifier &&
          OPEN_METHODS.includes(up.property.name) &&
          up.parent?.type === AST_NODE_TYPES.CallExpression &&
          up.parent.callee === up
        ) {
          value = up.parent;
        } else {
          break;
        }
      }
      const parent = value.parent!;
      if (
        parent.type === AST_NODE_TYPES.AssignmentExpression &&
        parent.right === value &&
        (parent.operator === '??=' || parent.operator === '||=')
      ) {
        return { holder: 'memo' };
      }
      // pool = pool ?? new Pool()   /   return pool ?? (pool = new Pool())
      const logical = parent.type === AST_NODE_TYPES.LogicalExpression ? parent : parent.parent;
      if (logical?.type === AST_NODE_TYPES.LogicalExpression && logical.operator !== '&&') {
        const assignment = parent.type === AST_NODE_TYPES.AssignmentExpression ? parent : logical.parent;
        if (
          assignment?.type === AST_NODE_TYPES.AssignmentExpression &&
          sourceCode.getText(assignment.left) === sourceCode.getText(logical.left)
        ) {
          return { holder: 'memo' };
        }
      }
      if (
        parent.type === AST_NODE_TYPES.ReturnStatement ||
        (parent.type === AST_NODE_TYPES.ArrowFunctionExpression && parent.body === value)
      ) {
        return { holder: 'returned' };
      }
      const kept = keptOutside(value, fn);
      if (kept !== undefined) return { holder: isGuarded(fn, node, [sourceCode.getText(kept)]) ? 'memo' : 'stored' };
      // A local variable: where does it go?
      let variable: Scope.Variable | null = null;
      if (parent.type === AST_NODE_TYPES.VariableDeclarator && parent.init === value && parent.id.type === AST_NODE_TYPES.Identifier) {
        variable = ASTUtils.findVariable(scopeOf(parent.id), parent.id.name);
      } else if (
        parent.type === AST_NODE_TYPES.AssignmentExpression &&
        parent.right === value &&
        parent.left.type === AST_NODE_TYPES.Identifier
      ) {
        variable = ASTUtils.findVariable(scopeOf(parent.left), parent.left.name);
      }
      if (variable === null) return { holder: 'local' };
      let holder: Holder = 'local';
      for (const reference of variable.references) {
        const outer = keptOutside(reference.identifier, fn);
        if (outer !== undefined) {
          return { holder: isGuarded(fn, node, [sourceCode.getText(outer), variable.name]) ? 'memo' : 'stored' };
        }
        if (returnedThrough(reference.identifier, fn)) holder = 'returned';
      }
      const declarator = parent.type === AST_NODE_TYPES.VariableDeclarator ? parent : undefined;
      return declarator === undefined || node !== built ? { holder } : { holder, local: declarator };
    }

    /**
     * When `fn` is a promise's executor (`new Promise((resolve, reject) => …)`) and `built` (or
     * the variable it is put in) is passed to its `resolve`: the function that makes the promise.
     */
    function resolvedFromExecutor(built: TSESTree.Node, fn: FunctionNode): FunctionNode | undefined {
      const made = fn.parent;
      if (made?.type !== AST_NODE_TYPES.NewExpression || made.arguments[0] !== fn) return undefined;
      if (made.callee.type !== AST_NODE_TYPES.Identifier || made.callee.name !== 'Promise') return undefined;
      const resolve = fn.params[0];
      if (resolve?.type !== AST_NODE_TYPES.Identifier) return undefined;
      const parent = built.parent;
      const name =
        parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier
          ? parent.id.name
          : parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.left.type === AST_NODE_TYPES.Identifier
            ? parent.left.name
            : undefined;
      // resolve(cxn) is often called from a callback (`cxn.connect().then(() => resolve(cxn))`).
      let resolved = false;
      walk(
        fn.body,
        sourceCode.visitorKeys,
        (part) => {
          if (resolved) return false;
          const argument =
            part.type === AST_NODE_TYPES.CallExpression &&
            part.callee.type === AST_NODE_TYPES.Identifier &&
            part.callee.name === resolve.name
              ? part.arguments[0]
              : undefined;
          resolved =
            argument !== undefined &&
            (argument === built || (name !== undefined && argument.type === AST_NODE_TYPES.Identifier && argument.name === name));
          return !resolved;
        },
        true,
      );
      return resolved ? enclosingFunction(made) : undefined;
    }

    /** Calls of the function `fn` is bound to, when it has a name in this file. */
    function callsOf(fn: FunctionNode): TSESTree.Identifier[] | undefined {
      const id = fn.id ?? (fn.parent?.type === AST_NODE_TYPES.VariableDeclarator ? fn.parent.id : undefined);
      if (id?.type !== AST_NODE_TYPES.Identifier) return undefined;
      const variable = ASTUtils.findVariable(scopeOf(fn), id.name);
      if (variable === null) return undefined;
      return variable.references.map((reference) => reference.identifier as TSESTree.Identifier).filter((identifier) => identifier !== id);
    }

    const isCall = (identifier: TSESTree.Node): boolean =>
      identifier.parent?.type === AST_NODE_TYPES.CallExpression && identifier.parent.callee === identifier;

    /** True when `fn` provably runs once: a module-level IIFE, or a function only called at module scope (`main()`). */
    function runsOnce(fn: FunctionNode): boolean {
      const parent = fn.parent;
      if (parent?.type === AST_NODE_TYPES.CallExpression && parent.callee === fn) return enclosingFunction(parent) === undefined;
      if (enclosingFunction(fn) !== undefined) return false;
      const exported = [fn.parent, fn.parent?.parent?.parent].some(
        (node) => node?.type === AST_NODE_TYPES.ExportNamedDeclaration || node?.type === AST_NODE_TYPES.ExportDefaultDeclaration,
      );
      const calls = callsOf(fn);
      return (
        !exported && calls !== undefined && calls.length > 0 && calls.every((call) => isCall(call) && enclosingFunction(call) === undefined)
      );
    }

    /**
     * A factory its callers keep: named like set-up code, or only called from module scope in
     * this file; and every call of it inside a function of this file hands the connection on
     * (returns it from a factory of its own, or keeps it in a guarded memo: `instance ??=
     * createClient()`), so whoever opens it per call is a caller, judged there.
     */
    function isFactory(fn: FunctionNode, depth = 0): boolean {
      const calls = callsOf(fn) ?? [];
      // connection.connect = async function (options) { … } names the function too.
      const assigned =
        fn.parent?.type === AST_NODE_TYPES.AssignmentExpression && fn.parent.right === fn
          ? calleeText(fn.parent.left)?.split('.').at(-1)
          : undefined;
      const name = functionName(fn) ?? assigned;
      if (calls.length === 0 && (name === undefined || !FACTORY_NAME.test(name))) return false;
      return calls.every((call) => enclosingFunction(call) === undefined || handsOn(call, depth));
    }

    function handsOn(reference: TSESTree.Node, depth: number): boolean {
      const call = reference.parent;
      const caller = enclosingFunction(reference);
      if (depth > 4 || call?.type !== AST_NODE_TYPES.CallExpression || call.callee !== reference || caller === undefined) return false;
      const { holder } = holderOf(call, caller);
      return holder === 'memo' || (holder === 'returned' && isFactory(caller, depth + 1));
    }

    function where(fn: FunctionNode): string {
      // exports.handler = async (event) => …
      const assigned = fn.parent?.type === AST_NODE_TYPES.AssignmentExpression ? calleeText(fn.parent.left)?.split('.').at(-1) : undefined;
      const name = functionName(fn) ?? (assigned === 'exports' ? undefined : assigned);
      if (isRequestHandler(fn)) return name === undefined ? 'a request handler' : `the request handler \`${name}\``;
      return name === undefined ? 'this function' : `\`${name}\``;
    }

    /** The fix that moves `const pool = new Pool(…)` to module scope, when that is a drop-in change. */
    function hoist(declarator: TSESTree.VariableDeclarator, node: TSESTree.Node, fn: FunctionNode, factory: ConnectionFactory) {
      const declaration = declarator.parent;
      if (!factory.ready || declaration?.type !== AST_NODE_TYPES.VariableDeclaration || declaration.kind !== 'const') return undefined;
      if (declaration.declarations.length !== 1 || declaration.parent !== fn.body || declarator.init !== node) return undefined;
      const name = (declarator.id as TSESTree.Identifier).name;
      const globalScope = sourceCode.scopeManager?.globalScope;
      const moduleScope = globalScope?.childScopes.find((scope) => scope.type === ScopeType.module) ?? globalScope;
      if (moduleScope?.set.has(name) !== false) return undefined;
      // Its arguments must mean the same at module scope, and nothing in the function may end it.
      const local = someNode(node, sourceCode.visitorKeys, (part) => {
        if (part.type !== AST_NODE_TYPES.Identifier) return false;
        const definition = ASTUtils.findVariable(scopeOf(part), part.name)?.defs[0];
        return definition !== undefined && inside(definition.name, fn);
      });
      const closed = someNode(
        fn.body,
        sourceCode.visitorKeys,
        (part) =>
          part.type === AST_NODE_TYPES.MemberExpression &&
          !part.computed &&
          part.property.type === AST_NODE_TYPES.Identifier &&
          CLOSERS.has(part.property.name) &&
          sourceCode.getText(part.object) === name,
      );
      const lines = sourceCode.lines;
      const { start, end } = declaration.loc;
      const indent = lines[start.line - 1]!.slice(0, start.column);
      if (local || closed || indent.trim() !== '' || lines[end.line - 1]!.slice(end.column).trim() !== '') return undefined;
      let top: TSESTree.Node = fn;
      while (top.parent !== undefined && top.parent.type !== AST_NODE_TYPES.Program) top = top.parent;
      const before = sourceCode.getCommentsBefore(top)[0] ?? top;
      const text = sourceCode
        .getText(declaration)
        .split('\n')
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
        .join('\n');
      const lineStart = sourceCode.getIndexFromLoc({ line: start.line, column: 0 });
      const lineEnd = sourceCode.getIndexFromLoc({ line: end.line, column: 0 }) + lines[end.line - 1]!.length + 1;
      return {
        name,
        fix: (fixer: RuleFixer): RuleFix[] => [
          fixer.insertTextBeforeRange(before.range, `${text}\n\n`),
          fixer.removeRange([lineStart, lineEnd]),
        ],
      };
    }

    /**
     * What the operation itself puts in `target` before `before`: `this.client = this.client ??
     * new Client()`, `this.client ??= new Client()`, `this.client = new Client()` in the method
     * that then connects it.
     */
    function builtInto(target: TSESTree.Node, fn: FunctionNode, before: TSESTree.Node): ConnectionFactory | undefined {
      const text = sourceCode.getText(target);
      let found: ConnectionFactory | undefined;
      walk(fn.body, sourceCode.visitorKeys, (part) => {
        if (found !== undefined || part.range[0] > before.range[0]) return false;
        if (isFunctionNode(part)) return false;
        if (part.type !== AST_NODE_TYPES.AssignmentExpression || sourceCode.getText(part.left) !== text) return true;
        let value = skipTypeWrappers(part.right);
        if (value.type === AST_NODE_TYPES.LogicalExpression && value.operator !== '&&') value = skipTypeWrappers(value.right);
        if (value.type === AST_NODE_TYPES.AwaitExpression) value = skipTypeWrappers(value.argument);
        if (value.type === AST_NODE_TYPES.NewExpression || value.type === AST_NODE_TYPES.CallExpression)
          found = connectionFactory(value, scopeOf(value), types);
        return true;
      });
      return found;
    }

    /**
     * `await this.client.connect()` … `await this.client.end()` in one method: a client held by
     * the instance (or the module) that each operation connects and closes.
     */
    function checkConnectPerOperation(node: TSESTree.CallExpression): void {
      const method = methodName(node.callee);
      if (method === undefined || !OPEN_METHODS.includes(method) || node.callee.type !== AST_NODE_TYPES.MemberExpression) return;
      const target = node.callee.object;
      const fn = enclosingFunction(node);
      if (fn === undefined || runsOnce(fn) || FACTORY_NAME.test(functionName(fn) ?? '')) return;
      if (fn.parent?.type === AST_NODE_TYPES.MethodDefinition && fn.parent.kind === 'constructor') return;
      const factory = isOutside(target, fn) ? (heldConnection(target, scopeOf(target), types) ?? builtInto(target, fn, node)) : undefined;
      // pool.connect() checks a client out (require-release's business); a pool is not connected per operation.
      if (factory === undefined || (factory.pool && method === 'connect')) return;
      const text = sourceCode.getText(target);
      const closes = someNode(
        fn.body,
        sourceCode.visitorKeys,
        (part) =>
          part.type === AST_NODE_TYPES.CallExpression &&
          CLOSERS.has(methodName(part.callee) ?? '') &&
          part.callee.type === AST_NODE_TYPES.MemberExpression &&
          sourceCode.getText(part.callee.object) === text,
      );
      if (!closes) return;
      context.report({
        node,
        messageId: 'connectPerOperation',
        data: { call: `${text}.${method}()`, where: where(fn), client: text, instead: INSTEAD[factory.library] },
      });
    }

    /**
     * The class whose instances `node` is built for: `node` sits in an instance field's
     * initializer (`private prisma = new PrismaClient()`) or in the constructor.
     */
    function instanceOwner(node: TSESTree.Node): TSESTree.ClassDeclaration | TSESTree.ClassExpression | undefined {
      for (let current = node.parent; current != null; current = current.parent) {
        if (current.type === AST_NODE_TYPES.PropertyDefinition) {
          return current.static || current.value === null || !inside(node, current.value) ? undefined : current.parent.parent;
        }
        if (isFunctionNode(current)) {
          const method = current.parent;
          return method?.type === AST_NODE_TYPES.MethodDefinition && method.kind === 'constructor' ? method.parent.parent : undefined;
        }
      }
      return undefined;
    }

    /** A function that runs per request or invocation and makes an instance of `owner` (`new StatsService()` in a route handler). */
    function instantiatedPerInvocation(owner: TSESTree.ClassDeclaration | TSESTree.ClassExpression): FunctionNode | undefined {
      const id = owner.id ?? (owner.parent?.type === AST_NODE_TYPES.VariableDeclarator ? owner.parent.id : undefined);
      if (id?.type !== AST_NODE_TYPES.Identifier) return undefined;
      // The class's name outside it, and inside it (its own scope has a binding of the name too).
      const declarer = owner.type === AST_NODE_TYPES.ClassDeclaration ? owner : owner.parent;
      const variables = sourceCode.getDeclaredVariables(declarer);
      for (const reference of variables.flatMap((variable) => variable.references)) {
        const made = reference.identifier.parent;
        if (made?.type !== AST_NODE_TYPES.NewExpression || made.callee !== reference.identifier) continue;
        const fn = enclosingFunction(made);
        if (fn !== undefined && runsPerInvocation(fn)) return fn;
      }
      return undefined;
    }

    function check(node: TSESTree.NewExpression | TSESTree.CallExpression): void {
      if (node.type === AST_NODE_TYPES.CallExpression) {
        checkConnectPerOperation(node);
        const callee = skipTypeWrappers(node.callee);
        if (callee.type !== AST_NODE_TYPES.Identifier && callee.type !== AST_NODE_TYPES.MemberExpression) return;
      }
      const factory = connectionFactory(node, scopeOf(node), types);
      if (factory === undefined) return;
      const callee = calleeText(skipTypeWrappers(node.callee)) ?? methodName(node.callee) ?? 'connect';
      const call = node.type === AST_NODE_TYPES.NewExpression ? `new ${callee}()` : `${callee}()`;
      const what = factory.pool ? 'a new connection pool' : 'a new connection';
      // Built for each instance of a class that a request or serverless handler instantiates.
      const owner = instanceOwner(node);
      const maker = owner === undefined ? undefined : instantiatedPerInvocation(owner);
      if (maker !== undefined) {
        const className = (owner!.id ?? ((owner!.parent as TSESTree.VariableDeclarator).id as TSESTree.Identifier)).name;
        context.report({
          node,
          messageId: 'perInstance',
          data: { call, className, where: where(maker), what, instead: INSTEAD[factory.library] },
        });
        return;
      }
      const fn = enclosingFunction(node);
      if (fn === undefined || runsOnce(fn)) return;
      // Built inside `new Promise((resolve) => …)` and resolved: the function making the promise hands it over.
      const outer = resolvedFromExecutor(node, fn);
      if (outer !== undefined && (runsOnce(outer) || (!strict && isFactory(outer)))) return;
      const { holder, local } = holderOf(node, fn);
      if (holder === 'memo') return;
      const isConstructor = fn.parent?.type === AST_NODE_TYPES.MethodDefinition && fn.parent.kind === 'constructor';
      // A handler runs per invocation: what it stores without a guard, it opens again next time.
      const stored = holder === 'stored' && !runsPerInvocation(fn);
      if (!strict && (isConstructor || stored || (holder === 'returned' && isFactory(fn)))) return;
      const hoisted = holder === 'local' && local !== undefined ? hoist(local, node, fn, factory) : undefined;
      context.report({
        node,
        messageId: 'perCall',
        data: { call, where: where(fn), what, instead: INSTEAD[factory.library] },
        suggest: hoisted === undefined ? [] : [{ messageId: 'hoist', data: { name: hoisted.name }, fix: hoisted.fix }],
      });
    }

    return { NewExpression: check, CallExpression: check };
  },
});
