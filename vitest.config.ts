import { defineConfig } from 'vitest/config';

export default defineConfig({
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
