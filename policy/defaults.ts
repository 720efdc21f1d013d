/**
 * The embedded default policy: the remediation plan's numbers, and the one source of every
 * default that bounded's runtime, rules and codemods use. A policy file only states what
 * differs from these.
 */

export interface RateLimitDefaults {
  /** Requests admitted per `perMs`. */
  readonly rate: number;
  /** Window length in milliseconds. */
  readonly perMs: number;
}

export interface PoolDefaults {
  readonly min: number;
  readonly max: number;
}

export interface DefaultPolicy {
  readonly version: 1;
  readonly defaults: {
    /** Fan-out concurrency for mapBounded and the `no-unbounded-concurrency` rule. */
    readonly concurrency: number;
    readonly timeouts: {
      /** Deadline for HTTP calls, in milliseconds. */
      readonly http: number;
      /** Deadline for model (LLM provider) calls, in milliseconds. */
      readonly model: number;
      /** Longest wait for a pooled database connection (queueing plus connecting), in ms. */
      readonly dbConnect: number;
      /** Server-side `statement_timeout` every pooled connection starts with, in ms. */
      readonly dbStatement: number;
      /**
       * Client-side deadline for one query, in ms: a backstop above `dbStatement` for what the
       * server cannot time out itself (a network fault, a stopped server).
       */
      readonly dbQuery: number;
      /** How long a pooled connection above `pool.min` may sit idle before it is closed, in ms. */
      readonly dbIdle: number;
    };
    readonly http: {
      /** Largest response body an HTTP client reads, in bytes; a longer one fails the call. */
      readonly maxBodyBytes: number;
      /** Longest `Retry-After` a client honours (its wait, and the penalty it puts on its limiter), in ms. */
      readonly maxRetryAfterMs: number;
    };
    readonly rateLimits: {
      /** Longest pause one `penalize(ms)` puts on a rate limiter, in ms. */
      readonly maxPenaltyMs: number;
    };
  };
  readonly pool: PoolDefaults;
  readonly rateLimits: {
    readonly openai: RateLimitDefaults;
    readonly anthropic: RateLimitDefaults;
  };
  readonly monitoring: {
    /** Utilization (0..1) at which the monitor warns. */
    readonly utilizationWarning: number;
  };
  readonly lint: {
    /**
     * Which rules do not run where (rule names without `bounded/`, or `all`); the patterns
     * that place a file in a context are in policy/catalog/contexts.ts.
     */
    readonly contexts: {
      readonly test: { readonly skip: readonly string[] };
      readonly script: { readonly skip: readonly string[] };
      readonly example: { readonly skip: readonly string[] };
      readonly browser: { readonly skip: readonly string[] };
      readonly vendored: { readonly skip: readonly string[] };
      readonly generated: { readonly skip: readonly string[] };
    };
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULT_POLICY: DefaultPolicy = deepFreeze({
  version: 1,
  defaults: {
    concurrency: 10,
    timeouts: {
      http: 60_000,
      model: 60_000,
      dbConnect: 10_000,
      dbStatement: 30_000,
      dbQuery: 35_000,
      dbIdle: 30_000,
    },
    http: { maxBodyBytes: 10 * 1024 * 1024, maxRetryAfterMs: 5 * 60_000 },
    rateLimits: { maxPenaltyMs: 5 * 60_000 },
  },
  pool: { min: 5, max: 20 },
  rateLimits: {
    openai: { rate: 60, perMs: 60_000 },
    anthropic: { rate: 50, perMs: 60_000 },
  },
  monitoring: { utilizationWarning: 0.8 },
  lint: {
    contexts: {
      // A test or a script blocks nobody's request; neither does a test helper's fetch without a deadline.
      // A test's connection lives as long as the test, and its fan-outs run over fixtures.
      test: { skip: ['no-sync-io-in-async', 'require-timeout', 'no-per-call-connection', 'no-unbounded-concurrency'] },
      script: { skip: ['no-sync-io-in-async'] },
      // Examples are what users copy into services: the hazard families apply; but each runs as a
      // one-off program, whose blocking call stalls no one else's request.
      example: { skip: ['no-sync-io-in-async'] },
      // A browser's request holds no server capacity, and its provider keys belong behind a server;
      // a browser's fan-out holds no server resource either (and the browser caps its connections per host).
      browser: { skip: ['require-timeout', 'no-unthrottled-provider-call', 'no-unbounded-concurrency'] },
      vendored: { skip: ['all'] },
      generated: { skip: ['all'] },
    },
  },
} as const);
