/**
 * Probe: whatever a policy file holds, parsePolicy answers with a policy or with located
 * problems, and never throws; a manager reloading such a file never throws either. Random
 * documents mix the schema's keys with Object.prototype's names, anchors and aliases, and
 * values of every kind.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePolicy } from '../../policy/index.js';
import { ConcurrencyManager } from '../../runtime/index.js';
import { tempDir } from '../helpers/temp.js';

const KEYS = [
  'version',
  'defaults',
  'timeouts',
  'http',
  'semaphores',
  'rateLimits',
  'pools',
  'monitoring',
  'lint',
  'environments',
  'limit',
  'rate',
  'per',
  'store',
  'kind',
  'url',
  'baseUrl',
  'limiter',
  'semaphore',
  'production',
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '__defineGetter__',
];

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom(
      1,
      0,
      -1,
      1.5,
      1e300,
      2_147_483_648,
      '600h',
      '1.0005s',
      '1s',
      'env:UNSET',
      'env:constructor',
      'memory',
      'redis',
      null,
      true,
    ),
    fc.constantFrom(...KEYS),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 3 }),
  map: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 4 }),
})).node;

const documents = fc.tuple(fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 }), fc.boolean()).map(([root, versioned]) => {
  const text = stringify(versioned ? { version: 1, ...root } : root);
  // Anchors and aliases: give the first mapping an anchor and refer to it again at the end.
  return text.replace(/^(\w+):\n/m, '$1: &a\n') + (text.includes(': &a\n') || /^\w+:\n/m.test(text) ? 'zz: *a\n' : '');
});

describe('parsePolicy never throws', () => {
  it('for documents of schema keys, prototype names, aliases and odd values', () => {
    fc.assert(
      fc.property(documents, fc.constantFrom(...KEYS, undefined), (text, environment) => {
        const result = parsePolicy(text, '/repo/bounded.policy.yaml', { env: { BOUNDED_ENV: environment }, requireEnv: true });
        expect(result.policy === undefined ? result.problems.length > 0 : result.problems.length === 0).toBe(true);
        for (const problem of result.problems) {
          expect(problem.line).toBeGreaterThanOrEqual(1);
          expect(problem.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 400, seed: 21 },
    );
  });

  it('nor does a manager reloading them', async () => {
    const file = join(tempDir('bounded-fuzz-'), 'bounded.policy.yaml');
    writeFileSync(file, 'version: 1\nsemaphores:\n  agents: { limit: 3 }\n');
    const manager = ConcurrencyManager.fromPolicy(file, { env: {}, logger: { info: () => {}, warn: () => {}, error: () => {} } });
    const agents = manager.semaphore('agents');
    try {
      fc.assert(
        fc.property(documents, (text) => {
          writeFileSync(file, text);
          const before = manager.policy;
          const applied = manager.reload();
          // Applied, or the policy in force is the very one before: nothing half-changed.
          if (!applied) expect(manager.policy).toBe(before);
          expect(agents.limit).toBe(manager.policy.semaphores.agents?.limit ?? agents.limit);
        }),
        { numRuns: 200, seed: 21 },
      );
    } finally {
      await manager.close();
    }
  });
});
