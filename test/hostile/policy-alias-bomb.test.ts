/**
 * Probes: YAML aliases that expand exponentially ("billion laughs"), and files too large or not
 * text at all. Each is a located problem from parsePolicy (which never throws for content),
 * and a watched file edited to one keeps the last good policy.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_POLICY_BYTES } from '../../policy/load.js';
import { PolicyError, loadPolicy, parsePolicy } from '../../policy/index.js';
import { ConcurrencyManager, type ReloadFailure } from '../../runtime/index.js';
import { tempDir } from '../helpers/temp.js';

const FILE = '/repo/bounded.policy.yaml';
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const managers: ConcurrencyManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
});

/** Nine levels of nine aliases each: 9⁹ (387 million) strings once expanded. */
function billionLaughs(): string {
  const lines = ['version: 1', 'lint:', '  limiters: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level < 9; level++) {
    const name = String.fromCharCode(97 + level);
    const previous = `*${String.fromCharCode(96 + level)}`;
    lines.push(`x${level}: &${name} [${Array.from({ length: 9 }, () => previous).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function policyFile(text: string): string {
  const file = join(tempDir('bounded-hostile-'), 'bounded.policy.yaml');
  writeFileSync(file, text);
  return file;
}

describe('an alias bomb', () => {
  it('is a problem at the first alias, reported at once, instead of an exception', () => {
    const started = performance.now();
    const result = parsePolicy(billionLaughs(), FILE, { env: {} });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.policy).toBeUndefined();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ file: FILE, line: 4, column: 9, path: '' });
    expect(result.problems[0]!.message).toMatch(/^aliases expand too far: a policy file may expand aliases \(\*name\) at most 100 times/);
  });

  it('in a watched file keeps the last good policy', () => {
    const file = policyFile('version: 1\nsemaphores:\n  agents: { limit: 4 }\n');
    const manager = ConcurrencyManager.fromPolicy(file, { logger: quiet, env: {} });
    managers.push(manager);
    const agents = manager.semaphore('agents');
    const failures: ReloadFailure[] = [];
    manager.onReloadError((failure) => failures.push(failure));
    writeFileSync(file, billionLaughs());
    expect(manager.reload()).toBe(false);
    expect(agents.limit).toBe(4);
    expect(failures[0]!.problems[0]).toMatchObject({ line: 4, column: 9 });
    expect(failures[0]!.problems[0]!.message).toContain('aliases expand too far');
  });

  it('leaves ordinary aliases alone: one store shared by several limits', () => {
    const text = [
      'version: 1',
      'semaphores:',
      '  a: { limit: 2, store: &shared { kind: postgres, url: "postgres://db/app" } }',
      '  b: { limit: 3, store: *shared }',
      'rateLimits:',
      '  c: { rate: 5, store: *shared }',
      '',
    ].join('\n');
    const result = parsePolicy(text, FILE, { env: {} });
    expect(result.problems).toEqual([]);
    expect(result.policy!.semaphores.b!.store).toMatchObject({ kind: 'postgres', url: 'postgres://db/app' });
    expect(result.policy!.rateLimits.c!.store).toMatchObject({ kind: 'postgres', url: 'postgres://db/app' });
  });

  it('an alias to an anchor that does not exist is a located problem too', () => {
    const found = parsePolicy('version: 1\nsemaphores:\n  a: *nothing\n', FILE, { env: {} }).problems;
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatchObject({ line: 3, column: 6 });
  });
});

describe('a file that is not a page of settings', () => {
  it('over the size cap is refused before it is parsed', () => {
    const file = policyFile(`version: 1\n# ${'x'.repeat(MAX_POLICY_BYTES)}\n`);
    expect(() => loadPolicy({ path: file, env: {} })).toThrow(PolicyError);
    expect(() => loadPolicy({ path: file, env: {} })).toThrow(/:1:1: the file is \d+ bytes; a policy file is at most 1048576 bytes/);
  });

  it('a device or a folder is refused instead of read forever', () => {
    expect(() => loadPolicy({ path: '/dev/zero', env: {} })).toThrow(/\/dev\/zero:1:1: not a regular file/);
    expect(() => loadPolicy({ path: tmpdir(), env: {} })).toThrow(/:1:1: is a folder, not a policy file/);
  });

  it('bytes that are not UTF-8 are refused, not read as U+FFFD', () => {
    const file = policyFile('');
    writeFileSync(file, Buffer.from([0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x3a, 0x20, 0x31, 0x0a, 0x23, 0xff, 0xfe, 0x0a]));
    expect(() => loadPolicy({ path: file, env: {} })).toThrow(/:1:1: not valid UTF-8 text/);
  });
});
