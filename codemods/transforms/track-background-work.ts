/**
 * track-background-work: puts the work `bounded/no-unmanaged-background-work` flags under
 * bounded's runtime:
 *
 * - a call of an async function of the same file left floating in an async function or a
 *   request handler (`sendEmail(user)`, `void sendEmail(user)`) → `background(() => sendEmail(user))`:
 *   bounded (10 at once), its failure reported instead of an unhandled rejection, drained by
 *   `ConcurrencyManager.close()`;
 * - `setInterval(async () => …, ms)` whose handle nobody keeps, without an overlap guard →
 *   `every(ms, async () => …)`: the next run starts when the last one ended.
 *
 * Reported, not changed: an async interval whose handle is kept (`every` returns no interval
 * id, so the `clearInterval` that uses it would need rewriting), a floating `.then(…)` chain,
 * and a worker thread or child process started per call (pool it: piscina).
 */
import type { API, ASTPath, FileInfo } from 'jscodeshift';
import { THREAD_STARTERS } from '@bounded/policy';
import { applyEdits, ensureNamedImports, span, textOf, type Edit } from '../utils/imports.js';
import { parseForTextEdits } from '../utils/text-edits.js';
import {
  asyncFunctionNames,
  enclosingFunction,
  identifierName,
  isFunctionNode,
  isGlobalCall,
  isHandlerLike,
  type Node,
} from '../utils/timer-shapes.js';
import { skipReporter } from '../utils/report.js';

export const parser = 'ts';

const NAME = 'track-background-work';
const CANDIDATE = /\basync\b|setInterval|Worker|child_process/;
const THREAD_MODULES = new Set(THREAD_STARTERS.map((starter) => starter.module));

/** `if (busy) return;` first in the callback: its runs do not overlap already. */
function hasGuard(fn: Node & { body: Node }): boolean {
  if (fn.body.type !== 'BlockStatement') return false;
  const first = (fn.body.body as Node[])[0];
  if (first?.type !== 'IfStatement') return false;
  const consequent = first.consequent as Node;
  return (
    consequent.type === 'ReturnStatement' ||
    (consequent.type === 'BlockStatement' &&
      (consequent.body as Node[]).length === 1 &&
      (consequent.body as Node[])[0]!.type === 'ReturnStatement')
  );
}

// eslint-disable-next-line max-lines-per-function -- the visitors share the file's imports, edits and report in one closure, as in the other transforms
export default function transformer(file: FileInfo, api: API): string | null {
  const text = file.source;
  if (!CANDIDATE.test(text)) return null;
  const j = api.jscodeshift;
  const root = parseForTextEdits(j, text);
  const report = skipReporter(api, file.path, NAME);
  const asyncNames = asyncFunctionNames(j, root);
  const edits: Edit[] = [];
  const needed = new Set<string>();
  const pending: { node: Node; make: (local: string) => string; name: string }[] = [];

  root.find(j.ExpressionStatement).forEach((path) => {
    const fn = enclosingFunction(path);
    const fnNode = fn?.node as (Node & { params: Node[]; async?: boolean }) | undefined;
    if (fnNode === undefined || !(fnNode.async === true || isHandlerLike(fnNode))) return;
    let expression = path.node.expression as unknown as Node;
    if (expression.type === 'UnaryExpression' && expression.operator === 'void') expression = expression.argument as Node;
    if (expression.type !== 'CallExpression') return;
    const callee = expression.callee as Node;
    const calleeName = identifierName(callee);
    if (calleeName !== undefined && asyncNames.has(calleeName)) {
      needed.add('background');
      pending.push({
        node: path.node.expression as unknown as Node,
        name: 'background',
        make: (local) => `${local}(() => ${textOf(text, expression)})`,
      });
      return;
    }
    if (callee.type === 'MemberExpression' && identifierName(callee.property) === 'then') {
      const inner = callee.object as Node;
      if (
        inner.type === 'CallExpression' &&
        asyncNames.has(identifierName(inner.callee) ?? '') &&
        (expression.arguments as Node[]).length < 2
      ) {
        report(expression, 'a floating .then() chain: hand the whole chain to background(() => …) by hand, or await it');
      }
    }
  });

  root.find(j.CallExpression).forEach((path: ASTPath) => {
    const node = path.node as unknown as Node;
    const args = node.arguments as Node[];
    if (isGlobalCall(path, 'setInterval')) {
      const callback = args[0];
      if (!isFunctionNode(callback) || callback.async !== true || hasGuard(callback)) return;
      const parent = (path.parent as ASTPath | null | undefined)?.node as Node | undefined;
      if (parent?.type !== 'ExpressionStatement' || args.length !== 2 || args[1]!.type === 'SpreadElement') {
        report(
          node,
          'an async setInterval whose handle is kept: every(ms, fn) returns an Interval to stop() instead; rewrite its clearInterval by hand',
        );
        return;
      }
      needed.add('every');
      pending.push({ node, name: 'every', make: (local) => `${local}(${textOf(text, args[1])}, ${textOf(text, callback)})` });
      return;
    }
    const fn = enclosingFunction(path);
    if ((fn?.node as { async?: boolean } | undefined)?.async !== true) return;
    const callee = node.callee as Node;
    const name = identifierName(callee) ?? (callee.type === 'MemberExpression' ? identifierName(callee.property) : undefined);
    if (name === undefined || !THREAD_STARTERS.some((starter) => starter.name === name)) return;
    if (!importsThreadModule(text)) return;
    report(node, `${name} started per call: use a pool made once (piscina for worker threads) or a Semaphore around it`);
  });
  root.find(j.NewExpression).forEach((path) => {
    if (identifierName(path.node.callee) !== 'Worker' || (enclosingFunction(path)?.node as { async?: boolean } | undefined)?.async !== true)
      return;
    if (!/['"](?:node:)?worker_threads['"]/.test(text)) return;
    report(path.node, 'a worker thread per call: use a pool made once (piscina: new Piscina({ filename }), then pool.run(task))');
  });

  if (pending.length === 0) return null;
  const { locals, edits: importEdits, conflicts } = ensureNamedImports(j, text, root, [...needed]);
  if (conflicts.length > 0) {
    for (const site of pending) report(site.node, `\`${conflicts.join('`, `')}\` is already used in this file; rewrite by hand`);
    return null;
  }
  const spans = pending.map((site) => span(site.node));
  pending.forEach((site, index) => {
    const { start, end } = spans[index]!;
    // One rewrite inside another would overlap: the outer one goes first, the inner one is left for a second run.
    if (spans.some((other, o) => o !== index && other.start <= start && end <= other.end)) {
      report(site.node, 'inside another rewritten site; run the transform again');
      return;
    }
    edits.push({ start, end, text: site.make(locals.get(site.name) ?? site.name) });
  });
  return applyEdits(text, [...edits, ...importEdits]);
}

function importsThreadModule(text: string): boolean {
  return [...THREAD_MODULES].some((module) => new RegExp(`['"](?:node:)?${module}['"]`).test(text));
}
