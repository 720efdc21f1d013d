/**
 * The ESLint options of `bounded check`, as a module ESLint's worker threads load
 * (`ESLint.fromOptionsModule`): the plugin and parser are functions, which cannot be sent to a
 * worker, so each worker rebuilds the options from this module's URL parameters (config,
 * typed, policy, index, cwd, concurrency), exactly as the main thread did.
 */
import type { ESLint } from 'eslint';
import { lintConfig } from './commands/check.js';

const params = new URL(import.meta.url).searchParams;
const config = params.get('config');

const options: ESLint.Options = {
  cwd: params.get('cwd') ?? process.cwd(),
  overrideConfigFile: true,
  overrideConfig: lintConfig(
    config === 'strict' || config === 'all' ? config : 'recommended',
    params.get('typed') === 'true',
    params.get('policy') ?? undefined,
    { index: params.get('index') ?? undefined, reportUnusedDisableDirectives: params.get('reportUnused') === 'true' },
  ),
  errorOnUnmatchedPattern: false,
  concurrency: Number(params.get('concurrency') ?? 'off') || 'off',
};

export default options;
