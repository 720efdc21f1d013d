import type { Suite } from '../suite.js';

/**
 * Every suite the runner knows, loaded lazily so that `--help` and argument errors stay fast.
 * To add a suite: write bench/suites/<name>.ts (default export: a `Suite`), add it here, and
 * drop it from `plannedSuites`.
 */
export const suites: Readonly<Record<string, () => Promise<Suite>>> = {
  runtime: async () => (await import('./runtime.js')).default,
  ratelimit: async () => (await import('./ratelimit.js')).default,
  pool: async () => (await import('./pool.js')).default,
  http: async () => (await import('./http.js')).default,
  lint: async () => (await import('./lint.js')).default,
  codemod: async () => (await import('./codemod.js')).default,
  precision: async () => (await import('./precision.js')).default,
};

/** Named in DESIGN.md but not written yet; asking for one gets a clearer error. */
export const plannedSuites: readonly string[] = ['stress'];

export async function loadSuite(name: string): Promise<Suite> {
  const load = Object.hasOwn(suites, name) ? suites[name] : undefined;
  if (load === undefined) throw new Error(`Unknown suite '${name}'`);
  return load();
}
