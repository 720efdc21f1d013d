/**
 * AST helpers for release-clients, written for every parser jscodeshift offers (`ts`, `tsx`,
 * `babel`: Babel's and ESTree's node names alike): a walker that records parents, the names a
 * pattern binds, references to a variable inside a block (skipping shadowed ones and type
 * positions), and which objects are connection pools.
 */
import type * as K from 'ast-types/gen/kinds.js';

/** Any AST node, loosely: the fields release-clients reads. */
export interface Node {
  readonly type: string;
  readonly start?: number | null;
  readonly end?: number | null;
  readonly loc?: { start: { line: number; column: number } } | null;
  readonly [key: string]: unknown;
}

/** Keys that hold no runtime code (types, comments, positions); the walker does not descend into them. */
const SKIP_KEYS = new Set([
  'type',
  'loc',
  'start',
  'end',
  'range',
  'extra',
  'comments',
  'leadingComments',
  'trailingComments',
  'innerComments',
  'tokens',
  'typeAnnotation',
  'returnType',
  'typeParameters',
  'typeArguments',
  'superTypeParameters',
  'implements',
  'decorators',
  'original',
]);

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';

export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const value = node[key];
    if (Array.isArray(value))
      for (const item of value) {
        if (isNode(item)) out.push(item);
      }
    else if (isNode(value)) out.push(value);
  }
  return out;
}

/** Parents of every node under `root`, from one walk. Bounded by the tree's size. */
export function parentMap(root: Node): Map<Node, Node> {
  const parents = new Map<Node, Node>();
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const child of children(node)) {
      parents.set(child, node);
      stack.push(child);
    }
  }
  return parents;
}

export const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
  'TSDeclareFunction',
  'TSDeclareMethod',
]);
export const isFunctionNode = (node: Node): boolean => FUNCTION_TYPES.has(node.type);
export const LOOP_TYPES = new Set(['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement']);

/** Expression wrappers that change types, not values: `client!`, `client as PoolClient`, `(client)`. */
export const WRAPPER_TYPES = new Set([
  'TSNonNullExpression',
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSTypeAssertion',
  'TSInstantiationExpression',
  'ParenthesizedExpression',
]);

export function unwrap(node: Node): Node {
  let current = node;
  while (WRAPPER_TYPES.has(current.type)) current = current['expression'] as Node;
  return current;
}

/** Visits every node under `node` (itself included); `false` from `visit` skips a node's children. */
export function visit(node: Node, fn: (node: Node) => boolean | void): void {
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (fn(current) === false) continue;
    stack.push(...children(current));
  }
}

/** True when some node under `node`, outside nested functions, satisfies `test`. */
export function someOutsideFunctions(node: Node, test: (node: Node) => boolean): boolean {
  let found = false;
  visit(node, (current) => {
    if (found) return false;
    if (current !== node && isFunctionNode(current)) return false;
    if (test(current)) found = true;
    return !found;
  });
  return found;
}

/** Whether running `node` can wait: `await`, `yield`, `for await`, `await using`. */
export function waits(node: Node): boolean {
  return someOutsideFunctions(
    node,
    (part) =>
      part.type === 'AwaitExpression' ||
      part.type === 'YieldExpression' ||
      (part.type === 'ForOfStatement' && part['await'] === true) ||
      (part.type === 'VariableDeclaration' && part['kind'] === 'await using'),
  );
}

/** The names a declaration pattern binds: `x`, `{ a, b: [c] }`, `...rest`, `x = 1`. */
export function bindingNames(pattern: Node | null | undefined): string[] {
  if (pattern == null) return [];
  switch (pattern.type) {
    case 'Identifier':
      return [pattern['name'] as string];
    case 'ObjectPattern':
      return (pattern['properties'] as Node[]).flatMap((property) =>
        property.type === 'RestElement' || property.type === 'RestProperty'
          ? bindingNames(property['argument'] as Node)
          : bindingNames(property['value'] as Node),
      );
    case 'ArrayPattern':
      return (pattern['elements'] as (Node | null)[]).flatMap((element) => bindingNames(element));
    case 'AssignmentPattern':
      return bindingNames(pattern['left'] as Node);
    case 'RestElement':
      return bindingNames(pattern['argument'] as Node);
    case 'TSParameterProperty':
      return bindingNames(pattern['parameter'] as Node);
    default:
      return [];
  }
}

/** The names a statement declares in its block: variables, functions, classes, enums, types. */
export function declaredNames(statement: Node): string[] {
  const inner = statement.type === 'ExportNamedDeclaration' && isNode(statement['declaration']) ? statement['declaration'] : statement;
  if (inner.type === 'VariableDeclaration')
    return (inner['declarations'] as Node[]).flatMap((declarator) => bindingNames(declarator['id'] as Node));
  const id = inner['id'];
  if (isNode(id) && id.type === 'Identifier' && /Declaration$/.test(inner.type)) return [id['name'] as string];
  return [];
}

/**
 * Whether `node` (a function, block, catch clause or loop head) declares `name` for the code
 * under it. A `var` belongs to its function, so only a function's own body block declares one.
 */
function declares(node: Node, name: string, parents: ReadonlyMap<Node, Node>): boolean {
  if (isFunctionNode(node)) {
    const id = node['id'];
    if (node.type === 'FunctionExpression' && isNode(id) && id['name'] === name) return true;
    return (node['params'] as Node[]).some((param) => bindingNames(param).includes(name));
  }
  if (node.type === 'CatchClause') return bindingNames(node['param'] as Node | null).includes(name);
  if (node.type === 'BlockStatement' || node.type === 'StaticBlock' || node.type === 'Program') {
    const functionBody = node.type !== 'BlockStatement' || isFunctionNode(parents.get(node) ?? node);
    return (node['body'] as Node[]).some(
      (statement) =>
        (functionBody || statement.type !== 'VariableDeclaration' || statement['kind'] !== 'var') &&
        declaredNames(statement).includes(name),
    );
  }
  if (node.type === 'ForStatement' || node.type === 'ForInStatement' || node.type === 'ForOfStatement') {
    const head = (node.type === 'ForStatement' ? node['init'] : node['left']) as Node | null;
    return head?.type === 'VariableDeclaration' && declaredNames(head).includes(name);
  }
  if (node.type === 'ClassExpression') {
    const id = node['id'];
    return isNode(id) && id['name'] === name;
  }
  return false;
}

/** Whether `id` (an Identifier) reads or writes a variable, rather than naming a property, key or label. */
function isReference(id: Node, parent: Node | undefined): boolean {
  if (parent === undefined) return false;
  const computed = parent['computed'] === true;
  switch (parent.type) {
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return parent['object'] === id || computed;
    case 'ObjectProperty':
    case 'Property':
    case 'ClassProperty':
    case 'ClassPrivateProperty':
    case 'PropertyDefinition':
    case 'ObjectMethod':
    case 'ClassMethod':
    case 'MethodDefinition':
      return parent['key'] !== id || computed;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
    case 'ImportSpecifier':
    case 'ImportDefaultSpecifier':
    case 'ImportNamespaceSpecifier':
    case 'ExportSpecifier':
      return false;
    default:
      return !parent.type.startsWith('TS') || WRAPPER_TYPES.has(parent.type);
  }
}

/**
 * The identifiers under `scopeRoot` that refer to the variable `name` declared in `block`: not
 * property names or keys, not in type positions, not in a nested function or block that
 * declares its own `name`.
 */
export function referencesIn(scopeRoot: Node, name: string, block: Node, parents: ReadonlyMap<Node, Node>): Node[] {
  const found: Node[] = [];
  visit(scopeRoot, (node) => {
    if (node.type !== 'Identifier' || node['name'] !== name) return;
    if (!isReference(node, parents.get(node))) return;
    for (let up = parents.get(node); up !== undefined && up !== block; up = parents.get(up)) {
      if (declares(up, name, parents)) return;
    }
    found.push(node);
  });
  return found.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
}

/** `a.b.c` for a plain member chain (`this` included); undefined for anything computed or called. */
export function chainText(node: Node): string | undefined {
  const bare = unwrap(node);
  if (bare.type === 'Identifier') return bare['name'] as string;
  if (bare.type === 'ThisExpression') return 'this';
  if ((bare.type === 'MemberExpression' || bare.type === 'OptionalMemberExpression') && bare['computed'] !== true) {
    const object = chainText(bare['object'] as Node);
    const property = bare['property'] as Node;
    const key =
      property.type === 'Identifier' || property.type === 'PrivateName'
        ? chainText(property.type === 'PrivateName' ? (property['id'] as Node) : property)
        : undefined;
    return object !== undefined && key !== undefined ? `${object}.${property.type === 'PrivateName' ? '#' : ''}${key}` : undefined;
  }
  return undefined;
}

/** What kind of pool an object is: bounded's (disposable clients), pg's, mysql's, or one only named like a pool. */
export type PoolKind = 'bounded' | 'pg' | 'mysql' | 'named';

interface Imported {
  readonly module: string;
  /** The export name; '*' for a default or namespace import. */
  readonly imported: string;
}

const POOL_NAME = /pool$/i;
const BOUNDED_MODULES = new Set(['@bounded/runtime', '@bounded/runtime/core']);

/** Recognises pools by where they come from (imports and `const` initialisers in the file) and by name. */
export class PoolFinder {
  readonly #imports = new Map<string, Imported>();
  readonly #constants = new Map<string, Node | null>();

  constructor(program: K.ProgramKind, root: Node) {
    for (const statement of program.body as unknown as Node[]) {
      if (statement.type !== 'ImportDeclaration' || statement['importKind'] === 'type') continue;
      const module = (statement['source'] as Node)['value'];
      if (typeof module !== 'string') continue;
      for (const spec of (statement['specifiers'] as Node[] | undefined) ?? []) {
        const local = (spec['local'] as Node | undefined)?.['name'];
        if (typeof local !== 'string' || spec['importKind'] === 'type') continue;
        const importedNode = spec['imported'] as Node | undefined;
        const imported = spec.type === 'ImportSpecifier' ? ((importedNode?.['name'] ?? importedNode?.['value']) as string) : '*';
        this.#imports.set(local, { module, imported });
      }
    }
    // `const pool = new Pool(…)` anywhere in the file; a name declared twice is ambiguous (null).
    visit(root, (node) => {
      if (node.type !== 'VariableDeclarator') return;
      const id = node['id'] as Node;
      if (id.type !== 'Identifier') return;
      const name = id['name'] as string;
      this.#constants.set(name, this.#constants.has(name) ? null : ((node['init'] as Node | null) ?? null));
    });
  }

  #binding(node: Node): Imported | undefined {
    const bare = unwrap(node);
    if (bare.type === 'Identifier') return this.#imports.get(bare['name'] as string);
    if (bare.type === 'MemberExpression' && bare['computed'] !== true) {
      const object = unwrap(bare['object'] as Node);
      const property = bare['property'] as Node;
      const base = object.type === 'Identifier' ? this.#imports.get(object['name'] as string) : undefined;
      if (base?.imported === '*' && property.type === 'Identifier') return { module: base.module, imported: property['name'] as string };
    }
    return undefined;
  }

  /** The kind of pool an expression that builds one makes: `new pg.Pool()`, `createPool()`, `getPool('main')`. */
  #built(node: Node): PoolKind | undefined {
    let bare = unwrap(node);
    if (bare.type === 'AwaitExpression') bare = unwrap(bare['argument'] as Node);
    if (bare.type !== 'NewExpression' && bare.type !== 'CallExpression') return undefined;
    const binding = this.#binding(bare['callee'] as Node);
    if (binding === undefined) return undefined;
    if (
      bare.type === 'CallExpression' &&
      BOUNDED_MODULES.has(binding.module) &&
      (binding.imported === 'createPool' || binding.imported === 'getPool')
    )
      return 'bounded';
    if (bare.type === 'NewExpression' && ((binding.module === 'pg' && binding.imported === 'Pool') || binding.module === 'pg-pool'))
      return 'pg';
    if (
      bare.type === 'CallExpression' &&
      /^mysql2?(?:\/promise)?$/.test(binding.module) &&
      (binding.imported === 'createPool' || binding.imported === 'createPoolCluster')
    )
      return 'mysql';
    return undefined;
  }

  kind(object: Node): PoolKind | undefined {
    const bare = unwrap(object);
    const built = this.#built(bare);
    if (built !== undefined) return built;
    if (bare.type === 'Identifier') {
      const init = this.#constants.get(bare['name'] as string);
      const origin = init == null ? undefined : this.#built(init);
      if (origin !== undefined) return origin;
    }
    const text = chainText(bare);
    return text !== undefined && POOL_NAME.test(text) ? 'named' : undefined;
  }
}
