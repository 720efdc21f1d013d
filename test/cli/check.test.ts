import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import { tempDir } from '../helpers/temp.js';

function project(files: Record<string, string>): string {
  const root = tempDir('bounded-check-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

async function check(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  const code = await checkCommand(args, io, cwd);
  return { code, stdout, stderr };
}

const HAZARD = `import fs from 'node:fs';\nexport async function handler(path: string) {\n  return fs.readFileSync(path, 'utf8');\n}\n`;
const SAFE = `import fs from 'node:fs/promises';\nexport async function handler(path: string) {\n  return fs.readFile(path, 'utf8');\n}\n`;

describe('bounded check', () => {
  it('exits 1 with findings, and summarises them by rule and file', async () => {
    const root = project({ 'src/a.ts': HAZARD, 'src/b.ts': SAFE });
    const result = await check([], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('bounded/no-sync-io-in-async');
    expect(result.stderr).toContain('2 files checked, 1 finding');
    expect(result.stderr).toMatch(/by rule:\n\s+1 {2}bounded\/no-sync-io-in-async/);
  });

  it('exits 0 on clean code, with one line: how many files, no findings', async () => {
    const root = project({ 'src/b.ts': SAFE });
    const result = await check(['src'], root);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('bounded check: 1 file checked, no findings\n');
  });

  it('says so when there is nothing to check', async () => {
    const root = project({ 'docs/readme.md': '# not code\n', 'types/a.d.ts': 'export {};\n' });
    const result = await check([], root);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^bounded check: no JavaScript or TypeScript files to check in \. \(looked for \.ts .*\)\n$/);
  });

  it('skips node_modules and what .gitignore ignores', async () => {
    const root = project({
      'node_modules/x/index.js': HAZARD,
      'generated/a.ts': HAZARD,
      'src/ok.ts': SAFE,
      '.gitignore': 'generated/\n',
    });
    const result = await check(['--format', 'json'], root);
    const files = (JSON.parse(result.stdout) as { filePath: string }[]).map((r) => r.filePath);
    expect(files).toEqual([join(root, 'src/ok.ts')]);
    expect(result.code).toBe(0);
  });

  it('reports a file it cannot parse and still checks the rest', async () => {
    const root = project({ 'a.ts': 'export const broken = (;\n', 'b.ts': HAZARD });
    const result = await check(['--format', 'json'], root);
    const results = JSON.parse(result.stdout) as { filePath: string; messages: { fatal?: boolean; ruleId: string | null }[] }[];
    expect(results.find((r) => r.filePath.endsWith('a.ts'))!.messages[0]!.fatal).toBe(true);
    expect(results.find((r) => r.filePath.endsWith('b.ts'))!.messages[0]!.ruleId).toBe('bounded/no-sync-io-in-async');
    expect(result.stderr).toContain('1 file could not be parsed');
  });

  it("--format json is ESLint's own JSON output", async () => {
    const root = project({ 'a.ts': HAZARD });
    const results = JSON.parse((await check(['--format', 'json'], root)).stdout) as Record<string, unknown>[];
    expect(Object.keys(results[0]!)).toEqual(
      expect.arrayContaining([
        'filePath',
        'messages',
        'errorCount',
        'warningCount',
        'fixableErrorCount',
        'fixableWarningCount',
        'usedDeprecatedRules',
      ]),
    );
    expect(results[0]!.errorCount).toBe(1);
  });

  it('--format sarif writes SARIF 2.1.0 with rule metadata and relative locations', async () => {
    const root = project({ 'src/a.ts': HAZARD });
    const sarif = JSON.parse((await check(['--format', 'sarif'], root)).stdout) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string } }[] } };
        results: Record<string, unknown>[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.tool.driver.name).toBe('bounded');
    expect(run.tool.driver.rules.map((rule) => rule.id)).toEqual(['bounded/no-sync-io-in-async']);
    expect(run.results[0]).toMatchObject({
      ruleId: 'bounded/no-sync-io-in-async',
      ruleIndex: 0,
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region: { startLine: 3 } } }],
    });
  });

  it("uses the policy's lint settings", async () => {
    const root = project({
      'bounded.policy.yaml': 'version: 1\nlint:\n  blockingCalls: ["my-lib.loadSync"]\n',
      'a.ts': `import { loadSync } from 'my-lib';\nexport async function f() { return loadSync(); }\n`,
    });
    expect((await check([], root)).code).toBe(1);
  });

  it("stops with the policy's problems when the policy is invalid", async () => {
    const root = project({ 'bounded.policy.yaml': 'version: 1\ndefaults:\n  concurency: 3\n', 'a.ts': SAFE });
    const result = await check([], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bounded.policy.yaml:3:3: defaults.concurency: unknown key "concurency" (did you mean "concurrency"?)');
  });

  it('refuses an unknown format and a missing path with exit 2', async () => {
    const root = project({ 'a.ts': SAFE });
    expect((await check(['--format', 'xml'], root)).code).toBe(2);
    expect((await check(['nope'], root)).code).toBe(2);
  });
});
