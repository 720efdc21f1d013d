import { AST_NODE_TYPES, ESLintUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope } from '@typescript-eslint/utils/ts-eslint';
import { createRule } from '../utils/create-rule.js';
import { inspectOptions, isDisabledTimeout, isUnderDeadline, type OptionsVerdict } from '../utils/deadlines.js';
import { calleeText } from '../utils/functions.js';
import { httpCall, instanceOrigin, moduleFactory, type HttpCall } from '../utils/http-calls.js';
import { resolveImport } from '../utils/imports.js';
import {
  addOption,
  addProperty,
  asObjectLiteral,
  findProperty,
  formatMs,
  heldObject,
  propertyKey,
  setPropertyValue,
  spreadOption,
} from '../utils/option-objects.js';
import { assignedVariable, valueOrigin } from '../utils/origins.js';
import { moduleKey, policyModuleKey } from '../utils/module-paths.js';
import { policyFor } from '../utils/policy.js';
import type { HttpClientPolicy, ProviderDeadline } from '@bounded/policy';
import { durationText, HTTP_CLIENTS, httpClientOf } from '@bounded/policy';
import {
  callOptionsIndex,
  classifyClient,
  providerCall,
  providerLookup,
  type ProviderCall,
  type ProviderClient,
} from '../utils/sdk-clients.js';

export type Options = [
  {
    /** Report calls whose options the rule cannot see into (a spread, a variable) and signals that are not visibly timed. */
    strict?: boolean;
    /** Extra function names that put a deadline on the calls inside them (added to the policy's lint.timeouts). */
    wrappers?: string[];
    /** Report calls whose only deadline is a provider SDK's default, when it is longer than the policy's model timeout. */
    reportSdkDefaults?: boolean;
  },
];
export type MessageId =
  | 'missingTimeout'
  | 'defaultTimeout'
  | 'disabledTimeout'
  | 'instanceTimeoutOff'
  | 'unverifiedTimeout'
  | 'untimedSignal'
  | 'addSignal'
  | 'combineSignal'
  | 'addTimeout'
  | 'addClientTimeout'
  | 'setTimeoutValue';

/** How a deadline is added for a call: a signal, or the library's own option. */
interface Remedy {
  /** `signal: AbortSignal.timeout(60_000)` or `timeout: 60_000`. */
  readonly option: string;
  readonly key: string;
  /** The value alone: `AbortSignal.timeout(60_000)`, `60_000`, `{ request: 60_000 }`. */
  readonly value: string;
  readonly ms: string;
}

/**
 * A deadline that goes under a key of the call's options: `remedy` is the whole `config: { … }`
 * (added when the key is missing), `object` the key's own literal to add the option to; null
 * when neither can be written.
 */
type NestedTarget = { readonly remedy: Remedy; readonly object: TSESTree.ObjectExpression | undefined } | null | undefined;

/** A finding waiting for the end of the file, where `defaults.timeout` assignments are all known. */
interface Pending {
  readonly node: TSESTree.CallExpression;
  readonly http: HttpCall | undefined;
  readonly report: () => void;
}

/** True when a method named `name` is called on the call's result, directly or further down its chain (`get(url).set(…).timeout(5_000)`). */
function chainsMethod(call: TSESTree.CallExpression, name: string): boolean {
  let current: TSESTree.Node = call;
  for (;;) {
    const member: TSESTree.Node | undefined = current.parent;
    if (
      member?.type !== AST_NODE_TYPES.MemberExpression ||
      member.object !== current ||
      member.parent.type !== AST_NODE_TYPES.CallExpression
    )
      return false;
    if (!member.computed && member.property.type === AST_NODE_TYPES.Identifier && member.property.name === name) return true;
    current = member.parent;
  }
}

export default createRule<Options, MessageId>({
  name: 'require-timeout',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Require a deadline on network and model calls (fetch, undici, axios, got, ky, superagent, node:http, model SDKs and frameworks)',
      recommended: true,
    },
    hasSuggestions: true,
    messages: {
      missingTimeout:
        '`{{call}}` has no deadline, so a stalled {{peer}} hangs it forever; pass `{{option}}` or run it under withTimeout(…).',
      defaultTimeout:
        "`{{call}}` only has the {{provider}} SDK's default deadline of {{duration}} (each retry waits that long again), far longer than its caller waits; pass `{{option}}` or run it under withTimeout(…).",
      disabledTimeout: '`{{call}}` sets `{{setting}}`, which turns its deadline off; use a finite timeout such as `{{option}}`.',
      instanceTimeoutOff:
        '`{{call}}` goes through `{{instance}}`, made with `{{setting}}`, so a stalled server hangs it forever; pass `{{option}}` on the call or use a finite timeout where the instance is made.',
      unverifiedTimeout:
        '`{{call}}` takes its options from `{{options}}`, where no deadline is visible; pass `{{option}}` explicitly or run it under withTimeout(…).',
      untimedSignal:
        '`{{call}}` only stops when `{{signal}}` aborts, which has no deadline of its own; combine it with `AbortSignal.timeout({{ms}})`.',
      addSignal: 'Add `signal: AbortSignal.timeout({{ms}})`.',
      combineSignal: 'Combine the signal with `AbortSignal.timeout({{ms}})` through `AbortSignal.any`.',
      addTimeout: 'Add `{{option}}` to the call.',
      addClientTimeout: 'Add `{{option}}` where `{{client}}` is created, for every call it makes.',
      setTimeoutValue: 'Use `{{option}}`.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          strict: {
            type: 'boolean',
            description:
              'Also report calls whose options the rule cannot see into (a spread, a variable, a client built elsewhere) and signals that are not visibly timed.',
          },
          wrappers: {
            type: 'array',
            items: { type: 'string' },
            description: "Extra function names that put a deadline on the calls made inside them; added to the policy's lint.timeouts.",
          },
          reportSdkDefaults: {
            type: 'boolean',
            description:
              "Also report model calls whose only deadline is their SDK's default (10 minutes for OpenAI and Anthropic, and the LangChain models built on them) when it is longer than the policy's model timeout.",
          },
        },
      },
    ],
    defaultOptions: [{ strict: false, wrappers: [], reportSdkDefaults: false }],
  },
  // eslint-disable-next-line max-lines-per-function -- an ESLint rule's create(): its visitor handlers share the file's per-run state in this closure
  create(context, [options]) {
    const policy = policyFor(context);
    const strict = options.strict === true;
    const reportSdkDefaults = options.reportSdkDefaults === true;
    const wrappers = new Set([...(options.wrappers ?? []), ...policy.lint.timeouts]);
    const sourceCode = context.sourceCode;
    // A parser without TypeScript's services (espree for plain .js) has none to give.
    const services = sourceCode.parserServices?.esTreeNodeToTSNodeMap == null ? undefined : ESLintUtils.getParserServices(context, true);
    const httpMs = formatMs(policy.defaults.timeouts.http);
    const modelMs = formatMs(policy.defaults.timeouts.model);
    const pending: Pending[] = [];
    /** Where a client or instance is made with its deadline off (`timeout: false`), reported at the end… */
    const settings: { property: TSESTree.Property; report: () => void }[] = [];
    /** …unless a call through it was reported for it already. */
    const reportedSettings = new Set<TSESTree.Property>();
    const lookup = providerLookup(policy, sourceCode, context.physicalFilename, services);
    /** Options held in a local variable or built by a same-file function, read like an inline object. */
    const held = (node: TSESTree.Node): TSESTree.ObjectExpression | undefined =>
      heldObject(node, sourceCode.getScope(node), (inner) => sourceCode.getScope(inner), sourceCode.visitorKeys);
    /** axios / got instances (their creating call) and `axios` itself that set `defaults.timeout`. */
    const defaultsSet = new Set<TSESTree.Node | 'axios'>();

    function describe(callee: TSESTree.Node): string {
      return calleeText(callee) ?? sourceCode.getText(callee).replace(/\s+/g, '');
    }

    function remedyFor(library: HttpCall['library'] | 'sdk', callKeys: readonly string[] = ['timeout']): Remedy {
      if (library === 'sdk') {
        // The SDK's first deadline option that takes milliseconds or a signal, in the catalog's order.
        const key = callKeys.find((name) => ['timeout', 'timeoutMs', 'signal', 'abortSignal'].includes(name)) ?? 'signal';
        if (key === 'timeout' || key === 'timeoutMs') return { option: `${key}: ${modelMs}`, key, value: modelMs, ms: modelMs };
        const signal = key;
        return { option: `${signal}: AbortSignal.timeout(${modelMs})`, key: signal, value: `AbortSignal.timeout(${modelMs})`, ms: modelMs };
      }
      if (library === 'axios') return { option: `timeout: ${httpMs}`, key: 'timeout', value: httpMs, ms: httpMs };
      if (library === 'got')
        return { option: `timeout: { request: ${httpMs} }`, key: 'timeout', value: `{ request: ${httpMs} }`, ms: httpMs };
      if (library === 'ky') return { option: `timeout: ${httpMs}`, key: 'timeout', value: httpMs, ms: httpMs };
      return { option: `signal: AbortSignal.timeout(${httpMs})`, key: 'signal', value: `AbortSignal.timeout(${httpMs})`, ms: httpMs };
    }

    /**
     * The suggestion that adds the remedy to the call's options at `index`, or into `nested.object`
     * (the call's `config: { … }`) when the SDK reads its deadline there.
     */
    function addToCall(node: TSESTree.CallExpression, index: number, remedy: Remedy, nested?: NestedTarget) {
      if (nested?.object !== undefined) {
        const object = nested.object;
        return {
          messageId: 'addTimeout' as const,
          data: { ms: remedy.ms, option: nested.remedy.option },
          fix: (fixer: RuleFixer): RuleFix | null => addProperty(fixer, sourceCode, object, remedy.option),
        };
      }
      const added = nested?.remedy ?? remedy;
      return {
        messageId: added.key === 'signal' ? ('addSignal' as const) : ('addTimeout' as const),
        data: { ms: added.ms, option: added.option },
        fix: (fixer: RuleFixer): RuleFix | null => {
          const argument = node.arguments[index];
          const object = asObjectLiteral(argument);
          if (object !== undefined) return addProperty(fixer, sourceCode, object, added.option);
          return (
            addOption(fixer, sourceCode, node, index, added.option) ??
            (argument === undefined ? null : spreadOption(fixer, sourceCode, argument, added.option))
          );
        },
      };
    }

    /** The suggestion that adds the remedy where a client or instance is made (`axios.create({ … })`). */
    function addToClient(construction: TSESTree.CallExpression | TSESTree.NewExpression, client: string, remedy: Remedy) {
      if (construction.arguments.length > 0 && asObjectLiteral(construction.arguments[0]) === undefined) return [];
      return [
        {
          messageId: 'addClientTimeout' as const,
          data: { option: remedy.option, client },
          fix: (fixer: RuleFixer): RuleFix | null => addOption(fixer, sourceCode, construction, 0, remedy.option) ?? null,
        },
      ];
    }

    function report(
      node: TSESTree.CallExpression,
      verdict: Exclude<OptionsVerdict, { kind: 'deadline' }>,
      index: number,
      remedy: Remedy,
      peer: string,
      client?: { construction: TSESTree.CallExpression | TSESTree.NewExpression; name: string },
      sdkDefault?: { provider: string; ms: number },
      nested?: NestedTarget,
    ): void {
      const call = describe(node.callee);
      const onClient = client === undefined ? [] : addToClient(client.construction, client.name, remedy);
      const onCall = nested === null ? [] : [addToCall(node, index, remedy, nested)];
      const option = nested?.remedy.option ?? remedy.option;
      switch (verdict.kind) {
        case 'missing':
        case 'opaque':
          if (verdict.kind === 'missing' && sdkDefault !== undefined) {
            context.report({
              node,
              messageId: 'defaultTimeout',
              data: { call, provider: sdkDefault.provider, duration: durationText(sdkDefault.ms), option },
              suggest: [...onCall, ...onClient],
            });
            return;
          }
          context.report({
            node,
            messageId: verdict.kind === 'missing' ? 'missingTimeout' : 'unverifiedTimeout',
            data: { call, peer, option, options: verdict.kind === 'opaque' ? sourceCode.getText(verdict.node).replace(/\s+/g, ' ') : '' },
            suggest: [...onCall, ...onClient],
          });
          return;
        case 'disabled': {
          const property = verdict.property;
          const key = propertyKey(property) ?? 'timeout';
          const value = remedy.key === 'signal' ? remedy.ms : remedy.value;
          const option = `${key}: ${value}`;
          context.report({
            node,
            messageId: 'disabledTimeout',
            data: { call, setting: sourceCode.getText(property), option },
            suggest: [{ messageId: 'setTimeoutValue', data: { option }, fix: (fixer) => setPropertyValue(fixer, property, key, value) }],
          });
          return;
        }
        case 'untimedSignal': {
          const property = verdict.property;
          const signal = sourceCode.getText(property.value);
          context.report({
            node,
            messageId: 'untimedSignal',
            data: { call, signal, ms: remedy.ms },
            suggest: [
              {
                messageId: 'combineSignal',
                data: { ms: remedy.ms },
                fix: (fixer) =>
                  setPropertyValue(fixer, property, 'signal', `AbortSignal.any([${signal}, AbortSignal.timeout(${remedy.ms})])`),
              },
            ],
          });
          return;
        }
      }
    }

    /** `req.setTimeout(…)` on the request an http(s) call returns, chained or through its variable. */
    function setsTimeoutOnResult(node: TSESTree.CallExpression, scope: Scope.Scope): boolean {
      const isSetTimeout = (member: TSESTree.Node | undefined): boolean =>
        member?.type === AST_NODE_TYPES.MemberExpression &&
        !member.computed &&
        member.property.type === AST_NODE_TYPES.Identifier &&
        member.property.name === 'setTimeout' &&
        member.parent.type === AST_NODE_TYPES.CallExpression;
      if (isSetTimeout(node.parent) && (node.parent as TSESTree.MemberExpression).object === node) return true;
      const variable = assignedVariable(node, scope);
      return variable?.references.some((reference) => isSetTimeout(reference.identifier.parent)) ?? false;
    }

    /** `api.get(…)` through `const api = ky.create({ timeout: false })`: the call has no deadline; fix it on the call or where the instance is made. */
    function reportSwitchedOff(node: TSESTree.CallExpression, http: HttpCall, property: TSESTree.Property, remedy: Remedy): void {
      const value = remedy.key === 'signal' ? remedy.ms : remedy.value;
      const option = `timeout: ${value}`;
      context.report({
        node,
        messageId: 'instanceTimeoutOff',
        data: {
          call: describe(node.callee),
          instance: http.receiver === undefined ? 'its instance' : describe(http.receiver),
          setting: sourceCode.getText(property),
          option: remedy.option,
        },
        suggest: [
          addToCall(node, http.optionsIndex, remedy),
          { messageId: 'setTimeoutValue', data: { option }, fix: (fixer) => setPropertyValue(fixer, property, 'timeout', value) },
        ],
      });
    }

    function checkHttp(node: TSESTree.CallExpression, http: HttpCall, scope: Scope.Scope): void {
      const remedy = remedyFor(http.library);
      if (http.api.timeoutMethod !== undefined) {
        // superagent: `.timeout(ms)` chained on the request.
        if (chainsMethod(node, http.api.timeoutMethod)) return;
        const option = `.${http.api.timeoutMethod}(${httpMs})`;
        pending.push({
          node,
          http,
          report: () =>
            context.report({
              node,
              messageId: 'missingTimeout',
              data: { call: describe(node.callee), peer: 'server', option, options: '' },
              suggest: [{ messageId: 'addTimeout', data: { option }, fix: (fixer) => fixer.insertTextAfter(node, option) }],
            }),
        });
        return;
      }
      // An instance's defaults, nearest first: `base.extend({ timeout: false })` overrides what `base` was made with.
      let switchedOff: TSESTree.Property | undefined;
      for (const instance of http.instances) {
        const config = inspectOptions(instance.arguments[0], ['timeout'], scope, false, held);
        if (config.kind === 'disabled') {
          switchedOff = config.property;
          break;
        }
        if (config.kind === 'deadline' || (config.kind === 'opaque' && !strict)) return;
      }
      const verdict = inspectOptions(optionsAt(node, http.optionsIndex), http.timeoutKeys, scope, strict, held);
      if (verdict.kind === 'deadline' || (verdict.kind === 'opaque' && !strict)) return;
      // A call through an instance made with its deadline off has none (D2): reported at the call, which the setting leaves hanging.
      if (switchedOff !== undefined && verdict.kind === 'missing') {
        const property = switchedOff;
        reportedSettings.add(property);
        pending.push({ node, http, report: () => reportSwitchedOff(node, http, property, remedy) });
        return;
      }
      // ky: a 10 s default unless turned off.
      if (http.api.defaultMs !== undefined && verdict.kind === 'missing') return;
      if (http.library === 'http' && setsTimeoutOnResult(node, scope)) return;
      const client =
        http.instance === undefined || http.receiver === undefined
          ? undefined
          : { construction: http.instance, name: describe(http.receiver) };
      pending.push({ node, http, report: () => report(node, verdict, http.optionsIndex, remedy, 'server', client) });
    }

    /**
     * The options argument at `index`, or the spread that may fill it: `fetch(...args)` passes
     * its caller's options, whose signal the rule cannot see (opaque, not missing).
     */
    function optionsAt(node: TSESTree.CallExpression | TSESTree.NewExpression, index: number): TSESTree.Node | undefined {
      return node.arguments.slice(0, index + 1).find((argument) => argument.type === AST_NODE_TYPES.SpreadElement) ?? node.arguments[index];
    }

    /** The deadline a client has when none is set: its SDK's, or the SDK a framework class rides on (LangChain's `ChatOpenAI`). */
    function defaultDeadline(client: ProviderClient, deadline: ProviderDeadline): { provider: string; ms: number } | undefined {
      if (deadline.defaultMs !== undefined) return { provider: client.label, ms: deadline.defaultMs };
      const construction = client.construction;
      if (deadline.classDefaults === undefined || construction?.type !== AST_NODE_TYPES.NewExpression) return undefined;
      const binding = resolveImport(construction.callee, sourceCode.getScope(construction));
      return binding === undefined || !Object.hasOwn(deadline.classDefaults, binding.imported)
        ? undefined
        : deadline.classDefaults[binding.imported];
    }

    function checkSdk(node: TSESTree.CallExpression, sdk: ProviderCall, scope: Scope.Scope): void {
      const { client } = sdk;
      const deadline = client.api.deadline;
      if (client.throttled || deadline === undefined) return;
      // An SDK's default is a deadline; with reportSdkDefaults, only one no longer than the policy's.
      const sdkDefault = defaultDeadline(client, deadline);
      const defaultSuffices = sdkDefault !== undefined && (!reportSdkDefaults || sdkDefault.ms <= policy.defaults.timeouts.model);
      for (const call of client.withOptions) {
        if (inspectOptions(call.arguments[0], deadline.client, scope, false, held).kind !== 'missing') return;
      }
      const moduleFunction = sdk.receiver === node.callee;
      if (client.construction === undefined) {
        if (!strict && !moduleFunction) return;
      } else {
        const built = inspectOptions(client.construction.arguments[0], deadline.client, scope, false, held);
        // A disabled timeout is reported once, where the client is built.
        if (built.kind === 'deadline' || built.kind === 'disabled' || (built.kind === 'opaque' && !strict)) return;
      }
      const index = callOptionsIndex(node, sdk, services);
      let verdict = inspectOptions(optionsAt(node, index), deadline.call, scope, strict, held);
      // Options nested under a key of the call's options (`config: { abortSignal }`) count too.
      const nested =
        verdict.kind === 'missing' && verdict.object !== undefined && deadline.nestedIn !== undefined
          ? findProperty(verdict.object, deadline.nestedIn)
          : undefined;
      if (nested !== undefined) {
        const inner = inspectOptions(nested.value, deadline.call, scope, strict, held);
        if (inner.kind !== 'missing') verdict = inner;
      }
      if (verdict.kind === 'deadline' || (verdict.kind === 'opaque' && !strict)) return;
      // The default stands unless the call turns it off (`timeout: 0`).
      if (defaultSuffices && verdict.kind !== 'disabled') return;
      const remedy = remedyFor('sdk', deadline.call);
      const target = deadline.nestedIn === undefined ? undefined : nestedTarget(deadline.nestedIn, verdict, node.arguments[index], remedy);
      const construction = client.construction;
      pending.push({
        node,
        http: undefined,
        report: () =>
          report(
            node,
            verdict,
            index,
            remedy,
            `${client.label} API`,
            construction === undefined || !deadline.client.includes(remedy.key)
              ? undefined
              : { construction, name: describe(sdk.receiver) },
            sdkDefault,
            target,
          ),
      });
    }

    /**
     * Where the remedy goes for an SDK that reads its deadline under a key of the call's options
     * (Google GenAI: `generateContent({ model, contents, config: { abortSignal } })`): into that
     * key's object literal, or as a new `config: { … }`; null (no call suggestion) when the key
     * holds something the rule cannot see into or the options are not a literal.
     */
    function nestedTarget(key: string, verdict: OptionsVerdict, options: TSESTree.Node | undefined, remedy: Remedy): NestedTarget {
      const wrapped: Remedy = { option: `${key}: { ${remedy.option} }`, key, value: `{ ${remedy.option} }`, ms: remedy.ms };
      const object = verdict.kind === 'missing' ? verdict.object : undefined;
      if (object === undefined) return options === undefined ? { remedy: wrapped, object: undefined } : null;
      const property = findProperty(object, key);
      if (property === undefined) return { remedy: wrapped, object: undefined };
      const inner = asObjectLiteral(property.value);
      return inner === undefined ? null : { remedy: wrapped, object: inner };
    }

    /** The policy's `lint.httpClients` entry a call is, matched on the module's resolved file and the export's name. */
    function policyClient(node: TSESTree.CallExpression, scope: Scope.Scope): HttpClientPolicy | undefined {
      if (policy.lint.httpClients.length === 0) return undefined;
      const binding = resolveImport(node.callee, scope);
      if (binding === undefined) return undefined;
      const key = moduleKey(binding.module, context.physicalFilename);
      return policy.lint.httpClients.find(
        (entry) => policyModuleKey(entry.module, policy.source) === key && entry.methods.includes(binding.imported),
      );
    }

    function checkPolicyClient(node: TSESTree.CallExpression, client: HttpClientPolicy, scope: Scope.Scope): void {
      const verdict = inspectOptions(optionsAt(node, client.optionsIndex), client.timeoutKeys, scope, strict, held);
      if (verdict.kind === 'deadline' || (verdict.kind === 'opaque' && !strict)) return;
      const key = client.timeoutKeys[0];
      const remedy: Remedy = key === undefined ? remedyFor('fetch') : { option: `${key}: ${httpMs}`, key, value: httpMs, ms: httpMs };
      pending.push({ node, http: undefined, report: () => report(node, verdict, client.optionsIndex, remedy, 'server') });
    }

    /**
     * `new OpenAI({ timeout: 0 })`, `axios.create({ timeout: Infinity })`, `ky.extend({ timeout: false })`,
     * `base.extend({ timeout: false })` on an instance: reported where the client is built.
     */
    function checkConstruction(node: TSESTree.NewExpression | TSESTree.CallExpression, scope: Scope.Scope): void {
      let library: 'sdk' | HttpCall['library'];
      if (node.type === AST_NODE_TYPES.NewExpression) {
        const client = classifyClient(node, lookup);
        if (client?.api.deadline?.client.includes('timeout') !== true) return;
        library = 'sdk';
      } else {
        const binding = resolveImport(node.callee, scope);
        const imported = binding === undefined ? undefined : httpClientOf(binding.module);
        if (imported !== undefined && imported.instanceFactories.includes(binding!.imported)) library = imported.id;
        else {
          // The module reached through a parameter's default (`{ ky = defaultKy }`), or an instance made from another instance.
          const callee = node.callee;
          if (
            binding !== undefined ||
            callee.type !== AST_NODE_TYPES.MemberExpression ||
            callee.computed ||
            callee.property.type !== AST_NODE_TYPES.Identifier
          )
            return;
          const factory = moduleFactory(callee, scope);
          const parent = factory === undefined ? instanceOrigin(callee.object, scope) : undefined;
          if (factory !== undefined) library = factory.id;
          else if (parent !== undefined && parent.api.instanceFactories.includes(callee.property.name)) library = parent.api.id;
          else return;
        }
        if (!HTTP_CLIENTS.find((client) => client.id === library)?.timeoutKeys.includes('timeout')) return;
      }
      const object = asObjectLiteral(node.arguments[0]);
      const property = object === undefined ? undefined : findProperty(object, 'timeout');
      if (property === undefined || !isDisabledTimeout(property.value, scope)) return;
      const remedy = remedyFor(library);
      // Reported at the end, unless a call through the instance was reported for it.
      settings.push({
        property,
        report: () =>
          context.report({
            node: property,
            messageId: 'disabledTimeout',
            data: { call: describe(node.callee), setting: sourceCode.getText(property), option: remedy.option },
            suggest: [
              {
                messageId: 'setTimeoutValue',
                data: { option: remedy.option },
                fix: (fixer) => setPropertyValue(fixer, property, 'timeout', remedy.value),
              },
            ],
          }),
      });
    }

    return {
      NewExpression(node) {
        checkConstruction(node, sourceCode.getScope(node));
      },
      CallExpression(node) {
        const scope = sourceCode.getScope(node);
        checkConstruction(node, scope);
        const listed = policyClient(node, scope);
        if (listed !== undefined) {
          if (listed.deadlineMs === undefined && !isUnderDeadline(node, scope, wrappers)) checkPolicyClient(node, listed, scope);
          return;
        }
        const http = httpCall(node, scope);
        if (http !== undefined) {
          if (!isUnderDeadline(node, scope, wrappers)) checkHttp(node, http, scope);
          return;
        }
        const sdk = providerCall(node, lookup);
        if (sdk !== undefined && !isUnderDeadline(node, scope, wrappers)) checkSdk(node, sdk, scope);
      },
      // `axios.defaults.timeout = 5_000`, `api.defaults.timeout = 5_000`
      'AssignmentExpression > MemberExpression.left[property.name="timeout"] > MemberExpression.object[property.name="defaults"]'(
        node: TSESTree.MemberExpression,
      ) {
        const assignment = node.parent.parent as TSESTree.AssignmentExpression;
        const scope = sourceCode.getScope(node);
        if (isDisabledTimeout(assignment.right, scope)) return;
        const binding = resolveImport(node.object, scope);
        if (binding?.module === 'axios') {
          defaultsSet.add('axios');
          return;
        }
        const origin = valueOrigin(node.object, scope);
        if (origin !== undefined) defaultsSet.add(origin);
      },
      'Program:exit'() {
        for (const setting of settings) if (!reportedSettings.has(setting.property)) setting.report();
        for (const finding of pending) {
          const http = finding.http;
          if (http?.library === 'axios' && (defaultsSet.has('axios') || (http.instance !== undefined && defaultsSet.has(http.instance))))
            continue;
          finding.report();
        }
      },
    };
  },
});
