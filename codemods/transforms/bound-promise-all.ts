/**
 * bound-promise-all: bounds the fan-outs `bounded/no-unbounded-concurrency` flags.
 *
 *   await Promise.all(xs.map(fn))        → await mapBounded(xs, fn, { concurrency: 10 })
 *   await Promise.allSettled(xs.map(fn)) → await mapBoundedSettled(xs, fn, { concurrency: 10 })
 *
 * and the two shapes that build the array first, when moving the start of the tasks from
 * where the array is built to the combinator is provably unobservable:
 *
 *   const ps = xs.map(fn);                  ─┐
 *   await Promise.all(ps);                   ├→ await mapBounded(xs, fn, { concurrency: 10 });
 *   const ps = []; for (const x of xs) {     │
 *     ps.push(start(x)); }                   │
 *   await Promise.all(ps);                  ─┘→ await mapBounded(xs, (x) => start(x), { concurrency: 10 });
 *
 * The rule for those (see docs/codemods/bound-promise-all.md): `ps` is declared alone in the
 * same block as the combinator and used nowhere else; the statements between are pure
 * declarations (literals, functions, types: nothing runs code or yields) whose names the moved
 * code does not read; the combinator is the first thing its statement evaluates; for a loop,
 * it is a plain `for (const x of xs)` whose body is only `ps.push(expr)` with no `await`.
 *
 * Always: `fn` is an inline arrow or function with at most two plain parameters (mapBounded
 * calls it with (item, index, signal)), and `xs` is an identifier or member expression
 * (evaluated once either way), and, under `bounded migrate`, bounded/no-unbounded-concurrency
 * reports the fan-out: one it accepts as bounded (a size guard, a chunk, a worker pool, one
 * connection…) is left as it is. Anything else is left alone and reported with the reason.
 */
import type { API, ASTPath, Collection, FileInfo, JSCodeshift } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import { HOUSE_STYLE } from '../utils/style.js';
import {
  applyEdits,
  commentSpans,
  ensureNamedImports,
  hasCommentIn,
  lookupScope,
  removeStatementLines,
  span,
  textOf,
  type Edit,
} from '../utils/imports.js';
import { policyFor, type TransformOptions } from '../utils/policy.js';
import { runtimeModuleFor, runtimeTarget } from '../utils/runtime-module.js';
import { LIMITER_NAME, LIMITER_PACKAGES, LIMITER_RUN_METHODS, LIMITER_WAIT_METHODS } from '@bounded/policy';
import { parseForTextEdits } from '../utils/text-edits.js';
import { skipReporter } from '../utils/report.js';

export const parser = 'ts';

const REPLACEMENTS: Readonly<Record<string, string>> = {
  all: 'mapBounded',
  allSettled: 'mapBoundedSettled',
};

function isUnshadowed(path: ASTPath, name: string): boolean {
  return lookupScope(path, name) === null;
}

function memberName(node: K.ExpressionKind | K.SpreadElementKind | undefined, object?: string): string | undefined {
  if (node?.type !== 'MemberExpression' || node.computed || node.property.type !== 'Identifier') return undefined;
  if (object !== undefined && (node.object.type !== 'Identifier' || node.object.name !== object)) return undefined;
  return node.property.name;
}

function isPlainMemberChain(node: K.ExpressionKind): boolean {
  if (node.type === 'Identifier' || node.type === 'ThisExpression') return true;
  if (node.type !== 'MemberExpression') return false;
  if (
    node.computed &&
    node.property.type !== 'StringLiteral' &&
    node.property.type !== 'NumericLiteral' &&
    node.property.type !== 'Literal'
  )
    return false;
  return isPlainMemberChain(node.object);
}

/**
 * Limiters as bounded/no-unbounded-concurrency knows them, from the catalog
 * (policy/catalog/limiters.ts) and the policy's `lint.limiters`: modules that build one, the
 * methods that run a task through one, and the names people give them.
 */
const LIMITER_MODULES = new Set(LIMITER_PACKAGES.map((entry) => entry.module));
const RUN_METHODS = new Set(LIMITER_RUN_METHODS);
const WAIT_METHODS = new Set(LIMITER_WAIT_METHODS);

/** The local names a file binds to limiter modules, the `const`s it builds limiters into, and the policy's limiter names. */
interface Limiters {
  readonly imports: ReadonlySet<string>;
  readonly built: ReadonlySet<string>;
  /** `lint.limiters`: a whole path (`jobs.enqueue`) or a plain name matched on the last part. */
  readonly listed: readonly string[];
}

function limitersOf(j: JSCodeshift, root: Collection, listed: readonly string[]): Limiters {
  const imports = new Set<string>();
  root.find(j.ImportDeclaration).forEach((path) => {
    if (!LIMITER_MODULES.has(String(path.node.source.value))) return;
    for (const spec of path.node.specifiers ?? []) if (typeof spec.local?.name === 'string') imports.add(spec.local.name);
  });
  const built = new Set<string>();
  const buildsOne = (node: unknown): boolean => {
    const made = (node ?? {}) as { type?: string; callee?: K.ExpressionKind };
    if ((made.type !== 'NewExpression' && made.type !== 'CallExpression') || made.callee === undefined) return false;
    let callee: K.ExpressionKind = made.callee;
    while (callee.type === 'MemberExpression') callee = callee.object;
    return callee.type === 'Identifier' && imports.has(callee.name);
  };
  root.find(j.VariableDeclarator).forEach((path) => {
    if (path.node.id.type === 'Identifier' && buildsOne(path.node.init)) built.add(path.node.id.name);
  });
  root.find(j.ClassProperty).forEach((path) => {
    const key = path.node.key;
    if (key.type === 'Identifier' && buildsOne(path.node.value)) built.add(key.name);
  });
  return { imports, built, listed };
}

/** True when a callee names one of the policy's limiters: the whole path (`jobs.enqueue`) or, for a plain name, the last part. */
function isListedLimiter(callee: K.ExpressionKind, limiters: Limiters): boolean {
  const parts: string[] = [];
  let current: K.ExpressionKind = callee;
  while (current.type === 'MemberExpression' && !current.computed && current.property.type === 'Identifier') {
    parts.unshift(current.property.name);
    current = current.object;
  }
  if (current.type === 'Identifier') parts.unshift(current.name);
  else if (current.type === 'ThisExpression') parts.unshift('this');
  else return false;
  const text = parts.join('.');
  return limiters.listed.some((name) => name === text || (!name.includes('.') && name === parts.at(-1)));
}

function isLimiterHolder(node: K.ExpressionKind, limiters: Limiters): boolean {
  const name = node.type === 'Identifier' ? node.name : node.type === 'MemberExpression' ? memberName(node) : undefined;
  return name !== undefined && (limiters.built.has(name) || LIMITER_NAME.test(name));
}

/** `sem.run(() => …)`, `queue.add(…)`, `limit(() => …)` (p-limit), optionally awaited. */
function isLimitedCall(node: unknown, limiters: Limiters): boolean {
  let value = node as K.ExpressionKind;
  if (value.type === 'AwaitExpression' && value.argument != null) value = value.argument;
  if (value.type !== 'CallExpression') return false;
  const callee = value.callee;
  if (isListedLimiter(callee, limiters)) return true;
  // `throttle(fn)()`: calling what a limiter wrapped runs it under the limit.
  if (callee.type === 'CallExpression') return isLimitedCall(callee, limiters);
  if (callee.type === 'MemberExpression') {
    const method = memberName(callee);
    return method !== undefined && RUN_METHODS.has(method) && isLimiterHolder(callee.object, limiters);
  }
  return callee.type === 'Identifier' && isLimiterHolder(callee, limiters);
}

/** Whether every task `fn` starts already goes through a limiter, as the rule judges it. */
function isLimitedMapper(fn: K.ArrowFunctionExpressionKind | K.FunctionExpressionKind, limiters: Limiters): boolean {
  if (fn.body.type !== 'BlockStatement') return isLimitedCall(fn.body, limiters);
  const statements = fn.body.body;
  const waits = statements.some((statement) => {
    if (statement.type !== 'ExpressionStatement') return false;
    let value = statement.expression;
    if (value.type === 'AwaitExpression' && value.argument != null) value = value.argument;
    return (
      value.type === 'CallExpression' &&
      WAIT_METHODS.has(memberName(value.callee) ?? '') &&
      isLimiterHolder((value.callee as K.MemberExpressionKind).object, limiters)
    );
  });
  if (waits) return true;
  const returned = statements.filter((statement): statement is K.ReturnStatementKind => statement.type === 'ReturnStatement');
  return returned.length > 0 && returned.every((statement) => statement.argument != null && isLimitedCall(statement.argument, limiters));
}

/** `xs.map(fn)` or `Array.from(xs, fn)`: the collection and the callback, whatever else the call has. */
function mappedParts(
  node: K.ExpressionKind | K.SpreadElementKind,
): { items: K.ExpressionKind; fn: K.ExpressionKind | K.SpreadElementKind | undefined; from: boolean } | undefined {
  if (node.type !== 'CallExpression') return undefined;
  if (memberName(node.callee) === 'map')
    return { items: (node.callee as K.MemberExpressionKind).object, fn: node.arguments[0], from: false };
  const first = node.arguments[0];
  if (memberName(node.callee, 'Array') === 'from' && first !== undefined && first.type !== 'SpreadElement')
    return { items: first, fn: node.arguments[1], from: true };
  return undefined;
}

/** Why `Promise.<method>(arg)` cannot be rewritten; undefined when it can. */
function refusal(text: string, arg: K.ExpressionKind | K.SpreadElementKind, limiters: Limiters, arrayIsGlobal = true): string | undefined {
  const parts = mappedParts(arg);
  if (parts === undefined || (parts.from && !arrayIsGlobal)) return 'argument is not `xs.map(fn)`';
  const call = arg as K.CallExpressionKind & { typeParameters?: unknown; typeArguments?: unknown };
  const what = parts.from ? '`Array.from`' : '`map`';
  if (call.typeParameters != null || call.typeArguments != null) return `${what} has type arguments`;
  if (call.arguments.length !== (parts.from ? 2 : 1)) return `${what} has a thisArg or no callback`;
  const fn = parts.fn!;
  if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression')
    return 'callback is not an inline function; it may take a third parameter';
  if (fn.params.length > 2) return 'callback takes more than two parameters; mapBounded passes (item, index, signal)';
  if (fn.params.some((param) => param.type === 'RestElement'))
    return 'callback has a rest parameter; mapBounded passes a signal as the third argument';
  if (fn.type === 'FunctionExpression' && fn.generator === true) return 'callback is a generator';
  const items = parts.items;
  if (!isPlainMemberChain(items)) return 'the mapped collection is not an identifier or member expression';
  const dropped = parts.from ? text.slice(span(call).start, span(items).start) : text.slice(span(items).end, span(fn).start);
  if (/\/\/|\/\*/.test(dropped)) return `a comment inside \`${parts.from ? 'Array.from(' : 'xs.map('}\` would be lost`;
  if (isLimitedMapper(fn, limiters)) return 'every task already runs through a limiter; the fan-out is bounded';
  return undefined;
}

/**
 * The splices for one site; only punctuation changes, so comments and layout survive and a
 * fan-out nested inside the callback gets its own, non-overlapping edits:
 *   Promise.all( xs.map( fn ) )       →  mapBounded( xs, fn, { concurrency } )
 *   Promise.all( Array.from( xs, fn ) )  →  mapBounded( xs, fn, { concurrency } )
 */
function rewrite(text: string, call: K.CallExpressionKind, helper: string, concurrency: number): Edit[] {
  const mapCall = call.arguments[0] as K.CallExpressionKind;
  const parts = mappedParts(mapCall)!;
  const fn = span(parts.fn);
  const callee = span(call.callee);
  const inner = span(mapCall);
  const edits: Edit[] = [
    { start: callee.start, end: callee.end, text: helper },
    parts.from
      ? { start: inner.start, end: span(parts.items).start, text: '' }
      : { start: inner.start, end: fn.start, text: `${textOf(text, parts.items)}, ` },
    { start: fn.end, end: fn.end, text: `, { concurrency: ${concurrency} }` },
  ];
  // The map call's `)`: on a line of its own (`    ),`), the whole line goes; otherwise
  // just the parenthesis, and a trailing comma after it when one is kept before it.
  const close = inner.end - 1;
  const lineStart = text.lastIndexOf('\n', close - 1) + 1;
  const after = /^,?[ \t]*\r?\n/.exec(text.slice(inner.end, span(call).end));
  if (/^[ \t]*$/.test(text.slice(lineStart, close)) && lineStart > fn.end && after !== null) {
    edits.push({ start: lineStart, end: inner.end + after[0].length, text: '' });
  } else {
    edits.push({ start: close, end: inner.end, text: '' });
    const keptComma = /^\s*,/.test(text.slice(fn.end, close));
    const outerComma = /^\s*,/.exec(text.slice(inner.end, span(call).end));
    if (keptComma && outerComma !== null)
      edits.push({ start: inner.end + outerComma[0].length - 1, end: inner.end + outerComma[0].length, text: '' });
  }
  return edits;
}

type Span = { readonly start: number; readonly end: number };

/**
 * A fan-out whose tasks move: the array's statements go, and the combinator becomes
 * `helper(items, <prefix><text of `moved`, with the edits inside it><suffix>, { concurrency })`.
 */
interface MovedSite {
  readonly call: K.CallExpressionKind;
  readonly helper: string;
  readonly removals: readonly Edit[];
  readonly items: string;
  readonly moved: Span;
  readonly prefix: string;
  readonly suffix: string;
  /** Columns to take off the moved text's later lines (0 when a line is less indented, or a template spans lines). */
  readonly dedent: number;
}

function indentAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** Takes `by` columns of indentation off every line but the first, when each can lose them. */
function dedentLater(moved: string, by: number): string {
  if (by <= 0) return moved;
  const [first, ...rest] = moved.split('\n');
  if (rest.some((line) => line.trim() !== '' && !/^[ \t]*$/.test(line.slice(0, by)))) return moved;
  return [first, ...rest.map((line) => (line.trim() === '' ? line : line.slice(by)))].join('\n');
}

type Node = { type: string; [key: string]: unknown };

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

const FUNCTIONS = new Set([
  'ArrowFunctionExpression',
  'FunctionExpression',
  'FunctionDeclaration',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

/** Whether `node` (not descending into nested functions when `skipFunctions`) has a node `test` accepts. */
function contains(node: unknown, test: (node: Node) => boolean, skipFunctions = false): boolean {
  if (!isNode(node)) return false;
  if (test(node)) return true;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'comments' || key === 'leadingComments' || key === 'trailingComments' || key === 'extra') continue;
    for (const child of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (isNode(child) && !(skipFunctions && FUNCTIONS.has(child.type)) && contains(child, test, skipFunctions)) return true;
    }
  }
  return false;
}

function readsAny(node: unknown, names: ReadonlySet<string>): boolean {
  return names.size > 0 && contains(node, (n) => n.type === 'Identifier' && names.has(n.name as string));
}

function unwrap(node: K.ExpressionKind): K.ExpressionKind {
  let current = node as Node;
  while (
    ['TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'ParenthesizedExpression'].includes(current.type)
  ) {
    current = current.expression as Node;
  }
  return current as unknown as K.ExpressionKind;
}

/**
 * An expression whose evaluation runs no code of anyone's and cannot yield: literals, plain
 * names, functions (creating one runs nothing), and arrays / objects of those. No calls, no
 * member reads (a getter may run), no templates or operators on names (valueOf may run).
 */
function isPureExpression(node: unknown): boolean {
  if (!isNode(node)) return false;
  switch (node.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
    case 'NullLiteral':
    case 'BigIntLiteral':
    case 'RegExpLiteral':
    case 'Identifier':
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
      return true;
    case 'TemplateLiteral':
      return (node.expressions as unknown[]).length === 0;
    case 'UnaryExpression':
      return (
        (['!', 'typeof', 'void'].includes(node.operator as string) ||
          (['-', '+'].includes(node.operator as string) && (node.argument as Node).type === 'NumericLiteral')) &&
        isPureExpression(node.argument)
      );
    case 'ArrayExpression':
      return (node.elements as unknown[]).every((element) => element === null || isPureExpression(element));
    case 'ObjectExpression':
      return (node.properties as Node[]).every(
        (property) =>
          property.computed !== true &&
          (property.type === 'ObjectMethod' || (property.type === 'ObjectProperty' && isPureExpression(property.value))),
      );
    case 'TSAsExpression':
    case 'TSSatisfiesExpression':
    case 'TSNonNullExpression':
    case 'TSTypeAssertion':
    case 'ParenthesizedExpression':
      return isPureExpression(node.expression);
    default:
      return false;
  }
}

/** A statement that only declares: `const` / `let` of pure values, a function, a type. */
function isPureDeclaration(statement: Node): boolean {
  switch (statement.type) {
    case 'VariableDeclaration':
      return (
        (statement.kind === 'const' || statement.kind === 'let') &&
        (statement.declarations as Node[]).every(
          (d) => (d.id as Node).type === 'Identifier' && (d.init == null || isPureExpression(d.init)),
        )
      );
    case 'FunctionDeclaration':
    case 'TSTypeAliasDeclaration':
    case 'TSInterfaceDeclaration':
    case 'EmptyStatement':
      return true;
    default:
      return false;
  }
}

function declaredNames(statement: Node): string[] {
  if (statement.type === 'VariableDeclaration') return (statement.declarations as Node[]).map((d) => (d.id as Node).name as string);
  if (statement.type === 'FunctionDeclaration' && isNode(statement.id)) return [statement.id.name as string];
  return [];
}

/**
 * The statement a combinator heads: `await Promise.all(ps);`, `return Promise.all(ps);`,
 * `const r = await Promise.all(ps);`, `r = await Promise.all(ps);`, optionally chained
 * (`.then(…)`). Undefined when its statement evaluates anything before the combinator.
 */
function hostStatement(path: ASTPath): ASTPath | undefined {
  let child: ASTPath = path;
  for (let parent = path.parent as ASTPath | null; parent != null; child = parent, parent = parent.parent as ASTPath | null) {
    const node = parent.node as unknown as Node;
    switch (node.type) {
      case 'AwaitExpression':
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'ParenthesizedExpression':
        continue;
      case 'MemberExpression':
        if (node.object === child.node && node.computed !== true) continue;
        return undefined;
      case 'CallExpression':
        if (node.callee === child.node) continue;
        return undefined;
      case 'ExpressionStatement':
      case 'ReturnStatement':
        return parent;
      case 'VariableDeclarator': {
        const declaration = parent.parent as ASTPath<K.VariableDeclarationKind>;
        return node.init === child.node && declaration.node.declarations.length === 1 ? declaration : undefined;
      }
      case 'AssignmentExpression':
        return node.right === child.node &&
          (node.left as Node).type === 'Identifier' &&
          (parent.parent as ASTPath).node.type === 'ExpressionStatement'
          ? (parent.parent as ASTPath)
          : undefined;
      default:
        return undefined;
    }
  }
  return undefined;
}

/**
 * The uses of the `const` / `let` binding `name` declared at `declaration` (its own id
 * included), counted in `block`, the only place a block-scoped binding is visible. ast-types
 * scopes stop at functions, so a same-named binding in a block nested in `block` counts too:
 * that can only make the count too high, never too low.
 */
function usesOf(j: JSCodeshift, block: Collection, declaration: ASTPath, name: string): number {
  // null for a binding in `catch {}`, whose declarations ast-types puts in no scope: the
  // uses in `block` that resolve to null are then that binding's.
  const scope = lookupScope(declaration, name);
  if (scope === undefined) return Number.POSITIVE_INFINITY;
  let count = 0;
  block.find(j.Identifier, { name }).forEach((path) => {
    const parent = (path.parent as ASTPath | null)?.node as Node | undefined;
    if (parent !== undefined) {
      const isKey =
        (parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') &&
        parent.property === path.node &&
        parent.computed !== true;
      const isPropertyKey =
        (parent.type === 'ObjectProperty' || parent.type === 'ClassProperty') &&
        parent.key === path.node &&
        parent.computed !== true &&
        parent.shorthand !== true;
      if (isKey || isPropertyKey) return;
    }
    if (lookupScope(path, name) === scope) count++;
  });
  return count;
}

function isPlainArrayCall(node: K.ExpressionKind): node is K.CallExpressionKind {
  return mappedParts(node) !== undefined;
}

/**
 * `const ps = xs.map(fn)` or `const ps = []` + a push loop, for `Promise.<method>(ps)`: the
 * moved site, or why it cannot move.
 */
// eslint-disable-next-line max-lines-per-function -- one chain of refusals over the held fan-out's statements, each reason tied to the index found before it; splitting passes that state through every step
function heldFanOut(
  j: JSCodeshift,
  text: string,
  limiters: Limiters,
  comments: readonly Span[],
  path: ASTPath<K.CallExpressionKind>,
  name: string,
  helper: string,
): MovedSite | string {
  const host = hostStatement(path);
  if (host === undefined)
    return `\`Promise.all(${name})\` is not the first thing its statement evaluates; something before it could observe the tasks`;
  const body = ((host.parent as ASTPath | null)?.node as { body?: unknown } | undefined)?.body;
  if (!Array.isArray(body)) return `\`${name}\` is not declared in the same block as the fan-out`;
  const statements = body as Node[];
  const hostIndex = statements.indexOf(host.node as unknown as Node);
  const declIndex = statements.findIndex(
    (statement, index) =>
      index < hostIndex &&
      statement.type === 'VariableDeclaration' &&
      (statement.declarations as Node[]).some((d) => (d.id as Node).type === 'Identifier' && (d.id as Node).name === name),
  );
  if (declIndex === -1) return `\`${name}\` is not declared in the same block as the fan-out`;
  const declaration = statements[declIndex]! as unknown as K.VariableDeclarationKind;
  if (declaration.declarations.length !== 1 || (declaration.kind !== 'const' && declaration.kind !== 'let')) {
    return `\`${name}\` is declared together with other variables or with \`var\``;
  }
  const declarator = declaration.declarations[0] as K.VariableDeclaratorKind;
  const init = declarator.init == null ? undefined : unwrap(declarator.init);
  const declaratorPath = j(host.parent as ASTPath)
    .find(j.VariableDeclarator)
    .filter((p) => p.node === declarator)
    .paths()[0];
  if (init === undefined || declaratorPath === undefined) return `\`${name}\` has no initial value`;
  const isLoop = init.type === 'ArrayExpression' && init.elements.length === 0;
  if (!isLoop && !isPlainArrayCall(init)) return `\`${name}\` is not built by \`xs.map(fn)\`, \`Array.from(xs, fn)\` or a push loop`;

  const uses = usesOf(j, j(host.parent as ASTPath), declaratorPath, name);
  if (uses !== (isLoop ? 3 : 2)) return `\`${name}\` is used elsewhere; its tasks may be awaited or observed there`;

  let moved: Span;
  let items: string;
  let prefix = '';
  let suffix = '';
  let movedNode: unknown;
  const removals: Edit[] = [];
  const removeOrReason = (statement: unknown, what: string): string | undefined => {
    const edit = removeStatementLines(text, statement);
    if (typeof edit === 'string') return `${what}: ${edit}`;
    removals.push(edit);
    return undefined;
  };
  let loopIndex = -1;
  if (!isLoop) {
    const reason = refusal(text, init, limiters, lookupScope(path, 'Array') === null);
    if (reason !== undefined) return reason;
    const mapCall = init as K.CallExpressionKind;
    const parts = mappedParts(mapCall)!;
    const itemsNode = parts.items;
    moved = span(parts.fn);
    items = textOf(text, itemsNode);
    movedNode = mapCall;
    const whole = span(declaration);
    if (hasCommentIn(comments, whole.start, whole.end, [span(itemsNode), moved]))
      return `a comment in the declaration of \`${name}\` would be lost`;
    const failed = removeOrReason(declaration, `the declaration of \`${name}\` cannot be removed cleanly`);
    if (failed !== undefined) return failed;
  } else {
    loopIndex = declIndex + 1;
    const loop = statements[loopIndex];
    if (loop?.type === 'ForOfStatement' && loop.await === true)
      return '`for await` takes items as they arrive; mapBounded would read the source differently';
    if (loop?.type !== 'ForOfStatement') return `\`${name}\` is not filled by a \`for (const x of xs)\` loop right after its declaration`;
    const left = loop.left as Node;
    const declarations = left.declarations as Node[] | undefined;
    if (left.type !== 'VariableDeclaration' || (left.kind !== 'const' && left.kind !== 'let') || declarations?.length !== 1) {
      return 'the loop does not declare its own `const` / `let` variable';
    }
    const right = unwrap(loop.right as K.ExpressionKind);
    if (!isPlainMemberChain(right)) return 'the loop iterates something other than an identifier or member expression';
    let statement = loop.body as Node;
    if (statement.type === 'BlockStatement') {
      const inner = statement.body as Node[];
      if (inner.length !== 1) return `the loop body does more than \`${name}.push(…)\``;
      statement = inner[0]!;
    }
    const push = statement.type === 'ExpressionStatement' ? (statement.expression as K.ExpressionKind) : undefined;
    if (push?.type !== 'CallExpression' || memberName(push.callee, name) !== 'push')
      return `the loop body does more than \`${name}.push(…)\``;
    if (push.arguments.length !== 1 || push.arguments[0]!.type === 'SpreadElement') return `the loop pushes other than one task per turn`;
    const pushed = push.arguments[0] as K.ExpressionKind;
    const value = unwrap(pushed);
    if (
      value.type === 'Identifier' ||
      value.type === 'MemberExpression' ||
      value.type === 'OptionalMemberExpression' ||
      value.type.endsWith('Literal')
    ) {
      return 'the loop collects promises that already exist; it starts no work to bound';
    }
    if (contains(pushed, (n) => n.type === 'AwaitExpression' || n.type === 'YieldExpression', true)) {
      return 'the pushed expression awaits inside the loop; the loop already waits between tasks';
    }
    moved = span(pushed);
    items = textOf(text, right);
    movedNode = loop;
    const whole = span(loop);
    if (hasCommentIn(comments, whole.start, whole.end, [moved])) return 'a comment in the loop would be lost';
    const declSpan = span(declaration);
    if (hasCommentIn(comments, declSpan.start, declSpan.end)) return `a comment in the declaration of \`${name}\` would be lost`;
    const id = declarations[0]!.id as Node;
    const param = textOf(text, id);
    prefix = `(${param}) => ${value.type === 'ObjectExpression' ? '(' : ''}`;
    suffix = value.type === 'ObjectExpression' ? ')' : '';
    const failed =
      removeOrReason(declaration, `the declaration of \`${name}\` cannot be removed cleanly`) ??
      removeOrReason(loop, 'the loop cannot be removed cleanly');
    if (failed !== undefined) return failed;
  }

  // Between the array and the combinator: only declarations that run nothing, and none the
  // moved code reads (it would now run after them, where it ran before them).
  const movedIndex = isLoop ? loopIndex : declIndex;
  const later = new Set<string>();
  for (let index = declIndex + 1; index < hostIndex; index++) {
    if (index === loopIndex) continue;
    const statement = statements[index]!;
    if (!isPureDeclaration(statement)) {
      return `statements between \`${name}\` and the fan-out could observe its tasks having started; moving their start is not provably safe`;
    }
    if (index > movedIndex) for (const declared of declaredNames(statement)) later.add(declared);
  }
  if (readsAny(movedNode, later))
    return `the ${isLoop ? 'loop' : 'map'} reads a name declared after it; moving it would change what it sees`;
  const multilineTemplate = contains(
    movedNode,
    (n) => n.type === 'TemplateLiteral' && (n.quasis as Node[]).some((q) => String((q.value as { raw: string }).raw).includes('\n')),
  );
  const dedent = multilineTemplate ? 0 : indentAt(text, moved.start).length - indentAt(text, span(host.node).start).length;
  return { call: path.node, helper, removals, items, moved, prefix, suffix, dedent };
}

export default function transformer(file: FileInfo, api: API, options: TransformOptions = {}): string | null {
  const j = api.jscodeshift;
  const text = file.source;
  const root = parseForTextEdits(j, text);
  const policy = policyFor(file.path, options);
  const concurrency = policy.defaults.concurrency;
  const report = skipReporter(api, file.path, 'bound-promise-all');

  const comments = commentSpans(root);
  const limiters = limitersOf(j, root, policy.lint.limiters);
  // Under `bounded migrate`: the fan-outs bounded/no-unbounded-concurrency reports (see
  // TransformOptions.reportedFanOuts); run alone, the transform's own checks decide.
  const flagged = options.reportedFanOuts?.(file.path, text, policy);
  /** Why the rule's verdict keeps `call` as it is, if it does. */
  const accepted = (call: K.CallExpressionKind): string | undefined => {
    const at = call.loc === null || call.loc === undefined ? undefined : `${call.loc.start.line}:${call.loc.start.column + 1}`;
    return flagged === undefined || at === undefined || flagged.has(at)
      ? undefined
      : 'bounded/no-unbounded-concurrency accepts this fan-out as bounded';
  };
  const sites: { call: K.CallExpressionKind; helper: string }[] = [];
  const movedSites: MovedSite[] = [];
  root.find(j.CallExpression).forEach((path) => {
    const call = path.node;
    const method = memberName(call.callee, 'Promise');
    if (method === undefined || !(method in REPLACEMENTS) || !isUnshadowed(path, 'Promise')) return;
    if (call.arguments.length !== 1) return;
    const argument = call.arguments[0]!;
    const helper = REPLACEMENTS[method]!;
    if (argument.type === 'Identifier') {
      const held = heldFanOut(j, text, limiters, comments, path, argument.name, helper);
      const reason = typeof held === 'string' ? held : accepted(call);
      if (reason !== undefined) report(call, reason);
      else movedSites.push(held as MovedSite);
      return;
    }
    const reason = refusal(text, argument, limiters, lookupScope(path, 'Array') === null) ?? accepted(call);
    if (reason !== undefined) {
      report(call, reason);
      return;
    }
    sites.push({ call, helper });
  });
  const all = [...sites, ...movedSites];
  if (all.length === 0) return null;

  const helpers = [...new Set(all.map((site) => site.helper))].sort();
  const from = runtimeModuleFor(runtimeTarget(file.path, text, options, policy), helpers);
  if ('refusal' in from) {
    for (const { call } of all) report(call, from.refusal);
    return null;
  }
  const { locals, edits, conflicts } = ensureNamedImports(j, text, root, helpers, from.module);
  if (conflicts.length > 0) {
    for (const { call } of all)
      report(call, `the file already uses the name ${conflicts.map((name) => `\`${name}\``).join(', ')} for something else`);
    return null;
  }
  let pending: Edit[] = [...edits];
  for (const { call, helper } of sites) pending.push(...rewrite(text, call, locals.get(helper)!, concurrency));
  // Innermost first: a moved callback carries the edits made inside it to its new place.
  for (const site of [...movedSites].sort((a, b) => a.moved.end - a.moved.start - (b.moved.end - b.moved.start))) {
    const inside = pending.filter((edit) => edit.start >= site.moved.start && edit.end <= site.moved.end);
    pending = pending.filter((edit) => !inside.includes(edit));
    const shifted = inside.map((edit) => ({ ...edit, start: edit.start - site.moved.start, end: edit.end - site.moved.start }));
    const fn = dedentLater(applyEdits(text.slice(site.moved.start, site.moved.end), shifted, HOUSE_STYLE), site.dedent);
    const call = span(site.call);
    pending.push(...site.removals, {
      start: call.start,
      end: call.end,
      text: `${locals.get(site.helper)!}(${site.items}, ${site.prefix}${fn}${site.suffix}, { concurrency: ${concurrency} })`,
    });
  }
  return applyEdits(text, pending);
}
