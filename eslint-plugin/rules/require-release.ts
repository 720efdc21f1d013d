import { AST_NODE_TYPES, AST_TOKEN_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope } from '@typescript-eslint/utils/ts-eslint';
import { CHECKOUTS, DATA_SOURCE_NAME } from '@bounded/policy';
import { checksOut, connectionFactory, isPool } from '../utils/connections.js';
import { createRule } from '../utils/create-rule.js';
import { methodName } from '../utils/fan-out.js';
import { calleeText, enclosingFunction, isFunction } from '../utils/functions.js';
import { resolveImport } from '../utils/imports.js';
import { enclosingListenerEvent, isBorrow, isRequestProperty } from '../utils/lifecycles.js';
import { skipTypeWrappers, valueOrigin } from '../utils/origins.js';
import { typeInfo, type TypeInfo } from '../utils/type-info.js';
import { someNode, walk } from '../utils/walk.js';

export type Options = [
  {
    /** Accept only `finally` and `using`: report a release in `catch` plus one after the `try`. */
    strict?: boolean;
  },
];
export type MessageId =
  | 'neverReleased'
  | 'notInFinally'
  | 'neverEnded'
  | 'endNotInFinally'
  | 'transactionNotEnded'
  | 'callbackPathWithoutRelease'
  | 'requestLifecycle'
  | 'moveToFinally';

/** Methods that check a connection out of a pool or a data source (`createQueryRunner`). */
const CHECKOUT_METHODS = new Set(CHECKOUTS.map((checkout) => checkout.method));
/** Methods that take a permit or a lock. */
const ACQUIRE_METHODS = new Set(['acquire', 'tryAcquire']);
/** Names people give semaphores and locks: `sem`, `dbSemaphore`, `this.mutex`. */
const SEMAPHORE_NAME = /(?:sem|sema|semaphore|mutex|lock)$/i;
const EXITS = new Set<string>([
  AST_NODE_TYPES.ReturnStatement,
  AST_NODE_TYPES.ThrowStatement,
  AST_NODE_TYPES.BreakStatement,
  AST_NODE_TYPES.ContinueStatement,
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
  /** A checkout, a permit, or a connection of its own (`new Client()`), ended rather than released. */
  readonly kind: 'checkout' | 'permit' | 'client';
  /** Where a checkout is kept for the request: `req.db = await pool.connect()`. */
  readonly heldOn?: string;
  /** What gives a checkout back, from the catalog: `release`; `commit` / `rollback` for a transaction. */
  readonly releases?: readonly string[];
}

/** The methods that give an acquisition back. */
const releaseMethods = (acquired: Acquisition): readonly string[] =>
  acquired.kind === 'client' ? ['end', 'destroy', 'quit'] : (acquired.releases ?? ['release']);

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
      neverEnded: '{{name}} from `{{acquire}}` is never ended, so every call leaves a connection open; end it in a `finally` block.',
      callbackPathWithoutRelease:
        '`{{client}}` from `{{acquire}}` is not released on the path that calls `{{exit}}` (line {{line}}): every call back to the caller needs `{{release}}` beside it; or use `await {{acquire}}` with `try … finally`.',
      transactionNotEnded:
        '{{name}} from `{{acquire}}` holds a pooled connection until `commit()` or `rollback()`, and an error or early return before `{{release}}` skips both; roll it back in a `catch` that rethrows, or pass a handler (`{{callee}}(async (trx) => …)`), which commits or rolls back itself.',
      endNotInFinally:
        '{{name}} from `{{acquire}}` is ended only on some paths (an exception or early return skips `{{release}}`); end it in a `finally` block.',
      requestLifecycle:
        "{{name}} from `{{acquire}}` is kept for the request ({{holder}}) and released {{when}}; an aborted request never emits `finish`: release it when the response closes (`res.on('close', …)`).",
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
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const strict = options.strict === true;
    const types = typeInfo(context);
    const sourceCode = context.sourceCode;
    const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);

    /** The acquisition `call` makes, when its result must be given back. */
    // eslint-disable-next-line max-lines-per-function -- one decision over every checkout form of the catalog (pools, ORMs, semaphores), each a few lines
    function acquisition(call: TSESTree.CallExpression): Acquisition | undefined {
      const callee = skipTypeWrappers(call.callee);
      if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
        return undefined;
      const method = callee.property.name;
      const checkout = CHECKOUT_METHODS.has(method);
      const entry = CHECKOUTS.find((known) => known.method === method);
      const sync = entry?.sync === true;
      if (!checkout && !ACQUIRE_METHODS.has(method)) return undefined;
      // Callback style (pool.connect((err, client, done) => …), lock.acquire(key, fn)) manages itself.
      if (call.arguments.some((argument) => isFunction(argument))) return undefined;
      const scope = scopeOf(call);
      const object = callee.object;
      // A MongoClient's connect() opens the client itself: nothing is checked out.
      const checksOutHere = checkout ? checksOut(object, method, scope, types) : undefined;
      if (checkout && (checksOutHere === false || (entry?.traced === true && checksOutHere !== true))) return undefined;
      const releases = entry?.release;
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
      } else if (
        parent?.type === AST_NODE_TYPES.AssignmentExpression &&
        parent.right === value &&
        parent.left.type === AST_NODE_TYPES.Identifier
      ) {
        variable = ASTUtils.findVariable(scope, parent.left.name) ?? undefined;
        statement = parent.parent;
      } else if (
        parent?.type === AST_NODE_TYPES.AssignmentExpression &&
        parent.right === value &&
        checkout &&
        isRequestProperty(parent.left)
      ) {
        // req.db = await pool.connect(): kept for the request.
        if (!isPool(object, scope, types)) return undefined;
        const heldOn = sourceCode.getText(parent.left);
        return {
          call,
          statement: parent.parent,
          variable: undefined,
          name: `\`${heldOn}\``,
          dropped: false,
          awaited: true,
          kind: 'checkout',
          heldOn,
        };
      } else if (parent?.type === AST_NODE_TYPES.ExpressionStatement && value !== call) {
        statement = parent;
      } else {
        return undefined; // returned, passed on, chained: someone else owns it
      }
      // With types: does the result (or, for `await sema.acquire()`, the semaphore) have a release?
      const resultReleases = types === undefined ? undefined : hasRelease(types, call);
      const selfReleases = types === undefined || variable !== undefined ? undefined : hasRelease(types, object);
      if (types !== undefined && resultReleases !== true && selfReleases !== true && (resultReleases === false || selfReleases === false))
        return undefined;
      if (resultReleases === undefined && selfReleases === undefined) {
        const known = sync
          ? isDataSource(object, scope)
          : isPool(object, scope, types) || (!checkout && (isSemaphore(object, scope) || SEMAPHORE_NAME.test(calleeText(object) ?? '')));
        if (!known) return undefined;
      }
      const kind = checkout ? 'checkout' : 'permit';
      if (variable !== undefined)
        return { call, statement, variable, name: `\`${variable.name}\``, dropped: false, awaited: value !== call || sync, kind, releases };
      if (checkout || (resultReleases === true && selfReleases !== true)) {
        return {
          call,
          statement,
          variable: undefined,
          name: checkout ? 'The client' : 'The permit',
          dropped: true,
          awaited: true,
          kind,
          releases,
        };
      }
      return { call, statement, variable: undefined, name: `\`${sourceCode.getText(object)}\``, dropped: false, awaited: true, kind };
    }

    /** True when `node` holds an ORM data source (TypeORM's `DataSource`): built here, or named like one. */
    function isDataSource(node: TSESTree.Node, scope: Scope.Scope): boolean {
      const origin = valueOrigin(node, scope);
      if (origin?.type === AST_NODE_TYPES.NewExpression && connectionFactory(origin, scope, types)?.name === 'typeorm') return true;
      return DATA_SOURCE_NAME.test(calleeText(skipTypeWrappers(node)) ?? '');
    }

    /** `const client = new Client()` in a function: a connection of its own, to be ended on every path. */
    function clientAcquisition(node: TSESTree.NewExpression | TSESTree.CallExpression): Acquisition | undefined {
      const factory = connectionFactory(node, scopeOf(node), types);
      if (factory === undefined || factory.pool || (factory.library !== 'pg' && factory.library !== 'mysql')) return undefined;
      if (enclosingFunction(node) === undefined) return undefined;
      let value: TSESTree.Node = node;
      if (value.parent?.type === AST_NODE_TYPES.AwaitExpression) value = value.parent;
      const declarator = value.parent;
      if (
        declarator?.type !== AST_NODE_TYPES.VariableDeclarator ||
        declarator.init !== value ||
        declarator.id.type !== AST_NODE_TYPES.Identifier
      )
        return undefined;
      if (declarator.parent.kind === 'using' || declarator.parent.kind === 'await using') return undefined;
      const variable = ASTUtils.findVariable(scopeOf(node), declarator.id.name) ?? undefined;
      return variable === undefined
        ? undefined
        : {
            call: node as TSESTree.CallExpression,
            statement: declarator.parent,
            variable,
            name: `\`${variable.name}\``,
            dropped: false,
            awaited: true,
            kind: 'client',
          };
    }

    interface Releases {
      readonly calls: TSESTree.CallExpression[];
      /** Kept for the request: `req.db = client`. */
      heldOn?: string;
      /** Every use is a test (`if (!acquired) return`): the acquire returned a status, not a permit. */
      status: boolean;
    }

    /** The release calls of an acquisition, or 'escapes' when the value is handed to someone else. */
    function releasesOf(acquired: Acquisition, fn: TSESTree.Node): Releases | 'escapes' {
      const releases: TSESTree.CallExpression[] = [];
      const found: Releases = { calls: releases, heldOn: acquired.heldOn, status: false };
      if (acquired.variable === undefined) {
        const object = (skipTypeWrappers(acquired.call.callee) as TSESTree.MemberExpression).object;
        const text = `${acquired.heldOn ?? sourceCode.getText(object)}.release`;
        walk(
          fn,
          sourceCode.visitorKeys,
          (node) => {
            if (node.type === AST_NODE_TYPES.CallExpression && sourceCode.getText(skipTypeWrappers(node.callee)) === text)
              releases.push(node);
          },
          true,
        );
        return found;
      }
      let tests = 0;
      let uses = 0;
      for (const reference of acquired.variable.references) {
        if (reference.isWrite()) continue;
        uses++;
        const id = reference.identifier;
        const parent = id.parent;
        if (parent.type === AST_NODE_TYPES.MemberExpression && parent.object === id) {
          const call = parent.parent;
          if (
            releaseMethods(acquired).includes(methodName(parent) ?? '') &&
            call?.type === AST_NODE_TYPES.CallExpression &&
            call.callee === parent
          ) {
            releases.push(call);
          }
          continue;
        }
        if (parent.type === AST_NODE_TYPES.CallExpression && parent.callee === id) {
          // async-mutex: const release = await mutex.acquire(); a Knex transaction is called to build a query: trx('users').
          if (acquired.releases?.includes('rollback') !== true) releases.push(parent);
          continue;
        }
        // req.db = client: kept for the request, whose end must release it.
        if (parent.type === AST_NODE_TYPES.AssignmentExpression && parent.right === id && isRequestProperty(parent.left)) {
          found.heldOn = sourceCode.getText(parent.left);
          continue;
        }
        // genericPool.release(browser): the pool takes it back.
        if (
          parent.type === AST_NODE_TYPES.CallExpression &&
          parent.arguments[0] === id &&
          ['release', 'destroy'].includes(methodName(parent.callee) ?? '')
        ) {
          releases.push(parent);
          continue;
        }
        // Model.update(values, { transaction: t }): the query runs in the transaction, which stays this function's.
        if (
          parent.type === AST_NODE_TYPES.Property &&
          parent.value === id &&
          !parent.computed &&
          parent.key.type === AST_NODE_TYPES.Identifier &&
          parent.key.name === 'transaction'
        )
          continue;
        // runMigrations(client): the helper borrows the client; this function still owns it.
        if (parent.type === AST_NODE_TYPES.CallExpression && parent.arguments.includes(id as TSESTree.Identifier) && isBorrow(parent))
          continue;
        const isTest =
          (parent.type === AST_NODE_TYPES.UnaryExpression && parent.operator === '!') ||
          parent.type === AST_NODE_TYPES.BinaryExpression ||
          (parent.type === AST_NODE_TYPES.LogicalExpression && parent.left === id) ||
          ((parent.type === AST_NODE_TYPES.IfStatement || parent.type === AST_NODE_TYPES.ConditionalExpression) && parent.test === id);
        if (!isTest) return 'escapes';
        tests++;
      }
      found.status = acquired.kind === 'permit' && uses > 0 && tests === uses;
      return found;
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
    const inNestedFunction = (node: TSESTree.Node, fn: TSESTree.Node): boolean =>
      enclosingFunction(node) !== (fn.type === AST_NODE_TYPES.Program ? undefined : fn);
    const statementOf = (call: TSESTree.Node): TSESTree.Node | undefined => {
      let value = call;
      while (value.parent?.type === AST_NODE_TYPES.ChainExpression || value.parent?.type === AST_NODE_TYPES.AwaitExpression)
        value = value.parent;
      return value.parent?.type === AST_NODE_TYPES.ExpressionStatement ? value.parent : undefined;
    };
    const hasExit = (node: TSESTree.Node): boolean =>
      EXITS.has(node.type) || someNode(node, sourceCode.visitorKeys, (part) => EXITS.has(part.type));

    /**
     * `try { …; release() } catch { release(); throw }` (or the release right after the try):
     * every path releases, though not in `finally`. Accepted unless strict.
     */
    function releasedInCatchAndAfter(releases: readonly TSESTree.CallExpression[]): boolean {
      for (const release of releases) {
        // `client.release()` or `await trx.rollback(error)` as a statement of the catch block.
        const clause = statementOf(release)?.parent?.parent;
        if (clause?.type !== AST_NODE_TYPES.CatchClause || clause.body !== statementOf(release)?.parent) continue;
        const tryStatement = clause.parent;
        for (const other of releases) {
          const statement = statementOf(other);
          if (statement === undefined) continue;
          const body = tryStatement.block.body;
          if (body.at(-1) === statement && !body.slice(0, -1).some(hasExit)) return true;
          const outer = tryStatement.parent;
          const siblings: readonly TSESTree.Node[] =
            outer?.type === AST_NODE_TYPES.BlockStatement || outer?.type === AST_NODE_TYPES.Program ? outer.body : [];
          if (siblings[siblings.indexOf(tryStatement) + 1] === statement && !body.some(hasExit)) return true;
        }
      }
      return false;
    }

    /** The suggestion for `acquire; …; release(); …`, when all of it sits in one block. */
    function wrapInTry(acquired: Acquisition, release: TSESTree.CallExpression) {
      const block = acquired.statement.parent;
      const releaseStatement = statementOf(release);
      if ((block?.type !== AST_NODE_TYPES.BlockStatement && block?.type !== AST_NODE_TYPES.Program) || releaseStatement?.parent !== block)
        return undefined;
      const body: readonly TSESTree.Node[] = block.body;
      const from = body.indexOf(acquired.statement);
      const at = body.indexOf(releaseStatement);
      if (from < 0 || at <= from + 1) return undefined;
      const after = body.slice(at + 1);
      // Moving later statements into the try must not hold the client across more waiting.
      if (after.some((statement) => someNode(statement, sourceCode.visitorKeys, (part) => part.type === AST_NODE_TYPES.AwaitExpression)))
        return undefined;
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
          if (char === '\n' && sourceCode.text[offset + 1] !== '\n' && !templates.some(([open, close]) => offset > open && offset < close))
            out += unit;
        }
        return out;
      };
      const inner = (
        indentRange(first.range[0], releaseStart) + (after.length > 0 ? indentRange(releaseEnd, last.range[1]) : '')
      ).trimEnd();
      const releaseText = sourceCode.getText(releaseStatement);
      const replacement = `\n${indent}try {\n${indent}${unit}${inner}\n${indent}} finally {\n${indent}${unit}${releaseText}\n${indent}}`;
      return (fixer: RuleFixer): RuleFix => fixer.replaceTextRange([acquired.statement.range[1], last.range[1]], replacement);
    }

    function check(node: TSESTree.CallExpression | TSESTree.NewExpression, acquired: Acquisition): void {
      const fn = enclosingFunction(node) ?? sourceCode.ast;
      const callee = calleeText(skipTypeWrappers(node.callee)) ?? 'acquire';
      const acquire = node.type === AST_NODE_TYPES.NewExpression ? `new ${callee}()` : `${callee}()`;
      const ended = acquired.kind === 'client';
      if (acquired.dropped) {
        context.report({ node, messageId: 'neverReleased', data: { name: acquired.name, acquire }, suggest: [] });
        return;
      }
      const found = releasesOf(acquired, fn);
      if (found === 'escapes' || found.status) return;
      const releases = found.calls;
      if (releases.some((release) => coversEveryPath(release, fn))) return;
      // Held for the request, or released when the response finishes: `close` is the event every
      // response emits, aborted or not; `finish` only the ones that were sent whole.
      const events = releases.map((release) => enclosingListenerEvent(release, fn, scopeOf));
      if (events.includes('close')) return;
      if (found.heldOn !== undefined || events.includes('finish')) {
        const holder = found.heldOn === undefined ? 'until the response finishes' : `\`${found.heldOn}\``;
        const when = events.includes('finish') ? 'only on `finish`' : 'nowhere in this function';
        context.report({ node, messageId: 'requestLifecycle', data: { name: acquired.name, acquire, holder, when }, suggest: [] });
        return;
      }
      // A release in another callback hands the client over; one in `.then(…)` runs on success only.
      if (releases.some((release) => inNestedFunction(release, fn) && !coversEveryPath(release, fn) && !inThen(release))) return;
      if (releases.length === 0) {
        context.report({ node, messageId: ended ? 'neverEnded' : 'neverReleased', data: { name: acquired.name, acquire }, suggest: [] });
        return;
      }
      const first = releases[0]!;
      const statement = statementOf(first);
      // Released before anything can throw: `const c = await pool.connect(); c.release();`.
      const block = acquired.statement.parent;
      if (
        statement !== undefined &&
        statement.parent === block &&
        (block?.type === AST_NODE_TYPES.BlockStatement || block?.type === AST_NODE_TYPES.Program)
      ) {
        const siblings: readonly TSESTree.Node[] = block.body;
        if (siblings.indexOf(statement) === siblings.indexOf(acquired.statement) + 1) return;
      }
      if (!strict && releasedInCatchAndAfter(releases)) return;
      const release = sourceCode.getText(first);
      if (acquired.releases?.includes('rollback') === true) {
        // A transaction: committing in `finally` would commit on the error path, so no rewrite.
        context.report({ node, messageId: 'transactionNotEnded', data: { name: acquired.name, acquire, release, callee }, suggest: [] });
        return;
      }
      const fix = releases.length === 1 && acquired.awaited ? wrapInTry(acquired, first) : undefined;
      context.report({
        node,
        messageId: ended ? 'endNotInFinally' : 'notInFinally',
        data: { name: acquired.name, acquire, release },
        suggest: fix === undefined ? [] : [{ messageId: 'moveToFinally', data: { acquire, release }, fix }],
      });
    }

    /** The statement list `node`'s statement sits in: a block's body, or the lone statement of an `if` branch. */
    function siblingsOf(node: TSESTree.Node): readonly TSESTree.Node[] {
      let statement: TSESTree.Node = node;
      while (statement.parent !== undefined && !/Statement$|Declaration$/.test(statement.type)) statement = statement.parent;
      const parent = statement.parent;
      return parent?.type === AST_NODE_TYPES.BlockStatement || parent?.type === AST_NODE_TYPES.Program ? parent.body : [statement];
    }

    /**
     * Callback style, `pool.connect((err, client, release) => …)` inside a function that hands
     * its result back through a callback parameter (`done(err)`): every call of that parameter
     * after the checkout succeeded must have a release beside it (in the same statement list).
     * The branch on the checkout's own error (`if (err) return done(err)`) holds no client.
     */
    function checkCallbackCheckout(call: TSESTree.CallExpression): void {
      const method = methodName(call.callee);
      const entry = CHECKOUTS.find((known) => known.method === method);
      const callback = call.arguments.at(-1);
      if (entry === undefined || entry.from !== 'pool' || entry.traced === true || callback === undefined || !isFunction(callback)) return;
      const object = (skipTypeWrappers(call.callee) as TSESTree.MemberExpression).object;
      const scope = scopeOf(call);
      if (!isPool(object, scope, types) || checksOut(object, method!, scope, types) === false) return;
      const [errParam, clientParam, releaseParam] = callback.params;
      if (errParam?.type !== AST_NODE_TYPES.Identifier || clientParam?.type !== AST_NODE_TYPES.Identifier) return;
      const outer = enclosingFunction(call);
      if (outer === undefined) return;
      const handBacks = new Set(
        outer.params.filter((param): param is TSESTree.Identifier => param.type === AST_NODE_TYPES.Identifier).map((param) => param.name),
      );
      const isOuterParam = (node: TSESTree.Node): node is TSESTree.Identifier =>
        node.type === AST_NODE_TYPES.Identifier &&
        handBacks.has(node.name) &&
        ASTUtils.findVariable(scopeOf(node), node.name)?.defs[0]?.node === outer;
      const releaseText = (release: TSESTree.Node): boolean => {
        const text = sourceCode.getText(skipTypeWrappers(release));
        return (releaseParam?.type === AST_NODE_TYPES.Identifier && text === releaseParam.name) || text === `${clientParam.name}.release`;
      };
      /** `release();` as a statement of its own (one inside a branch runs on that branch only). */
      const releases = (statement: TSESTree.Node): boolean => {
        if (statement.type !== AST_NODE_TYPES.ExpressionStatement) return false;
        let expression = skipTypeWrappers(statement.expression);
        if (expression.type === AST_NODE_TYPES.AwaitExpression) expression = skipTypeWrappers(expression.argument);
        return expression.type === AST_NODE_TYPES.CallExpression && releaseText(expression.callee);
      };
      /** In the branch taken when the checkout itself failed: `if (err) …` on the callback's first parameter. */
      const checkoutFailed = (node: TSESTree.Node): boolean => {
        for (let current: TSESTree.Node | undefined = node; current !== undefined && current !== callback; current = current.parent) {
          const parent: TSESTree.Node | undefined = current.parent;
          if (
            parent?.type === AST_NODE_TYPES.IfStatement &&
            parent.consequent === current &&
            parent.test.type === AST_NODE_TYPES.Identifier &&
            ASTUtils.findVariable(scopeOf(parent.test), parent.test.name)?.defs[0]?.name === errParam
          )
            return true;
        }
        return false;
      };
      /** A release in a statement before the one `node` sits in, in an enclosing block of the callback: `release(); if (err) return done(err)`. */
      const releasedEarlier = (node: TSESTree.Node): boolean => {
        for (let current: TSESTree.Node = node; current !== callback && current.parent !== undefined; current = current.parent) {
          const parent: TSESTree.Node = current.parent;
          if (
            parent.type === AST_NODE_TYPES.BlockStatement &&
            parent.body.slice(0, parent.body.indexOf(current as TSESTree.Statement)).some(releases)
          )
            return true;
        }
        return false;
      };
      let missing: TSESTree.CallExpression | undefined;
      walk(
        callback.body,
        sourceCode.visitorKeys,
        (part) => {
          if (missing !== undefined) return false;
          if (part.type !== AST_NODE_TYPES.CallExpression || !isOuterParam(part.callee) || checkoutFailed(part)) return true;
          if (!siblingsOf(part).some(releases) && !releasedEarlier(part)) missing = part;
          return true;
        },
        true,
      );
      if (missing === undefined) return;
      const callee = calleeText(skipTypeWrappers(call.callee)) ?? 'connect';
      const release = releaseParam?.type === AST_NODE_TYPES.Identifier ? `${releaseParam.name}()` : `${clientParam.name}.release()`;
      context.report({
        node: call,
        messageId: 'callbackPathWithoutRelease',
        data: {
          client: clientParam.name,
          acquire: `${callee}()`,
          exit: sourceCode.getText(missing.callee),
          line: missing.loc.start.line,
          release,
        },
      });
    }

    return {
      CallExpression(node) {
        checkCallbackCheckout(node);
        const acquired = acquisition(node) ?? clientAcquisition(node);
        if (acquired !== undefined) check(node, acquired);
      },
      NewExpression(node) {
        const acquired = clientAcquisition(node);
        if (acquired !== undefined) check(node, acquired);
      },
    };
  },
});
