/**
 * Shapes shared by modernize-timeouts and track-background-work, on the jscodeshift AST: timer
 * calls, the promise a `setTimeout` settles, the file's async functions.
 */
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { lookupScope } from './imports.js';

export type Node = { type: string; [key: string]: unknown };

export function isFunctionNode(node: unknown): node is Node & { params: Node[]; body: Node; async?: boolean } {
  const type = (node as { type?: string } | null)?.type;
  return type === 'ArrowFunctionExpression' || type === 'FunctionExpression' || type === 'FunctionDeclaration';
}

export function identifierName(node: unknown): string | undefined {
  const id = node as { type?: string; name?: unknown } | null;
  return id?.type === 'Identifier' && typeof id.name === 'string' ? id.name : undefined;
}

/** True when the call at `path` is the global `callee` (`setTimeout`, `setInterval`): nothing in the file declares it. */
export function isGlobalCall(path: ASTPath, callee: string): boolean {
  const node = path.node as unknown as Node;
  return identifierName(node.callee) === callee && lookupScope(path, callee) === null;
}

/** The statements (or the expression body) of a function, each unwrapped from its ExpressionStatement. */
export function bodyExpressions(fn: Node & { body: Node }): Node[] {
  const body = fn.body;
  if (body.type !== 'BlockStatement') return [body];
  return (body.body as Node[]).map((statement) => (statement.type === 'ExpressionStatement' ? (statement.expression as Node) : statement));
}

/**
 * A hand-made sleep: `new Promise((resolve) => setTimeout(resolve, ms))`, also with a block body
 * or `setTimeout(() => resolve(), ms)`; the executor does nothing else and the timer passes no
 * value. Returns the delay node.
 */
export function sleepDelay(node: Node): Node | undefined {
  if (node.type !== 'NewExpression' || identifierName(node.callee) !== 'Promise') return undefined;
  const [executor, ...rest] = node.arguments as Node[];
  if (rest.length > 0 || !isFunctionNode(executor) || executor.params.length !== 1) return undefined;
  const resolve = identifierName(executor.params[0]);
  if (resolve === undefined) return undefined;
  const expressions = bodyExpressions(executor);
  if (expressions.length !== 1) return undefined;
  const call = expressions[0]!;
  if (call.type !== 'CallExpression' || identifierName(call.callee) !== 'setTimeout') return undefined;
  const args = call.arguments as Node[];
  if (args.length !== 2 || args[1]!.type === 'SpreadElement') return undefined;
  const callback = args[0]!;
  if (identifierName(callback) === resolve) return args[1];
  if (isFunctionNode(callback) && callback.params.length === 0) {
    const inner = bodyExpressions(callback);
    const only = inner.length === 1 ? inner[0]! : undefined;
    if (only?.type === 'CallExpression' && identifierName(only.callee) === resolve && (only.arguments as Node[]).length === 0)
      return args[1];
  }
  return undefined;
}

/** Names of the file's async functions (declarations and `const f = async …`). */
export function asyncFunctionNames(j: JSCodeshift, root: Collection): Set<string> {
  const names = new Set<string>();
  root.find(j.FunctionDeclaration).forEach((path) => {
    const name = identifierName(path.node.id);
    if (path.node.async && name !== undefined) names.add(name);
  });
  root.find(j.VariableDeclarator).forEach((path) => {
    const init = path.node.init as unknown as Node | null;
    const name = identifierName(path.node.id);
    if (name !== undefined && isFunctionNode(init) && init.async === true) names.add(name);
  });
  return names;
}

/** The innermost function around `path`, or undefined at module scope. */
export function enclosingFunction(path: ASTPath): ASTPath | undefined {
  for (let current = path.parent as ASTPath | null; current != null; current = current.parent as ASTPath | null) {
    if (isFunctionNode(current.node)) return current;
  }
  return undefined;
}

/** A request handler by its parameters, as the rules see it: (req, res), (request, reply)… */
export function isHandlerLike(fn: Node & { params: Node[] }): boolean {
  const [first, second] = fn.params.map((param) => identifierName(param) ?? '');
  return (
    (first === 'req' && (second === 'res' || second === 'reply')) ||
    (first === 'request' && (second === 'response' || second === 'reply' || second === 'h'))
  );
}
