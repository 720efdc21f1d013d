/** The policy's file globs: one linear-time matcher for the whole project, in @bounded/policy. */
export { MAX_GLOB_LENGTH, globMatcher, matchesAnyGlob, type GlobMatcher } from '@bounded/policy';
