/** `.gitignore` lines, read with the project's one linear-time glob matcher (@bounded/policy). */
export { MAX_GLOB_LENGTH as MAX_GITIGNORE_LINE, gitignoreMatcher, type GlobMatcher } from '@bounded/policy';
