import { readFileSync, statSync } from 'node:fs';
import { parse } from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { Linter, type Rule } from 'eslint';
import type { Policy } from '@bounded/policy';
import { moduleFacts } from './module-facts.js';
import type { ExportFacts, ProjectIndex } from './project-index.js';

/**
 * The facts of one file's exports, analysed outside a lint run: by the index pass of
 * `bounded check`, and by the rules when the type checker points them at a declaration in
 * another file and there is no index. The file is parsed as ESLint would, through a private
 * rule that hands its SourceCode to moduleFacts.
 */

let collected: Record<string, ExportFacts> | undefined;
let current: { policy: Policy; index: ProjectIndex | undefined } | undefined;

const collector: Rule.RuleModule = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    return {
      'Program:exit'() {
        if (current === undefined) return;
        collected = moduleFacts({
          sourceCode: context.sourceCode as never,
          policy: current.policy,
          filename: context.physicalFilename,
          index: current.index,
          services: undefined,
          types: undefined,
          limiters: current.policy.lint.limiters,
        });
      },
    };
  },
};

const CONFIG: Linter.Config[] = [
  {
    files: ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'],
    languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module', ecmaFeatures: { jsx: true } } },
    plugins: { 'bounded-index': { rules: { facts: collector } } },
    rules: { 'bounded-index/facts': 'error' },
    linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
  },
];

let linter: Linter | undefined;

/** What each export of `text` (the file `file`) does; undefined when it does not parse. */
export function factsOfText(text: string, file: string, policy: Policy, index?: ProjectIndex): Record<string, ExportFacts> | undefined {
  // The root as cwd: a config's `files` never match a file outside cwd.
  linter ??= new Linter({ configType: 'flat', cwd: parse(file).root });
  collected = undefined;
  current = { policy, index };
  try {
    const messages = linter.verify(text, CONFIG, { filename: file });
    if (messages.some((message) => message.fatal === true)) return undefined;
    return collected;
  } finally {
    current = undefined;
  }
}

const byFile = new Map<string, { mtimeMs: number; facts: Record<string, ExportFacts> | undefined }>();

/** factsOfText for a file on disk, cached until it changes. */
export function factsOfFile(file: string, policy: Policy): Record<string, ExportFacts> | undefined {
  const mtimeMs = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  if (mtimeMs === undefined) return undefined;
  const cached = byFile.get(file);
  if (cached?.mtimeMs === mtimeMs) return cached.facts;
  let facts: Record<string, ExportFacts> | undefined;
  try {
    facts = factsOfText(readFileSync(file, 'utf8'), file, policy);
  } catch {
    facts = undefined;
  }
  byFile.set(file, { mtimeMs, facts });
  return facts;
}

/** `export async function name`, `export default async function`, `export const name = async (…) =>` at the start of a line; not async generators. */
const ASYNC_EXPORT =
  /^export\s+(?:(default)\s+async\b(?!\s*function\s*\*)(?:\s*function\s+([A-Za-z_$][\w$]*))?|async\s+function\s+([A-Za-z_$][\w$]*)|(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=\s*async\b(?!\s*function\s*\*))/gm;

/**
 * The exports of `text` that are async functions, by export key, read from the text without
 * parsing it, so that the index pass can record them for every file at no parsing cost.
 */
export function asyncExportsOfText(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(ASYNC_EXPORT)) {
    const name = match[1] ?? match[3] ?? match[4];
    if (name !== undefined) names.push(name);
  }
  return names;
}
