import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { resolveImport } from './imports.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';

/**
 * HTTP requests as the rules see them: global `fetch`, undici, node-fetch, axios (and its
 * instances), got (and its instances), `http(s).request` / `get`. Syntax and import tracking.
 */

export type HttpLibrary = 'fetch' | 'undici' | 'node-fetch' | 'axios' | 'got' | 'http';

export interface HttpCall {
  readonly library: HttpLibrary;
  /** The argument the request options are at (or belong at, when the call has none). */
  readonly optionsIndex: number;
  /** The request URL, when the call has one as an argument or in its config. */
  readonly url: TSESTree.Node | undefined;
  /** For axios and got instances: the `axios.create(…)` / `got.extend(…)` call that made it. */
  readonly instance: TSESTree.CallExpression | undefined;
  /** What the call is made on (`axios`, `api`, `this.http`), for `defaults.timeout` lookups. */
  readonly receiver: TSESTree.Node | undefined;
  /** Options, besides `signal`, that put a deadline on the request. */
  readonly timeoutKeys: readonly string[];
}

/** axios methods → index of their config argument. */
const AXIOS_METHODS = new Map([
  ['request', 0],
  ['get', 1], ['delete', 1], ['head', 1], ['options', 1],
  ['post', 2], ['put', 2], ['patch', 2], ['postForm', 2], ['putForm', 2], ['patchForm', 2],
]);
const GOT_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'stream']);
const UNDICI_CALLS = new Set(['request', 'stream', 'fetch']);
const GLOBAL_OBJECTS = new Set(['globalThis', 'window', 'self']);

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
    if (property.type === AST_NODE_TYPES.Property && !property.computed && property.key.type === AST_NODE_TYPES.Identifier && property.key.name === 'url') {
      return property.value;
    }
  }
  return undefined;
}

function isObjectLiteral(node: TSESTree.Node | undefined): boolean {
  return node !== undefined && skipTypeWrappers(node).type === AST_NODE_TYPES.ObjectExpression;
}

function axiosCall(call: TSESTree.CallExpression, method: string | undefined, instance: TSESTree.CallExpression | undefined, receiver: TSESTree.Node): HttpCall | undefined {
  const args = call.arguments;
  let optionsIndex: number;
  if (method === undefined) {
    // axios(config) or axios(url, config)
    optionsIndex = args.length >= 2 || isUrlLike(args[0]) ? 1 : 0;
  } else {
    const index = AXIOS_METHODS.get(method);
    if (index === undefined) return undefined;
    optionsIndex = index;
  }
  const url = optionsIndex === 0 ? configUrl(args[0]) : args[0];
  return { library: 'axios', optionsIndex, url, instance, receiver, timeoutKeys: ['timeout'] };
}

function gotCall(call: TSESTree.CallExpression, method: string | undefined, instance: TSESTree.CallExpression | undefined, receiver: TSESTree.Node): HttpCall | undefined {
  if (method !== undefined && !GOT_METHODS.has(method)) return undefined;
  const args = call.arguments;
  const optionsIndex = method === undefined && isObjectLiteral(args[0]) && args.length === 1 ? 0 : 1;
  const url = optionsIndex === 0 ? configUrl(args[0]) : args[0];
  return { library: 'got', optionsIndex, url, instance, receiver, timeoutKeys: ['timeout'] };
}

/** The instance-making call (`axios.create(…)`, `got.extend(…)`) behind `receiver`, if any. */
function instanceOrigin(receiver: TSESTree.Node, scope: Scope.Scope): { library: 'axios' | 'got'; call: TSESTree.CallExpression } | undefined {
  const origin = valueOrigin(receiver, scope);
  if (origin?.type !== AST_NODE_TYPES.CallExpression) return undefined;
  const binding = resolveImport(origin.callee, scope);
  if (binding?.module === 'axios' && binding.imported === 'create') return { library: 'axios', call: origin };
  if (binding?.module === 'got' && binding.imported === 'extend') return { library: 'got', call: origin };
  return undefined;
}

/** The HTTP request `call` makes, or undefined when it is not one the rules know. */
export function httpCall(call: TSESTree.CallExpression, scope: Scope.Scope): HttpCall | undefined {
  const callee = skipTypeWrappers(call.callee);
  const args = call.arguments;
  const fetchLike = (library: HttpLibrary, timeoutKeys: readonly string[] = []): HttpCall => ({
    library,
    optionsIndex: 1,
    url: args[0],
    instance: undefined,
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
    GLOBAL_OBJECTS.has(callee.object.name) &&
    isGlobalReference(scope, callee.object.name)
  ) {
    return fetchLike('fetch');
  }

  const binding = resolveImport(callee, scope);
  if (binding !== undefined) {
    const whole = binding.imported === 'default' || binding.imported === '*';
    const member = callee.type === AST_NODE_TYPES.MemberExpression ? callee.object : callee;
    switch (binding.module) {
      case 'undici':
        if (!UNDICI_CALLS.has(binding.imported)) return undefined;
        return fetchLike('undici', binding.imported === 'fetch' ? [] : ['headersTimeout', 'bodyTimeout']);
      case 'node-fetch':
        return whole ? fetchLike('node-fetch', ['timeout']) : undefined;
      case 'axios':
        return axiosCall(call, whole ? undefined : binding.imported, undefined, member);
      case 'got':
        return gotCall(call, whole ? undefined : binding.imported, undefined, member);
      case 'http':
      case 'https': {
        if (binding.imported !== 'request' && binding.imported !== 'get') return undefined;
        const optionsIndex = isUrlLike(args[0]) ? 1 : 0;
        return { library: 'http', optionsIndex, url: optionsIndex === 1 ? args[0] : undefined, instance: undefined, receiver: undefined, timeoutKeys: ['timeout'] };
      }
      default:
        return undefined;
    }
  }

  // An instance: api.get(…), this.http.post(…), api(config)
  if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier) {
    const instance = instanceOrigin(callee.object, scope);
    if (instance === undefined) return undefined;
    return instance.library === 'axios'
      ? axiosCall(call, callee.property.name, instance.call, callee.object)
      : gotCall(call, callee.property.name, instance.call, callee.object);
  }
  if (callee.type === AST_NODE_TYPES.Identifier) {
    const instance = instanceOrigin(callee, scope);
    if (instance === undefined) return undefined;
    return instance.library === 'axios' ? axiosCall(call, undefined, instance.call, callee) : gotCall(call, undefined, instance.call, callee);
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
      const origin = valueOrigin(bare, scope);
      return origin === undefined || origin === bare ? undefined : urlText(origin, scope, depth + 1);
    }
    default:
      return undefined;
  }
}
