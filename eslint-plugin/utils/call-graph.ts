import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import { isFunction, type FunctionNode } from './functions.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';
import { walk } from './walk.js';

/**
 * Calls between functions of one file: "which function does `summarize(x)` /
 * `this.getClient()` / `helpers.embed(x)` run?", "what does it return?". Syntax and scope
 * only; imported functions are the index's and the type checker's business.
 */

export type ScopeOf = (node: TSESTree.Node) => Scope.Scope;

function enclosingClass(node: TSESTree.Node): TSESTree.ClassBody | undefined {
  for (let current: TSESTree.Node | undefined = node.parent; current != null; current = current.parent) {
    if (current.type === AST_NODE_TYPES.ClassBody) return current;
  }
  return undefined;
}

function keyName(key: TSESTree.Node, computed: boolean): string | undefined {
  if (computed) return undefined;
  if (key.type === AST_NODE_TYPES.Identifier) return key.name;
  if (key.type === AST_NODE_TYPES.Literal && typeof key.value === 'string') return key.value;
  return undefined;
}

/** The method (or arrow-function field) `name` of a class body; `isStatic` picks static or instance members. */
export function classMethod(body: TSESTree.ClassBody, name: string, isStatic: boolean): FunctionNode | undefined {
  for (const element of body.body) {
    if (
      element.type === AST_NODE_TYPES.MethodDefinition &&
      element.kind === 'method' &&
      element.static === isStatic &&
      element.value.type === AST_NODE_TYPES.FunctionExpression &&
      keyName(element.key, element.computed) === name
    ) {
      return element.value;
    }
    if (
      element.type === AST_NODE_TYPES.PropertyDefinition &&
      element.static === isStatic &&
      keyName(element.key, element.computed) === name &&
      element.value !== null &&
      isFunction(element.value)
    ) {
      return element.value;
    }
  }
  return undefined;
}

/** The function a variable holds: `function f() {}`, `const f = () => …`, `const f = function () {}`. */
function functionOfVariable(id: TSESTree.Identifier, scope: Scope.Scope): FunctionNode | undefined {
  const variable = ASTUtils.findVariable(scope, id.name);
  const definition = variable?.defs[0];
  if (variable === null || definition === undefined || variable.defs.length !== 1) return undefined;
  if (definition.type === DefinitionType.FunctionName) return definition.node as TSESTree.FunctionDeclaration;
  if (definition.type === DefinitionType.Variable) {
    const origin = valueOrigin(id, scope);
    return origin !== undefined && isFunction(origin) ? origin : undefined;
  }
  return undefined;
}

/** The class a same-file `new C()` or class name refers to. */
function classOf(node: TSESTree.Node, scope: Scope.Scope): TSESTree.ClassBody | undefined {
  const bare = skipTypeWrappers(node);
  if (bare.type !== AST_NODE_TYPES.Identifier) return undefined;
  const definition = ASTUtils.findVariable(scope, bare.name)?.defs[0];
  if (definition?.type === DefinitionType.ClassName) return (definition.node as TSESTree.ClassDeclaration).body;
  const origin = valueOrigin(bare, scope);
  return origin?.type === AST_NODE_TYPES.ClassExpression ? origin.body : undefined;
}

/**
 * The same-file function `call` runs, when it can be told: a function declaration or a `const`
 * holding one, `this.method()` in a class, `Class.staticMethod()`, `obj.method()` on a const
 * object literal or on a `new` of a class of this file.
 */
export function calledFunction(call: TSESTree.CallExpression | TSESTree.NewExpression, scopeOf: ScopeOf): FunctionNode | undefined {
  const callee = skipTypeWrappers(call.callee);
  const scope = scopeOf(call);
  if (callee.type === AST_NODE_TYPES.Identifier) return functionOfVariable(callee, scope);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
  const name = keyName(callee.property, callee.computed);
  if (name === undefined) return undefined;
  const object = skipTypeWrappers(callee.object);
  if (object.type === AST_NODE_TYPES.ThisExpression) {
    const body = enclosingClass(call);
    return body === undefined ? undefined : classMethod(body, name, false);
  }
  const staticBody = classOf(object, scope);
  if (staticBody !== undefined) return classMethod(staticBody, name, true);
  const origin = valueOrigin(object, scope);
  if (origin?.type === AST_NODE_TYPES.ObjectExpression) {
    for (const property of origin.properties) {
      if (property.type === AST_NODE_TYPES.Property && keyName(property.key, property.computed) === name && isFunction(property.value))
        return property.value;
    }
    return undefined;
  }
  if (origin?.type === AST_NODE_TYPES.NewExpression) {
    const body = classOf(origin.callee, scopeOf(origin));
    return body === undefined ? undefined : classMethod(body, name, false);
  }
  return undefined;
}

/** What a function returns: an arrow's expression body, or the argument of each `return` (not those of nested functions). */
export function returnedExpressions(fn: FunctionNode, visitorKeys: SourceCode.VisitorKeys): TSESTree.Expression[] {
  if (fn.body == null) return [];
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return [fn.body];
  const found: TSESTree.Expression[] = [];
  walk(fn.body, visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.ReturnStatement && node.argument !== null) found.push(node.argument);
  });
  return found;
}

/** The name a call site shows for the function it calls: `summarize()`, `this.getClient()`. */
export function callName(callee: TSESTree.Node, text: (node: TSESTree.Node) => string): string {
  return `${text(callee)}()`;
}
