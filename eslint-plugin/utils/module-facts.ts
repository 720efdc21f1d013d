import { AST_NODE_TYPES, type ParserServices, type TSESTree } from '@typescript-eslint/utils';
import type { Scope, SourceCode } from '@typescript-eslint/utils/ts-eslint';
import type { Policy } from '@bounded/policy';
import { classMethod } from './call-graph.js';
import { connectionFactory } from './connections.js';
import { inspectOptions, isUnderDeadline } from './deadlines.js';
import { calleeText, isFunction, type FunctionNode } from './functions.js';
import { httpCall } from './http-calls.js';
import { heldObject } from './option-objects.js';
import { importedFact, type ExportFacts, type ProjectIndex } from './project-index.js';
import { createReach, type Reach } from './reach.js';
import { providerLookup, providerUse, type ProviderUse } from './sdk-clients.js';
import { isAfterLimiterWait, isInsideLimiter } from './throttling.js';
import type { TypeInfo } from './type-info.js';
import { walk } from './walk.js';

/**
 * Provider calls, requests and connections that a file's functions make, themselves or through
 * the functions they call (in the file, or imported ones the index knows). One analysis for the
 * rules (a call of a helper counts as the call it makes) and for the index pass (what each
 * export does, for the files that import it).
 */

/** A provider call reached from a call site, and how its innermost call reads. */
export interface ProviderHit {
  readonly use: ProviderUse;
  /** `openai.chat.completions.create`. */
  readonly inner: string;
  /** True when the call site itself is the provider call (not a helper that makes one). */
  readonly direct: boolean;
}

export interface ProviderReach {
  /** What `call` itself is: a provider call, or a call of an imported function that makes one. */
  direct(call: TSESTree.CallExpression): ProviderHit | undefined;
  /** What `call` makes, itself or through the functions it calls. */
  at(call: TSESTree.CallExpression): ProviderHit | undefined;
  readonly reach: Reach<ProviderHit>;
}

export interface FactsContext {
  readonly sourceCode: Readonly<SourceCode>;
  readonly policy: Policy;
  readonly filename: string;
  readonly index: ProjectIndex | undefined;
  readonly services: ParserServices | undefined;
  readonly types: TypeInfo | undefined;
  /** Extra limiter names (the policy's and the rule's). */
  readonly limiters: readonly string[];
}

const textOf = (sourceCode: Readonly<SourceCode>, node: TSESTree.Node): string =>
  calleeText(node) ?? sourceCode.getText(node).replace(/\s+/g, '');

export function providerReach(context: FactsContext): ProviderReach {
  const { sourceCode, services, index, filename } = context;
  const lookup = providerLookup(context.policy, sourceCode, filename, services);
  const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);
  const paced = (call: TSESTree.CallExpression): boolean => {
    const limiterLookup = { scope: scopeOf(call), types: context.types, names: context.limiters };
    return isInsideLimiter(call, limiterLookup) || isAfterLimiterWait(call, limiterLookup);
  };
  // A call is judged once, however many helpers' walks pass over it.
  const known = new WeakMap<TSESTree.CallExpression, ProviderHit | null>();
  const direct = (call: TSESTree.CallExpression): ProviderHit | undefined => {
    const cached = known.get(call);
    if (cached !== undefined) return cached ?? undefined;
    const hit = judge(call);
    known.set(call, hit ?? null);
    return hit;
  };
  const judge = (call: TSESTree.CallExpression): ProviderHit | undefined => {
    const use = providerUse(call, lookup);
    if (use !== undefined) return { use, inner: textOf(sourceCode, call.callee), direct: true };
    const fact = importedFact(call, scopeOf, filename, index, services)?.provider;
    if (fact === undefined) return undefined;
    return {
      use: { receiver: undefined, label: fact.label, limiter: fact.limiter, client: undefined, fanOut: undefined, limited: false },
      inner: fact.call,
      direct: false,
    };
  };
  const reach = createReach<ProviderHit>(direct, (call, hit) => hit.use.limited || paced(call), scopeOf, sourceCode.visitorKeys);
  return {
    direct,
    reach,
    at(call) {
      const hit = direct(call);
      if (hit !== undefined) return hit;
      const reached = reach.through(call);
      return reached === undefined ? undefined : { ...reached.value, direct: false };
    },
  };
}

/** Requests a function makes: with a deadline of their own or not. */
function requestReach(context: FactsContext): Reach<{ call: string; deadline: boolean }> {
  const { sourceCode } = context;
  const scopeOf = (node: TSESTree.Node): Scope.Scope => sourceCode.getScope(node);
  const held = (node: TSESTree.Node): TSESTree.ObjectExpression | undefined =>
    heldObject(node, scopeOf(node), scopeOf, sourceCode.visitorKeys);
  const wrappers = new Set(context.policy.lint.timeouts);
  const direct = (call: TSESTree.CallExpression): { call: string; deadline: boolean } | undefined => {
    const scope = scopeOf(call);
    const http = httpCall(call, scope);
    if (http === undefined) {
      const fact = importedFact(call, scopeOf, context.filename, context.index, context.services)?.request;
      return fact === undefined ? undefined : { call: fact.call, deadline: fact.deadline || isUnderDeadline(call, scope, wrappers) };
    }
    if (isUnderDeadline(call, scope, wrappers)) return { call: textOf(sourceCode, call.callee), deadline: true };
    // The call's own options, else its instance's defaults (nearest first), else the client's default (ky's 10 s).
    const verdicts = [
      ...(http.optionsIndex >= 0 ? [inspectOptions(call.arguments[http.optionsIndex], http.timeoutKeys, scope, false, held)] : []),
      ...http.instances.map((instance) => inspectOptions(instance.arguments[0], ['timeout'], scope, false, held)),
    ];
    const decided = verdicts.find((verdict) => verdict.kind !== 'missing');
    const deadline = decided === undefined ? http.api.defaultMs !== undefined : decided.kind === 'deadline';
    return { call: textOf(sourceCode, call.callee), deadline };
  };
  // Requests with a deadline are still requests: the index records both kinds.
  return createReach(direct, () => false, scopeOf, sourceCode.visitorKeys);
}

/** The first connection a function opens (`new pg.Client()`, `mysql.createConnection()`), itself or through its helpers. */
function connectionOf(fn: FunctionNode, context: FactsContext, seen = new Set<FunctionNode>()): string | undefined {
  const { sourceCode } = context;
  if (seen.has(fn) || fn.body == null) return undefined;
  seen.add(fn);
  let found: string | undefined;
  walk(
    fn,
    sourceCode.visitorKeys,
    (node) => {
      if (found !== undefined) return false;
      if (node.type !== AST_NODE_TYPES.NewExpression && node.type !== AST_NODE_TYPES.CallExpression) return;
      const factory = connectionFactory(node, sourceCode.getScope(node), context.types);
      if (factory !== undefined && !factory.pool) found = textOf(sourceCode, node.callee);
      else if (node.type === AST_NODE_TYPES.CallExpression) {
        const fact = importedFact(
          node,
          (inner) => sourceCode.getScope(inner),
          context.filename,
          context.index,
          context.services,
        )?.connection;
        if (fact !== undefined) found = fact.call;
      }
    },
    true,
  );
  return found;
}

/** The functions a file exports, by index key: `name`, `default`, `Class#method`, `Class.method`. */
function exportedFunctions(program: TSESTree.Program, sourceCode: Readonly<SourceCode>): Map<string, FunctionNode> {
  const found = new Map<string, FunctionNode>();
  const addClass = (name: string, body: TSESTree.ClassBody): void => {
    for (const element of body.body) {
      if (
        (element.type !== AST_NODE_TYPES.MethodDefinition || element.kind !== 'method') &&
        element.type !== AST_NODE_TYPES.PropertyDefinition
      )
        continue;
      if (element.computed || element.key.type !== AST_NODE_TYPES.Identifier) continue;
      const fn = classMethod(body, element.key.name, element.static);
      if (fn !== undefined) found.set(`${name}${element.static ? '.' : '#'}${element.key.name}`, fn);
    }
  };
  const addDeclaration = (name: string, node: TSESTree.Node | null | undefined): void => {
    if (node == null) return;
    if (isFunction(node)) found.set(name, node);
    else if (node.type === AST_NODE_TYPES.ClassDeclaration || node.type === AST_NODE_TYPES.ClassExpression) addClass(name, node.body);
  };
  const local = (name: string): TSESTree.Node | undefined => {
    const variable =
      sourceCode.scopeManager?.globalScope?.childScopes[0]?.set.get(name) ?? sourceCode.scopeManager?.globalScope?.set.get(name);
    const definition = variable?.defs[0];
    if (definition === undefined) return undefined;
    if (definition.node.type === AST_NODE_TYPES.VariableDeclarator) return definition.node.init ?? undefined;
    return definition.node;
  };
  for (const statement of program.body) {
    if (statement.type === AST_NODE_TYPES.ExportNamedDeclaration) {
      const declaration = statement.declaration;
      if (declaration?.type === AST_NODE_TYPES.FunctionDeclaration && declaration.id !== null)
        addDeclaration(declaration.id.name, declaration);
      else if (declaration?.type === AST_NODE_TYPES.ClassDeclaration && declaration.id !== null)
        addDeclaration(declaration.id.name, declaration);
      else if (declaration?.type === AST_NODE_TYPES.VariableDeclaration) {
        for (const declarator of declaration.declarations) {
          if (declarator.id.type === AST_NODE_TYPES.Identifier) addDeclaration(declarator.id.name, declarator.init);
        }
      }
      if (statement.source === null) {
        for (const specifier of statement.specifiers) {
          if (specifier.type !== AST_NODE_TYPES.ExportSpecifier || specifier.local.type !== AST_NODE_TYPES.Identifier) continue;
          const exported = specifier.exported.type === AST_NODE_TYPES.Identifier ? specifier.exported.name : specifier.exported.value;
          const node = local(specifier.local.name);
          if (node !== undefined) {
            addDeclaration(exported, node);
            if (node.type === AST_NODE_TYPES.ClassDeclaration) addClass(exported, node.body);
          }
        }
      }
    } else if (statement.type === AST_NODE_TYPES.ExportDefaultDeclaration) {
      const declaration = statement.declaration;
      const node = declaration.type === AST_NODE_TYPES.Identifier ? local(declaration.name) : declaration;
      addDeclaration('default', node);
      // `export default class Llm` is imported by any name; keep its own name too.
      if (node?.type === AST_NODE_TYPES.ClassDeclaration && node.id !== null) addClass(node.id.name, node.body);
    }
  }
  return found;
}

/** What each export of the file does: the provider calls, requests and connections it makes. */
export function moduleFacts(context: FactsContext): Record<string, ExportFacts> {
  const { sourceCode } = context;
  const providers = providerReach(context);
  const requests = requestReach(context);
  const facts: Record<string, ExportFacts> = {};
  for (const [key, fn] of exportedFunctions(sourceCode.ast, sourceCode)) {
    const provider = providers.reach.of(fn)?.value;
    const request = requests.of(fn)?.value;
    const connection = connectionOf(fn, context);
    const entry: { -readonly [K in keyof ExportFacts]: ExportFacts[K] } = {};
    if (provider !== undefined) entry.provider = { label: provider.use.label, limiter: provider.use.limiter, call: provider.inner };
    if (request !== undefined) entry.request = request;
    if (connection !== undefined) entry.connection = { call: connection };
    if (Object.keys(entry).length > 0) facts[key] = entry;
  }
  return facts;
}
