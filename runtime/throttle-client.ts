import { DEFAULT_POLICY } from '@bounded/policy/core';
import { assertMaxRetryAfter, parseRetryAfter } from './http/retry.js';
import { withTimeout } from './timeout.js';
import { Semaphore } from './semaphore.js';
import { providerLimiter } from './rate-limit/providers.js';
import type { RateLimiter } from './rate-limit/types.js';
import { assertLimit, assertTimeoutMs, show } from './internal/validate.js';
import { PerKey, type KeyedResource } from './per-key.js';

export interface ThrottleClientOptions {
  /**
   * Every call is admitted by this limiter first; a provider name (`'openai'`) uses its preset.
   * A `perKey` group of limiters admits each call by the limiter of `key`.
   */
  limiter?: RateLimiter | string | KeyedGroup<RateLimiter>;
  /** Deadline per call. Default: the policy's model timeout (60 s). */
  timeoutMs?: number;
  /**
   * Most calls in flight at once (a new Semaphore), or a Semaphore to share, or a `perKey` group
   * of Semaphores (the one of `key`). Default: unbounded.
   */
  concurrency?: number | Semaphore | KeyedGroup<Semaphore>;
  /**
   * Which key of a `perKey` limiter or concurrency group this client's calls count against: a
   * client made per tenant, with the tenant's own API key, gets the tenant's own limit
   * (`throttleClient(new OpenAI({ apiKey }), { limiter: tenants, key: tenantId })`). Looked up
   * on every call, so an idle key dropped in between is made afresh. Required with a group.
   */
  key?: string;
  /**
   * How many times a call answered with 429 is retried, after `penalize`-ing the limiter for the
   * provider's `Retry-After`. Default 2. On an SDK client with a limiter, each call also gets
   * `maxRetries: 0` in its request options (unless the call sets `maxRetries` itself): the
   * SDK's own retries would resend a 429'd request without asking the limiter, which is how
   * a throttled client ends up over the provider's limit.
   *
   * A 429 whose `Retry-After` is not shorter than `timeoutMs` is not retried: it is thrown at
   * once (the limiter still penalized), since waiting that long would take the call past its
   * own deadline.
   */
  retries429?: number;
  /**
   * Longest `Retry-After` honoured, in milliseconds: a longer one (seconds or an HTTP-date)
   * counts as this long, for the limiter's penalty and the retry alike. Default: the policy's
   * `defaults.http.maxRetryAfter` (5 minutes).
   */
  maxRetryAfterMs?: number;
  /** Names calls in errors: "openai chat.completions.create timed out after 60 s". Default: the limiter's name. */
  name?: string;
  /**
   * Which methods to throttle, by path (`['chat', 'completions', 'create']`). Default: every
   * method of an SDK client's resources (not the client's own HTTP helpers such as `get` or
   * `buildURL`), and every method of any other object.
   */
  methods?: (path: readonly string[]) => boolean;
}

/** A `perKey` group, as `throttleClient` uses it. */
export type KeyedGroup<T> = Pick<PerKey<T & KeyedResource>, 'get' | 'name'>;

const SDK_CLIENT = Symbol('sdk-client');

/**
 * Wraps an OpenAI or Anthropic SDK client (or any object whose methods return promises) so
 * that every call goes through the rate limiter, runs under a deadline (its signal merged
 * with the caller's), and is bounded in concurrency. The wrapper has the client's own type:
 * `throttled.chat.completions.create(...)` type-checks exactly like the original.
 *
 * ```ts
 * const openai = throttleClient(new OpenAI({ maxRetries: 0 }), { limiter: 'openai', concurrency: 8 });
 * const reply = await openai.chat.completions.create({ model, messages });
 * ```
 *
 * The signal goes into the SDK's request-options argument (the method's last declared
 * parameter, as in `create(body, options)`); a method that takes none still gets the deadline,
 * as a rejection with `TimeoutError` when it passes.
 */
// eslint-disable-next-line max-lines-per-function -- argument checks, then the proxy whose traps close over the resolved limiter, semaphore and deadline
export function throttleClient<T extends object>(client: T, options: ThrottleClientOptions = {}): T {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(`Expected \`client\` to be an object, got ${show(client)}`);
  }
  const key = options.key;
  const keyed = options.limiter instanceof PerKey || options.concurrency instanceof PerKey;
  if (keyed && (typeof key !== 'string' || key === '')) {
    throw new TypeError(`Expected \`key\` (which key of the perKey group the calls count against), got ${show(key)}`);
  }
  if (!keyed && key !== undefined) {
    throw new TypeError('Expected a perKey group as `limiter` or `concurrency` when `key` is given');
  }
  const limiterGroup = options.limiter instanceof PerKey ? (options.limiter as KeyedGroup<RateLimiter>) : undefined;
  const limiterOf: RateLimiter | undefined =
    typeof options.limiter === 'string'
      ? providerLimiter(options.limiter)
      : limiterGroup === undefined
        ? (options.limiter as RateLimiter | undefined)
        : undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_POLICY.defaults.timeouts.model;
  assertTimeoutMs('timeoutMs', timeoutMs);
  let semaphoreOf: Semaphore | undefined;
  const semaphoreGroup = options.concurrency instanceof PerKey ? (options.concurrency as KeyedGroup<Semaphore>) : undefined;
  if (options.concurrency instanceof Semaphore) semaphoreOf = options.concurrency;
  else if (semaphoreGroup !== undefined) semaphoreOf = undefined;
  else if (options.concurrency !== undefined) {
    assertLimit('concurrency', options.concurrency);
    semaphoreOf = new Semaphore(options.concurrency, { name: options.name ?? limiterOf?.name });
  }
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_POLICY.defaults.http.maxRetryAfterMs;
  assertMaxRetryAfter('maxRetryAfterMs', maxRetryAfterMs);
  const retries429 = options.retries429 ?? 2;
  if (!Number.isInteger(retries429) || retries429 < 0) {
    throw new TypeError(`Expected \`retries429\` to be a non-negative integer, got ${show(retries429)}`);
  }
  const sdk = looksLikeSdkClient(client);
  const methods = options.methods ?? ((path: readonly string[]) => !sdk || path.length >= 2);
  const label = options.name ?? limiterOf?.name ?? limiterGroup?.name;
  const hasLimiter = limiterOf !== undefined || limiterGroup !== undefined;

  const call = (target: object, method: (...args: unknown[]) => unknown, path: readonly string[], args: unknown[]) => {
    // This call's own limits: a group's are looked up now, so a key dropped while idle comes back.
    const limiter = limiterGroup === undefined ? limiterOf : limiterGroup.get(key!);
    const semaphore = semaphoreGroup === undefined ? semaphoreOf : semaphoreGroup.get(key!);
    const optionsIndex = method.length - 1;
    const callerSignal = optionsIndex >= 0 ? signalIn(args[optionsIndex]) : undefined;
    const name = `${label === undefined ? '' : `${label} `}${path.join('.')}`;
    const attempt = (signal: AbortSignal | undefined): Promise<unknown> =>
      withTimeout((deadline) => method.apply(target, withSignal(args, optionsIndex, deadline, sdk && hasLimiter)), timeoutMs, {
        signal,
        name,
      });
    const admitted = (signal: AbortSignal | undefined): Promise<unknown> =>
      limiter === undefined ? attempt(signal) : limiter.schedule(attempt, { signal });
    const guarded = async (signal: AbortSignal | undefined): Promise<unknown> => {
      for (let tries = 0; ; tries++) {
        try {
          return await admitted(signal);
        } catch (error) {
          const retryAfter = tooManyRequests(error, maxRetryAfterMs);
          if (retryAfter === undefined || limiter === undefined) throw error;
          limiter.penalize(retryAfter);
          // Waiting out a Retry-After as long as the deadline itself cannot end in time.
          if (tries >= retries429 || retryAfter >= timeoutMs) throw error;
        }
      }
    };
    return semaphore === undefined ? guarded(callerSignal) : semaphore.run(guarded, { signal: callerSignal });
  };

  const proxies = new WeakMap<object, object>();
  const wrap = (target: object, path: readonly string[]): object => {
    const cached = proxies.get(target);
    if (cached !== undefined) return cached;
    const proxy = new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof property !== 'string' || property.startsWith('_') || property === 'constructor') return value;
        const next = [...path, property];
        if (typeof value === 'function') {
          if (!methods(next)) return value;
          const method = value as (...args: unknown[]) => unknown;
          return (...args: unknown[]) => call(object, method, next, args);
        }
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) return wrap(value, next);
        return value;
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };
  return wrap(client, []) as T;
}

/** SDK clients (OpenAI, Anthropic) carry a base URL and their own HTTP helpers on the root. */
function looksLikeSdkClient(client: object): boolean {
  const record = client as Record<PropertyKey, unknown>;
  return record[SDK_CLIENT] === true || (typeof record.baseURL === 'string' && typeof record.buildURL === 'function');
}

function signalIn(value: unknown): AbortSignal | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const signal = (value as { signal?: unknown }).signal;
  return signal instanceof AbortSignal ? signal : undefined;
}

/**
 * The call's arguments with `signal` in its request-options argument, and `maxRetries: 0`
 * when `noSdkRetries` and the caller did not choose a number.
 */
function withSignal(args: unknown[], index: number, signal: AbortSignal, noSdkRetries: boolean): unknown[] {
  if (index < 0 || index < args.length - 1) return args;
  const current = args[index];
  if (current !== undefined && (typeof current !== 'object' || current === null || Array.isArray(current))) return args;
  const next = args.slice();
  while (next.length < index) next.push(undefined);
  // Our signal already follows the caller's (withTimeout links them), so it replaces it.
  const requestOptions: Record<string, unknown> = { ...(current as Record<string, unknown> | undefined), signal };
  if (noSdkRetries && requestOptions.maxRetries === undefined) requestOptions.maxRetries = 0;
  next[index] = requestOptions;
  return next;
}

/**
 * Milliseconds to back off when `error` is a 429: from its `Retry-After` (seconds or an
 * HTTP date) up to `maxMs` (default 5 minutes), else one second. Undefined for anything else.
 */
export function tooManyRequests(error: unknown, maxMs: number = DEFAULT_POLICY.defaults.http.maxRetryAfterMs): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, headers } = error as { status?: unknown; headers?: unknown };
  if (status !== 429) return undefined;
  return parseRetryAfter(headerValue(headers, 'retry-after'), Date.now(), maxMs) ?? Math.min(1_000, maxMs);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (headers === null || headers === undefined) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  if (typeof headers === 'object') {
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}
