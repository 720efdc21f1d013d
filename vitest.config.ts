import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores: keep worker count at the machine's size so timing-sensitive tests stay calm.
    maxWorkers: 2,
  },
});
