import { AST_NODE_TYPES, ASTUtils, ESLintUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import { PROVIDER_APIS } from '@bounded/policy';
import { createRule } from '../utils/create-rule.js';
import { collectionSizes, methodName, piledUpInLoop, startsWork, type Loop } from '../utils/fan-out.js';
import { functionOf as functionIn, isWorker, notifiesElement, runsOnOneConnection, waitsForLimiterFirst } from '../utils/fan-out-work.js';
import { calleeText, enclosingFunction } from '../utils/functions.js';
import { isBuiltLimiter, isLimitedCall, isLimiterWait } from '../utils/limiters.js';
import { skipTypeWrappers, valueOrigin } from '../utils/origins.js';
import { policyFor } from '../utils/policy.js';
import { addRuntimeImport, isNameTaken } from '../utils/runtime-imports.js';
import { fanOutInputs, providerLookup, providerUse, type ProviderLookup } from '../utils/sdk-clients.js';
import { typeInfo } from '../utils/type-info.js';
import { walk } from '../utils/walk.js';

export type Options = [
  {
    /** Most tasks a fan-out may start at once; default: the policy's `defaults.concurrency`. */
    concurrency?: number;
    /** Extra function names that count as limiters (added to the policy's `lint.limiters`). */
    limiters?: string[];
    /** Also report arrays whose construction the rule cannot see (parameters, call results). */
    strict?: boolean;
    /** Report bounded batches wider than the concurrency (`batchWiderThanPolicy`); default false: a bounded batch is no hazard. */
    wideBatches?: boolean;
  },
];
export type MessageId =
  | 'unbounded'
  | 'batchWiderThanPolicy'
  | 'unboundedRace'
  | 'untraced'
  | 'dropped'
  | 'libraryFanOut'
  | 'useMapBounded'
  | 'awaitMapBounded';

const COMBINATORS = new Set(['all', 'allSettled', 'any', 'race']);
/** Iterations that start a task per element and keep no promise when the callback is async. */
const DROPPING = new Set(['forEach', 'map', 'flatMap']);
/** Array methods whose result holds elements of the array they are called on: its tasks started already. */
const SAME_ELEMENTS = new Set(['slice', 'filter', 'concat', 'reverse', 'toReversed', 'toSorted', 'sort', 'flat']);
/** Library calls that fan out over their inputs unless a knob bounds them (`batch`, `embedDocuments`, `embedMany`), from the catalog. */
const LIBRARY_FAN_OUTS = new Set(PROVIDER_APIS.flatMap((api) => Object.keys(api.fanOuts ?? {})));

interface Rewrite {
  readonly items: TSESTree.Node;
  readonly mapper: TSESTree.Node;
  /** `xs.map(fn)` or `Array.from(xs, fn)`. */
  readonly mapped: TSESTree.CallExpression;
  /** `const tasks = xs.map(fn)`, when the combinator is given `tasks`. */
  readonly holder?: TSESTree.VariableDeclarator;
}

type Verdict =
  | { readonly kind: 'bounded' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'unbounded'; readonly items: TSESTree.Node; readonly count?: number; readonly rewrite?: Rewrite };

const BOUNDED: Verdict = { kind: 'bounded' };
const UNKNOWN: Verdict = { kind: 'unknown' };

export default createRule<Options, MessageId>({
  name: 'no-unbounded-concurrency',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow Promise.all/allSettled/any/race over arrays whose size is not bounded where they are built',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      unbounded: 'Fan-out over `{{items}}` is unbounded; use {{helper}}({{items}}, fn, { concurrency: {{concurrency}} }).',
      batchWiderThanPolicy:
        "Fan-out over `{{items}}` is bounded, but starts up to {{count}} tasks at once, more than the policy's concurrency of {{concurrency}}; use a smaller batch or {{helper}}({{items}}, fn, { concurrency: {{concurrency}} }).",
      dropped:
        '`{{items}}.{{method}}(async …)` starts a task for every element at once and drops their promises (no limit, failures unhandled); use `await {{helper}}({{items}}, fn, { concurrency: {{concurrency}} })`.',
      libraryFanOut:
        '`{{call}}` {{what}}; pass a finite `{{option}}` (at most {{concurrency}}), or send the inputs in chunks awaited one after another.',
      unboundedRace:
        '`Promise.{{method}}` over `{{items}}` starts every task at once; start them through a limiter of {{concurrency}} (`sem.run(() => …)`, p-limit) or race a fixed set.',
      untraced:
        '`Promise.{{method}}` over `{{items}}`, whose size this rule cannot see; build it with mapBounded or through a limiter of {{concurrency}}, or pass a fixed-length array.',
      useMapBounded: 'Rewrite as `{{helper}}({{items}}, fn, { concurrency: {{concurrency}} })` from @bounded/runtime.',
      awaitMapBounded:
        'Rewrite as `await {{helper}}({{items}}, fn, { concurrency: {{concurrency}} })` from @bounded/runtime: it now waits for the tasks, and their failures reject.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          concurrency: {
            type: 'integer',
            minimum: 1,
            description: "Most tasks a fan-out may start at once; overrides the policy's defaults.concurrency.",
          },
          limiters: {
            type: 'array',
            items: { type: 'string' },
            description: "Extra function names (`withSlot`, `jobs.enqueue`) that count as limiters; added to the policy's lint.limiters.",
          },
          strict: {
            type: 'boolean',
            description: 'Also report arrays whose construction the rule cannot see, such as parameters and call results.',
          },
          wideBatches: {
            type: 'boolean',
            description:
              'Also report bounded batches (a constant slice, chunk or guard) wider than the concurrency, with their own message (batchWiderThanPolicy); default false.',
          },
        },
      },
    ],
    defaultOptions: [{ limiters: [], strict: false, wideBatches: false }],
  },
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const policy = policyFor(context);
    const concurrency = options.concurrency ?? policy.defaults.concurrency;
    const names = [...(options.limiters ?? []), ...policy.lint.limiters];
    const strict = options.strict === true;
    const wideBatches = options.wideBatches === true;
    const types = typeInfo(context);
    const sourceCode = context.sourceCode;
    const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);
    const { sizeOf, within, loopPushes, bounds } = collectionSizes(sourceCode, concurrency, types);
    const functionOf = (node: TSESTree.Node) => functionIn(node, scopeOf);
    let providers: ProviderLookup | undefined;

    /** True when `expression` (a returned or pushed value) runs through a limiter. */
    function isLimited(expression: TSESTree.Node): boolean {
      let bare = skipTypeWrappers(expression);
      if (bare.type === AST_NODE_TYPES.AwaitExpression) bare = skipTypeWrappers(bare.argument);
      return bare.type === AST_NODE_TYPES.CallExpression && isLimitedCall(bare, scopeOf(bare), types, names);
    }

    /** True when every element `mapper` makes goes through a limiter. */
    function mapperIsLimited(mapper: TSESTree.Node): boolean {
      if (isBuiltLimiter(mapper, scopeOf(mapper))) return true;
      const fn = functionOf(mapper);
      if (fn === undefined) return false;
      if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return isLimited(fn.body);
      const scope = scopeOf(fn.body);
      if (fn.body.body.some((statement) => isLimiterWait(statement, scope, types, names))) return true;
      // `const row = await limit(() => load(id))` first: the work starts in the limiter. Work
      // awaited before the limiter (`await fetch(id)`) runs unbounded, whatever is returned.
      // …or waits for a slot first, also inside a `try` whose `finally` releases it (`await sema.acquire()`).
      const first = waitsForLimiterFirst(
        fn,
        sourceCode.visitorKeys,
        (node) => isLimited(node) || (node.parent !== undefined && isLimiterWait(node.parent, scopeOf(node), types, names)),
      );
      if (first !== undefined) return first;
      const returned: TSESTree.Node[] = [];
      walk(fn.body, sourceCode.visitorKeys, (node) => {
        if (node.type === AST_NODE_TYPES.ReturnStatement && node.argument !== null) returned.push(node.argument);
      });
      return returned.length > 0 && returned.every(isLimited);
    }

    /**
     * `chain.batch(inputs)`, `embeddings.embedDocuments(docs)`, `embedMany({ values })`: a library
     * call that starts a request per input (or batch of inputs) at once when its knob (the catalog's
     * `maxConcurrency`, `maxParallelCalls`) is missing or Infinity on the call and on the model.
     */
    function checkLibraryFanOut(node: TSESTree.CallExpression): boolean {
      const callee = skipTypeWrappers(node.callee);
      const name = callee.type === AST_NODE_TYPES.Identifier ? callee.name : methodName(callee);
      if (name === undefined || !LIBRARY_FAN_OUTS.has(name)) return false;
      const services = types === undefined ? undefined : ESLintUtils.getParserServices(context, true);
      providers ??= providerLookup(policy, sourceCode, context.physicalFilename, services);
      const use = providerUse(node, providers);
      if (use?.fanOut === undefined || use.limited) return false;
      const inputs = fanOutInputs(node, use.fanOut.knob, providers);
      const size = inputs === undefined ? undefined : sizeOf(inputs);
      if (size?.kind === 'fixed' || (size?.kind === 'count' && within(size.count))) return false;
      const call = calleeText(callee) ?? text(callee);
      context.report({
        node,
        messageId: 'libraryFanOut',
        data: { call, what: use.fanOut.knob.defaultText, option: use.fanOut.knob.option, concurrency },
      });
      return true;
    }

    /** Whether a value pushed in a loop starts a task nobody bounds. */
    function pushedStartsWork(value: TSESTree.Node): boolean {
      const bare = skipTypeWrappers(value);
      if (bare.type === AST_NODE_TYPES.MemberExpression) return false;
      if (bare.type === AST_NODE_TYPES.Identifier) {
        const origin = valueOrigin(bare, scopeOf(bare));
        return origin !== undefined && origin !== bare && origin.type === AST_NODE_TYPES.CallExpression && !isLimited(origin);
      }
      return !isLimited(bare);
    }

    /** `for (let i = 0; i < W; i++) workers.push(worker())`: W workers that share one queue. */
    function isPoolOfWorkers(pushed: TSESTree.Node, loop: Loop): boolean {
      const call = skipTypeWrappers(pushed);
      if (
        loop.limit === undefined ||
        call.type !== AST_NODE_TYPES.CallExpression ||
        !isWorker(call.callee, scopeOf, sourceCode.visitorKeys)
      )
        return false;
      const limit = bounds.bound(loop.limit, true);
      return limit !== undefined && within(limit);
    }

    function classifyMapped(
      call: TSESTree.CallExpression,
      items: TSESTree.Node,
      mapper: TSESTree.Node,
      rewritable: boolean,
      combinator: TSESTree.CallExpression,
    ): Verdict {
      if (
        mapper.type === AST_NODE_TYPES.SpreadElement ||
        !startsWork(mapper) ||
        mapperIsLimited(mapper) ||
        notifiesElement(mapper, items, scopeOf, sourceCode.visitorKeys)
      )
        return BOUNDED;
      if (runsOnOneConnection(mapper, combinator, scopeOf, sourceCode.visitorKeys, types)) return BOUNDED;
      // Array.from({ length: W }, worker): W workers share one queue, whatever W is called.
      const size = sizeOf(items, isWorker(mapper, scopeOf, sourceCode.visitorKeys));
      if (size.kind === 'fixed') return BOUNDED;
      const fn = functionOf(mapper);
      const rewrite =
        rewritable && (fn === undefined || fn.params.length <= 2) && !fn?.params.some((param) => param.type === AST_NODE_TYPES.RestElement)
          ? { items, mapper, mapped: call }
          : undefined;
      if (size.kind === 'count') {
        // A batch per loop turn that nothing waits for: the batches pile up.
        const settled = !piledUpInLoop(combinator);
        if (settled && within(size.count)) return BOUNDED;
        // A batch handed to an outer array is judged there.
        if (!settled && combinator.parent?.type === AST_NODE_TYPES.CallExpression && methodName(combinator.parent.callee) === 'push')
          return UNKNOWN;
        if (settled && typeof size.count === 'number') return { kind: 'unbounded', items, count: size.count, rewrite };
      }
      return { kind: 'unbounded', items, rewrite };
    }

    function classifyCall(call: TSESTree.CallExpression, combinator: TSESTree.CallExpression, depth: number): Verdict {
      const method = methodName(call.callee);
      const object = (skipTypeWrappers(call.callee) as TSESTree.MemberExpression).object as TSESTree.Node | undefined;
      if (method === undefined || object === undefined) return UNKNOWN;
      const [first, second] = call.arguments;
      if ((method === 'map' || method === 'flatMap') && first !== undefined) {
        const plain =
          method === 'map' && call.arguments.length === 1 && !call.optional && !(call.callee as TSESTree.MemberExpression).optional;
        return classifyMapped(call, object, first, plain, combinator);
      }
      if (method === 'from' && calleeText(object) === 'Array' && first !== undefined && second !== undefined) {
        const iterable = first.type !== AST_NODE_TYPES.ObjectExpression && first.type !== AST_NODE_TYPES.SpreadElement;
        return classifyMapped(call, first, second, iterable && call.arguments.length === 2, combinator);
      }
      if (SAME_ELEMENTS.has(method) && depth < 4) {
        const verdict = classify(object, combinator, depth + 1);
        return verdict.kind === 'unbounded' ? { kind: 'unbounded', items: verdict.items } : verdict;
      }
      return UNKNOWN;
    }

    function classifyVariable(id: TSESTree.Identifier, combinator: TSESTree.CallExpression, depth: number): Verdict {
      const variable = ASTUtils.findVariable(scopeOf(id), id.name);
      const definition = variable?.defs[0];
      if (variable === null || definition?.type !== DefinitionType.Variable || variable.defs.length !== 1) return UNKNOWN;
      const declarator = definition.node;
      const writes = variable.references.filter((reference) => reference.isWrite());
      if (declarator.init === null || writes.length !== 1 || writes[0]!.writeExpr !== declarator.init) return UNKNOWN;
      for (const { call, loop } of loopPushes(variable)) {
        for (const argument of call.arguments) {
          if (argument.type === AST_NODE_TYPES.SpreadElement) {
            const verdict = classify(argument.argument, combinator, depth + 1);
            if (verdict.kind === 'unbounded') return { kind: 'unbounded', items: verdict.items };
          } else if (!loop.bounded && pushedStartsWork(argument) && !isPoolOfWorkers(argument, loop)) {
            return { kind: 'unbounded', items: loop.items ?? id };
          }
        }
      }
      if (depth >= 4) return UNKNOWN;
      const verdict = classify(declarator.init, combinator, depth + 1);
      if (verdict.kind !== 'unbounded') return verdict;
      const reads = variable.references.filter((reference) => reference.isRead());
      const single = reads.length === 1 && combinator.arguments[0] === id && verdict.rewrite?.mapped === declarator.init;
      return { ...verdict, rewrite: single ? { ...verdict.rewrite, holder: declarator } : undefined };
    }

    function classify(node: TSESTree.Node, combinator: TSESTree.CallExpression, depth = 0): Verdict {
      let bare = skipTypeWrappers(node);
      // `xs?.map(fn)` is `xs.map(fn)`; `xs?.map(fn) ?? []` is as wide as its wider side.
      if (bare.type === AST_NODE_TYPES.ChainExpression) bare = bare.expression;
      if (bare.type === AST_NODE_TYPES.LogicalExpression && depth < 4) {
        const sides = [classify(bare.left, combinator, depth + 1), classify(bare.right, combinator, depth + 1)];
        return sides.find((side) => side.kind === 'unbounded') ?? sides.find((side) => side.kind === 'unknown') ?? BOUNDED;
      }
      if (types?.isTuple(bare) === true) return BOUNDED;
      if (bare.type === AST_NODE_TYPES.ArrayExpression) {
        for (const element of bare.elements) {
          if (element?.type !== AST_NODE_TYPES.SpreadElement) continue;
          const verdict = classify(element.argument, combinator, depth + 1);
          if (verdict.kind !== 'bounded') return verdict.kind === 'unbounded' ? { kind: 'unbounded', items: verdict.items } : verdict;
        }
        return BOUNDED;
      }
      if (bare.type === AST_NODE_TYPES.CallExpression) return classifyCall(bare, combinator, depth);
      if (bare.type === AST_NODE_TYPES.Identifier) return classifyVariable(bare, combinator, depth);
      return UNKNOWN;
    }

    function text(node: TSESTree.Node): string {
      // `results\n  .filter(…)` reads as `results.filter(…)`.
      const full = sourceCode
        .getText(node)
        .replace(/\s*\n\s*(?=[.?)\]])/g, '')
        .replace(/\s+/g, ' ');
      return full.length > 60 ? `${full.slice(0, 59)}…` : full;
    }

    /** Reports a fan-out the verdict says is unbounded or wider than the policy; `dropped` for `xs.forEach(async …)`. */
    function report(
      node: TSESTree.CallExpression,
      verdict: Exclude<Verdict, { kind: 'bounded' | 'unknown' }>,
      method: string,
      argument: TSESTree.Node,
      dropped: boolean,
    ): void {
      const items = text(verdict.items);
      if (verdict.count !== undefined && !wideBatches) return;
      if (verdict.count === undefined && (method === 'race' || method === 'any')) {
        context.report({ node, messageId: 'unboundedRace', data: { method, items, concurrency } });
        return;
      }
      const helper = method === 'allSettled' ? 'mapBoundedSettled' : 'mapBounded';
      const data = { items, helper, concurrency, count: verdict.count ?? 0, method };
      const rewrite = method === 'race' || method === 'any' ? undefined : verdict.rewrite;
      const statement = node.parent?.type === AST_NODE_TYPES.ExpressionStatement ? node.parent : undefined;
      const canRewrite =
        rewrite !== undefined &&
        sourceCode.ast.sourceType === 'module' &&
        !isNameTaken(scopeOf(node), helper) &&
        (!dropped || (statement !== undefined && enclosingFunction(node)?.async === true));
      context.report({
        node,
        messageId: verdict.count !== undefined ? 'batchWiderThanPolicy' : dropped ? 'dropped' : 'unbounded',
        data,
        suggest: canRewrite
          ? [
              {
                messageId: dropped ? 'awaitMapBounded' : 'useMapBounded',
                data,
                fix: (fixer) => {
                  const itemsText = sourceCode.getText(rewrite.items);
                  const wrapped = rewrite.items.type === AST_NODE_TYPES.SequenceExpression ? `(${itemsText})` : itemsText;
                  const call = `${dropped ? 'await ' : ''}${helper}(${wrapped}, ${sourceCode.getText(rewrite.mapper)}, { concurrency: ${concurrency} })`;
                  const fixes =
                    rewrite.holder === undefined
                      ? [fixer.replaceText(node, call)]
                      : [fixer.replaceText(rewrite.mapped, call), fixer.replaceText(node, sourceCode.getText(argument))];
                  return [...fixes, ...addRuntimeImport(fixer, sourceCode, helper)];
                },
              },
            ]
          : [],
      });
    }

    /** True when `callback` is an async function: `async (x) => …`, or a name for one declared in this file. */
    function isAsyncCallback(callback: TSESTree.Node | undefined): boolean {
      if (callback === undefined || callback.type === AST_NODE_TYPES.SpreadElement) return false;
      const fn = functionOf(callback);
      return fn !== undefined && fn.async && !fn.generator;
    }

    /** `xs.forEach(async …)`, or `xs.map(async …)` whose result nobody keeps: a fan-out that drops its promises. */
    function checkDropped(node: TSESTree.CallExpression): void {
      const method = methodName(node.callee);
      if (method === undefined || !DROPPING.has(method) || !isAsyncCallback(node.arguments[0])) return;
      let outer: TSESTree.Node = node;
      while (outer.parent?.type === AST_NODE_TYPES.ChainExpression) outer = outer.parent;
      const parent = outer.parent;
      const discarded =
        parent?.type === AST_NODE_TYPES.ExpressionStatement ||
        (parent?.type === AST_NODE_TYPES.UnaryExpression && parent.operator === 'void');
      if (method !== 'forEach' && !discarded) return;
      const items = (skipTypeWrappers(node.callee) as TSESTree.MemberExpression).object;
      const plain = node.arguments.length === 1 && outer === node && !(node.callee as TSESTree.MemberExpression).optional && discarded;
      const verdict = classifyMapped(node, items, node.arguments[0]!, plain, node);
      if (verdict.kind === 'unbounded') report(node, verdict, method, node, true);
    }

    return {
      CallExpression(node) {
        const callee = skipTypeWrappers(node.callee);
        // `embedMany({ model, values })`: a module function that fans out.
        if (callee.type === AST_NODE_TYPES.Identifier) {
          checkLibraryFanOut(node);
          return;
        }
        if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
          return;
        if (callee.object.type !== AST_NODE_TYPES.Identifier || callee.object.name !== 'Promise') {
          if (!checkLibraryFanOut(node)) checkDropped(node);
          return;
        }
        const method = callee.property.name;
        if (!COMBINATORS.has(method) || (ASTUtils.findVariable(scopeOf(node), 'Promise')?.defs.length ?? 0) > 0) return;
        const argument = node.arguments[0];
        if (argument === undefined || argument.type === AST_NODE_TYPES.SpreadElement) return;
        const verdict = classify(argument, node);
        if (verdict.kind === 'bounded') return;
        if (verdict.kind === 'unknown') {
          if (strict) context.report({ node, messageId: 'untraced', data: { method, items: text(argument), concurrency } });
          return;
        }
        report(node, verdict, method, argument, false);
      },
    };
  },
});
