import { ESLintUtils } from '@typescript-eslint/utils';

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

export const createRule = ESLintUtils.RuleCreator<BoundedRuleDocs>(ruleDocsUrl);
