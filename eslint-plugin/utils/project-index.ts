import { readFileSync, statSync } from 'node:fs';
import { AST_NODE_TYPES, type ParserServices, type TSESTree } from '@typescript-eslint/utils';
import type { RuleContext } from '@typescript-eslint/utils/ts-eslint';
import { DefinitionType } from '@typescript-eslint/scope-manager';
import ts from 'typescript';
import type { ScopeOf } from './call-graph.js';
import { resolveImport } from './imports.js';
import { resolveImportPath } from './module-paths.js';
import { skipTypeWrappers, valueOrigin } from './origins.js';

/**
 * What the functions, classes and methods a project exports do, by file and export name: the
 * index `bounded check` builds before it lints (cli/check-index.ts), so that a call of an
 * imported wrapper counts as the provider call, request or connection it makes. The rules read
 * it from `settings.bounded.index` (a JSON file, or the object itself); with type information
 * and no index, they analyse the declaration the checker finds the same way.
 */

export interface ProviderFact {
  readonly label: string;
  readonly limiter: string | undefined;
  /** The innermost call, as written: `openai.chat.completions.create`. */
  readonly call: string;
}

export interface RequestFact {
  readonly call: string;
  /** True when the request has a deadline of its own (an option, a wrapper, the client's default). */
  readonly deadline: boolean;
}

export interface ConnectionFact {
  readonly call: string;
}

/** What calling one export does; a fact is absent when it does not do that (or does it under a limiter or deadline of its own). */
export interface ExportFacts {
  readonly provider?: ProviderFact;
  readonly request?: RequestFact;
  readonly connection?: ConnectionFact;
  /** True when the export is an async function: a call of it returns a promise (no-unmanaged-background-work). */
  readonly async?: true;
}

/**
 * Keys of a file's entry: an export's name (`summarize`, `default`), `Class#method` for an
 * instance method of an exported class, `Class.method` for a static one.
 */
export interface ProjectIndex {
  readonly version: 1;
  readonly files: Readonly<Record<string, Readonly<Record<string, ExportFacts>>>>;
}

const loaded = new Map<string, { mtimeMs: number; index: ProjectIndex | undefined }>();

function readIndex(path: string): ProjectIndex | undefined {
  const mtimeMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  if (mtimeMs === undefined) return undefined;
  const cached = loaded.get(path);
  if (cached?.mtimeMs === mtimeMs) return cached.index;
  let index: ProjectIndex | undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as ProjectIndex;
    index = parsed.version === 1 && typeof parsed.files === 'object' ? parsed : undefined;
  } catch {
    index = undefined;
  }
  loaded.set(path, { mtimeMs, index });
  return index;
}

/** The index `settings.bounded.index` names (a path to JSON, or the object), if any. */
export function projectIndexFor(context: Readonly<RuleContext<string, readonly unknown[]>>): ProjectIndex | undefined {
  const setting = (context.settings as { bounded?: { index?: unknown } }).bounded?.index;
  if (typeof setting === 'string') return readIndex(setting);
  if (setting !== null && typeof setting === 'object' && (setting as ProjectIndex).version === 1) return setting as ProjectIndex;
  return undefined;
}

/** Where a call goes in another module: the module's file, and the key of the export it runs. */
interface Target {
  readonly specifier: string;
  readonly key: string;
}

/** The class an identifier was imported as, with its specifier. */
function importedClass(node: TSESTree.Node, scopeOf: ScopeOf): { specifier: string; name: string } | undefined {
  const binding = resolveImport(node, scopeOf(node));
  return binding === undefined || binding.imported === '*' ? undefined : { specifier: binding.module, name: binding.imported };
}

/** The imported class `this` extends in the class around `node`, when the class itself does not define `method`. */
function inheritedFrom(node: TSESTree.Node, method: string, scopeOf: ScopeOf): { specifier: string; name: string } | undefined {
  for (let up: TSESTree.Node | undefined = node.parent; up != null; up = up.parent) {
    if (up.type !== AST_NODE_TYPES.ClassBody) continue;
    const own = up.body.some(
      (element) =>
        (element.type === AST_NODE_TYPES.MethodDefinition || element.type === AST_NODE_TYPES.PropertyDefinition) &&
        !element.computed &&
        element.key.type === AST_NODE_TYPES.Identifier &&
        element.key.name === method,
    );
    const declaration = up.parent;
    if (own || (declaration.type !== AST_NODE_TYPES.ClassDeclaration && declaration.type !== AST_NODE_TYPES.ClassExpression))
      return undefined;
    return declaration.superClass == null ? undefined : importedClass(declaration.superClass, scopeOf);
  }
  return undefined;
}

function targetOf(call: TSESTree.CallExpression, scopeOf: ScopeOf): Target | undefined {
  const callee = skipTypeWrappers(call.callee);
  const scope = scopeOf(call);
  const binding = resolveImport(callee, scope);
  // `summarize(x)`, `llm.summarize(x)` on a namespace import, `helpers.default(x)`.
  if (binding !== undefined) return binding.imported === '*' ? undefined : { specifier: binding.module, key: binding.imported };
  if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
    return undefined;
  const method = callee.property.name;
  const object = skipTypeWrappers(callee.object);
  // `this.complete(x)` in a class that extends an imported base.
  if (object.type === AST_NODE_TYPES.ThisExpression) {
    const base = inheritedFrom(call, method, scopeOf);
    return base === undefined ? undefined : { specifier: base.specifier, key: `${base.name}#${method}` };
  }
  // `Llm.complete(x)` static, or `llm.complete(x)` / `this.llm.complete(x)` on `new Llm()`.
  const statics = importedClass(object, scopeOf);
  if (statics !== undefined && object.type === AST_NODE_TYPES.Identifier) {
    const definition = scope.set.get(object.name)?.defs[0] ?? undefined;
    if (definition === undefined || definition.type === DefinitionType.ImportBinding)
      return { specifier: statics.specifier, key: `${statics.name}.${method}` };
  }
  let origin = valueOrigin(object, scopeOf(object));
  if (origin?.type === AST_NODE_TYPES.AwaitExpression) origin = skipTypeWrappers(origin.argument);
  if (origin?.type !== AST_NODE_TYPES.NewExpression) return undefined;
  const made = importedClass(origin.callee, scopeOf);
  return made === undefined ? undefined : { specifier: made.specifier, key: `${made.name}#${method}` };
}

/** Facts of a file the checker found, analysed on demand (set by the index module). */
export type FileFacts = (file: string) => Readonly<Record<string, ExportFacts>> | undefined;
let onDemand: FileFacts | undefined;

/** Lets the rules analyse a declaration's file themselves when they have type information and no index. */
export function setFileFacts(facts: FileFacts | undefined): void {
  onDemand = facts;
}

/** The file and export the checker says an imported callee is declared in. */
function typedTarget(call: TSESTree.CallExpression, services: ParserServices | undefined): { file: string; key: string } | undefined {
  if (services?.program == null) return undefined;
  const checker = services.program.getTypeChecker();
  try {
    const callee = services.esTreeNodeToTSNodeMap.get(call.callee);
    let symbol = checker.getSymbolAtLocation(callee);
    // `llm.complete` on an instance: the method's symbol; its parent is the class.
    if (symbol !== undefined && (symbol.flags & ts.SymbolFlags.Alias) !== 0) symbol = checker.getAliasedSymbol(symbol);
    const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (declaration === undefined) return undefined;
    const file = declaration.getSourceFile().fileName;
    if (file.includes('/node_modules/') || file.endsWith('.d.ts')) return undefined;
    const parent = (declaration.parent as { name?: { text?: string } } | undefined)?.name?.text;
    const name = symbol!.getName();
    const isMember =
      declaration.parent !== undefined && (ts.isClassDeclaration(declaration.parent) || ts.isClassExpression(declaration.parent));
    if (!isMember) return { file, key: name };
    const isStatic =
      ts.canHaveModifiers(declaration) &&
      ts.getModifiers(declaration)?.some((modifier) => modifier.kind === ts.SyntaxKind.StaticKeyword) === true;
    return parent === undefined ? undefined : { file, key: `${parent}${isStatic ? '.' : '#'}${name}` };
  } catch {
    return undefined;
  }
}

/**
 * What calling an imported function or method does, from the index (or, with type information
 * and no index, from its declaration): undefined when it is not imported from a project file,
 * or does none of the things the index records.
 */
export function importedFact(
  call: TSESTree.CallExpression,
  scopeOf: ScopeOf,
  filename: string,
  index: ProjectIndex | undefined,
  services: ParserServices | undefined,
): ExportFacts | undefined {
  if (index !== undefined) {
    const target = targetOf(call, scopeOf);
    const file = target === undefined ? undefined : resolveImportPath(target.specifier, filename);
    return file === undefined ? undefined : index.files[file]?.[target!.key];
  }
  if (onDemand === undefined) return undefined;
  const typed = typedTarget(call, services);
  return typed === undefined || typed.file === filename ? undefined : onDemand(typed.file)?.[typed.key];
}
