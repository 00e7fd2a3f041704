import { defineConfig } from 'vitest/config';
import { TEST_INCLUDE } from './src/harness/test-suites.js';

export default defineConfig({
  test: {
    // Also what the lane's review counts as every suite (src/harness/review/ran.ts).
    include: TEST_INCLUDE,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: integration tests spawn real processes, so keep the pool small.
    maxWorkers: 2,
  },
});
