/**
 * Probes: passwords in connection strings and URLs wherever a policy is printed.
 * `bounded policy show` printed DATABASE_URL and REDIS_URL whole; problems quoted a misplaced
 * connection string with its password.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { policyCommand } from '../../cli/commands/policy.js';
import { parsePolicy } from '../../policy/index.js';
import { maskSecrets } from '../../policy/secrets.js';
import { tempDir } from '../helpers/temp.js';

const SECRETS = ['s3cr3t-pg', 'hunter2-redis', 'tok-in-query', 'kv-password'];

const TEXT = [
  'version: 1',
  'pools:',
  '  main: { connectionString: env:DATABASE_URL }',
  '  reports: { connectionString: "host=db user=app password=kv-password dbname=reports" }',
  'rateLimits:',
  '  shared: { rate: 5, store: { kind: redis, url: env:REDIS_URL } }',
  'http:',
  '  api: { baseUrl: "https://api.example/v1?access_token=tok-in-query&region=eu" }',
  '',
].join('\n');

async function show(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = tempDir('bounded-hostile-');
  writeFileSync(join(dir, 'bounded.policy.yaml'), TEXT);
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
  const code = await policyCommand(args, io, dir);
  return { code, stdout, stderr };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('bounded policy show', () => {
  it.each([[['show']], [['show', '--json']]])('%j prints connection strings and URLs without their secrets', async (args) => {
    vi.stubEnv('DATABASE_URL', 'postgres://app:s3cr3t-pg@db.internal:5432/app?sslmode=require');
    vi.stubEnv('REDIS_URL', 'rediss://:hunter2-redis@cache.internal:6380/0');
    const { code, stdout, stderr } = await show(args);
    expect(code).toBe(0);
    for (const secret of SECRETS) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
    // The rest stays, so the output still says where each connection goes.
    expect(stdout).toContain('postgres://app:****@db.internal:5432/app?sslmode=require');
    expect(stdout).toContain('rediss://:****@cache.internal:6380/0');
    expect(stdout).toContain('host=db user=app password=**** dbname=reports');
    expect(stdout).toContain('https://api.example/v1?access_token=****&region=eu');
  });
});

describe('maskSecrets, the one function every printer uses', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/app', 'postgres://app:****@db:5432/app'],
    ['postgresql://app:p@ss:w0rd@db/app', 'postgresql://app:****@db/app'],
    ['redis://:s3cret@cache:6379', 'redis://:****@cache:6379'],
    ['redis://default:s3cret@cache:6379/2', 'redis://default:****@cache:6379/2'],
    ['postgres://app@db/app', 'postgres://app@db/app'],
    ['postgres://db/app?user=app&password=s3cret&sslmode=require', 'postgres://db/app?user=app&password=****&sslmode=require'],
    ['postgres://db/app?sslpassword=s3cret', 'postgres://db/app?sslpassword=****'],
    ["host=db password='s3 cret' dbname=app", 'host=db password=**** dbname=app'],
    [
      'https://bucket.example/o?X-Amz-Signature=abc123&X-Amz-Credential=AKIA',
      'https://bucket.example/o?X-Amz-Signature=****&X-Amz-Credential=****',
    ],
    ['cannot connect to postgres://app:s3cret@db/app: refused', 'cannot connect to postgres://app:****@db/app: refused'],
    ['sliding-window', 'sliding-window'],
    ['fs.readFileSync', 'fs.readFileSync'],
  ])('%s → %s', (text, masked) => {
    expect(maskSecrets(text)).toBe(masked);
  });
});

describe('policy problems', () => {
  it('quote a misplaced connection string without its password', () => {
    const result = parsePolicy(
      'version: 1\nrateLimits:\n  a:\n    rate: 1\n    store: { kind: postgres, url: "postgres://db", schema: "postgres://app:s3cret@db/app" }\n',
      '/repo/p.yaml',
      {
        env: {},
      },
    );
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.message).toBe('expected a lower-case SQL identifier, got "postgres://app:****@db/app"');
  });
});
