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

/** Where a rule's docs live, relative to the package root. */
export const ruleDocsPath = (name: string): string => `rules-docs/${name}.md`;

export const createRule = ESLintUtils.RuleCreator<BoundedRuleDocs>(
  (name) => `https://www.npmjs.com/package/bounded?activeTab=code#${ruleDocsPath(name)}`,
);
