import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as Yaml from 'yaml';
import type { Document } from 'yaml';
import { CODE_CONTEXTS, type CodeContext } from './catalog/contexts.js';
import { DEFAULT_POLICY } from './defaults.js';
import { emptyRecord, own } from './records.js';
import { INVALID, pathText, type Path, type Problem } from './schema-kit.js';
import { suggest } from './suggest.js';
import { policyFileSchema, type PolicyFile, type PolicyOverlay } from './schema.js';

/**
 * The YAML parser. Imported statically, not loaded on first use: a module of this package that
 * says `import.meta` cannot be loaded by jscodeshift's default (Babel) mode, which the codemods
 * that read the policy through this module must support.
 */
function yaml(): typeof Yaml {
  return Yaml;
}

export const POLICY_FILE_NAME = 'bounded.policy.yaml';

/** The largest policy file read: a policy is a page of settings, not data. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * How many times a file may expand an alias (`*name`), counting nested expansions: plenty for
 * sharing a store between limits, far too few for a "billion laughs" alias bomb.
 */
export const MAX_ALIAS_COUNT = 100;

export type RateLimitAlgorithm = 'sliding-window' | 'token-bucket';

export type StoreKind = 'memory' | 'postgres' | 'redis';
export type StoreErrorPolicy = 'failClosed' | 'failOpen';

/** Where a shared limit keeps its state (`store:` of a semaphore or rate limit). */
export interface StorePolicy {
  readonly kind: StoreKind;
  /** Resolved connection string; undefined when it names an unset environment variable (see `urlRef`). */
  readonly url: string | undefined;
  /** `env:NAME` as written, when the file used a reference. */
  readonly urlRef: string | undefined;
  /** postgres only. */
  readonly schema: string | undefined;
  /** redis only. */
  readonly keyPrefix: string | undefined;
  readonly operationTimeoutMs: number | undefined;
}

export interface SemaphorePolicy {
  readonly limit: number;
  readonly maxQueue: number;
  /** Undefined (or kind memory): a semaphore of each process alone. */
  readonly store?: StorePolicy | undefined;
  readonly onStoreError?: StoreErrorPolicy | undefined;
  readonly leaseTtlMs?: number | undefined;
  readonly fallback?: { readonly limit?: number | undefined } | undefined;
}

export interface RateLimitPolicy {
  readonly algorithm: RateLimitAlgorithm;
  readonly rate: number;
  readonly perMs: number;
  /** token-bucket only; undefined means "same as rate". */
  readonly burst: number | undefined;
  readonly spacing: 'burst' | 'even';
  readonly maxQueue: number;
  /** Longest pause one penalty imposes (`defaults.rateLimits.maxPenalty`). */
  readonly maxPenaltyMs: number;
  /** Undefined (or kind memory): a limit of each process alone. */
  readonly store?: StorePolicy | undefined;
  readonly onStoreError?: StoreErrorPolicy | undefined;
  readonly fallback?: { readonly rate?: number | undefined; readonly burst?: number | undefined } | undefined;
}

export interface PoolPolicy {
  /** Resolved connection string; undefined when it names an unset environment variable (see `connectionStringRef`). */
  readonly connectionString: string | undefined;
  /** `env:NAME` as written, when the file used a reference. */
  readonly connectionStringRef: string | undefined;
  readonly min: number;
  readonly max: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly maxQueue: number;
}

export interface HttpPolicy {
  /** Resolved origin; undefined when none is set, or when it names an unset environment variable (see `baseUrlRef`). */
  readonly baseUrl: string | undefined;
  /** `env:NAME` as written, when the file used a reference. */
  readonly baseUrlRef?: string | undefined;
  readonly timeoutMs: number;
  readonly connections: number;
  readonly retries: number;
  readonly limiter: string | undefined;
  readonly semaphore: string | undefined;
  /** `defaults.http.maxBodyBytes`. */
  readonly maxBodyBytes: number;
  /** `defaults.http.maxRetryAfter`. */
  readonly maxRetryAfterMs: number;
}

export interface ProviderApiPolicy {
  readonly module: string;
  readonly limiter: string | undefined;
  readonly methods: readonly string[];
}

/** One context of `lint.contexts`: the policy's extra globs, and the rules that do not run there. */
export interface ContextPolicy {
  readonly files: readonly string[];
  /** Rule names without `bounded/`, or `all`. Always empty for `service`. */
  readonly skip: readonly string[];
}

/** `lint.httpClients[]`: an HTTP client or a project function that sends a request. */
export interface HttpClientPolicy {
  readonly module: string;
  readonly methods: readonly string[];
  readonly optionsIndex: number;
  readonly timeoutKeys: readonly string[];
  /** The deadline its requests already have; undefined when none. */
  readonly deadlineMs: number | undefined;
}

/** `lint.connections[]`: a module or project function that opens connections. */
export interface ConnectionPolicy {
  readonly module: string;
  readonly exports: readonly string[];
  readonly kind: 'connection' | 'pool';
}

/** The effective policy: embedded defaults, then the file, then its environment overlay. */
export interface Policy {
  readonly version: 1;
  /** The file it came from; undefined for the embedded defaults alone. */
  readonly source: string | undefined;
  /** The overlay applied (BOUNDED_ENV or NODE_ENV), if the file had one for it. */
  readonly environment: string | undefined;
  readonly defaults: {
    readonly concurrency: number;
    readonly timeouts: {
      readonly http: number;
      readonly model: number;
      readonly dbConnect: number;
      readonly dbStatement: number;
      readonly dbQuery: number;
      readonly dbIdle: number;
    };
    readonly pool: { readonly min: number; readonly max: number };
    readonly http: { readonly maxBodyBytes: number; readonly maxRetryAfterMs: number };
    readonly rateLimits: { readonly maxPenaltyMs: number };
  };
  readonly semaphores: Readonly<Record<string, SemaphorePolicy>>;
  readonly rateLimits: Readonly<Record<string, RateLimitPolicy>>;
  readonly pools: Readonly<Record<string, PoolPolicy>>;
  readonly http: Readonly<Record<string, HttpPolicy>>;
  readonly monitoring: {
    readonly utilizationWarning: number;
    readonly intervalMs: number;
    readonly minAlertIntervalMs: number;
  };
  readonly lint: {
    readonly providers: readonly ProviderApiPolicy[];
    readonly limiters: readonly string[];
    readonly httpClients: readonly HttpClientPolicy[];
    readonly connections: readonly ConnectionPolicy[];
    readonly timeouts: readonly string[];
    readonly blockingCalls: readonly string[];
    readonly allowPerCallConnections: readonly string[];
    readonly contexts: Readonly<Record<CodeContext, ContextPolicy>>;
  };
}

/** One problem in a policy file, where it is and what is wrong. */
export interface PolicyProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path of the setting, e.g. "rateLimits.openai.rate". */
  readonly path: string;
  readonly message: string;
}

/** A policy file that cannot be used; `problems` lists every one found, not just the first. */
export class PolicyError extends Error {
  readonly file: string;
  readonly problems: readonly PolicyProblem[];

  constructor(file: string, problems: readonly PolicyProblem[]) {
    super(
      `Invalid policy ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` + problems.map(formatProblem).join('\n'),
    );
    this.name = 'PolicyError';
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblem(problem: PolicyProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}

export interface LoadPolicyOptions {
  /** An explicit file (`--policy`); wins over BOUNDED_POLICY and the search. */
  path?: string | undefined;
  /** Where the search for bounded.policy.yaml starts. Default: process.cwd(). */
  cwd?: string | undefined;
  /** Environment for BOUNDED_POLICY, BOUNDED_ENV, NODE_ENV and env: references. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The overlay to apply; default BOUNDED_ENV, else NODE_ENV. */
  environment?: string | undefined;
  /**
   * Report an `env:NAME` reference whose variable is unset (or empty) as a problem at its
   * file:line:column. Set it where the values are used: the runtime and `bounded policy
   * validate` do. Default false: the ESLint rules and codemods read limits, never connect,
   * and keep the reference (`connectionStringRef`, `urlRef`, `baseUrlRef`).
   */
  requireEnv?: boolean | undefined;
}

/** The nearest bounded.policy.yaml in `dir` or a folder above it. */
export function findPolicyFile(dir: string): string | undefined {
  let current = resolve(dir);
  for (;;) {
    const candidate = join(current, POLICY_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** Which file applies: `path`, else BOUNDED_POLICY, else the nearest one; undefined for none. */
export function resolvePolicyPath(options: LoadPolicyOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.path ?? env.BOUNDED_POLICY;
  if (explicit !== undefined && explicit !== '') return resolve(cwd, explicit);
  return findPolicyFile(cwd);
}

/**
 * Loads the effective policy: the embedded defaults alone when no file applies. Throws
 * `PolicyError` listing every problem, each with file, line and column.
 */
export function loadPolicy(options: LoadPolicyOptions = {}): Policy {
  const file = resolvePolicyPath(options);
  if (file === undefined) return defaultPolicy();
  const result = parsePolicy(readPolicyText(file), file, options);
  if (result.policy === undefined) throw new PolicyError(file, result.problems);
  return result.policy;
}

/**
 * The text of a policy file, read with care: a regular file of at most MAX_POLICY_BYTES of
 * UTF-8 (never a device or a pipe that would block or never end). Throws `PolicyError`.
 */
export function readPolicyText(file: string): string {
  const fail = (message: string): never => {
    throw new PolicyError(file, [{ file, line: 1, column: 1, path: '', message }]);
  };
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    return fail((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return fail(stat.isDirectory() ? 'is a folder, not a policy file' : 'not a regular file');
    if (stat.size > MAX_POLICY_BYTES) return fail(`the file is ${stat.size} bytes; a policy file is at most ${MAX_POLICY_BYTES} bytes`);
    // Read to the end, not to the size fstat saw (the file may be growing), but never past the cap.
    let buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_POLICY_BYTES) return fail(`the file is over ${MAX_POLICY_BYTES} bytes; a policy file is at most that`);
        buffer = Buffer.concat([buffer, Buffer.alloc(Math.min(buffer.length, MAX_POLICY_BYTES + 1 - buffer.length))]);
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      return fail('not valid UTF-8 text');
    }
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    return fail((error as Error).message);
  } finally {
    closeSync(fd);
  }
}

export interface ParseResult {
  /** Undefined when there were problems. */
  readonly policy: Policy | undefined;
  readonly problems: readonly PolicyProblem[];
}

/** Parses and validates policy text; never throws for bad content. */
export function parsePolicy(text: string, file: string, options: LoadPolicyOptions = {}): ParseResult {
  const env = options.env ?? process.env;
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, schema: 'core', uniqueKeys: true, prettyErrors: false });
  const problems: PolicyProblem[] = [];
  const at = (offset: number | undefined): { line: number; column: number } => {
    if (offset === undefined) return { line: 1, column: 1 };
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  // Syntax errors, and warnings such as unknown tags: a policy file is plain data, nothing else.
  // After a syntax error nothing more can be trusted; after a warning the rest is still checked.
  for (const issue of [...doc.errors, ...doc.warnings]) {
    problems.push({
      file,
      ...at(issue.pos[0]),
      path: '',
      message: issue.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
    });
  }
  if (doc.errors.length > 0) return { policy: undefined, problems };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    // An alias bomb (or an alias to nothing): report it where the first alias is, like any problem.
    let first: number | undefined;
    yaml().visit(doc, {
      Alias(_key, node) {
        first = node.range?.[0];
        return yaml().visit.BREAK;
      },
    });
    const message = /resource exhaustion/.test((error as Error).message)
      ? `aliases expand too far: a policy file may expand aliases (*name) at most ${MAX_ALIAS_COUNT} times in all, nested ones included; write the values out`
      : (error as Error).message;
    return { policy: undefined, problems: [...problems, { file, ...at(first), path: '', message }] };
  }
  const found: Problem[] = [];
  const checked = policyFileSchema.check(raw, [], found);
  if (checked !== INVALID && !(typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'version'))) {
    found.push({ path: ['version'], at: 'key', message: 'missing; this format is version: 1' });
  }
  const located = (problem: Problem): PolicyProblem => ({
    file,
    ...at(locate(doc, problem.path, problem.at ?? 'value')),
    path: pathText(problem.path),
    message: problem.message,
  });
  if (checked === INVALID) return { policy: undefined, problems: [...problems, ...found.map(located)] };

  const environment = options.environment ?? env.BOUNDED_ENV ?? env.NODE_ENV;
  // An own entry only: BOUNDED_ENV=constructor names no overlay, not Object.prototype.constructor.
  const overlay = environment === undefined ? undefined : own(checked.environments, environment);
  const semantic: Problem[] = [];
  const policy = resolvePolicy(
    checked,
    overlay,
    env,
    semantic,
    overlay === undefined ? [] : ['environments', environment!],
    options.requireEnv === true,
  );
  // A setting already reported as malformed is not reported again as missing.
  const within = (outer: Path, inner: Path): boolean => outer.every((part, index) => inner[index] === part);
  const all = [...found, ...semantic.filter((problem) => !found.some((earlier) => within(problem.path, earlier.path)))];
  all.sort((a, b) => (locate(doc, a.path, a.at ?? 'value') ?? 0) - (locate(doc, b.path, b.at ?? 'value') ?? 0));
  if (problems.length > 0 || all.length > 0) return { policy: undefined, problems: [...problems, ...all.map(located)] };
  return { policy: { ...policy, source: file, environment: overlay === undefined ? undefined : environment }, problems: [] };
}

/**
 * `policy` with its named records (semaphores, rateLimits, pools, http) prototype-free again,
 * after a structured clone (a worker thread's `workerData`, `postMessage`) made them plain
 * objects, where `rateLimits.constructor` would find Object.prototype's.
 */
export function revivePolicy(policy: Policy): Policy {
  const revive = <T>(record: Readonly<Record<string, T>>): Record<string, T> => Object.assign(emptyRecord<T>(), record);
  return {
    ...policy,
    semaphores: revive(policy.semaphores),
    rateLimits: revive(policy.rateLimits),
    pools: revive(policy.pools),
    http: revive(policy.http),
  };
}

/** The embedded default policy, in the effective shape. */
export function defaultPolicy(): Policy {
  return resolvePolicy({}, undefined, {}, [], [], false);
}

/** Offset of the node at `path` (its key, or its value), or of the nearest ancestor that exists. */
function locate(doc: Document, path: Path, which: 'key' | 'value'): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const parentPath = path.slice(0, Math.max(0, depth - 1));
    const parent = depth === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (depth === 0) return (parent as { range?: [number, number, number] } | null)?.range?.[0];
    if (!yaml().isMap(parent)) continue;
    const key = path[depth - 1];
    const pair = parent.items.find((item) => yaml().isScalar(item.key) && String(item.key.value) === String(key));
    if (pair === undefined) continue;
    const node = depth === path.length && which === 'key' ? pair.key : (pair.value ?? pair.key);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range !== undefined) return range[0];
  }
  return undefined;
}

type Merged = Omit<PolicyFile, '$schema' | 'version' | 'environments'>;

/** Deep merge for plain data: mappings merge key by key (own keys only), anything else replaces. */
function merge<T>(base: T, over: T | undefined): T {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = Object.assign(emptyRecord<unknown>(), base);
  for (const [key, value] of Object.entries(over)) out[key] = merge(own(out, key), value);
  return out as T;
}

function didYouMean(name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  return hint === undefined ? '' : ` (did you mean "${hint}"?)`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const EMBEDDED: Merged = {
  defaults: {
    concurrency: DEFAULT_POLICY.defaults.concurrency,
    timeouts: { ...DEFAULT_POLICY.defaults.timeouts },
    pool: { min: DEFAULT_POLICY.pool.min, max: DEFAULT_POLICY.pool.max },
    http: { maxBodyBytes: DEFAULT_POLICY.defaults.http.maxBodyBytes, maxRetryAfter: DEFAULT_POLICY.defaults.http.maxRetryAfterMs },
    rateLimits: { maxPenalty: DEFAULT_POLICY.defaults.rateLimits.maxPenaltyMs },
  },
  rateLimits: Object.assign(
    emptyRecord<{ rate: number; per: number }>(),
    Object.fromEntries(Object.entries(DEFAULT_POLICY.rateLimits).map(([name, limits]) => [name, { rate: limits.rate, per: limits.perMs }])),
  ),
  monitoring: { utilizationWarning: DEFAULT_POLICY.monitoring.utilizationWarning, interval: 1_000, minAlertInterval: 60_000 },
};

// eslint-disable-next-line max-lines-per-function -- one pass that resolves every policy section against the same merged tree, env lookup and problem list, in the schema's order
function resolvePolicy(
  file: PolicyFile,
  overlay: PolicyOverlay | undefined,
  env: Readonly<Record<string, string | undefined>>,
  problems: Problem[],
  overlayPath: Path,
  requireEnv: boolean,
): Policy {
  const { $schema: _schema, version: _version, environments: _environments, ...body } = file;
  const merged = merge(merge(EMBEDDED, body), overlay);
  // Where a merged setting was written: the overlay when it set it, else the file.
  const where = (path: Path): Path => {
    let node: unknown = overlay;
    for (const part of path) node = isPlainObject(node) ? own(node, part) : undefined;
    return node === undefined ? path : [...overlayPath, ...path];
  };
  const d = merged.defaults!;
  const timeouts = { ...d.timeouts } as Policy['defaults']['timeouts'];
  const poolDefaults = { ...d.pool } as { min: number; max: number };
  const httpDefaults = { maxBodyBytes: d.http!.maxBodyBytes!, maxRetryAfterMs: d.http!.maxRetryAfter! };
  const rateLimitDefaults = { maxPenaltyMs: d.rateLimits!.maxPenalty! };
  if (poolDefaults.min > poolDefaults.max) {
    problems.push({ path: where(['defaults', 'pool', 'min']), message: `min (${poolDefaults.min}) is above max (${poolDefaults.max})` });
  }
  const envValue = (path: Path, value: string | undefined): { value: string | undefined; ref: string | undefined } => {
    if (value === undefined || !value.startsWith('env:')) return { value, ref: undefined };
    const name = value.slice(4);
    if (!/^[A-Za-z_]\w*$/.test(name)) {
      problems.push({ path: where(path), message: `"${value}" is not a valid env:NAME reference` });
      return { value: undefined, ref: value };
    }
    // Own entries only: env:constructor is an unset variable, not a function.
    const resolved = own(env, name);
    if (typeof resolved === 'string' && resolved !== '') return { value: resolved, ref: value };
    if (requireEnv) {
      problems.push({
        path: where(path),
        message: `${name} is ${resolved === '' ? 'empty' : 'not set'} in this environment; set it, or write the value instead of ${value}`,
      });
    }
    return { value: undefined, ref: value };
  };

  /** A `store:` entry, checked and resolved; undefined for none or kind memory (per process). */
  const storeOf = (
    path: Path,
    entry: { kind?: StoreKind; url?: string; schema?: string; keyPrefix?: string; operationTimeout?: number } | undefined,
  ): StorePolicy | undefined => {
    if (entry === undefined) return undefined;
    const kind = entry.kind;
    if (kind === undefined) {
      problems.push({ path: where([...path, 'store']), at: 'key', message: 'missing kind (memory, postgres or redis)' });
      return undefined;
    }
    if (kind !== 'postgres' && entry.schema !== undefined) {
      problems.push({ path: where([...path, 'store', 'schema']), at: 'key', message: 'schema applies only to kind: postgres' });
    }
    if (kind !== 'redis' && entry.keyPrefix !== undefined) {
      problems.push({ path: where([...path, 'store', 'keyPrefix']), at: 'key', message: 'keyPrefix applies only to kind: redis' });
    }
    if (kind === 'memory') return undefined;
    if (entry.url === undefined) {
      problems.push({ path: where([...path, 'store']), at: 'key', message: `missing url (the ${kind}:// connection string, or env:NAME)` });
      return undefined;
    }
    const url = envValue([...path, 'store', 'url'], entry.url);
    return {
      kind,
      url: url.value,
      urlRef: url.ref,
      schema: entry.schema,
      keyPrefix: entry.keyPrefix,
      operationTimeoutMs: entry.operationTimeout,
    };
  };

  const semaphores = emptyRecord<SemaphorePolicy>();
  for (const [name, entry] of Object.entries(merged.semaphores ?? {})) {
    if (entry.limit === undefined) {
      problems.push({ path: where(['semaphores', name]), at: 'key', message: 'missing limit (a positive integer)' });
      continue;
    }
    const shared = storeOf(['semaphores', name], entry.store);
    if (shared === undefined && (entry.leaseTtl !== undefined || entry.fallback !== undefined || entry.onStoreError !== undefined)) {
      const option = entry.leaseTtl !== undefined ? 'leaseTtl' : entry.fallback !== undefined ? 'fallback' : 'onStoreError';
      problems.push({
        path: where(['semaphores', name, option]),
        at: 'key',
        message: `${option} applies only with a shared store (store.kind postgres or redis)`,
      });
    }
    semaphores[name] = {
      limit: entry.limit,
      maxQueue: entry.maxQueue ?? Number.POSITIVE_INFINITY,
      ...(shared === undefined
        ? {}
        : {
            store: shared,
            onStoreError: entry.onStoreError ?? 'failClosed',
            leaseTtlMs: entry.leaseTtl,
            fallback: entry.fallback,
          }),
    };
  }

  const rateLimits = emptyRecord<RateLimitPolicy>();
  for (const [name, entry] of Object.entries(merged.rateLimits ?? {})) {
    if (entry.rate === undefined) {
      problems.push({ path: where(['rateLimits', name]), at: 'key', message: 'missing rate (a positive number)' });
      continue;
    }
    const algorithm = entry.algorithm ?? 'sliding-window';
    if (entry.burst !== undefined && algorithm !== 'token-bucket') {
      problems.push({ path: where(['rateLimits', name, 'burst']), at: 'key', message: 'burst applies only to algorithm: token-bucket' });
    }
    const shared = storeOf(['rateLimits', name], entry.store);
    if (shared !== undefined && entry.spacing === 'even') {
      problems.push({
        path: where(['rateLimits', name, 'spacing']),
        message: 'spacing: even paces one process and cannot be shared; remove it or the store',
      });
    }
    if (shared === undefined && (entry.fallback !== undefined || entry.onStoreError !== undefined)) {
      const option = entry.fallback !== undefined ? 'fallback' : 'onStoreError';
      problems.push({
        path: where(['rateLimits', name, option]),
        at: 'key',
        message: `${option} applies only with a shared store (store.kind postgres or redis)`,
      });
    }
    if (entry.fallback?.burst !== undefined && algorithm !== 'token-bucket') {
      problems.push({
        path: where(['rateLimits', name, 'fallback', 'burst']),
        at: 'key',
        message: 'burst applies only to algorithm: token-bucket',
      });
    }
    rateLimits[name] = {
      algorithm,
      rate: entry.rate,
      perMs: entry.per ?? 1_000,
      burst: entry.burst,
      spacing: entry.spacing ?? 'burst',
      maxQueue: entry.maxQueue ?? Number.POSITIVE_INFINITY,
      maxPenaltyMs: rateLimitDefaults.maxPenaltyMs,
      ...(shared === undefined ? {} : { store: shared, onStoreError: entry.onStoreError ?? 'failClosed', fallback: entry.fallback }),
    };
  }

  const pools = emptyRecord<PoolPolicy>();
  for (const [name, entry] of Object.entries(merged.pools ?? {})) {
    const min = entry.min ?? Math.min(poolDefaults.min, entry.max ?? poolDefaults.max);
    const max = entry.max ?? Math.max(poolDefaults.max, min);
    if (min > max) problems.push({ path: where(['pools', name, 'min']), message: `min (${min}) is above max (${max})` });
    const connection = envValue(['pools', name, 'connectionString'], entry.connectionString);
    pools[name] = {
      connectionString: connection.value,
      connectionStringRef: connection.ref,
      min,
      max,
      connectTimeoutMs: entry.connectTimeout ?? timeouts.dbConnect,
      idleTimeoutMs: entry.idleTimeout ?? timeouts.dbIdle,
      statementTimeoutMs: entry.statementTimeout ?? timeouts.dbStatement,
      queryTimeoutMs: entry.queryTimeout ?? timeouts.dbQuery,
      maxQueue: entry.maxQueue ?? Number.POSITIVE_INFINITY,
    };
  }

  const http = emptyRecord<HttpPolicy>();
  for (const [name, entry] of Object.entries(merged.http ?? {})) {
    if (entry.limiter !== undefined && own(rateLimits, entry.limiter) === undefined) {
      problems.push({
        path: where(['http', name, 'limiter']),
        message: `names rate limit "${entry.limiter}", which is not defined${didYouMean(entry.limiter, Object.keys(rateLimits))}; known: ${Object.keys(rateLimits).join(', ')}`,
      });
    }
    if (entry.semaphore !== undefined && own(merged.semaphores, entry.semaphore) === undefined) {
      problems.push({
        path: where(['http', name, 'semaphore']),
        message: `names semaphore "${entry.semaphore}", which is not defined${didYouMean(entry.semaphore, Object.keys(semaphores))}${Object.keys(semaphores).length === 0 ? '' : `; known: ${Object.keys(semaphores).join(', ')}`}`,
      });
    }
    const baseUrl = envValue(['http', name, 'baseUrl'], entry.baseUrl);
    http[name] = {
      baseUrl: baseUrl.value,
      ...(baseUrl.ref === undefined ? {} : { baseUrlRef: baseUrl.ref }),
      timeoutMs: entry.timeout ?? timeouts.http,
      connections: entry.connections ?? 10,
      retries: entry.retries ?? 2,
      limiter: entry.limiter,
      semaphore: entry.semaphore,
      ...httpDefaults,
    };
  }

  const monitoring = merged.monitoring!;
  const lint = merged.lint ?? {};
  return {
    version: 1,
    source: undefined,
    environment: undefined,
    defaults: { concurrency: d.concurrency!, timeouts, pool: poolDefaults, http: httpDefaults, rateLimits: rateLimitDefaults },
    semaphores,
    rateLimits,
    pools,
    http,
    monitoring: {
      utilizationWarning: monitoring.utilizationWarning!,
      intervalMs: monitoring.interval!,
      minAlertIntervalMs: monitoring.minAlertInterval!,
    },
    lint: {
      providers: (lint.providers ?? []).map((provider, index) => {
        if (provider.module === undefined) {
          problems.push({ path: where(['lint', 'providers', index]), message: 'missing module (the package its client comes from)' });
        }
        return { module: provider.module ?? '', limiter: provider.limiter, methods: provider.methods ?? [] };
      }),
      limiters: lint.limiters ?? [],
      httpClients: (lint.httpClients ?? []).map((client, index) => {
        if (client.module === undefined)
          problems.push({ path: where(['lint', 'httpClients', index]), message: 'missing module (where the client comes from)' });
        return {
          module: client.module ?? '',
          methods: client.methods ?? [],
          optionsIndex: client.optionsIndex ?? 1,
          timeoutKeys: client.timeoutKeys ?? ['timeout'],
          deadlineMs: client.deadline,
        };
      }),
      connections: (lint.connections ?? []).map((connection, index) => {
        if (connection.module === undefined)
          problems.push({ path: where(['lint', 'connections', index]), message: 'missing module (where the connection comes from)' });
        return { module: connection.module ?? '', exports: connection.exports ?? [], kind: connection.kind ?? 'connection' };
      }),
      timeouts: lint.timeouts ?? [],
      blockingCalls: lint.blockingCalls ?? [],
      allowPerCallConnections: lint.allowPerCallConnections ?? [],
      contexts: resolveContexts(lint.contexts),
    },
  };
}

/** `lint.contexts` with the defaults: the file's globs, and its skip list or the default one. */
function resolveContexts(written: NonNullable<Merged['lint']>['contexts']): Record<CodeContext, ContextPolicy> {
  const contexts = {} as Record<CodeContext, ContextPolicy>;
  for (const name of CODE_CONTEXTS) {
    const entry: { files?: string[]; skip?: string[] } | undefined = written?.[name];
    const skip = name === 'service' ? [] : (entry?.skip ?? DEFAULT_POLICY.lint.contexts[name].skip);
    contexts[name] = { files: entry?.files ?? [], skip };
  }
  return contexts;
}
