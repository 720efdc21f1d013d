import { AST_NODE_TYPES, ESLintUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope } from '@typescript-eslint/utils/ts-eslint';
import type { Policy } from '@bounded/policy';
import { createRule } from '../utils/create-rule.js';
import { calleeText, isFunction } from '../utils/functions.js';
import { httpCall, urlText } from '../utils/http-calls.js';
import { policyFor } from '../utils/policy.js';
import { addRuntimeImport, isNameTaken, isRuntimeExport } from '../utils/runtime-imports.js';
import { providerCall, type ProviderClient } from '../utils/sdk-clients.js';
import { callContext, isAfterLimiterWait, isInsideLimiter, isPacedLoop, type LimiterLookup } from '../utils/throttling.js';
import { typeInfo } from '../utils/type-info.js';

export type Options = [
  {
    /** Report every unthrottled provider call, not only those in loops, fan-outs and request handlers. */
    strict?: boolean;
    /** Extra function names that count as rate limiters (added to the policy's lint.limiters). */
    limiters?: string[];
  },
];
export type MessageId = 'inLoop' | 'inFanOut' | 'inBoundedFanOut' | 'inHandler' | 'unthrottled' | 'wrapClient';

/** Provider APIs reached over plain HTTP, by host. */
const PROVIDER_HOSTS: readonly { host: RegExp; limiter: string; label: string }[] = [
  { host: /^https?:\/\/api\.openai\.com(?:[/:?#]|$)/i, limiter: 'openai', label: 'OpenAI' },
  { host: /^https?:\/\/api\.anthropic\.com(?:[/:?#]|$)/i, limiter: 'anthropic', label: 'Anthropic' },
];

const PER_UNITS: ReadonlyMap<number, string> = new Map([
  [1_000, 's'],
  [60_000, 'min'],
  [3_600_000, 'h'],
  [86_400_000, 'day'],
]);

/** "the policy's 60 requests/min" for a limiter the policy knows; "its rate limit" otherwise. */
function limitText(policy: Policy, limiter: string | undefined): string {
  const limit = limiter === undefined ? undefined : policy.rateLimits[limiter];
  if (limit === undefined) return 'its rate limit';
  const per = PER_UNITS.get(limit.perMs) ?? `${limit.perMs} ms`;
  return `the policy's ${limit.rate} requests/${per}`;
}

/** bounded's fan-out helpers whose callback runs once per item: (items, fn, options). */
const BOUNDED_MAPPERS = ['mapBounded', 'mapBoundedSettled', 'forEachBounded'];
const ITEM_CALLBACKS = new Set(['map', 'flatMap']);

function isLoopBody(parent: TSESTree.Node, child: TSESTree.Node): boolean {
  switch (parent.type) {
    case AST_NODE_TYPES.ForStatement:
    case AST_NODE_TYPES.ForInStatement:
    case AST_NODE_TYPES.ForOfStatement:
    case AST_NODE_TYPES.WhileStatement:
    case AST_NODE_TYPES.DoWhileStatement:
      return parent.body === child;
    default:
      return false;
  }
}

function isCallArgument(child: TSESTree.Node, parent: TSESTree.Node): parent is TSESTree.CallExpression | TSESTree.NewExpression {
  return (
    (parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression) &&
    parent.arguments.includes(child as TSESTree.CallExpressionArgument)
  );
}

/** The `allBounded` call that `list` is the thunks of, when it is one. */
function allBoundedOf(list: TSESTree.Node, scope: Scope.Scope): string | undefined {
  const call = list.parent;
  if (call?.type !== AST_NODE_TYPES.CallExpression || call.arguments[0] !== list) return undefined;
  return isRuntimeExport(call.callee, scope, ['allBounded']) ? (calleeText(call.callee) ?? 'allBounded') : undefined;
}

/**
 * The bounded helper that runs `fn` once per item, if any: `mapBounded(xs, fn, …)` (and
 * mapBoundedSettled, forEachBounded), a thunk in `allBounded([fn, …])`, or the thunk a
 * mapper returns in `allBounded(xs.map((x) => fn))`.
 */
function boundedHelperOf(fn: TSESTree.Node, scope: Scope.Scope): string | undefined {
  const parent = fn.parent;
  if (parent == null) return undefined;
  if (parent.type === AST_NODE_TYPES.CallExpression && parent.arguments[1] === fn) {
    const name = calleeText(parent.callee);
    if (name !== undefined && isRuntimeExport(parent.callee, scope, BOUNDED_MAPPERS)) return name;
  }
  if (parent.type === AST_NODE_TYPES.ArrayExpression) return allBoundedOf(parent, scope);
  // `(x) => () => call(x)` or `(x) => { return () => call(x); }` given to `xs.map`.
  let mapper: TSESTree.Node | undefined;
  if (parent.type === AST_NODE_TYPES.ArrowFunctionExpression && parent.body === fn) mapper = parent;
  if (parent.type === AST_NODE_TYPES.ReturnStatement) {
    let up: TSESTree.Node | undefined = parent.parent;
    while (up != null && !isFunction(up)) up = up.parent;
    mapper = up;
  }
  const map = mapper?.parent;
  if (map?.type !== AST_NODE_TYPES.CallExpression || map.arguments[0] !== mapper) return undefined;
  const callee = map.callee;
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier) return undefined;
  return ITEM_CALLBACKS.has(callee.property.name) ? allBoundedOf(map, scope) : undefined;
}

/**
 * The bounded fan-out (`mapBounded`…) whose callback `node` runs in, when that is the nearest
 * thing deciding how often it runs: a loop or `Promise.all([…])` inside the callback, or a
 * function declared on its own, is nearer and is judged by callContext instead.
 */
function boundedFanOut(node: TSESTree.Node, scope: Scope.Scope): string | undefined {
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent != null; child = parent, parent = parent.parent) {
    if (isLoopBody(parent, child)) return undefined;
    if (parent.type === AST_NODE_TYPES.CallExpression && child.type === AST_NODE_TYPES.ArrayExpression && isCallArgument(child, parent)) {
      const combinator = calleeText(parent.callee);
      if ((combinator === 'Promise.all' || combinator === 'Promise.allSettled') && child.elements.length >= 2) return undefined;
    }
    if (!isFunction(child)) continue;
    const helper = boundedHelperOf(child, scope);
    if (helper !== undefined) return helper;
    // Other callbacks run where they are passed; a function on its own is called from elsewhere.
    if (!isCallArgument(child, parent)) return undefined;
  }
  return undefined;
}

/** A provider call found in the file: from an SDK client or a request to a provider's host. */
interface Found {
  /** What the client is reached through (`openai`, `this.llm`), for SDK clients. */
  readonly receiver: TSESTree.Node | undefined;
  readonly label: string;
  readonly limiter: string | undefined;
  readonly client: ProviderClient | undefined;
}

export default createRule<Options, MessageId>({
  name: 'no-unthrottled-provider-call',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Require calls to rate-limited model providers (OpenAI, Anthropic, policy-listed APIs) in loops, fan-outs and request handlers to go through a rate limiter',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      inLoop: '`{{call}}` calls {{provider}} on every loop iteration with nothing holding it to {{limit}}; {{remedy}}.',
      inFanOut: '`{{call}}` starts {{provider}} calls all at once with nothing holding them to {{limit}}; {{remedy}}.',
      inBoundedFanOut:
        '`{{call}}` runs once per item of `{{helper}}`, which bounds how many {{provider}} calls run at once but not how many start each minute; nothing holds them to {{limit}}; {{remedy}}.',
      inHandler: '`{{call}}` calls {{provider}} on every request with nothing holding it to {{limit}}; {{remedy}}.',
      unthrottled: '`{{call}}` calls {{provider}} with nothing holding it to {{limit}}; {{remedy}}.',
      wrapClient: "Wrap `{{client}}` with throttleClient(…, { limiter: '{{limiter}}' }) where it is created.",
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          strict: {
            type: 'boolean',
            description: 'Report every provider call that does not go through a limiter, not only those in loops, fan-outs and request handlers.',
          },
          limiters: {
            type: 'array',
            items: { type: 'string' },
            description: "Extra function names that count as rate limiters (`rateLimited`, `jobs.enqueue`); added to the policy's lint.limiters.",
          },
        },
      },
    ],
    defaultOptions: [{ strict: false, limiters: [] }],
  },
  create(context, [options]) {
    const policy = policyFor(context);
    const strict = options.strict === true;
    const names = [...(options.limiters ?? []), ...policy.lint.limiters];
    const sourceCode = context.sourceCode;
    const types = typeInfo(context);
    const services = types === undefined ? undefined : ESLintUtils.getParserServices(context, true);

    /** The provider `node` calls, if it is a provider call at all. */
    function find(node: TSESTree.CallExpression): Found | undefined {
      const scope = sourceCode.getScope(node);
      const sdk = providerCall(node, scope, policy.lint.providers, services);
      if (sdk !== undefined) {
        // A module function the policy lists (`generateText(…)`) has no client to wrap.
        const client = sdk.receiver === node.callee ? undefined : sdk.client;
        return { receiver: sdk.receiver, label: sdk.client.label, limiter: sdk.client.limiter, client };
      }
      const http = httpCall(node, scope);
      if (http === undefined) return undefined;
      const url = urlText(http.url, scope);
      const provider = url === undefined ? undefined : PROVIDER_HOSTS.find((entry) => entry.host.test(url));
      return provider === undefined ? undefined : { receiver: undefined, label: provider.label, limiter: provider.limiter, client: undefined };
    }

    function describe(node: TSESTree.Node): string {
      return calleeText(node) ?? sourceCode.getText(node).replace(/\s+/g, '');
    }

    function remedy(found: Found): string {
      const limiter = found.limiter === undefined ? '…' : found.limiter;
      if (found.client !== undefined) return `wrap the client once with throttleClient(client, { limiter: '${limiter}' })`;
      return `send it through one shared limiter, e.g. providerLimiter('${limiter}').schedule(…)`;
    }

    function suggestions(found: Found) {
      const construction = found.client?.construction;
      const limiter = found.limiter;
      if (construction === undefined || limiter === undefined || isNameTaken(sourceCode.getScope(construction), 'throttleClient')) return [];
      const clientText = sourceCode.getText(construction);
      return [
        {
          messageId: 'wrapClient' as const,
          data: { client: describe(found.receiver ?? construction), limiter },
          fix: (fixer: RuleFixer): RuleFix[] => [
            fixer.replaceText(construction, `throttleClient(${clientText}, { limiter: '${limiter}' })`),
            ...addRuntimeImport(fixer, sourceCode, 'throttleClient'),
          ],
        },
      ];
    }

    return {
      CallExpression(node) {
        const found = find(node);
        if (found === undefined || found.client?.throttled === true) return;
        const scope = sourceCode.getScope(node);
        // mapBounded and its relatives bound concurrency, not rate: their callbacks are fan-outs too.
        const helper = boundedFanOut(node, scope);
        const where = helper === undefined ? callContext(node) : undefined;
        if (where?.kind === 'none' && !strict) return;
        const lookup: LimiterLookup = { scope, types, names };
        if (isInsideLimiter(node, lookup) || isAfterLimiterWait(node, lookup)) return;
        if (where?.kind === 'loop' && isPacedLoop(where.loop, lookup, sourceCode.visitorKeys)) return;
        const messageId =
          where === undefined
            ? 'inBoundedFanOut'
            : where.kind === 'loop'
              ? 'inLoop'
              : where.kind === 'fanOut'
                ? 'inFanOut'
                : where.kind === 'handler'
                  ? 'inHandler'
                  : 'unthrottled';
        context.report({
          node,
          messageId,
          data: {
            helper: helper ?? '',
            call: describe(node.callee),
            provider: found.label,
            limit: limitText(policy, found.limiter),
            remedy: remedy(found),
          },
          suggest: suggestions(found),
        });
      },
    };
  },
});
