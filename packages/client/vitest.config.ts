import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The integration tests start a server each; a slow machine still finishes them in time.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
