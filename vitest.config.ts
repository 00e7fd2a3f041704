import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'lint-rules/tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: integration tests spawn real processes, so keep the pool small.
    maxWorkers: 2,
  },
});
