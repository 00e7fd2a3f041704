import { configDefaults, defineConfig } from 'vitest/config';
import { ISOLATED_SUITES, TEST_INCLUDE } from './src/harness/test-suites.js';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: integration tests spawn real processes, so keep the pool small.
    maxWorkers: 2,
    // Together the two projects run TEST_INCLUDE, also what the lane's review counts as every
    // suite (src/harness/review/ran.ts): the suites that replace modules each in a module graph
    // of their own, the others sharing their worker's (src/harness/test-suites.ts says why).
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED_SUITES } },
      {
        extends: true,
        test: { name: 'shared', include: TEST_INCLUDE, exclude: [...configDefaults.exclude, ...ISOLATED_SUITES], isolate: false },
      },
    ],
  },
});
