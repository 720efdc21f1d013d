import type { TSESTree } from '@typescript-eslint/utils';
import type { SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { isFunction } from './functions.js';

/**
 * Visits the nodes below `root` (not `root` itself) in source order. Nested functions are
 * skipped unless `intoFunctions`: what they contain runs at another time. Returning `false`
 * from `visit` skips that node's children.
 */
export function walk(
  root: TSESTree.Node,
  visitorKeys: SourceCode.VisitorKeys,
  visit: (node: TSESTree.Node) => boolean | void,
  intoFunctions = false,
): void {
  const children = (node: TSESTree.Node): void => {
    for (const key of visitorKeys[node.type] ?? []) {
      const value = (node as unknown as Record<string, unknown>)[key];
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child === null || typeof child !== 'object' || typeof (child as { type?: unknown }).type !== 'string') continue;
        const childNode = child as TSESTree.Node;
        if (visit(childNode) === false) continue;
        if (!intoFunctions && isFunction(childNode)) continue;
        children(childNode);
      }
    }
  };
  children(root);
}

/** True when some node below `root` (outside nested functions) satisfies `test`. */
export function someNode(root: TSESTree.Node, visitorKeys: SourceCode.VisitorKeys, test: (node: TSESTree.Node) => boolean): boolean {
  let found = false;
  walk(root, visitorKeys, (node) => {
    if (found) return false;
    if (test(node)) found = true;
    return !found;
  });
  return found;
}
