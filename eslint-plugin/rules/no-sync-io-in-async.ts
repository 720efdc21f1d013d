import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { createRule } from '../utils/create-rule.js';
import { calleeText, enclosingFunction, runsConcurrently } from '../utils/functions.js';
import { resolveImport } from '../utils/imports.js';
import { policyFor } from '../utils/policy.js';

export type Options = [
  {
    /** Calls to leave alone, as module.name ("fs.existsSync") or a global name. */
    allow?: string[];
    /** Extra calls to report, as module.name or a global name (added to the policy's lint.blockingCalls). */
    block?: string[];
  },
];
export type MessageId = 'blocking' | 'blockingHandler' | 'usePromises';

/** Modules whose `*Sync` exports block the event loop. */
const SYNC_MODULES = new Set(['fs', 'child_process', 'zlib', 'crypto']);
/** Whole modules that are synchronous by design. */
const SYNC_PACKAGES = new Set(['sync-request', 'sync-fetch', 'deasync', 'child-process-promise/sync']);
/** fs.xSync → fs.promises.x, where the promise API has the same arguments. */
const FS_PROMISES = new Set([
  'readFile', 'writeFile', 'appendFile', 'readdir', 'stat', 'lstat', 'mkdir', 'rm', 'rmdir', 'unlink',
  'rename', 'copyFile', 'access', 'realpath', 'readlink', 'symlink', 'chmod', 'chown', 'truncate', 'utimes', 'mkdtemp', 'opendir', 'cp',
]);

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
      blocking:
        '`{{call}}` blocks the event loop inside an async function, stalling every other request; use {{instead}}.',
      blockingHandler:
        '`{{call}}` blocks the event loop inside a request handler, stalling every other request; use {{instead}}.',
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
            description: 'Extra calls to report, as module.name ("my-lib.loadSync") or a global name; added to the policy\'s lint.blockingCalls.',
          },
        },
      },
    ],
    defaultOptions: [{ allow: [], block: [] }],
  },
  create(context, [options]) {
    const policy = policyFor(context);
    const allow = new Set(options.allow ?? []);
    const block = new Set([...(options.block ?? []), ...policy.lint.blockingCalls]);

    /** The blocking call's name ("fs.readFileSync") and a better alternative, or undefined. */
    function classify(callee: TSESTree.Expression, node: TSESTree.CallExpression): { call: string; instead: string; fsName?: string } | undefined {
      const text = calleeText(callee);
      if (text === 'Atomics.wait') return allow.has(text) ? undefined : { call: text, instead: '`await Atomics.waitAsync(…).value`' };
      const binding = resolveImport(callee, context.sourceCode.getScope(node));
      if (binding !== undefined) {
        const qualified = binding.imported === '*' || binding.imported === 'default' ? binding.module : `${binding.module}.${binding.imported}`;
        if (allow.has(qualified)) return undefined;
        if (block.has(qualified)) return { call: text ?? qualified, instead: 'an asynchronous alternative' };
        if (SYNC_PACKAGES.has(binding.module)) return { call: text ?? binding.module, instead: 'an asynchronous HTTP client with a timeout' };
        if (SYNC_MODULES.has(binding.module) && binding.imported.endsWith('Sync')) {
          const base = binding.imported.slice(0, -4);
          if (binding.module === 'fs') {
            return {
              call: text ?? qualified,
              instead: FS_PROMISES.has(base) ? `\`await fs.promises.${base}(…)\`` : 'the asynchronous `fs` API',
              ...(FS_PROMISES.has(base) ? { fsName: base } : {}),
            };
          }
          return { call: text ?? qualified, instead: `the asynchronous \`${binding.module}.${base}\`` };
        }
        return undefined;
      }
      if (text !== undefined && !allow.has(text) && block.has(text)) return { call: text, instead: 'an asynchronous alternative' };
      return undefined;
    }

    return {
      CallExpression(node) {
        const fn = enclosingFunction(node);
        if (!runsConcurrently(fn)) return;
        const callee = node.callee;
        if (callee.type !== AST_NODE_TYPES.Identifier && callee.type !== AST_NODE_TYPES.MemberExpression) return;
        const found = classify(callee, node);
        if (found === undefined) return;
        const handler = !fn!.async;
        // A member call on an fs module (fs.readFileSync) inside an async function can become
        // `await fs.promises.readFile(…)`: same arguments, same result.
        const suggestable =
          found.fsName !== undefined &&
          fn!.async &&
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


