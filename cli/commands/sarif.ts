import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ESLint, Rule } from 'eslint';
import { packageInfo } from '../package-info.js';

/**
 * A path segment as a file URL writes it (pathToFileURL's encoding): `%`, `#`, `?`, spaces,
 * controls, non-ASCII (as UTF-8) and the characters a URL treats specially are
 * percent-encoded; `:` too, so a first segment never reads as a scheme.
 */
function encodeSegment(segment: string): string {
  // encodeURIComponent, less the sub-delimiters a path may hold as they are ($ & + , ; = @).
  return encodeURIComponent(segment).replace(/%(2[46B]|2C|3B|3D|40)/g, (escaped) => decodeURIComponent(escaped));
}

/**
 * `file` as a URI reference relative to the folder `cwd` (the run's %SRCROOT%): its segments
 * encoded so that resolving it against `pathToFileURL(cwd)/` gives back `file`, whatever its
 * name holds (`pct%20enc.ts`, `hash#frag.ts`, `q?.ts`, spaces, non-ASCII). A file on another
 * drive (Windows), which has no relative path, gets its absolute file URL.
 */
export function relativeUri(cwd: string, file: string): string {
  const path = relative(cwd, file);
  if (isAbsolute(path)) return pathToFileURL(file).href;
  return path.split(sep).map(encodeSegment).join('/');
}

/** A SARIF 2.1.0 log of ESLint results, in the shape GitHub code scanning accepts. */
export function toSarif(
  results: readonly ESLint.LintResult[],
  rulesMeta: Record<string, Rule.RuleMetaData | undefined>,
  cwd: string,
): Record<string, unknown> {
  const ruleIds = [
    ...new Set(results.flatMap((result) => result.messages.map((message) => message.ruleId)).filter((id): id is string => id !== null)),
  ].sort();
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  const sarifResults = results.flatMap((result) =>
    result.messages.map((message) => {
      const uri = relativeUri(cwd, result.filePath);
      const region: Record<string, number> = { startLine: Math.max(1, message.line ?? 1), startColumn: Math.max(1, message.column ?? 1) };
      if (message.endLine !== undefined) region.endLine = message.endLine;
      if (message.endColumn !== undefined) region.endColumn = message.endColumn;
      return {
        ...(message.ruleId === null ? {} : { ruleId: message.ruleId, ruleIndex: index.get(message.ruleId) }),
        level: message.severity === 2 ? 'error' : 'warning',
        message: { text: message.message },
        locations: [{ physicalLocation: { artifactLocation: { uri, uriBaseId: '%SRCROOT%' }, region } }],
      };
    }),
  );
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bounded',
            version: packageInfo().version,
            informationUri: 'https://github.com/bounded-dev/bounded',
            rules: ruleIds.map((id) => {
              const meta = rulesMeta[id];
              return {
                id,
                shortDescription: { text: meta?.docs?.description ?? id },
                ...(meta?.docs?.url === undefined ? {} : { helpUri: meta.docs.url }),
                defaultConfiguration: { level: 'error' },
              };
            }),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToFileURL(cwd).href}/` } },
        results: sarifResults,
      },
    ],
  };
}
