import { ScopeType } from '@typescript-eslint/scope-manager';
import { AST_NODE_TYPES, ASTUtils, ESLintUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { BOUNDED_MAPPERS, PROVIDER_APIS, SAAS_APIS } from '@bounded/policy';
import type { Policy, ThrottleSwitch } from '@bounded/policy';
import { createRule } from '../utils/create-rule.js';
import { calleeText, enclosingFunction, isFunction } from '../utils/functions.js';
import { providerReach } from '../utils/module-facts.js';
import { factsOfFile } from '../utils/file-facts.js';
import { projectIndexFor, setFileFacts } from '../utils/project-index.js';
import { findProperty, heldObject } from '../utils/option-objects.js';
import { policyFor } from '../utils/policy.js';
import { addRuntimeImport, isNameTaken, isRuntimeExport } from '../utils/runtime-imports.js';
import { fanOutInputs, providerLookup, type ProviderClient, type ProviderUse } from '../utils/sdk-clients.js';
import {
  callContext,
  isAfterLimiterWait,
  isInsideLimiter,
  isPacedLoop,
  isUnderRetryBudget,
  leavesLoopAfter,
  type CallContext,
  type LimiterLookup,
} from '../utils/throttling.js';
import { collectionSizes } from '../utils/fan-out.js';
import { typeInfo } from '../utils/type-info.js';
import { someNode } from '../utils/walk.js';

export type Options = [
  {
    /** Report every unthrottled provider call, not only those in loops, fan-outs and request handlers. */
    strict?: boolean;
    /** Extra function names that count as rate limiters (added to the policy's lint.limiters). */
    limiters?: string[];
    /** Also report a single provider call made on every request of a handler (no loop or fan-out around it). */
    reportHandlers?: boolean;
  },
];
export type MessageId = 'inLoop' | 'inFanOut' | 'inBoundedFanOut' | 'inHandler' | 'unthrottled' | 'libraryFanOut' | 'wrapClient';

const PER_UNITS: ReadonlyMap<number, string> = new Map([
  [1_000, 's'],
  [60_000, 'min'],
  [3_600_000, 'h'],
  [86_400_000, 'day'],
]);

/** What each API publishes as its limit, by label (the catalog's SaaS entries). */
const PUBLISHED_LIMITS: ReadonlyMap<string, string> = new Map(
  PROVIDER_APIS.flatMap((api) => (api.publishedLimit === undefined ? [] : [[api.label, api.publishedLimit] as const])),
);

/**
 * "the policy's 60 requests/min" for a limiter the policy knows; "its rate limit" otherwise;
 * followed by the API's published limit when the catalog has one ("Notion publishes: an
 * average of 3 requests/s per integration").
 */
function limitText(policy: Policy, limiter: string | undefined, label: string): string {
  const limit = limiter === undefined ? undefined : policy.rateLimits[limiter];
  const published = PUBLISHED_LIMITS.get(label);
  const suffix = published === undefined ? '' : ` (${label}: ${published})`;
  if (limit === undefined) return `its rate limit${suffix}`;
  const per = PER_UNITS.get(limit.perMs) ?? `${limit.perMs} ms`;
  return `the policy's ${limit.rate} requests/${per}${suffix}`;
}

/** `rejectRateLimitedCalls: true`, `retryConfig.retries: 0`, `rejectOnRateLimit`: a setting that turns an SDK's throttling off. */
function switchText(entry: ThrottleSwitch): string {
  const value = { set: undefined, true: 'true', false: 'false', zero: '0', infinite: 'Infinity' }[entry.when];
  return value === undefined ? `\`${entry.option}\`` : `\`${entry.option}: ${value}\``;
}

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
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
    return undefined;
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

type Found = ProviderUse;

/**
 * True when a client built inside a function takes its API key from something of that call
 * (`new OpenAI({ apiKey: req.headers['x-api-key'] })`, `tenant.apiKey`): one client per tenant.
 */
function isPerTenantClient(
  client: ProviderClient,
  scopeOf: (node: TSESTree.Node) => Scope.Scope,
  visitorKeys: SourceCode.VisitorKeys,
): boolean {
  const construction = client.construction;
  if (construction === undefined || enclosingFunction(construction) === undefined) return false;
  const options = construction.arguments[0];
  const object = options === undefined ? undefined : heldObject(options, scopeOf(options), scopeOf, visitorKeys);
  if (object === undefined) return false;
  return client.api.keyOptions.some((key) => {
    const property = findProperty(object, key);
    if (property === undefined) return false;
    const isLocal = (node: TSESTree.Node): boolean => {
      if (node.type !== AST_NODE_TYPES.Identifier) return false;
      const variable = ASTUtils.findVariable(scopeOf(node), node.name);
      return (
        variable !== null &&
        variable.defs.length > 0 &&
        variable.scope.type !== ScopeType.module &&
        variable.scope.type !== ScopeType.global
      );
    };
    return isLocal(property.value) || someNode(property, visitorKeys, (node) => node !== property.key && isLocal(node));
  });
}

export default createRule<Options, MessageId>({
  name: 'no-unthrottled-provider-call',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Require calls to rate-limited model providers (SDKs, LangChain, LlamaIndex, the AI SDK, policy-listed APIs) in loops and fan-outs to go through a rate limiter',
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
      libraryFanOut: '`{{call}}` {{what}}: {{provider}} calls with nothing holding them to {{limit}}; {{remedy}}.',
      wrapClient: "Wrap `{{client}}` with throttleClient(…, { limiter: '{{limiter}}' }) where it is created.",
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          strict: {
            type: 'boolean',
            description:
              'Report every provider call that does not go through a limiter, not only those in loops, fan-outs and request handlers.',
          },
          limiters: {
            type: 'array',
            items: { type: 'string' },
            description:
              "Extra function names that count as rate limiters (`rateLimited`, `jobs.enqueue`); added to the policy's lint.limiters.",
          },
          reportHandlers: {
            type: 'boolean',
            description:
              'Also report a single provider call made on every request of a request handler, with no loop or fan-out around it.',
          },
        },
      },
    ],
    defaultOptions: [{ strict: false, limiters: [], reportHandlers: false }],
  },
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const policy = policyFor(context);
    const strict = options.strict === true;
    const reportHandlers = strict || options.reportHandlers === true;
    const names = [...(options.limiters ?? []), ...policy.lint.limiters];
    const sourceCode = context.sourceCode;
    const types = typeInfo(context);
    const services = types === undefined ? undefined : ESLintUtils.getParserServices(context, true);
    const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);
    const providers = providerLookup(policy, sourceCode, context.physicalFilename, services);

    function describe(node: TSESTree.Node): string {
      return calleeText(node) ?? sourceCode.getText(node).replace(/\s+/g, '');
    }

    const index = projectIndexFor(context);
    // With the checker and no index, an imported helper's declaration is analysed where it is.
    if (index === undefined && services?.program != null) setFileFacts((file) => factsOfFile(file, policy));
    const reach = providerReach({
      sourceCode,
      policy,
      filename: context.physicalFilename,
      index,
      services,
      types,
      limiters: names,
    });

    /** True when a call runs repeatedly: in a loop, a fan-out, a bounded fan-out or a request handler. */
    function isRepeated(node: TSESTree.CallExpression): boolean {
      return boundedFanOut(node, scopeOf(node)) !== undefined || callContext(node).kind !== 'none';
    }

    const sizes = collectionSizes(sourceCode, Number.POSITIVE_INFINITY, types);

    /** True when the code shows a constant number of items: an array literal, a constant list, `slice(0, 3)`. */
    function isConstantSize(items: TSESTree.Node): boolean {
      const size = sizes.sizeOf(items);
      return size.kind === 'fixed' || (size.kind === 'count' && typeof size.count === 'number');
    }

    /**
     * True when a loop or fan-out runs a constant number of times: over a constant collection,
     * or an index loop capped by a constant (`for (let turn = 0; turn < MAX_TURNS; turn++)`).
     * A name alone is no cap: its value is.
     */
    function isConstantlyRepeated(where: CallContext, node: TSESTree.Node, depth = 0): boolean {
      if (depth > 8 || !isConstantHere(where, node)) return false;
      // …and so is everything around it: three retries per item of an input are not three calls.
      const construct = where.kind === 'loop' ? where.loop : where.kind === 'fanOut' ? where.call : undefined;
      if (construct === undefined || boundedFanOut(construct, scopeOf(construct)) !== undefined) return false;
      const outer = callContext(construct);
      return outer.kind === 'none' || outer.kind === 'handler' || isConstantlyRepeated(outer, construct, depth + 1);
    }

    function constantOf(node: TSESTree.Node): number | undefined {
      const value = sizes.bounds.bound(node, false);
      return typeof value === 'number' ? value : undefined;
    }

    function isConstantHere(where: CallContext, node: TSESTree.Node): boolean {
      if (where.kind === 'fanOut') return where.items !== undefined && isConstantSize(where.items);
      if (where.kind !== 'loop') return false;
      const loop = where.loop;
      // Given up after (cancel and throw), or spending a constant retry budget: a constant count.
      if (leavesLoopAfter(node, loop) || isUnderRetryBudget(node, loop, scopeOf, constantOf)) return true;
      if (loop.type === AST_NODE_TYPES.ForOfStatement) return isConstantSize(loop.right);
      if (loop.type !== AST_NODE_TYPES.ForStatement || loop.test?.type !== AST_NODE_TYPES.BinaryExpression) return false;
      const { operator, left, right } = loop.test;
      if ((operator !== '<' && operator !== '<=') || left.type !== AST_NODE_TYPES.Identifier) return false;
      // The counter is declared by the loop and only counted up by its update.
      const init = loop.init;
      const counted =
        init?.type === AST_NODE_TYPES.VariableDeclaration &&
        init.declarations.some((declaration) => declaration.id.type === AST_NODE_TYPES.Identifier && declaration.id.name === left.name) &&
        loop.update?.type === AST_NODE_TYPES.UpdateExpression &&
        loop.update.operator === '++' &&
        loop.update.argument.type === AST_NODE_TYPES.Identifier &&
        loop.update.argument.name === left.name;
      return counted && typeof sizes.bounds.bound(right, false) === 'number';
    }

    function isPaced(node: TSESTree.CallExpression): boolean {
      const lookup: LimiterLookup = { scope: scopeOf(node), types, names };
      return isInsideLimiter(node, lookup) || isAfterLimiterWait(node, lookup);
    }

    function remedy(found: Found): string {
      const limiter = found.limiter === undefined ? '…' : found.limiter;
      if (found.client !== undefined && isPerTenantClient(found.client, scopeOf, sourceCode.visitorKeys)) {
        return `the client is built for each request with that tenant's key, and each key has its own limit: keep one limiter per key (a Map from the key to providerLimiter('${limiter}')) and send each tenant's calls through its own, not one process-wide limiter that would throttle every tenant together`;
      }
      if (found.fanOut !== undefined)
        return `pass a finite \`${found.fanOut.knob.option}\` and send the calls through one shared limiter, e.g. providerLimiter('${limiter}')`;
      const api = found.client?.api;
      if (api !== undefined && SAAS_APIS.includes(api)) {
        // SaaS SDKs are not wrapped by throttleClient (their calls take no request options it could add to).
        const own = api.selfThrottle;
        const instead =
          own === undefined
            ? ''
            : own.plugins === undefined
              ? `, or let the SDK throttle itself: it ${own.how} unless ${own.disabledBy.map(switchText).join(' or ')} turns that off`
              : `, or let the SDK throttle itself: it ${own.how}`;
        return `send it through one shared limiter, e.g. providerLimiter('${limiter}').schedule(…)${instead}`;
      }
      if (found.client !== undefined && found.client.api.kind === 'sdk') {
        return `wrap the client once with throttleClient(client, { limiter: '${limiter}' })`;
      }
      return `send it through one shared limiter, e.g. providerLimiter('${limiter}').schedule(…)`;
    }

    function suggestions(found: Found) {
      const construction = found.client?.construction;
      const limiter = found.limiter;
      if (construction === undefined || limiter === undefined || isNameTaken(sourceCode.getScope(construction), 'throttleClient'))
        return [];
      if (
        found.client?.api.kind !== 'sdk' ||
        SAAS_APIS.includes(found.client.api) ||
        isPerTenantClient(found.client, scopeOf, sourceCode.visitorKeys)
      )
        return [];
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
        // Helpers are followed only from where a call's rate matters: most calls are neither.
        const hit = reach.direct(node) ?? (strict || isRepeated(node) ? reach.at(node) : undefined);
        if (hit === undefined) return;
        // A library fan-out over a constant handful of inputs (`embedMany({ values: ['a', 'b'] })`) is one call, judged where it is.
        const inputs = hit.direct && hit.use.fanOut !== undefined ? fanOutInputs(node, hit.use.fanOut.knob, providers) : undefined;
        const found = inputs !== undefined && isConstantSize(inputs) ? { ...hit.use, fanOut: undefined } : hit.use;
        // A helper is named with the call it makes: `summarize()` → `openai.chat.completions.create`.
        const call = hit.direct ? describe(node.callee) : `${describe(node.callee)}()\` → \`${hit.inner}`;
        if (found.limited) return;
        if (isPaced(node)) return;
        const scope = scopeOf(node);
        if (found.fanOut !== undefined) {
          context.report({
            node,
            messageId: 'libraryFanOut',
            data: {
              call,
              provider: found.label,
              what: found.fanOut.knob.defaultText,
              limit: limitText(policy, found.limiter, found.label),
              remedy: remedy(found),
            },
          });
          return;
        }
        // mapBounded and its relatives bound concurrency, not rate: their callbacks are fan-outs too.
        const helper = boundedFanOut(node, scope);
        const where = helper === undefined ? callContext(node) : undefined;
        if (where?.kind === 'none' && !strict) return;
        // One call per request is not repeated over any input: reported only when asked.
        if (where?.kind === 'handler' && !reportHandlers) return;
        if (where !== undefined && isConstantlyRepeated(where, node)) return;
        if (where?.kind === 'loop' && isPacedLoop(where.loop, { scope, types, names }, sourceCode.visitorKeys)) return;
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
            call,
            provider: found.label,
            limit: limitText(policy, found.limiter, found.label),
            remedy: remedy(found),
          },
          suggest: suggestions(found),
        });
      },
    };
  },
});
