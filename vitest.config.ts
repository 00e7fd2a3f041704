import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { ISOLATED_SUITES, TEST_INCLUDE } from './src/harness/test-suites.js';

// Node reads the bundle NODE_EXTRA_CA_CERTS names at every start, before any of the process's
// code (about 40 ms of CPU each on a machine that sets it to the system's CA file): the suite
// starts some 800 Node processes (its workers, the CLI, the lane's tools) and none of them makes
// a TLS connection, so none of them is given it. tests/unit/test-suites.test.ts checks it.
delete process.env.NODE_EXTRA_CA_CERTS;

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One worker more than the machine has cores: the integration tests spend part of their
    // time waiting on the processes they start and on fsyncs, and a third worker fills that
    // (2 cores: 92.3, 93.1, 106.6, 102.4 s against 106.2, 97.1, 112.0, 104.3 s with two, in
    // alternating runs; the spec 0014 evidence has the figures).
    maxWorkers: availableParallelism() + 1,
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
