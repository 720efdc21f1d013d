/**
 * modernize-timeouts: rewrites the hand-made timeouts `bounded/no-handmade-timeout` flags into
 * their current forms, where the behaviour is provably the same, and reports the others:
 *
 * - `new Promise((resolve) => setTimeout(resolve, ms))` (also `setTimeout(() => resolve(), ms)`,
 *   a block body) → `delay(ms)` with `import { setTimeout as delay } from 'node:timers/promises'`:
 *   the same promise of nothing after `ms`, on the same kind of timer. ES modules only.
 * - `promisify(fs.readFile)` / `util.promisify(fs.readFile)` on an `fs` import →
 *   `fs.promises.readFile`, for the methods whose `fs.promises` twin takes the same arguments
 *   (from the catalog).
 *
 * Reported, not changed: `Promise.race` against a `setTimeout` (withTimeout throws its own
 * TimeoutError and clears the timer: another behaviour, to decide by hand), an AbortController
 * aborted by a timer never cleared (AbortSignal.timeout changes what the controller is used
 * for), callback `fs` calls in async functions (their error handling moves).
 */
import type { API, ASTPath, FileInfo } from 'jscodeshift';
import { PROMISE_TWINS, PROMISE_TWIN_MODULES } from '@bounded/policy';
import { applyEdits, programOf, span, textOf, type Edit } from '../utils/imports.js';
import { parseForTextEdits } from '../utils/text-edits.js';
import { enclosingFunction, identifierName, isFunctionNode, isGlobalCall, sleepDelay, type Node } from '../utils/timer-shapes.js';
import { skipReporter } from '../utils/report.js';

export const parser = 'ts';

const NAME = 'modernize-timeouts';
const TWINS = new Set(PROMISE_TWINS.map((twin) => twin.name));
const TIMERS_PROMISES = ['timers/promises', 'node:timers/promises'];
const CANDIDATE = /setTimeout|promisify|\bfs\b/;

// eslint-disable-next-line max-lines-per-function -- the transform's binding tables (fs, promisify, util names) are built and read by the visitors in one closure over the file's edits
export default function transformer(file: FileInfo, api: API): string | null {
  const text = file.source;
  if (!CANDIDATE.test(text)) return null;
  const j = api.jscodeshift;
  const root = parseForTextEdits(j, text);
  const report = skipReporter(api, file.path, NAME);
  const program = programOf(root);
  const imports = program.body.filter((node) => node.type === 'ImportDeclaration') as unknown as Node[];
  const edits: Edit[] = [];

  /** Local names bound to the fs module (default or namespace import, or a require). */
  const fsNames = new Set<string>();
  /** Local names bound to util.promisify, and to the util module. */
  const promisifyNames = new Set<string>();
  const utilNames = new Set<string>();
  for (const declaration of imports) {
    const module = String((declaration.source as { value: unknown }).value);
    for (const specifier of (declaration.specifiers as Node[] | undefined) ?? []) {
      const local = identifierName(specifier.local);
      if (local === undefined) continue;
      const whole = specifier.type === 'ImportDefaultSpecifier' || specifier.type === 'ImportNamespaceSpecifier';
      if (whole && PROMISE_TWIN_MODULES.includes(module.replace(/^node:/, ''))) fsNames.add(local);
      if (module.replace(/^node:/, '') === 'util') {
        if (whole) utilNames.add(local);
        else if (identifierName(specifier.imported) === 'promisify') promisifyNames.add(local);
      }
    }
  }

  // Hand-made sleeps.
  let sleepName: string | undefined;
  let needsImport = false;
  const existing = imports.find((declaration) => TIMERS_PROMISES.includes(String((declaration.source as { value: unknown }).value)));
  for (const specifier of (existing?.specifiers as Node[] | undefined) ?? []) {
    if (
      specifier.type === 'ImportSpecifier' &&
      identifierName(specifier.imported) === 'setTimeout' &&
      identifierName(specifier.local) !== 'setTimeout'
    ) {
      sleepName = identifierName(specifier.local);
    }
  }
  root.find(j.NewExpression).forEach((path) => {
    const delay = sleepDelay(path.node as unknown as Node);
    if (delay === undefined) return;
    const timer = j(path).find(j.CallExpression).paths()[0];
    if (timer === undefined || !isGlobalCall(timer, 'setTimeout')) return;
    if (imports.length === 0) {
      report(path.node, 'a hand-made sleep in a file without ES imports; use setTimeout from node:timers/promises by hand');
      return;
    }
    if (sleepName === undefined) {
      if (root.find(j.Identifier, { name: 'delay' }).size() > 0) {
        report(
          path.node,
          'a hand-made sleep, but `delay` is taken in this file; import setTimeout from node:timers/promises under another name',
        );
        return;
      }
      sleepName = 'delay';
      needsImport = true;
    }
    const { start, end } = span(path.node);
    edits.push({ start, end, text: `${sleepName}(${textOf(text, delay)})` });
  });
  if (needsImport) {
    const last = imports.at(-1)!;
    const end = span(last).end;
    edits.push({ start: end, end, text: "\nimport { setTimeout as delay } from 'node:timers/promises';" });
  }

  root.find(j.CallExpression).forEach((path) => {
    const node = path.node as unknown as Node;
    const callee = node.callee as Node;
    const args = node.arguments as Node[];
    // promisify(fs.x) → fs.promises.x
    const isPromisify =
      (identifierName(callee) !== undefined && promisifyNames.has(identifierName(callee)!)) ||
      (callee.type === 'MemberExpression' &&
        identifierName(callee.object) !== undefined &&
        utilNames.has(identifierName(callee.object)!) &&
        identifierName(callee.property) === 'promisify');
    if (isPromisify && args.length === 1) {
      const target = args[0]!;
      const object = target.type === 'MemberExpression' && target.computed !== true ? identifierName(target.object) : undefined;
      const method = object === undefined ? undefined : identifierName(target.property);
      if (object !== undefined && fsNames.has(object) && method !== undefined && TWINS.has(method)) {
        const { start, end } = span(node);
        edits.push({ start, end, text: `${object}.promises.${method}` });
      }
      return;
    }
    // Reported shapes.
    if (callee.type === 'MemberExpression' && identifierName(callee.object) === 'Promise' && identifierName(callee.property) === 'race') {
      const list = args[0];
      if (list?.type === 'ArrayExpression' && (list.elements as Node[]).some((element) => element !== null && racesTimer(element))) {
        report(
          node,
          'Promise.race against a setTimeout: withTimeout((signal) => work(signal), ms) clears the timer and aborts the work, but throws its own TimeoutError; rewrite by hand',
        );
      }
      return;
    }
    if (isGlobalCall(path, 'setTimeout') && abortsController(args[0]) && !isKept(path)) {
      report(
        node,
        "an AbortController aborted by a timer that is never cleared: pass AbortSignal.timeout(ms) (with AbortSignal.any for a caller's signal) instead of the controller",
      );
      return;
    }
    if (
      callee.type === 'MemberExpression' &&
      identifierName(callee.object) !== undefined &&
      fsNames.has(identifierName(callee.object)!) &&
      TWINS.has(identifierName(callee.property) ?? '') &&
      isFunctionNode(args.at(-1)) &&
      (enclosingFunction(path)?.node as { async?: boolean } | undefined)?.async === true
    ) {
      report(
        node,
        `callback fs.${identifierName(callee.property)!} in an async function: await fs.promises.${identifierName(callee.property)!}(…) moves its error handling; rewrite by hand`,
      );
    }
  });

  if (edits.length === 0) return null;
  return applyEdits(text, edits);
}

/** A promise a `setTimeout` settles, written in the race. */
function racesTimer(node: Node): boolean {
  if (node.type !== 'NewExpression' || identifierName(node.callee) !== 'Promise') return false;
  return JSON.stringify(node, (key, value: unknown) => (key === 'loc' || key === 'tokens' ? undefined : value)).includes(
    '"name":"setTimeout"',
  );
}

/** `() => controller.abort()` or `controller.abort.bind(controller)`. */
function abortsController(callback: Node | undefined): boolean {
  if (callback === undefined) return false;
  if (isFunctionNode(callback)) {
    const body = callback.body;
    const call = body.type === 'BlockStatement' ? (((body.body as Node[])[0]?.expression as Node | undefined) ?? undefined) : body;
    return (
      call?.type === 'CallExpression' &&
      (call.callee as Node).type === 'MemberExpression' &&
      identifierName((call.callee as Node).property) === 'abort'
    );
  }
  const callee = callback.callee as Node | undefined;
  return (
    callback.type === 'CallExpression' &&
    callee?.type === 'MemberExpression' &&
    identifierName(callee.property) === 'bind' &&
    (callee.object as Node).type === 'MemberExpression' &&
    identifierName((callee.object as Node).property) === 'abort'
  );
}

/** The timer's handle is kept (a variable or property), so the code may clear it. */
function isKept(path: ASTPath): boolean {
  const parent = (path.parent as ASTPath | null | undefined)?.node as Node | undefined;
  return parent?.type === 'VariableDeclarator' || parent?.type === 'AssignmentExpression' || parent?.type === 'ReturnStatement';
}
