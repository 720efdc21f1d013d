/**
 * Model-provider clients as the throttle-provider-calls transform sees them: "which provider's
 * client does this call go through, and where was it made?". Every provider comes from the
 * catalog (policy/catalog/providers.ts), as it does for the rule. Syntax and import tracking
 * only (a transform has no type checker): a client is known when the file constructs it,
 * annotates it with a client class, or imports it from a relative module that constructs it.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import {
  AI_SDK_PROVIDERS,
  BOUNDED_RUNTIME_MODULES,
  PROVIDER_APIS,
  isProviderTestModule,
  matchesName,
  providerApiOf,
  type ProviderApi,
} from '@bounded/policy';
import { programOf } from './imports.js';

/** A provider's catalog id: 'openai', 'anthropic', 'langchain'… */
export type Provider = string;

const API_BY_ID: ReadonlyMap<string, ProviderApi> = new Map(PROVIDER_APIS.map((api) => [api.id, api]));

/** The catalog entry of a provider id. */
export function providerApi(provider: Provider): ProviderApi | undefined {
  return API_BY_ID.get(provider);
}

/** The modules bounded's runtime is imported from. */
export const RUNTIME_MODULES: readonly string[] = BOUNDED_RUNTIME_MODULES;

export interface ImportBinding {
  readonly module: string;
  /** The exported name; 'default' for a default import, '*' for a namespace. */
  readonly imported: string;
}

type Node = K.NodeKind;

/** Every local name the file imports, with where it comes from (type-only imports included). */
export function importBindings(root: Collection): Map<string, ImportBinding> {
  const bindings = new Map<string, ImportBinding>();
  // Imports are top-level statements: no need to walk the whole tree.
  for (const statement of programOf(root).body) {
    if (statement.type !== 'ImportDeclaration') continue;
    const module = statement.source.value;
    if (typeof module !== 'string') continue;
    for (const spec of statement.specifiers ?? []) {
      const local = spec.local?.name;
      if (typeof local !== 'string') continue;
      if (spec.type === 'ImportDefaultSpecifier') bindings.set(local, { module, imported: 'default' });
      else if (spec.type === 'ImportNamespaceSpecifier') bindings.set(local, { module, imported: '*' });
      else {
        const imported = spec.imported as { name?: string; value?: string };
        bindings.set(local, { module, imported: imported.name ?? imported.value ?? local });
      }
    }
  }
  return bindings;
}

/** True when `node` names one of `names` exported by bounded's runtime (`mapBounded`, `rt.mapBounded`). */
export function isRuntimeName(node: unknown, imports: ReadonlyMap<string, ImportBinding>, names: readonly string[]): boolean {
  const binding = referencedImport(node as Node, imports);
  return binding !== undefined && RUNTIME_MODULES.includes(binding.module) && names.includes(binding.imported);
}

/** The import an identifier or `namespace.member` refers to. */
function referencedImport(node: Node, imports: ReadonlyMap<string, ImportBinding>): ImportBinding | undefined {
  if (node.type === 'Identifier') return imports.get(node.name);
  const member = node.type === 'MemberExpression' && !node.computed ? node : undefined;
  const qualified = node.type === 'TSQualifiedName' ? node : undefined;
  const object = member?.object ?? qualified?.left;
  const property = member?.property ?? qualified?.right;
  if (object?.type !== 'Identifier' || property?.type !== 'Identifier') return undefined;
  const namespace = imports.get(object.name);
  return namespace?.imported === '*' ? { module: namespace.module, imported: property.name } : undefined;
}

/** The provider whose client class `node` names (`OpenAI`, `Client` aliased, `sdk.Anthropic`, `ChatOpenAI`). */
export function sdkClassProvider(node: unknown, imports: ReadonlyMap<string, ImportBinding>): Provider | undefined {
  const binding = referencedImport(node as Node, imports);
  if (binding === undefined || isProviderTestModule(binding.module)) return undefined;
  const api = providerApiOf(binding.module);
  // A namespace import stands for the module's default client class (`import * as sdk from 'openai'`; `new sdk()` is rare but valid).
  return api !== undefined && matchesName(api.classes, binding.imported) ? api.id : undefined;
}

/** The provider a type annotation (`client: OpenAI`, `llm?: Anthropic | undefined`) names. */
export function annotatedProvider(node: unknown, imports: ReadonlyMap<string, ImportBinding>): Provider | undefined {
  let type = (node as { typeAnnotation?: Node | null }).typeAnnotation ?? undefined;
  if (type?.type === 'TSTypeAnnotation') type = type.typeAnnotation;
  if (type === undefined) return undefined;
  const parts = type.type === 'TSUnionType' ? (type.types as Node[]) : [type];
  for (const part of parts) {
    if (part.type === 'TSTypeReference') {
      const provider = sdkClassProvider(part.typeName, imports);
      if (provider !== undefined) return provider;
    }
  }
  return undefined;
}

/** The SDK client a `new` expression constructs, if it constructs one. */
export function constructedProvider(node: unknown, imports: ReadonlyMap<string, ImportBinding>): Provider | undefined {
  const expression = node as Node;
  return expression.type === 'NewExpression' ? sdkClassProvider(expression.callee, imports) : undefined;
}

/** First segments of the method paths that send a request, over the whole catalog. */
const REQUEST_HEADS = new Set(
  PROVIDER_APIS.flatMap((api) => [...(api.resources ?? []), ...(api.methods ?? []).map((method) => method.split('.')[0]!)]),
);

/** True when `path` could be a request on some provider's client: worth finding out where the receiver comes from. */
export function mayBeRequestPath(path: readonly string[]): boolean {
  return path.length >= 1 && REQUEST_HEADS.has(path[0]!);
}

/** True when `path` (the method path below the client, e.g. chat.completions.create) sends a request. */
export function isRequestPath(provider: Provider, path: readonly string[]): boolean {
  const api = providerApi(provider);
  if (api === undefined) return false;
  if (api.resources !== undefined && path.length >= (api.minPath ?? 1) && api.resources.includes(path[0]!)) return true;
  return api.methods?.includes(path.join('.')) === true;
}

/** `openai.chat.completions.create` → receiver `openai`, path ['chat', 'completions', 'create']. */
export function splitCallee(callee: Node): { receiver: Node; path: string[] } | undefined {
  const path: string[] = [];
  let current = callee;
  while (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression') {
    if (current.object.type === 'ThisExpression') break;
    if (current.computed || current.property.type !== 'Identifier') return undefined;
    path.unshift(current.property.name);
    current = current.object;
  }
  if (path.length === 0) return undefined;
  return { receiver: current, path };
}

/** How a client was made, as far as the file shows. */
export type ClientOrigin =
  /** `const openai = new OpenAI(…)` at module level, or a class field / constructor assignment: wrap it there. */
  | { readonly kind: 'construction'; readonly provider: Provider; readonly construction: K.NewExpressionKind }
  /** Already `throttleClient(…)`. */
  | { readonly kind: 'throttled' }
  /** A parameter or property typed as an SDK client: its construction is elsewhere; wrap the calls. */
  | { readonly kind: 'external'; readonly provider: Provider }
  /** A provider client the transform will not rewrite, and why. */
  | { readonly kind: 'refused'; readonly provider: Provider; readonly reason: string };

export interface ClientLookup {
  readonly j: JSCodeshift;
  readonly root: Collection;
  readonly imports: ReadonlyMap<string, ImportBinding>;
  /** The file being transformed, to find relative modules. */
  readonly filePath: string;
  /** Parses another module's text (the same parser as the file's). */
  readonly parse: (text: string) => Collection;
  /** Modules already read for this file, by path (null: unreadable or unparsable). */
  readonly modules: Map<string, Collection | null>;
}

const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

/** The parent path (jscodeshift types `parent` as `any`). */
export function parentOf(path: ASTPath): ASTPath | null {
  return (path.parent as ASTPath | null | undefined) ?? null;
}

export function isFunctionNode(node: Node): boolean {
  return FUNCTION_TYPES.has(node.type);
}

function enclosingFunction(path: ASTPath): ASTPath | undefined {
  for (let up: ASTPath | null = path.parent as ASTPath | null; up !== null; up = up.parent as ASTPath | null) {
    if (isFunctionNode(up.node as Node)) return up;
  }
  return undefined;
}

function where(node: Node): string {
  const loc = (node as { loc?: { start: { line: number; column: number } } | null }).loc;
  return loc ? `${loc.start.line}:${loc.start.column + 1}` : '?';
}

function functionLabel(fn: ASTPath): string {
  const node = fn.node as Node & { id?: { name?: string } | null; key?: Node };
  if (node.id?.name !== undefined) return `\`${node.id.name}\``;
  const parent = parentOf(fn)?.node as (Node & { id?: Node; key?: Node }) | undefined;
  const id = node.key ?? (parent?.type === 'VariableDeclarator' ? parent.id : undefined);
  return id?.type === 'Identifier' ? `\`${id.name}\`` : `the function at ${where(node)}`;
}

/** Where `name`, seen from `from`, is assigned again (`name = …`, `name++`), besides its declaration. */
function reassignments(lookup: ClientLookup, from: ASTPath, name: string): Node[] {
  const scope = (from.scope as { lookup(name: string): unknown } | null)?.lookup(name);
  const found: Node[] = [];
  const { j, root } = lookup;
  root.find(j.AssignmentExpression).forEach((path) => {
    const left = path.node.left as Node;
    if (
      left.type === 'Identifier' &&
      left.name === name &&
      (path.scope as { lookup(name: string): unknown } | null)?.lookup(name) === scope
    )
      found.push(path.node);
  });
  root.find(j.UpdateExpression).forEach((path) => {
    const argument = path.node.argument as Node;
    if (
      argument.type === 'Identifier' &&
      argument.name === name &&
      (path.scope as { lookup(name: string): unknown } | null)?.lookup(name) === scope
    )
      found.push(path.node);
  });
  return found;
}

function isThrottleCall(node: Node, imports: ReadonlyMap<string, ImportBinding>): boolean {
  return node.type === 'CallExpression' && isRuntimeName(node.callee, imports, ['throttleClient']);
}

/** Skips `x as T`, `x!`, `(x)` and `x satisfies T` around an expression. */
export function unwrapExpression(node: Node): Node {
  let current = node;
  while (
    current.type === 'TSAsExpression' ||
    current.type === 'TSNonNullExpression' ||
    current.type === 'TSSatisfiesExpression' ||
    current.type === 'ParenthesizedExpression' ||
    current.type === 'TSTypeAssertion'
  ) {
    current = current.expression;
  }
  return current;
}

/** What a variable's initializer makes it: a construction, a throttled client, an alias. */
function originOfValue(lookup: ClientLookup, path: ASTPath, value: Node, depth: number): ClientOrigin | undefined {
  const bare = unwrapExpression(value);
  if (isThrottleCall(bare, lookup.imports)) return { kind: 'throttled' };
  const provider = constructedProvider(bare, lookup.imports);
  if (provider !== undefined) return { kind: 'construction', provider, construction: bare as K.NewExpressionKind };
  // An AI SDK model (`openai('gpt-4o')` of '@ai-sdk/openai'): a provider's model, made by its package.
  if (bare.type === 'CallExpression') {
    let callee = bare.callee as Node;
    if (callee.type === 'MemberExpression') callee = callee.object;
    const binding = callee.type === 'Identifier' ? lookup.imports.get(callee.name) : undefined;
    if (binding !== undefined && AI_SDK_PROVIDERS[binding.module] !== undefined) return { kind: 'external', provider: 'ai-sdk' };
  }
  if (bare.type === 'Identifier' && depth < 4) return originOfName(lookup, path, bare.name, depth + 1);
  return undefined;
}

/** The origin of the client a plain name refers to at `path`. */
function originOfName(lookup: ClientLookup, path: ASTPath, name: string, depth = 0): ClientOrigin | undefined {
  const scope = (path.scope as { lookup(name: string): { getBindings(): Record<string, ASTPath[]> } | null } | null)?.lookup(name);
  const binding = scope?.getBindings()[name]?.[0];
  if (binding === undefined) return undefined;
  const holder = binding.parent as ASTPath | null;
  if (holder === null) return undefined;
  const node = holder.node as Node;
  if (node.type === 'ImportDefaultSpecifier' || node.type === 'ImportSpecifier') {
    const imported = lookup.imports.get(name);
    return imported === undefined ? undefined : importedOrigin(lookup, imported, name);
  }
  if (node.type === 'VariableDeclarator' && node.id === binding.node) {
    const declared = annotatedProvider(binding.node, lookup.imports);
    const origin = node.init == null ? undefined : originOfValue(lookup, holder, node.init, depth);
    if (origin?.kind === 'construction' || (origin === undefined && declared !== undefined)) {
      const provider = origin?.kind === 'construction' ? origin.provider : declared!;
      const declaration = parentOf(holder)?.node as K.VariableDeclarationKind | undefined;
      const kind = declaration?.kind ?? 'const';
      const fn = enclosingFunction(holder);
      if (origin?.kind === 'construction' && fn !== undefined) {
        return {
          kind: 'refused',
          provider,
          reason: `\`${name}\` is constructed inside ${functionLabel(fn)}, so each run would get its own limiter; move the construction to module level`,
        };
      }
      if (kind !== 'const') {
        const again = reassignments(lookup, holder, name);
        if (again.length > 0)
          return {
            kind: 'refused',
            provider,
            reason: `\`${name}\` is reassigned at ${where(again[0]!)}; wrapping one construction would not cover every client it holds`,
          };
        const statement = parentOf(holder);
        if (statement !== null && parentOf(statement)?.node.type === 'ExportNamedDeclaration') {
          return {
            kind: 'refused',
            provider,
            reason: `\`${name}\` is an exported \`${kind}\`, which other code may replace; make it a \`const\` first`,
          };
        }
      }
      if (origin === undefined)
        return node.init == null
          ? { kind: 'refused', provider, reason: `\`${name}\` is declared without a value; its client is made elsewhere in the file` }
          : { kind: 'external', provider };
      return origin;
    }
    return origin;
  }
  // A parameter: `(client: OpenAI) => …`, `function f(llm?: Anthropic)`, `(client: OpenAI = shared)`.
  const provider = annotatedProvider(binding.node, lookup.imports);
  return provider === undefined ? undefined : { kind: 'external', provider };
}

/** Candidate files for a relative module specifier (`./clients.js` → clients.ts, clients.tsx, …). */
function moduleFiles(filePath: string, specifier: string): string[] {
  const base = join(dirname(filePath), specifier);
  const stem = base.replace(/\.(?:[cm]?js|jsx)$/, '');
  return [
    ...['.ts', '.tsx', '.mts', '.cts'].map((ext) => `${stem}${ext}`),
    base,
    ...['index.ts', 'index.tsx', 'index.js'].map((file) => join(base, file)),
  ];
}

/**
 * A client imported from a relative module: looks at how that module makes the export. A
 * construction there is where it should be wrapped (once, for every importer), so the
 * importer is left alone with that advice; a throttled one needs nothing.
 */
function importedOrigin(lookup: ClientLookup, imported: ImportBinding, local: string): ClientOrigin | undefined {
  if (!imported.module.startsWith('.') || imported.imported === '*' || lookup.filePath === '') return undefined;
  const file = moduleFiles(lookup.filePath, imported.module).find(
    (candidate) => statSync(candidate, { throwIfNoEntry: false })?.isFile() === true,
  );
  if (file === undefined) return undefined;
  let other = lookup.modules.get(file);
  if (other === undefined) {
    try {
      other = lookup.parse(readFileSync(file, 'utf8'));
    } catch {
      other = null;
    }
    lookup.modules.set(file, other);
  }
  if (other === null) return undefined;
  const { j } = lookup;
  const exportedName = imported.imported;
  let value: Node | undefined;
  let declaredName: string | undefined;
  other.find(j.ExportNamedDeclaration).forEach((path) => {
    const declaration = path.node.declaration as Node | null | undefined;
    if (declaration?.type === 'VariableDeclaration') {
      for (const declarator of declaration.declarations) {
        if (
          declarator.type === 'VariableDeclarator' &&
          declarator.id.type === 'Identifier' &&
          declarator.id.name === exportedName &&
          declarator.init != null
        ) {
          value = declarator.init;
        }
      }
    }
    for (const spec of (path.node.specifiers ?? []) as { exported?: { name?: unknown }; local?: { name?: unknown } | null }[]) {
      const local = spec.local?.name;
      if (path.node.source == null && spec.exported?.name === exportedName && typeof local === 'string') declaredName = local;
    }
  });
  if (exportedName === 'default') {
    other.find(j.ExportDefaultDeclaration).forEach((path) => {
      const declaration = path.node.declaration as Node;
      if (declaration.type === 'Identifier') declaredName = declaration.name;
      else value = declaration;
    });
  }
  if (value === undefined && declaredName !== undefined) {
    other.find(j.VariableDeclarator).forEach((path) => {
      if (
        path.node.id.type === 'Identifier' &&
        path.node.id.name === declaredName &&
        path.node.init != null &&
        enclosingFunction(path) === undefined
      )
        value = path.node.init;
    });
  }
  if (value === undefined) return undefined;
  const otherImports = importBindings(other);
  const bare = unwrapExpression(value);
  if (isThrottleCall(bare, otherImports)) return { kind: 'throttled' };
  const provider = constructedProvider(bare, otherImports);
  if (provider === undefined) return undefined;
  const shown = relative(dirname(lookup.filePath), file) || file;
  return {
    kind: 'refused',
    provider,
    reason: `\`${local}\` is constructed in ${shown.startsWith('.') ? shown : `./${shown}`} at ${where(bare)}; wrap it there once with throttleClient(…, { limiter: '${provider}' }) so every module that imports it shares one limiter`,
  };
}

/** The class member (field, parameter property or constructor assignment) `this.<name>` refers to. */
function originOfThisMember(lookup: ClientLookup, path: ASTPath, name: string): ClientOrigin | undefined {
  let body: K.ClassBodyKind | undefined;
  for (let up: ASTPath | null = path.parent as ASTPath | null; up !== null; up = up.parent as ASTPath | null) {
    const node = up.node as Node;
    if (node.type === 'ClassBody') {
      body = node;
      break;
    }
    // `this` inside a plain function is not the instance.
    if (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration') return undefined;
  }
  if (body === undefined) return undefined;
  const { imports } = lookup;
  let origin: ClientOrigin | undefined;
  let declared: Provider | undefined;
  const assignments: ASTPath<K.AssignmentExpressionKind>[] = [];
  const isThisName = (node: Node): boolean =>
    node.type === 'MemberExpression' &&
    node.object.type === 'ThisExpression' &&
    !node.computed &&
    node.property.type === 'Identifier' &&
    node.property.name === name;
  for (const member of body.body as Node[]) {
    if (
      (member.type === 'ClassProperty' || member.type === 'ClassAccessorProperty') &&
      !member.computed &&
      member.key.type === 'Identifier' &&
      member.key.name === name
    ) {
      if (member.static === true) return undefined;
      declared = annotatedProvider(member, imports);
      if (member.value != null) origin = originOfValue(lookup, path, member.value, 0);
    }
    if (member.type === 'ClassMethod' && member.kind === 'constructor') {
      for (const param of member.params as Node[]) {
        if (param.type === 'TSParameterProperty') {
          const inner = param.parameter as Node;
          const id = inner.type === 'AssignmentPattern' ? (inner.left as Node) : inner;
          if (id.type === 'Identifier' && id.name === name) declared = annotatedProvider(id, imports);
        }
      }
    }
  }
  lookup
    .j(body as never)
    .find(lookup.j.AssignmentExpression)
    .forEach((assignment) => {
      if (isThisName(assignment.node.left)) assignments.push(assignment);
    });
  const first = assignments[0];
  if (first !== undefined && origin === undefined && assignments.length === 1) {
    const method = enclosingFunction(first);
    const inConstructor =
      method !== undefined && (method.node as Node).type === 'ClassMethod' && (method.node as K.ClassMethodKind).kind === 'constructor';
    const value = originOfValue(lookup, path, first.node.right, 0);
    if (value?.kind === 'construction' && !inConstructor) {
      return {
        kind: 'refused',
        provider: value.provider,
        reason: `\`this.${name}\` is assigned outside the constructor, at ${where(first.node)}; wrap it by hand where it is made`,
      };
    }
    if (value !== undefined) return value;
  } else if (first !== undefined) {
    const provider = origin?.kind === 'construction' || origin?.kind === 'refused' ? origin.provider : declared;
    if (provider !== undefined) {
      return {
        kind: 'refused',
        provider,
        reason: `\`this.${name}\` is assigned at ${where(first.node)}; wrapping one construction would not cover every client it holds`,
      };
    }
  }
  if (origin !== undefined) return origin;
  return declared === undefined ? undefined : { kind: 'external', provider: declared };
}

/** Where the client `receiver` (an identifier or `this.name`) comes from, when it is a provider client. */
export function clientOrigin(lookup: ClientLookup, callPath: ASTPath, receiver: Node): ClientOrigin | undefined {
  const bare = unwrapExpression(receiver);
  if (bare.type === 'Identifier') return originOfName(lookup, callPath, bare.name);
  if (bare.type === 'MemberExpression' && bare.object.type === 'ThisExpression' && !bare.computed && bare.property.type === 'Identifier') {
    return originOfThisMember(lookup, callPath, bare.property.name);
  }
  const provider = constructedProvider(bare, lookup.imports);
  if (provider !== undefined) {
    return {
      kind: 'refused',
      provider,
      reason: 'the client is constructed at the call, so each call would get its own limiter; make one client at module level',
    };
  }
  return undefined;
}
