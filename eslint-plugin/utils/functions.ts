import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';

export type FunctionNode = TSESTree.ArrowFunctionExpression | TSESTree.FunctionDeclaration | TSESTree.FunctionExpression;

export function isFunction(node: TSESTree.Node): node is FunctionNode {
  return (
    node.type === AST_NODE_TYPES.ArrowFunctionExpression ||
    node.type === AST_NODE_TYPES.FunctionDeclaration ||
    node.type === AST_NODE_TYPES.FunctionExpression
  );
}

/** The innermost function around `node`, or undefined at module scope. */
export function enclosingFunction(node: TSESTree.Node): FunctionNode | undefined {
  for (let current: TSESTree.Node | undefined = node.parent; current != null; current = current.parent) {
    if (isFunction(current)) return current;
  }
  return undefined;
}

/** Methods that register a request handler on Express, Fastify, Koa routers, Hono and the like. */
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'use', 'head', 'options', 'route']);

/**
 * True when `fn` runs once per request: the handler argument of `app.get(path, fn)` and its
 * relatives, `http.createServer(fn)`, `server.on('request', fn)`, or a function whose first
 * two parameters are named like (req, res) / (request, reply) / (ctx, next).
 */
export function isRequestHandler(fn: FunctionNode): boolean {
  const parent = fn.parent;
  if (parent?.type === AST_NODE_TYPES.CallExpression && parent.arguments.includes(fn as TSESTree.CallExpressionArgument)) {
    const callee = parent.callee;
    if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed) {
      const method = callee.property.name;
      if (ROUTE_METHODS.has(method) && parent.arguments.length >= 2) return true;
      if (method === 'createServer') return true;
      if (method === 'on' && parent.arguments[0]?.type === AST_NODE_TYPES.Literal && parent.arguments[0].value === 'request') return true;
    }
    if (callee.type === AST_NODE_TYPES.Identifier && callee.name === 'createServer') return true;
  }
  const [first, second] = fn.params.map((param) => (param.type === AST_NODE_TYPES.Identifier ? param.name : ''));
  return (
    (first === 'req' && (second === 'res' || second === 'reply')) ||
    (first === 'request' && (second === 'response' || second === 'reply' || second === 'h'))
  );
}

/** True when code in `fn` runs concurrently with other work: an async function or a request handler. */
export function runsConcurrently(fn: FunctionNode | undefined): boolean {
  return fn !== undefined && (fn.async || isRequestHandler(fn));
}

/** The name a callee is written with: `readFileSync`, `fs.readFileSync`, `a.b.c`. */
export function calleeText(node: TSESTree.Node): string | undefined {
  if (node.type === AST_NODE_TYPES.Identifier) return node.name;
  if (node.type === AST_NODE_TYPES.MemberExpression && !node.computed) {
    const object = calleeText(node.object);
    return object === undefined ? undefined : `${object}.${node.property.name}`;
  }
  if (node.type === AST_NODE_TYPES.ThisExpression) return 'this';
  return undefined;
}

/**
 * The name a function goes by: its own (`function getUser`), the variable or property it is
 * assigned to (`const getUser = () => …`, `{ getUser() {} }`), or its method's (`async load()`).
 */
export function functionName(fn: FunctionNode): string | undefined {
  if (fn.id != null) return fn.id.name;
  const parent = fn.parent;
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier) return parent.id.name;
  if (
    (parent?.type === AST_NODE_TYPES.MethodDefinition ||
      parent?.type === AST_NODE_TYPES.Property ||
      parent?.type === AST_NODE_TYPES.PropertyDefinition) &&
    !parent.computed &&
    parent.key.type === AST_NODE_TYPES.Identifier
  ) {
    return parent.key.name;
  }
  return undefined;
}
