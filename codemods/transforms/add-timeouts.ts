/**
 * add-timeouts: puts a deadline on the calls `bounded/require-timeout` flags.
 *
 * - global `fetch(url)` / `fetch(url, { … })` → `signal: AbortSignal.timeout(<http ms>)` in
 *   the init object; an existing `signal: s` becomes `AbortSignal.any([s, AbortSignal.timeout(ms)])`.
 * - `new OpenAI({ … })` / `new Anthropic()` (from 'openai' / '@anthropic-ai/sdk') →
 *   `timeout: <model ms>` in the client options.
 *
 * A non-literal init or options object, or one with a spread, is left alone and reported.
 */
import type { API, ASTPath, FileInfo } from 'jscodeshift';
import { addPropertyEdits, applyEdits, findProperty, hasHiddenKeys, mergeTimeoutSignal, msSource, span, type Edit } from '../utils/imports.js';
import { policyFor, type TransformOptions } from '../utils/policy.js';

export const parser = 'ts';

/** Client classes whose constructor takes a `timeout` option, by module. */
const SDK_CLASSES: Readonly<Record<string, readonly string[]>> = {
  openai: ['OpenAI', 'AzureOpenAI'],
  '@anthropic-ai/sdk': ['Anthropic'],
};

function isUnshadowed(path: ASTPath, name: string): boolean {
  const scope = (path.scope as { lookup(name: string): unknown } | null)?.lookup(name);
  return scope === null || scope === undefined;
}

export default function transformer(file: FileInfo, api: API, options: TransformOptions = {}): string | null {
  const j = api.jscodeshift;
  const text = file.source;
  const root = j(text);
  const policy = policyFor(file.path, options);
  const httpMs = policy.defaults.timeouts.http;
  const modelMs = policy.defaults.timeouts.model;
  const report = (node: { loc?: { start: { line: number; column: number } } | null }, reason: string): void => {
    const at = node.loc ? `${node.loc.start.line}:${node.loc.start.column + 1}` : '?';
    // jscodeshift's own test helper (applyTransform) passes no `report`.
    (api as Partial<API>).report?.(`${file.path}:${at}: add-timeouts skipped: ${reason}`);
  };
  const edits: Edit[] = [];

  // fetch(url) / fetch(url, init) / globalThis.fetch(…)
  root.find(j.CallExpression).forEach((path) => {
    const call = path.node;
    const callee = call.callee;
    const isFetch =
      (callee.type === 'Identifier' && callee.name === 'fetch' && isUnshadowed(path, 'fetch')) ||
      (callee.type === 'MemberExpression' &&
        !callee.computed &&
        callee.object.type === 'Identifier' &&
        callee.object.name === 'globalThis' &&
        isUnshadowed(path, 'globalThis') &&
        callee.property.type === 'Identifier' &&
        callee.property.name === 'fetch');
    if (!isFetch) return;
    const args = call.arguments;
    if (args.length === 0 || args.length > 2 || args.some((arg) => arg.type === 'SpreadElement')) return;
    if (args.length === 1) {
      const at = span(args[0]).end;
      edits.push({ start: at, end: at, text: `, { signal: AbortSignal.timeout(${msSource(httpMs)}) }` });
      return;
    }
    const init = args[1]!;
    if (init.type !== 'ObjectExpression') {
      report(call, 'fetch init is not an object literal; add `signal: AbortSignal.timeout(ms)` by hand');
      return;
    }
    const result = mergeTimeoutSignal(text, init, httpMs);
    if (result.edits !== undefined) edits.push(...result.edits);
    else if (!result.bounded) report(call, result.reason);
  });

  // new OpenAI({ … }) / new Anthropic()
  const classNames = new Set<string>();
  root.find(j.ImportDeclaration).forEach((path) => {
    const source = path.node.source.value;
    if (typeof source !== 'string') return;
    const classes = SDK_CLASSES[source];
    if (classes === undefined || (path.node as { importKind?: string }).importKind === 'type') return;
    for (const spec of path.node.specifiers ?? []) {
      const local = spec.local?.name;
      if (typeof local !== 'string') continue;
      if (spec.type === 'ImportDefaultSpecifier') classNames.add(local);
      else if (spec.type === 'ImportSpecifier' && (spec as { importKind?: string }).importKind !== 'type') {
        const imported = spec.imported.name;
        if (typeof imported === 'string' && classes.includes(imported)) classNames.add(local);
      }
    }
  });
  if (classNames.size > 0) {
    root.find(j.NewExpression).forEach((path) => {
      const expr = path.node;
      if (expr.callee.type !== 'Identifier' || !classNames.has(expr.callee.name)) return;
      const timeout = msSource(modelMs);
      const args = expr.arguments;
      if (args.length === 0) {
        // `new OpenAI()` or `new OpenAI` (no parentheses).
        const calleeEnd = span(expr.callee).end;
        const tail = text.slice(calleeEnd, span(expr).end);
        const open = tail.indexOf('(');
        if (open === -1) edits.push({ start: calleeEnd, end: calleeEnd, text: `({ timeout: ${timeout} })` });
        else edits.push({ start: calleeEnd + open + 1, end: calleeEnd + open + 1, text: `{ timeout: ${timeout} }` });
        return;
      }
      const clientOptions = args[0]!;
      if (args.length > 1 || clientOptions.type !== 'ObjectExpression') {
        report(expr, 'client options are not an object literal; add `timeout` by hand');
        return;
      }
      if (findProperty(clientOptions, 'timeout') !== undefined) return;
      if (hasHiddenKeys(clientOptions)) {
        report(expr, 'client options have a spread or computed key; cannot tell whether they set `timeout`');
        return;
      }
      edits.push(...addPropertyEdits(text, clientOptions, 'timeout', timeout));
    });
  }

  return edits.length > 0 ? applyEdits(text, edits) : null;
}
