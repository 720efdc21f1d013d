import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  PolicyError,
  STARTER_POLICY,
  defaultPolicy,
  findPolicyFile,
  loadPolicy,
  parsePolicy,
  resolvePolicyPath,
} from '../../policy/index.js';
import { tempDir } from '../helpers/temp.js';

const FILE = '/repo/bounded.policy.yaml';

function problems(text: string, env: Record<string, string> = {}) {
  return parsePolicy(text, FILE, { env }).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
}

function policy(text: string, env: Record<string, string> = {}) {
  const result = parsePolicy(text, FILE, { env });
  expect(result.problems).toEqual([]);
  return result.policy!;
}

describe('the embedded default policy', () => {
  it("is the remediation plan's table", () => {
    const p = defaultPolicy();
    expect(p.defaults.concurrency).toBe(10);
    expect(p.defaults.pool).toEqual({ min: 5, max: 20 });
    expect(p.defaults.timeouts.http).toBe(60_000);
    expect(p.defaults.timeouts.model).toBe(60_000);
    expect(p.rateLimits.openai).toMatchObject({ rate: 60, perMs: 60_000, algorithm: 'sliding-window' });
    expect(p.rateLimits.anthropic).toMatchObject({ rate: 50, perMs: 60_000 });
    expect(p.monitoring.utilizationWarning).toBe(0.8);
    expect(p.source).toBeUndefined();
  });

  it('is frozen, so nothing at run time can change a default', () => {
    expect(Object.isFrozen(DEFAULT_POLICY.defaults.timeouts)).toBe(true);
  });
});

describe('a policy file states only what differs', () => {
  it('keeps every default it does not mention and reads durations', () => {
    const p = policy('version: 1\ndefaults:\n  timeouts:\n    http: 5s\nrateLimits:\n  openai:\n    rate: 120\n');
    expect(p.defaults.timeouts.http).toBe(5_000);
    expect(p.defaults.timeouts.model).toBe(60_000);
    expect(p.rateLimits.openai).toMatchObject({ rate: 120, perMs: 60_000 });
    expect(p.rateLimits.anthropic!.rate).toBe(50);
  });

  it('fills entry defaults from the policy defaults', () => {
    const p = policy(
      'version: 1\ndefaults:\n  timeouts:\n    dbStatement: 2s\n  pool: { min: 1, max: 4 }\npools:\n  main:\n    connectionString: postgres://x\nhttp:\n  api: { limiter: openai }\n',
    );
    expect(p.pools.main).toMatchObject({ min: 1, max: 4, statementTimeoutMs: 2_000, connectionString: 'postgres://x' });
    expect(p.http.api).toMatchObject({ timeoutMs: 60_000, connections: 10, retries: 2, limiter: 'openai' });
  });

  it('resolves env: references, and keeps the reference when the variable is unset', () => {
    const text = 'version: 1\npools:\n  main:\n    connectionString: env:DATABASE_URL\n';
    expect(policy(text, { DATABASE_URL: 'postgres://db/app' }).pools.main!.connectionString).toBe('postgres://db/app');
    const unset = policy(text).pools.main!;
    expect(unset.connectionString).toBeUndefined();
    expect(unset.connectionStringRef).toBe('env:DATABASE_URL');
  });

  it('applies the overlay chosen by BOUNDED_ENV before NODE_ENV', () => {
    const text =
      'version: 1\nsemaphores:\n  agents: { limit: 10 }\nenvironments:\n  production:\n    semaphores:\n      agents: { limit: 50 }\n  staging:\n    semaphores:\n      agents: { limit: 20, maxQueue: 5 }\n';
    expect(policy(text).semaphores.agents).toEqual({ limit: 10, maxQueue: Number.POSITIVE_INFINITY });
    expect(policy(text, { NODE_ENV: 'production' }).semaphores.agents!.limit).toBe(50);
    const staging = policy(text, { NODE_ENV: 'production', BOUNDED_ENV: 'staging' });
    expect(staging.semaphores.agents).toEqual({ limit: 20, maxQueue: 5 });
    expect(staging.environment).toBe('staging');
    expect(policy(text, { NODE_ENV: 'test' }).environment).toBeUndefined();
  });

  it('accepts the starter file that `bounded policy init` writes', () => {
    const p = policy(STARTER_POLICY);
    expect(p.semaphores.agents).toEqual({ limit: 10, maxQueue: 1000 });
    expect(p.lint.allowPerCallConnections).toEqual(['migrations/**']);
  });
});

describe('validation names file, line and column for every problem at once', () => {
  it('reports a bad value at the value', () => {
    expect(problems('version: 1\nrateLimits:\n  openai:\n    rate: -1\n')).toEqual([
      '4:11 rateLimits.openai.rate: expected a positive number, got -1',
    ]);
  });

  it('reports an unknown key at the key, with a did-you-mean', () => {
    expect(problems('version: 1\ndefaults:\n  concurency: 5\n')).toEqual([
      '3:3 defaults.concurency: unknown key "concurency" (did you mean "concurrency"?)',
    ]);
  });

  it('reports several problems in one file, in file order', () => {
    const found = problems(
      'version: 1\nsemaphores:\n  a: { limit: 0 }\n  b: {}\nrateLimits:\n  x: { rate: 5, per: soon, burst: 3 }\nhttp:\n  api: { limiter: opnai, timeout: 0 }\nmonitoring:\n  utilizationWarning: 80\n',
    );
    expect(found).toEqual([
      '3:15 semaphores.a.limit: expected an integer of at least 1, got 0',
      '4:3 semaphores.b: missing limit (a positive integer)',
      '6:22 rateLimits.x.per: expected a positive duration such as 500ms, 60s or 1m, got "soon"',
      '6:28 rateLimits.x.burst: burst applies only to algorithm: token-bucket',
      '8:19 http.api.limiter: names rate limit "opnai", which is not defined (did you mean "openai"?); known: openai, anthropic, slack, discord, telegram, line, resend, stripe, github, expo, notion, x',
      '8:35 http.api.timeout: expected a positive duration such as 500ms, 60s or 1m, got 0',
      '10:23 monitoring.utilizationWarning: expected a number from 0 to 1, got 80',
    ]);
  });

  it('reports an enum value with the allowed ones', () => {
    expect(problems('version: 1\nrateLimits:\n  openai: { algorithm: leaky-bucket }\n')).toEqual([
      '3:24 rateLimits.openai.algorithm: expected one of "sliding-window", "token-bucket", got "leaky-bucket"',
    ]);
  });

  it('requires version: 1', () => {
    expect(problems('defaults: {}\n')).toEqual(['1:1 version: missing; this format is version: 1']);
    expect(problems('version: 2\n')).toEqual(['1:10 version: expected 1, got 2']);
  });

  it('reports min above max in a pool', () => {
    expect(problems('version: 1\npools:\n  main: { min: 30, max: 10 }\n')).toEqual(['3:16 pools.main.min: min (30) is above max (10)']);
  });

  it('points at the overlay when the overlay is wrong', () => {
    expect(problems('version: 1\nenvironments:\n  production:\n    semaphores:\n      agents: { limit: -5 }\n')).toEqual([
      '5:24 environments.production.semaphores.agents.limit: expected an integer of at least 1, got -5',
    ]);
  });

  it('parses with a safe schema: custom tags are problems, not code', () => {
    expect(problems('version: 1\nx: !!js/function "boom"\n')[0]).toMatch(/^2:4 : Unresolved tag/);
  });

  it('reports a syntax error with its position', () => {
    const found = problems('version: 1\ndefaults:\n  concurrency: [1, 2\n');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatch(/^\d+:\d+ /);
  });

  it('refuses duplicate keys', () => {
    expect(problems('version: 1\nversion: 1\n')[0]).toMatch(/^2:1 : Map keys must be unique/);
  });
});

describe('finding and loading the file', () => {
  const root = tempDir('bounded-policy-');
  const nested = join(root, 'services', 'agent', 'src');
  mkdirSync(nested, { recursive: true });
  writeFileSync(join(root, 'services', 'bounded.policy.yaml'), 'version: 1\ndefaults:\n  concurrency: 4\n');

  it('walks up to the nearest bounded.policy.yaml', () => {
    expect(findPolicyFile(nested)).toBe(join(root, 'services', 'bounded.policy.yaml'));
    expect(loadPolicy({ cwd: nested, env: {} }).defaults.concurrency).toBe(4);
  });

  it('lets --policy and BOUNDED_POLICY override the search', () => {
    writeFileSync(join(root, 'other.yaml'), 'version: 1\ndefaults:\n  concurrency: 7\n');
    expect(loadPolicy({ cwd: nested, path: join(root, 'other.yaml'), env: {} }).defaults.concurrency).toBe(7);
    expect(resolvePolicyPath({ cwd: root, env: { BOUNDED_POLICY: 'other.yaml' } })).toBe(join(root, 'other.yaml'));
  });

  it('falls back to the embedded defaults when there is no file', () => {
    expect(loadPolicy({ cwd: tmpdir(), env: {} }).defaults.concurrency).toBe(10);
  });

  it('throws a PolicyError naming the file, line and column', () => {
    writeFileSync(join(root, 'bad.yaml'), 'version: 1\nsemaphores:\n  a: { limit: x }\n');
    let error: unknown;
    try {
      loadPolicy({ path: join(root, 'bad.yaml'), env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toContain(
      `${join(root, 'bad.yaml')}:3:15: semaphores.a.limit: expected an integer of at least 1, got "x"`,
    );
  });

  it('names a missing explicit file', () => {
    expect(() => loadPolicy({ path: join(root, 'nope.yaml'), env: {} })).toThrow(/nope\.yaml:1:1: file not found/);
  });
});
