/**
 * A small schema kit: each node validates a parsed YAML value (collecting every problem with
 * its path, never stopping at the first), returns the normalized value (durations become
 * milliseconds), and describes itself as JSON Schema. The policy's schema is written once
 * with it, so the validator and the shipped JSON Schema cannot drift apart.
 */
import { MAX_DURATION_MS, checkDuration, durationRange, showDuration } from './duration.js';
import { emptyRecord, own } from './records.js';
import { maskSecrets } from './secrets.js';
import { suggest } from './suggest.js';

export type Path = readonly (string | number)[];

export interface Problem {
  readonly path: Path;
  readonly message: string;
  /** Point at the key itself (unknown keys) rather than its value. */
  readonly at?: 'key' | 'value';
}

export interface JsonSchema {
  readonly [key: string]: unknown;
}

/** Marks a value that failed validation; its problems are already recorded. */
export const INVALID: unique symbol = Symbol('invalid');
export type Checked<T> = T | typeof INVALID;

/**
 * A node checks a value and returns it normalized. A leaf returns INVALID when it fails; a
 * mapping or list returns what was valid in it, so that later checks (required fields,
 * cross-references) still run and every problem is reported in one pass.
 */
export abstract class Node<T> {
  constructor(readonly description: string) {}
  abstract check(value: unknown, path: Path, problems: Problem[]): Checked<T>;
  abstract jsonSchema(): JsonSchema;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // A value in the wrong place may be a connection string: never print its password.
  if (typeof value === 'string') return JSON.stringify(maskSecrets(value));
  return `${value as number}`;
}

export function pathText(path: Path): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

export interface NumberRules {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  /** Excludes `min` itself (a positive number: min 0, exclusive). */
  readonly exclusiveMin?: boolean;
}

class NumberNode extends Node<number> {
  constructor(
    description: string,
    readonly rules: NumberRules,
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<number> {
    const { min, max, integer, exclusiveMin } = this.rules;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!integer || Number.isInteger(value)) &&
      (min === undefined || (exclusiveMin ? value > min : value >= min)) &&
      (max === undefined || value <= max);
    if (ok) return value;
    problems.push({ path, message: `expected ${this.expectation()}, got ${describeValue(value)}` });
    return INVALID;
  }

  expectation(): string {
    const { min, max, integer, exclusiveMin } = this.rules;
    const kind = integer ? 'integer' : 'number';
    if (min === 0 && exclusiveMin && max === undefined) return `a positive ${kind}`;
    if (min === 0 && !exclusiveMin && max === undefined) return `a non-negative ${kind}`;
    const article = kind === 'integer' ? 'an' : 'a';
    if (min !== undefined && max !== undefined) return `${article} ${kind} from ${min} to ${max}`;
    if (min !== undefined) return `${article} ${kind} ${exclusiveMin ? 'above' : 'of at least'} ${min}`;
    return `${article} ${kind}`;
  }

  jsonSchema(): JsonSchema {
    const { min, max, integer, exclusiveMin } = this.rules;
    return {
      type: integer ? 'integer' : 'number',
      description: this.description,
      ...(min === undefined ? {} : exclusiveMin ? { exclusiveMinimum: min } : { minimum: min }),
      ...(max === undefined ? {} : { maximum: max }),
    };
  }
}

class StringNode extends Node<string> {
  constructor(
    description: string,
    readonly pattern?: RegExp,
    readonly patternText?: string,
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<string> {
    if (typeof value === 'string' && value !== '' && (this.pattern === undefined || this.pattern.test(value))) return value;
    problems.push({ path, message: `expected ${this.patternText ?? 'a non-empty string'}, got ${describeValue(value)}` });
    return INVALID;
  }

  jsonSchema(): JsonSchema {
    return { type: 'string', minLength: 1, description: this.description, ...(this.pattern ? { pattern: this.pattern.source } : {}) };
  }
}

class EnumNode<T extends string> extends Node<T> {
  constructor(
    description: string,
    readonly values: readonly T[],
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<T> {
    if (typeof value === 'string' && (this.values as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? suggest(value, this.values) : undefined;
    problems.push({
      path,
      message: `expected one of ${this.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(value)}${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`,
    });
    return INVALID;
  }

  jsonSchema(): JsonSchema {
    return { type: 'string', enum: this.values, description: this.description };
  }
}

class DurationNode extends Node<number> {
  constructor(
    description: string,
    readonly allowZero: boolean,
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<number> {
    const checked = checkDuration(value);
    if (checked.ok && (this.allowZero || checked.ms > 0)) return checked.ms;
    problems.push({
      path,
      message:
        !checked.ok && checked.reason === 'range'
          ? `expected ${durationRange(this.allowZero ? 0 : 1)}, got ${showDuration(value, checked)}`
          : `expected a ${this.allowZero ? '' : 'positive '}duration such as 500ms, 60s or 1m, got ${describeValue(value)}`,
    });
    return INVALID;
  }

  jsonSchema(): JsonSchema {
    return {
      description: `${this.description} A duration: 500ms, 60s, 1m, 1h, or a number of milliseconds; whole milliseconds, at most ${MAX_DURATION_MS} ms (24.8 days).`,
      anyOf: [
        { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(ms|s|m|h)$' },
        { type: 'integer', minimum: this.allowZero ? 0 : 1, maximum: MAX_DURATION_MS },
      ],
    };
  }
}

class ListNode<T> extends Node<T[]> {
  constructor(
    description: string,
    readonly item: Node<T>,
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<T[]> {
    if (!Array.isArray(value)) {
      problems.push({ path, message: `expected a list, got ${describeValue(value)}` });
      return INVALID;
    }
    const out: T[] = [];
    value.forEach((entry, index) => {
      const checked = this.item.check(entry, [...path, index], problems);
      if (checked !== INVALID) out.push(checked);
    });
    return out;
  }

  jsonSchema(): JsonSchema {
    return { type: 'array', description: this.description, items: this.item.jsonSchema() };
  }
}

type Shape = Record<string, Node<unknown>>;
export type Infer<S extends Shape> = { -readonly [K in keyof S]?: S[K] extends Node<infer V> ? V : never };

/** A mapping with known keys, each optional; unknown keys are problems with a did-you-mean. */
export class ObjectNode<S extends Shape> extends Node<Infer<S>> {
  constructor(
    description: string,
    readonly shape: S,
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<Infer<S>> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ path, message: `expected a mapping, got ${describeValue(value)}` });
      return INVALID;
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(this.shape);
    for (const [key, entry] of Object.entries(value)) {
      // Own keys only: `constructor:` or `toString:` is an unknown key, not Object.prototype's member.
      const node = own(this.shape, key);
      if (node === undefined) {
        const hint = suggest(key, keys);
        problems.push({
          path: [...path, key],
          at: 'key',
          message: `unknown key "${key}"${hint === undefined ? `; expected one of ${keys.join(', ')}` : ` (did you mean "${hint}"?)`}`,
        });
        continue;
      }
      if (entry === null || entry === undefined) continue;
      const checked = node.check(entry, [...path, key], problems);
      if (checked !== INVALID) out[key] = checked;
    }
    return out as Infer<S>;
  }

  jsonSchema(): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    for (const [key, node] of Object.entries(this.shape)) properties[key] = node.jsonSchema();
    return { type: 'object', description: this.description, additionalProperties: false, properties };
  }
}

/** A mapping from names the user chooses to entries of one shape. */
class RecordNode<T> extends Node<Record<string, T>> {
  constructor(
    description: string,
    readonly entry: Node<T>,
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<Record<string, T>> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ path, message: `expected a mapping of names to entries, got ${describeValue(value)}` });
      return INVALID;
    }
    // Names the user chooses are own properties of a null-prototype record: a semaphore named
    // constructor is that semaphore, and a lookup of an undefined name never finds Object.prototype's.
    const out = emptyRecord<T>();
    for (const [name, entry] of Object.entries(value)) {
      if (!/^[A-Za-z_][\w.-]*$/.test(name)) {
        problems.push({ path: [...path, name], at: 'key', message: `"${name}" is not a valid name: use letters, digits, _, - and .` });
        continue;
      }
      if (name === '__proto__') {
        problems.push({
          path: [...path, name],
          at: 'key',
          message: '"__proto__" is not a valid name: JavaScript reserves it for an object\'s prototype; choose another',
        });
        continue;
      }
      const checked = this.entry.check(entry ?? {}, [...path, name], problems);
      if (checked !== INVALID) out[name] = checked;
    }
    return out;
  }

  jsonSchema(): JsonSchema {
    return {
      type: 'object',
      description: this.description,
      propertyNames: { pattern: '^[A-Za-z_][\\w.-]*$', not: { const: '__proto__' } },
      additionalProperties: this.entry.jsonSchema(),
    };
  }
}

class LiteralNode<T extends string | number> extends Node<T> {
  constructor(
    description: string,
    readonly value: T,
  ) {
    super(description);
  }

  check(value: unknown, path: Path, problems: Problem[]): Checked<T> {
    if (value === this.value) return this.value;
    problems.push({ path, message: `expected ${JSON.stringify(this.value)}, got ${describeValue(value)}` });
    return INVALID;
  }

  jsonSchema(): JsonSchema {
    return { const: this.value, description: this.description };
  }
}

/** A value that may be written inline or as `env:NAME`, resolved from the environment at load. */
class EnvStringNode extends Node<string> {
  check(value: unknown, path: Path, problems: Problem[]): Checked<string> {
    if (typeof value === 'string' && value !== '') return value;
    problems.push({ path, message: `expected a string or an env:NAME reference, got ${describeValue(value)}` });
    return INVALID;
  }

  jsonSchema(): JsonSchema {
    return { type: 'string', minLength: 1, description: `${this.description} May be env:NAME to read an environment variable.` };
  }
}

export const s = {
  number: (description: string, rules: NumberRules = {}) => new NumberNode(description, rules),
  positive: (description: string) => new NumberNode(description, { min: 0, exclusiveMin: true }),
  positiveInt: (description: string) => new NumberNode(description, { min: 1, integer: true }),
  nonNegativeInt: (description: string) => new NumberNode(description, { min: 0, integer: true }),
  ratio: (description: string) => new NumberNode(description, { min: 0, max: 1, exclusiveMin: true }),
  string: (description: string, pattern?: RegExp, patternText?: string) => new StringNode(description, pattern, patternText),
  envString: (description: string) => new EnvStringNode(description),
  enum: <T extends string>(description: string, values: readonly T[]) => new EnumNode(description, values),
  duration: (description: string, allowZero = false) => new DurationNode(description, allowZero),
  list: <T>(description: string, item: Node<T>) => new ListNode(description, item),
  object: <S extends Shape>(description: string, shape: S) => new ObjectNode(description, shape),
  record: <T>(description: string, entry: Node<T>) => new RecordNode(description, entry),
  literal: <T extends string | number>(description: string, value: T) => new LiteralNode(description, value),
};
