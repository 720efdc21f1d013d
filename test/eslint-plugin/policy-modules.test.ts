/**
 * The policy extends the catalog with a project's own functions (`lint.providers`,
 * `lint.httpClients`), named by file: they are matched on the file an import resolves to,
 * however the import is spelled, and never by a name alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../eslint-plugin/index.js';
import { clearPolicyCache } from '../../eslint-plugin/utils/policy.js';
import { tempDir } from '../helpers/temp.js';

const POLICY = `version: 1
lint:
  providers:
    - module: ./src/llm.ts
      limiter: openai
      methods: [complete]
  httpClients:
    - module: ./src/http.ts
      methods: [getJson]
      optionsIndex: 1
      timeoutKeys: [timeout]
    - module: ./src/safe-http.ts
      methods: [getJson]
      deadline: 5s
`;

function project(): string {
  const root = tempDir('bounded-policy-modules-');
  const files: Record<string, string> = {
    'bounded.policy.yaml': POLICY,
    'src/llm.ts': 'export declare function complete(prompt: string): Promise<string>;\n',
    'src/http.ts': 'export declare function getJson(path: string, options?: { timeout?: number }): Promise<unknown>;\n',
    'src/safe-http.ts': 'export declare function getJson(path: string): Promise<unknown>;\n',
    'src/other.ts': 'export declare function complete(prompt: string): Promise<string>;\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function lint(root: string, file: string, code: string): string[] {
  clearPolicyCache();
  const linter = new Linter({ cwd: root });
  const messages = linter.verify(
    code,
    [
      { files: ['**/*.ts'], languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 'latest', sourceType: 'module' } } },
      {
        files: ['**/*.ts'],
        plugins: { bounded: plugin },
        rules: { 'bounded/no-unthrottled-provider-call': 'error', 'bounded/require-timeout': 'error' },
        settings: { bounded: { policy: join(root, 'bounded.policy.yaml') } },
      },
    ],
    join(root, file),
  );
  return messages.map((message) => `${message.ruleId ?? 'fatal'}: ${message.message}`);
}

describe('policy-listed project functions', () => {
  const root = project();

  it('matches a provider function by the file its import resolves to, however it is spelled', () => {
    for (const specifier of ['../llm.js', '../llm', '../../src/llm.ts']) {
      const found = lint(
        root,
        'src/jobs/digest.ts',
        `import { complete } from '${specifier}';\nexport const digest = (texts: string[]) => Promise.all(texts.map((text) => complete(text)));\n`,
      );
      expect(found, specifier).toEqual([
        expect.stringMatching(/^bounded\/no-unthrottled-provider-call: `complete` starts \S+ calls all at once .*60 requests\/min/),
      ]);
    }
  });

  it('does not match a function of the same name from another file', () => {
    expect(
      lint(
        root,
        'src/jobs/digest.ts',
        `import { complete } from '../other.js';\nexport const digest = (texts: string[]) => Promise.all(texts.map((text) => complete(text)));\n`,
      ),
    ).toEqual([]);
  });

  it('treats a listed HTTP wrapper as a request, and one with its own deadline as safe', () => {
    expect(
      lint(root, 'src/a.ts', `import { getJson } from './http.js';\nexport const load = (id: string) => getJson(\`/users/\${id}\`);\n`),
    ).toEqual([expect.stringMatching(/^bounded\/require-timeout: `getJson` has no deadline.*`timeout: 60_000`/)]);
    expect(
      lint(
        root,
        'src/a.ts',
        `import { getJson } from './http.js';\nexport const load = (id: string) => getJson(\`/users/\${id}\`, { timeout: 5_000 });\n`,
      ),
    ).toEqual([]);
    expect(
      lint(
        root,
        'src/a.ts',
        `import { getJson } from './safe-http.js';\nexport const load = (id: string) => getJson(\`/users/\${id}\`);\n`,
      ),
    ).toEqual([]);
  });
});
