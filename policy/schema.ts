/**
 * The policy file's schema, written once: `checkPolicyFile` validates with it and
 * `policyJsonSchema()` ships it as JSON Schema for editors.
 */
import { s, type Infer, type JsonSchema } from './schema-kit.js';

const timeouts = s.object('Deadlines per kind of call.', {
  http: s.duration('Deadline for an HTTP call, headers and body.'),
  model: s.duration('Deadline for a model (LLM provider) call.'),
  dbConnect: s.duration('Longest wait for a pooled database connection.'),
  dbStatement: s.duration('Server-side statement_timeout of every pooled connection.'),
  dbQuery: s.duration('Client-side deadline for one query (a backstop above dbStatement).'),
  dbIdle: s.duration('How long a pooled connection above min may stay idle.'),
});

const store = s.object('Where the state of a limit lives. Without it (or with kind memory) the limit is per process.', {
  kind: s.enum('memory: per process; postgres or redis: shared by every replica that uses the same url and name.', [
    'memory',
    'postgres',
    'redis',
  ] as const),
  url: s.envString('Connection string of the store: postgres://… or redis://… (required for postgres and redis).'),
  schema: s.string(
    'postgres only: the schema that holds the tables (default bounded).',
    /^[a-z_][a-z0-9_]{0,62}$/,
    'a lower-case SQL identifier',
  ),
  keyPrefix: s.string(
    'redis only: the prefix of every key, as <keyPrefix>:{<name>}:… (default bounded; no braces).',
    /^[^{}]+$/,
    'a prefix without braces',
  ),
  operationTimeout: s.duration('Longest wait for one store call before the store counts as unavailable (default 1s).'),
});

const onStoreError = s.enum(
  'While a shared store is unreachable: failClosed rejects with StoreUnavailableError (the default); failOpen admits through the local fallback limit.',
  ['failClosed', 'failOpen'] as const,
);

const semaphore = s.object('A named concurrency limit.', {
  limit: s.positiveInt('Most holders at once.'),
  maxQueue: s.nonNegativeInt('Most callers waiting; one more is refused with QueueFullError.'),
  store,
  onStoreError,
  leaseTtl: s.duration(
    "Shared store only: how long a permit lives without renewal; a crashed holder's permits return after it (default 30s).",
  ),
  fallback: s.object('failOpen only: the per-process limit while the store is unreachable (default: the same numbers).', {
    limit: s.positiveInt('Most holders at once in this process.'),
  }),
});

const rateLimit = s.object('A named rate limit.', {
  algorithm: s.enum('sliding-window never admits more than rate in any window; token-bucket refills continuously.', [
    'sliding-window',
    'token-bucket',
  ] as const),
  rate: s.positive('Requests (or cost units) admitted per `per`.'),
  per: s.duration('The window `rate` refers to.'),
  burst: s.positive('token-bucket only: the most units one burst may use (default: rate).'),
  spacing: s.enum('burst admits as the algorithm allows; even spreads admissions per/rate apart.', ['burst', 'even'] as const),
  maxQueue: s.nonNegativeInt('Most callers waiting; one more is refused with QueueFullError.'),
  store,
  onStoreError,
  fallback: s.object('failOpen only: the per-process limit while the store is unreachable (default: the same numbers).', {
    rate: s.positive('Units admitted per `per` in this process.'),
    burst: s.positive('token-bucket only: the most units one burst may use in this process.'),
  }),
});

const pool = s.object('A named PostgreSQL pool.', {
  connectionString: s.envString('postgres:// URL of the database.'),
  min: s.nonNegativeInt('Connections kept open even when idle.'),
  max: s.positiveInt('Most connections open at once.'),
  connectTimeout: s.duration('Longest wait for a connection.'),
  idleTimeout: s.duration('How long a connection above min may stay idle.'),
  statementTimeout: s.duration('Server-side statement_timeout.'),
  queryTimeout: s.duration('Client-side deadline for one query.'),
  maxQueue: s.nonNegativeInt('Most callers waiting for a connection.'),
});

const httpClient = s.object('A named HTTP client.', {
  baseUrl: s.envString('Origin every relative request goes to.'),
  timeout: s.duration('Total deadline per request, headers and body.'),
  connections: s.positiveInt('Most open connections per origin.'),
  retries: s.nonNegativeInt('Retries of idempotent requests (and 429/503 with Retry-After).'),
  limiter: s.string('Name of a rateLimits entry every request goes through.'),
  semaphore: s.string('Name of a semaphores entry every request runs under.'),
});

const monitoring = s.object('Monitoring and alerting.', {
  utilizationWarning: s.ratio('Utilization (0..1] at which the monitor warns; 0.8 = 80 %.'),
  interval: s.duration('How often the monitor samples.'),
  minAlertInterval: s.duration('Least time between two alerts for one resource.'),
});

const providerApi = s.object('A provider API the linter treats as rate-limited.', {
  module: s.string(
    'The module its client comes from, e.g. "@mistralai/mistralai"; or a file of the project relative to this policy (./src/llm.ts), whose exported functions are matched wherever they are imported from.',
  ),
  limiter: s.string('The rateLimits entry that should throttle it.'),
  methods: s.list(
    'Method paths on the client ("chat.complete"), or exported functions of the module ("complete").',
    s.string('A method path.'),
  ),
});

const httpClientApi = s.object('An HTTP client or a project function that sends a request.', {
  module: s.string('The module it comes from, or a project file relative to this policy (./src/http.ts).'),
  methods: s.list('Exported functions (or methods of its default export) that send a request.', s.string('A name.')),
  optionsIndex: s.nonNegativeInt('The argument its request options are at (default 1).'),
  timeoutKeys: s.list('Options, besides signal, that put a deadline on the request (default timeout).', s.string('An option.')),
  deadline: s.duration('The deadline its requests already have (a wrapper that applies one); leave out when they have none.'),
});

const connectionApi = s.object('A module or project function that opens database or cache connections.', {
  module: s.string('The module it comes from, or a project file relative to this policy (./src/db.ts).'),
  exports: s.list('Exports that open a connection (or a pool) when called or constructed.', s.string('An export.')),
  kind: s.enum('What one call makes: a single connection, or a pool of them (default connection).', ['connection', 'pool'] as const),
});

const skippedRules = s.list(
  'Rules that do not run in this context, by name without bounded/ ("no-sync-io-in-async"), or "all"; replaces the default list.',
  s.string('A rule name, or all.', /^(?:all|[a-z][a-z0-9-]*)$/, 'a rule name without bounded/ ("no-sync-io-in-async") or "all"'),
);
const contextFiles = s.list(
  "Extra glob patterns of files in this context, relative to the policy file's folder; added to bounded's catalog.",
  s.string('A glob pattern.'),
);
const codeContext = (description: string) => s.object(description, { files: contextFiles, skip: skippedRules });

const contexts = s.object(
  'Where code runs, and which rules apply there. A file that no pattern or marker places elsewhere serves requests.',
  {
    service: s.object('Request-serving code: the default, where every rule applies.', {
      files: s.list(
        'Glob patterns of files that serve requests whatever else they match (a test/ folder that holds service code).',
        s.string('A glob pattern.'),
      ),
    }),
    test: codeContext(
      'Tests: *.test.*, *.spec.*, a suffix of their own (*.servertest.*, *.e2e-spec.*), __tests__/, __mocks__/, __e2e__/, e2e/, test/, tests/, testing/, a module importing a test framework (vitest, node:test, @playwright/test…). Default skip: no-sync-io-in-async, require-timeout, no-per-call-connection, no-unbounded-concurrency, no-handmade-timeout, no-unmanaged-background-work.',
    ),
    script: codeContext(
      'Build scripts, CLIs, migrations and seeds: scripts/, cli/, *.config.*, build.js, webpack/rollup/vite files, migrations/, seeds/, codegen/, files with a shebang, files named in a package.json bin or run by a package.json script, the files of a CLI package. Default skip: no-sync-io-in-async, no-unmanaged-background-work.',
    ),
    example: codeContext(
      'Examples and demos: examples/, example/, demo/, demos/, samples/, sample/. Default skip: no-sync-io-in-async (the hazard families apply: examples are what users copy into services).',
    ),
    browser: codeContext(
      "Browser code: 'use client', modules importing react-dom or only UI libraries or using DOM globals or handling DOM events, React/JSX modules (.tsx/.jsx) importing nothing of a server's outside a full-stack framework, a package's browser field, UI packages, public/, *.browser.*. Default skip: require-timeout, no-unthrottled-provider-call, no-unbounded-concurrency, no-handmade-timeout, no-unmanaged-background-work.",
    ),
    vendored: codeContext('Vendored code: vendor/, third_party/. Default skip: all (bounded check does not lint it).'),
    generated: codeContext(
      'Generated and minified files: a generated-file header (@generated, Code generated, DO NOT EDIT), very long lines, *.min.js. Default skip: all.',
    ),
  },
);

const lint = s.object('What the ESLint rules and codemods should know about this codebase.', {
  contexts,
  providers: s.list('Extra rate-limited provider APIs.', providerApi),
  limiters: s.list('Extra function names that count as rate limiters or concurrency limiters.', s.string('A function name.')),
  httpClients: s.list('Extra HTTP clients and project functions that send requests.', httpClientApi),
  connections: s.list('Extra modules and project functions that open connections.', connectionApi),
  timeouts: s.list('Extra function names that count as putting a deadline on a call.', s.string('A function name.')),
  blockingCalls: s.list(
    'Extra calls no-sync-io-in-async reports, as module.name ("fs.readFileSync", "my-lib.loadSync") or a global name.',
    s.string('A call.'),
  ),
  allowPerCallConnections: s.list(
    'Glob patterns of files where a connection per call is fine (migration scripts).',
    s.string('A glob pattern.'),
  ),
});

const defaults = s.object('Defaults for everything the file does not name.', {
  concurrency: s.positiveInt('Fan-out concurrency for mapBounded and the no-unbounded-concurrency rule.'),
  timeouts,
  pool: s.object('Defaults of every pool.', {
    min: s.nonNegativeInt('Connections kept open even when idle.'),
    max: s.positiveInt('Most connections open at once.'),
  }),
  http: s.object('Defaults of every HTTP client.', {
    maxBodyBytes: s.positiveInt(
      'Largest response body a client reads, in bytes (default 10485760, 10 MiB); a longer one fails the call with BodyTooLargeError.',
    ),
    maxRetryAfter: s.duration('Longest Retry-After a client honours, as its wait and as the penalty on its limiter (default 5m).'),
  }),
  rateLimits: s.object('Defaults of every rate limit.', {
    maxPenalty: s.duration("Longest pause one penalty (a provider's Retry-After) puts on a limit (default 5m)."),
  }),
});

/** Everything an overlay may override: the whole policy but `version` and `environments`. */
const body = {
  defaults,
  semaphores: s.record('Named concurrency limits (manager.semaphore(name)).', semaphore),
  rateLimits: s.record(
    'Named rate limits (manager.limiter(name)); openai, anthropic and the SaaS presets (slack, discord, telegram, line, resend, stripe, github, expo, notion) exist by default.',
    rateLimit,
  ),
  pools: s.record('Named PostgreSQL pools (manager.pool(name)).', pool),
  http: s.record('Named HTTP clients (manager.http(name)).', httpClient),
  monitoring,
  lint,
};

export const overlaySchema = s.object('Overrides for one environment.', body);

export const policyFileSchema = s.object('bounded policy: the concurrency and resource limits of a service.', {
  $schema: s.string('The JSON Schema this file follows (for editors).'),
  version: s.literal('Policy format version.', 1),
  ...body,
  environments: s.record('Per-environment overrides, chosen by BOUNDED_ENV or NODE_ENV (e.g. production, staging).', overlaySchema),
});

/** A policy file (or overlay) as validated: every field optional, durations in milliseconds. */
export type PolicyFile = Infer<typeof policyFileSchema.shape>;
export type PolicyOverlay = Infer<typeof overlaySchema.shape>;

/** The JSON Schema of `bounded.policy.yaml` (draft 2020-12). */
export function policyJsonSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'bounded.policy.yaml',
    ...policyFileSchema.jsonSchema(),
    required: ['version'],
  };
}
