import { defaultServerConditions } from 'vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { ensureRedisBinary, redisSuites } from './test/helpers/redis-binary.js';

// The workspace packages import each other by name (`@bounded/policy`); tests run them from
// their TypeScript sources through the `@bounded/source` export condition, never from dist/.
const conditions = ['@bounded/source', ...defaultServerConditions];

const ROOT = fileURLToPath(new URL('.', import.meta.url));
// A run without redis-server installs it (as root) or leaves the Redis suites out, loudly;
// under CI=true it fails instead. Test files never find out half-way.
const redis = ensureRedisBinary(ROOT);

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(redis.available ? [] : redisSuites(ROOT))],
    // Owns the throwaway PostgreSQL servers; starts one only when a test asks for it.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores: keep worker count at the machine's size so timing-sensitive tests stay calm.
    maxWorkers: 2,
  },
});
