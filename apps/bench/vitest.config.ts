import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The smoke test runs the whole quick benchmark: servers, Redis, load generator.
    testTimeout: 120_000,
  },
});
