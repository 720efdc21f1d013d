/**
 * Probes: `env:NAME` references whose variable is unset where the value is used. Before,
 * `http.api.baseUrl: env:UNSET` validated without a word and the client then accepted any
 * origin. Now it is a problem at its file:line:column naming the variable for the runtime and
 * `bounded policy validate`; the linter and codemods, which never connect, still read the file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { policyCommand } from '../../cli/commands/policy.js';
import { PolicyError, loadPolicy, parsePolicy } from '../../policy/index.js';
import { ConcurrencyManager, type ReloadFailure } from '../../runtime/index.js';
import { tempDir } from '../helpers/temp.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const managers: ConcurrencyManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
});

const TEXT = [
  'version: 1',
  'http:',
  '  api:',
  '    baseUrl: env:BOUNDED_PROBE_API_URL',
  'pools:',
  '  main: { connectionString: env:BOUNDED_PROBE_DATABASE_URL }',
  'rateLimits:',
  '  shared: { rate: 5, store: { kind: redis, url: env:BOUNDED_PROBE_REDIS_URL } }',
  '  local: { rate: 5, store: { kind: memory, url: env:BOUNDED_PROBE_UNUSED } }',
  '',
].join('\n');

function policyFile(text: string): string {
  const file = join(tempDir('bounded-hostile-'), 'bounded.policy.yaml');
  writeFileSync(file, text);
  return file;
}

describe('an env: reference whose variable is unset', () => {
  it('is a problem at its file:line:column, naming the variable, wherever the value is used', () => {
    const result = parsePolicy(TEXT, '/repo/bounded.policy.yaml', { env: { BOUNDED_PROBE_REDIS_URL: '' }, requireEnv: true });
    expect(result.policy).toBeUndefined();
    expect(result.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`)).toEqual([
      '4:14 http.api.baseUrl: BOUNDED_PROBE_API_URL is not set in this environment; set it, or write the value instead of env:BOUNDED_PROBE_API_URL',
      '6:29 pools.main.connectionString: BOUNDED_PROBE_DATABASE_URL is not set in this environment; set it, or write the value instead of env:BOUNDED_PROBE_DATABASE_URL',
      '8:49 rateLimits.shared.store.url: BOUNDED_PROBE_REDIS_URL is empty in this environment; set it, or write the value instead of env:BOUNDED_PROBE_REDIS_URL',
    ]);
  });

  it('is no problem once the variables are set', () => {
    const env = {
      BOUNDED_PROBE_API_URL: 'https://api.example',
      BOUNDED_PROBE_DATABASE_URL: 'postgres://db/app',
      BOUNDED_PROBE_REDIS_URL: 'redis://cache',
    };
    const result = parsePolicy(TEXT, '/repo/bounded.policy.yaml', { env, requireEnv: true });
    expect(result.problems).toEqual([]);
    expect(result.policy!.http.api).toMatchObject({ baseUrl: 'https://api.example', baseUrlRef: 'env:BOUNDED_PROBE_API_URL' });
  });

  it('fails `bounded policy validate` instead of validating with no note', async () => {
    const dir = tempDir('bounded-hostile-');
    writeFileSync(join(dir, 'bounded.policy.yaml'), 'version: 1\nhttp:\n  api:\n    baseUrl: env:BOUNDED_PROBE_API_URL\n');
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } };
    expect(await policyCommand(['validate'], io, dir)).toBe(1);
    expect(stderr).toContain(
      `${join(dir, 'bounded.policy.yaml')}:4:14: http.api.baseUrl: BOUNDED_PROBE_API_URL is not set in this environment`,
    );
    // A CI job without the service's secrets can check the rest, and is still told.
    stderr = '';
    expect(await policyCommand(['validate', '--allow-unset-env'], io, dir)).toBe(0);
    expect(stderr).toBe('note: http.api.baseUrl: env:BOUNDED_PROBE_API_URL is not set in this environment\n');
  });

  it('stops the manager from loading the file, and a watched edit that adds one keeps the last good policy', () => {
    expect(() => ConcurrencyManager.fromPolicy(policyFile(TEXT), { logger: quiet, env: {} })).toThrow(PolicyError);
    const file = policyFile('version: 1\nhttp:\n  api: { baseUrl: "https://api.example" }\n');
    const manager = ConcurrencyManager.fromPolicy(file, { logger: quiet, env: {} });
    managers.push(manager);
    const failures: ReloadFailure[] = [];
    manager.onReloadError((failure) => failures.push(failure));
    writeFileSync(file, 'version: 1\nhttp:\n  api: { baseUrl: env:BOUNDED_PROBE_API_URL }\n');
    expect(manager.reload()).toBe(false);
    expect(manager.policy.http.api!.baseUrl).toBe('https://api.example');
    expect(failures[0]!.problems[0]).toMatchObject({ line: 3, column: 19, path: 'http.api.baseUrl' });
  });

  it('never becomes a client that accepts any origin', () => {
    // A policy read by a tool that does not connect keeps the reference; the manager refuses to build from it.
    const policy = parsePolicy(TEXT, '/repo/bounded.policy.yaml', { env: {} }).policy!;
    expect(policy.http.api).toMatchObject({ baseUrl: undefined, baseUrlRef: 'env:BOUNDED_PROBE_API_URL' });
    const manager = ConcurrencyManager.fromPolicy(policy, { logger: quiet });
    managers.push(manager);
    expect(() => manager.http('api')).toThrow(/http\.api\.baseUrl is env:BOUNDED_PROBE_API_URL, which is not set in this environment/);
  });

  it('is still readable by the linter and codemods, which never connect', () => {
    const file = policyFile(TEXT);
    const policy = loadPolicy({ path: file, env: {} });
    expect(policy.pools.main!.connectionStringRef).toBe('env:BOUNDED_PROBE_DATABASE_URL');
    expect(policy.rateLimits.shared!.rate).toBe(5);
  });
});
