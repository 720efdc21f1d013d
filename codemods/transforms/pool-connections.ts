/**
 * pool-connections: moves the per-call connections `bounded/no-per-call-connection` flags onto
 * one shared pool from bounded's runtime.
 *
 *   const client = new Client(cfg); await client.connect(); … await client.end();
 *     one query                → `db().query(…)`
 *     several queries          → `await db().withClient(async (client) => { … })`
 *     BEGIN … COMMIT           → `await db().transaction(async (client) => { … })`
 *   const pool = new Pool(cfg) in a function, queried and ended → `db().query(…)`
 *
 * with `const db = () => getPool('<name>', { …cfg, min, max })` declared once at module scope
 * (min and max from the policy). The accessor is lazy on purpose: the config is read when the
 * first call needs it, as the per-call code read it, so environment loaded at start-up (dotenv)
 * still applies; `getPool` returns the same pool on every call after the first.
 *
 * The pool's name comes from the connection string's environment variable (`DATABASE_URL` →
 * "main", `ANALYTICS_DB_URL` → "analytics", or the policy pool that reads that variable).
 * A config that uses a value of the call (a parameter, a local) cannot be shared and is left
 * alone; so is a client that escapes (returned, stored, passed on, listened to), and any shape
 * whose rewrite could change what runs. Each refusal is reported with file:line:col and why.
 */
import { extname } from 'node:path';
import type { API, ASTPath, Collection, FileInfo, JSCodeshift } from 'jscodeshift';
import type * as K from 'ast-types/gen/kinds.js';
import { applyEdits, ensureNamedImports, leadingComments, programOf, RUNTIME_MODULE, span, textOf, type Edit } from '../utils/imports.js';
import { HOUSE_STYLE } from '../utils/style.js';
import { policyFor, type TransformOptions } from '../utils/policy.js';
import { runtimeModuleFor, runtimeTarget } from '../utils/runtime-module.js';
import { isReference, poolNeed, Refusal, sqlText, type PoolNeed } from '../utils/pool-config.js';
import { calleeRoot, pgClassOf, pgNames, unusedPgImports, type PgClass, type PgNames } from '../utils/pool-pg.js';
import { deleteStatement, indentAt, indentUnit, lineAfter, lineStartOf, ownsLines, reindent, type Protected } from '../utils/pool-text.js';
import { parseForTextEdits } from '../utils/text-edits.js';
import { skipReporter } from '../utils/report.js';

/** jscodeshift's CLI parses every file with this; the transform itself re-parses by extension. */
export const parser = 'ts';

/** The parser for a file: `tsx` for .tsx / .jsx, `ts` for .ts / .mts / .cts, `babel` otherwise. */
export function parserFor(path: string): 'ts' | 'tsx' | 'babel' {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsx' || ext === '.jsx') return 'tsx';
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  return 'babel';
}

type Node = K.NodeKind;
type Statement = K.StatementKind;

const BEGIN = /^\s*(?:begin|start\s+transaction)\b/i;
const COMMIT = /^\s*(?:commit|end)(?:\s+(?:work|transaction))?\s*;?\s*$/i;
const ROLLBACK = /^\s*rollback(?:\s+(?:work|transaction))?\s*;?\s*$/i;
/** Statements that control a transaction or the session, and so need one client. */
const SESSION = /^\s*(?:begin|start|commit|end|rollback|savepoint|release|set|lock|prepare|listen|declare)\b/i;
const WRAPPERS = new Set(['TSAsExpression', 'TSNonNullExpression', 'ParenthesizedExpression', 'TSSatisfiesExpression']);
const LOOPS = new Set(['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement']);
const FUNCTIONS = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

type Mode = 'query' | 'withClient' | 'transaction';

interface Site {
  readonly node: K.NewExpressionKind;
  readonly need: PoolNeed;
  readonly root: string | undefined;
  /** The top-level statement holding the site: the accessor goes above it. */
  readonly top: Statement;
  /** Edits for the site, given the source text that reaches the pool (`db()`). */
  readonly build: (ref: string) => Edit[];
}

/** The name of an identifier-like node; '' for anything else. */
function nameOf(node: unknown): string {
  const name = (node as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name : '';
}

/** A path's parent (jscodeshift types it `any`). */
function parentPath(path: ASTPath): ASTPath | null {
  return path.parent as ASTPath | null;
}

function isFunction(node: Node): boolean {
  return FUNCTIONS.has(node.type);
}

/** `await v.method(…)` / `v.method(…)` / `void v.method(…)` as a statement: the call, else undefined. */
function statementCall(statement: Node, name: string, method: string): K.CallExpressionKind | undefined {
  if (statement.type !== 'ExpressionStatement') return undefined;
  let expression: Node = statement.expression;
  if (expression.type === 'AwaitExpression' && expression.argument) expression = expression.argument;
  else if (expression.type === 'UnaryExpression' && expression.operator === 'void') expression = expression.argument;
  if (expression.type !== 'CallExpression') return undefined;
  const callee = expression.callee;
  if (callee.type !== 'MemberExpression' || callee.computed || callee.object.type !== 'Identifier' || callee.object.name !== name)
    return undefined;
  return callee.property.type === 'Identifier' && callee.property.name === method ? expression : undefined;
}

/**
 * The `transaction` options a BEGIN asks for: '' for a plain BEGIN, `, { isolation: 'serializable' }`
 * for `BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY`…; undefined for anything the runtime's
 * transaction cannot say (READ UNCOMMITTED, DEFERRABLE), which then stays a statement.
 */
function beginOptions(sql: string): string | undefined {
  const words = sql.trim().replace(/;$/, '').replace(/,/g, ' ').replace(/\s+/g, ' ').toLowerCase();
  const head = /^(?:begin|start transaction)(?: work| transaction)?/.exec(words);
  if (head === null) return undefined;
  let rest = words.slice(head[0].length);
  const options: string[] = [];
  const level = / isolation level (serializable|repeatable read|read committed)/.exec(rest);
  if (level !== null) {
    options.push(`isolation: '${level[1]}'`);
    rest = rest.replace(level[0], '');
  }
  if (rest.includes(' read only')) {
    options.push('readOnly: true');
    rest = rest.replace(' read only', '');
  }
  rest = rest.replace(' read write', '');
  if (rest.trim() !== '') return undefined;
  return options.length === 0 ? '' : `, { ${options.join(', ')} }`;
}

function sqlStatement(statement: Node | undefined, name: string, pattern: RegExp): boolean {
  if (statement === undefined) return false;
  const call = statementCall(statement, name, 'query');
  if (call === undefined || call.arguments.length !== 1) return false;
  const sql = sqlText(call.arguments[0]);
  return sql !== undefined && pattern.test(sql);
}

/** Paths of nodes in `nodes` (themselves included) that pass `test`, not inside a nested function. */
function ownNodes(j: JSCodeshift, nodes: readonly Node[], test: (node: Node) => boolean): ASTPath[] {
  const found: ASTPath[] = [];
  for (const node of nodes) {
    j(node as never)
      .find(j.Node)
      .forEach((path) => {
        if (!test(path.node as Node)) return;
        for (let up = path.parent as ASTPath | null; up !== null; up = up.parent as ASTPath | null) {
          if (isFunction(up.node as Node)) return;
        }
        found.push(path as ASTPath);
      });
  }
  return found;
}

/** Whether a `break` / `continue` in `nodes` would leave them (its loop or switch is outside). */
function jumpsOut(j: JSCodeshift, nodes: readonly Node[]): boolean {
  return ownNodes(j, nodes, (node) => node.type === 'BreakStatement' || node.type === 'ContinueStatement').some((path) => {
    const jump = path.node as K.BreakStatementKind | K.ContinueStatementKind;
    if (jump.label != null) return true;
    for (let up: ASTPath | null = path.parent as ASTPath | null; up !== null; up = up.parent as ASTPath | null) {
      if (nodes.includes(up.node as Node)) return true;
      if (LOOPS.has(up.node.type) || (jump.type === 'BreakStatement' && up.node.type === 'SwitchStatement')) return false;
    }
    return true;
  });
}

/** Names a statement list declares at its own level. */
function declaredNames(statements: readonly Statement[]): { names: string[]; mutable: boolean } {
  const names: string[] = [];
  let mutable = false;
  const collect = (pattern: Node | null | undefined): void => {
    if (pattern == null) return;
    if (pattern.type === 'Identifier') names.push(pattern.name);
    else if (pattern.type === 'ObjectPattern') {
      for (const property of pattern.properties)
        collect(
          property.type === 'RestElement' || property.type === 'RestProperty' ? property.argument : (property as { value: Node }).value,
        );
    } else if (pattern.type === 'ArrayPattern') for (const element of pattern.elements) collect(element);
    else if (pattern.type === 'AssignmentPattern') collect(pattern.left);
    else if (pattern.type === 'RestElement') collect(pattern.argument);
  };
  for (const statement of statements) {
    if (statement.type === 'VariableDeclaration') {
      if (statement.kind !== 'const') mutable = true;
      for (const declarator of statement.declarations) collect((declarator as K.VariableDeclaratorKind).id);
    } else if ((statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') && statement.id != null) {
      names.push(nameOf(statement.id));
    }
  }
  return { names, mutable };
}

function identifierNames(j: JSCodeshift, nodes: readonly Node[]): Set<string> {
  const names = new Set<string>();
  for (const node of nodes)
    j(node as never)
      .find(j.Identifier)
      .forEach((path) => void names.add(path.node.name));
  return names;
}

type ProgramNode = ReturnType<typeof programOf>;

type Report = (node: { loc?: { start: { line: number; column: number } } | null }, reason: string) => void;

/** A pool the file is given: the statement it goes above, what it needs and the accessor's name. */
interface FreshPool {
  readonly at: Statement;
  readonly need: PoolNeed;
  readonly local: string;
}

export default function transformer(file: FileInfo, api: API, options: TransformOptions = {}): string | null {
  const j = api.jscodeshift.withParser(parserFor(file.path));
  const text = file.source;
  const root = parseForTextEdits(j, text);
  const report: Report = skipReporter(api, file.path, 'pool-connections');
  const names = pgNames(root);
  if (names.classes.size === 0 && names.modules.size === 0) return null;
  const policy = policyFor(file.path, options);
  const program = programOf(root);

  const sites = findSites(j, text, root, names, policy, report);
  if (sites.length === 0) return null;
  const accepted = oneConfigPerName(sites, report);
  if (accepted.length === 0) return null;
  const { refs, fresh } = poolRefs(j, program, accepted);

  // A client created inside another one's rewritten block waits for the next run.
  const siteEdits: Edit[] = [];
  const used = new Set<string>();
  const built: Site[] = [];
  for (const site of accepted) {
    const own = site.build(refs.get(site.need.name)!);
    const clash = own.some((a) => siteEdits.some((b) => a.start < b.end && b.start < a.end));
    if (clash) {
      report(site.node, 'it lies inside the code of another connection this run rewrites; run the transform again afterwards');
      continue;
    }
    siteEdits.push(...own);
    used.add(site.need.name);
    built.push(site);
  }
  if (built.length === 0) return null;
  const edits: Edit[] = [];
  const declarations = [...fresh.values()].filter(({ need }) => used.has(need.name));
  if (declarations.length > 0) {
    const accessors = accessorEdits(j, file, options, { text, root, program, names, policy }, declarations, built, report);
    if (accessors === null) return null;
    edits.push(...accessors);
  }
  edits.push(...siteEdits);
  edits.push(
    ...unusedPgImports(
      j,
      text,
      root,
      names,
      built.map((site) => site.root),
    ),
  );
  return applyEdits(text, edits);
}

/** Every `new Client()` / `new Pool()` of pg's own that can move to a shared pool; the others are reported. */
function findSites(
  j: JSCodeshift,
  text: string,
  root: Collection,
  names: PgNames,
  policy: ReturnType<typeof policyFor>,
  report: Report,
): Site[] {
  const unit = indentUnit(text);
  const templates: Protected = root
    .find(j.TemplateLiteral)
    .nodes()
    .map((node) => span(node));
  const sites: Site[] = [];
  root.find(j.NewExpression).forEach((path) => {
    const kind = pgClassOf(path.node.callee, names);
    if (kind === undefined) return;
    const rootName = calleeRoot(path.node.callee);
    // The class must be the module-level binding, not a local of the same name.
    const scope = (path.scope as { lookup(name: string): { isGlobal: boolean } | null } | null)?.lookup(rootName ?? '');
    if (scope != null && !scope.isGlobal) return;
    const outcome = analyze(j, text, path, kind, unit, templates, policy);
    if (outcome === undefined) return;
    if (outcome instanceof Refusal) {
      report(path.node, outcome.reason);
      return;
    }
    let top: ASTPath = path;
    for (let next = parentPath(top); next !== null && next.node.type !== 'Program'; next = parentPath(next)) top = next;
    sites.push({ ...outcome, node: path.node, root: rootName, top: top.node as Statement });
  });
  return sites;
}

/** One config per pool name in a file; a second config for the same name is refused. */
function oneConfigPerName(sites: readonly Site[], report: Report): Site[] {
  const byName = new Map<string, PoolNeed>();
  const accepted: Site[] = [];
  for (const site of sites) {
    const known = byName.get(site.need.name);
    if (known !== undefined && known.key !== site.need.key) {
      report(
        site.node,
        `pool "${site.need.name}" already gets a different connection config in this file; give this one its own pool by hand`,
      );
      continue;
    }
    byName.set(site.need.name, site.need);
    accepted.push(site);
  }
  return accepted;
}

/** Reuse a module-level accessor or pool that already exists: `const db = () => getPool('main', …)`. */
function existingPools(program: ProgramNode): Map<string, string> {
  const runtimeLocals = new Map<string, string>();
  for (const statement of program.body) {
    if (statement.type !== 'ImportDeclaration' || statement.source.value !== RUNTIME_MODULE) continue;
    for (const spec of statement.specifiers ?? []) {
      if (spec.type === 'ImportSpecifier') runtimeLocals.set(nameOf(spec.local), (spec.imported as { name: string }).name);
    }
  }
  const existing = new Map<string, string>();
  for (const statement of program.body) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type !== 'VariableDeclaration' || declaration.kind !== 'const' || declaration.declarations.length !== 1) continue;
    const declarator = declaration.declarations[0] as K.VariableDeclaratorKind;
    if (declarator.id.type !== 'Identifier' || declarator.init == null) continue;
    let init: Node = declarator.init;
    let call = '';
    if (init.type === 'ArrowFunctionExpression' && init.params.length === 0 && init.body.type === 'CallExpression') {
      init = init.body;
      call = '()';
    }
    if (init.type !== 'CallExpression' || init.callee.type !== 'Identifier' || runtimeLocals.get(init.callee.name) !== 'getPool') continue;
    const poolName = sqlText(init.arguments[0]);
    if (poolName !== undefined && !existing.has(poolName)) existing.set(poolName, `${declarator.id.name}${call}`);
  }
  return existing;
}

/** The text that reaches each pool (`db()`), an existing accessor or a fresh one named after the pool. */
function poolRefs(
  j: JSCodeshift,
  program: ProgramNode,
  accepted: readonly Site[],
): { refs: Map<string, string>; fresh: Map<string, FreshPool> } {
  const existing = existingPools(program);
  const taken = identifierNames(j, [program]);
  const refs = new Map<string, string>();
  const fresh = new Map<string, FreshPool>();
  for (const site of accepted) {
    if (refs.has(site.need.name)) continue;
    const reuse = existing.get(site.need.name);
    if (reuse !== undefined) {
      refs.set(site.need.name, reuse);
      continue;
    }
    const base = site.need.name === 'main' ? 'db' : `${site.need.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Db`;
    let local = base;
    for (let n = 2; taken.has(local); n++) local = `${base}${n}`;
    taken.add(local);
    refs.set(site.need.name, `${local}()`);
    fresh.set(site.need.name, { at: site.top, need: site.need, local });
  }
  return { refs, fresh };
}

/** The import (or require) of getPool and the fresh accessors; null when they cannot be added (reported on every site). */
function accessorEdits(
  j: JSCodeshift,
  file: FileInfo,
  options: TransformOptions,
  parsed: {
    readonly text: string;
    readonly root: Collection;
    readonly program: ProgramNode;
    readonly names: PgNames;
    readonly policy: ReturnType<typeof policyFor>;
  },
  declarations: readonly FreshPool[],
  built: readonly Site[],
  report: Report,
): Edit[] | null {
  const { text, root, program, names, policy } = parsed;
  const edits: Edit[] = [];
  const from = runtimeModuleFor(runtimeTarget(file.path, text, options, policy), ['getPool']);
  if ('refusal' in from) {
    for (const site of built) report(site.node, from.refusal);
    return null;
  }
  const imports = ensureNamedImports(j, text, root, ['getPool'], from.module);
  if (imports.conflicts.length > 0) {
    for (const site of built)
      report(site.node, `the file already uses the name ${imports.conflicts.map((name) => `\`${name}\``).join(', ')} for something else`);
    return null;
  }
  // A CommonJS file (pg came in through require, no import anywhere) gets a require too.
  const required = [...names.bindings.values()].find((binding) => binding.declaration.type === 'VariableDeclaration')?.declaration;
  const esm = program.body.some((statement) => /^(?:Import|Export)/.test(statement.type));
  if (required !== undefined && !esm) {
    const at = lineAfter(text, span(required).end);
    edits.push({
      start: at,
      end: at,
      text: `${at === text.length && !text.endsWith('\n') ? '\n' : ''}const { getPool } = require('${RUNTIME_MODULE}');\n`,
    });
  } else edits.push(...imports.edits);
  const getPool = imports.locals.get('getPool')!;
  for (const { at, need, local } of declarations) {
    const offset = lineStartOf(text, leadingStart(text, at));
    const config = need.config === undefined ? '' : `, ${need.config}`;
    edits.push({ start: offset, end: offset, text: `const ${local} = () => ${getPool}('${need.name}'${config});\n\n` });
  }
  return edits;
}

/** Where a top-level statement starts, including the comments directly above it. */
function leadingStart(text: string, statement: Statement): number {
  let at = span(statement).start;
  for (const comment of leadingComments(text, statement).reverse()) {
    if (/\n[ \t]*\r?\n/.test(text.slice(span(comment).end, at))) break;
    at = span(comment).start;
  }
  return at;
}

/** Offset of `offset` after `edits` (none of which spans it) are applied. */
function shifted(offset: number, edits: readonly Edit[]): number {
  let delta = 0;
  for (const edit of edits) if (edit.end <= offset) delta += edit.text.length - (edit.end - edit.start);
  return offset + delta;
}

/** `text.slice(start, end)` with the `inner` edits inside it applied, then re-indented. */
function region(
  text: string,
  start: number,
  end: number,
  inner: readonly Edit[],
  templates: Protected,
  change: { add?: string; remove?: string },
): string | undefined {
  const local = inner
    .filter((edit) => edit.start >= start && edit.end <= end)
    .map((edit) => ({ ...edit, start: edit.start - start, end: edit.end - start }));
  const edited = applyEdits(text.slice(start, end), local, HOUSE_STYLE);
  const keep = templates
    .filter((range) => range.end > start && range.start < end)
    .map((range) => ({ start: shifted(range.start - start, local), end: shifted(range.end - start, local) }));
  return reindent(edited, 0, edited.length, keep, change);
}

type Analysis = Omit<Site, 'node' | 'root' | 'top'>;

/** Where the construction is kept: its own `const` / `let` in a block of the function. */
interface Holder {
  readonly id: K.IdentifierKind;
  readonly declaration: K.VariableDeclarationKind;
  readonly block: K.BlockStatementKind;
  readonly name: string;
}

/** Every use of the variable: each one a query, a connect statement or an end statement. */
interface Uses {
  readonly queries: ASTPath<K.CallExpressionKind>[];
  readonly connects: Statement[];
  readonly ends: Statement[];
}

/** Where the client's work sits: inside a try whose finally ends it, or a straight run up to its last end. */
interface Shape {
  readonly connect: Statement | undefined;
  readonly tryShape: K.TryStatementKind | undefined;
  readonly inner: Statement[];
  readonly tail: Statement[];
  readonly lastEnd: Statement | undefined;
}

interface Transaction {
  readonly begin: Statement;
  readonly commit: Statement;
  readonly options: string;
}

/** What the edit builders share for one site. */
interface Plan {
  readonly j: JSCodeshift;
  readonly text: string;
  readonly unit: string;
  readonly templates: Protected;
  readonly config: PoolNeed;
  readonly kind: PgClass;
  readonly fn: K.FunctionKind;
  readonly holder: Holder;
  readonly uses: Uses;
  readonly shape: Shape;
  readonly deleteConnect: Edit[];
  readonly otherEnds: Edit[];
  readonly returns: boolean;
}

/** Decides what to do with one `new Client()` / `new Pool()`; undefined means "not ours, say nothing". */
function analyze(
  j: JSCodeshift,
  text: string,
  path: ASTPath<K.NewExpressionKind>,
  kind: PgClass,
  unit: string,
  templates: Protected,
  policy: ReturnType<typeof policyFor>,
): Analysis | Refusal | undefined {
  const fnPath = perCallFunction(j, path);
  if (fnPath === undefined) return undefined;
  const fn = fnPath.node as K.FunctionKind;
  const what = kind === 'Client' ? 'client' : 'pool';
  const holder = localHolder(j, text, path, fnPath, what);
  if (holder === undefined || holder instanceof Refusal) return holder;
  const uses = collectUses(j, text, fnPath, holder, kind, what);
  if (uses instanceof Refusal) return uses;

  const config = poolNeed(j, text, path, kind, policy);
  if (config instanceof Refusal) return config;
  const shape = shapeOf(text, path, holder, kind, uses, what);
  if (shape instanceof Refusal) return shape;
  const { tryShape, inner, lastEnd, connect } = shape;
  const innerNodes = tryShape === undefined ? inner : [tryShape.block, ...(tryShape.handler ? [tryShape.handler] : [])];
  const { mode, txn } = chooseMode(j, text, holder.name, kind, fn, uses.queries, shape);

  // Control flow that cannot move into a callback.
  if (mode !== 'query') {
    if (!fn.async) return new Refusal("the function is not async; the client's work cannot move into an async callback");
    if (ownNodes(j, innerNodes, (node) => node.type === 'YieldExpression').length > 0)
      return new Refusal('the client is used across a `yield`');
    if (jumpsOut(j, innerNodes)) return new Refusal('a `break` or `continue` leaves the block that uses the client');
  }
  const plan: Plan = {
    j,
    text,
    unit,
    templates,
    config,
    kind,
    fn,
    holder,
    uses,
    shape,
    returns: ownNodes(j, innerNodes, (node) => node.type === 'ReturnStatement').length > 0,
    deleteConnect: connect === undefined ? [] : [deleteStatement(text, connect)],
    otherEnds: uses.ends
      .filter((end) => end !== lastEnd && tryShape?.finalizer?.body.includes(end as never) !== true)
      .map((end) => deleteStatement(text, end)),
  };
  if (mode === 'query') {
    const direct = queryEdits(plan);
    if (direct !== undefined) return direct;
  }
  return callbackEdits(plan, mode === 'transaction' ? 'transaction' : 'withClient', txn);
}

/** The function that constructs the connection on every call; undefined where it runs once (module scope, main(), a constructor). */
function perCallFunction(j: JSCodeshift, path: ASTPath<K.NewExpressionKind>): ASTPath | undefined {
  let fnPath: ASTPath | null = path.parent as ASTPath | null;
  while (fnPath !== null && !isFunction(fnPath.node as Node)) fnPath = fnPath.parent as ASTPath | null;
  if (fnPath === null) return undefined; // module scope: one connection for the process
  // A script's main() or a module-level IIFE opens its connection once; a pool there would
  // keep the process alive after the work is done.
  if (runsOnce(j, fnPath)) return undefined;
  const fn = fnPath.node as K.FunctionKind;
  const method = parentPath(fnPath)?.node as Node | undefined;
  if (fn.type === 'FunctionExpression' && method?.type === 'MethodDefinition' && (method as { kind?: string }).kind === 'constructor')
    return undefined;
  if ((fn.type === 'ClassMethod' || fn.type === 'ClassPrivateMethod') && fn.kind === 'constructor') return undefined;
  return fnPath;
}

/** Where the construction goes: a local of its own, or a refusal saying where it escapes; undefined for a memo. */
function localHolder(
  j: JSCodeshift,
  text: string,
  path: ASTPath<K.NewExpressionKind>,
  fnPath: ASTPath,
  what: string,
): Holder | Refusal | undefined {
  let value: ASTPath = path;
  for (let next = parentPath(value); next !== null && WRAPPERS.has(next.node.type); next = parentPath(next)) value = next;
  const holderPath = parentPath(value)!;
  const parent = holderPath.node as Node;
  if (parent.type === 'AssignmentExpression') {
    if (parent.operator === '??=' || parent.operator === '||=') return undefined; // memoised
    const around = parentPath(holderPath)?.node as Node | undefined;
    if (around?.type === 'LogicalExpression' && around.right === parent && textOf(text, around.left) === textOf(text, parent.left))
      return undefined; // pool ?? (pool = …)
    // `if (!pool) pool = new Pool()`, or an early return on it before: a guarded singleton.
    const target = new RegExp(`(?:^|[^\\w$.])${textOf(text, parent.left).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w$])`);
    const at = span(parent).start;
    if (
      j(fnPath)
        .find(j.IfStatement)
        .some((guard) => span(guard.node).start < at && target.test(textOf(text, guard.node.test)))
    )
      return undefined;
    return new Refusal(
      `the ${what} is stored in \`${textOf(text, parent.left)}\`, which outlives the call; share one pool by hand if it is opened per call`,
    );
  }
  if (parent.type === 'ReturnStatement' || (parent.type === 'ArrowFunctionExpression' && parent.body === value.node))
    return new Refusal(`the ${what} is returned to the caller, who owns it`);
  if (parent.type === 'LogicalExpression') return undefined; // `pool ?? new Pool()`: a memo
  if (parent.type !== 'VariableDeclarator' || parent.id.type !== 'Identifier' || parent.init !== value.node) {
    return new Refusal(`the ${what} is not kept in a local variable`);
  }
  const declaration = parentPath(holderPath)!.node as K.VariableDeclarationKind;
  const block = parentPath(parentPath(holderPath)!)!.node as Node;
  if (declaration.declarations.length !== 1 || declaration.kind === 'var' || block.type !== 'BlockStatement') {
    return new Refusal(`the ${what} is not declared on its own with const or let`);
  }
  const name = parent.id.name;
  if (!ownsLines(text, declaration)) return new Refusal(`\`${name}\` shares its line with other code; cannot move it cleanly`);
  return { id: parent.id, declaration, block, name };
}

/** Every use of the variable in the function; a refusal for the first use that cannot move to a shared pool. */
function collectUses(j: JSCodeshift, text: string, fnPath: ASTPath, holder: Holder, kind: PgClass, what: string): Uses | Refusal {
  const { name } = holder;
  const fn = fnPath.node;
  const declarators = j(fnPath)
    .find(j.VariableDeclarator)
    .filter((d) => d.node.id.type === 'Identifier' && (d.node.id as K.IdentifierKind).name === name);
  if (declarators.length > 1) return new Refusal(`\`${name}\` is declared more than once in this function`);
  const queries: ASTPath<K.CallExpressionKind>[] = [];
  const connects: Statement[] = [];
  const ends: Statement[] = [];
  let refusal: Refusal | undefined;
  j(fnPath)
    .find(j.Identifier, { name })
    .forEach((ref) => {
      if (refusal !== undefined || ref.node === holder.id || !isReference(ref)) return;
      const found = (ref.scope as { lookup(name: string): { node: Node } | null } | null)?.lookup(name);
      if (found != null && found.node !== fn) {
        refusal = new Refusal(`\`${name}\` is redeclared in a nested function`);
        return;
      }
      const memberPath = parentPath(ref)!;
      const callPath = parentPath(memberPath);
      const member = memberPath.node as Node;
      const call = callPath?.node as Node | undefined;
      if (
        member.type === 'MemberExpression' &&
        member.object === ref.node &&
        !member.computed &&
        member.property.type === 'Identifier' &&
        call?.type === 'CallExpression' &&
        call.callee === member
      ) {
        const prop = member.property.name;
        const statement = statementOf(callPath!);
        if (prop === 'query') {
          const args = call.arguments;
          if (args.length === 0 || args.length > 2)
            return void (refusal = new Refusal(`\`${name}.query\` is called with ${args.length} arguments; the pool takes (text, values)`));
          if (
            args.some((arg) => arg.type === 'SpreadElement' || arg.type === 'ArrowFunctionExpression' || arg.type === 'FunctionExpression')
          ) {
            return void (refusal = new Refusal(
              `\`${name}.query\` takes a callback or spread arguments; the pool's query returns a promise`,
            ));
          }
          if (args[0]!.type === 'NewExpression')
            return void (refusal = new Refusal(`\`${name}.query\` runs a submittable (cursor or stream), which needs a client of its own`));
          queries.push(callPath as ASTPath<K.CallExpressionKind>);
          return;
        }
        if (prop === 'connect' && statement !== undefined && statementCall(statement, name, 'connect') !== undefined) {
          if (kind === 'Pool')
            return void (refusal = new Refusal(
              `\`${name}.connect()\` checks a client out of the pool; rewrite it with withClient by hand`,
            ));
          connects.push(statement);
          return;
        }
        if (prop === 'end' && statement !== undefined && statementCall(statement, name, 'end') !== undefined) {
          ends.push(statement);
          return;
        }
        return void (refusal = new Refusal(`\`${name}.${prop}()\` is used; only query, connect and end can move to a shared pool`));
      }
      refusal = valueUseRefusal(text, ref.node, member, name, what);
    });
  if (refusal !== undefined) return refusal;
  if (queries.length === 0) return new Refusal(`the ${what} runs no query`);
  return { queries, connects, ends };
}

/** Why a use of the variable other than a method call keeps it from moving to a shared pool. */
function valueUseRefusal(text: string, ref: Node, member: Node, name: string, what: string): Refusal {
  if (member.type === 'MemberExpression' && member.object === ref) {
    return new Refusal(`\`${textOf(text, member)}\` is used; only query, connect and end can move to a shared pool`);
  }
  if (member.type === 'CallExpression' || member.type === 'NewExpression') {
    return new Refusal(`the ${what} is passed to \`${textOf(text, member.callee)}\`, which may keep or end it`);
  }
  if (member.type === 'ReturnStatement' || (member.type === 'ArrowFunctionExpression' && member.body === ref))
    return new Refusal(`the ${what} is returned to the caller, who owns it`);
  if (member.type === 'AssignmentExpression' && member.left === ref) return new Refusal(`\`${name}\` is reassigned`);
  if (
    member.type === 'AssignmentExpression' ||
    member.type === 'ObjectProperty' ||
    member.type === 'Property' ||
    member.type === 'ArrayExpression'
  ) {
    return new Refusal(`the ${what} is stored where it outlives the call`);
  }
  return new Refusal(`the ${what} is used as a value (\`${textOf(text, member)}\`); only query, connect and end can move to a shared pool`);
}

/** The shape: [decl] [connect] try { [connect] … } finally { end }  or  [decl] [connect] … [end] … */
function shapeOf(
  text: string,
  path: ASTPath<K.NewExpressionKind>,
  holder: Holder,
  kind: PgClass,
  uses: Uses,
  what: string,
): Shape | Refusal {
  const { name, declaration } = holder;
  const { connects, ends } = uses;
  const body = holder.block.body;
  const index = body.indexOf(declaration);
  let connect: Statement | undefined;
  let at = index + 1;
  if (kind === 'Client') {
    if (connects.length !== 1)
      return new Refusal(
        connects.length === 0 ? `\`${name}.connect()\` is never awaited as a statement` : `\`${name}.connect()\` is called more than once`,
      );
    connect = connects[0]!;
    const next = body[index + 1];
    if (next === connect) at = index + 2;
    else if (next?.type !== 'TryStatement' || next.block.body[0] !== connect)
      return new Refusal(`\`${name}.connect()\` does not directly follow \`new ${textOf(text, path.node.callee)}()\``);
    if (!ownsLines(text, connect)) return new Refusal(`\`${name}.connect()\` shares its line with other code`);
  }
  const following = body[at];
  const isEndOnly = (statements: readonly Statement[]): boolean => statements.length > 0 && statements.every((s) => ends.includes(s));
  const tryShape =
    following?.type === 'TryStatement' && following.finalizer != null && isEndOnly(following.finalizer.body) ? following : undefined;
  if (tryShape === undefined && following?.type === 'TryStatement' && following.block.body[0] === connect) {
    return new Refusal(`the try around \`${name}\` does more in its finally block than end the ${what}`);
  }
  for (const end of ends) {
    if (tryShape?.finalizer?.body.includes(end) === true) continue;
    if (!ownsLines(text, end)) return new Refusal(`\`${name}.end()\` shares its line with other code`);
  }
  if (tryShape !== undefined) {
    const inner = tryShape.block.body.filter((statement): statement is Statement => statement !== connect);
    return { connect, tryShape, inner, tail: body.slice(body.indexOf(tryShape) + 1), lastEnd: undefined };
  }
  const topEnds = body.filter((statement, i) => i >= at && ends.includes(statement));
  const lastEnd = topEnds.at(-1);
  const stop = lastEnd === undefined ? body.length : body.indexOf(lastEnd);
  return { connect, tryShape, inner: body.slice(at, stop), tail: body.slice(stop + 1), lastEnd };
}

/** Which runtime call: one query → pool.query; BEGIN … COMMIT → transaction; else withClient. */
function chooseMode(
  j: JSCodeshift,
  text: string,
  name: string,
  kind: PgClass,
  fn: K.FunctionKind,
  queries: readonly ASTPath<K.CallExpressionKind>[],
  shape: Shape,
): { mode: Mode; txn: Transaction | undefined } {
  const { tryShape, inner } = shape;
  const inLoop = queries.some((query) => {
    for (let up: ASTPath | null = query.parent as ASTPath | null; up !== null && up.node !== fn; up = up.parent as ASTPath | null) {
      if (LOOPS.has(up.node.type) || isFunction(up.node as Node)) return true;
    }
    return false;
  });
  const session = queries.some((query) => SESSION.test(sqlText(query.node.arguments[0]) ?? ''));
  if (kind === 'Pool' || (queries.length === 1 && !inLoop && !session)) return { mode: 'query', txn: undefined };
  const handler = tryShape?.handler ?? undefined;
  const handlerRollsBack =
    handler == null ||
    (handler.param?.type === 'Identifier' &&
      handler.body.body.length === 2 &&
      sqlStatement(handler.body.body[0], name, ROLLBACK) &&
      handler.body.body[1]!.type === 'ThrowStatement' &&
      handler.body.body[1].argument.type === 'Identifier' &&
      (handler.body.body[1].argument as K.IdentifierKind).name === (handler.param as K.IdentifierKind).name);
  const last = inner.at(-1);
  const commit = last?.type === 'ReturnStatement' && tryShape !== undefined ? inner.at(-2) : last;
  const between = inner.slice(1, inner.indexOf(commit as Statement));
  const controls = queries.filter(
    (query) =>
      BEGIN.test(sqlText(query.node.arguments[0]) ?? '') ||
      COMMIT.test(sqlText(query.node.arguments[0]) ?? '') ||
      ROLLBACK.test(sqlText(query.node.arguments[0]) ?? ''),
  );
  if (
    handlerRollsBack &&
    sqlStatement(inner[0], name, BEGIN) &&
    beginOptions(sqlText(statementCall(inner[0]!, name, 'query')!.arguments[0])!) !== undefined &&
    commit !== undefined &&
    sqlStatement(commit, name, COMMIT) &&
    controls.length === (handler == null ? 2 : 3) &&
    ownNodes(j, between, (node) => node.type === 'ReturnStatement').length === 0 &&
    ownsLines(text, inner[0]) &&
    ownsLines(text, commit)
  ) {
    return {
      mode: 'transaction',
      txn: { begin: inner[0]!, commit, options: beginOptions(sqlText(statementCall(inner[0]!, name, 'query')!.arguments[0])!)! },
    };
  }
  return { mode: 'withClient', txn: undefined };
}

/** The edits for `ref.query(…)` in place of the client; undefined when a client must stay (a try that cannot be unwrapped). */
function queryEdits(plan: Plan): Analysis | Refusal | undefined {
  const { j, text, unit, templates, config, kind, fn, holder, uses, shape, deleteConnect, otherEnds } = plan;
  const { declaration } = holder;
  const { tryShape, lastEnd } = shape;
  const handler = tryShape?.handler ?? undefined;
  const queryEdits = (ref: string): Edit[] =>
    uses.queries
      .map((query) => span((query.node.callee as K.MemberExpressionKind).object))
      .map(({ start, end }) => ({ start, end, text: ref }));
  if (tryShape === undefined) {
    return {
      need: config,
      build: (ref) => [
        deleteStatement(text, declaration),
        ...deleteConnect,
        ...(lastEnd ? [deleteStatement(text, lastEnd)] : []),
        ...otherEnds,
        ...queryEdits(ref),
      ],
    };
  }
  if (handler != null) {
    // try { … } catch { … } finally { end } → try { … } catch { … }
    return {
      need: config,
      build: (ref) => [
        deleteStatement(text, declaration),
        ...deleteConnect,
        { start: span(handler).end, end: span(tryShape).end, text: '' },
        ...otherEnds,
        ...queryEdits(ref),
      ],
    };
  }
  const unwrapped = unwrap(j, text, fn, tryShape, unit, templates);
  if (unwrapped instanceof Refusal) return kind === 'Pool' ? unwrapped : undefined;
  return {
    need: config,
    build: (ref) => {
      const innerEdits = [...deleteConnect, ...otherEnds, ...queryEdits(ref)];
      const content = region(text, unwrapped.from, unwrapped.to, innerEdits, templates, { remove: unit })!;
      const outside = innerEdits.filter((edit) => edit.end <= unwrapped.start || edit.start >= unwrapped.end);
      return [deleteStatement(text, declaration), ...outside, { start: unwrapped.start, end: unwrapped.end, text: content }];
    },
  };
}

/** withClient / transaction: the client's statements move into a callback. */
function callbackEdits(plan: Plan, call: 'withClient' | 'transaction', txn: Transaction | undefined): Analysis | Refusal {
  const { text, fn, holder, uses, shape, returns } = plan;
  const { name, declaration } = holder;
  const { tryShape, inner, tail, lastEnd, connect } = shape;
  const moved =
    tryShape !== undefined ? span(tryShape) : { start: span(declaration).start, end: span(lastEnd ?? inner.at(-1) ?? declaration).end };
  const stray = [...uses.queries.map((query) => query.node), ...uses.ends].some(
    (use) => span(use).start < moved.start || span(use).end > moved.end,
  );
  if (stray) return new Refusal(`\`${name}\` is used after the block that ends it`);
  if (returns && (tail.length > 0 || fn.body !== holder.block)) {
    return new Refusal(
      'the block that uses the client returns from the function and other code follows it; move it into withClient by hand',
    );
  }
  const indent = indentAt(text, span(declaration).start);
  const keptComments = [
    declaration,
    ...(connect !== undefined && connect !== tryShape?.block.body[0] ? [connect] : []),
    ...(lastEnd ? [lastEnd] : []),
  ]
    .map((statement) => text.slice(span(statement).end, lineAfter(text, span(statement).end)).trim())
    .filter((comment) => comment !== '')
    .map((comment) => `${indent}${comment}\n`)
    .join('');
  const opening = { start: lineStartOf(text, span(declaration).start), indent, keptComments, call, txn };
  return tryShape !== undefined ? tryCallbackEdits(plan, tryShape, opening) : straightCallbackEdits(plan, opening);
}

/** Where the callback goes and what opens it, shared by the try and straight-line shapes. */
interface Opening {
  readonly start: number;
  readonly indent: string;
  readonly keptComments: string;
  readonly call: 'withClient' | 'transaction';
  readonly txn: Transaction | undefined;
}

/** [decl] [connect] try { … } [catch] finally { end } → `ref.call(async (client) => { … })`. */
function tryCallbackEdits(plan: Plan, tryShape: K.TryStatementKind, opening: Opening): Analysis | Refusal {
  const { text, unit, templates, config, holder, deleteConnect, otherEnds, returns } = plan;
  const { name, declaration } = holder;
  const { start, indent, keptComments, call, txn } = opening;
  const handler = tryShape.handler ?? undefined;
  const txnEdits = txn === undefined ? [] : [deleteStatement(text, txn.begin), deleteStatement(text, txn.commit)];
  if (!ownsLines(text, tryShape)) return new Refusal('the try statement shares its lines with other code');
  const between = { start: lineAfter(text, span(declaration).end), end: lineStartOf(text, span(tryShape).start) };
  const end = lineAfter(text, span(tryShape).end);
  let content: (ref: string) => string | undefined;
  if (handler == null || call === 'transaction') {
    const blockSpan = span(tryShape.block);
    const from = lineAfter(text, blockSpan.start);
    const to = lineStartOf(text, blockSpan.end - 1);
    if (text.slice(blockSpan.start + 1, from).trim() !== '' || text.slice(to, blockSpan.end - 1).trim() !== '')
      return new Refusal('the try block shares its lines with other code');
    content = () => region(text, from, to, [...deleteConnect, ...otherEnds, ...txnEdits], templates, {});
  } else {
    const from = lineStartOf(text, span(tryShape).start);
    content = () =>
      region(
        text,
        from,
        end,
        [...deleteConnect, ...otherEnds, { start: span(handler).end, end: span(tryShape).end, text: '' }],
        templates,
        { add: unit },
      );
  }
  return {
    need: config,
    build: (ref) => {
      const preface = region(text, between.start, between.end, deleteConnect, templates, {}) ?? '';
      const lead = returns ? 'return ' : 'await ';
      return [
        {
          start,
          end,
          text: `${keptComments}${preface}${indent}${lead}${ref}.${call}(async (${name}) => {\n${content(ref)}${indent}}${txn?.options ?? ''});\n`,
        },
      ];
    },
  };
}

/** Straight line: [decl] [connect] S… [end] T… → `ref.call(async (client) => { S… })` T…. */
function straightCallbackEdits(plan: Plan, opening: Opening): Analysis | Refusal {
  const { j, text, unit, templates, config, holder, shape, otherEnds, returns } = plan;
  const { name, declaration } = holder;
  const { inner, tail, lastEnd, connect } = shape;
  const { start, indent, keptComments, call, txn } = opening;
  const txnEdits = txn === undefined ? [] : [deleteStatement(text, txn.begin), deleteStatement(text, txn.commit)];
  const escaping = declaredNames(inner);
  const later = identifierNames(j, tail);
  const out = escaping.names.filter((n) => later.has(n));
  if (out.length > 0 && returns) return new Refusal('the block that uses the client both returns and declares values used after it');
  if (inner.length === 0) return new Refusal(`nothing runs between \`${name}.connect()\` and \`${name}.end()\``);
  const from = lineAfter(text, span(connect ?? declaration).end);
  const to = lastEnd === undefined ? lineAfter(text, span(inner.at(-1)!).end) : lineStartOf(text, span(lastEnd).start);
  const end = lastEnd === undefined ? to : lineAfter(text, span(lastEnd).end);
  return {
    need: config,
    build: (ref) => {
      const content = region(text, from, to, [...otherEnds, ...txnEdits], templates, { add: unit }) ?? '';
      let lead = returns ? 'return ' : 'await ';
      let result = '';
      if (out.length > 0) {
        const value = out.length === 1 ? out[0]! : `{ ${out.join(', ')} }`;
        lead = `${escaping.mutable ? 'let' : 'const'} ${value} = await `;
        result = `${indent}${unit}return ${value};\n`;
      }
      return [
        {
          start,
          end,
          text: `${keptComments}${indent}${lead}${ref}.${call}(async (${name}) => {\n${content}${result}${indent}}${txn?.options ?? ''});\n`,
        },
      ];
    },
  };
}

function insideFunction(path: ASTPath): boolean {
  for (let up = parentPath(path); up !== null; up = parentPath(up)) if (isFunction(up.node as Node)) return true;
  return false;
}

/**
 * True when the function provably runs once, as the rule sees it: a module-level IIFE, or a
 * function that is not exported and is only called from module scope (`main().catch(…)`).
 */
function runsOnce(j: JSCodeshift, fnPath: ASTPath): boolean {
  const fn = fnPath.node as Node;
  const holder = parentPath(fnPath);
  const parent = holder?.node as Node | undefined;
  if (parent?.type === 'CallExpression' && parent.callee === fn) return !insideFunction(holder!);
  if (insideFunction(fnPath)) return false;
  const id = fn.type === 'FunctionDeclaration' ? nameOf(fn.id) : parent?.type === 'VariableDeclarator' ? nameOf(parent.id) : '';
  if (id === '') return false;
  let top = fnPath;
  for (let up = parentPath(top); up !== null; up = parentPath(up)) {
    if (/^Export/.test(up.node.type)) return false;
    top = up;
  }
  const file = j(top);
  if (file.find(j.ExportSpecifier).some((spec) => nameOf(spec.node.local) === id)) return false;
  const calls = file
    .find(j.Identifier, { name: id })
    .filter(
      (ref) => isReference(ref) && ref.node !== (fn.type === 'FunctionDeclaration' ? fn.id : (parent as K.VariableDeclaratorKind).id),
    );
  return (
    calls.length > 0 &&
    calls.every(
      (ref) =>
        (parentPath(ref)?.node as Node).type === 'CallExpression' &&
        (parentPath(ref)!.node as K.CallExpressionKind).callee === ref.node &&
        !insideFunction(ref),
    )
  );
}

/** The statement an expression path belongs to, when it is the whole statement (maybe awaited). */
function statementOf(path: ASTPath): Statement | undefined {
  let up: ASTPath | null = path.parent as ASTPath | null;
  while (up !== null && (up.node.type === 'AwaitExpression' || (up.node.type === 'UnaryExpression' && up.node.operator === 'void')))
    up = up.parent as ASTPath | null;
  return up?.node.type === 'ExpressionStatement' ? up.node : undefined;
}

/** The lines of `try { … } finally { end }` to replace, and the block's inner lines, when the block can move out dedented. */
function unwrap(
  j: JSCodeshift,
  text: string,
  fn: K.FunctionKind,
  tryShape: K.TryStatementKind,
  unit: string,
  templates: Protected,
): { start: number; end: number; from: number; to: number } | Refusal {
  if (!ownsLines(text, tryShape)) return new Refusal('the try statement shares its lines with other code');
  const blockSpan = span(tryShape.block);
  const from = lineAfter(text, blockSpan.start);
  const to = lineStartOf(text, blockSpan.end - 1);
  if (text.slice(blockSpan.start + 1, from).trim() !== '' || text.slice(to, blockSpan.end - 1).trim() !== '')
    return new Refusal('the try block shares its lines with other code');
  if (region(text, from, to, [], templates, { remove: unit }) === undefined) return new Refusal('the try block is not indented one level');
  // Its declarations would join the function's scope: no name may be used elsewhere there.
  const declared = declaredNames(tryShape.block.body).names;
  if (declared.length > 0) {
    const blockRange = blockSpan;
    let clash = false;
    j(fn as never)
      .find(j.Identifier)
      .forEach((path) => {
        const at = span(path.node).start;
        if (declared.includes(path.node.name) && (at < blockRange.start || at >= blockRange.end)) clash = true;
      });
    if (clash) return new Refusal('a name the try block declares is used elsewhere in the function');
  }
  return { start: lineStartOf(text, span(tryShape).start), end: lineAfter(text, span(tryShape).end), from, to };
}
