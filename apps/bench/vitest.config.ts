import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The smoke test runs the whole quick benchmark: servers, Redis, load generator.
    // The quick run takes 70–100 s on a 2-core machine shared with the rest of CI: room to finish.
    testTimeout: 130_000,
  },
});
