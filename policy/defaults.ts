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
    /** The SaaS APIs with a published limit (policy/catalog/saas.ts cites where each number comes from). */
    readonly slack: RateLimitDefaults;
    readonly discord: RateLimitDefaults;
    readonly telegram: RateLimitDefaults;
    readonly line: RateLimitDefaults;
    readonly resend: RateLimitDefaults;
    readonly stripe: RateLimitDefaults;
    readonly github: RateLimitDefaults;
    readonly expo: RateLimitDefaults;
    readonly notion: RateLimitDefaults;
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
    // Slack's Tier 3 (the most common web API tier): 50+ requests/min per method and workspace.
    slack: { rate: 50, perMs: 60_000 },
    // Discord: 50 requests/s per bot globally.
    discord: { rate: 50, perMs: 1_000 },
    // Telegram bots: about 30 messages/s in bulk.
    telegram: { rate: 30, perMs: 1_000 },
    // LINE Messaging: 2,000 requests/s per channel for most endpoints.
    line: { rate: 2_000, perMs: 1_000 },
    // Resend: 2 requests/s per team.
    resend: { rate: 2, perMs: 1_000 },
    // Stripe: 25 requests/s per endpoint (and in test mode); live mode allows 100 operations/s overall.
    stripe: { rate: 25, perMs: 1_000 },
    // GitHub: 5,000 requests/h per token.
    github: { rate: 5_000, perMs: 3_600_000 },
    // Expo push: 600 notifications/s per project.
    expo: { rate: 600, perMs: 1_000 },
    // Notion: an average of 3 requests/s per integration.
    notion: { rate: 3, perMs: 1_000 },
  },
  monitoring: { utilizationWarning: 0.8 },
  lint: {
    contexts: {
      // A test or a script blocks nobody's request; neither does a test helper's fetch without a deadline.
      // Nor does a test's sleep or its fire-and-forget call, nor a script's: they end with the process.
      // A test's connection lives as long as the test, and its fan-outs run over fixtures.
      test: {
        skip: [
          'no-sync-io-in-async',
          'require-timeout',
          'no-per-call-connection',
          'no-unbounded-concurrency',
          'no-handmade-timeout',
          'no-unmanaged-background-work',
        ],
      },
      script: { skip: ['no-sync-io-in-async', 'no-unmanaged-background-work'] },
      // Examples are what users copy into services: the hazard families apply; but each runs as a
      // one-off program, whose blocking call stalls no one else's request.
      example: { skip: ['no-sync-io-in-async'] },
      // A browser's request holds no server capacity, and its provider keys belong behind a server;
      // a browser's fan-out holds no server resource either (and the browser caps its connections per host).
      // Its background work and timers end with the page, and node:timers/promises and fs are not there.
      browser: {
        skip: [
          'require-timeout',
          'no-unthrottled-provider-call',
          'no-unbounded-concurrency',
          'no-handmade-timeout',
          'no-unmanaged-background-work',
        ],
      },
      vendored: { skip: ['all'] },
      generated: { skip: ['all'] },
    },
  },
} as const);
