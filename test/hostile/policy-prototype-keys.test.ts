/**
 * Probes: keys that are also names of Object.prototype's members (`constructor`, `toString`,
 * `__proto__`, `hasOwnProperty`) in a policy file or in BOUNDED_ENV. A policy key is an own
 * property or nothing: never a crash, never a silently dropped entry, never a function
 * mistaken for a setting.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy, revivePolicy } from '../../policy/index.js';
import { ConcurrencyManager, type ReloadFailure } from '../../runtime/index.js';
import { tempDir } from '../helpers/temp.js';

const FILE = '/repo/bounded.policy.yaml';
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const managers: ConcurrencyManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
});

function problems(text: string, env: Record<string, string> = {}): string[] {
  return parsePolicy(text, FILE, { env }).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
}

describe('a policy key is an own property, never a member of Object.prototype', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'a top-level %s: key is an unknown key at its line and column',
    (key) => {
      const found = problems(`version: 1\n${key}: { limit: 1 }\n`);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`^2:1 ${key}: unknown key "${key}"`));
    },
  );

  it('constructor: and toString: inside a section are unknown keys too', () => {
    const found = problems('version: 1\ndefaults:\n  constructor: 5\nmonitoring:\n  toString: 1s\n');
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^3:3 defaults\.constructor: unknown key "constructor"/);
    expect(found[1]).toMatch(/^5:3 monitoring\.toString: unknown key "toString"/);
  });

  it('a semaphore named __proto__ is refused at its key instead of validating and vanishing', () => {
    expect(problems('version: 1\nsemaphores:\n  __proto__: { limit: 3 }\n  agents: { limit: 2 }\n')).toEqual([
      '3:3 semaphores.__proto__: "__proto__" is not a valid name: JavaScript reserves it for an object\'s prototype; choose another',
    ]);
    expect(problems('version: 1\nenvironments:\n  __proto__: {}\n')).toEqual([
      '3:3 environments.__proto__: "__proto__" is not a valid name: JavaScript reserves it for an object\'s prototype; choose another',
    ]);
  });

  it('entries named constructor and toString are ordinary entries, and undefined names are undefined', () => {
    const result = parsePolicy('version: 1\nsemaphores:\n  constructor: { limit: 2 }\n  toString: { limit: 3 }\n', FILE, { env: {} });
    expect(result.problems).toEqual([]);
    const policy = result.policy!;
    // As the linter, the codemods and the stress harness look a name up: record[name].
    const lookup = (record: Readonly<Record<string, unknown>>, name: string): unknown => record[name];
    expect(lookup(policy.semaphores, 'constructor')).toEqual({ limit: 2, maxQueue: Number.POSITIVE_INFINITY });
    expect(lookup(policy.semaphores, 'toString')).toEqual({ limit: 3, maxQueue: Number.POSITIVE_INFINITY });
    expect(Object.keys(policy.semaphores)).toEqual(['constructor', 'toString']);
    expect(lookup(policy.rateLimits, 'constructor')).toBeUndefined();
    expect(lookup(policy.rateLimits, 'hasOwnProperty')).toBeUndefined();
    expect(lookup(policy.pools, 'toString')).toBeUndefined();
    expect(lookup(policy.http, 'valueOf')).toBeUndefined();
  });

  it('a policy sent to a worker thread (structured clone) gets prototype-free records back with revivePolicy', () => {
    const policy = parsePolicy('version: 1\nsemaphores:\n  constructor: { limit: 2 }\n', FILE, { env: {} }).policy!;
    const cloned = structuredClone(policy);
    const revived = revivePolicy(cloned);
    const lookup = (record: Readonly<Record<string, unknown>>, name: string): unknown => record[name];
    expect(lookup(revived.rateLimits, 'constructor')).toBeUndefined();
    expect(lookup(revived.semaphores, 'constructor')).toEqual({ limit: 2, maxQueue: Number.POSITIVE_INFINITY });
    expect(revived.rateLimits.openai).toEqual(policy.rateLimits.openai);
  });

  it('http.*.limiter and http.*.semaphore naming a prototype member are undefined references', () => {
    expect(problems('version: 1\nsemaphores:\n  a: { limit: 1 }\nhttp:\n  api: { limiter: toString, semaphore: constructor }\n')).toEqual([
      '5:19 http.api.limiter: names rate limit "toString", which is not defined; known: openai, anthropic, slack, discord, telegram, line, resend, stripe, github, expo, notion',
      '5:40 http.api.semaphore: names semaphore "constructor", which is not defined; known: a',
    ]);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'BOUNDED_ENV=%s applies no overlay instead of crashing the loader',
    (name) => {
      const text =
        'version: 1\nsemaphores:\n  agents: { limit: 10 }\nenvironments:\n  production:\n    semaphores:\n      agents: { limit: 50 }\n';
      const result = parsePolicy(text, FILE, { env: { BOUNDED_ENV: name } });
      expect(result.problems).toEqual([]);
      expect(result.policy!.environment).toBeUndefined();
      expect(result.policy!.semaphores.agents!.limit).toBe(10);
    },
  );

  it('an env: reference to a prototype member is an unset variable, not a function', () => {
    const result = parsePolicy('version: 1\npools:\n  main: { connectionString: env:constructor }\n', FILE, { env: {} });
    expect(result.policy!.pools.main!.connectionString).toBeUndefined();
  });
});

describe('a watched policy edited to hold such a key', () => {
  function policyFile(text: string): string {
    const file = join(tempDir('bounded-hostile-'), 'bounded.policy.yaml');
    writeFileSync(file, text);
    return file;
  }

  it.each([
    ['constructor: {}', 'constructor'],
    ['toString: x', 'toString'],
    ['__proto__: { version: 2 }', '__proto__'],
  ])('%s keeps the last good policy and reports the key', (line, key) => {
    const file = policyFile('version: 1\nsemaphores:\n  agents: { limit: 4 }\n');
    const manager = ConcurrencyManager.fromPolicy(file, { logger: quiet, env: {} });
    managers.push(manager);
    const agents = manager.semaphore('agents');
    const failures: ReloadFailure[] = [];
    manager.onReloadError((failure) => failures.push(failure));
    writeFileSync(file, `version: 1\n${line}\nsemaphores:\n  agents: { limit: 9 }\n`);
    expect(manager.reload()).toBe(false);
    expect(agents.limit).toBe(4);
    expect(manager.policy.semaphores.agents!.limit).toBe(4);
    expect(failures[0]!.problems[0]).toMatchObject({ line: 2, column: 1, path: key });
    expect(failures[0]!.problems[0]!.message).toContain(`unknown key "${key}"`);
  });

  it('the manager knows no resource named after a prototype member unless the policy defines it', () => {
    const manager = ConcurrencyManager.fromPolicy(
      parsePolicy('version: 1\nsemaphores:\n  constructor: { limit: 2 }\n', FILE, { env: {} }).policy,
      {
        logger: quiet,
      },
    );
    managers.push(manager);
    expect(manager.semaphore('constructor').limit).toBe(2);
    expect(() => manager.limiter('constructor')).toThrow(/No limiter named "constructor"/);
    expect(() => manager.pool('toString')).toThrow(/No pool named "toString"/);
  });
});
