import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // A condition polled for (a broadcast that crosses nodes, a count that settles) gets 5 s, not
    // vitest's 1 s: on a loaded 2-core machine a positive can take longer; negatives never poll.
    expect: { poll: { timeout: 5000 } },
  },
});
