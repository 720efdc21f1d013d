import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The workspace packages import each other by name (`@bounded/policy`); tests run them from
// their TypeScript sources through the `@bounded/source` export condition, never from dist/.
const conditions = ['@bounded/source', ...defaultServerConditions];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    include: ['test/**/*.test.ts'],
    // Owns the throwaway PostgreSQL servers; starts one only when a test asks for it.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores: keep worker count at the machine's size so timing-sensitive tests stay calm.
    maxWorkers: 2,
  },
});
