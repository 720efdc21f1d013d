/** The commented starter file `bounded policy init` writes. Every value shown is the embedded default. */
export const STARTER_POLICY = `# bounded.policy.yaml — the concurrency and resource limits of this service.
# bounded's linter, codemods and runtime all read this file. State only what differs from the
# embedded defaults; everything left out keeps its default. Durations: 500ms, 60s, 1m, 1h, in
# whole milliseconds up to 596h (24.8 days, the longest a timer waits). env:NAME reads a
# variable, which the runtime and \`bounded policy validate\` need set.
# yaml-language-server: $schema=./node_modules/@bounded/policy/bounded.policy.schema.json
version: 1

defaults:
  concurrency: 10          # fan-out limit for mapBounded and the no-unbounded-concurrency rule
  timeouts:
    http: 60s              # total deadline of an HTTP call, headers and body
    model: 60s             # deadline of a model (LLM provider) call
    dbConnect: 10s         # longest wait for a pooled database connection
    dbStatement: 30s       # server-side statement_timeout
    dbQuery: 35s           # client-side deadline for one query
  pool:
    min: 5
    max: 20

# Named concurrency limits: manager.semaphore('agents')
semaphores:
  agents:
    limit: 10
    maxQueue: 1000         # one more waiter is refused with QueueFullError

# Named rate limits: manager.limiter('openai'). openai, anthropic and the SaaS presets
# (slack, discord, telegram, line, resend, stripe, github, expo, notion) exist by default.
rateLimits:
  openai:
    rate: 60
    per: 1m
  anthropic:
    rate: 50
    per: 1m
    # algorithm: sliding-window   # or token-bucket (with burst)
    # spacing: even               # spread calls evenly instead of a burst at the window's start

# Named PostgreSQL pools: manager.pool('main')
pools:
  main:
    connectionString: env:DATABASE_URL
    max: 20

# Named HTTP clients: manager.http('default')
http:
  default:
    timeout: 60s
    connections: 10
    retries: 2             # idempotent requests only, and 429/503 with Retry-After

monitoring:
  utilizationWarning: 0.8  # warn at 80 % of any limit, and again when it recovers

lint:
  # Files where a connection per call is fine, such as migration scripts.
  allowPerCallConnections:
    - "migrations/**"
  # Where code runs: tests, scripts and CLIs, examples, browser, vendored and generated files are known
  # already (bounded check --list-contexts shows each file's context and why). Add your own:
  # contexts:
  #   script: { files: ["tools/**"] }
  #   vendored: { files: ["packages/legacy-sdk/**"] }

# Per-environment overrides, chosen by BOUNDED_ENV or NODE_ENV.
environments:
  production:
    semaphores:
      agents:
        limit: 50
`;
