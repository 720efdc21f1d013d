import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import type { RuleFix, RuleFixer, Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import { isImportOf } from './imports.js';

/**
 * bounded's own runtime as the rules see it: recognising its exports in linted code, and
 * adding an import of one for a suggestion.
 */

/** The specifiers bounded's runtime is imported from. */
export const RUNTIME_MODULES: readonly string[] = ['@bounded/runtime', '@bounded/runtime/core'];
/** The specifier suggestions import from. */
export const RUNTIME_MODULE = '@bounded/runtime';

/** True when `node` is one of `names`, imported from bounded's runtime. */
export function isRuntimeExport(node: TSESTree.Node, scope: Scope.Scope, names: readonly string[]): boolean {
  return isImportOf(node, scope, RUNTIME_MODULES, names);
}

function importedName(specifier: TSESTree.ImportSpecifier): string {
  return specifier.imported.type === AST_NODE_TYPES.Identifier ? specifier.imported.name : specifier.imported.value;
}

/**
 * The fixes that make `name` from bounded's runtime available in the file: none when it is
 * already imported under that name, a specifier merged into an existing value import of
 * '@bounded/runtime' (or '@bounded/runtime/core'), else a new import after the last one.
 */
export function addRuntimeImport(fixer: RuleFixer, sourceCode: Readonly<SourceCode>, name: string): RuleFix[] {
  const program = sourceCode.ast;
  const imports = program.body.filter(
    (statement): statement is TSESTree.ImportDeclaration => statement.type === AST_NODE_TYPES.ImportDeclaration,
  );
  const runtime = imports.filter((declaration) => RUNTIME_MODULES.includes(declaration.source.value) && declaration.importKind !== 'type');
  for (const declaration of runtime) {
    for (const specifier of declaration.specifiers) {
      if (
        specifier.type === AST_NODE_TYPES.ImportSpecifier &&
        importedName(specifier) === name &&
        specifier.local.name === name &&
        specifier.importKind !== 'type'
      )
        return [];
    }
  }
  // Merge into `import { a } from '@bounded/runtime'` (preferred) or '@bounded/runtime/core'.
  const ordered = [...runtime].sort((a, b) => RUNTIME_MODULES.indexOf(a.source.value) - RUNTIME_MODULES.indexOf(b.source.value));
  for (const declaration of ordered) {
    const named = declaration.specifiers.filter(
      (specifier): specifier is TSESTree.ImportSpecifier => specifier.type === AST_NODE_TYPES.ImportSpecifier,
    );
    const last = named.at(-1);
    if (last !== undefined) return [fixer.insertTextAfter(last, `, ${name}`)];
    const only = declaration.specifiers[0];
    if (only?.type === AST_NODE_TYPES.ImportDefaultSpecifier && declaration.specifiers.length === 1) {
      return [fixer.insertTextAfter(only, `, { ${name} }`)];
    }
  }
  const lastImport = imports.at(-1);
  if (lastImport !== undefined) return [fixer.insertTextAfter(lastImport, `\nimport { ${name} } from '${RUNTIME_MODULE}';`)];
  // A CommonJS file: require it next to the other requires.
  const lastRequire = program.body.filter(isRequireDeclaration).at(-1);
  if (lastRequire !== undefined) return [fixer.insertTextAfter(lastRequire, `\nconst { ${name} } = require('${RUNTIME_MODULE}');`)];
  const statement = `import { ${name} } from '${RUNTIME_MODULE}';`;
  const first = program.body[0];
  if (first === undefined) return [fixer.insertTextAfterRange([0, 0], `${statement}\n`)];
  return [fixer.insertTextBefore(first, `${statement}\n`)];
}

/** `const x = require('…')` (or a destructuring of one) at the top of a file. */
function isRequireDeclaration(statement: TSESTree.ProgramStatement): boolean {
  if (statement.type !== AST_NODE_TYPES.VariableDeclaration) return false;
  return statement.declarations.some((declarator) => {
    const init = declarator.init;
    return init?.type === AST_NODE_TYPES.CallExpression && init.callee.type === AST_NODE_TYPES.Identifier && init.callee.name === 'require';
  });
}

/** True when `name` would refer to something else than an import at `scope` (so a suggestion must not add it). */
export function isNameTaken(scope: Scope.Scope, name: string): boolean {
  const variable = ASTUtils.findVariable(scope, name);
  if (variable === null || variable.defs.length === 0) return false;
  const definition = variable.defs[0]!;
  if (definition.type !== DefinitionType.ImportBinding) return true;
  const declaration = definition.parent;
  return declaration?.type !== AST_NODE_TYPES.ImportDeclaration || !RUNTIME_MODULES.includes(declaration.source.value);
}
