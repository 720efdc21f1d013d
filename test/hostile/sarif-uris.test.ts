/**
 * Issue 21, item 15: SARIF locations were paths pasted into URIs, so `pct%20enc.ts` resolved
 * to `pct enc.ts` and `hash#frag.ts` to `hash` with a fragment. Artifact URIs are now
 * percent-encoded the way pathToFileURL encodes them: resolved against %SRCROOT%, each gives
 * back its file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import { relativeUri, toSarif } from '../../cli/commands/sarif.js';
import { tempDir } from '../helpers/temp.js';

const NAMES = [
  'pct%20enc.ts',
  'hash#frag.ts',
  'query?x=1.ts',
  'sp ace.ts',
  'ünïcödé.ts',
  '日本.ts',
  'colon:first.ts',
  'semi;amp&plus+.ts',
  'back\\slash.ts',
  '100%.ts',
];

interface SarifLog {
  runs: {
    originalUriBaseIds: Record<string, { uri: string }>;
    results: { locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string } } }[] }[];
  }[];
}

/** The file a result's location points at, as a SARIF consumer resolves it. */
function resolveLocation(log: SarifLog, index: number): string {
  const run = log.runs[0]!;
  const { uri, uriBaseId } = run.results[index]!.locations[0]!.physicalLocation.artifactLocation;
  return fileURLToPath(new URL(uri, run.originalUriBaseIds[uriBaseId]!.uri));
}

function result(filePath: string): ESLint.LintResult {
  return {
    filePath,
    messages: [{ ruleId: 'bounded/require-timeout', severity: 2, message: 'm', line: 1, column: 1 }],
    suppressedMessages: [],
    errorCount: 1,
    fatalErrorCount: 0,
    warningCount: 0,
    fixableErrorCount: 0,
    fixableWarningCount: 0,
    usedDeprecatedRules: [],
  };
}

describe('SARIF artifact URIs are percent-encoded (issue 21, item 15)', () => {
  it('every awkward name resolves back to its own file against %SRCROOT%', () => {
    const cwd = '/work/pro ject#1';
    const files = [...NAMES.map((name) => join(cwd, 'src', name)), join(cwd, 'a dir?', 'x.ts'), '/work/other %41/y#.ts'];
    const log = toSarif(files.map(result), {}, cwd) as unknown as SarifLog;
    files.forEach((file, i) => expect(resolveLocation(log, i), file).toBe(file));
  });

  it('encodes %, #, ?, spaces and non-ASCII; keeps / between folders; leaves plain names alone', () => {
    expect(relativeUri('/p', '/p/pct%20enc.ts')).toBe('pct%2520enc.ts');
    expect(relativeUri('/p', '/p/hash#frag.ts')).toBe('hash%23frag.ts');
    expect(relativeUri('/p', '/p/q?.ts')).toBe('q%3F.ts');
    expect(relativeUri('/p', '/p/sp ace.ts')).toBe('sp%20ace.ts');
    expect(relativeUri('/p', '/p/é.ts')).toBe('%C3%A9.ts');
    expect(relativeUri('/p', '/p/colon:first.ts')).toBe('colon%3Afirst.ts');
    expect(relativeUri('/p', '/p/src/deep/a.ts')).toBe('src/deep/a.ts');
    expect(relativeUri('/p', '/q/a.ts')).toBe('../q/a.ts');
  });

  it('bounded check --format sarif on real files named so', async () => {
    const root = tempDir('bounded-sarif-');
    mkdirSync(join(root, 'src'));
    const hazard = `import fs from 'node:fs';\nexport async function handler(path: string) {\n  return fs.readFileSync(path, 'utf8');\n}\n`;
    for (const name of NAMES) writeFileSync(join(root, 'src', name), hazard);
    let stdout = '';
    await checkCommand(
      ['--format', 'sarif', '--quiet'],
      { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } },
      root,
    );
    const log = JSON.parse(stdout) as SarifLog;
    const resolved = log.runs[0]!.results.map((_, i) => resolveLocation(log, i));
    expect(resolved.sort()).toEqual(NAMES.map((name) => join(root, 'src', name)).sort());
  });
});
