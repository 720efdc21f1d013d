import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy, policyJsonSchema } from '../../policy/index.js';

const FILE = '/repo/bounded.policy.yaml';

function problems(text: string) {
  return parsePolicy(text, FILE, { env: {} }).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
}

describe('lint.contexts', () => {
  it('defaults: tests and scripts skip no-sync-io-in-async and the background rules, browser code the deadline, provider, fan-out and background rules, vendored and generated code every rule', () => {
    const contexts = defaultPolicy().lint.contexts;
    expect(contexts).toEqual({
      service: { files: [], skip: [] },
      test: { files: [], skip: ['no-sync-io-in-async', 'require-timeout', 'no-handmade-timeout', 'no-unmanaged-background-work'] },
      script: { files: [], skip: ['no-sync-io-in-async', 'no-unmanaged-background-work'] },
      browser: {
        files: [],
        skip: ['require-timeout', 'no-unthrottled-provider-call', 'no-unbounded-concurrency', 'no-handmade-timeout', 'no-unmanaged-background-work'],
      },
      vendored: { files: [], skip: ['all'] },
      generated: { files: [], skip: ['all'] },
    });
  });

  it('adds the file\'s globs and replaces a skip list it states; an environment overlay may change both', () => {
    const text = [
      'version: 1',
      'lint:',
      '  contexts:',
      '    service: { files: ["test/server/**"] }',
      '    test: { files: ["**/fixtures/**"], skip: [] }',
      '    script: { skip: [no-sync-io-in-async, require-timeout] }',
      'environments:',
      '  ci:',
      '    lint:',
      '      contexts:',
      '        vendored: { files: ["deps/**"] }',
    ].join('\n');
    const result = parsePolicy(text, FILE, { env: {}, environment: 'ci' });
    expect(result.problems).toEqual([]);
    const contexts = result.policy!.lint.contexts;
    expect(contexts.service.files).toEqual(['test/server/**']);
    expect(contexts.test).toEqual({ files: ['**/fixtures/**'], skip: [] });
    expect(contexts.script.skip).toEqual(['no-sync-io-in-async', 'require-timeout']);
    expect(contexts.vendored).toEqual({ files: ['deps/**'], skip: ['all'] });
    expect(contexts.browser.skip).toEqual(defaultPolicy().lint.contexts.browser.skip);
  });

  it('reports unknown contexts, keys and malformed rule names with their place', () => {
    expect(
      problems('version: 1\nlint:\n  contexts:\n    tests: { files: [a] }\n    script: { skip: [bounded/no-sync-io-in-async], file: [x] }\n'),
    ).toEqual([
      '4:5 lint.contexts.tests: unknown key "tests" (did you mean "test"?)',
      '5:21 lint.contexts.script.skip[0]: expected a rule name without bounded/ ("no-sync-io-in-async") or "all", got "bounded/no-sync-io-in-async"',
      '5:52 lint.contexts.script.file: unknown key "file" (did you mean "files"?)',
    ]);
    expect(problems('version: 1\nlint:\n  contexts:\n    service: { skip: [all] }\n')).toEqual([
      '4:16 lint.contexts.service.skip: unknown key "skip"; expected one of files',
    ]);
  });

  it('is in the shipped JSON Schema, so editors complete and check it', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(policyJsonSchema());
    expect(validate({ version: 1, lint: { contexts: { browser: { files: ['web/**'], skip: ['require-timeout'] } } } })).toBe(true);
    expect(validate({ version: 1, lint: { contexts: { browser: { skip: ['bounded/require-timeout'] } } } })).toBe(false);
    expect(validate({ version: 1, lint: { contexts: { mobile: {} } } })).toBe(false);
  });
});
