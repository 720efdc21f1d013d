import { relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ESLint, Rule } from 'eslint';
import { packageInfo } from '../package-info.js';

/** A SARIF 2.1.0 log of ESLint results, in the shape GitHub code scanning accepts. */
export function toSarif(
  results: readonly ESLint.LintResult[],
  rulesMeta: Record<string, Rule.RuleMetaData | undefined>,
  cwd: string,
): Record<string, unknown> {
  const ruleIds = [...new Set(results.flatMap((result) => result.messages.map((message) => message.ruleId)).filter((id): id is string => id !== null))].sort();
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  const sarifResults = results.flatMap((result) =>
    result.messages.map((message) => {
      const uri = relative(cwd, result.filePath).split(sep).join('/');
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
            informationUri: 'https://www.npmjs.com/package/bounded',
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
