/**
 * Probes: durations that validated but broke the code they reached. `600h` or `1e300` became
 * `AbortSignal.timeout(2160000000)`, which fires after 1 ms; a 311-digit duration became
 * Infinity; `1.0005s` became `AbortSignal.timeout(1000.5)`, which throws. A duration is now a
 * whole number of milliseconds no longer than a timer can wait, and anything else is a problem
 * naming file:line:column, the value and the range — before a codemod touches any file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jscodeshift, { type API } from 'jscodeshift';
import { describe, expect, it } from 'vitest';
import { transforms } from '../../codemods/index.js';
import { MAX_DURATION_MS, PolicyError, parseDuration, parsePolicy, tryParseDuration } from '../../policy/index.js';
import { migrate, project, snapshot } from '../cli/migrate-helpers.js';

const FILE = '/repo/bounded.policy.yaml';
const RANGE = 'a whole number of milliseconds from 1 to 2147483647 (about 24.8 days, the longest a timer can wait)';

function problems(text: string): string[] {
  return parsePolicy(text, FILE, { env: {} }).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
}

function httpTimeout(value: string): string[] {
  return problems(`version: 1\ndefaults:\n  timeouts:\n    http: ${value}\n`);
}

describe('a duration in the policy', () => {
  it.each([
    ['600h', '600h', `4:11 defaults.timeouts.http: expected ${RANGE}, got "600h" (2160000000 ms)`],
    ['1e300', '1e300', `4:11 defaults.timeouts.http: expected ${RANGE}, got 1e+300`],
    ['2147483648', '2147483648', `4:11 defaults.timeouts.http: expected ${RANGE}, got 2147483648`],
    ['1.0005s', '1.0005s', `4:11 defaults.timeouts.http: expected ${RANGE}, got "1.0005s" (1000.5 ms)`],
    ['1000.5', '1000.5', `4:11 defaults.timeouts.http: expected ${RANGE}, got 1000.5`],
    ['0.5ms', '0.5ms', `4:11 defaults.timeouts.http: expected ${RANGE}, got "0.5ms" (0.5 ms)`],
    ['-5', '-5', '4:11 defaults.timeouts.http: expected a positive duration such as 500ms, 60s or 1m, got -5'],
    ['a 311-digit duration', `${'9'.repeat(311)}s`, `4:11 defaults.timeouts.http: expected ${RANGE}, got "${'9'.repeat(37)}..."`],
    ['.inf', '.inf', `4:11 defaults.timeouts.http: expected ${RANGE}, got Infinity`],
  ])('%s is refused at its line and column with the value and the allowed range', (_label, value, message) => {
    expect(httpTimeout(value)).toEqual([message]);
  });

  it('is refused wherever durations are: rate-limit windows, pools, stores, monitoring, overlays', () => {
    const found = problems(
      [
        'version: 1',
        'rateLimits:',
        '  slow: { rate: 1, per: 25d }',
        '  slower: { rate: 1, per: 720h }',
        'pools:',
        '  main: { connectionString: "postgres://db/app", queryTimeout: 1.5ms }',
        'monitoring:',
        '  interval: 1e10',
        'environments:',
        '  production:',
        '    defaults: { timeouts: { model: 600h } }',
        '',
      ].join('\n'),
    );
    expect(found).toEqual([
      '3:25 rateLimits.slow.per: expected a positive duration such as 500ms, 60s or 1m, got "25d"',
      `4:27 rateLimits.slower.per: expected ${RANGE}, got "720h" (2592000000 ms)`,
      `6:64 pools.main.queryTimeout: expected ${RANGE}, got "1.5ms" (1.5 ms)`,
      `8:13 monitoring.interval: expected ${RANGE}, got 10000000000`,
      `11:36 environments.production.defaults.timeouts.model: expected ${RANGE}, got "600h" (2160000000 ms)`,
    ]);
  });

  it.each([
    ['1.005s', 1_005],
    ['4.35m', 261_000],
    ['0.001s', 1],
    ['1.50s', 1_500],
    ['2.5m', 150_000],
    ['24h', 86_400_000],
    ['596h', 2_145_600_000],
    ['2147483647', MAX_DURATION_MS],
    ['2147483647ms', MAX_DURATION_MS],
    ['007s', 7_000],
  ])('%s is exactly %i ms', (value, ms) => {
    const result = parsePolicy(`version: 1\ndefaults:\n  timeouts:\n    http: ${value}\n`, FILE, { env: {} });
    expect(result.problems).toEqual([]);
    expect(result.policy!.defaults.timeouts.http).toBe(ms);
    // Every accepted value is one AbortSignal.timeout takes and honours.
    expect(() => AbortSignal.timeout(ms)).not.toThrow();
  });
});

describe('parseDuration, for runtime arguments', () => {
  it('reads text exactly, and refuses what is no finite number instead of returning Infinity', () => {
    expect(parseDuration('per', '1.005s')).toBe(1_005);
    expect(parseDuration('per', '4.35m')).toBe(261_000);
    // A limiter's window is its own business: a fraction or a month is a real window.
    expect(parseDuration('per', 15.5)).toBe(15.5);
    expect(parseDuration('per', '720h')).toBe(2_592_000_000);
    expect(() => parseDuration('per', `${'9'.repeat(311)}s`)).toThrow(
      new TypeError(`Expected \`per\` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got "${'9'.repeat(37)}..."`),
    );
    expect(() => parseDuration('per', Number.POSITIVE_INFINITY)).toThrow(/got Infinity$/);
    expect(tryParseDuration(`${'1'.repeat(311)}ms`)).toBeUndefined();
    expect(() => parseDuration('per', '1d')).toThrow(
      'Expected `per` to be a duration such as 500ms, 60s, 1m or a number of milliseconds, got "1d"',
    );
  });
});

describe('the codemods that print durations', () => {
  const HAZARD = `export async function load(url: string) {\n  const res = await fetch(url);\n  return res.json();\n}\n`;

  it.each(['600h', '1e300', '1.0005s'])('bounded migrate with timeouts.http: %s refuses before any file is touched', async (value) => {
    const root = project({
      'bounded.policy.yaml': `version: 1\ndefaults:\n  timeouts:\n    http: ${value}\n`,
      'src/a.ts': HAZARD,
    });
    const before = snapshot(root);
    const result = await migrate(['--force'], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(root, 'bounded.policy.yaml')}:4:11: defaults.timeouts.http: expected ${RANGE}`);
    expect(snapshot(root)).toEqual(before);
    expect(readFileSync(join(root, 'src/a.ts'), 'utf8')).toBe(HAZARD);
  });

  it('add-timeouts given such a policy file throws its PolicyError instead of printing the number', () => {
    const root = project({ 'bounded.policy.yaml': 'version: 1\ndefaults:\n  timeouts:\n    http: 600h\n' });
    const j = jscodeshift.withParser('ts');
    const api: API = { jscodeshift: j, j, stats: () => {}, report: () => {} };
    const file = { path: join(root, 'a.ts'), source: HAZARD };
    expect(() => transforms['add-timeouts'](file, api, { policyPath: join(root, 'bounded.policy.yaml') })).toThrow(PolicyError);
  });

  it('prints the longest valid duration as it is', () => {
    const policy = parsePolicy('version: 1\ndefaults:\n  timeouts:\n    http: 2147483647\n', FILE, { env: {} }).policy!;
    const j = jscodeshift.withParser('ts');
    const api: API = { jscodeshift: j, j, stats: () => {}, report: () => {} };
    const output = transforms['add-timeouts']({ path: 'a.ts', source: HAZARD }, api, { policy }) as string;
    expect(output).toMatch(/AbortSignal\.timeout\(2_?147_?483_?647\)/);
  });
});
