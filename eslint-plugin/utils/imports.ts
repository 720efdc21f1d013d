import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';

/**
 * Import tracking: "is this identifier the `Client` from `pg`?", through ESM imports (named,
 * default, namespace, aliased), `require` (whole, destructured, member), and local aliases
 * (`const { Pool } = pg`, `const P = pg.Pool`). Works on syntax alone.
 */
export interface ImportedBinding {
  /** The module specifier: 'pg', 'openai', 'node:fs'. */
  readonly module: string;
  /**
   * The exported name the binding stands for: 'Client', 'default', or '*' for the whole
   * module (a namespace import or a plain require).
   */
  readonly imported: string;
}

/** Normalises `node:fs` to `fs`, so rules can list builtins once. */
export function normalizeModule(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}

function findVariable(scope: Scope.Scope, name: string): Scope.Variable | undefined {
  for (let current: Scope.Scope | null = scope; current !== null; current = current.upper) {
    const variable = current.set.get(name);
    if (variable !== undefined) return variable;
  }
  return undefined;
}

function requireSpecifier(node: TSESTree.Node | null | undefined): string | undefined {
  if (
    node?.type === AST_NODE_TYPES.CallExpression &&
    node.callee.type === AST_NODE_TYPES.Identifier &&
    node.callee.name === 'require' &&
    node.arguments.length === 1 &&
    node.arguments[0]!.type === AST_NODE_TYPES.Literal &&
    typeof node.arguments[0]!.value === 'string'
  ) {
    return node.arguments[0]!.value;
  }
  if (node?.type === AST_NODE_TYPES.AwaitExpression && node.argument.type === AST_NODE_TYPES.ImportExpression) {
    const source = node.argument.source;
    if (source.type === AST_NODE_TYPES.Literal && typeof source.value === 'string') return source.value;
  }
  return undefined;
}

function propertyName(node: TSESTree.Node): string | undefined {
  if (node.type === AST_NODE_TYPES.Identifier) return node.name;
  if (node.type === AST_NODE_TYPES.Literal && typeof node.value === 'string') return node.value;
  return undefined;
}

/**
 * What `expression` refers to, if it can be traced to an import: an identifier bound by an
 * import, or a member of one (`pg.Client`, `http.request`).
 */
export function resolveImport(expression: TSESTree.Node, scope: Scope.Scope, depth = 0): ImportedBinding | undefined {
  if (depth > 8) return undefined;
  // require('pg') and `await import('pg')` in place: `new (require('pg').Pool)()`.
  const required = requireSpecifier(expression);
  if (required !== undefined) return { module: normalizeModule(required), imported: '*' };
  if (expression.type === AST_NODE_TYPES.MemberExpression && !expression.computed) {
    const object = resolveImport(expression.object, scope, depth + 1);
    if (object !== undefined && (object.imported === '*' || object.imported === 'default')) {
      return { module: object.module, imported: expression.property.name };
    }
    return undefined;
  }
  if (expression.type !== AST_NODE_TYPES.Identifier) return undefined;
  const variable = findVariable(scope, expression.name);
  const definition = variable?.defs[0];
  if (definition === undefined) return undefined;
  if (definition.type === DefinitionType.ImportBinding) {
    const declaration = definition.parent;
    // import pg = require('pg');
    if (
      declaration.type === AST_NODE_TYPES.TSImportEqualsDeclaration &&
      declaration.moduleReference.type === AST_NODE_TYPES.TSExternalModuleReference &&
      declaration.moduleReference.expression.type === AST_NODE_TYPES.Literal &&
      typeof declaration.moduleReference.expression.value === 'string'
    ) {
      return { module: normalizeModule(declaration.moduleReference.expression.value), imported: '*' };
    }
    if (declaration.type !== AST_NODE_TYPES.ImportDeclaration) return undefined;
    const module = normalizeModule(declaration.source.value);
    const specifier = definition.node;
    if (specifier.type === AST_NODE_TYPES.ImportNamespaceSpecifier) return { module, imported: '*' };
    if (specifier.type === AST_NODE_TYPES.ImportDefaultSpecifier) return { module, imported: 'default' };
    if (specifier.type === AST_NODE_TYPES.ImportSpecifier) {
      const name = propertyName(specifier.imported);
      return name === undefined ? undefined : { module, imported: name };
    }
    return undefined;
  }
  if (definition.type === DefinitionType.Variable) {
    const declarator = definition.node;
    if (declarator.type !== AST_NODE_TYPES.VariableDeclarator || declarator.init === null) return undefined;
    // Only constants can be trusted to still hold what they were given.
    if (declarator.parent.type === AST_NODE_TYPES.VariableDeclaration && declarator.parent.kind !== 'const') return undefined;
    const init = declarator.init;
    const required = requireSpecifier(init);
    if (declarator.id.type === AST_NODE_TYPES.Identifier) {
      if (required !== undefined) return { module: normalizeModule(required), imported: '*' };
      // const P = pg.Pool; const C = Client
      if (init.type === AST_NODE_TYPES.MemberExpression || init.type === AST_NODE_TYPES.Identifier) {
        return resolveImport(init, scope, depth + 1);
      }
      return undefined;
    }
    if (declarator.id.type === AST_NODE_TYPES.ObjectPattern) {
      // const { Pool: P } = require('pg')  /  const { Pool } = pg
      const source: ImportedBinding | undefined =
        required !== undefined ? { module: normalizeModule(required), imported: '*' } : resolveImport(init, scope, depth + 1);
      if (source === undefined || (source.imported !== '*' && source.imported !== 'default')) return undefined;
      for (const property of declarator.id.properties) {
        if (property.type !== AST_NODE_TYPES.Property) continue;
        const value = property.value.type === AST_NODE_TYPES.AssignmentPattern ? property.value.left : property.value;
        if (value.type === AST_NODE_TYPES.Identifier && value.name === expression.name) {
          const key = property.computed ? undefined : propertyName(property.key);
          return key === undefined ? undefined : { module: source.module, imported: key };
        }
      }
    }
  }
  return undefined;
}

/** True when `expression` is `imported` from one of `modules` ('*' matches any export name). */
export function isImportOf(
  expression: TSESTree.Node,
  scope: Scope.Scope,
  modules: readonly string[],
  imported?: readonly string[],
): boolean {
  const binding = resolveImport(expression, scope);
  if (binding === undefined || !modules.includes(binding.module)) return false;
  return imported === undefined || imported.includes(binding.imported);
}
