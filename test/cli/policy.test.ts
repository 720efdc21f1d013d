import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyCommand } from '../../cli/commands/policy.js';
import { STARTER_POLICY } from '../../policy/index.js';
import { tempDir } from '../helpers/temp.js';

function run(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  return policyCommand(args, io, cwd).then((code) => ({ code, stdout, stderr }));
}

describe('bounded policy', () => {
  it('init writes the starter file and refuses to overwrite it', async () => {
    const dir = tempDir('bounded-cli-');
    const first = await run(['init'], dir);
    expect(first.code).toBe(0);
    expect(readFileSync(join(dir, 'bounded.policy.yaml'), 'utf8')).toBe(STARTER_POLICY);
    writeFileSync(join(dir, 'bounded.policy.yaml'), 'version: 1\n# mine\n');
    const second = await run(['init'], dir);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already exists; not overwriting it');
    expect(readFileSync(join(dir, 'bounded.policy.yaml'), 'utf8')).toBe('version: 1\n# mine\n');
  });

  it('validate exits 0 for a valid file and 1 with every problem located', async () => {
    const dir = tempDir('bounded-cli-');
    writeFileSync(join(dir, 'good.yaml'), 'version: 1\n');
    expect((await run(['validate', 'good.yaml'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nrateLimits:\n  openai:\n    rate: -1\n    pre: 1m\n');
    const bad = await run(['validate', 'bad.yaml'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${join(dir, 'bad.yaml')}:4:11: rateLimits.openai.rate: expected a positive number, got -1`);
    expect(bad.stderr).toContain(`${join(dir, 'bad.yaml')}:5:5: rateLimits.openai.pre: unknown key "pre" (did you mean "per"?)`);
    expect(bad.stderr).toContain('2 problems');
  });

  it('validate says so when there is no file to validate', async () => {
    const dir = tempDir('bounded-cli-');
    const result = await run(['validate'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no bounded.policy.yaml');
  });

  it('show prints the effective policy with the overlay applied', async () => {
    const dir = tempDir('bounded-cli-');
    writeFileSync(
      join(dir, 'bounded.policy.yaml'),
      'version: 1\nsemaphores:\n  a: { limit: 2 }\nenvironments:\n  production:\n    semaphores:\n      a: { limit: 9 }\n',
    );
    const result = await run(['show', '--json', '--env', 'production'], dir);
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as { semaphores: { a: { limit: number; maxQueue: string } }; environment: string };
    expect(shown.semaphores.a).toEqual({ limit: 9, maxQueue: 'unbounded' });
    expect(shown.environment).toBe('production');
  });

  it('rejects an unknown action with usage', async () => {
    const result = await run(['frobnicate'], tmpdir());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown action "frobnicate"');
  });
});
