import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope } from '@typescript-eslint/utils/ts-eslint';
import { PROMISE_TWINS, PROMISE_TWIN_MODULES } from '@bounded/policy';
import { createRule } from '../utils/create-rule.js';
import { enclosingFunction, isFunction } from '../utils/functions.js';
import { normalizeModule, resolveImport } from '../utils/imports.js';
import { addRuntimeImport, isNameTaken } from '../utils/runtime-imports.js';
import { isSetTimeoutCall, isTimerCleared, timerPromise, timerPromiseOfCall, type TimerPromise } from '../utils/timers.js';
import { typeInfo } from '../utils/type-info.js';

export type Options = [
  {
    /** Also report callback fs in plain functions, and a timer that aborts anything with an `abort()` method. */
    strict?: boolean;
  },
];
export type MessageId =
  | 'raceTimeout'
  | 'abortTimer'
  | 'sleep'
  | 'promisify'
  | 'callbackFs'
  | 'useWithTimeout'
  | 'useTimersPromises'
  | 'useFsPromises';

const TIMERS_PROMISES = ['timers/promises'];

/** The `fs` export `node` stands for, when it has a promise twin. */
function fsTwin(node: TSESTree.Node, scope: Scope.Scope): string | undefined {
  const binding = resolveImport(node, scope);
  if (binding === undefined || !PROMISE_TWIN_MODULES.includes(binding.module)) return undefined;
  return PROMISE_TWINS.some((twin) => twin.name === binding.imported) ? binding.imported : undefined;
}

export default createRule<Options, MessageId>({
  name: 'no-handmade-timeout',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow timeouts and delays written by hand (a setTimeout raced against work, a timer that aborts and is never cleared) and callback-era fs in async code',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      raceTimeout:
        'Racing the work against a `setTimeout` promise leaves the timer running after the race and the work running after the timeout; use withTimeout((signal) => work(signal), {{ms}}), which aborts the work and clears its timer.',
      abortTimer:
        "The timer that aborts `{{controller}}` is never cleared, so it outlives the work it bounds; use AbortSignal.timeout({{ms}}) (with AbortSignal.any([signal, AbortSignal.timeout({{ms}})]) to keep a caller's signal).",
      sleep: "A hand-made sleep cannot be cancelled; use `setTimeout({{ms}}, undefined, { signal })` from 'node:timers/promises'.",
      promisify: '`{{call}}` rebuilds what fs/promises already has; use `{{replacement}}`.',
      callbackFs: 'Callback `{{call}}` inside an async function escapes its await and its try/catch; use `await {{replacement}}(…)`.',
      useWithTimeout: 'Replace with `withTimeout(() => …, {{ms}})` (the work is not aborted until it takes the signal).',
      useTimersPromises: "Replace with `{{name}}({{ms}})` from 'node:timers/promises'.",
      useFsPromises: 'Replace with `{{replacement}}`.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          strict: {
            type: 'boolean',
            description:
              'Also report callback fs calls in plain functions (not only async ones), and a never-cleared timer that calls `abort()` on anything, not only on a known AbortController.',
          },
        },
      },
    ],
    defaultOptions: [{ strict: false }],
  },
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const strict = options.strict === true;
    const sourceCode = context.sourceCode;
    const types = typeInfo(context);
    /** Timer promises already reported as part of a race. */
    const raced = new Set<TSESTree.Node>();

    const text = (node: TSESTree.Node): string => sourceCode.getText(node);
    const msOf = (timer: TSESTree.CallExpression): string => (timer.arguments[1] === undefined ? '0' : text(timer.arguments[1]));

    function checkRace(node: TSESTree.CallExpression, scope: Scope.Scope): void {
      const list = node.arguments[0];
      if (list?.type !== AST_NODE_TYPES.ArrayExpression || node.arguments.length !== 1) return;
      let found: TimerPromise | undefined;
      for (const element of list.elements) {
        if (element == null) continue;
        const timed = timerPromise(element, scope) ?? timerPromiseOfCall(element, scope);
        if (timed === undefined || isTimerCleared(timed.timer, sourceCode)) continue;
        found = timed;
        raced.add(timed.promise);
      }
      if (found === undefined) return;
      const ms = raceMs(found);
      const work = list.elements.filter(
        (element) => element != null && !raced.has(element) && timerPromiseOfCall(element, scope) === undefined,
      );
      // withTimeout throws where the timer rejected; a timer that resolves with a fallback is another behaviour.
      const suggestable =
        found.outcome === 'reject' &&
        list.elements.length === 2 &&
        work.length === 1 &&
        work[0]!.type !== AST_NODE_TYPES.SpreadElement &&
        ms !== undefined &&
        !isNameTaken(scope, 'withTimeout');
      context.report({
        node,
        messageId: 'raceTimeout',
        data: { ms: ms ?? 'ms' },
        ...(suggestable && {
          suggest: [
            {
              messageId: 'useWithTimeout',
              data: { ms: ms },
              fix: (fixer: RuleFixer): RuleFix[] => [
                fixer.replaceText(node, `withTimeout(() => ${text(work[0]!)}, ${ms})`),
                ...addRuntimeImport(fixer, sourceCode, 'withTimeout'),
              ],
            },
          ],
        }),
      });
    }

    /**
     * The race's deadline as code at the race: the timer's delay, or, through a helper
     * (`timeout(3000)`), the argument given for the helper's parameter. Undefined when unknown.
     */
    function raceMs(timed: TimerPromise): string | undefined {
      const delay = timed.timer.arguments[1];
      if (delay === undefined || delay.type === AST_NODE_TYPES.SpreadElement) return undefined;
      if (timed.via === undefined) return text(delay);
      if (delay.type === AST_NODE_TYPES.Literal) return text(delay);
      if (delay.type !== AST_NODE_TYPES.Identifier) return undefined;
      const argument = timed.via.call.arguments[timed.via.params.indexOf(delay.name)];
      return timed.via.params.includes(delay.name) && argument !== undefined && argument.type !== AST_NODE_TYPES.SpreadElement
        ? text(argument)
        : undefined;
    }

    /** `setTimeout(() => controller.abort(), ms)` on an AbortController, never cleared. */
    function checkAbortTimer(node: TSESTree.CallExpression, scope: Scope.Scope): void {
      const callback = node.arguments[0];
      let aborted: TSESTree.Node | undefined;
      if (callback !== undefined && isFunction(callback)) {
        const body = callback.body;
        const only =
          body.type === AST_NODE_TYPES.BlockStatement
            ? body.body.length === 1 && body.body[0]!.type === AST_NODE_TYPES.ExpressionStatement
              ? body.body[0].expression
              : undefined
            : body;
        if (
          only?.type === AST_NODE_TYPES.CallExpression &&
          only.callee.type === AST_NODE_TYPES.MemberExpression &&
          !only.callee.computed &&
          only.callee.property.name === 'abort'
        ) {
          aborted = only.callee.object;
        }
      } else if (
        // setTimeout(controller.abort.bind(controller), ms)
        callback?.type === AST_NODE_TYPES.CallExpression &&
        callback.callee.type === AST_NODE_TYPES.MemberExpression &&
        !callback.callee.computed &&
        callback.callee.property.name === 'bind' &&
        callback.callee.object.type === AST_NODE_TYPES.MemberExpression &&
        !callback.callee.object.computed &&
        callback.callee.object.property.name === 'abort'
      ) {
        aborted = callback.callee.object.object;
      }
      if (aborted === undefined || !isAbortController(aborted, scope)) return;
      if (isTimerCleared(node, sourceCode)) return;
      context.report({ node, messageId: 'abortTimer', data: { controller: text(aborted), ms: msOf(node) } });
    }

    function isAbortController(node: TSESTree.Node, scope: Scope.Scope): boolean {
      if (strict) return true;
      if (types !== undefined) return types.typeName(node) === 'AbortController';
      if (node.type !== AST_NODE_TYPES.Identifier) return false;
      const definition = ASTUtils.findVariable(scope, node.name)?.defs[0];
      const init = definition?.node.type === AST_NODE_TYPES.VariableDeclarator ? definition.node.init : undefined;
      return (
        init?.type === AST_NODE_TYPES.NewExpression &&
        init.callee.type === AST_NODE_TYPES.Identifier &&
        init.callee.name === 'AbortController'
      );
    }

    function checkSleep(node: TSESTree.NewExpression, scope: Scope.Scope): void {
      if (raced.has(node)) return;
      const timed = timerPromise(node, scope);
      if (timed === undefined || timed.outcome !== 'resolve' || !timed.only || isTimerCleared(timed.timer, sourceCode)) return;
      // Inside a race the race is what to fix (and it reports).
      if (node.parent.type === AST_NODE_TYPES.ArrayExpression && isRace(node.parent.parent)) return;
      const ms = msOf(timed.timer);
      const name = timersPromisesName(scope);
      const value = timed.value;
      const suggestable =
        name !== undefined &&
        timed.timer.arguments.length <= 2 &&
        timed.timer.arguments[1] !== undefined &&
        (value === undefined || !isFunction(value));
      context.report({
        node,
        messageId: 'sleep',
        data: { ms },
        ...(suggestable && {
          suggest: [
            {
              messageId: 'useTimersPromises',
              data: { ms, name: name.local },
              fix: (fixer: RuleFixer): RuleFix[] => [
                fixer.replaceText(node, `${name.local}(${ms}${value === undefined ? '' : `, ${text(value)}`})`),
                ...(name.imported ? [] : addTimersImport(fixer)),
              ],
            },
          ],
        }),
      });
    }

    /** The name `setTimeout` from timers/promises has (or would have) in the file, if a suggestion can use one. */
    function timersPromisesName(scope: Scope.Scope): { local: string; imported: boolean } | undefined {
      const program = sourceCode.ast;
      for (const statement of program.body) {
        if (statement.type !== AST_NODE_TYPES.ImportDeclaration || !TIMERS_PROMISES.includes(normalizeModule(statement.source.value)))
          continue;
        for (const specifier of statement.specifiers) {
          if (
            specifier.type === AST_NODE_TYPES.ImportSpecifier &&
            specifier.imported.type === AST_NODE_TYPES.Identifier &&
            specifier.imported.name === 'setTimeout' &&
            specifier.local.name !== 'setTimeout'
          ) {
            return { local: specifier.local.name, imported: true };
          }
        }
      }
      // Only an ES module can take the import the suggestion adds.
      if (!program.body.some((statement) => statement.type === AST_NODE_TYPES.ImportDeclaration)) return undefined;
      return ASTUtils.findVariable(scope, 'delay') === null ? { local: 'delay', imported: false } : undefined;
    }

    function addTimersImport(fixer: RuleFixer): RuleFix[] {
      const imports = sourceCode.ast.body.filter((statement) => statement.type === AST_NODE_TYPES.ImportDeclaration);
      return [fixer.insertTextAfter(imports.at(-1)!, "\nimport { setTimeout as delay } from 'node:timers/promises';")];
    }

    function checkPromisify(node: TSESTree.CallExpression, scope: Scope.Scope): void {
      const binding = resolveImport(node.callee, scope);
      if (binding?.module !== 'util' || binding.imported !== 'promisify' || node.arguments.length !== 1) return;
      const target = node.arguments[0]!;
      const name = fsTwin(target, scope);
      if (name === undefined) return;
      const object =
        target.type === AST_NODE_TYPES.MemberExpression && target.object.type === AST_NODE_TYPES.Identifier
          ? target.object.name
          : undefined;
      const replacement = object === undefined ? `fs.promises.${name}` : `${object}.promises.${name}`;
      context.report({
        node,
        messageId: 'promisify',
        data: { call: text(node), replacement },
        ...(object !== undefined && {
          suggest: [{ messageId: 'useFsPromises', data: { replacement }, fix: (fixer: RuleFixer) => fixer.replaceText(node, replacement) }],
        }),
      });
    }

    function checkCallbackFs(node: TSESTree.CallExpression, scope: Scope.Scope): void {
      const last = node.arguments.at(-1);
      if (last === undefined || !isFunction(last)) return;
      if (enclosingFunction(node)?.async !== true && !(strict && enclosingFunction(node) !== undefined)) return;
      const name = fsTwin(node.callee, scope);
      if (name === undefined) return;
      context.report({ node, messageId: 'callbackFs', data: { call: text(node.callee), replacement: `fs.promises.${name}` } });
    }

    return {
      CallExpression(node) {
        const scope = sourceCode.getScope(node);
        if (isRace(node)) checkRace(node, scope);
        else if (isSetTimeoutCall(node, scope)) checkAbortTimer(node, scope);
        else {
          checkPromisify(node, scope);
          checkCallbackFs(node, scope);
        }
      },
      'NewExpression:exit'(node: TSESTree.NewExpression) {
        checkSleep(node, sourceCode.getScope(node));
      },
    };
  },
});

function isRace(node: TSESTree.Node | undefined): node is TSESTree.CallExpression {
  return (
    node?.type === AST_NODE_TYPES.CallExpression &&
    node.callee.type === AST_NODE_TYPES.MemberExpression &&
    !node.callee.computed &&
    node.callee.object.type === AST_NODE_TYPES.Identifier &&
    node.callee.object.name === 'Promise' &&
    node.callee.property.name === 'race'
  );
}
