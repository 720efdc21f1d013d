/**
 * throttle-provider-calls: routes the model-provider calls `bounded/no-unthrottled-provider-call`
 * flags (in loops, fan-outs — mapBounded's included — and request handlers) through a rate
 * limiter built from the policy's preset.
 *
 * - A client constructed in the file (module level, a class field, a constructor assignment)
 *   is wrapped once where it is made:
 *     const openai = new OpenAI({ … })  →  const openai = throttleClient(new OpenAI({ … }), { limiter: 'openai' })
 * - A client that comes from elsewhere (a parameter or property typed `OpenAI` / `Anthropic`)
 *   has each flagged call sent through one module-level limiter:
 *     await client.chat.completions.create(req)  →  await openaiLimiter.schedule(() => client.chat.completions.create(req))
 *
 * The limiter is the runtime's preset by name when the policy keeps its numbers (`'openai'`,
 * `providerLimiter('anthropic')`), else the policy's numbers. A client it cannot wrap safely
 * (reassigned, an exported `let`, constructed per call or in another module) is left alone
 * and reported with the reason.
 */
import { extname } from 'node:path';
import type { API, ASTPath, Collection, FileInfo } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import { applyEdits, ensureNamedImports, programOf, span, type Edit } from '../utils/imports.js';
import { policyFor, type TransformOptions } from '../utils/policy.js';
import { runtimeModuleFor, runtimeTarget } from '../utils/runtime-module.js';
import { calleeText, callKind, isAfterLimiterWait, isInsideLimiter, isPacedLoop, type ContextLookup } from '../utils/throttle-context.js';
import {
  clientOrigin,
  importBindings,
  isFunctionNode,
  isRequestPath,
  isRuntimeName,
  mayBeRequestPath,
  parentOf,
  providerApi,
  splitCallee,
  type ClientLookup,
  type Provider,
} from '../utils/throttle-clients.js';
import { limiterSource, throttleOptionsSource } from '../utils/throttle-limiters.js';
import {
  AI_SDK_PROVIDERS,
  PROVIDER_MODULE_TEXT,
  isProviderTestModule,
  matchesName,
  providerApiOf,
  turnsThrottleOff,
  type ProviderApi,
  type WrittenValue,
} from '@bounded/policy';
import { parseForTextEdits } from '../utils/text-edits.js';
import { skipReporter } from '../utils/report.js';

export const parser = 'ts';

/** The parser for a file, by extension: whatever parser the runner was given, JSX needs `tsx`. */
function parserFor(path: string): 'ts' | 'tsx' | 'babel' {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsx' || ext === '.jsx') return 'tsx';
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return 'babel';
  return 'ts';
}

type Node = K.NodeKind;

/** Methods only an SDK's APIPromise has; `limiter.schedule` returns a plain Promise. */
const API_PROMISE_METHODS = new Set(['withResponse', 'asResponse']);

/** Why moving the call into `() => call` would change it; undefined when it would not. */
function callSiteRefusal(path: ASTPath): string | undefined {
  const call = path.node as K.CallExpressionKind;
  const parent = parentOf(path)?.node as Node | undefined;
  if (
    parent?.type === 'MemberExpression' &&
    parent.object === call &&
    !parent.computed &&
    parent.property.type === 'Identifier' &&
    API_PROMISE_METHODS.has(parent.property.name)
  ) {
    return `its result is used through \`.${parent.property.name}()\`, which limiter.schedule's plain Promise does not have`;
  }
  let suspends = false;
  const visit = (node: unknown): void => {
    if (suspends || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const current = node as Node;
    if (typeof current.type !== 'string' || isFunctionNode(current)) return;
    if (current.type === 'AwaitExpression' || current.type === 'YieldExpression') {
      suspends = true;
      return;
    }
    for (const [key, value] of Object.entries(current)) if (key !== 'loc' && key !== 'comments') visit(value);
  };
  visit(call.arguments);
  visit(call.callee);
  return suspends ? 'its arguments `await` or `yield`; inside the scheduled function they would run later, or not compile' : undefined;
}

/** The module-level `const name = providerLimiter('<provider>'…)` the file already has, if any. */
function existingLimiter(program: K.ProgramKind, provider: Provider, imports: ContextLookup['imports']): string | undefined {
  for (const statement of program.body) {
    const declaration = (statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement) as Node | null | undefined;
    if (declaration?.type !== 'VariableDeclaration' || declaration.kind !== 'const') continue;
    for (const declarator of declaration.declarations) {
      if (declarator.type !== 'VariableDeclarator' || declarator.id.type !== 'Identifier') continue;
      const init = declarator.init as Node | null | undefined;
      if (init?.type !== 'CallExpression' || !isRuntimeName(init.callee, imports, ['providerLimiter'])) continue;
      const first = init.arguments[0] as Node | undefined;
      if ((first?.type === 'StringLiteral' || first?.type === 'Literal') && first.value === provider) return declarator.id.name;
    }
  }
  return undefined;
}

/**
 * A cheap text test: a file that names no provider module (from the catalog) nor a relative
 * module cannot hold a client this transform knows (its clients are constructed, annotated or
 * imported from those).
 */
const CANDIDATE = new RegExp(
  `['"](?:${PROVIDER_MODULE_TEXT.map((text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})|\\bfrom\\s*['"]\\.\\.?/`,
);

/**
 * A provider call the transform knows but never rewrites, with the catalog's reason: a module
 * function (`generateText(…)`), a command sent through a generic client (`bedrock.send(new
 * ConverseCommand(…))`), or a call on a module's ready client (`ollama.chat(…)`).
 */
function unrewritable(call: K.CallExpressionKind, imports: ContextLookup['imports']): string | undefined {
  const callee = call.callee as Node;
  const binding = importOf(callee, imports);
  if (binding !== undefined && !isProviderTestModule(binding.module)) {
    const api = providerApiOf(binding.module);
    const isCall =
      api?.functions?.includes(binding.imported) === true ||
      (api?.instances?.includes('default') === true && api.methods?.includes(binding.imported) === true);
    if (api !== undefined && isCall && api.throttleCodemod.kind === 'skip') return api.throttleCodemod.reason;
  }
  const [first] = call.arguments as Node[];
  if (
    callee.type === 'MemberExpression' &&
    !callee.computed &&
    callee.property.type === 'Identifier' &&
    callee.property.name === 'send' &&
    first?.type === 'NewExpression'
  ) {
    const command = importOf(first.callee, imports);
    const api = command === undefined ? undefined : providerApiOf(command.module);
    if (api?.commands?.includes(command!.imported) === true && api.throttleCodemod.kind === 'skip') return api.throttleCodemod.reason;
  }
  return undefined;
}

/**
 * Clients a file makes by calling a provider module's factory or a ready export's method
 * (`const client = twilio(sid, token)`, `const sheets = google.sheets({ … })`,
 * `const gh = getOctokit(token)`), by local name: the transform only makes `new` clients
 * throttled, so their calls are reported with the catalog's reason.
 */
function madeByFactory(root: Collection, imports: ContextLookup['imports']): Map<string, ProviderApi> {
  const made = new Map<string, ProviderApi>();
  for (const statement of programOf(root).body) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declarator of statement.declarations) {
      if (declarator.type !== 'VariableDeclarator' || declarator.id.type !== 'Identifier') continue;
      let init = declarator.init as Node | null | undefined;
      if (init?.type === 'AwaitExpression') init = init.argument;
      if (init?.type !== 'CallExpression') continue;
      const callee = init.callee as Node;
      const binding = importOf(callee, imports) ?? (callee.type === 'MemberExpression' ? importOf(callee.object, imports) : undefined);
      const api = binding === undefined ? undefined : providerApiOf(binding.module);
      if (api === undefined || api.throttleCodemod.kind !== 'skip') continue;
      const factory = api.factories !== undefined && matchesName(api.factories, binding!.imported);
      const derived = callee.type === 'MemberExpression' && api.instances?.includes(binding!.imported) === true;
      if (factory || derived) made.set(declarator.id.name, api);
    }
  }
  return made;
}

/** The catalog's reason for a request on a client `madeByFactory` found. */
function madeClientCall(call: K.CallExpressionKind, made: ReadonlyMap<string, ProviderApi>): string | undefined {
  if (made.size === 0) return undefined;
  const split = splitCallee(call.callee);
  const receiver = split?.receiver;
  const api = receiver?.type === 'Identifier' ? made.get(receiver.name) : undefined;
  if (api === undefined || !isRequestPath(api.id, split!.path)) return undefined;
  return api.throttleCodemod.kind === 'skip' ? api.throttleCodemod.reason : undefined;
}

/** True when an SDK that throttles itself is built without the option that turns that off (the catalog's `selfThrottle`). */
function throttlesItself(api: ProviderApi, construction: K.NewExpressionKind): boolean {
  const own = api.selfThrottle;
  if (own === undefined || own.plugins !== undefined) return false;
  const options = construction.arguments[own.optionsIndex] as Node | undefined;
  if (options === undefined) return true;
  if (options.type !== 'ObjectExpression') return true;
  const valueAt = (object: Node, keys: readonly string[]): Node | undefined => {
    if (object.type !== 'ObjectExpression') return undefined;
    for (const property of object.properties as Node[]) {
      if ((property.type !== 'ObjectProperty' && property.type !== 'Property') || property.computed) continue;
      const key = property.key as Node;
      const name = key.type === 'Identifier' ? key.name : key.type === 'StringLiteral' ? key.value : undefined;
      if (name !== keys[0]) continue;
      return keys.length === 1 ? property.value : valueAt(property.value, keys.slice(1));
    }
    return undefined;
  };
  return !own.disabledBy.some((entry) => {
    const value = valueAt(options, entry.option.split('.'));
    if (value === undefined) return false;
    const written: WrittenValue =
      value.type === 'NullLiteral'
        ? { literal: null }
        : 'value' in value
          ? { literal: (value as { value: unknown }).value }
          : value.type === 'Identifier'
            ? { name: value.name }
            : { other: true };
    return turnsThrottleOff(entry.when, written);
  });
}

/** The import an identifier (or a namespace's member) refers to. */
function importOf(node: Node, imports: ContextLookup['imports']): { module: string; imported: string } | undefined {
  if (node.type === 'Identifier') return imports.get(node.name);
  if (node.type !== 'MemberExpression' || node.computed || node.object.type !== 'Identifier' || node.property.type !== 'Identifier')
    return undefined;
  const namespace = imports.get(node.object.name);
  return namespace !== undefined && (namespace.imported === '*' || namespace.imported === 'default')
    ? { module: namespace.module, imported: node.property.name }
    : undefined;
}

const jscodeshifts = new WeakMap<API['jscodeshift'], Map<string, API['jscodeshift']>>();

/** `api.jscodeshift` with the parser for `path`, made once per parser. */
function withParserFor(api: API, path: string): API['jscodeshift'] {
  let byParser = jscodeshifts.get(api.jscodeshift);
  if (byParser === undefined) jscodeshifts.set(api.jscodeshift, (byParser = new Map<string, API['jscodeshift']>()));
  const name = parserFor(path);
  let j = byParser.get(name);
  if (j === undefined) byParser.set(name, (j = api.jscodeshift.withParser(name)));
  return j;
}

// eslint-disable-next-line max-lines-per-function -- the transform's visitors share the file's imports, policy, edits and report in one closure; splitting threads them through every helper
export default function transformer(file: FileInfo, api: API, options: TransformOptions = {}): string | null {
  const text = file.source;
  if (!CANDIDATE.test(text)) return null;
  const j = withParserFor(api, file.path);
  const root = parseForTextEdits(j, text);
  const imports = importBindings(root);
  const knownModule = (module: string): boolean =>
    providerApiOf(module) !== undefined || AI_SDK_PROVIDERS[module] !== undefined || module.startsWith('.');
  if (![...imports.values()].some((binding) => knownModule(binding.module))) return null;
  const policy = policyFor(file.path, options);
  const strict = options.strict === true;
  const report = skipReporter(api, file.path, 'throttle-provider-calls');
  const clients: ClientLookup = {
    j,
    root,
    imports,
    filePath: file.path,
    parse: (source) => parseForTextEdits(j, source),
    modules: new Map(),
  };
  const context: ContextLookup = { imports, limiters: policy.lint.limiters };

  const constructions = new Map<number, { construction: K.NewExpressionKind; provider: Provider }>();
  const calls: { path: ASTPath; provider: Provider }[] = [];
  /** True when the call runs where the rule reports it: in a loop, a fan-out or a handler, and not already paced. */
  const flagged = (path: ASTPath): boolean => {
    if (!strict) {
      const where = callKind(path, context);
      if (where.kind === 'none') return false;
      if (where.loop !== undefined && isPacedLoop(where.loop, context)) return false;
    }
    return !isInsideLimiter(path, context) && !isAfterLimiterWait(path, context);
  };
  const made = madeByFactory(root, imports);
  const visit = (path: ASTPath): void => {
    const call = path.node as K.CallExpressionKind;
    const skipped = unrewritable(call, imports) ?? madeClientCall(call, made);
    if (skipped !== undefined) {
      if (flagged(path)) report(call, `\`${calleeText(call.callee) ?? 'the call'}\`: ${skipped}`);
      return;
    }
    const split = splitCallee(call.callee);
    const origin = split === undefined || !mayBeRequestPath(split.path) ? undefined : clientOrigin(clients, path, split.receiver);
    if (split === undefined || origin === undefined || origin.kind === 'throttled' || !isRequestPath(origin.provider, split.path)) {
      // A same-file helper that makes a provider call counts where it is called, as the rule judges it.
      if (flagged(path)) throughHelper(path);
      return;
    }
    if (!flagged(path)) return;
    const name = calleeText(call.callee) ?? `…${split.path.map((part) => `.${part}`).join('')}`;
    const support = providerApi(origin.provider)?.throttleCodemod;
    if (support?.kind === 'skip') {
      // A SaaS client that throttles itself (a default Slack WebClient) is what the rule accepts: nothing to report.
      if (origin.kind === 'construction' && throttlesItself(providerApi(origin.provider)!, origin.construction)) return;
      report(call, `\`${name}\`: ${support.reason}`);
      return;
    }
    if (origin.kind === 'refused') {
      report(call, `\`${name}\`: ${origin.reason}`);
      return;
    }
    if (origin.kind === 'construction') {
      constructions.set(span(origin.construction).start, origin);
      return;
    }
    const refusal = callSiteRefusal(path);
    if (refusal !== undefined) report(call, `\`${name}\`: ${refusal}`);
    else calls.push({ path, provider: origin.provider });
  };
  /**
   * A call of a same-file function (`summarize(x)`) whose body calls a provider: the client it
   * calls through is wrapped where it is made, as for a direct call; a client made elsewhere is
   * reported (its calls sit in the helper, where moving them into a limiter is a judgement).
   */
  function throughHelper(path: ASTPath): void {
    const call = path.node as K.CallExpressionKind;
    const helper = helperOf(path);
    if (helper === undefined) return;
    const name = `${calleeText(call.callee) ?? 'the helper'}()`;
    const within = span(helper);
    root
      .find(j.CallExpression)
      .filter((inner) => {
        const at = span(inner.node);
        return at.start >= within.start && at.end <= within.end;
      })
      .forEach((inner) => {
        const split = splitCallee((inner.node as K.CallExpressionKind).callee);
        if (split === undefined || !mayBeRequestPath(split.path)) return;
        const origin = clientOrigin(clients, inner, split.receiver);
        if (origin === undefined || origin.kind === 'throttled' || !isRequestPath(origin.provider, split.path)) return;
        if (isInsideLimiter(inner, context) || isAfterLimiterWait(inner, context)) return;
        const support = providerApi(origin.provider)?.throttleCodemod;
        if (support?.kind === 'skip') report(call, `\`${name}\` calls a provider: ${support.reason}`);
        else if (origin.kind === 'refused') report(call, `\`${name}\` calls a provider: ${origin.reason}`);
        else if (origin.kind === 'construction') constructions.set(span(origin.construction).start, origin);
        else report(call, `\`${name}\` calls a provider on a client made elsewhere; send the helper's calls through a limiter by hand`);
      });
  }

  /** The function declared in this file (a declaration or a `const` arrow / function) a plain call runs. */
  function helperOf(path: ASTPath): Node | undefined {
    const callee = (path.node as K.CallExpressionKind).callee as Node;
    if (callee.type !== 'Identifier') return undefined;
    const scope = (path.scope as { lookup(name: string): { getBindings(): Record<string, ASTPath[]> } | null } | null)?.lookup(callee.name);
    const binding = scope?.getBindings()[callee.name]?.[0];
    const holder = binding?.parent as ASTPath | null | undefined;
    const node = holder?.node as Node | undefined;
    // The name must be the function's own (not a parameter of the function around the call).
    let helper: Node | undefined;
    if (node?.type === 'FunctionDeclaration' && node.id === binding!.node) helper = node;
    if (node?.type === 'VariableDeclarator' && node.id === binding!.node && node.init != null && isFunctionNode(node.init))
      helper = node.init;
    if (helper === undefined) return undefined;
    // A recursive call is judged where the helper's body calls out.
    const own = span(helper);
    const at = span(path.node);
    return at.start >= own.start && at.end <= own.end ? undefined : helper;
  }

  // One walk for both kinds of call (`a.b()` and `a?.b()`).
  root
    .find(j.Node, (node: { type: string }) => node.type === 'CallExpression' || node.type === 'OptionalCallExpression')
    .forEach((path) => visit(path as ASTPath));
  if (constructions.size === 0 && calls.length === 0) return null;

  // One limiter per provider for the call sites: one the file already declares, or a new const.
  const program = programOf(root);
  const taken = new Set<string>();
  root.find(j.Identifier).forEach((path) => void taken.add(path.node.name));
  const limiterNames = new Map<Provider, { name: string; declared: boolean }>();
  for (const provider of new Set(calls.map((call) => call.provider))) {
    const existing = existingLimiter(program, provider, imports);
    const name = existing ?? [`${provider}Limiter`, `${provider}RateLimiter`].find((candidate) => !taken.has(candidate));
    if (name === undefined) {
      for (const call of calls.filter((c) => c.provider === provider))
        report(call.path.node, `the names \`${provider}Limiter\` and \`${provider}RateLimiter\` are both taken; add the limiter by hand`);
      continue;
    }
    limiterNames.set(provider, { name, declared: existing !== undefined });
  }
  const sites = calls.filter((call) => limiterNames.has(call.provider));
  if (constructions.size === 0 && sites.length === 0) return null;

  const needed = new Set<string>();
  if (constructions.size > 0) needed.add('throttleClient');
  for (const { provider } of constructions.values()) {
    const limiter = limiterSource(provider, policy);
    if (limiter.option !== `'${provider}'`) limiter.names.forEach((name) => needed.add(name));
  }
  for (const [provider, limiter] of limiterNames)
    if (!limiter.declared) limiterSource(provider, policy).names.forEach((name) => needed.add(name));
  const from = runtimeModuleFor(runtimeTarget(file.path, text, options, policy), [...needed].sort());
  if ('refusal' in from) {
    for (const { construction } of constructions.values()) report(construction, from.refusal);
    for (const { path } of sites) report(path.node, from.refusal);
    return null;
  }
  const { locals, edits, conflicts } = ensureNamedImports(j, text, root, [...needed].sort(), from.module);
  if (conflicts.length > 0) {
    const reason = `the file already uses the name ${conflicts.map((name) => `\`${name}\``).join(', ')} for something else`;
    for (const { construction } of constructions.values()) report(construction, reason);
    for (const { path } of sites) report(path.node, reason);
    return null;
  }
  const local = (name: string): string => locals.get(name) ?? name;

  for (const { construction, provider } of constructions.values()) {
    const { start, end } = span(construction);
    edits.push({ start, end: start, text: `${local('throttleClient')}(` });
    edits.push({ start: end, end, text: `, ${throttleOptionsSource(provider, policy, local)})` });
  }
  const declarations = [...limiterNames]
    .filter(([, limiter]) => !limiter.declared)
    .map(([provider, limiter]) => `const ${limiter.name} = ${limiterSource(provider, policy, local).expression};\n`);
  if (declarations.length > 0) {
    const lastImport = program.body.filter((statement) => statement.type === 'ImportDeclaration').at(-1);
    // Below the imports (the file has at least the SDK's, for the type it is annotated with).
    const end = lastImport === undefined ? 0 : span(lastImport).end;
    const newline = text.indexOf('\n', end);
    const at = lastImport === undefined ? 0 : newline === -1 ? text.length : newline + 1;
    const lead = lastImport === undefined ? '' : `${newline === -1 ? '\n' : ''}\n`;
    const trail = lastImport === undefined ? '\n' : '';
    edits.push({ start: at, end: at, text: `${lead}${declarations.join('')}${trail}` } satisfies Edit);
  }
  for (const { path, provider } of sites) {
    const { start, end } = span(path.node);
    edits.push({ start, end: start, text: `${limiterNames.get(provider)!.name}.schedule(() => ` });
    edits.push({ start: end, end, text: ')' });
  }
  return applyEdits(text, edits);
}
