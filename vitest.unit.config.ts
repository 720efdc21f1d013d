// `npm run test:unit`: the inner loop. Every test file except those that start a server or a
// child process (PostgreSQL, Redis, node:http, git, tsc, esbuild, forked replicas) or that are
// slow suites by design (stress, chaos, robustness, the demo and the benchmarks' runs).
// test/helpers/unit-guard.ts makes any child process, listening socket or connection throw, so a
// new test that needs one fails here at once: add it to UNIT_EXCLUDE. `npm test` (vitest.config.ts)
// still runs every file.
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/** Test files the inner loop leaves to `npm test`, each for the reason on its line. */
export const UNIT_EXCLUDE = [
  // Real PostgreSQL or Redis servers (test/helpers/postgres.ts, redis.ts), some with forked replicas.
  'test/runtime/store/{db-cli,policy-store,postgres-*,redis-*}.test.ts',
  'test/runtime/pool/{pool,chaos}.test.ts',
  'test/codemods/pool-connections.test.ts',
  'test/hostile/runtime-redis-keys.test.ts',
  'test/packages/redis-binary.test.ts',
  // node:http servers on 127.0.0.1 (the fake providers and the stress upstream among them).
  'test/runtime/http/{client,connection-limit}.test.ts',
  'test/runtime/monitor/{monitor,prometheus}.test.ts',
  'test/runtime/throttle/throttle-client.test.ts',
  'test/runtime/stress/units.test.ts',
  'test/hostile/runtime-{body-cap,metrics-server,retry-after}.test.ts',
  // Child processes: tsc, git, npm pack, esbuild's service, a node process per run.
  'test/codemods/throttle-provider-calls.test.ts',
  'test/cli/{migrate,migrate-workers}.test.ts',
  'test/hostile/{cli-glob,migrate-git-guard,migrate-metadata,migrate-unwritable}.test.ts',
  'test/fixtures/migrate-loop.test.ts',
  // Worker threads (ESLint's own), and node:http servers counted by async_hooks.
  'test/cli/check-workers.test.ts',
  'test/fixtures/background-leaks.test.ts',
  'test/eslint-plugin/docs-url.test.ts',
  'test/packages/{action,readmes,core-browser}.test.ts',
  'test/bench/{runner,precision}.test.ts',
  // Slow by design: the stress harness, the demo, the robustness sweep, the fuzzer, the labelled
  // corpus and the whole fixture service (each lints hundreds of files).
  'test/runtime/stress/{load,chaos}.test.ts',
  'test/bench/agent-service-demo.test.ts',
  'test/eslint-plugin/{robustness,fuzz,corpus}.test.ts',
  'test/fixtures/agent-service.test.ts',
  // Lints the fixtures, the corpus and a node_modules slice twice (with and without the prefilter).
  'test/cli/check-prefilter.test.ts',
];

export default defineConfig({
  ssr: { resolve: { conditions: ['@bounded/source', ...defaultServerConditions] } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...UNIT_EXCLUDE],
    setupFiles: ['test/helpers/unit-guard.ts'],
    testTimeout: 20_000,
    maxWorkers: 2,
    // Test files share each worker's loaded modules (typescript, ESLint, the rules) instead of
    // loading them again per file: half the CPU time (43 s instead of 94 s measured). `npm test`
    // keeps every file isolated, so state one file leaks into another still shows up there.
    isolate: false,
  },
});
