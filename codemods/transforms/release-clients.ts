/**
 * release-clients: gives back, on every path, the pool clients `bounded/require-release` flags.
 *
 *   const client = await pool.connect();        const client = await pool.connect();
 *   const { rows } = await client.query(q);  →  try {
 *   client.release();                              const { rows } = await client.query(q);
 *   return rows[0];                                return rows[0];
 *                                                } finally {
 *                                                  client.release();
 *                                                }
 *
 * The `try` holds the statements from the checkout to the last one that uses the client (or a
 * name declared among them); later statements stay outside, so the client is not held longer.
 * Releases on the way (`if (…) { client.release(); return; }`) are dropped: the `finally` does
 * it. A body that opens a transaction (`query('begin')`) and never rolls back releases with
 * `release(failed)`, so pg closes a client whose transaction failed instead of pooling it
 * mid-transaction. With `usingDeclarations`, a client from bounded's pool (disposable) is held
 * with `await using` instead. A discarded checkout (`await pool.connect();`) is released at once.
 *
 * Anything it cannot rewrite without changing more than the release is left alone and
 * reported with the reason: a reassigned or handed-off client, a release in a callback, a
 * release whose move would hold the client across an `await`, and so on.
 */
import type { API, FileInfo } from 'jscodeshift';
import { applyEdits, programOf, span, type Edit } from '../utils/imports.js';
import type { TransformOptions } from '../utils/policy.js';
import {
  LOOP_TYPES,
  PoolFinder,
  chainText,
  declaredNames,
  isFunctionNode,
  parentMap,
  referencesIn,
  someOutsideFunctions,
  unwrap,
  visit,
  waits,
  WRAPPER_TYPES,
  type Node,
  type PoolKind,
} from '../utils/release-ast.js';
import {
  indentEdits,
  indentUnit,
  indentationAt,
  lineEndOf,
  lineStartOf,
  nextLineStart,
  restOfLine,
  startsLine,
} from '../utils/release-text.js';
import { projectTargetsUsing } from '../utils/release-tsconfig.js';
import { parseForTextEdits } from '../utils/text-edits.js';

export const parser = 'ts';

export interface ReleaseClientsOptions extends TransformOptions {
  /**
   * Hold clients of bounded's pools (`createPool`/`getPool(…).acquire()`, which are disposable)
   * with `await using` instead of try/finally: `true`, `false` (the default), or `'auto'` to
   * decide from the nearest tsconfig.json (`lib` has `esnext` or `esnext.disposable`).
   */
  readonly usingDeclarations?: boolean | 'auto' | 'true' | 'false';
}

const CHECKOUT_METHODS = new Set(['connect', 'getConnection', 'acquire']);
const BLOCK_TYPES = new Set(['BlockStatement', 'Program', 'StaticBlock']);
const EXIT_TYPES = new Set(['ReturnStatement', 'ThrowStatement', 'BreakStatement', 'ContinueStatement']);
const TRANSACTION_START = /^\s*(?:begin|start\s+transaction)\b/i;
const TRANSACTION_UNDO = /^\s*(?:rollback|abort)\b/i;
const MAX_PASSES = 8;

/** One checkout the transform may rewrite. */
interface Site {
  readonly call: Node;
  readonly statement: Node;
  readonly kind: PoolKind;
  readonly method: string;
}

type Outcome =
  | { readonly edits: Edit[]; readonly region: readonly [number, number] }
  | { readonly refused: string }
  | { readonly fine: true };

const at = (node: Node): number => span(node).start;
const lineOf = (node: Node): number => node.loc?.start.line ?? 0;

function usingEnabled(file: FileInfo, options: ReleaseClientsOptions): boolean {
  const setting = options.usingDeclarations;
  if (setting === true || setting === 'true') return true;
  if (setting === 'auto') return projectTargetsUsing(file.path);
  return false;
}

/** The string a `query(…)` argument holds, when it is a literal. */
function literalText(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if ((node.type === 'StringLiteral' || node.type === 'Literal') && typeof node['value'] === 'string') return node['value'];
  if (node.type === 'TemplateLiteral') {
    const quasi = (node['quasis'] as Node[])[0];
    return (quasi?.['value'] as { cooked?: string } | undefined)?.cooked ?? undefined;
  }
  if (node.type === 'ObjectExpression') {
    const text = (node['properties'] as Node[]).find((p) => (p['key'] as Node | undefined)?.['name'] === 'text');
    return text === undefined ? undefined : literalText(text['value'] as Node);
  }
  return undefined;
}

/** A name no identifier in `scope` uses yet: `failed`, `txFailed`, `failed2`, … */
function freshName(scope: Node, wanted: readonly string[]): string {
  const used = new Set<string>();
  visit(scope, (node) => {
    if (node.type === 'Identifier') used.add(node['name'] as string);
  });
  for (const name of wanted) if (!used.has(name)) return name;
  for (let n = 2; ; n++) if (!used.has(`${wanted[0]}${n}`)) return `${wanted[0]}${n}`;
}

/** What one pass over the file shares: its text, its tree's parent links and the walks over them. */
interface Pass {
  readonly text: string;
  /** Text that is data (template literals, strings): reindenting leaves it alone. */
  readonly templates: [number, number][];
  readonly allowUsing: boolean;
  readonly parents: Map<Node, Node>;
  readonly parent: (node: Node) => Node | undefined;
  readonly enclosingFunction: (node: Node) => Node;
  readonly outerExpression: (node: Node) => Node;
  readonly source: (node: Node) => string;
}

/** A checkout held in a `const` / `let` / `var` of its own, and every use of the name in its block. */
interface Checkout {
  readonly acquire: string;
  readonly declarationKind: string;
  readonly id: Node;
  readonly name: string;
  readonly block: Node;
  readonly body: Node[];
  readonly index: number;
  readonly fn: Node;
  readonly refs: Node[];
  /** The index in `body` of the statement holding `node`. */
  readonly topIndex: (node: Node) => number;
}

/** The release statements moving into the finally, and the arguments they pass. */
interface Releases {
  readonly args: string;
  readonly removals: Node[];
}

/** The edits that take the releases out, and what the finally needs from them. */
interface Removed {
  readonly edits: Edit[];
  readonly removedLines: Set<number>;
  /** Comments that travel with a release into the finally, in order. */
  readonly movedComments: string[];
  readonly finalRemoval: number | undefined;
}

function runPass(
  file: FileInfo,
  api: API,
  options: ReleaseClientsOptions,
  text: string,
  report: (line: number, column: number, reason: string) => void,
): { output: string | null; deferred: boolean } {
  const j = api.jscodeshift;
  const root = parseForTextEdits(j, text);
  const program = programOf(root);
  const file_ = (root.get() as { node: Node }).node;
  const pass = passOver(file_, program as unknown as Node, text, usingEnabled(file, options));
  const sites = findCheckouts(pass, file_, new PoolFinder(program, file_), report);

  const accepted: Edit[] = [];
  const regions: (readonly [number, number])[] = [];
  let deferred = false;
  for (const site of sites.sort((a, b) => at(a.statement) - at(b.statement))) {
    const outcome = plan(pass, site);
    if ('refused' in outcome) {
      report(lineOf(site.call), (site.call.loc?.start.column ?? 0) + 1, outcome.refused);
      continue;
    }
    if ('fine' in outcome) continue;
    const [start, stop] = outcome.region;
    if (regions.some(([s, e]) => start <= e && s <= stop)) {
      deferred = true; // nested in (or overlapping) another rewrite: the next pass sees it in its new place
      continue;
    }
    regions.push(outcome.region);
    accepted.push(...outcome.edits);
  }
  return { output: accepted.length > 0 ? applyEdits(text, accepted) : null, deferred };
}

/** The parent links and data ranges of one parse, and the walks the planning steps share. */
function passOver(file_: Node, program: Node, text: string, allowUsing: boolean): Pass {
  const parents = parentMap(file_);
  const templates = [] as [number, number][];
  visit(file_, (node) => {
    // Text that is data: a template literal's lines, and a string continued with a backslash.
    if (node.type === 'TemplateLiteral' || node.type === 'StringLiteral' || (node.type === 'Literal' && typeof node['value'] === 'string'))
      templates.push([at(node), span(node).end]);
  });
  const parent = (node: Node): Node | undefined => parents.get(node);
  const enclosingFunction = (node: Node): Node => {
    for (let up = parent(node); up !== undefined; up = parent(up)) if (isFunctionNode(up)) return up;
    return program;
  };
  const outerExpression = (node: Node): Node => {
    let current = node;
    for (let up = parent(current); up !== undefined && (WRAPPER_TYPES.has(up.type) || up.type === 'ChainExpression'); up = parent(current))
      current = up;
    return current;
  };
  const source = (node: Node): string => text.slice(at(node), span(node).end);
  return { text, templates, allowUsing, parents, parent, enclosingFunction, outerExpression, source };
}

/** Checkouts: `await <pool>.connect()` / `.getConnection()` / `.acquire()`, as a declaration or a statement. */
function findCheckouts(pass: Pass, file_: Node, pools: PoolFinder, report: (line: number, column: number, reason: string) => void): Site[] {
  const { parent, enclosingFunction, outerExpression } = pass;
  const sites: Site[] = [];
  visit(file_, (call) => {
    if (call.type !== 'CallExpression') return;
    const callee = unwrap(call['callee'] as Node);
    if (callee.type !== 'MemberExpression' || callee['computed'] === true) return;
    const property = callee['property'] as Node;
    const method = property['name'] as string;
    if (property.type !== 'Identifier' || !CHECKOUT_METHODS.has(method)) return;
    if ((call['arguments'] as Node[]).some((arg) => isFunctionNode(arg))) return; // callback style manages itself
    const kind = pools.kind(callee['object'] as Node);
    if (kind === undefined || (method === 'acquire' && kind !== 'bounded' && kind !== 'named')) return;
    const awaited = parent(outerExpression(call));
    if (awaited?.type !== 'AwaitExpression') return;
    const holder = parent(outerExpression(awaited));
    if (holder?.type === 'ExpressionStatement' || holder?.type === 'VariableDeclarator') {
      sites.push({ call, statement: holder.type === 'VariableDeclarator' ? parent(holder)! : holder, kind, method });
    } else if (holder?.type === 'AssignmentExpression' && holder['right'] === outerExpression(awaited)) {
      const target = chainText(holder['left'] as Node);
      if (target !== undefined && releasedInFinally(pass, enclosingFunction(call), target)) return; // `let client; try { client = …} finally { client?.release() }`
      report(
        lineOf(call),
        (call.loc?.start.column ?? 0) + 1,
        `\`${chainText(holder['left'] as Node) ?? 'the client'}\` is assigned a client after its declaration; give each checkout its own \`const\` and run release-clients again, or release it in \`finally\` by hand`,
      );
    }
  });
  return sites;
}

/** Whether `fn` releases `target` (`client`, `this.client`) in a `finally` block. */
function releasedInFinally(pass: Pass, fn: Node, target: string): boolean {
  const { parent } = pass;
  let found = false;
  visit(fn, (node) => {
    if (found) return false;
    if (
      (node.type !== 'CallExpression' && node.type !== 'OptionalCallExpression') ||
      chainText(node['callee'] as Node) !== `${target}.release`
    )
      return;
    for (let current = node, up = parent(node); up !== undefined && current !== fn; current = up, up = parent(up)) {
      if (up.type === 'TryStatement' && up['finalizer'] === current) found = true;
    }
  });
  return found;
}

/** Decides one checkout: edits, a refusal, or nothing to do. */
function plan(pass: Pass, site: Site): Outcome {
  const { statement, kind, method } = site;
  const { text, allowUsing, source } = pass;

  // `await pool.connect();` — the client is thrown away: give it straight back.
  if (statement.type === 'ExpressionStatement') {
    if (method === 'acquire' && kind !== 'bounded') return { fine: true };
    const expression = statement['expression'] as Node;
    return {
      edits: [{ start: at(expression), end: span(expression).end, text: `(${source(expression)}).release()` }],
      region: [at(statement), span(statement).end],
    };
  }
  const checkout = checkoutOf(pass, site);
  if (!('name' in checkout)) return checkout;
  const { name, body, index, declarationKind } = checkout;
  const releases = classifyUses(pass, site, checkout);
  if (!Array.isArray(releases)) return releases;
  const settled = releasesSettled(pass, site, checkout, releases) ?? callbackUseRefusal(pass, checkout);
  if (settled !== undefined) return settled;
  const end = heldEnd(pass, checkout);
  if (typeof end !== 'number') return end;

  const exported = body.slice(index + 1, end + 1).find((s) => /^(?:Export|Import)|^TSExport|^TSImportEquals/.test(s.type));
  if (exported !== undefined)
    return {
      refused: `an \`${exported.type.startsWith('Import') || exported.type === 'TSImportEqualsDeclaration' ? 'import' : 'export'}\` (line ${lineOf(exported)}) sits between the checkout and the client's last use; it cannot move into a \`try\``,
    };

  const useUsing =
    allowUsing && kind === 'bounded' && method === 'acquire' && declarationKind !== 'var' && !body.slice(end + 1).some((s) => waits(s));
  const lastHeld = useUsing ? body.length - 1 : end;
  const released = movableReleases(pass, checkout, releases, lastHeld, useUsing);
  if ('refused' in released) return released;

  // Layout: the checkout and the last held statement each end their line.
  if (!startsLine(text, at(statement)) || restOfLine(text, span(statement).end) === 'code')
    return { refused: `\`${name}\`'s checkout shares its line with other code; put it on a line of its own first` };
  const last = body[lastHeld]!;
  if (restOfLine(text, span(last).end) === 'code')
    return { refused: `the last statement that uses \`${name}\` (line ${lineOf(last)}) shares its line with other code` };

  const blockIndent = checkout.block.type === 'Program' ? undefined : indentationAt(text, at(checkout.block));
  const unit = indentUnit(text, indentationAt(text, at(statement)), blockIndent);
  const removed = removalEdits(pass, checkout, released.removals, lastHeld, useUsing, unit);
  if (useUsing) {
    const keywordEnd = at(statement) + declarationKind.length;
    removed.edits.push({ start: at(statement), end: keywordEnd, text: 'await using' });
    return { edits: removed.edits, region: [at(statement), span(body[lastHeld]!).end] };
  }
  return wrapEdits(pass, site, checkout, { end, last, unit, args: released.args, removals: released.removals, removed });
}

/** The declaration holding the client, its block and every use of its name; or what to do when it is not one we rewrite. */
function checkoutOf(pass: Pass, site: Site): Checkout | Outcome {
  const { call, statement, method } = site;
  const { parent, parents, enclosingFunction } = pass;
  const acquire = `${chainText(unwrap(call['callee'] as Node)) ?? method}()`;
  const declarators = statement['declarations'] as Node[];
  const declarationKind = statement['kind'] as string;
  if (declarationKind === 'using' || declarationKind === 'await using') return { fine: true };
  if (declarators.length !== 1)
    return { refused: `\`${acquire}\` shares its declaration with other variables; split the declaration first` };
  const id = declarators[0]!['id'] as Node;
  if (id.type !== 'Identifier') return { fine: true }; // destructured: nothing named holds the client
  const name = id['name'] as string;
  const block = parent(statement);
  if (block?.type === 'ExportNamedDeclaration') return { fine: true };
  if (block === undefined || !BLOCK_TYPES.has(block.type))
    return { refused: `\`${name}\` is declared outside a block (a \`case\` clause or a one-statement body); wrap it in braces first` };
  const body = block['body'] as Node[];
  const index = body.indexOf(statement);
  const fn = enclosingFunction(call);

  const refs = referencesIn(block, name, block, parents).filter((ref) => ref !== id);
  const topIndex = (node: Node): number => {
    let current = node;
    for (let up = parent(current); up !== undefined && up !== block; up = parent(current)) current = up;
    return body.indexOf(current);
  };
  if (declarationKind === 'var' && referencesIn(fn, name, fn, parents).some((ref) => ref !== id && !refs.includes(ref))) {
    return { refused: `\`var ${name}\` is used outside the block of its checkout; declare it with \`const\` first` };
  }
  if (refs.some((ref) => topIndex(ref) <= index))
    return { refused: `\`${name}\` is used before its checkout (a hoisted function); release it by hand` };
  return { acquire, declarationKind, id, name, block, body, index, fn, refs, topIndex };
}

/** Classifies every use: the release calls, or what to do when the client is reassigned or handed on. */
function classifyUses(pass: Pass, site: Site, checkout: Checkout): Node[] | Outcome {
  const { kind, method } = site;
  const { parent, outerExpression } = pass;
  const { name, refs } = checkout;
  const releases: Node[] = [];
  for (const ref of refs) {
    const outer = outerExpression(ref);
    const up = parent(outer)!;
    if (
      (up.type === 'AssignmentExpression' && up['left'] === outer) ||
      up.type === 'UpdateExpression' ||
      ((up.type === 'ForOfStatement' || up.type === 'ForInStatement') && up['left'] === outer)
    ) {
      return { refused: `\`${name}\` is reassigned (line ${lineOf(ref)}); a \`finally\` would release whichever client it holds by then` };
    }
    if ((up.type === 'MemberExpression' || up.type === 'OptionalMemberExpression') && up['object'] === outer) {
      const property = up['property'] as Node;
      const member = outerExpression(up);
      const callNode = parent(member);
      if (
        up['computed'] !== true &&
        property['name'] === 'release' &&
        (callNode?.type === 'CallExpression' || callNode?.type === 'OptionalCallExpression') &&
        callNode['callee'] === member
      ) {
        releases.push(callNode);
      }
      continue;
    }
    const isTest =
      (up.type === 'UnaryExpression' && (up['operator'] === '!' || up['operator'] === 'typeof')) ||
      up.type === 'BinaryExpression' ||
      (up.type === 'LogicalExpression' && up['left'] === outer) ||
      ((up.type === 'IfStatement' || up.type === 'ConditionalExpression') && up['test'] === outer);
    if (isTest) continue;
    const how =
      up.type === 'ReturnStatement' || (up.type === 'ArrowFunctionExpression' && up['body'] === outer)
        ? 'is returned'
        : up.type === 'CallExpression' || up.type === 'NewExpression' || up.type === 'OptionalCallExpression'
          ? `is passed to \`${chainText(up['callee'] as Node) ?? 'a call'}(…)\``
          : up.type === 'AssignmentExpression' || up.type === 'ObjectProperty' || up.type === 'Property' || up.type === 'ArrayExpression'
            ? 'is stored elsewhere'
            : 'is handed on';
    // generic-pool and friends: `pool.release(resource)` takes the resource back; not ours to judge.
    if (method === 'acquire' && kind !== 'bounded') return { fine: true };
    return { refused: `\`${name}\` ${how} (line ${lineOf(ref)}), so the receiver owns it and must release it; left as it is` };
  }
  return releases;
}

/** The expression statement a release call is, if it is one. */
function releaseStatementOf(pass: Pass, release: Node): Node | undefined {
  const outer = pass.outerExpression(release);
  const up = pass.parent(outer);
  return up?.type === 'ExpressionStatement' ? up : undefined;
}

/** Where the releases are: nothing to do when they already cover every path, a refusal when a callback owns them. */
function releasesSettled(pass: Pass, site: Site, checkout: Checkout, releases: readonly Node[]): Outcome | undefined {
  const { kind, method } = site;
  const { parent, outerExpression, enclosingFunction } = pass;
  const { name, body, index, fn, refs } = checkout;
  const statementOf = (release: Node): Node | undefined => releaseStatementOf(pass, release);
  const inFinally = (node: Node): boolean => {
    for (let current = node, up = parent(node); up !== undefined && current !== fn; current = up, up = parent(up)) {
      if (up.type === 'TryStatement' && up['finalizer'] === current) return true;
      if (isFunctionNode(current)) {
        const calleeOf = parent(outerExpression(current));
        const callee = calleeOf?.type === 'CallExpression' ? unwrap(calleeOf['callee'] as Node) : undefined;
        return (callee?.['property'] as Node | undefined)?.['name'] === 'finally';
      }
    }
    return false;
  };
  if (releases.some(inFinally)) return { fine: true };
  for (const release of releases) {
    const owner = enclosingFunction(release);
    if (owner === fn) continue;
    const calleeOf = parent(outerExpression(owner));
    const methodOf =
      calleeOf?.type === 'CallExpression'
        ? ((unwrap(calleeOf['callee'] as Node)['property'] as Node | undefined)?.['name'] as string | undefined)
        : undefined;
    if (methodOf === 'then')
      return {
        refused: `\`${name}\` is released in a \`.then\` callback (line ${lineOf(release)}), which runs only on success; release it in \`finally\` by hand`,
      };
    return { refused: `\`${name}\` is released inside a callback (line ${lineOf(release)}), which owns it from there; left as it is` };
  }
  // Released right after the checkout, before anything can throw.
  if (releases.some((release) => statementOf(release) === body[index + 1])) return { fine: true };
  // Released in a catch that rethrows and right after the try: every path, though not in finally.
  for (const release of releases) {
    const clause = parent(parent(statementOf(release) ?? release) ?? release);
    if (clause?.type !== 'CatchClause') continue;
    const tryStatement = parent(clause)!;
    const tryBody = (tryStatement['block'] as Node)['body'] as Node[];
    const hasExit = (node: Node): boolean => EXIT_TYPES.has(node.type) || someExit(node);
    for (const other of releases) {
      const otherStatement = statementOf(other);
      if (otherStatement === undefined) continue;
      if (tryBody.at(-1) === otherStatement && !tryBody.slice(0, -1).some(hasExit)) return { fine: true };
      const outer = parent(tryStatement);
      const siblings = outer !== undefined && BLOCK_TYPES.has(outer.type) ? (outer['body'] as Node[]) : [];
      if (siblings[siblings.indexOf(tryStatement) + 1] === otherStatement && !tryBody.some(hasExit)) return { fine: true };
    }
  }
  if (refs.length === 0) return { refused: `\`${name}\` is never used; remove the checkout, or release it` };
  if (releases.length === 0 && method === 'acquire' && kind !== 'bounded') return { fine: true }; // generic-pool and friends take the resource back themselves
  return undefined;
}

/** Uses inside callbacks must finish before the function goes on: `await Promise.all(xs.map((x) => client.query(x)))`. */
function callbackUseRefusal(pass: Pass, checkout: Checkout): Outcome | undefined {
  const { parent, outerExpression, source } = pass;
  const { name, fn, refs } = checkout;
  for (const ref of refs) {
    let nested: Node | undefined;
    for (let up = parent(ref); up !== undefined && up !== fn; up = parent(up)) if (isFunctionNode(up)) nested = up;
    if (nested === undefined) {
      const member = parent(outerExpression(ref));
      const callNode = member === undefined ? undefined : parent(outerExpression(member));
      const returned = callNode === undefined ? undefined : parent(outerExpression(callNode));
      if (
        callNode?.type === 'CallExpression' &&
        (returned?.type === 'ReturnStatement' ||
          (returned?.type === 'ArrowFunctionExpression' && returned['body'] === outerExpression(callNode)))
      ) {
        return {
          refused: `\`${source(callNode)}\` is returned without \`await\` (line ${lineOf(ref)}); a \`finally\` would release \`${name}\` before it settles — write \`return await …\` first`,
        };
      }
      continue;
    }
    let awaitedCallback = false;
    for (let up = parent(nested); up !== undefined && up !== fn; up = parent(up)) {
      if (up.type === 'AwaitExpression') {
        awaitedCallback = true;
        break;
      }
      if (/Statement$|Declaration$/.test(up.type)) break;
    }
    if (!awaitedCallback)
      return {
        refused: `\`${name}\` is used in a callback (line ${lineOf(ref)}) that may run after the function moves on; releasing it in \`finally\` could pull it out from under that callback`,
      };
  }
  return undefined;
}

/** The try's extent: up to the last statement that uses the client, or a name declared after the checkout. */
function heldEnd(pass: Pass, checkout: Checkout): number | Outcome {
  const { parents } = pass;
  const { name, block, body, index, refs, topIndex } = checkout;
  let end = Math.max(...refs.map(topIndex));
  for (let grown = true; grown; ) {
    grown = false;
    const names = new Set(body.slice(index + 1, end + 1).flatMap(declaredNames));
    if (names.size === 0) break;
    for (let later = body.length - 1; later > end; later--) {
      const uses = [...names].some((declared) => referencesIn(body[later]!, declared, block, parents).length > 0);
      if (!uses) continue;
      const wait = body.slice(end + 1, later + 1).find((s) => waits(s));
      if (wait !== undefined) {
        return {
          refused: `\`${[...names].join('`, `')}\`, declared while \`${name}\` is held, is used by later code that waits (line ${lineOf(wait)}); moving that into the \`try\` would hold the client across the wait`,
        };
      }
      end = later;
      grown = true;
      break;
    }
  }
  return end;
}

/** Every release on the way must be a statement of its own that moving to finally does not delay past an await. */
function movableReleases(
  pass: Pass,
  checkout: Checkout,
  releases: readonly Node[],
  lastHeld: number,
  useUsing: boolean,
): Releases | { readonly refused: string } {
  const { source } = pass;
  const { name, block } = checkout;
  const argTexts = new Set(releases.map((release) => (release['arguments'] as Node[]).map(source).join(', ')));
  if (argTexts.size > 1)
    return {
      refused: `\`${name}\` is released with different arguments (${[...argTexts].map((a) => `\`release(${a})\``).join(', ')}); decide by hand how each path gives it back`,
    };
  const args = [...argTexts][0] ?? '';
  if (args !== '' && !/^(?:true|false)$/.test(args))
    return { refused: `\`${name}.release(${args})\` passes a value that a \`finally\` cannot see; release it by hand` };
  if (useUsing && args !== '') return { refused: `\`${name}.release(${args})\` passes an argument that \`await using\` would drop` };
  const removals: Node[] = [];
  for (const release of releases) {
    const releaseStatement = releaseStatementOf(pass, release);
    if (releaseStatement === undefined)
      return {
        refused: `\`${source(release)}\` (line ${lineOf(release)}) is part of a larger expression; make it a statement of its own first`,
      };
    const why = delayReason(pass, releaseStatement, block, lastHeld);
    if (why !== undefined) return { refused: `\`${source(release)}\` (line ${lineOf(release)}) ${why}` };
    removals.push(releaseStatement);
  }
  return { args, removals };
}

/** The edits that take each release out of the held code (a top-level one takes its comments into the finally). */
function removalEdits(
  pass: Pass,
  checkout: Checkout,
  removals: readonly Node[],
  lastHeld: number,
  useUsing: boolean,
  unit: string,
): Removed {
  const { text, parent } = pass;
  const { name, block, body } = checkout;
  const edits: Edit[] = [];
  const removedLines = new Set<number>();
  const movedComments: string[] = [];
  let finalRemoval: number | undefined;
  for (const removal of removals) {
    const { start, end: stop } = span(removal);
    const rest = restOfLine(text, stop);
    const topLevel = parent(removal) === block && !useUsing;
    if (!startsLine(text, start) || rest === 'code') {
      const trailing = /^[ \t]*/.exec(text.slice(stop))![0].length;
      edits.push({ start, end: stop + trailing, text: '' });
      continue;
    }
    if (!topLevel && typeof rest === 'number') {
      edits.push({ start, end: rest, text: '' }); // a branch's release: its comment stays where it was
      continue;
    }
    // A release of its own at the top of the held statements takes the comment lines right
    // above it and its trailing comment along into the finally.
    let from = lineStartOf(text, start);
    if (topLevel) {
      const previous = body[body.indexOf(removal) - 1]!;
      const comments: string[] = [];
      for (let line = from; line > 0; ) {
        const above = lineStartOf(text, line - 1);
        const content = text.slice(above, line - 1).trim();
        if (above <= span(previous).end || !content.startsWith('//')) break;
        comments.unshift(content);
        from = line = above;
      }
      if (typeof rest === 'number') comments.push(text.slice(rest, lineEndOf(text, rest)).trim());
      movedComments.push(...comments);
    }
    if (removal === body[lastHeld] && topLevel) {
      // The last held statement goes: blank lines before it go too, so the try ends on code.
      while (
        from > 0 &&
        lineStartOf(text, from - 1) > span(body[lastHeld - 1]!).end &&
        text.slice(lineStartOf(text, from - 1), from - 1).trim() === ''
      ) {
        from = lineStartOf(text, from - 1);
      }
      finalRemoval = from;
      continue;
    }
    for (let line = from; line < lineEndOf(text, stop); line = nextLineStart(text, line)) removedLines.add(line);
    // A branch left with nothing in it says where its release went, rather than look like a mistake.
    const container = parent(removal)!;
    const emptied = container !== block && (container['body'] as Node[]).every((s) => removals.includes(s));
    const note = emptied
      ? `${indentationAt(text, start)}${useUsing ? '' : unit}// \`${name}\` is released ${useUsing ? 'by `await using`' : 'in `finally`'}\n`
      : '';
    edits.push({ start: from, end: nextLineStart(text, stop), text: note });
  }
  return { edits, removedLines, movedComments, finalRemoval };
}

/** Whether a held statement runs `<name>.query(…)` with literal SQL matching `pattern`. */
function queriesMatching(held: readonly Node[], name: string, pattern: RegExp): boolean {
  return held.some((s) => {
    let found = false;
    visit(s, (node) => {
      if (found || node.type !== 'CallExpression') return !found;
      const callee = unwrap(node['callee'] as Node);
      if (
        callee.type === 'MemberExpression' &&
        chainText(callee['object'] as Node) === name &&
        (callee['property'] as Node)['name'] === 'query'
      ) {
        const sql = literalText((node['arguments'] as Node[])[0]);
        if (sql !== undefined && pattern.test(sql)) found = true;
      }
      return !found;
    });
    return found;
  });
}

/** Wraps the held statements in `try { … } finally { release }` (or gives the user's own try/catch the finally). */
function wrapEdits(
  pass: Pass,
  site: Site,
  checkout: Checkout,
  held_: {
    readonly end: number;
    readonly last: Node;
    readonly unit: string;
    readonly args: string;
    readonly removals: readonly Node[];
    readonly removed: Removed;
  },
): Outcome {
  const { statement, kind, method } = site;
  const { text, templates } = pass;
  const { name, body, index, fn } = checkout;
  const { end, last, unit, args, removals } = held_;
  const { edits, removedLines, movedComments, finalRemoval } = held_.removed;
  const indent = indentationAt(text, at(statement));
  const releaseCall = (failed?: string): string => `${name}.release(${failed ?? args});`;

  const first = body[index + 1];
  if (first === undefined || index + 1 > end) return { refused: `\`${name}\` is never used; remove the checkout, or release it` };
  // The body starts at the first non-blank line after the checkout's line (comments included).
  const afterCheckout = nextLineStart(text, span(statement).end);
  const firstCode = afterCheckout + /^\s*/.exec(text.slice(afterCheckout))![0].length;
  const bodyStart = lineStartOf(text, firstCode);
  const bodyEnd = finalRemoval !== undefined ? lineEndOf(text, finalRemoval - 1) : lineEndOf(text, span(last).end);
  const afterBody = finalRemoval !== undefined ? lineEndOf(text, span(last).end) : bodyEnd;
  if (bodyEnd <= bodyStart) return { refused: `nothing but the release follows \`${name}\`'s checkout` };

  const held = body.slice(index + 1, end + 1);
  const destroyOnFailure =
    method === 'connect' &&
    kind !== 'bounded' &&
    kind !== 'mysql' &&
    args === '' &&
    queriesMatching(held, name, TRANSACTION_START) &&
    !queriesMatching(held, name, TRANSACTION_UNDO);

  const finallyComments = movedComments.map((comment) => `${indent}${unit}${comment}\n`).join('');
  // The held code is one try/catch of the user's own: it takes the finally itself
  // (`try { A } catch { B }` inside `try { … } finally { R }` is `try { A } catch { B } finally { R }`).
  const kept = held.filter((s) => !removals.includes(s));
  const own = kept[0];
  if (
    !destroyOnFailure &&
    kept.length === 1 &&
    own?.type === 'TryStatement' &&
    own['finalizer'] == null &&
    firstCode === at(own) &&
    restOfLine(text, span(own).end) === 'empty'
  ) {
    edits.push({
      start: span(own).end,
      end: afterBody,
      text: ` finally {\n${finallyComments}${indent}${unit}${releaseCall()}\n${indent}}`,
    });
    return { edits, region: [at(statement), afterBody] };
  }

  let head = `${indent}try {\n`;
  let tail = `\n${indent}} finally {\n${finallyComments}${indent}${unit}${releaseCall()}\n${indent}}`;
  if (destroyOnFailure) {
    const failed = freshName(fn, ['failed', 'txFailed']);
    const error = freshName(fn, ['error', 'cause']);
    head = `${indent}let ${failed} = false;\n${head}`;
    tail =
      `\n${indent}} catch (${error}) {\n${indent}${unit}${failed} = true;\n${indent}${unit}throw ${error};\n` +
      `${indent}} finally {\n${finallyComments}${indent}${unit}${releaseCall(failed)}\n${indent}}`;
  }
  edits.push({ start: bodyStart, end: bodyStart, text: head });
  edits.push(...indentEdits(text, bodyStart, bodyEnd, unit, templates, removedLines));
  edits.push({ start: bodyEnd, end: afterBody, text: tail });
  return { edits, region: [at(statement), afterBody] };
}

/** Why moving `release` (a statement) into the finally would hold the client longer; undefined when it would not. */
function delayReason(pass: Pass, releaseStatement: Node, block: Node, lastHeld: number): string | undefined {
  const { parent } = pass;
  let node = releaseStatement;
  for (;;) {
    const container = parent(node)!;
    if (!BLOCK_TYPES.has(container.type))
      return container.type === 'SwitchCase'
        ? 'is inside a `switch`; release it by hand'
        : 'is the body of a statement without braces; add braces first';
    const siblings = container['body'] as Node[];
    const after =
      container === block ? siblings.slice(siblings.indexOf(node) + 1, lastHeld + 1) : siblings.slice(siblings.indexOf(node) + 1);
    const why = followingReason(pass, after, block);
    if (why !== null) return why;
    if (container === block) return undefined;
    // Leave the block: through if/else, labels and try, never through a loop (it would run again).
    let up = container;
    for (;;) {
      const outer = parent(up)!;
      if (BLOCK_TYPES.has(outer.type)) break;
      if (LOOP_TYPES.has(outer.type)) return 'is inside a loop that holds the client; release it by hand';
      if (outer.type === 'TryStatement' && outer['finalizer'] != null && outer['finalizer'] !== up && waits(outer['finalizer'] as Node)) {
        return `is followed by a \`finally\` that waits (line ${lineOf(outer['finalizer'] as Node)}); release it by hand`;
      }
      if (outer.type === 'SwitchCase' || outer.type === 'SwitchStatement') return 'is inside a `switch`; release it by hand';
      if (isFunctionNode(outer)) return 'is in another function';
      up = outer;
    }
    node = up;
  }
}

/** What the statements after a release in its block say: a reason it would be delayed, undefined when it is not, null to look further out. */
function followingReason(pass: Pass, after: readonly Node[], block: Node): string | undefined | null {
  const { parent } = pass;
  for (const next of after) {
    if (waits(next))
      return `is followed by code that waits (line ${lineOf(next)}); moving it into \`finally\` would hold the client across that wait`;
    if (releasesSomething(next))
      return `is followed by another release (line ${lineOf(next)}); moving it into \`finally\` would change the order things are given back`;
    if (next.type === 'ReturnStatement' || next.type === 'ThrowStatement') return undefined;
    if (next.type === 'BreakStatement' || next.type === 'ContinueStatement') {
      if (next['label'] != null) return 'is followed by a labeled jump; release it by hand';
      // It leaves the try only when its loop (or switch) is outside the held code.
      for (let up = parent(next); up !== undefined && up !== block; up = parent(up)) {
        if (LOOP_TYPES.has(up.type) || (next.type === 'BreakStatement' && up.type === 'SwitchStatement')) {
          return `is followed by a \`${next.type === 'BreakStatement' ? 'break' : 'continue'}\` that stays inside the held code (line ${lineOf(next)}); release it by hand`;
        }
      }
      return undefined;
    }
  }
  return null;
}

/** Whether `node` gives something back: a `.release(…)` / `.dispose()` / `[Symbol.dispose]()` call outside nested functions. */
function releasesSomething(node: Node): boolean {
  return someOutsideFunctions(node, (part) => {
    if (part.type !== 'CallExpression' && part.type !== 'OptionalCallExpression') return false;
    const callee = unwrap(part['callee'] as Node);
    const property = callee['property'] as Node | undefined;
    if (property === undefined) return false;
    if (callee['computed'] === true) return /^Symbol\.(?:async)?[dD]ispose$/.test(chainText(property) ?? '');
    return property['name'] === 'release' || property['name'] === 'dispose';
  });
}

function someExit(node: Node): boolean {
  let found = false;
  visit(node, (part) => {
    if (found || (part !== node && isFunctionNode(part))) return false;
    if (EXIT_TYPES.has(part.type)) found = true;
    return !found;
  });
  return found;
}

export default function transformer(file: FileInfo, api: API, options: ReleaseClientsOptions = {}): string | null {
  const reported = new Set<string>();
  // A file that mixes line endings is left alone: the lines this rewrite moves and writes would
  // have to pick one of them.
  if (/\r(?!\n)|[\u2028\u2029]/.test(file.source) || (file.source.includes('\r\n') && /(?<!\r)\n/.test(file.source))) {
    if (/\.\s*(?:connect|getConnection|acquire)\b/.test(file.source)) {
      (api as Partial<API>).report?.(
        `${file.path}:1:1: release-clients skipped: the file mixes line endings (or holds U+2028/U+2029); normalise them first`,
      );
    }
    return null;
  }
  const original = file.source;
  let text = original;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const earlier = new Set(reported);
    const report = (line: number, column: number, reason: string): void => {
      // A later pass sees a checkout nested in an earlier rewrite, at shifted lines: report it
      // only when the first pass did not already say the same.
      const key = reason.replace(/\(line \d+\)/g, '');
      if (pass > 0 && earlier.has(key)) return;
      reported.add(key);
      // jscodeshift's own test helper (applyTransform) passes no `report`.
      (api as Partial<API>).report?.(`${file.path}:${line}:${column}: release-clients skipped: ${reason}`);
    };
    const found: [number, number, string][] = [];
    const { output, deferred } = runPass(file, api, options, text, (line, column, reason) => void found.push([line, column, reason]));
    for (const [line, column, reason] of found.sort((a, b) => a[0] - b[0] || a[1] - b[1])) report(line, column, reason);
    if (output === null) break;
    text = output;
    if (!deferred) break;
  }
  return text === original ? null : text;
}
