import { AST_NODE_TYPES } from '@typescript-eslint/utils';
import { calleeText, isRequestHandler, type FunctionNode } from './functions.js';

/**
 * Functions that run once per invocation: request handlers, and the entry points of
 * serverless platforms (AWS Lambda, Vercel and Netlify functions, Next.js route handlers,
 * Cloudflare Workers). Whatever such a function opens and keeps without a guard, it opens again
 * on the next invocation.
 */

/** Names serverless platforms call: `handler`, and the HTTP verbs of route handlers. */
const ENTRY_NAMES = /^(?:handler|main|lambdaHandler|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|fetch|scheduled|queue)$/;

function exportedName(fn: FunctionNode): string | undefined {
  const parent = fn.parent;
  // export async function handler(event) {}   /   export default async function handler(req, res) {}
  if (fn.type === AST_NODE_TYPES.FunctionDeclaration) {
    if (parent?.type === AST_NODE_TYPES.ExportDefaultDeclaration) return 'default';
    if (parent?.type === AST_NODE_TYPES.ExportNamedDeclaration) return fn.id?.name;
    return undefined;
  }
  if (parent?.type === AST_NODE_TYPES.ExportDefaultDeclaration) return 'default';
  // export const handler = async (event) => {}
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier) {
    return parent.parent.parent?.type === AST_NODE_TYPES.ExportNamedDeclaration ? parent.id.name : undefined;
  }
  // exports.handler = …   /   module.exports.handler = …   /   module.exports = async (event) => …
  if (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.right === fn) {
    const target = calleeText(parent.left);
    if (target === 'module.exports') return 'default';
    const match = target === undefined ? null : /^(?:module\.)?exports\.(\w+)$/.exec(target);
    return match?.[1];
  }
  // export default { async fetch(request, env) {} }: a Worker.
  if (
    parent?.type === AST_NODE_TYPES.Property &&
    parent.value === fn &&
    parent.parent.parent?.type === AST_NODE_TYPES.ExportDefaultDeclaration
  ) {
    return parent.key.type === AST_NODE_TYPES.Identifier ? parent.key.name : undefined;
  }
  return undefined;
}

/** True when `fn` is a serverless entry point: `export const handler`, `exports.handler`, `export default async function handler`, `export async function GET`. */
export function isServerlessHandler(fn: FunctionNode): boolean {
  const name = exportedName(fn);
  return name !== undefined && (name === 'default' || ENTRY_NAMES.test(name));
}

/** True when `fn` runs once per request or invocation. */
export function runsPerInvocation(fn: FunctionNode): boolean {
  return isRequestHandler(fn) || isServerlessHandler(fn);
}

/** How messages name such a function. */
export function invocationKind(fn: FunctionNode): string | undefined {
  if (isRequestHandler(fn)) return 'request handler';
  return isServerlessHandler(fn) ? 'serverless handler' : undefined;
}
