import { ESLintUtils } from '@typescript-eslint/utils';
import { ruleRunsHere } from './contexts.js';

/** Docs every bounded rule declares (read by eslint-doc-generator and the configs). */
export interface BoundedRuleDocs {
  description: string;
  /** In `recommended` (and so in `strict` and `all`). */
  recommended?: boolean;
  /** In `strict` (and `all`) but not `recommended`. */
  strict?: boolean;
  /** The rule uses type information when it is available; it never requires it. */
  requiresTypeChecking?: false;
}

/** Where a rule's docs live, relative to the repository root and to eslint-plugin-bounded's root (both ship them). */
export const ruleDocsPath = (name: string): string => `rules-docs/${name}.md`;

/** The one base every rule's `meta.docs.url` is built from: the docs in the repository. */
export const RULE_DOCS_BASE = 'https://github.com/bounded-dev/bounded/blob/main/';

/** A rule's documentation URL. */
export const ruleDocsUrl = (name: string): string => `${RULE_DOCS_BASE}${ruleDocsPath(name)}`;

const createNamedRule = ESLintUtils.RuleCreator<BoundedRuleDocs>(ruleDocsUrl);
/**
 * Creates a bounded rule. Every rule runs only where the policy's `lint.contexts` lets it
 * (see utils/contexts.ts): on a test, a script, browser, vendored or generated file, a rule
 * that context skips returns no listeners, inside plain ESLint as in `bounded check`.
 */
export const createRule: typeof createNamedRule = (rule) =>
  createNamedRule({
    ...rule,
    create: (context, options) => (ruleRunsHere(rule.name, context) ? rule.create(context, options) : {}),
  });
