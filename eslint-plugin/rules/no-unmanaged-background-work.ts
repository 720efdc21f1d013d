import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope } from '@typescript-eslint/utils/ts-eslint';
import { THREAD_STARTERS, WORKER_POOLS } from '@bounded/policy';
import { AsyncNames, isOnceHook, isRunnerCall, returnsPromise } from '../utils/background.js';
import { createRule } from '../utils/create-rule.js';
import { enclosingFunction, isFunction, runsConcurrently, type FunctionNode } from '../utils/functions.js';
import { normalizeModule, resolveImport } from '../utils/imports.js';
import { addRuntimeImport, isNameTaken } from '../utils/runtime-imports.js';
import { importedFact, projectIndexFor } from '../utils/project-index.js';
import { isTimerCleared } from '../utils/timers.js';
import { typeInfo } from '../utils/type-info.js';

export type Options = [
  {
    /** Calls that hand work to a tracked runner, as written ("jobs.enqueue", "track") or "*.method". */
    runners?: string[];
    /** Also report floating promises in plain functions, and workers or processes started by a helper of a per-call function. */
    strict?: boolean;
  },
];
export type MessageId =
  | 'floating'
  | 'perCallThread'
  | 'overlappingInterval'
  | 'intervalPerCall'
  | 'scheduledAsync'
  | 'useBackground'
  | 'addAwait'
  | 'useEvery';

/** `if (busy) return;` (or `if (!ready) return`) at the top of an interval's callback: runs do not overlap. */
function hasOverlapGuard(fn: FunctionNode): boolean {
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return false;
  const first = fn.body.body[0];
  if (first?.type !== AST_NODE_TYPES.IfStatement) return false;
  const exits = (statement: TSESTree.Statement): boolean =>
    statement.type === AST_NODE_TYPES.ReturnStatement ||
    (statement.type === AST_NODE_TYPES.BlockStatement &&
      statement.body.length === 1 &&
      statement.body[0]!.type === AST_NODE_TYPES.ReturnStatement);
  return exits(first.consequent);
}

function handles(call: TSESTree.CallExpression): boolean {
  const callee = call.callee;
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
    return false;
  const method = callee.property.name;
  return (method === 'catch' && call.arguments.length >= 1) || (method === 'then' && call.arguments.length >= 2);
}

/** The promise of a statement that leaves one floating: `work()`, `void work()`, `work().then(f)`. */
function floatingCall(expression: TSESTree.Expression): { call: TSESTree.CallExpression; voided: boolean } | undefined {
  let voided = false;
  let node: TSESTree.Expression = expression;
  if (node.type === AST_NODE_TYPES.UnaryExpression && node.operator === 'void') {
    voided = true;
    node = node.argument;
  }
  if (node.type !== AST_NODE_TYPES.CallExpression) return undefined;
  let call = node;
  // .then(ok) and .finally(f) keep the rejection unhandled; .catch(h) and .then(ok, h) handle it,
  // on a call's promise or on one held in a variable (`pending.catch(() => undefined)`).
  if (handles(call)) return undefined;
  while (
    call.callee.type === AST_NODE_TYPES.MemberExpression &&
    !call.callee.computed &&
    call.callee.object.type === AST_NODE_TYPES.CallExpression
  ) {
    const method = call.callee.property.name;
    if (method === 'catch' || (method === 'then' && call.arguments.length >= 2)) return undefined;
    if (method !== 'then' && method !== 'finally') break;
    call = call.callee.object;
  }
  return { call, voided };
}

export default createRule<Options, MessageId>({
  name: 'no-unmanaged-background-work',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow work nobody tracks: promises left floating in handlers, a worker or child process per call, intervals whose async runs overlap or that are never cleared',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      floating:
        '`{{call}}` runs unawaited and unhandled: its error vanishes, nothing bounds how many run, and shutdown cuts it off; await it, or hand it to a tracked runner (background(() => …) from @bounded/runtime).',
      perCallThread: '`{{call}}` starts a thread or process on every call with nothing bounding how many run; use {{instead}}.',
      overlappingInterval:
        'An async `setInterval` callback starts a new run every {{ms}} ms even while the last one runs, and nothing stops it at shutdown; use every({{ms}}, fn) from @bounded/runtime, whose runs never overlap.',
      scheduledAsync:
        'The async callback `{{call}}` schedules runs untracked, like a promise nobody awaits: its error vanishes, nothing bounds how many run, and shutdown cuts it off; hand it to a tracked runner (background(fn) from @bounded/runtime).',
      intervalPerCall:
        'This interval starts on every call and is never cleared, so one more runs forever after each call; keep its handle and clear it, or start it once.',
      useBackground: "Run it on bounded's background runner: `background(() => {{call}})`.",
      addAwait: 'Await it.',
      useEvery: 'Replace with `every({{ms}}, …)`.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          runners: {
            type: 'array',
            items: { type: 'string' },
            description:
              'Calls that hand work to a tracked runner, as written ("jobs.enqueue", "track") or "*.method" for a method on any object.',
          },
          strict: {
            type: 'boolean',
            description:
              'Also report floating promises in any function (not only async functions and request handlers), and a worker or process started by a helper that a per-call function calls.',
          },
        },
      },
    ],
    defaultOptions: [{ runners: [], strict: false }],
  },
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const sourceCode = context.sourceCode;
    const types = typeInfo(context);
    const runners = new Set(options.runners ?? []);
    const strict = options.strict === true;
    const names = new AsyncNames();
    // `bounded check`'s index: which imported functions of the project are async.
    const index = projectIndexFor(context);
    const importedAsync = (call: TSESTree.CallExpression): boolean =>
      index !== undefined &&
      importedFact(call, (node) => sourceCode.getScope(node), context.physicalFilename, index, undefined)?.async === true;
    const statements: TSESTree.ExpressionStatement[] = [];
    let pooled = false;

    const text = (node: TSESTree.Node): string => sourceCode.getText(node);

    /** The innermost function around `node` that runs per call (async or a request handler), if any. */
    function perCallFunction(node: TSESTree.Node): FunctionNode | undefined {
      for (let fn = enclosingFunction(node); fn !== undefined; fn = enclosingFunction(fn)) {
        if (isOnceHook(fn)) return undefined;
        if (runsConcurrently(fn)) return fn;
      }
      return undefined;
    }

    function checkFloating(statement: TSESTree.ExpressionStatement): void {
      const fn = enclosingFunction(statement);
      if (fn === undefined || (!strict && !runsPerCall(fn)) || (strict && isOnceHook(fn))) return;
      const found = floatingCall(statement.expression);
      if (found === undefined) return;
      const scope = sourceCode.getScope(statement);
      const { call } = found;
      if (isRunnerCall(call, scope, runners) || !(returnsPromise(call, scope, names, types) || importedAsync(call))) return;
      const callText = text(call);
      const whole = found.voided ? (statement.expression as TSESTree.UnaryExpression).argument : statement.expression;
      const suggest: { messageId: MessageId; data?: Record<string, string>; fix: (fixer: RuleFixer) => RuleFix[] }[] = [];
      if (!isNameTaken(scope, 'background')) {
        suggest.push({
          messageId: 'useBackground',
          data: { call: callText },
          fix: (fixer) => [
            fixer.replaceText(statement.expression, `background(() => ${text(whole)})`),
            ...addRuntimeImport(fixer, sourceCode, 'background'),
          ],
        });
      }
      if (fn.async)
        suggest.push({ messageId: 'addAwait', fix: (fixer) => [fixer.replaceText(statement.expression, `await ${text(whole)}`)] });
      context.report({ node: call, messageId: 'floating', data: { call: calleeLabel(call) }, suggest });
    }

    function calleeLabel(call: TSESTree.CallExpression): string {
      const callee = text(call.callee);
      return `${callee.length > 60 ? `${callee.slice(0, 57)}…` : callee}()`;
    }

    function checkThread(node: TSESTree.CallExpression | TSESTree.NewExpression, scope: Scope.Scope): void {
      // Written in the per-call function itself: a worker made by a helper of a pool (spawn a slot) is the pool's.
      if (pooled || (strict ? perCallFunction(node) === undefined : !runsPerCall(enclosingFunction(node)))) return;
      const binding = resolveImport(node.callee, scope);
      if (binding === undefined) return;
      const module = normalizeModule(binding.module);
      const construct = node.type === AST_NODE_TYPES.NewExpression;
      const starter = THREAD_STARTERS.find(
        (entry) => entry.module === module && entry.name === binding.imported && entry.construct === construct,
      );
      if (starter === undefined) return;
      context.report({ node, messageId: 'perCallThread', data: { call: text(node.callee), instead: starter.instead } });
    }

    function checkInterval(node: TSESTree.CallExpression, scope: Scope.Scope): void {
      const callee = node.callee;
      if (callee.type !== AST_NODE_TYPES.Identifier || callee.name !== 'setInterval') return;
      const variable = scope.set.get('setInterval') ?? findUp(scope, 'setInterval');
      if (variable !== undefined && variable.defs.length > 0) return;
      const callback = node.arguments[0];
      const ms = node.arguments[1] === undefined ? '0' : text(node.arguments[1]);
      const cleared = isTimerCleared(node, sourceCode);
      const asyncCallback = callback !== undefined && isFunction(callback) && callback.async && !hasOverlapGuard(callback);
      if (asyncCallback) {
        const statementOnly = node.parent.type === AST_NODE_TYPES.ExpressionStatement && node.arguments.length === 2;
        const suggestable = statementOnly && !isNameTaken(scope, 'every');
        context.report({
          node,
          messageId: 'overlappingInterval',
          data: { ms },
          ...(suggestable && {
            suggest: [
              {
                messageId: 'useEvery',
                data: { ms },
                fix: (fixer: RuleFixer): RuleFix[] => [
                  fixer.replaceText(node, `every(${ms}, ${text(callback)})`),
                  ...addRuntimeImport(fixer, sourceCode, 'every'),
                ],
              },
            ],
          }),
        });
        return;
      }
      if (!cleared && perCallFunction(node) !== undefined) context.report({ node, messageId: 'intervalPerCall' });
    }

    /** `setImmediate(async …)`, `setTimeout(async …, ms)`, `process.nextTick(async …)` in a per-call function. */
    function checkScheduled(node: TSESTree.CallExpression, scope: Scope.Scope): void {
      const callee = node.callee;
      let name: string | undefined;
      if (callee.type === AST_NODE_TYPES.Identifier && (callee.name === 'setImmediate' || callee.name === 'setTimeout')) {
        if ((findUp(scope, callee.name)?.defs.length ?? 0) > 0) return;
        name = callee.name;
      } else if (
        callee.type === AST_NODE_TYPES.MemberExpression &&
        !callee.computed &&
        callee.object.type === AST_NODE_TYPES.Identifier &&
        callee.object.name === 'process' &&
        callee.property.name === 'nextTick'
      ) {
        name = 'process.nextTick';
      }
      const callback = node.arguments[0];
      if (name === undefined || callback === undefined || !isFunction(callback) || !callback.async) return;
      if (!runsPerCall(enclosingFunction(node))) return;
      // A deferred start that background() would make immediate: only where nothing else is passed.
      const suggestable =
        name !== 'setTimeout' &&
        node.arguments.length === 1 &&
        node.parent.type === AST_NODE_TYPES.ExpressionStatement &&
        !isNameTaken(scope, 'background');
      context.report({
        node,
        messageId: 'scheduledAsync',
        data: { call: name },
        ...(suggestable && {
          suggest: [
            {
              messageId: 'useBackground',
              data: { call: '…' },
              fix: (fixer: RuleFixer): RuleFix[] => [
                fixer.replaceText(callee, 'background'),
                ...addRuntimeImport(fixer, sourceCode, 'background'),
              ],
            },
          ],
        }),
      });
    }

    return {
      ImportDeclaration(node) {
        if (WORKER_POOLS.includes(node.source.value)) pooled = true;
      },
      ':function'(node: FunctionNode) {
        names.note(node);
      },
      ExpressionStatement(node) {
        statements.push(node);
      },
      NewExpression(node) {
        checkThread(node, sourceCode.getScope(node));
      },
      CallExpression(node) {
        const scope = sourceCode.getScope(node);
        checkThread(node, scope);
        checkInterval(node, scope);
        checkScheduled(node, scope);
      },
      'Program:exit'() {
        // Every async function of the file is known now, wherever it was declared.
        for (const statement of statements) checkFloating(statement);
      },
    };
  },
});

/** Runs per call: async or a request handler, and not a start-up or shutdown hook that runs once (B-N3). */
function runsPerCall(fn: FunctionNode | undefined): boolean {
  return fn !== undefined && runsConcurrently(fn) && !isOnceHook(fn);
}

function findUp(scope: Scope.Scope, name: string): Scope.Variable | undefined {
  for (let current: Scope.Scope | null = scope; current !== null; current = current.upper) {
    const variable = current.set.get(name);
    if (variable !== undefined) return variable;
  }
  return undefined;
}
