import { ESLintUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleContext } from '@typescript-eslint/utils/ts-eslint';
import { isTupleTypeReference, unionConstituents } from 'ts-api-utils';
import type * as ts from 'typescript';

/**
 * The questions rules ask the type checker, when the file was parsed with type information.
 * Every answer may be undefined ("cannot tell"); rules then fall back to syntax.
 */
export interface TypeInfo {
  readonly checker: ts.TypeChecker;
  /** The type of `node`. */
  typeOf(node: TSESTree.Node): ts.Type;
  /** The name of `node`'s type (`Semaphore`, `Pool`), without type arguments; undefined for anonymous and `any`. */
  typeName(node: TSESTree.Node): string | undefined;
  /** True when `node` is a tuple (`[A, B]`, `readonly [A, B]`), or a union of tuples. */
  isTuple(node: TSESTree.Node): boolean;
}

const cache = new WeakMap<object, TypeInfo | undefined>();

/** Type information for the file `context` lints, or undefined when it was parsed without. */
export function typeInfo(context: Readonly<RuleContext<string, readonly unknown[]>>): TypeInfo | undefined {
  // Another parser (espree for plain .js) has no services at all; getParserServices would throw.
  if (context.sourceCode.parserServices?.esTreeNodeToTSNodeMap == null) return undefined;
  const services = ESLintUtils.getParserServices(context, true);
  if (services.program === null) return undefined;
  if (cache.has(services)) return cache.get(services);
  const checker = services.program.getTypeChecker();
  const typeOf = (node: TSESTree.Node): ts.Type => services.getTypeAtLocation(node);
  const info: TypeInfo = {
    checker,
    typeOf,
    typeName(node) {
      const type = checker.getNonNullableType(typeOf(node));
      const symbol = type.aliasSymbol ?? type.getSymbol();
      let name = symbol?.getName();
      // `export default class PQueue`: the symbol is called 'default', its declaration PQueue.
      if (name === 'default') name = (symbol?.declarations?.[0] as { name?: { text?: string } } | undefined)?.name?.text;
      return name === undefined || name.startsWith('__') ? undefined : name;
    },
    isTuple(node) {
      const parts = unionConstituents(checker.getNonNullableType(typeOf(node)));
      return parts.length > 0 && parts.every((part) => isTupleTypeReference(part));
    },
  };
  cache.set(services, info);
  return info;
}
