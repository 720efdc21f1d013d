import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { calledFunction, type ScopeOf } from './call-graph.js';
import type { FunctionNode } from './functions.js';
import { walk } from './walk.js';

/**
 * Following calls within one file: a function or method that (transitively) makes a provider
 * call, a request or a connection counts as one where it is called. A call the helper makes
 * under its own limiter or deadline is not counted (`excluded`): such a helper is a safe
 * wrapper, judged by its body and never by its name.
 */

export interface Reached<T> {
  /** What the innermost call is (a provider call, a request…). */
  readonly value: T;
  /** The innermost call itself, in this file. */
  readonly inner: TSESTree.CallExpression;
}

export interface Reach<T> {
  /** What `call` reaches through the same-file function it calls, if it calls one that makes such a call. */
  through(call: TSESTree.CallExpression): Reached<T> | undefined;
  /** What `fn` reaches, itself or through the functions it calls. */
  of(fn: FunctionNode): Reached<T> | undefined;
}

export function createReach<T>(
  direct: (call: TSESTree.CallExpression) => T | undefined,
  excluded: (call: TSESTree.CallExpression, value: T) => boolean,
  scopeOf: ScopeOf,
  visitorKeys: SourceCode.VisitorKeys,
): Reach<T> {
  const memo = new Map<FunctionNode, Reached<T> | null>();
  const visiting = new Set<FunctionNode>();

  function of(fn: FunctionNode): Reached<T> | undefined {
    const known = memo.get(fn);
    if (known !== undefined) return known ?? undefined;
    if (visiting.has(fn) || fn.body == null) return undefined;
    visiting.add(fn);
    let found: Reached<T> | undefined;
    try {
      // From the function itself: an arrow's expression body is a child of it, not below it.
      walk(
        fn,
        visitorKeys,
        (node) => {
          if (found !== undefined) return false;
          if (node.type !== AST_NODE_TYPES.CallExpression) return;
          const value = direct(node);
          if (value !== undefined) {
            if (!excluded(node, value)) found = { value, inner: node };
            return;
          }
          const callee = calledFunction(node, scopeOf);
          if (callee !== undefined && callee !== fn) {
            const inner = of(callee);
            if (inner !== undefined && !excluded(node, inner.value)) found = inner;
          }
        },
        true,
      );
    } finally {
      visiting.delete(fn);
    }
    // A result found while a caller was still being visited may miss a cycle back into it: keep it anyway, it is a real path.
    memo.set(fn, found ?? null);
    return found;
  }

  return {
    of,
    through(call) {
      const fn = calledFunction(call, scopeOf);
      if (fn === undefined) return undefined;
      // A recursive call inside the function itself is already judged where its body calls out.
      for (let up: TSESTree.Node | undefined = call.parent; up != null; up = up.parent) if (up === fn) return undefined;
      return of(fn);
    },
  };
}
