/**
 * add-timeouts: puts a deadline on the calls `bounded/require-timeout` flags, in the form each
 * library understands (the numbers come from the policy: `defaults.timeouts.http` for HTTP,
 * `.model` for model providers):
 *
 * - global `fetch` (also `globalThis.` / `window.` / `self.fetch`), undici `fetch`, node-fetch,
 *   undici `request` / `stream`, node:http(s) `request` / `get` →
 *   `signal: AbortSignal.timeout(ms)` in the options; an existing `signal: s` becomes
 *   `AbortSignal.any([s, AbortSignal.timeout(ms)])`. undici gets a signal rather than
 *   `headersTimeout` / `bodyTimeout` (those are per-phase idle timers with 300 s defaults; a
 *   body that drips a byte at a time never trips them), and node:http gets one rather than
 *   `timeout` (which only emits 'timeout' and aborts nothing).
 * - axios (`axios(config)`, `axios.get(url, config)`, `axios.post(url, data, config)` …) →
 *   `timeout: ms`; `axios.create({ … })` → `timeout: ms` for every call the instance makes.
 * - got (`got(url, options)`, `got.post(…)`) → `timeout: { request: ms }`; likewise `got.extend`.
 * - `new OpenAI({ … })` / `new AzureOpenAI` / `new Anthropic()` → `timeout: ms` in the client
 *   options, which covers every call the client makes.
 * - with the option `receivedClients: true`: a call on a client this file only receives
 *   (`client: OpenAI` as a parameter or class property) → `timeout: ms` in that call's request
 *   options. Off by default: the rule reports those calls only in strict mode with type
 *   information, and where the client is built in the project, this transform already gives
 *   it a timeout there; turn it on for clients made outside the project.
 *
 * Calls already under a deadline (`withTimeout(…)`, p-timeout, `deadline(…).run`, the
 * policy's `lint.timeouts`) are left alone, as are calls on axios / got instances (their
 * `create` / `extend` is the one place to fix). Options the transform cannot see into (a
 * variable, a spread) or that turn the deadline off (`timeout: 0`) are reported, not changed.
 */
import type { API, ASTPath, Collection, FileInfo, JSCodeshift } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import {
  addPropertyEdits,
  applyEdits,
  findProperty,
  hasHiddenKeys,
  isAbortSignalCall,
  isDisablingTimeout,
  lookupScope,
  mergeTimeoutOption,
  mergeTimeoutSignal,
  msSource,
  span,
  type Edit,
  type SignalMerge,
} from '../utils/imports.js';
import { policyFor, type TransformOptions } from '../utils/policy.js';
import {
  GLOBAL_OBJECTS,
  HTTP_CLIENTS,
  PROVIDER_APIS,
  PROVIDER_SDKS,
  REQUEST_OPTION_KEYS,
  matchesName,
  type HttpClientApi,
  type HttpClientId,
} from '@bounded/policy';
import { parseForTextEdits } from '../utils/text-edits.js';
import { longOperation } from '../utils/long-operations.js';
import { skipReporter } from '../utils/report.js';

export const parser = 'ts';

/** SDKs whose clients take a `timeout` option this transform writes, from the catalog. */
const TIMEOUT_SDKS = PROVIDER_SDKS.filter((api) => api.timeoutCodemod.kind === 'rewrite');

/** Client classes whose constructor takes a `timeout` option, by module. */
const SDK_CLASSES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  TIMEOUT_SDKS.flatMap((api) =>
    api.modules
      .filter((module): module is string => typeof module === 'string')
      .map((module) => [module, api.classes.filter((name): name is string => typeof name === 'string')]),
  ),
);

/** Top-level SDK resources whose methods send a request, from the catalog (as the rule reads them). */
const SDK_RESOURCES: Readonly<Record<string, ReadonlySet<string>>> = Object.fromEntries(
  TIMEOUT_SDKS.flatMap((api) =>
    api.modules.filter((module): module is string => typeof module === 'string').map((module) => [module, new Set(api.resources ?? [])]),
  ),
);

/** SDKs the transform leaves to the user, with the catalog's reason, by module. */
const SKIPPED_SDKS: ReadonlyMap<string, { classes: readonly (string | RegExp)[]; reason: string; keys: readonly string[] }> = new Map(
  PROVIDER_APIS.flatMap((api) =>
    api.timeoutCodemod.kind === 'skip' && api.deadline !== undefined && api.deadline.defaultMs === undefined
      ? api.modules
          .filter((module): module is string => typeof module === 'string')
          .map(
            (module) =>
              [
                module,
                { classes: api.classes, reason: (api.timeoutCodemod as { reason: string }).reason, keys: api.deadline!.client },
              ] as const,
          )
      : [],
  ),
);

/** Keys only the SDKs' request options have (not request bodies), from the catalog. */
const OPTION_KEYS: ReadonlySet<string> = new Set(REQUEST_OPTION_KEYS);

const CLIENTS = Object.fromEntries(HTTP_CLIENTS.map((client) => [client.id, client])) as Record<HttpClientId, HttpClientApi>;
const URL_NAME = /url|uri|href|endpoint|link/i;

interface Binding {
  readonly module: string;
  /** The exported name, 'default', or '*' for a namespace import. */
  readonly imported: string;
  /** Type-only imports bind a type, which is enough for a `client: OpenAI` annotation. */
  readonly typeOnly: boolean;
}

type Target =
  /** A signal in the options at `index` (a callback there gets an options object before it). */
  | {
      readonly kind: 'signal';
      readonly index: number;
      readonly timeoutKeys: readonly string[];
      readonly what: string;
      readonly callbackAt?: boolean;
    }
  /** The library's own option at `index`; `pad` fills skipped arguments with `undefined`. */
  | {
      readonly kind: 'option';
      readonly index: number;
      readonly key: string;
      readonly value: string;
      readonly what: string;
      readonly pad: boolean;
    };

/** True when `name` resolves to nothing declared in the file (the global). */
function isUnshadowed(path: ASTPath, name: string): boolean {
  return lookupScope(path, name) === null;
}

/** True when `name` at `path` is the file's top-level (import) binding, not a local shadowing it. */
function isTopLevel(path: ASTPath, name: string): boolean {
  return lookupScope(path, name)?.isGlobal === true;
}

function identifierName(node: unknown): string | undefined {
  const id = node as { type?: string; name?: unknown };
  return id.type === 'Identifier' && typeof id.name === 'string' ? id.name : undefined;
}

function propertyName(member: K.MemberExpressionKind): string | undefined {
  return member.computed ? undefined : identifierName(member.property);
}

function isUrlLike(node: K.ExpressionKind | K.SpreadElementKind | undefined): boolean {
  if (node === undefined) return false;
  switch (node.type) {
    case 'StringLiteral':
    case 'TemplateLiteral':
      return true;
    case 'BinaryExpression':
      return node.operator === '+';
    case 'NewExpression':
      return identifierName(node.callee) === 'URL';
    case 'Identifier':
      return URL_NAME.test(node.name);
    case 'MemberExpression': {
      const name = propertyName(node);
      return name !== undefined && URL_NAME.test(name);
    }
    default:
      return false;
  }
}

function isFunctionNode(node: unknown): boolean {
  const type = (node as { type?: string }).type;
  return type === 'ArrowFunctionExpression' || type === 'FunctionExpression';
}

/** The dotted text of a callee (`withTimeout`, `limits.deadline`), when it is names only. */
function calleeText(node: unknown): string | undefined {
  const name = identifierName(node);
  if (name !== undefined) return name;
  const member = node as K.MemberExpressionKind;
  if (member.type !== 'MemberExpression') return undefined;
  const object = calleeText(member.object);
  const property = propertyName(member);
  return object === undefined || property === undefined ? undefined : `${object}.${property}`;
}

type Located = { loc?: { start: { line: number; column: number } } | null };

/** A step below with its `run` already given. */
type Bound<F> = F extends (run: Run, ...args: infer A) => infer R ? (...args: A) => R : never;

/** What the steps of one file's run share: the file, the policy's deadlines, the imports, the edits so far. */
interface Run {
  readonly j: JSCodeshift;
  readonly text: string;
  readonly root: Collection;
  readonly policy: ReturnType<typeof policyFor>;
  readonly httpMs: string;
  readonly modelMs: string;
  readonly wrappers: ReadonlySet<string>;
  readonly receivedClients: boolean;
  readonly edits: Edit[];
  /** Import bindings, by local name. */
  readonly bindings: ReadonlyMap<string, Binding>;
  /** A `x.defaults.timeout = …` assignment (not a disabling one) anywhere in the file, by `x`'s text. */
  readonly defaultsSet: ReadonlySet<string>;
  readonly sdkClasses: ReadonlyMap<string, string>;
  readonly LONG_ADVICE: string;
  readonly report: (node: Located, reason: string) => void;
  readonly where: (node: Located) => string;
  /** Says which calls a deadline put on a shared client reaches (`bounded migrate --json` lists them). */
  readonly reach: (node: Located, message: string) => void;
  /** Why a call is a long operation (an upload, a download, a stream, marked `bounded: long`), if it is. */
  readonly long: (path: ASTPath, call: K.CallExpressionKind | K.NewExpressionKind) => string | undefined;
  readonly callsOn: Bound<typeof callsOn>;
  readonly resolve: Bound<typeof resolve>;
  readonly isUnderDeadline: Bound<typeof isUnderDeadline>;
  readonly variableInit: Bound<typeof variableInit>;
  readonly isTimedSignal: Bound<typeof isTimedSignal>;
  readonly isDefinedSignal: Bound<typeof isDefinedSignal>;
  readonly setsTimeoutOnResult: Bound<typeof setsTimeoutOnResult>;
  readonly place: Bound<typeof place>;
  readonly apply: Bound<typeof apply>;
  readonly typedModule: Bound<typeof typedModule>;
  readonly receivedClient: Bound<typeof receivedClient>;
}

export default function transformer(file: FileInfo, api: API, options: TransformOptions = {}): string | null {
  const j = api.jscodeshift;
  const text = file.source;
  const root = parseForTextEdits(j, text);
  const policy = policyFor(file.path, options);
  const httpMs = msSource(policy.defaults.timeouts.http);
  const modelMs = msSource(policy.defaults.timeouts.model);
  const wrappers = new Set(policy.lint.timeouts);
  // `--receivedClients` from jscodeshift's command line may arrive as the string 'true'.
  const receivedClients = options.receivedClients === true || options.receivedClients === 'true';
  const report = skipReporter(api, file.path, 'add-timeouts');
  const edits: Edit[] = [];
  const where = (node: Located): string => (node.loc ? `${node.loc.start.line}:${node.loc.start.column + 1}` : '?');
  const reach = (node: Located, message: string): void => {
    (api as Partial<API>).report?.(`${file.path}:${where(node)}: add-timeouts reach: ${message}`);
  };
  const bindings = importBindings(j, root);
  const run: Run = {
    j,
    text,
    root,
    policy,
    httpMs,
    modelMs,
    wrappers,
    receivedClients,
    edits,
    bindings,
    defaultsSet: defaultTimeouts(j, root),
    sdkClasses: sdkClassesOf(bindings),
    LONG_ADVICE:
      'a request-sized deadline would cut it off mid-transfer; review it and give it a deadline of its own (the policy has no long timeout)',
    report,
    where,
    reach,
    long: (path, call) => longOperation(text, call, calleeText(call.callee), (name) => run.variableInit(path, name)),
    callsOn: (...args) => callsOn(run, ...args),
    resolve: (...args) => resolve(run, ...args),
    isUnderDeadline: (...args) => isUnderDeadline(run, ...args),
    variableInit: (...args) => variableInit(run, ...args),
    isTimedSignal: (...args) => isTimedSignal(run, ...args),
    isDefinedSignal: (...args) => isDefinedSignal(run, ...args),
    setsTimeoutOnResult: (...args) => setsTimeoutOnResult(run, ...args),
    place: (...args) => place(run, ...args),
    apply: (...args) => apply(run, ...args),
    typedModule: (...args) => typedModule(run, ...args),
    receivedClient: (...args) => receivedClient(run, ...args),
  };
  addClientTimeouts(run);
  addCallTimeouts(run);
  return edits.length > 0 ? applyEdits(text, edits) : null;
}

/** Import bindings, by local name. */
function importBindings(j: JSCodeshift, root: Collection): Map<string, Binding> {
  const bindings = new Map<string, Binding>();
  root.find(j.ImportDeclaration).forEach((path) => {
    const source = path.node.source.value;
    if (typeof source !== 'string') return;
    const module = source.startsWith('node:') ? source.slice(5) : source;
    const declarationTypeOnly = (path.node as { importKind?: string }).importKind === 'type';
    for (const spec of path.node.specifiers ?? []) {
      const local = spec.local?.name;
      if (typeof local !== 'string') continue;
      const typeOnly = declarationTypeOnly || (spec as { importKind?: string }).importKind === 'type';
      if (spec.type === 'ImportDefaultSpecifier') bindings.set(local, { module, imported: 'default', typeOnly });
      else if (spec.type === 'ImportNamespaceSpecifier') bindings.set(local, { module, imported: '*', typeOnly });
      else if (typeof spec.imported.name === 'string') bindings.set(local, { module, imported: spec.imported.name, typeOnly });
    }
  });
  return bindings;
}

/** A `x.defaults.timeout = …` assignment (not a disabling one) anywhere in the file, by `x`'s text. */
function defaultTimeouts(j: JSCodeshift, root: Collection): Set<string> {
  const defaultsSet = new Set<string>();
  root.find(j.AssignmentExpression).forEach((path) => {
    const left = path.node.left;
    if (left.type !== 'MemberExpression' || propertyName(left) !== 'timeout' || left.object.type !== 'MemberExpression') return;
    if (propertyName(left.object) !== 'defaults') return;
    const right = path.node.right as { type: string; value?: unknown; name?: string };
    if ((right.type === 'NumericLiteral' && right.value === 0) || (right.type === 'Identifier' && right.name === 'Infinity')) return;
    const receiver = calleeText(left.object.object);
    if (receiver !== undefined) defaultsSet.add(receiver);
  });
  return defaultsSet;
}

/** The SDK client classes the file imports, by local name → module. */
function sdkClassesOf(bindings: ReadonlyMap<string, Binding>): Map<string, string> {
  const sdkClasses = new Map<string, string>();
  for (const [local, binding] of bindings) {
    const classes = SDK_CLASSES[binding.module];
    if (classes !== undefined && (binding.imported === 'default' || classes.includes(binding.imported)))
      sdkClasses.set(local, binding.module);
  }
  return sdkClasses;
}

/** Clients: `new OpenAI(…)` gets a deadline at its creation; an SDK the catalog skips is reported. */
function addClientTimeouts(run: Run): void {
  const { j, root, bindings, sdkClasses, modelMs, report } = run;
  root.find(j.NewExpression).forEach((path) => {
    const name = identifierName(path.node.callee);
    const binding = name === undefined ? undefined : bindings.get(name);
    const skipped = binding === undefined || binding.typeOnly ? undefined : SKIPPED_SDKS.get(binding.module);
    if (skipped !== undefined && matchesName(skipped.classes, binding!.imported)) {
      const options = path.node.arguments[0];
      const hasDeadline =
        options?.type === 'ObjectExpression' &&
        (hasHiddenKeys(options) || skipped.keys.some((key) => findProperty(options, key) !== undefined));
      if (!hasDeadline) report(path.node, skipped.reason);
      return;
    }
    if (name === undefined || !sdkClasses.has(name) || bindings.get(name)!.typeOnly || !isTopLevel(path, name)) return;
    sharedClient(run, path, path.node, `new ${name}`, modelMs, () => addToClient(run, path.node, 'timeout', modelMs, 'client options'));
  });
}

/** Instances (`axios.create`, `got.extend`), HTTP calls, and (with `receivedClients`) SDK calls on a received client. */
function addCallTimeouts(run: Run): void {
  const { j, root, resolve, defaultsSet, httpMs, receivedClients, isUnderDeadline, long, report, LONG_ADVICE, apply, place } = run;
  root.find(j.CallExpression).forEach((path) => {
    const call = path.node;
    const binding = resolve(path, call.callee);
    if (binding?.module === 'axios' && binding.imported === 'create') {
      const declarator = (path.parent as ASTPath | null)?.node as K.VariableDeclaratorKind | undefined;
      const instance = declarator?.type === 'VariableDeclarator' ? identifierName(declarator.id) : undefined;
      if (instance === undefined || !defaultsSet.has(instance))
        sharedClient(run, path, call, 'axios.create', httpMs, () => addToClient(run, call, 'timeout', httpMs, 'axios.create config'));
      return;
    }
    if (binding?.module === 'got' && binding.imported === 'extend') {
      sharedClient(run, path, call, 'got.extend', httpMs, () =>
        addToClient(run, call, 'timeout', `{ request: ${httpMs} }`, 'got.extend options'),
      );
      return;
    }
    const target = httpTarget(run, path);
    if (target === undefined) {
      if (receivedClients) sdkCall(run, path);
      return;
    }
    if (isUnderDeadline(path)) return;
    const longReason = typeof target === 'string' ? undefined : long(path, call);
    if (longReason !== undefined) report(call, `${longReason}: ${LONG_ADVICE}`);
    else if (typeof target === 'string') report(call, target);
    else apply(call, place(path, call, target));
  });
}

/** The calls made on the client held in the variable `path`'s declarator declares: `api(…)`, `api.get(…)`, `client.files.create(…)`. */
function callsOn(run: Run, path: ASTPath): { calls: ASTPath<K.CallExpressionKind>[]; name: string | undefined; exported: boolean } {
  const { j, root } = run;
  const declarator = (path.parent as ASTPath | null)?.node as K.VariableDeclaratorKind | undefined;
  const name = declarator?.type === 'VariableDeclarator' ? identifierName(declarator.id) : undefined;
  if (name === undefined) return { calls: [], name, exported: false };
  const scope = lookupScope(path, name);
  const calls: ASTPath<K.CallExpressionKind>[] = [];
  root.find(j.CallExpression).forEach((call) => {
    let base: unknown = call.node.callee;
    while ((base as { type?: string }).type === 'MemberExpression') base = (base as K.MemberExpressionKind).object;
    if (identifierName(base) === name && lookupScope(call, name) === scope) calls.push(call);
  });
  const declaration = (path.parent as ASTPath | null)?.parent as ASTPath | null | undefined;
  const exportedInline = (declaration?.parent as ASTPath | null | undefined)?.node.type === 'ExportNamedDeclaration';
  const exportedLater =
    root
      .find(j.ExportSpecifier)
      .filter((spec) => identifierName(spec.node.local) === name)
      .size() > 0;
  const exportedDefault =
    root
      .find(j.ExportDefaultDeclaration)
      .filter((decl) => identifierName(decl.node.declaration) === name)
      .size() > 0;
  return { calls, name, exported: exportedInline || exportedLater || exportedDefault };
}

/**
 * A deadline for a shared client goes at its creation only, and only when none of its calls
 * is a long operation; the report lists every call it reaches. Returns false when the client
 * is left alone (reported); else adds the deadline with `add` and, when it did, says what it reaches.
 */
function sharedClient(
  run: Run,
  path: ASTPath,
  node: K.NewExpressionKind | K.CallExpressionKind,
  what: string,
  ms: string,
  add: () => boolean,
): boolean {
  const { report, where, reach, long, callsOn } = run;
  const { calls, name, exported } = callsOn(path);
  const longCalls = calls.flatMap((call) => {
    const reason = long(call, call.node);
    return reason === undefined ? [] : [`${calleeText(call.node.callee) ?? name} at ${where(call.node)} (${reason})`];
  });
  if (longCalls.length > 0) {
    report(
      node,
      `\`${name}\` (${what}) also makes long operations: ${longCalls.join(', ')}; a ${ms} ms deadline on the client would cut them off. Give the client a deadline by hand and those calls a longer one of their own (the policy has no long timeout)`,
    );
    return false;
  }
  if (add() && name !== undefined) {
    const sites = calls.map((call) => `${calleeText(call.node.callee) ?? name} at ${where(call.node)}`);
    const others = exported ? '; it is exported, so calls in the modules that import it get it too' : '';
    reach(
      node,
      `the ${ms} ms deadline on \`${name}\` (${what}) reaches ${sites.length === 0 ? 'no call in this file' : `${sites.length} call${sites.length === 1 ? '' : 's'} in this file: ${sites.join(', ')}`}${others}`,
    );
  }
  return true;
}

/** What a callee stands for: `axios` → axios/default, `http.get` → http/get, `request` → undici/request. */
function resolve(run: Run, path: ASTPath, callee: unknown): Binding | undefined {
  const { bindings, resolve } = run;
  const name = identifierName(callee);
  if (name !== undefined) {
    const binding = bindings.get(name);
    return binding !== undefined && !binding.typeOnly && isTopLevel(path, name) ? binding : undefined;
  }
  const member = callee as K.MemberExpressionKind;
  if (member.type !== 'MemberExpression') return undefined;
  const object = resolve(path, member.object);
  const property = propertyName(member);
  if (object === undefined || property === undefined || (object.imported !== 'default' && object.imported !== '*')) return undefined;
  return { module: object.module, imported: property, typeOnly: false };
}

/** True when a deadline is set around the call: `withTimeout(() => …)`, `pTimeout(call, …)`, `deadline(…).run(…)`. */
function isUnderDeadline(run: Run, path: ASTPath): boolean {
  const { wrappers, resolve, variableInit } = run;
  let child: ASTPath = path;
  for (let parent = path.parent as ASTPath | null; parent != null; child = parent, parent = parent.parent as ASTPath | null) {
    const node = parent.node as K.CallExpressionKind;
    if (node.type !== 'CallExpression' || !(node.arguments as unknown[]).includes(child.node)) continue;
    const callee = node.callee;
    const whole = calleeText(callee);
    const last = whole?.slice(whole.lastIndexOf('.') + 1);
    if (last === 'withTimeout' || (whole !== undefined && wrappers.has(whole)) || (last !== undefined && wrappers.has(last))) return true;
    if (resolve(parent, callee)?.module === 'p-timeout') return true;
    if (callee.type === 'MemberExpression' && propertyName(callee) === 'run') {
      const object = callee.object;
      const origin = object.type === 'Identifier' ? variableInit(parent, object.name) : object;
      if (origin?.type === 'CallExpression' && calleeText(origin.callee)?.endsWith('deadline') === true) return true;
    }
  }
  return false;
}

/** The initializer of the `const` named `name` visible at `path`, when there is one. */
function variableInit(run: Run, path: ASTPath, name: string): K.ExpressionKind | undefined {
  const { j } = run;
  const scope = lookupScope(path, name);
  if (scope == null) return undefined;
  let found: K.ExpressionKind | undefined;
  j((scope as unknown as { path: ASTPath }).path)
    .find(j.VariableDeclarator, { id: { type: 'Identifier', name } })
    .forEach((declarator) => {
      found ??= declarator.node.init ?? undefined;
    });
  return found;
}

/**
 * A signal that visibly aborts at a deadline: `AbortSignal.timeout(ms)` / `AbortSignal.any(…)`
 * held in a name, or the `.signal` of a bounded `deadline(…)`.
 */
function isTimedSignal(run: Run, path: ASTPath, value: K.ExpressionKind, depth = 0): boolean {
  const { variableInit, isTimedSignal } = run;
  if (depth > 4) return false;
  if (isAbortSignalCall(value, 'timeout') || isAbortSignalCall(value, 'any')) return true;
  if (value.type === 'Identifier') {
    const init = variableInit(path, value.name);
    return init !== undefined && init !== value && isTimedSignal(path, init, depth + 1);
  }
  if (value.type === 'MemberExpression' && propertyName(value) === 'signal') {
    const object = value.object.type === 'Identifier' ? variableInit(path, value.object.name) : value.object;
    return object?.type === 'CallExpression' && calleeText(object.callee)?.endsWith('deadline') === true;
  }
  return false;
}

/** How the parameter `name` visible at `path` is declared: its annotation, and whether it may be left out. */
function parameterType(
  path: ASTPath,
  name: string,
): { type: { type: string; [key: string]: unknown } | undefined; optional: boolean } | undefined {
  const fn = lookupScope(path, name)?.node as { params?: unknown[] } | undefined;
  for (const param of fn?.params ?? []) {
    const holder = param as { type: string; parameter?: unknown };
    const id = (holder.type === 'TSParameterProperty' ? holder.parameter : param) as {
      type: string;
      name?: string;
      optional?: boolean;
      typeAnnotation?: { typeAnnotation?: { type: string } };
    };
    if (id.type === 'Identifier' && id.name === name) return { type: id.typeAnnotation?.typeAnnotation, optional: id.optional === true };
  }
  return undefined;
}

/**
 * A signal expression that is never undefined: `AbortSignal.*(…)`, a parameter typed
 * `AbortSignal`, `.signal` of an AbortController, a Request, a `{ signal: AbortSignal }`
 * parameter or a bounded `deadline(…)`, or a `const` holding one of those.
 */
function isDefinedSignal(run: Run, path: ASTPath, value: K.ExpressionKind, depth = 0): boolean {
  const { variableInit, isDefinedSignal } = run;
  if (depth > 4) return false;
  if (value.type === 'CallExpression') return calleeText(value.callee)?.startsWith('AbortSignal.') === true;
  if (value.type === 'Identifier') {
    const declared = parameterType(path, value.name);
    if (declared !== undefined)
      return !declared.optional && declared.type?.type === 'TSTypeReference' && identifierName(declared.type.typeName) === 'AbortSignal';
    const init = variableInit(path, value.name);
    return init !== undefined && init !== value && isDefinedSignal(path, init, depth + 1);
  }
  if (value.type !== 'MemberExpression' || propertyName(value) !== 'signal') return false;
  const object = value.object;
  if (object.type !== 'Identifier') return false;
  const declared = parameterType(path, object.name);
  if (declared !== undefined) {
    if (declared.optional || declared.type === undefined) return false;
    if (declared.type.type === 'TSTypeReference')
      return ['AbortController', 'Request'].includes(identifierName(declared.type.typeName) ?? '');
    return (
      declared.type.type === 'TSTypeLiteral' &&
      (declared.type.members as { type: string; key?: unknown; optional?: boolean }[]).some(
        (member) => member.type === 'TSPropertySignature' && identifierName(member.key) === 'signal' && member.optional !== true,
      )
    );
  }
  const init = variableInit(path, object.name);
  if (init?.type === 'NewExpression') return ['AbortController', 'Request'].includes(identifierName(init.callee) ?? '');
  return init?.type === 'CallExpression' && calleeText(init.callee)?.endsWith('deadline') === true;
}

/** `http.get(…).setTimeout(…)`, or `req.setTimeout(…)` on the variable the request went into. */
function setsTimeoutOnResult(run: Run, path: ASTPath<K.CallExpressionKind>): boolean {
  const { j, root } = run;
  const parent = (path.parent as ASTPath | null)?.node as K.MemberExpressionKind | undefined;
  if (parent?.type === 'MemberExpression' && parent.object === path.node && propertyName(parent) === 'setTimeout') return true;
  const declarator = (path.parent as ASTPath | null)?.node as K.VariableDeclaratorKind | undefined;
  const name = declarator?.type === 'VariableDeclarator' && declarator.init === path.node ? identifierName(declarator.id) : undefined;
  if (name === undefined) return false;
  const scope = lookupScope(path, name);
  if (scope == null) return false;
  return (
    root
      .find(j.MemberExpression, { object: { type: 'Identifier', name }, property: { type: 'Identifier', name: 'setTimeout' } })
      .filter((member) => lookupScope(member, name) === scope)
      .size() > 0
  );
}

/** The catalog's reason for leaving a client's calls alone. */
function reasonOf(client: HttpClientApi): string | undefined {
  return client.timeoutCodemod.kind === 'skip' ? client.timeoutCodemod.reason : undefined;
}

/** `superagent.get(url).timeout(ms)`, anywhere down the chain. */
function chainsTimeout(path: ASTPath): boolean {
  for (let up = path.parent as ASTPath | null; up !== null; up = up.parent as ASTPath | null) {
    const node = up.node as { type: string; property?: unknown; object?: unknown };
    if (node.type === 'MemberExpression' && identifierName(node.property) === 'timeout') return true;
    if (node.type !== 'MemberExpression' && node.type !== 'CallExpression') return false;
  }
  return false;
}

/** What deadline an HTTP call takes, or undefined when the callee is not one the rule knows. */
function httpTarget(run: Run, path: ASTPath<K.CallExpressionKind>): Target | string | undefined {
  const { httpMs, defaultsSet, resolve, setsTimeoutOnResult } = run;
  const call = path.node;
  const callee = call.callee;
  const args = call.arguments;
  const name = identifierName(callee);
  if (name === 'fetch' && isUnshadowed(path, 'fetch')) return { kind: 'signal', index: 1, timeoutKeys: [], what: 'fetch init' };
  if (callee.type === 'MemberExpression' && propertyName(callee) === 'fetch') {
    const object = identifierName(callee.object);
    if (object !== undefined && GLOBAL_OBJECTS.includes(object) && isUnshadowed(path, object))
      return { kind: 'signal', index: 1, timeoutKeys: [], what: 'fetch init' };
  }
  const binding = resolve(path, callee);
  if (binding === undefined) return undefined;
  const whole = binding.imported === 'default' || binding.imported === '*';
  switch (binding.module) {
    case 'undici':
      if (binding.imported === 'fetch') return { kind: 'signal', index: 1, timeoutKeys: [], what: 'fetch init' };
      if (binding.imported === 'request' || binding.imported === 'stream') {
        return { kind: 'signal', index: 1, timeoutKeys: ['headersTimeout', 'bodyTimeout'], what: 'undici request options' };
      }
      return undefined;
    case 'node-fetch':
      return whole ? { kind: 'signal', index: 1, timeoutKeys: ['timeout'], what: 'fetch init' } : undefined;
    case 'http':
    case 'https': {
      if (binding.imported !== 'request' && binding.imported !== 'get') return undefined;
      if (setsTimeoutOnResult(path)) return undefined;
      const first = args[0];
      if (first?.type === 'ObjectExpression')
        return { kind: 'signal', index: 0, timeoutKeys: ['timeout'], what: 'request options', callbackAt: true };
      if (isUrlLike(first)) return { kind: 'signal', index: 1, timeoutKeys: ['timeout'], what: 'request options', callbackAt: true };
      return 'cannot tell whether the first argument is a URL or the request options; add `signal: AbortSignal.timeout(ms)` by hand';
    }
    case 'axios': {
      if (binding.imported === 'create') return undefined; // handled with the clients
      if (defaultsSet.has(calleeText(whole ? callee : (callee as K.MemberExpressionKind).object) ?? '')) return undefined;
      const index = whole
        ? args.length >= 2 || isUrlLike(args[0])
          ? 1
          : 0
        : Object.hasOwn(CLIENTS.axios.methods, binding.imported)
          ? CLIENTS.axios.methods[binding.imported]
          : undefined;
      if (index === undefined) return undefined;
      return { kind: 'option', index, key: 'timeout', value: httpMs, what: 'axios config', pad: true };
    }
    case 'got': {
      if (!whole && !Object.hasOwn(CLIENTS.got.methods, binding.imported)) return undefined;
      const index = whole && args.length === 1 && args[0]?.type === 'ObjectExpression' ? 0 : 1;
      return { kind: 'option', index, key: 'timeout', value: `{ request: ${httpMs} }`, what: 'got options', pad: false };
    }
    case 'ky': {
      // ky has a deadline unless a call turns it off (`timeout: false`): only that is the rule's finding.
      const options = args[whole ? 1 : (CLIENTS.ky.methods[binding.imported] ?? 1)];
      const timeout = options?.type === 'ObjectExpression' ? findProperty(options, 'timeout') : undefined;
      const value = timeout === undefined ? undefined : (timeout as { value?: { type?: string; value?: unknown } }).value;
      return value?.type === 'BooleanLiteral' && value.value === false ? reasonOf(CLIENTS.ky) : undefined;
    }
    case 'superagent':
      return Object.hasOwn(CLIENTS.superagent.methods, binding.imported) && !chainsTimeout(path) ? reasonOf(CLIENTS.superagent) : undefined;
    default:
      return undefined;
  }
}

/** Adds the deadline `target` describes to `call`'s arguments, or says why not. */
function place(run: Run, path: ASTPath, call: K.CallExpressionKind | K.NewExpressionKind, target: Target): SignalMerge {
  const { text, policy, httpMs, isTimedSignal, isDefinedSignal } = run;
  const args = call.arguments;
  if (args.some((arg) => arg.type === 'SpreadElement'))
    return { reason: 'arguments are spread; cannot tell where the options go', bounded: false };
  const objectText = target.kind === 'signal' ? `{ signal: AbortSignal.timeout(${httpMs}) }` : `{ ${target.key}: ${target.value} }`;
  const index = target.index;
  if (index < args.length) {
    const arg = args[index]!;
    if (arg.type === 'ObjectExpression') {
      return target.kind === 'signal'
        ? mergeTimeoutSignal(
            text,
            arg,
            policy.defaults.timeouts.http,
            target.timeoutKeys,
            (value) => isTimedSignal(path, value),
            (value) => isDefinedSignal(path, value),
          )
        : mergeTimeoutOption(text, arg, target.key, target.value);
    }
    if (target.kind === 'signal' && target.callbackAt === true && isFunctionNode(arg)) {
      const at = span(arg).start;
      return { edits: [{ start: at, end: at, text: `${objectText}, ` }], how: 'added' };
    }
    const how = target.kind === 'signal' ? '`signal: AbortSignal.timeout(ms)`' : `\`${target.key}\``;
    return { reason: `${target.what} is not an object literal; add ${how} by hand`, bounded: false };
  }
  if (index > args.length && (target.kind === 'signal' || !target.pad)) {
    return { reason: `the call has fewer arguments than the ${target.what} position; add it by hand`, bounded: false };
  }
  const padding = 'undefined, '.repeat(index - args.length);
  if (args.length === 0) {
    const close = span(call).end - 1;
    return { edits: [{ start: close, end: close, text: `${padding}${objectText}` }], how: 'added' };
  }
  const at = span(args.at(-1)).end;
  return { edits: [{ start: at, end: at, text: `, ${padding}${objectText}` }], how: 'added' };
}

function apply(run: Run, call: K.CallExpressionKind | K.NewExpressionKind, result: SignalMerge): void {
  const { edits, report } = run;
  if (result.edits !== undefined) edits.push(...result.edits);
  else if (!result.bounded) report(call, result.reason);
}

/** Adds `key: value` to the client's options; true when it did. */
function addToClient(run: Run, expr: K.NewExpressionKind | K.CallExpressionKind, key: string, value: string, what: string): boolean {
  const { text, edits, report } = run;
  const args = expr.arguments;
  if (args.length === 0) {
    // `new OpenAI()` or `new OpenAI` (no parentheses).
    const calleeEnd = span(expr.callee).end;
    const tail = text.slice(calleeEnd, span(expr).end);
    const open = tail.indexOf('(');
    if (open === -1) edits.push({ start: calleeEnd, end: calleeEnd, text: `({ ${key}: ${value} })` });
    else edits.push({ start: calleeEnd + open + 1, end: calleeEnd + open + 1, text: `{ ${key}: ${value} }` });
    return true;
  }
  const clientOptions = args[0]!;
  if (args.length > 1 || clientOptions.type !== 'ObjectExpression') {
    report(expr, `${what} are not an object literal; add \`${key}\` by hand`);
    return false;
  }
  const existing = findProperty(clientOptions, key);
  if (existing !== undefined) {
    if (isDisablingTimeout(existing)) report(expr, `\`${key}\` is set to a value that turns the deadline off; set a finite one by hand`);
    return false;
  }
  if (hasHiddenKeys(clientOptions)) {
    report(expr, `${what} have a spread or computed key; cannot tell whether they set \`${key}\``);
    return false;
  }
  edits.push(...addPropertyEdits(text, clientOptions, key, value));
  return true;
}

/** Receivers declared with an SDK client type: `client: OpenAI` parameters and class properties. */
function typedModule(run: Run, annotation: unknown): string | undefined {
  const { sdkClasses } = run;
  const typeAnnotation = (annotation as { typeAnnotation?: { type: string; typeName?: unknown } } | null | undefined)?.typeAnnotation;
  if (typeAnnotation?.type !== 'TSTypeReference') return undefined;
  const name = identifierName(typeAnnotation.typeName);
  return name === undefined ? undefined : sdkClasses.get(name);
}

/** The SDK module of the client a call is made on, when the file only receives that client. */
function receivedClient(run: Run, path: ASTPath, receiver: K.ExpressionKind): string | undefined {
  const { typedModule } = run;
  const name = identifierName(receiver);
  if (name !== undefined) {
    const scope = lookupScope(path, name);
    const fn = (scope as unknown as { node?: { params?: unknown[] } } | null)?.node;
    for (const param of fn?.params ?? []) {
      const id =
        (param as { type: string; parameter?: unknown }).type === 'TSParameterProperty'
          ? (param as { parameter: unknown }).parameter
          : param;
      if (identifierName(id) === name) return typedModule((id as { typeAnnotation?: unknown }).typeAnnotation);
    }
    return undefined;
  }
  // this.llm, declared `private readonly llm: OpenAI` or as a constructor parameter property.
  if (receiver.type !== 'MemberExpression' || receiver.object.type !== 'ThisExpression') return undefined;
  const property = propertyName(receiver);
  let current = path.parent as ASTPath | null;
  while (current != null && current.node.type !== 'ClassBody') current = current.parent as ASTPath | null;
  if (current == null || property === undefined) return undefined;
  for (const member of (current.node as K.ClassBodyKind).body) {
    if ((member.type === 'ClassProperty' || member.type === 'ClassPrivateProperty') && identifierName(member.key) === property) {
      return typedModule(member.typeAnnotation);
    }
    if (member.type === 'ClassMethod' && member.kind === 'constructor') {
      for (const param of member.params) {
        if (param.type === 'TSParameterProperty' && identifierName(param.parameter) === property)
          return typedModule((param.parameter as { typeAnnotation?: unknown }).typeAnnotation);
      }
    }
  }
  return undefined;
}

/** `client.chat.completions.create(body)` on a received client → `timeout` in its request options. */
function sdkCall(run: Run, path: ASTPath<K.CallExpressionKind>): void {
  const { modelMs, report, isUnderDeadline, place, apply, receivedClient } = run;
  const call = path.node;
  const segments: string[] = [];
  let current: K.ExpressionKind = call.callee;
  for (;;) {
    if (current.type === 'MemberExpression' && current.object.type !== 'ThisExpression') {
      const property = propertyName(current);
      if (property === undefined) return;
      segments.unshift(property);
      current = current.object;
      continue;
    }
    if (current.type === 'CallExpression' && current.callee.type === 'MemberExpression' && propertyName(current.callee) === 'withOptions') {
      // A per-client override: a `timeout` (or options the transform cannot read) there settles it.
      const options = current.arguments[0];
      if (options?.type !== 'ObjectExpression' || findProperty(options, 'timeout') !== undefined || hasHiddenKeys(options)) return;
      current = current.callee.object;
      continue;
    }
    break;
  }
  if (segments.length < 2) return;
  const module = receivedClient(path, current);
  if (module === undefined || !SDK_RESOURCES[module]!.has(segments[0]!) || isUnderDeadline(path)) return;
  const args = call.arguments;
  if (args.length === 0) {
    report(call, `cannot tell where \`${segments.join('.')}()\` takes its request options; add \`timeout\` by hand`);
    return;
  }
  // create(body, options); retrieve(id, options); files.create(storeId, { file_id }, options).
  const [first, second] = args;
  const holdsOption = (object: K.ObjectExpressionKind): boolean =>
    object.properties.some((property) => property.type === 'SpreadElement' || OPTION_KEYS.has(findKey(property) ?? ''));
  const index =
    first?.type !== 'ObjectExpression' && second?.type === 'ObjectExpression' && second.properties.length > 0 && !holdsOption(second)
      ? 2
      : 1;
  apply(call, place(path, call, { kind: 'option', index, key: 'timeout', value: modelMs, what: 'request options', pad: false }));
}

function findKey(property: K.ObjectExpressionKind['properties'][number]): string | undefined {
  if (property.type !== 'ObjectProperty' && property.type !== 'Property') return undefined;
  return property.computed === true ? undefined : identifierName(property.key);
}
