import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';

/**
 * Where a value was made: "this `openai` is `new OpenAI()`", "this `limit` is `pLimit(4)`",
 * "this `this.http` is `axios.create(…)`". Works on syntax alone, within one file.
 */

/** `x as T`, `x!`, `<T>x`, `x satisfies T` → `x`. */
export function skipTypeWrappers(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  while (
    current.type === AST_NODE_TYPES.TSAsExpression ||
    current.type === AST_NODE_TYPES.TSNonNullExpression ||
    current.type === AST_NODE_TYPES.TSTypeAssertion ||
    current.type === AST_NODE_TYPES.TSSatisfiesExpression
  ) {
    current = current.expression;
  }
  return current;
}

/** The class a node sits in, if any (not crossing into a nested class). */
function enclosingClassBody(node: TSESTree.Node): TSESTree.ClassBody | undefined {
  for (let current: TSESTree.Node | undefined = node.parent; current != null; current = current.parent) {
    if (current.type === AST_NODE_TYPES.ClassBody) return current;
  }
  return undefined;
}

/**
 * Every value `this.<name>` is given anywhere in its class: the field initialiser and each
 * `this.<name> = …` / `??=` / `||=` (a lazily built client: `this.client ??= new OpenAI()`).
 * Empty when the member is not `this.<name>` inside a class.
 */
export function thisPropertyValues(member: TSESTree.MemberExpression): TSESTree.Expression[] {
  if (member.computed || member.property.type !== AST_NODE_TYPES.Identifier || member.object.type !== AST_NODE_TYPES.ThisExpression)
    return [];
  const name = member.property.name;
  const body = enclosingClassBody(member);
  if (body === undefined) return [];
  const values: TSESTree.Expression[] = [];
  const visit = (node: TSESTree.Node): void => {
    if (
      node.type === AST_NODE_TYPES.AssignmentExpression &&
      HOLDING_OPERATORS.has(node.operator) &&
      node.left.type === AST_NODE_TYPES.MemberExpression &&
      node.left.object.type === AST_NODE_TYPES.ThisExpression &&
      !node.left.computed &&
      node.left.property.type === AST_NODE_TYPES.Identifier &&
      node.left.property.name === name
    ) {
      values.push(node.right);
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent') continue;
      // A nested class has its own `this`.
      for (const child of Array.isArray(value) ? value : [value]) {
        if (
          child !== null &&
          typeof child === 'object' &&
          typeof (child as { type?: unknown }).type === 'string' &&
          (child as TSESTree.Node).type !== AST_NODE_TYPES.ClassBody
        ) {
          visit(child as TSESTree.Node);
        }
      }
    }
  };
  for (const element of body.body) {
    if (
      element.type === AST_NODE_TYPES.PropertyDefinition &&
      !element.static &&
      !element.computed &&
      element.key.type === AST_NODE_TYPES.Identifier &&
      element.key.name === name
    ) {
      if (element.value !== null) values.push(element.value);
      continue;
    }
    visit(element);
  }
  return values;
}

/**
 * The expression `this.<name>` was given in its class: a field initialiser
 * (`private http = axios.create()`), or the one `this.<name> = …` statement of the constructor.
 * Undefined for a constructor parameter property or anything assigned elsewhere.
 */
function thisPropertyOrigin(member: TSESTree.MemberExpression): TSESTree.Node | undefined {
  if (member.computed || member.property.type !== AST_NODE_TYPES.Identifier) return undefined;
  const name = member.property.name;
  const body = enclosingClassBody(member);
  if (body === undefined) return undefined;
  for (const element of body.body) {
    if (
      element.type === AST_NODE_TYPES.PropertyDefinition &&
      !element.static &&
      !element.computed &&
      element.key.type === AST_NODE_TYPES.Identifier &&
      element.key.name === name &&
      element.value !== null
    ) {
      return element.value;
    }
  }
  const constructor = body.body.find(
    (element): element is TSESTree.MethodDefinition => element.type === AST_NODE_TYPES.MethodDefinition && element.kind === 'constructor',
  );
  const assigned: TSESTree.Expression[] = [];
  for (const statement of constructor?.value.body?.body ?? []) {
    if (statement.type !== AST_NODE_TYPES.ExpressionStatement) continue;
    const expression = statement.expression;
    if (
      expression.type === AST_NODE_TYPES.AssignmentExpression &&
      expression.left.type === AST_NODE_TYPES.MemberExpression &&
      expression.left.object.type === AST_NODE_TYPES.ThisExpression &&
      !expression.left.computed &&
      expression.left.property.type === AST_NODE_TYPES.Identifier &&
      expression.left.property.name === name
    ) {
      assigned.push(expression.right);
    }
  }
  return assigned.length === 1 ? assigned[0] : undefined;
}

/** Assignment operators after which a variable holds the right-hand side (`??=` memoises). */
const HOLDING_OPERATORS = new Set(['=', '??=', '||=']);

/**
 * The expression a variable holds, when it is given exactly one value in this file: a `const`
 * (or `using`) initialiser, or a `let` written once (`let c; c ??= new Pool()`). Follows
 * plain aliases (`const b = a`) and `this.<field>`. Type wrappers are skipped.
 */
export function valueOrigin(expression: TSESTree.Node, scope: Scope.Scope, depth = 0): TSESTree.Node | undefined {
  if (depth > 6) return undefined;
  const node = skipTypeWrappers(expression);
  if (node.type === AST_NODE_TYPES.MemberExpression && node.object.type === AST_NODE_TYPES.ThisExpression) {
    const origin = thisPropertyOrigin(node);
    return origin === undefined ? undefined : followAlias(origin, scope, depth);
  }
  if (node.type !== AST_NODE_TYPES.Identifier) return undefined;
  const variable = ASTUtils.findVariable(scope, node.name);
  const definition = variable?.defs[0];
  if (variable === null || definition === undefined || variable.defs.length !== 1) return undefined;
  if (definition.type !== DefinitionType.Variable || definition.node.id.type !== AST_NODE_TYPES.Identifier) return undefined;
  const writes = variable.references.filter((reference) => reference.isWrite());
  if (writes.length !== 1) return undefined;
  const written = writes[0]!.writeExpr;
  if (written == null) return undefined;
  const parent = written.parent;
  const fromDeclarator = parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.init === written;
  const fromAssignment = parent?.type === AST_NODE_TYPES.AssignmentExpression && HOLDING_OPERATORS.has(parent.operator);
  if (!fromDeclarator && !fromAssignment) return undefined;
  return followAlias(written, scope, depth);
}

function followAlias(node: TSESTree.Node, scope: Scope.Scope, depth: number): TSESTree.Node {
  const bare = skipTypeWrappers(node);
  if (
    bare.type === AST_NODE_TYPES.Identifier ||
    (bare.type === AST_NODE_TYPES.MemberExpression && bare.object.type === AST_NODE_TYPES.ThisExpression)
  ) {
    return valueOrigin(bare, scope, depth + 1) ?? bare;
  }
  return bare;
}

/** The variable a call's result is stored in (`const req = http.request(…)`), if any. */
export function assignedVariable(node: TSESTree.Node, scope: Scope.Scope): Scope.Variable | undefined {
  const parent = node.parent;
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.init === node && parent.id.type === AST_NODE_TYPES.Identifier) {
    return ASTUtils.findVariable(scope, parent.id.name) ?? undefined;
  }
  return undefined;
}
