import { AST_NODE_TYPES, AST_TOKEN_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope } from '@typescript-eslint/utils/ts-eslint';
import { isPool } from '../utils/connections.js';
import { createRule } from '../utils/create-rule.js';
import { methodName } from '../utils/fan-out.js';
import { calleeText, enclosingFunction, isFunction } from '../utils/functions.js';
import { resolveImport } from '../utils/imports.js';
import { skipTypeWrappers, valueOrigin } from '../utils/origins.js';
import { typeInfo, type TypeInfo } from '../utils/type-info.js';
import { someNode, walk } from '../utils/walk.js';

export type Options = [
  {
    /** Accept only `finally` and `using`: report a release in `catch` plus one after the `try`. */
    strict?: boolean;
  },
];
export type MessageId = 'neverReleased' | 'notInFinally' | 'moveToFinally';

/** Methods that check a connection out of a pool. */
const CHECKOUT_METHODS = new Set(['connect', 'getConnection']);
/** Methods that take a permit or a lock. */
const ACQUIRE_METHODS = new Set(['acquire', 'tryAcquire']);
/** Names people give semaphores and locks: `sem`, `dbSemaphore`, `this.mutex`. */
const SEMAPHORE_NAME = /(?:sem|sema|semaphore|mutex|lock)$/i;
const EXITS = new Set<string>([
  AST_NODE_TYPES.ReturnStatement, AST_NODE_TYPES.ThrowStatement, AST_NODE_TYPES.BreakStatement, AST_NODE_TYPES.ContinueStatement,
]);

/** What was acquired, and how it is given back. */
interface Acquisition {
  readonly call: TSESTree.CallExpression;
  /** The statement that acquires: `const client = await pool.connect();`, `await sema.acquire();`. */
  readonly statement: TSESTree.Node;
  /** The variable holding the client or permit; undefined when the semaphore itself is released (`sema.release()`). */
  readonly variable: Scope.Variable | undefined;
  /** How messages name it: "`client`", "`sema`"; "The client" when the result is dropped. */
  readonly name: string;
  /** The result is thrown away (`await pool.connect();`): nothing can release it. */
  readonly dropped: boolean;
  /** `await x.acquire()`, not `x.tryAcquire()`: it holds a value on every path after it. */
  readonly awaited: boolean;
}

/** Semaphores and locks whose `acquire()` must be matched by a release, by module. */
const SEMAPHORES: Readonly<Record<string, readonly string[]>> = {
  '@bounded/runtime': ['Semaphore'],
  '@bounded/runtime/core': ['Semaphore'],
  'async-sema': ['Sema'],
  'async-mutex': ['Mutex', 'Semaphore'],
};

/** True when `node` holds a semaphore built in this file: `new Semaphore(4)`, `new Sema(2)`. */
function isSemaphore(node: TSESTree.Node, scope: Scope.Scope): boolean {
  const origin = valueOrigin(node, scope);
  if (origin?.type !== AST_NODE_TYPES.NewExpression) return false;
  const binding = resolveImport(skipTypeWrappers(origin.callee), scope);
  return binding !== undefined && SEMAPHORES[binding.module]?.includes(binding.imported) === true;
}

function hasRelease(types: TypeInfo, node: TSESTree.Node): boolean | undefined {
  const type = types.checker.getNonNullableType(types.checker.getAwaitedType(types.typeOf(node)) ?? types.typeOf(node));
  if ((type.flags & 3) !== 0) return undefined; // any or unknown: cannot tell
  return type.getProperty('release') !== undefined || type.getCallSignatures().length > 0;
}

export default createRule<Options, MessageId>({
  name: 'require-release',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require pool clients and semaphore permits to be released on every path: in `finally`, or held with `using`',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      neverReleased: '{{name}} from `{{acquire}}` is never released, so every call leaks it; release it in a `finally` block.',
      notInFinally:
        '{{name}} from `{{acquire}}` is released only on some paths (an exception or early return skips `{{release}}`); release it in a `finally` block.',
      moveToFinally: 'Wrap the statements after `{{acquire}}` in `try { … } finally { {{release}} }`.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          strict: {
            type: 'boolean',
            description: 'Accept only `finally` and `using`; also report a release in `catch` paired with one after the `try`.',
          },
        },
      },
    ],
    defaultOptions: [{ strict: false }],
  },
  create(context, [options]) {
    const strict = options.strict === true;
    const types = typeInfo(context);
    const sourceCode = context.sourceCode;
    const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);

    /** The acquisition `call` makes, when its result must be given back. */
    function acquisition(call: TSESTree.CallExpression): Acquisition | undefined {
      const callee = skipTypeWrappers(call.callee);
      if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier) return undefined;
      const method = callee.property.name;
      const checkout = CHECKOUT_METHODS.has(method);
      if (!checkout && !ACQUIRE_METHODS.has(method)) return undefined;
      // Callback style (pool.connect((err, client, done) => …), lock.acquire(key, fn)) manages itself.
      if (call.arguments.some((argument) => isFunction(argument))) return undefined;
      const scope = scopeOf(call);
      const object = callee.object;
      let value: TSESTree.Node = call;
      if (value.parent?.type === AST_NODE_TYPES.AwaitExpression) value = value.parent;
      const parent = value.parent;
      let variable: Scope.Variable | undefined;
      let statement: TSESTree.Node | undefined;
      if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.init === value && parent.id.type === AST_NODE_TYPES.Identifier) {
        const declaration = parent.parent;
        if (declaration.kind === 'using' || declaration.kind === 'await using') return undefined;
        variable = ASTUtils.findVariable(scope, parent.id.name) ?? undefined;
        statement = declaration;
      } else if (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.right === value && parent.left.type === AST_NODE_TYPES.Identifier) {
        variable = ASTUtils.findVariable(scope, parent.left.name) ?? undefined;
        statement = parent.parent;
      } else if (parent?.type === AST_NODE_TYPES.ExpressionStatement && value !== call) {
        statement = parent;
      } else {
        return undefined; // returned, passed on, chained: someone else owns it
      }
      // With types: does the result (or, for `await sema.acquire()`, the semaphore) have a release?
      const resultReleases = types === undefined ? undefined : hasRelease(types, call);
      const selfReleases = types === undefined || variable !== undefined ? undefined : hasRelease(types, object);
      if (types !== undefined && resultReleases !== true && selfReleases !== true && (resultReleases === false || selfReleases === false)) return undefined;
      if (resultReleases === undefined && selfReleases === undefined) {
        const known = isPool(object, scope, types) || (!checkout && (isSemaphore(object, scope) || SEMAPHORE_NAME.test(calleeText(object) ?? '')));
        if (!known) return undefined;
      }
      if (variable !== undefined) return { call, statement, variable, name: `\`${variable.name}\``, dropped: false, awaited: value !== call };
      if (checkout || (resultReleases === true && selfReleases !== true)) {
        return { call, statement, variable: undefined, name: checkout ? 'The client' : 'The permit', dropped: true, awaited: true };
      }
      return { call, statement, variable: undefined, name: `\`${sourceCode.getText(object)}\``, dropped: false, awaited: true };
    }

    /** The release calls of an acquisition, or 'escapes' when the value is handed to someone else. */
    function releasesOf(acquired: Acquisition, fn: TSESTree.Node): TSESTree.CallExpression[] | 'escapes' {
      const releases: TSESTree.CallExpression[] = [];
      if (acquired.variable === undefined) {
        const object = (skipTypeWrappers(acquired.call.callee) as TSESTree.MemberExpression).object;
        const text = `${sourceCode.getText(object)}.release`;
        walk(fn, sourceCode.visitorKeys, (node) => {
          if (node.type === AST_NODE_TYPES.CallExpression && sourceCode.getText(skipTypeWrappers(node.callee)) === text) releases.push(node);
        }, true);
        return releases;
      }
      for (const reference of acquired.variable.references) {
        if (reference.isWrite()) continue;
        const id = reference.identifier;
        const parent = id.parent;
        if (parent.type === AST_NODE_TYPES.MemberExpression && parent.object === id) {
          const call = parent.parent;
          if (methodName(parent) === 'release' && call?.type === AST_NODE_TYPES.CallExpression && call.callee === parent) {
            releases.push(call);
          }
          continue;
        }
        if (parent.type === AST_NODE_TYPES.CallExpression && parent.callee === id) {
          releases.push(parent); // async-mutex: const release = await mutex.acquire()
          continue;
        }
        const isTest =
          (parent.type === AST_NODE_TYPES.UnaryExpression && parent.operator === '!') ||
          parent.type === AST_NODE_TYPES.BinaryExpression ||
          (parent.type === AST_NODE_TYPES.LogicalExpression && parent.left === id) ||
          ((parent.type === AST_NODE_TYPES.IfStatement || parent.type === AST_NODE_TYPES.ConditionalExpression) && parent.test === id);
        if (!isTest) return 'escapes';
      }
      return releases;
    }

    /** True when `release` runs however the code after the acquisition ends. */
    function coversEveryPath(release: TSESTree.CallExpression, fn: TSESTree.Node): boolean {
      for (let current: TSESTree.Node = release; current !== fn && current.parent !== undefined; current = current.parent) {
        const parent: TSESTree.Node = current.parent;
        if (parent.type === AST_NODE_TYPES.TryStatement && parent.finalizer === current) return true;
        if (isFunction(current)) {
          // promise.finally(() => client.release())
          return parent.type === AST_NODE_TYPES.CallExpression && methodName(parent.callee) === 'finally';
        }
      }
      return false;
    }

    const inThen = (release: TSESTree.Node): boolean => {
      const callback = enclosingFunction(release);
      const call = callback?.parent;
      return call?.type === AST_NODE_TYPES.CallExpression && call.arguments[0] === callback && methodName(call.callee) === 'then';
    };
    const inNestedFunction = (node: TSESTree.Node, fn: TSESTree.Node): boolean => enclosingFunction(node) !== (fn.type === AST_NODE_TYPES.Program ? undefined : fn);
    const statementOf = (call: TSESTree.Node): TSESTree.Node | undefined =>
      call.parent?.type === AST_NODE_TYPES.ExpressionStatement ? call.parent : call.parent?.type === AST_NODE_TYPES.ChainExpression && call.parent.parent?.type === AST_NODE_TYPES.ExpressionStatement ? call.parent.parent : undefined;
    const hasExit = (node: TSESTree.Node): boolean => EXITS.has(node.type) || someNode(node, sourceCode.visitorKeys, (part) => EXITS.has(part.type));

    /**
     * `try { …; release() } catch { release(); throw }` (or the release right after the try):
     * every path releases, though not in `finally`. Accepted unless strict.
     */
    function releasedInCatchAndAfter(releases: readonly TSESTree.CallExpression[]): boolean {
      for (const release of releases) {
        const clause = release.parent?.parent?.parent;
        if (clause?.type !== AST_NODE_TYPES.CatchClause || clause.body !== release.parent?.parent) continue;
        const tryStatement = clause.parent;
        for (const other of releases) {
          const statement = statementOf(other);
          if (statement === undefined) continue;
          const body = tryStatement.block.body;
          if (body.at(-1) === statement && !body.slice(0, -1).some(hasExit)) return true;
          const outer = tryStatement.parent;
          const siblings: readonly TSESTree.Node[] = outer?.type === AST_NODE_TYPES.BlockStatement || outer?.type === AST_NODE_TYPES.Program ? outer.body : [];
          if (siblings[siblings.indexOf(tryStatement) + 1] === statement && !body.some(hasExit)) return true;
        }
      }
      return false;
    }

    /** The suggestion for `acquire; …; release(); …`, when all of it sits in one block. */
    function wrapInTry(acquired: Acquisition, release: TSESTree.CallExpression) {
      const block = acquired.statement.parent;
      const releaseStatement = statementOf(release);
      if ((block?.type !== AST_NODE_TYPES.BlockStatement && block?.type !== AST_NODE_TYPES.Program) || releaseStatement?.parent !== block) return undefined;
      const body: readonly TSESTree.Node[] = block.body;
      const from = body.indexOf(acquired.statement);
      const at = body.indexOf(releaseStatement);
      if (from < 0 || at <= from + 1) return undefined;
      const after = body.slice(at + 1);
      // Moving later statements into the try must not hold the client across more waiting.
      if (after.some((statement) => someNode(statement, sourceCode.visitorKeys, (part) => part.type === AST_NODE_TYPES.AwaitExpression))) return undefined;
      const lines = sourceCode.lines;
      const lineOf = (node: TSESTree.Node): string => lines[node.loc.start.line - 1]!;
      const indent = lineOf(acquired.statement).slice(0, acquired.statement.loc.start.column);
      const releaseLine = lineOf(releaseStatement);
      if (indent.trim() !== '' || releaseLine.trim() !== sourceCode.getText(releaseStatement)) return undefined;
      const blockIndent = block.type === AST_NODE_TYPES.Program ? '' : /^\s*/.exec(lineOf(block))![0];
      const unit = indent.startsWith(blockIndent) && indent.length > blockIndent.length ? indent.slice(blockIndent.length) : '  ';
      const first = sourceCode.getCommentsAfter(acquired.statement)[0] ?? body[from + 1]!;
      const last = after.at(-1) ?? releaseStatement;
      const releaseStart = sourceCode.getIndexFromLoc({ line: releaseStatement.loc.start.line, column: 0 });
      const releaseEnd = releaseStart + releaseLine.length + 1;
      // Every line one level deeper, except inside template literals (SQL, prompts).
      const templates = sourceCode.ast.tokens.filter((token) => token.type === AST_TOKEN_TYPES.Template).map((token) => token.range);
      const indentRange = (start: number, end: number): string => {
        let out = '';
        for (let offset = start; offset < end; offset++) {
          const char = sourceCode.text[offset]!;
          out += char;
          if (char === '\n' && sourceCode.text[offset + 1] !== '\n' && !templates.some(([open, close]) => offset > open && offset < close)) out += unit;
        }
        return out;
      };
      const inner = (indentRange(first.range[0], releaseStart) + (after.length > 0 ? indentRange(releaseEnd, last.range[1]) : '')).trimEnd();
      const releaseText = `${sourceCode.getText(release)};`;
      const replacement = `\n${indent}try {\n${indent}${unit}${inner}\n${indent}} finally {\n${indent}${unit}${releaseText}\n${indent}}`;
      return (fixer: RuleFixer): RuleFix => fixer.replaceTextRange([acquired.statement.range[1], last.range[1]], replacement);
    }

    return {
      CallExpression(node) {
        const acquired = acquisition(node);
        if (acquired === undefined) return;
        const fn = enclosingFunction(node) ?? sourceCode.ast;
        const acquire = `${calleeText(skipTypeWrappers(node.callee)) ?? 'acquire'}()`;
        if (acquired.dropped) {
          context.report({ node, messageId: 'neverReleased', data: { name: acquired.name, acquire }, suggest: [] });
          return;
        }
        const releases = releasesOf(acquired, fn);
        if (releases === 'escapes') return;
        // A release in a callback (res.on('finish', () => client.release())) hands the client over;
        // one in `.then(…)` runs on success only.
        if (releases.some((release) => inNestedFunction(release, fn) && !coversEveryPath(release, fn) && !inThen(release))) return;
        if (releases.some((release) => coversEveryPath(release, fn))) return;
        if (releases.length === 0) {
          context.report({ node, messageId: 'neverReleased', data: { name: acquired.name, acquire }, suggest: [] });
          return;
        }
        const first = releases[0]!;
        const statement = statementOf(first);
        // Released before anything can throw: `const c = await pool.connect(); c.release();`.
        const block = acquired.statement.parent;
        if (statement !== undefined && statement.parent === block && (block?.type === AST_NODE_TYPES.BlockStatement || block?.type === AST_NODE_TYPES.Program)) {
          const siblings: readonly TSESTree.Node[] = block.body;
          if (siblings.indexOf(statement) === siblings.indexOf(acquired.statement) + 1) return;
        }
        if (!strict && releasedInCatchAndAfter(releases)) return;
        const release = sourceCode.getText(first);
        const fix = releases.length === 1 && acquired.awaited ? wrapInTry(acquired, first) : undefined;
        context.report({
          node,
          messageId: 'notInFinally',
          data: { name: acquired.name, acquire, release },
          suggest: fix === undefined ? [] : [{ messageId: 'moveToFinally', data: { acquire, release }, fix }],
        });
      },
    };
  },
});
