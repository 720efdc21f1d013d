import { DefinitionType } from '@typescript-eslint/scope-manager';
import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { GLOBAL_OBJECTS, HTTP_CLIENTS, httpClientOf, type HttpClientApi, type HttpClientId } from '@bounded/policy';
import { resolveImport } from './imports.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';

/**
 * HTTP requests as the rules see them, for every client in the catalog (policy/catalog/http-clients.ts):
 * global `fetch`, undici, node-fetch, axios, got and ky (and their instances), superagent,
 * `http(s).request` / `get`. Syntax and import tracking.
 */

export type HttpLibrary = HttpClientId;

export interface HttpCall {
  readonly library: HttpLibrary;
  /** The client's catalog entry. */
  readonly api: HttpClientApi;
  /** The argument the request options are at (or belong at, when the call has none). */
  readonly optionsIndex: number;
  /** The request URL, when the call has one as an argument or in its config. */
  readonly url: TSESTree.Node | undefined;
  /** For axios, got and ky instances: the `axios.create(…)` / `got.extend(…)` / `ky.create(…)` call that made it. */
  readonly instance: TSESTree.CallExpression | undefined;
  /**
   * Every instance-making call behind the receiver, nearest first: `api = base.extend(…)` on
   * `base = ky.create(…)` gives both; an instance inherits the defaults of the one it extends.
   */
  readonly instances: readonly TSESTree.CallExpression[];
  /** What the call is made on (`axios`, `api`, `this.http`), for `defaults.timeout` lookups. */
  readonly receiver: TSESTree.Node | undefined;
  /** Options, besides `signal`, that put a deadline on the request. */
  readonly timeoutKeys: readonly string[];
}

const API = Object.fromEntries(HTTP_CLIENTS.map((client) => [client.id, client])) as Record<HttpClientId, HttpClientApi>;

/** True when `name` is not declared anywhere in scope: the global of that name. */
export function isGlobalReference(scope: Scope.Scope, name: string): boolean {
  const variable = ASTUtils.findVariable(scope, name);
  return variable === null || variable.defs.length === 0;
}

/** A URL-looking argument: a string, a template, `new URL(…)`, or a name like `url` / `endpoint`. */
function isUrlLike(node: TSESTree.Node | undefined): boolean {
  if (node === undefined) return false;
  const bare = skipTypeWrappers(node);
  switch (bare.type) {
    case AST_NODE_TYPES.Literal:
      return typeof bare.value === 'string';
    case AST_NODE_TYPES.TemplateLiteral:
      return true;
    case AST_NODE_TYPES.BinaryExpression:
      return bare.operator === '+';
    case AST_NODE_TYPES.NewExpression:
      return bare.callee.type === AST_NODE_TYPES.Identifier && bare.callee.name === 'URL';
    case AST_NODE_TYPES.Identifier:
      return /url|uri|href|endpoint|link/i.test(bare.name);
    case AST_NODE_TYPES.MemberExpression:
      return !bare.computed && bare.property.type === AST_NODE_TYPES.Identifier && /url|uri|href|endpoint|link/i.test(bare.property.name);
    default:
      return false;
  }
}

function configUrl(config: TSESTree.Node | undefined): TSESTree.Node | undefined {
  const bare = config === undefined ? undefined : skipTypeWrappers(config);
  if (bare?.type !== AST_NODE_TYPES.ObjectExpression) return undefined;
  for (const property of bare.properties) {
    if (
      property.type === AST_NODE_TYPES.Property &&
      !property.computed &&
      property.key.type === AST_NODE_TYPES.Identifier &&
      property.key.name === 'url'
    ) {
      return property.value;
    }
  }
  return undefined;
}

function isObjectLiteral(node: TSESTree.Node | undefined): boolean {
  return node !== undefined && skipTypeWrappers(node).type === AST_NODE_TYPES.ObjectExpression;
}

/**
 * A request through a client with a callable default export and request methods (axios, got,
 * ky, superagent), or one of their instances: `axios(config)`, `got(url, options)`,
 * `api.post(url, data, config)`, `superagent.get(url)`.
 */
function clientCall(
  api: HttpClientApi,
  call: TSESTree.CallExpression,
  method: string | undefined,
  instances: readonly TSESTree.CallExpression[],
  receiver: TSESTree.Node,
): HttpCall | undefined {
  const args = call.arguments;
  let optionsIndex: number;
  if (method === undefined) {
    if (!api.callable) return undefined;
    // axios(config) / got({ url }) or axios(url, config)
    optionsIndex =
      args.length === 1 && isObjectLiteral(args[0]) ? 0 : api.id === 'axios' && !(args.length >= 2 || isUrlLike(args[0])) ? 0 : 1;
  } else {
    const index = api.methods[method];
    if (index === undefined || !Object.hasOwn(api.methods, method)) return undefined;
    optionsIndex = index;
  }
  const url = optionsIndex === 0 ? configUrl(args[0]) : args[0];
  return { library: api.id, api, optionsIndex, url, instance: instances[0], instances, receiver, timeoutKeys: api.timeoutKeys };
}

/**
 * The default value of a parameter that is never reassigned (`client = ky.extend(…)` in
 * `function f(client = ky.extend({ timeout: false }))`): what the function uses unless its
 * caller hands it something else.
 */
function parameterDefault(node: TSESTree.Node, scope: Scope.Scope): TSESTree.Node | undefined {
  if (node.type !== AST_NODE_TYPES.Identifier) return undefined;
  const variable = ASTUtils.findVariable(scope, node.name);
  const definition = variable?.defs[0];
  // `scope` may be another function's (a field assigned in the constructor, used in a method): find the parameter by its function.
  const name = definition?.type === DefinitionType.Parameter ? definition.name : declaringParameter(node);
  if (name === undefined) return undefined;
  if (variable != null && definition?.type === DefinitionType.Parameter) {
    if (
      variable.defs.length !== 1 ||
      variable.references.some((reference) => reference.isWrite() && reference.identifier !== definition.name)
    )
      return undefined;
  }
  const pattern = name.parent;
  return pattern?.type === AST_NODE_TYPES.AssignmentPattern && pattern.left === name ? pattern.right : undefined;
}

/** The parameter binding `node`'s name in the nearest function declaring it (`{ ky = defaultKy }` of a constructor). */
function declaringParameter(node: TSESTree.Identifier): TSESTree.Identifier | undefined {
  const find = (pattern: TSESTree.Node): TSESTree.Identifier | undefined => {
    switch (pattern.type) {
      case AST_NODE_TYPES.Identifier:
        return pattern.name === node.name ? pattern : undefined;
      case AST_NODE_TYPES.AssignmentPattern:
        return find(pattern.left);
      case AST_NODE_TYPES.ObjectPattern:
        for (const property of pattern.properties) {
          const found = find(property.type === AST_NODE_TYPES.Property ? property.value : property.argument);
          if (found !== undefined) return found;
        }
        return undefined;
      case AST_NODE_TYPES.TSParameterProperty:
        return find(pattern.parameter);
      default:
        return undefined;
    }
  };
  for (let current: TSESTree.Node | undefined = node.parent; current != null; current = current.parent) {
    if (
      current.type === AST_NODE_TYPES.FunctionDeclaration ||
      current.type === AST_NODE_TYPES.FunctionExpression ||
      current.type === AST_NODE_TYPES.ArrowFunctionExpression
    ) {
      for (const param of current.params) {
        const found = find(param);
        if (found !== undefined) return found;
      }
    }
  }
  return undefined;
}

/** The initialiser of the `const` an identifier names, found in the blocks around it (no scope needed). */
export function localConst(node: TSESTree.Identifier): TSESTree.Node | undefined {
  for (let current: TSESTree.Node | undefined = node.parent; current != null; current = current.parent) {
    if (current.type !== AST_NODE_TYPES.BlockStatement && current.type !== AST_NODE_TYPES.Program) continue;
    for (const statement of current.body) {
      const declaration = statement.type === AST_NODE_TYPES.ExportNamedDeclaration ? statement.declaration : statement;
      if (declaration?.type !== AST_NODE_TYPES.VariableDeclaration || declaration.kind !== 'const') continue;
      for (const declarator of declaration.declarations) {
        if (declarator.id.type === AST_NODE_TYPES.Identifier && declarator.id.name === node.name && declarator.init !== null)
          return skipTypeWrappers(declarator.init);
      }
    }
  }
  return undefined;
}

/** `serper.API_BASE_URL` where `serper` is a namespace of this file with `export const API_BASE_URL = '…'`. */
function namespaceConst(member: TSESTree.MemberExpression): TSESTree.Node | undefined {
  if (member.computed || member.object.type !== AST_NODE_TYPES.Identifier || member.property.type !== AST_NODE_TYPES.Identifier)
    return undefined;
  let program: TSESTree.Node = member;
  while (program.parent != null) program = program.parent;
  if (program.type !== AST_NODE_TYPES.Program) return undefined;
  const name = member.object.name;
  for (const statement of program.body) {
    const declaration = statement.type === AST_NODE_TYPES.ExportNamedDeclaration ? statement.declaration : statement;
    if (
      declaration?.type !== AST_NODE_TYPES.TSModuleDeclaration ||
      declaration.id.type !== AST_NODE_TYPES.Identifier ||
      declaration.id.name !== name
    )
      continue;
    if (declaration.body?.type !== AST_NODE_TYPES.TSModuleBlock) continue;
    for (const inner of declaration.body.body) {
      const variable = inner.type === AST_NODE_TYPES.ExportNamedDeclaration ? inner.declaration : inner;
      if (variable?.type !== AST_NODE_TYPES.VariableDeclaration || variable.kind !== 'const') continue;
      for (const declarator of variable.declarations) {
        if (declarator.id.type === AST_NODE_TYPES.Identifier && declarator.id.name === member.property.name && declarator.init !== null)
          return declarator.init;
      }
    }
  }
  return undefined;
}

/**
 * The HTTP client whose instance factory `callee` calls: `ky.extend` on the module, also when
 * the module comes in as a parameter's default (`{ ky = defaultKy }` then `ky.extend(…)`).
 */
export function moduleFactory(callee: TSESTree.Node, scope: Scope.Scope): HttpClientApi | undefined {
  const bare = skipTypeWrappers(callee);
  if (bare.type !== AST_NODE_TYPES.MemberExpression || bare.computed || bare.property.type !== AST_NODE_TYPES.Identifier) return undefined;
  const object = skipTypeWrappers(bare.object);
  let binding = resolveImport(object, scope);
  if (binding === undefined) {
    const fallback = parameterDefault(object, scope);
    binding = fallback === undefined ? undefined : resolveImport(skipTypeWrappers(fallback), scope);
  }
  if (binding === undefined || (binding.imported !== 'default' && binding.imported !== '*')) return undefined;
  const api = httpClientOf(binding.module);
  return api?.instanceFactories.includes(bare.property.name) === true ? api : undefined;
}

/**
 * The instance-making calls (`axios.create(…)`, `got.extend(…)`, `ky.create(…)`,
 * `base.extend(…)` on such an instance) behind `receiver`, nearest first, if it is an instance.
 */
export function instanceOrigin(
  receiver: TSESTree.Node,
  scope: Scope.Scope,
  depth = 0,
): { api: HttpClientApi; calls: readonly TSESTree.CallExpression[] } | undefined {
  if (depth > 4) return undefined;
  const held = valueOrigin(receiver, scope) ?? parameterDefault(skipTypeWrappers(receiver), scope);
  let origin = held === undefined ? undefined : skipTypeWrappers(held);
  // `this.rawKy = base` with `const base = ky.extend(…)` in the constructor: an alias `scope` (the method's) cannot see.
  if (origin?.type === AST_NODE_TYPES.Identifier) origin = localConst(origin);
  if (origin?.type !== AST_NODE_TYPES.CallExpression) return undefined;
  const binding = resolveImport(origin.callee, scope);
  if (binding !== undefined) {
    const api = httpClientOf(binding.module);
    return api !== undefined && api.instanceFactories.includes(binding.imported) ? { api, calls: [origin] } : undefined;
  }
  const factory = moduleFactory(origin.callee, scope);
  if (factory !== undefined) return { api: factory, calls: [origin] };
  // An instance of an instance: `base.extend({ … })`, `api.create({ … })`.
  const callee = origin.callee;
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
    return undefined;
  const parent = instanceOrigin(callee.object, scope, depth + 1);
  return parent !== undefined && parent.api.instanceFactories.includes(callee.property.name)
    ? { api: parent.api, calls: [origin, ...parent.calls] }
    : undefined;
}

/** The HTTP request `call` makes, or undefined when it is not one the rules know. */
export function httpCall(call: TSESTree.CallExpression, scope: Scope.Scope): HttpCall | undefined {
  const callee = skipTypeWrappers(call.callee);
  const args = call.arguments;
  const fetchLike = (library: HttpLibrary, timeoutKeys: readonly string[] = []): HttpCall => ({
    library,
    api: API[library],
    optionsIndex: 1,
    url: args[0],
    instance: undefined,
    instances: [],
    receiver: undefined,
    timeoutKeys,
  });
  if (callee.type === AST_NODE_TYPES.Identifier && callee.name === 'fetch' && isGlobalReference(scope, 'fetch')) return fetchLike('fetch');
  if (
    callee.type === AST_NODE_TYPES.MemberExpression &&
    !callee.computed &&
    callee.property.type === AST_NODE_TYPES.Identifier &&
    callee.property.name === 'fetch' &&
    callee.object.type === AST_NODE_TYPES.Identifier &&
    GLOBAL_OBJECTS.includes(callee.object.name) &&
    isGlobalReference(scope, callee.object.name)
  ) {
    return fetchLike('fetch');
  }

  const binding = resolveImport(callee, scope);
  if (binding !== undefined) {
    const api = httpClientOf(binding.module);
    if (api === undefined) return undefined;
    const whole = binding.imported === 'default' || binding.imported === '*';
    const member = callee.type === AST_NODE_TYPES.MemberExpression ? callee.object : callee;
    switch (api.id) {
      case 'undici':
        if (!Object.hasOwn(api.methods, binding.imported)) return undefined;
        return fetchLike('undici', binding.imported === 'fetch' ? [] : api.timeoutKeys);
      case 'node-fetch':
        return whole ? fetchLike('node-fetch', api.timeoutKeys) : undefined;
      case 'http': {
        if (!Object.hasOwn(api.methods, binding.imported)) return undefined;
        const optionsIndex = isUrlLike(args[0]) ? 1 : 0;
        const url = optionsIndex === 1 ? args[0] : undefined;
        return {
          library: 'http',
          api,
          optionsIndex,
          url,
          instance: undefined,
          instances: [],
          receiver: undefined,
          timeoutKeys: api.timeoutKeys,
        };
      }
      default:
        return clientCall(api, call, whole ? undefined : binding.imported, [], member);
    }
  }

  // An instance: api.get(…), this.http.post(…), api(config)
  if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier) {
    const instance = instanceOrigin(callee.object, scope);
    return instance === undefined ? undefined : clientCall(instance.api, call, callee.property.name, instance.calls, callee.object);
  }
  if (callee.type === AST_NODE_TYPES.Identifier) {
    const instance = instanceOrigin(callee, scope);
    return instance === undefined ? undefined : clientCall(instance.api, call, undefined, instance.calls, callee);
  }
  return undefined;
}

/** The text of a string URL argument when it is visible: a literal, a template's head, a const. */
export function urlText(node: TSESTree.Node | undefined, scope: Scope.Scope, depth = 0): string | undefined {
  if (node === undefined || depth > 4) return undefined;
  const bare = skipTypeWrappers(node);
  switch (bare.type) {
    case AST_NODE_TYPES.Literal:
      return typeof bare.value === 'string' ? bare.value : undefined;
    case AST_NODE_TYPES.TemplateLiteral: {
      const head = bare.quasis[0]?.value.cooked ?? '';
      // `${BASE_URL}/v1/chat/completions`: the host is in the first expression.
      return head === '' && bare.expressions.length > 0 ? urlText(bare.expressions[0], scope, depth + 1) : head;
    }
    case AST_NODE_TYPES.BinaryExpression:
      return bare.operator === '+' ? urlText(bare.left, scope, depth + 1) : undefined;
    case AST_NODE_TYPES.NewExpression:
      // new URL('/v1/chat', 'https://api.openai.com') or new URL('https://…')
      if (bare.callee.type !== AST_NODE_TYPES.Identifier || bare.callee.name !== 'URL') return undefined;
      return urlText(bare.arguments[1], scope, depth + 1) ?? urlText(bare.arguments[0], scope, depth + 1);
    case AST_NODE_TYPES.Identifier: {
      // A parameter's default (`apiBaseUrl = bing.API_BASE_URL`) is the URL unless the caller passes another.
      const origin = valueOrigin(bare, scope) ?? parameterDefault(bare, scope) ?? localConst(bare);
      return origin === undefined || origin === bare ? undefined : urlText(origin, scope, depth + 1);
    }
    case AST_NODE_TYPES.MemberExpression: {
      const origin = namespaceConst(bare);
      return origin === undefined ? undefined : urlText(origin, scope, depth + 1);
    }
    default:
      return undefined;
  }
}
