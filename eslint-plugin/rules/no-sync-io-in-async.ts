import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import { BLOCKING_CALLS, matchesBlockingName, parseBlockingCall } from '@bounded/policy';
import { createRule } from '../utils/create-rule.js';
import { calleeText, enclosingFunction, runsConcurrently, type FunctionNode } from '../utils/functions.js';
import { resolveImport } from '../utils/imports.js';
import { policyFor } from '../utils/policy.js';
import { someNode } from '../utils/walk.js';

export type Options = [
  {
    /** Calls to leave alone, as module.name ("fs.existsSync") or a global name. */
    allow?: string[];
    /** Extra calls to report, as module.name or a global name (added to the policy's lint.blockingCalls). */
    block?: string[];
  },
];
export type MessageId = 'blocking' | 'blockingHandler' | 'usePromises';

/** Array and collection methods that call their callback synchronously, before they return. */
const SYNC_CALLBACK_METHODS = new Set([
  'forEach',
  'map',
  'flatMap',
  'filter',
  'reduce',
  'reduceRight',
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
  'sort',
  'toSorted',
  'from',
]);

/**
 * The function whose turn a call runs in: the innermost function, or, when that is a
 * synchronous callback of an array method (`items.forEach((item) => …)`), the function that
 * calls the method. Undefined at module scope.
 */
function runningFunction(node: TSESTree.Node): FunctionNode | undefined {
  let fn = enclosingFunction(node);
  while (fn !== undefined && !fn.async && !fn.generator && isSyncCallback(fn)) fn = enclosingFunction(fn);
  return fn;
}

function isSyncCallback(fn: FunctionNode): boolean {
  const call = fn.parent;
  if (call?.type !== AST_NODE_TYPES.CallExpression || !call.arguments.includes(fn as TSESTree.CallExpressionArgument)) return false;
  const callee = call.callee;
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
    return false;
  return SYNC_CALLBACK_METHODS.has(callee.property.name);
}

export default createRule<Options, MessageId>({
  name: 'no-sync-io-in-async',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow blocking calls (fs.*Sync, child_process.*Sync, Atomics.wait) inside async functions and request handlers',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      blocking: '`{{call}}` blocks the event loop inside an async function, stalling every other request; use {{instead}}.',
      blockingHandler: '`{{call}}` blocks the event loop inside a request handler, stalling every other request; use {{instead}}.',
      usePromises: 'Replace with `await {{replacement}}(…)`.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          allow: {
            type: 'array',
            items: { type: 'string' },
            description: 'Calls to leave alone, as module.name ("fs.existsSync") or a global name.',
          },
          block: {
            type: 'array',
            items: { type: 'string' },
            description:
              'Extra calls to report, as module.name ("my-lib.loadSync") or a global name; added to the policy\'s lint.blockingCalls.',
          },
        },
      },
    ],
    defaultOptions: [{ allow: [], block: [] }],
  },
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const policy = policyFor(context);
    const allow = new Set(options.allow ?? []);
    const extra = [...(options.block ?? []), ...policy.lint.blockingCalls];
    const globals = new Set(extra);
    const catalog = [...BLOCKING_CALLS, ...extra.map(parseBlockingCall)];

    /** The blocking call's name ("fs.readFileSync") and a better alternative, or undefined. */
    function classify(
      callee: TSESTree.Expression,
      node: TSESTree.CallExpression,
    ): { call: string; instead: string; fsName?: string } | undefined {
      const text = calleeText(callee);
      const binding = resolveImport(callee, context.sourceCode.getScope(node));
      if (binding === undefined) {
        // A global (`Atomics.wait`) or a name the policy lists as written (`loadConfigSync`).
        if (text === undefined || allow.has(text)) return undefined;
        const entry = catalog.find((candidate) => candidate.module === undefined && candidate.name === text);
        if (entry !== undefined) return { call: text, instead: entry.instead };
        return globals.has(text) ? { call: text, instead: 'an asynchronous alternative' } : undefined;
      }
      const qualified =
        binding.imported === '*' || binding.imported === 'default' ? binding.module : `${binding.module}.${binding.imported}`;
      if (allow.has(qualified)) return undefined;
      const entry = catalog.find(
        (candidate) =>
          candidate.module === binding.module &&
          (candidate.name === '*' ||
            (binding.imported !== '*' && binding.imported !== 'default' && matchesBlockingName(candidate.name, binding.imported))),
      );
      if (entry === undefined) return undefined;
      return { call: text ?? qualified, instead: entry.instead, ...(entry.promises === undefined ? {} : { fsName: entry.promises }) };
    }

    const sourceCode = context.sourceCode;
    const inside = (node: TSESTree.Node, container: TSESTree.Node): boolean =>
      node.range[0] >= container.range[0] && node.range[1] <= container.range[1];

    /** True when `target` (`flag`, `this.key`, `cache.value`) lives outside `fn`: in the module or the instance. */
    function outlives(target: TSESTree.Node, fn: FunctionNode): boolean {
      let root = target;
      while (root.type === AST_NODE_TYPES.MemberExpression) root = root.object;
      if (root.type === AST_NODE_TYPES.ThisExpression) return true;
      if (root.type !== AST_NODE_TYPES.Identifier) return false;
      const definition = ASTUtils.findVariable(sourceCode.getScope(root), root.name)?.defs[0];
      return definition !== undefined && !inside(definition.name, fn);
    }

    /**
     * True when the call runs once per process, not per call: inside a lazy initialisation that
     * remembers its result outside the function (`cache ??= readFileSync(…)`, `if (!loaded) { …;
     * loaded = true }`, `if (this.key === undefined) this.key = readFileSync(…)`).
     */
    function onceOnly(node: TSESTree.Node, fn: FunctionNode): boolean {
      for (let current: TSESTree.Node = node; current.parent !== undefined && current !== fn; current = current.parent) {
        const parent: TSESTree.Node = current.parent;
        if (
          parent.type === AST_NODE_TYPES.AssignmentExpression &&
          parent.right === current &&
          (parent.operator === '??=' || parent.operator === '||=') &&
          outlives(parent.left, fn)
        ) {
          return true;
        }
        if (parent.type !== AST_NODE_TYPES.IfStatement || parent.consequent !== current) continue;
        const set = new Set<string>();
        someNode(parent.consequent, sourceCode.visitorKeys, (part) => {
          if (part.type === AST_NODE_TYPES.AssignmentExpression && outlives(part.left, fn)) set.add(sourceCode.getText(part.left));
          return false;
        });
        const tested = someNode(
          parent.test,
          sourceCode.visitorKeys,
          (part) =>
            (part.type === AST_NODE_TYPES.Identifier || part.type === AST_NODE_TYPES.MemberExpression) && set.has(sourceCode.getText(part)),
        );
        if (tested) return true;
      }
      return false;
    }

    return {
      CallExpression(node) {
        const fn = runningFunction(node);
        if (!runsConcurrently(fn)) return;
        if (onceOnly(node, fn!)) return;
        const inner = enclosingFunction(node)!;
        const callee = node.callee;
        if (callee.type !== AST_NODE_TYPES.Identifier && callee.type !== AST_NODE_TYPES.MemberExpression) return;
        const found = classify(callee, node);
        if (found === undefined) return;
        const handler = !fn!.async;
        // A member call on an fs module (fs.readFileSync) inside an async function can become
        // `await fs.promises.readFile(…)`: same arguments, same result.
        const suggestable =
          found.fsName !== undefined &&
          inner.async &&
          callee.type === AST_NODE_TYPES.MemberExpression &&
          callee.object.type === AST_NODE_TYPES.Identifier;
        context.report({
          node,
          messageId: handler ? 'blockingHandler' : 'blocking',
          data: { call: found.call, instead: found.instead },
          ...(suggestable && {
            suggest: [
              {
                messageId: 'usePromises',
                data: { replacement: `${(callee.object as TSESTree.Identifier).name}.promises.${found.fsName!}` },
                fix: (fixer) => {
                  const object = (callee.object as TSESTree.Identifier).name;
                  const replaced = fixer.replaceText(callee, `${object}.promises.${found.fsName!}`);
                  const needsParens = node.parent.type === AST_NODE_TYPES.MemberExpression && node.parent.object === node;
                  return needsParens
                    ? [replaced, fixer.insertTextBefore(node, '(await '), fixer.insertTextAfter(node, ')')]
                    : [replaced, fixer.insertTextBefore(node, 'await ')];
                },
              },
            ],
          }),
        });
      },
    };
  },
});
