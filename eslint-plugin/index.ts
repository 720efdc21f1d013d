import type { ESLint, Linter } from 'eslint';
import { packageInfo } from './utils/package-info.js';
import { rules } from './rules/index.js';

/**
 * bounded's ESLint plugin. In a flat config:
 *
 * ```js
 * import bounded from 'eslint-plugin-bounded';
 * export default [bounded.configs.recommended];
 * ```
 */
const plugin = {
  meta: { name: 'bounded', version: packageInfo().version },
  rules,
  configs: {} as Record<'recommended' | 'strict' | 'all', Linter.Config>,
};

type RuleName = keyof typeof rules;

function config(name: string, pick: (docs: { recommended?: boolean; strict?: boolean }) => boolean): Linter.Config {
  const enabled: Linter.RulesRecord = {};
  for (const [ruleName, rule] of Object.entries(rules) as [RuleName, (typeof rules)[RuleName]][]) {
    if (pick(rule.meta.docs as { recommended?: boolean; strict?: boolean })) enabled[`bounded/${ruleName}`] = 'error';
  }
  return { name: `bounded/${name}`, plugins: { bounded: plugin as unknown as ESLint.Plugin }, rules: enabled };
}

plugin.configs.recommended = config('recommended', (docs) => docs.recommended === true);
plugin.configs.strict = config('strict', (docs) => docs.recommended === true || docs.strict === true);
plugin.configs.all = config('all', () => true);

// Rules that read `strict` from their options are configured for it in the strict preset, and
// the strict preset also reports what only its options turn on (`reportSdkDefaults`).
const STRICT_OPTIONS = ['strict', 'reportSdkDefaults'] as const;
for (const [ruleName, rule] of Object.entries(rules)) {
  const schema = rule.meta.schema as unknown as { properties?: Record<string, unknown> }[] | undefined;
  const on = STRICT_OPTIONS.filter((option) => schema?.[0]?.properties?.[option] !== undefined);
  if (on.length > 0 && plugin.configs.strict.rules?.[`bounded/${ruleName}`] !== undefined) {
    plugin.configs.strict.rules[`bounded/${ruleName}`] = ['error', Object.fromEntries(on.map((option) => [option, true]))];
  }
}

export default plugin as typeof plugin & ESLint.Plugin;
export { rules };

/**
 * The index pass `bounded check` runs before linting (what each exported function, class and
 * method of a project calls, requests or connects), for tools that drive the rules the same way.
 */
export { asyncExportsOfText, factsOfText } from './utils/file-facts.js';
export { resolveImportPath } from './utils/module-paths.js';
export type { ExportFacts, ProjectIndex } from './utils/project-index.js';
