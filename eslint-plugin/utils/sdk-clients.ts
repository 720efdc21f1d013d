import { AST_NODE_TYPES, type ParserServices, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { unionConstituents } from 'ts-api-utils';
import type * as ts from 'typescript';
import type { ProviderApiPolicy } from '@bounded/policy';
import { resolveImport } from './imports.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import { isRuntimeExport } from './runtime-imports.js';

/**
 * Model-provider SDK clients: "is this `client` an OpenAI client, and how was it built?".
 * OpenAI ('openai') and Anthropic ('@anthropic-ai/sdk') are built in; the policy's
 * `lint.providers` add more. Syntax and import tracking first; the type checker, when there
 * is one, for clients whose construction is not in the file (a parameter typed `OpenAI`).
 */

export type ProviderKind = 'openai' | 'anthropic' | 'policy' | 'unknown';

export interface ProviderClient {
  readonly kind: ProviderKind;
  /** How messages name it: 'OpenAI', 'Anthropic', or the policy entry's module. */
  readonly label: string;
  /** The rate limit that should admit its calls ('openai', 'anthropic', the policy's `limiter`). */
  readonly limiter: string | undefined;
  /** `new OpenAI({ … })`, when it is visible in this file. */
  readonly construction: TSESTree.NewExpression | TSESTree.CallExpression | undefined;
  /** Made by bounded's throttleClient(…): rate-limited and under a deadline. */
  readonly throttled: boolean;
  /** `.withOptions({ … })` calls between the construction and the call. */
  readonly withOptions: readonly TSESTree.CallExpression[];
  /** The policy entry's method paths, for `kind: 'policy'`. */
  readonly methods: readonly string[] | undefined;
}

export interface ProviderCall {
  readonly client: ProviderClient;
  /** What the client is reached through: `openai`, `this.llm`; the callee for a module function. */
  readonly receiver: TSESTree.Node;
  /** The method path below the client: ['chat', 'completions', 'create']. */
  readonly path: readonly string[];
}

/** Top-level resources of the SDK clients whose methods send a request (not `webhooks`, which verifies locally). */
const OPENAI_RESOURCES = new Set([
  'completions', 'chat', 'embeddings', 'files', 'images', 'audio', 'moderations', 'models', 'fineTuning', 'graders',
  'vectorStores', 'beta', 'batches', 'uploads', 'admin', 'responses', 'realtime', 'conversations', 'evals', 'containers',
  'skills', 'videos',
]);
const ANTHROPIC_RESOURCES = new Set(['completions', 'messages', 'models', 'files', 'skills', 'userProfiles', 'organization', 'beta']);

const SDKS: readonly { kind: 'openai' | 'anthropic'; module: string; classes: readonly string[]; label: string; declarationDir: string }[] = [
  { kind: 'openai', module: 'openai', classes: ['default', '*', 'OpenAI', 'AzureOpenAI'], label: 'OpenAI', declarationDir: '/node_modules/openai/' },
  {
    kind: 'anthropic',
    module: '@anthropic-ai/sdk',
    classes: ['default', '*', 'Anthropic', 'BaseAnthropic'],
    label: 'Anthropic',
    declarationDir: '/node_modules/@anthropic-ai/sdk/',
  },
];

const base = { construction: undefined, throttled: false, withOptions: [], methods: undefined } as const;

/** The client a construction expression makes, or undefined when it is not one. */
export function classifyClient(
  expression: TSESTree.Node,
  scope: Scope.Scope,
  providers: readonly ProviderApiPolicy[],
  depth = 0,
): ProviderClient | undefined {
  if (depth > 6) return undefined;
  const node = skipTypeWrappers(expression);
  if (node.type === AST_NODE_TYPES.Identifier || node.type === AST_NODE_TYPES.MemberExpression) {
    const origin = valueOrigin(node, scope);
    return origin === undefined || origin === node ? undefined : classifyClient(origin, scope, providers, depth + 1);
  }
  if (node.type === AST_NODE_TYPES.NewExpression) {
    const binding = resolveImport(node.callee, scope);
    if (binding === undefined) return undefined;
    for (const sdk of SDKS) {
      if (binding.module === sdk.module && sdk.classes.includes(binding.imported)) {
        return { ...base, kind: sdk.kind, label: sdk.label, limiter: sdk.kind, construction: node };
      }
    }
    const api = providers.find((entry) => entry.module === binding.module);
    return api === undefined ? undefined : policyClient(api, node);
  }
  if (node.type !== AST_NODE_TYPES.CallExpression) return undefined;
  if (isRuntimeExport(node.callee, scope, ['throttleClient'])) {
    const inner = node.arguments[0] === undefined ? undefined : classifyClient(node.arguments[0], scope, providers, depth + 1);
    return { ...(inner ?? { ...base, kind: 'unknown', label: 'provider', limiter: undefined }), throttled: true };
  }
  if (
    node.callee.type === AST_NODE_TYPES.MemberExpression &&
    !node.callee.computed &&
    node.callee.property.type === AST_NODE_TYPES.Identifier &&
    node.callee.property.name === 'withOptions'
  ) {
    const inner = classifyClient(node.callee.object, scope, providers, depth + 1);
    return inner === undefined ? undefined : { ...inner, withOptions: [...inner.withOptions, node] };
  }
  // A policy provider's factory: `const mistral = createMistral()`.
  const binding = resolveImport(node.callee, scope);
  const api = binding === undefined ? undefined : providers.find((entry) => entry.module === binding.module);
  return api === undefined ? undefined : policyClient(api, node);
}

function policyClient(api: ProviderApiPolicy, construction: TSESTree.NewExpression | TSESTree.CallExpression): ProviderClient {
  return { ...base, kind: 'policy', label: api.module, limiter: api.limiter, construction, methods: api.methods };
}

/** The provider a value's type says it is (`client: OpenAI`), with the checker; undefined without one. */
export function typedClient(
  node: TSESTree.Node,
  services: ParserServices | undefined,
  providers: readonly ProviderApiPolicy[],
): ProviderClient | undefined {
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
    for (const sdk of SDKS) {
      if (sdk.classes.includes(symbol.getName()) && files.some((file) => file.includes(sdk.declarationDir))) {
        return { ...base, kind: sdk.kind, label: sdk.label, limiter: sdk.kind };
      }
    }
    for (const api of providers) {
      if (files.some((file) => file.includes(`/node_modules/${api.module}/`))) {
        return { ...base, kind: 'policy', label: api.module, limiter: api.limiter, methods: api.methods };
      }
    }
  }
  return undefined;
}

function isRequestPath(client: ProviderClient, path: readonly string[]): boolean {
  switch (client.kind) {
    case 'openai':
      return path.length >= 2 && OPENAI_RESOURCES.has(path[0]!);
    case 'anthropic':
      return path.length >= 2 && ANTHROPIC_RESOURCES.has(path[0]!);
    case 'policy':
      return client.methods === undefined || client.methods.length === 0 ? path.length >= 1 : client.methods.includes(path.join('.'));
    case 'unknown':
      return path.length >= 1;
  }
}

/**
 * The provider request a call makes: `openai.chat.completions.create(…)` on a client this file
 * builds (or, with types, one typed as an SDK client), or a module function the policy lists
 * (`generateText(…)` from 'ai' with `methods: [generateText]`). Undefined for anything else.
 */
export function providerCall(
  call: TSESTree.CallExpression,
  scope: Scope.Scope,
  providers: readonly ProviderApiPolicy[],
  services?: ParserServices,
): ProviderCall | undefined {
  const callee = call.callee;
  const binding = resolveImport(callee, scope);
  if (binding !== undefined) {
    const api = providers.find((entry) => entry.module === binding.module && entry.methods.includes(binding.imported));
    return api === undefined
      ? undefined
      : { client: { ...base, kind: 'policy', label: api.module, limiter: api.limiter, methods: api.methods }, receiver: callee, path: [binding.imported] };
  }
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
  // Look further (import tracking, the checker) only for paths an SDK or a policy provider has.
  if (!OPENAI_RESOURCES.has(path[0]!) && !ANTHROPIC_RESOURCES.has(path[0]!) && providers.length === 0) return undefined;
  const receiver = current;
  const found = classifyClient(receiver, scope, providers) ?? typedClient(receiver, services, providers);
  if (found === undefined || !isRequestPath(found, path)) return undefined;
  return { client: { ...found, withOptions: [...found.withOptions, ...withOptions] }, receiver, path };
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

/** Keys only the SDKs' request options have (not request bodies). */
const REQUEST_OPTION_KEYS = new Set(['timeout', 'signal', 'headers', 'maxRetries', 'query', 'idempotencyKey', 'fetchOptions']);

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
      (property.key.type === AST_NODE_TYPES.Identifier && !property.computed && REQUEST_OPTION_KEYS.has(property.key.name)),
  );
  return holdsOption ? 1 : 2;
}
