/**
 * `bounded migrate` and where code runs. Each candidate is classified once with
 * @bounded/policy's `classifyFile` (the classifier `bounded check` and the rules use): tests,
 * scripts, vendored and generated code are left out unless `--include-context` names them
 * (their hazards are not a service's: a test's fan-out or a script's connection is no
 * incident), and browser code is migrated with imports from `@bounded/runtime/core` only.
 */
import { dirname } from 'node:path';
import { classifyFile, CODE_CONTEXTS, suggest, type CodeContext, type ContextMatch, type Policy } from '@bounded/policy';

/**
 * The rule whose findings each transform fixes. Where the policy turns that rule off for a
 * file's context (by default: require-timeout, no-unthrottled-provider-call and
 * no-unbounded-concurrency in browser code), the transform does not run on the file either,
 * so `bounded check` after a migration sees exactly what it saw before, less what was fixed.
 * A transform not listed runs wherever the file is migrated.
 */
export const TRANSFORM_RULES: Readonly<Record<string, string>> = {
  'add-timeouts': 'require-timeout',
  'bound-promise-all': 'no-unbounded-concurrency',
  'modernize-timeouts': 'no-handmade-timeout',
  'pool-connections': 'no-per-call-connection',
  'release-clients': 'require-release',
  'throttle-provider-calls': 'no-unthrottled-provider-call',
  'track-background-work': 'no-unmanaged-background-work',
};

/** The contexts migrated without being asked for. */
export const MIGRATED_CONTEXTS: readonly CodeContext[] = ['service', 'browser'];
/** The contexts `--include-context` can add. */
export const OPTIONAL_CONTEXTS: readonly CodeContext[] = CODE_CONTEXTS.filter((context) => !MIGRATED_CONTEXTS.includes(context));

/** The contexts `--include-context` (`test,script`, or `all`) asks for on top of the default, or a usage error. */
export function includedContexts(value: string | undefined): { readonly contexts: ReadonlySet<CodeContext> } | { readonly error: string } {
  const contexts = new Set<CodeContext>(MIGRATED_CONTEXTS);
  for (const name of value
    ?.split(',')
    .map((part) => part.trim())
    .filter(Boolean) ?? []) {
    if (name === 'all') OPTIONAL_CONTEXTS.forEach((context) => contexts.add(context));
    else if ((OPTIONAL_CONTEXTS as readonly string[]).includes(name)) contexts.add(name as CodeContext);
    else {
      const hint = suggest(name, [...OPTIONAL_CONTEXTS, 'all']);
      return {
        error: `--include-context: unknown context "${name}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; known: ${OPTIONAL_CONTEXTS.join(', ')}, all`,
      };
    }
  }
  return { contexts };
}

/** Where `file` (whose text is `text`) runs, and the first context of it the run leaves out (with why), if any. */
export function placeFile(
  file: string,
  text: string,
  policy: Policy,
  cwd: string,
  included: ReadonlySet<CodeContext>,
): { readonly matches: readonly ContextMatch[]; readonly excluded?: ContextMatch; readonly ruledOut: (transform: string) => boolean } {
  const base = policy.source === undefined ? cwd : dirname(policy.source);
  const contexts = classifyFile(file, text, policy, base);
  // The policy's rule switches per context, except for a context --include-context asked for
  // by name: asking to migrate tests means their fetches too, though check lets them be.
  const skip = new Set<string>();
  for (const match of contexts.matches) {
    if (match.context === 'service' || (included.has(match.context) && !MIGRATED_CONTEXTS.includes(match.context))) continue;
    for (const rule of policy.lint.contexts[match.context].skip) skip.add(rule);
  }
  const ruledOut = (transform: string): boolean => {
    const rule = TRANSFORM_RULES[transform];
    return rule !== undefined && (skip.has('all') || skip.has(rule));
  };
  return { matches: contexts.matches, excluded: contexts.matches.find((match) => !included.has(match.context)), ruledOut };
}
