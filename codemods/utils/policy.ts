import { dirname, resolve } from 'node:path';
import { loadPolicy, type ContextMatch, type Policy } from '@bounded/policy';

/** Options every transform accepts (jscodeshift passes CLI flags through as `options`). */
export interface TransformOptions {
  /** An already-loaded policy (the migrate runner loads it once). */
  readonly policy?: Policy;
  /** An explicit policy file, as `--policy`. */
  readonly policyPath?: string;
  /**
   * The `line:column`s of the fan-outs bounded/no-unbounded-concurrency reports in a file
   * (undefined when it cannot tell): `bounded migrate` passes it so that bound-promise-all
   * rewrites only what the rule flags. The codemods never import the plugin themselves.
   */
  readonly reportedFanOuts?: (path: string, source: string, policy: Policy) => ReadonlySet<string> | undefined;
  /**
   * Where the file runs, as @bounded/policy's `classifyFile` says (`bounded migrate` classifies
   * each file once and passes it); without it a transform that imports from the runtime
   * classifies the file itself. Browser code imports from `@bounded/runtime/core` only.
   */
  readonly contexts?: readonly ContextMatch[];
  readonly [key: string]: unknown;
}

const cache = new Map<string, Policy>();

/** The policy that applies to `filePath`: the given one, else the nearest bounded.policy.yaml. */
export function policyFor(filePath: string, options: TransformOptions | undefined): Policy {
  if (options?.policy !== undefined) return options.policy;
  const cwd = dirname(resolve(filePath === '' ? 'file.ts' : filePath));
  const key = `${options?.policyPath ?? ''}\0${cwd}`;
  let policy = cache.get(key);
  if (policy === undefined) {
    policy = loadPolicy({ cwd, path: options?.policyPath });
    cache.set(key, policy);
  }
  return policy;
}
