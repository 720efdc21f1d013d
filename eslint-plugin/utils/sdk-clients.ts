import { ASTUtils, AST_NODE_TYPES, type ParserServices, type TSESTree } from '@typescript-eslint/utils';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { unionConstituents } from 'ts-api-utils';
import type * as ts from 'typescript';
import {
  AI_SDK_PROVIDERS,
  PROVIDER_APIS,
  PROVIDER_HOSTS,
  REQUEST_OPTION_KEYS,
  isProviderTestModule,
  matchesModule,
  matchesName,
  type ConcurrencyKnob,
  type ProviderApi,
  turnsThrottleOff,
  type ThrottleSwitch,
} from '@bounded/policy';
import type { Policy } from '@bounded/policy';
import { calledFunction, returnedExpressions, type ScopeOf } from './call-graph.js';
import { calleeText } from './functions.js';
import { httpCall, urlText, type HttpCall } from './http-calls.js';
import { resolveImport, type ImportedBinding } from './imports.js';
import { moduleKey, policyModuleKey } from './module-paths.js';
import { findProperty, heldObject } from './option-objects.js';
import { skipTypeWrappers, thisPropertyValues, valueOrigin } from './origins.js';
import { isRuntimeExport } from './runtime-imports.js';

/**
 * Model-provider clients: "is this `client` an OpenAI client, a LangChain model, an AI SDK
 * call, and how was it built?". Every provider comes from the catalog (policy/catalog), plus
 * the policy's `lint.providers`. Syntax and import tracking first, following values through
 * `await`, lazily assigned fields and same-file functions that build a client; the type
 * checker, when there is one, for clients whose construction is not in the file.
 */

export interface ProviderClient {
  readonly api: ProviderApi;
  /** How messages name it: 'OpenAI', 'LangChain', or the policy entry's module. */
  readonly label: string;
  /** The rate limit that should admit its calls ('openai', 'anthropic', the policy's `limiter`). */
  readonly limiter: string | undefined;
  /** `new OpenAI({ … })`, when it is visible in this file. */
  readonly construction: TSESTree.NewExpression | TSESTree.CallExpression | undefined;
  /** Made by bounded's throttleClient(…): rate-limited and under a deadline. */
  readonly throttled: boolean;
  /** `.withOptions({ … })` calls between the construction and the call. */
  readonly withOptions: readonly TSESTree.CallExpression[];
}

/** How a library call that starts many requests is bounded (`batch(xs, { maxConcurrency })`). */
export interface LibraryFanOut {
  readonly knob: ConcurrencyKnob;
  /** `missing` or `unbounded` (Infinity): it starts them all at once. */
  readonly verdict: 'missing' | 'unbounded' | 'finite';
}

export interface ProviderCall {
  readonly client: ProviderClient;
  /** What the client is reached through: `openai`, `this.llm`; the callee for a module function. */
  readonly receiver: TSESTree.Node;
  /** The method path below the client: ['chat', 'completions', 'create']. */
  readonly path: readonly string[];
  /** Set when the call itself fans out inside the library. */
  readonly fanOut: LibraryFanOut | undefined;
}

export interface ProviderLookup {
  readonly apis: readonly ProviderApi[];
  /** The linted file, to resolve relative imports. */
  readonly filename: string;
  readonly scopeOf: ScopeOf;
  readonly visitorKeys: SourceCode.VisitorKeys;
  readonly services: ParserServices | undefined;
}

/** A client made by throttleClient(…) around something this file cannot see. */
const UNKNOWN: ProviderApi = {
  id: 'unknown',
  label: 'provider',
  kind: 'sdk',
  modules: [],
  classes: [],
  keyOptions: [],
  limiter: undefined,
  deadline: undefined,
  declarationDirs: [],
  throttleCodemod: { kind: 'skip', reason: 'the client is made elsewhere' },
  timeoutCodemod: { kind: 'skip', reason: 'the client is made elsewhere' },
};

const ANY = /^/;
const byPolicy = new WeakMap<Policy, readonly ProviderApi[]>();

/** The catalog's providers and the policy's `lint.providers` (project files resolved from the policy's folder). */
export function providerApis(policy: Policy): readonly ProviderApi[] {
  let apis = byPolicy.get(policy);
  if (apis !== undefined) return apis;
  const extra = policy.lint.providers.map((entry): ProviderApi => {
    const module = policyModuleKey(entry.module, policy.source);
    return {
      ...UNKNOWN,
      id: `policy:${entry.module}`,
      label: entry.module,
      modules: [module],
      classes: [ANY],
      factories: [ANY],
      functions: entry.methods,
      methods: entry.methods.length === 0 ? undefined : entry.methods,
      limiter: entry.limiter,
    };
  });
  apis = [...PROVIDER_APIS, ...extra];
  byPolicy.set(policy, apis);
  return apis;
}

export function providerLookup(
  policy: Policy,
  sourceCode: Readonly<SourceCode>,
  filename: string,
  services: ParserServices | undefined,
): ProviderLookup {
  return {
    apis: providerApis(policy),
    filename,
    scopeOf: (node) => sourceCode.getScope(node),
    visitorKeys: sourceCode.visitorKeys,
    services,
  };
}

function isPolicyEntry(api: ProviderApi): boolean {
  return api.id.startsWith('policy:');
}

/** The entry an import binding's module belongs to, matched on the resolved file for project modules. */
function apiOfModule(binding: ImportedBinding, lookup: ProviderLookup): ProviderApi | undefined {
  const key = moduleKey(binding.module, lookup.filename);
  // The policy's entries first: they may name a module the catalog knows more precisely.
  return (
    lookup.apis.find((api) => isPolicyEntry(api) && matchesModule(api.modules, key)) ??
    lookup.apis.find((api) => matchesModule(api.modules, key))
  );
}

function client(api: ProviderApi, construction: ProviderClient['construction'], label = api.label, limiter = api.limiter): ProviderClient {
  return { api, label, limiter, construction, throttled: false, withOptions: [] };
}

/** Several values (every return of a function, every assignment of a field): one client when they all make the same kind. */
function commonClient(values: readonly TSESTree.Node[], lookup: ProviderLookup, depth: number): ProviderClient | undefined {
  let found: ProviderClient | undefined;
  for (const value of values) {
    const bare = skipTypeWrappers(value);
    // `return undefined` / `this.client = null` in a reset: not a client, not a different one either.
    if (
      (bare.type === AST_NODE_TYPES.Literal && bare.value === null) ||
      (bare.type === AST_NODE_TYPES.Identifier && bare.name === 'undefined')
    )
      continue;
    const one = classifyClient(bare, lookup, depth + 1);
    if (one === undefined || (found !== undefined && found.api !== one.api)) return undefined;
    found =
      found === undefined ? one : { ...found, construction: found.construction === one.construction ? found.construction : undefined };
  }
  return found;
}

/** The AI SDK model `node` makes: `openai('gpt-4o')` of '@ai-sdk/openai'; `mock` for a test entry's model. */
export function aiSdkModel(
  node: TSESTree.Node | undefined,
  lookup: ProviderLookup,
  depth = 0,
): { label: string; limiter: string | undefined } | 'mock' | undefined {
  if (node === undefined || depth > 4) return undefined;
  const bare = skipTypeWrappers(node);
  if (bare.type === AST_NODE_TYPES.Identifier || bare.type === AST_NODE_TYPES.MemberExpression) {
    const origin = valueOrigin(bare, lookup.scopeOf(bare));
    return origin === undefined || origin === bare ? undefined : aiSdkModel(origin, lookup, depth + 1);
  }
  if (bare.type !== AST_NODE_TYPES.CallExpression && bare.type !== AST_NODE_TYPES.NewExpression) return undefined;
  let callee = skipTypeWrappers(bare.callee);
  // `openai.chat('gpt-4o')`, `openai.embedding(…)`: a model of the same provider.
  if (
    bare.type === AST_NODE_TYPES.CallExpression &&
    callee.type === AST_NODE_TYPES.MemberExpression &&
    resolveImport(callee, lookup.scopeOf(callee)) === undefined
  ) {
    callee = skipTypeWrappers(callee.object);
  }
  const binding = resolveImport(callee, lookup.scopeOf(callee));
  if (binding === undefined) {
    // `const openai = createOpenAI({ apiKey })`, then `openai('gpt-4o')`.
    const origin = callee.type === AST_NODE_TYPES.Identifier ? valueOrigin(callee, lookup.scopeOf(callee)) : undefined;
    return origin === undefined || origin === callee ? undefined : aiSdkModel(origin, lookup, depth + 1);
  }
  if (isProviderTestModule(binding.module)) return 'mock';
  return AI_SDK_PROVIDERS[binding.module];
}

/**
 * The client an expression holds or makes, or undefined when it is not one: a construction
 * (`new OpenAI()`, `new ChatOpenAI()`, `initChatModel()`), a ready client export (`ollama`),
 * something derived from one (`model.withStructuredOutput(…)`, `prompt.pipe(model)`,
 * `genAI.getGenerativeModel(…)`), `await` of one, a variable or field holding one (also one
 * assigned lazily: `this.client ??= new OpenAI()`), or a call of a same-file function whose
 * every return makes one (`await this.getClient()`).
 */
export function classifyClient(expression: TSESTree.Node, lookup: ProviderLookup, depth = 0): ProviderClient | undefined {
  if (depth > 8) return undefined;
  const node = skipTypeWrappers(expression);
  const scope = lookup.scopeOf(node);
  switch (node.type) {
    case AST_NODE_TYPES.AwaitExpression:
      return classifyClient(node.argument, lookup, depth + 1);
    case AST_NODE_TYPES.ChainExpression:
      return classifyClient(node.expression, lookup, depth + 1);
    case AST_NODE_TYPES.LogicalExpression:
      // `cached ?? new OpenAI()`: both sides must agree.
      return commonClient([node.left, node.right], lookup, depth);
    case AST_NODE_TYPES.Identifier:
    case AST_NODE_TYPES.MemberExpression: {
      const binding = resolveImport(node, scope);
      if (binding !== undefined) {
        const api = apiOfModule(binding, lookup);
        return api?.instances?.includes(binding.imported) === true ? client(api, undefined) : undefined;
      }
      const origin = valueOrigin(node, scope);
      if (origin !== undefined && origin !== node) return classifyClient(origin, lookup, depth + 1);
      if (node.type === AST_NODE_TYPES.MemberExpression && node.object.type === AST_NODE_TYPES.ThisExpression) {
        const values = thisPropertyValues(node);
        return values.length === 0 ? undefined : commonClient(values, lookup, depth);
      }
      return undefined;
    }
    case AST_NODE_TYPES.NewExpression: {
      const made = constructedClass(node.callee, lookup, scope);
      if (made === undefined) return undefined;
      const { binding, api } = made;
      return matchesName(api.classes, binding.imported) ? client(api, node) : undefined;
    }
    case AST_NODE_TYPES.CallExpression:
      return classifyCall(node, lookup, scope, depth);
    default:
      return undefined;
  }
}

/**
 * The catalog class a `new` expression builds: an imported class (`new WebClient(…)`), one of a
 * namespace export (`new messagingApi.MessagingApiClient(…)`), or a class extended with plugins
 * (`const MyOctokit = Octokit.plugin(throttling)`, then `new MyOctokit(…)`).
 */
function constructedClass(
  callee: TSESTree.Node,
  lookup: ProviderLookup,
  scope: Scope.Scope,
): { binding: ImportedBinding; api: ProviderApi } | undefined {
  const bare = skipTypeWrappers(callee);
  const binding = resolveImport(bare, scope);
  if (binding !== undefined) {
    if (isProviderTestModule(binding.module)) return undefined;
    const api = apiOfModule(binding, lookup);
    return api === undefined ? undefined : { binding, api };
  }
  if (bare.type === AST_NODE_TYPES.MemberExpression && !bare.computed && bare.property.type === AST_NODE_TYPES.Identifier) {
    const namespace = resolveImport(bare.object, scope);
    const api = namespace === undefined ? undefined : apiOfModule(namespace, lookup);
    if (api?.namespaces?.includes(namespace!.imported) === true)
      return { binding: { module: namespace!.module, imported: bare.property.name }, api };
  }
  const base = pluginBase(bare, scope);
  return base === undefined ? undefined : constructedClass(base.base, lookup, scope);
}

/** `X.plugin(a, b)` (or `.defaults(…)` on it) behind a class, and the plugins it applies. */
function pluginBase(callee: TSESTree.Node, scope: Scope.Scope, depth = 0): { base: TSESTree.Node; plugins: TSESTree.Node[] } | undefined {
  if (depth > 4) return undefined;
  const origin = callee.type === AST_NODE_TYPES.Identifier ? valueOrigin(callee, scope) : callee;
  const call = origin === undefined ? undefined : skipTypeWrappers(origin);
  if (
    call?.type !== AST_NODE_TYPES.CallExpression ||
    call.callee.type !== AST_NODE_TYPES.MemberExpression ||
    call.callee.property.type !== AST_NODE_TYPES.Identifier
  )
    return undefined;
  const method = call.callee.property.name;
  if (method !== 'plugin' && method !== 'defaults') return undefined;
  const inner = pluginBase(call.callee.object, scope, depth + 1);
  const own = method === 'plugin' ? call.arguments.filter((argument) => argument.type !== AST_NODE_TYPES.SpreadElement) : [];
  return inner === undefined ? { base: call.callee.object, plugins: own } : { base: inner.base, plugins: [...inner.plugins, ...own] };
}

/** True when `node` is an export of one of `modules` (`throttling` of '@octokit/plugin-throttling'), or a call of one (`apiThrottler()`). */
function isPluginOf(node: TSESTree.Node, modules: readonly string[], scope: Scope.Scope): boolean {
  const bare = skipTypeWrappers(node);
  const target = bare.type === AST_NODE_TYPES.CallExpression ? bare.callee : bare;
  const binding = resolveImport(target, scope);
  return binding !== undefined && modules.includes(binding.module);
}

/** The value at a dotted option path of an options object (`rest.rejectOnRateLimit`), when it is visible. */
function optionAt(object: TSESTree.ObjectExpression, path: string, lookup: ProviderLookup): TSESTree.Node | undefined {
  let current: TSESTree.ObjectExpression | undefined = object;
  const keys = path.split('.');
  for (const [index, key] of keys.entries()) {
    const property: TSESTree.Property | undefined = current === undefined ? undefined : findProperty(current, key);
    if (property === undefined) return undefined;
    if (index === keys.length - 1) return skipTypeWrappers(property.value);
    current = heldObject(property.value, lookup.scopeOf(property.value), lookup.scopeOf, lookup.visitorKeys);
  }
  return undefined;
}

function switchedOff(value: TSESTree.Node, when: ThrottleSwitch['when']): boolean {
  const name = value.type === AST_NODE_TYPES.Literal ? undefined : calleeText(value);
  return turnsThrottleOff(
    when,
    value.type === AST_NODE_TYPES.Literal ? { literal: value.value } : name === undefined ? { other: true } : { name },
  );
}

/** A plugin applied to the client held where `construction` is stored: `bot.api.config.use(apiThrottler())`. */
function pluginUsedOnInstance(construction: TSESTree.Node, modules: readonly string[], lookup: ProviderLookup): boolean {
  const declarator = construction.parent;
  if (declarator?.type !== AST_NODE_TYPES.VariableDeclarator || declarator.id.type !== AST_NODE_TYPES.Identifier) return false;
  const scope = lookup.scopeOf(declarator);
  const variable = scope.set.get(declarator.id.name) ?? scope.upper?.set.get(declarator.id.name);
  return (
    variable?.references.some((reference) => {
      for (
        let current: TSESTree.Node | undefined = reference.identifier.parent;
        current?.type === AST_NODE_TYPES.MemberExpression || current?.type === AST_NODE_TYPES.CallExpression;
        current = current.parent
      ) {
        if (
          current.type === AST_NODE_TYPES.CallExpression &&
          current.arguments.some((argument) => isPluginOf(argument, modules, lookup.scopeOf(argument)))
        )
          return true;
      }
      return false;
    }) ?? false
  );
}

/**
 * True when the client holds its own calls to the API's limits (the catalog's `selfThrottle`):
 * built-in and not turned off in the options it was made with, or turned on by a plugin
 * applied to its class or instance. A client made out of sight keeps the SDK's default.
 */
export function isSelfThrottled(made: ProviderClient, lookup: ProviderLookup): boolean {
  const self = made.api.selfThrottle;
  if (self === undefined) return false;
  const construction = made.construction;
  if (self.plugins !== undefined) {
    if (construction === undefined) return false;
    const scope = lookup.scopeOf(construction);
    const fromClass =
      construction.type === AST_NODE_TYPES.NewExpression ? (pluginBase(skipTypeWrappers(construction.callee), scope)?.plugins ?? []) : [];
    // `getOctokit(token, options, throttling)`: plugins after the options.
    const fromFactory = construction.type === AST_NODE_TYPES.CallExpression ? construction.arguments.slice(2) : [];
    const applied =
      [...fromClass, ...fromFactory].some((plugin) => isPluginOf(plugin, self.plugins!, scope)) ||
      pluginUsedOnInstance(construction, self.plugins, lookup);
    if (!applied) return false;
  }
  if (construction === undefined) return true;
  const index = construction.type === AST_NODE_TYPES.CallExpression && self.plugins !== undefined ? 1 : self.optionsIndex;
  const options = construction.arguments[index];
  const object = options === undefined ? undefined : heldObject(options, lookup.scopeOf(options), lookup.scopeOf, lookup.visitorKeys);
  if (object === undefined) return true;
  return !self.disabledBy.some((entry) => {
    const value = optionAt(object, entry.option, lookup);
    return value !== undefined && switchedOff(value, entry.when);
  });
}

function classifyCall(
  node: TSESTree.CallExpression,
  lookup: ProviderLookup,
  scope: Scope.Scope,
  depth: number,
): ProviderClient | undefined {
  const callee = skipTypeWrappers(node.callee);
  if (isRuntimeExport(callee, scope, ['throttleClient'])) {
    const inner = node.arguments[0] === undefined ? undefined : classifyClient(node.arguments[0], lookup, depth + 1);
    return { ...(inner ?? client(UNKNOWN, undefined)), throttled: true };
  }
  if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier) {
    const method = callee.property.name;
    if (method === 'withOptions') {
      const inner = classifyClient(callee.object, lookup, depth + 1);
      return inner === undefined ? undefined : { ...inner, withOptions: [...inner.withOptions, node] };
    }
    // `RunnableSequence.from([prompt, model, parser])`, `prompt.pipe(model)`: a sequence that calls the model.
    if (method === 'pipe' || (method === 'from' && calleeText(callee.object)?.endsWith('RunnableSequence') === true)) {
      const parts = node.arguments.flatMap((argument) =>
        argument.type === AST_NODE_TYPES.ArrayExpression ? argument.elements : [argument],
      );
      for (const part of parts) {
        if (part === null || part.type === AST_NODE_TYPES.SpreadElement) continue;
        const model = classifyClient(part, lookup, depth + 1);
        if (model !== undefined) return model;
      }
    }
    const inner = resolveImport(callee, scope) === undefined ? classifyClient(callee.object, lookup, depth + 1) : undefined;
    if (inner?.api.derive?.includes(method) === true) return inner;
  }
  const binding = resolveImport(callee, scope);
  if (binding !== undefined) {
    if (isProviderTestModule(binding.module)) return undefined;
    // An AI SDK model: `openai('gpt-4o')`, `openai.embedding(…)` of '@ai-sdk/openai'.
    const model = AI_SDK_PROVIDERS[binding.module];
    const aiSdk = lookup.apis.find((api) => api.id === 'ai-sdk');
    if (model !== undefined && aiSdk !== undefined) return client(aiSdk, node, model.label, model.limiter);
    const api = apiOfModule(binding, lookup);
    return api !== undefined && api.factories !== undefined && matchesName(api.factories, binding.imported) ? client(api, node) : undefined;
  }
  // `await this.getClient()`, `makeClient(key)`: a same-file function whose every return makes one.
  const fn = calledFunction(node, lookup.scopeOf);
  if (fn === undefined || depth > 4) return undefined;
  const returned = returnedExpressions(fn, lookup.visitorKeys);
  return returned.length === 0 ? undefined : commonClient(returned, lookup, depth);
}

/** The provider a value's type says it is (`client: OpenAI`), with the checker; undefined without one. */
export function typedClient(node: TSESTree.Node, lookup: ProviderLookup): ProviderClient | undefined {
  const services = lookup.services;
  if (services?.program == null) return undefined;
  const checker = services.program.getTypeChecker();
  let type: ts.Type;
  try {
    type = checker.getNonNullableType(services.getTypeAtLocation(node));
  } catch {
    return undefined;
  }
  for (const part of unionConstituents(type)) {
    const symbol = part.getSymbol() ?? part.aliasSymbol;
    if (symbol === undefined) continue;
    const files = (symbol.getDeclarations() ?? []).map((declaration) => declaration.getSourceFile().fileName.replaceAll('\\', '/'));
    for (const api of lookup.apis) {
      const named =
        api.classes.some((entry) => typeof entry === 'string' && entry === symbol.getName()) ||
        api.classes.some((entry) => typeof entry !== 'string' && entry.test(symbol.getName()));
      if (named && files.some((file) => api.declarationDirs.some((dir) => file.includes(dir)))) return client(api, undefined);
      if (
        isPolicyEntry(api) &&
        api.modules.some((module) => typeof module === 'string' && files.some((file) => file.includes(`/node_modules/${module}/`)))
      ) {
        return client(api, undefined);
      }
    }
  }
  return undefined;
}

function isRequestPath(api: ProviderApi, path: readonly string[]): boolean {
  if (api === UNKNOWN) return path.length >= 1;
  if (isPolicyEntry(api) && api.methods === undefined) return path.length >= 1;
  if (api.resources !== undefined && path.length >= (api.minPath ?? 1) && api.resources.includes(path[0]!)) return true;
  return api.methods?.includes(path.join('.')) === true;
}

/** Method names that could be a request on some catalog client: worth finding out where the receiver comes from. */
const REQUEST_HEADS = new Set(
  PROVIDER_APIS.flatMap((api) => [...(api.resources ?? []), ...(api.methods ?? []).map((method) => method.split('.')[0]!)]),
);

/** The knob of a library fan-out call, read from its options (inline, a local variable, or a same-file builder). */
function fanOutOf(api: ProviderApi, method: string, call: TSESTree.CallExpression, lookup: ProviderLookup): LibraryFanOut | undefined {
  const knob = api.fanOuts?.[method];
  if (knob === undefined) return undefined;
  const argument = call.arguments[knob.optionsIndex];
  if (argument === undefined) return { knob, verdict: 'missing' };
  const object = heldObject(argument, lookup.scopeOf(argument), lookup.scopeOf, lookup.visitorKeys);
  // Options the rule cannot see into: the benefit of the doubt.
  if (object === undefined) return { knob, verdict: 'finite' };
  const property = findProperty(object, knob.option);
  if (property === undefined)
    return { knob, verdict: object.properties.some((p) => p.type === AST_NODE_TYPES.SpreadElement) ? 'finite' : 'missing' };
  const value = skipTypeWrappers(property.value);
  const infinite =
    (value.type === AST_NODE_TYPES.Identifier && value.name === 'Infinity') || calleeText(value) === 'Number.POSITIVE_INFINITY';
  return { knob, verdict: infinite ? 'unbounded' : 'finite' };
}

/** The inputs a library fan-out runs over (`batch(inputs)`, `embedMany({ values })`), where the catalog says they are. */
export function fanOutInputs(call: TSESTree.CallExpression, knob: ConcurrencyKnob, lookup: ProviderLookup): TSESTree.Node | undefined {
  const inputs = knob.inputs;
  const argument = inputs === undefined ? undefined : call.arguments[inputs.argument];
  if (inputs?.property === undefined || argument === undefined) return argument;
  const object = heldObject(argument, lookup.scopeOf(argument), lookup.scopeOf, lookup.visitorKeys);
  return object === undefined ? undefined : findProperty(object, inputs.property)?.value;
}

/**
 * The provider request a call makes, or undefined for anything else: a method on a client
 * (`openai.chat.completions.create(…)`, `model.invoke(…)`, `chain.batch(…)`), a module
 * function (`generateText({ model: openai('gpt-4o'), … })`, a policy-listed project function),
 * or a command sent through a generic client (`bedrock.send(new ConverseCommand(…))`).
 * Mock models from an SDK's test entry are not providers.
 */
export function providerCall(call: TSESTree.CallExpression, lookup: ProviderLookup): ProviderCall | undefined {
  const callee = skipTypeWrappers(call.callee);
  const scope = lookup.scopeOf(call);
  const binding = resolveImport(callee, scope);
  if (binding !== undefined) {
    if (isProviderTestModule(binding.module)) return undefined;
    const api = apiOfModule(binding, lookup);
    if (api === undefined) return undefined;
    // `ollama.chat(…)` on the module's ready client.
    if (
      api.instances?.includes('default') === true &&
      callee.type === AST_NODE_TYPES.MemberExpression &&
      api.methods?.includes(binding.imported) === true
    ) {
      return { client: client(api, undefined), receiver: callee.object, path: [binding.imported], fanOut: undefined };
    }
    if (api.functions?.includes(binding.imported) !== true) return undefined;
    let label = api.label;
    let limiter = api.limiter;
    if (api.id === 'ai-sdk') {
      const options =
        call.arguments[0] === undefined ? undefined : heldObject(call.arguments[0], scope, lookup.scopeOf, lookup.visitorKeys);
      const modelProperty = options === undefined ? undefined : findProperty(options, 'model');
      const model = aiSdkModel(modelProperty?.value, lookup);
      if (model === 'mock') return undefined;
      if (model !== undefined) ({ label, limiter } = model);
    }
    return {
      client: client(api, undefined, label, limiter),
      receiver: callee,
      path: [binding.imported],
      fanOut: fanOutOf(api, binding.imported, call, lookup),
    };
  }
  const command = bedrockCommand(call, lookup);
  if (command !== undefined) return command;

  const path: string[] = [];
  const withOptions: TSESTree.CallExpression[] = [];
  let current: TSESTree.Node = callee;
  for (;;) {
    current = skipTypeWrappers(current);
    if (current.type === AST_NODE_TYPES.MemberExpression) {
      if (current.object.type === AST_NODE_TYPES.ThisExpression) break;
      if (current.computed || current.property.type !== AST_NODE_TYPES.Identifier) return undefined;
      path.unshift(current.property.name);
      current = current.object;
      continue;
    }
    if (
      current.type === AST_NODE_TYPES.CallExpression &&
      current.callee.type === AST_NODE_TYPES.MemberExpression &&
      !current.callee.computed &&
      current.callee.property.type === AST_NODE_TYPES.Identifier &&
      current.callee.property.name === 'withOptions'
    ) {
      withOptions.unshift(current);
      current = current.callee.object;
      continue;
    }
    break;
  }
  if (path.length === 0) return undefined;
  // Look further (import tracking, the checker) only for paths some provider has.
  if (!REQUEST_HEADS.has(path[0]!) && !lookup.apis.some(isPolicyEntry)) return undefined;
  const receiver = current;
  const found = classifyClient(receiver, lookup) ?? typedClient(receiver, lookup) ?? receivedClient(receiver, path, lookup, scope);
  if (found === undefined || !isRequestPath(found.api, path)) return undefined;
  // The AI SDK's model interface: `model.doGenerate(…)` on a model from a provider package.
  return {
    client: { ...found, withOptions: [...found.withOptions, ...withOptions] },
    receiver,
    path,
    fanOut: fanOutOf(found.api, path.at(-1)!, call, lookup),
  };
}

/**
 * Without type information, a client a function receives (`async function remove(req, file,
 * openai)`, `{ openai }`) is known by the name code conventionally gives it, when a request path
 * of that SDK is called on it (`openai.files.del(…)`) and nothing in view says otherwise.
 */
function receivedClient(
  receiver: TSESTree.Node,
  path: readonly string[],
  lookup: ProviderLookup,
  scope: Scope.Scope,
): ProviderClient | undefined {
  if (lookup.services?.program != null || receiver.type !== AST_NODE_TYPES.Identifier) return undefined;
  const definition = ASTUtils.findVariable(scope, receiver.name)?.defs[0];
  if (definition?.type !== DefinitionType.Parameter) return undefined;
  const api = lookup.apis.find((entry) => entry.receivedNames?.test(receiver.name) === true);
  return api !== undefined && isRequestPath(api, path) ? client(api, undefined) : undefined;
}

/** `client.send(new ConverseCommand(…))`: recognised by the command, whatever the client. */
function bedrockCommand(call: TSESTree.CallExpression, lookup: ProviderLookup): ProviderCall | undefined {
  const callee = skipTypeWrappers(call.callee);
  if (
    callee.type !== AST_NODE_TYPES.MemberExpression ||
    callee.computed ||
    callee.property.type !== AST_NODE_TYPES.Identifier ||
    callee.property.name !== 'send'
  ) {
    return undefined;
  }
  let command = call.arguments[0] === undefined ? undefined : skipTypeWrappers(call.arguments[0]);
  if (command?.type === AST_NODE_TYPES.Identifier) command = valueOrigin(command, lookup.scopeOf(command));
  if (command?.type !== AST_NODE_TYPES.NewExpression) return undefined;
  const binding = resolveImport(command.callee, lookup.scopeOf(command));
  if (binding === undefined) return undefined;
  const api = apiOfModule(binding, lookup);
  if (api?.commands?.includes(binding.imported) !== true) return undefined;
  const made = classifyClient(callee.object, lookup);
  return { client: made?.api === api ? made : client(api, undefined), receiver: callee.object, path: ['send'], fanOut: undefined };
}

/**
 * With type information, the index of the parameter an SDK method takes its request options
 * at (`create(body, options?: RequestOptions)` → 1, `runs.create(threadId, body, options)` →
 * 2). Undefined without a checker or when no parameter is typed so.
 */
export function requestOptionsIndex(call: TSESTree.CallExpression, services: ParserServices | undefined): number | undefined {
  if (services?.program == null) return undefined;
  const checker = services.program.getTypeChecker();
  try {
    const signature = checker.getResolvedSignature(services.esTreeNodeToTSNodeMap.get(call));
    for (const [index, parameter] of (signature?.getParameters() ?? []).entries()) {
      const declaration = parameter.valueDeclaration as ts.ParameterDeclaration | undefined;
      if (declaration?.type?.getText().includes('RequestOptions') === true) return index;
    }
  } catch {
    // A synthesized declaration has no text; the caller falls back to the usual place.
  }
  return undefined;
}

/** Keys only the SDKs' request options have (not request bodies), from the catalog. */
const OPTION_KEYS: ReadonlySet<string> = new Set(REQUEST_OPTION_KEYS);

/**
 * Without type information, where an SDK method most likely takes its request options: the
 * second argument (`create(body, options)`, `retrieve(id, options)`), or the third when the
 * first is an id and the second an object that holds no request option
 * (`vectorStores.files.create(storeId, { file_id }, options)`).
 */
export function guessRequestOptionsIndex(call: TSESTree.CallExpression): number {
  const [first, second] = call.arguments.map((argument) => skipTypeWrappers(argument));
  if (first === undefined || second === undefined || first.type === AST_NODE_TYPES.ObjectExpression) return 1;
  if (second.type !== AST_NODE_TYPES.ObjectExpression || second.properties.length === 0) return 1;
  const holdsOption = second.properties.some(
    (property) =>
      property.type === AST_NODE_TYPES.SpreadElement ||
      (property.key.type === AST_NODE_TYPES.Identifier && !property.computed && OPTION_KEYS.has(property.key.name)),
  );
  return holdsOption ? 1 : 2;
}

/** Where a provider call's own deadline options are, for the client's catalog entry. */
export function callOptionsIndex(call: TSESTree.CallExpression, sdk: ProviderCall, services: ParserServices | undefined): number {
  const where = sdk.client.api.deadline?.callOptions ?? 1;
  if (where !== 'request-options') return where;
  return requestOptionsIndex(call, services) ?? guessRequestOptionsIndex(call);
}

/** A provider call as the rules judge it: from an SDK client, a framework, or a request to a provider's host. */
export interface ProviderUse {
  /** What the client is reached through (`openai`, `this.llm`), for SDK clients. */
  readonly receiver: TSESTree.Node | undefined;
  readonly label: string;
  readonly limiter: string | undefined;
  /** The client, when there is one to wrap (not for a module function such as `generateText`). */
  readonly client: ProviderClient | undefined;
  /** Set when the call fans out inside the library (`batch()` without maxConcurrency). */
  readonly fanOut: LibraryFanOut | undefined;
  /** Throttled, bounded by the client's own finite concurrency knob, or a library fan-out with a finite one: a limiter. */
  readonly limited: boolean;
}

/** True when an options object sets `name` to something other than Infinity. */
function hasFiniteOption(object: TSESTree.ObjectExpression | undefined, name: string): boolean {
  const property = object === undefined ? undefined : findProperty(object, name);
  if (property === undefined) return false;
  const value = skipTypeWrappers(property.value);
  return !(value.type === AST_NODE_TYPES.Identifier && value.name === 'Infinity') && calleeText(value) !== 'Number.POSITIVE_INFINITY';
}

/** The provider `node` calls, if it is a provider call at all. */
/**
 * A request's URL as far as the code shows it: the URL argument, or, when that is relative, the
 * base URL of the instance it is sent through (`ky.create({ prefixUrl: 'https://api.openai.com/v1' })`).
 */
function requestUrl(http: HttpCall, scope: Scope.Scope, lookup: ProviderLookup): string | undefined {
  const url = urlText(http.url, scope);
  if (url !== undefined && /^[a-z][\w+.-]*:/i.test(url)) return url;
  for (const instance of http.instances) {
    const config = instance.arguments[0];
    const object = config === undefined ? undefined : heldObject(config, lookup.scopeOf(config), lookup.scopeOf, lookup.visitorKeys);
    const base = (http.api.baseUrlKeys ?? [])
      .map((key) => (object === undefined ? undefined : findProperty(object, key)))
      .find((property) => property !== undefined);
    if (base !== undefined) return urlText(base.value, lookup.scopeOf(base.value));
  }
  return url;
}

export function providerUse(node: TSESTree.CallExpression, lookup: ProviderLookup): ProviderUse | undefined {
  const sdk = providerCall(node, lookup);
  if (sdk !== undefined) {
    const { client: made } = sdk;
    const options = made.construction?.arguments[0];
    const built = options === undefined ? undefined : heldObject(options, lookup.scopeOf(options), lookup.scopeOf, lookup.visitorKeys);
    const bounded = made.api.clientConcurrency !== undefined && hasFiniteOption(built, made.api.clientConcurrency);
    return {
      receiver: sdk.receiver,
      label: made.label,
      limiter: made.limiter,
      client: sdk.receiver === node.callee ? undefined : made,
      fanOut: sdk.fanOut,
      limited: made.throttled || bounded || sdk.fanOut?.verdict === 'finite' || isSelfThrottled(made, lookup),
    };
  }
  const scope = lookup.scopeOf(node);
  const http = httpCall(node, scope);
  if (http === undefined) return undefined;
  const url = requestUrl(http, scope, lookup);
  const provider = url === undefined ? undefined : PROVIDER_HOSTS.find((entry) => entry.host.test(url));
  return provider === undefined
    ? undefined
    : { receiver: undefined, label: provider.label, limiter: provider.limiter, client: undefined, fanOut: undefined, limited: false };
}
