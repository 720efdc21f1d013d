import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STARTER_POLICY, policyJsonSchema } from '../../policy/index.js';
import { schemaText } from '../../policy/write-schema.js';

const shipped = readFileSync(new URL('../../policy/bounded.policy.schema.json', import.meta.url), 'utf8');
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(policyJsonSchema());

describe('the shipped JSON Schema', () => {
  it('is generated from the schema source (run `npm run schema` after changing it)', () => {
    expect(shipped).toBe(schemaText());
  });

  it('accepts the starter file', () => {
    expect(validate(parse(STARTER_POLICY))).toBe(true);
  });

  it.each([
    ['an unknown key', 'version: 1\ndefaults:\n  concurency: 5\n'],
    ['a negative rate', 'version: 1\nrateLimits:\n  openai: { rate: -1 }\n'],
    ['a bad duration', 'version: 1\ndefaults:\n  timeouts: { http: 5 minutes }\n'],
    ['a duration past the timer maximum', 'version: 1\ndefaults:\n  timeouts: { http: 2147483648 }\n'],
    ['a fraction of a millisecond', 'version: 1\ndefaults:\n  timeouts: { http: 1000.5 }\n'],
    ['a semaphore named __proto__', 'version: 1\nsemaphores:\n  "__proto__": { limit: 1 }\n'],
    ['a wrong version', 'version: 2\n'],
    ['no version', 'defaults: {}\n'],
    ['an unknown algorithm', 'version: 1\nrateLimits:\n  openai: { rate: 1, algorithm: leaky }\n'],
  ])('rejects %s', (_name, text) => {
    expect(validate(parse(text))).toBe(false);
  });
});
